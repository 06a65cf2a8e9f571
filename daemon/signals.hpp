// daemon/signals.hpp: the daemon's signals as one coroutine. SIGHUP runs a handler each time
// (the DLR log is reopened after logrotate); the first SIGTERM or SIGINT runs the graceful
// stop to its end. What the stop throws is logged, never dropped: the process still stops.
#pragma once

#include <functional>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/signal_set.hpp>

namespace smsgw {

class daemon_signals {
 public:
  /// Registers SIGHUP, SIGTERM and SIGINT at once, so a signal that arrives before run()
  /// starts waits for it instead of taking the default action (ending the process).
  explicit daemon_signals(boost::asio::any_io_executor ex);

  /// Serves SIGHUP with `on_hup` until SIGTERM/SIGINT, then co_awaits `on_stop` (SIGHUP is
  /// still served meanwhile) and returns.
  boost::asio::awaitable<void> run(std::function<void()> on_hup,
                                   std::function<boost::asio::awaitable<void>()> on_stop);

 private:
  boost::asio::awaitable<void> serve_hup(std::function<void()> const& on_hup);
  boost::asio::awaitable<void> stop_on_term(
      std::function<boost::asio::awaitable<void>()> const& on_stop);

  boost::asio::signal_set hup_;
  boost::asio::signal_set term_;
};

}  // namespace smsgw
