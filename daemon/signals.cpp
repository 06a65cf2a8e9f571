// daemon/signals.cpp: see signals.hpp.
#include "daemon/signals.hpp"

#include <csignal>
#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace smsgw {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

daemon_signals::daemon_signals(asio::any_io_executor ex)
    : hup_(ex, SIGHUP), term_(ex, SIGTERM, SIGINT) {}

asio::awaitable<void> daemon_signals::run(std::function<void()> on_hup,
                                          std::function<asio::awaitable<void>()> on_stop) {
  // stop_on_term ends first (serve_hup never does on its own); || then cancels serve_hup.
  co_await (serve_hup(on_hup) || stop_on_term(on_stop));
}

asio::awaitable<void> daemon_signals::serve_hup(std::function<void()> const& on_hup) {
  for (;;) {
    auto [ec, signo] = co_await hup_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // cancelled: the stop is done
    try {
      on_hup();
    } catch (std::exception const& e) {
      spdlog::error("SIGHUP: {}", e.what());
    }
  }
}

asio::awaitable<void> daemon_signals::stop_on_term(
    std::function<asio::awaitable<void>()> const& on_stop) {
  auto [ec, signo] = co_await term_.async_wait(asio::as_tuple(asio::use_awaitable));
  if (ec) {
    spdlog::error("waiting for SIGTERM/SIGINT failed ({}): stopping now", ec.message());
  } else {
    spdlog::info("signal {}: graceful stop", signo);
  }
  try {
    co_await on_stop();
  } catch (std::exception const& e) {
    spdlog::error("graceful stop failed: {}; stopping anyway", e.what());
  } catch (...) {
    spdlog::error("graceful stop failed (unknown exception); stopping anyway");
  }
}

}  // namespace smsgw
