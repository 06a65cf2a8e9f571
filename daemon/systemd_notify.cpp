// daemon/systemd_notify.cpp: thin wrappers over libsystemd's sd_notify (see the header).
#include "daemon/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace smsgw {

namespace {
void send(std::string const& text) { ::sd_notify(0, text.c_str()); }
}  // namespace

void notify_ready(std::string_view status) { send("READY=1\nSTATUS=" + std::string(status)); }
void notify_status(std::string_view status) { send("STATUS=" + std::string(status)); }
void notify_stopping(std::string_view status) { send("STOPPING=1\nSTATUS=" + std::string(status)); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

boost::asio::awaitable<void> run_watchdog() {
  auto every = watchdog_interval();
  if (!every) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    send("WATCHDOG=1");
    timer.expires_after(*every);
    auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) co_return;
  }
}

}  // namespace smsgw
