// daemon/fd_limit.hpp: the file descriptors smsgw may need at once, checked against
// RLIMIT_NOFILE at start. Past the limit, accept() fails with EMFILE while the connection stays
// in the backlog: the API would refuse everyone (the accept loop backs off, see
// daemon/api/http_server.cpp). So the soft limit is raised when the hard limit allows, and
// the start is refused with the figures when it does not.
#pragma once

#include <optional>
#include <string>

#include "daemon/config/config.hpp"

namespace smsgw {

/// Descriptors the daemon may hold at once: every SMPP connection (binds, x2 for
/// transmitter_receiver), max_connections API connections, and `fd_reserve` for the rest.
struct fd_budget {
  std::size_t smpp = 0, api = 0;
  static constexpr std::size_t fd_reserve = 64;  ///< stdio, queue files, locks, DLR log, epoll, timers, signals, DNS, TLS files
  std::size_t total() const noexcept { return smpp + api + fd_reserve; }
};
fd_budget fd_needs(daemon_config const& cfg);

/// Makes RLIMIT_NOFILE's soft limit at least fd_needs(cfg).total() (raising it up to the
/// hard limit, logged); the reason the daemon must not start if the hard limit is lower.
std::optional<std::string> ensure_fd_limit(daemon_config const& cfg);

}  // namespace smsgw
