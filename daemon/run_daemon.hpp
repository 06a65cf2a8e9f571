// daemon/run_daemon.hpp: the smsgw process from a valid configuration to its exit status:
// the instance lock, the queue and its writer, the DLR log, then one network thread running
// the carriers, the dispatcher, the HTTP API and the signals until a graceful stop.
#pragma once

#include <functional>
#include <string>

#include "daemon/config/config.hpp"

namespace smsgw {

/// Runs the daemon; returns the process exit status (0 after a graceful stop, 1 when it
/// could not start: the reason is logged). `reload` reads the configuration again for a
/// live reload (SIGHUP, POST /v1/reload; none: every reload is refused); `source` names
/// where it comes from in log lines (the file).
int run_daemon(daemon_config const& cfg, std::function<config_result()> reload = {},
               std::string const& source = "<embedded default>");

}  // namespace smsgw
