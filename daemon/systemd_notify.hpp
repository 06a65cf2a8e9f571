// daemon/systemd_notify.hpp: sd_notify(3) for Type=notify units: READY=1 once listening,
// STATUS= lines, WATCHDOG=1 pings at half of WatchdogSec, STOPPING=1 on graceful stop.
// Without $NOTIFY_SOCKET (not run by systemd, tests) every call is a cheap no-op.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include <boost/asio/awaitable.hpp>

namespace smsgw {

void notify_ready(std::string_view status);
void notify_status(std::string_view status);
void notify_stopping(std::string_view status);

/// Half of WatchdogSec if systemd enabled the watchdog for us, else nullopt.
std::optional<std::chrono::microseconds> watchdog_interval();

/// Sends WATCHDOG=1 every watchdog_interval() until cancelled (returns at once if none).
/// It runs on the network thread, so a stalled event loop stops the pings and systemd
/// restarts us: the liveness signal is the loop's, not a side thread's.
boost::asio::awaitable<void> run_watchdog();

}  // namespace smsgw
