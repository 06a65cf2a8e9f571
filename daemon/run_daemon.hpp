// daemon/run_daemon.hpp: the smsgw process from a valid configuration to its exit status:
// the instance lock, the queue and its writer, the DLR log, then one network thread running
// the carriers, the dispatcher, the HTTP API and the signals until a graceful stop.
#pragma once

#include "daemon/config/config.hpp"

namespace smsgw {

/// Runs the daemon; returns the process exit status (0 after a graceful stop, 1 when it
/// could not start: the reason is logged).
int run_daemon(daemon_config const& cfg);

}  // namespace smsgw
