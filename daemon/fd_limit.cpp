// daemon/fd_limit.cpp: see fd_limit.hpp.
#include "daemon/fd_limit.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace smsgw {

fd_budget fd_needs(daemon_config const& cfg) {
  fd_budget b;
  for (auto const& c : cfg.carriers)
    b.smpp += c.link.binds * (c.link.mode == bind_layout::transmitter_receiver ? 2u : 1u);
  b.api = cfg.api.max_connections;
  return b;
}

std::optional<std::string> ensure_fd_limit(daemon_config const& cfg) {
  auto const need = fd_needs(cfg);
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return fmt::format("getrlimit(RLIMIT_NOFILE): {}", std::strerror(errno));
  auto const total = static_cast<rlim_t>(need.total());
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur >= total) return std::nullopt;
  if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < total) {
    return fmt::format(
        "the file descriptor limit (RLIMIT_NOFILE) is {} (hard limit {}), but smsgw may need {}: "
        "[api] max_connections = {}, {} SMPP connection(s) and {} for its files and event loop; "
        "raise the limit (LimitNOFILE= in the unit, ulimit -n by hand) or lower max_connections",
        lim.rlim_cur, lim.rlim_max, need.total(), need.api, need.smpp, fd_budget::fd_reserve);
  }
  // Room to spare for what the estimate misses; epoll has no FD_SETSIZE limit.
  auto const old = lim.rlim_cur;
  rlim_t const want = std::max<rlim_t>(total, 65536);
  lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? want : std::min(lim.rlim_max, want);
  if (::setrlimit(RLIMIT_NOFILE, &lim) != 0)
    return fmt::format("cannot raise the file descriptor limit (RLIMIT_NOFILE) from {} to {}: {}",
                       old, lim.rlim_cur, std::strerror(errno));
  spdlog::info("file descriptor limit raised from {} to {} (smsgw may need {})", old, lim.rlim_cur,
               need.total());
  return std::nullopt;
}

}  // namespace smsgw
