// daemon/api/peer_credentials.hpp: who is at the other end of an API connection, as the kernel
// reports it for a Unix socket (SO_PEERCRED: uid, gid, pid at connect time; SO_PEERGROUPS: the
// supplementary groups). Read once when the connection is accepted; the API records the uid
// and pid with each enqueue and checks them against the allow-lists (access_policy.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace smsgw {

struct peer_credentials {
  std::optional<std::uint32_t> uid, gid;  ///< nullopt: unknown (not a Unix socket, call failed)
  std::optional<std::int64_t> pid;        ///< the process that connected
  std::vector<std::uint32_t> groups;      ///< supplementary groups (may be empty)

  bool known() const noexcept { return uid.has_value(); }
  /// "uid 1000 pid 4242" / "uid unknown", for log lines.
  std::string describe() const;
};

/// The credentials of the peer of Unix socket `fd`; all fields nullopt/empty if the kernel
/// does not say.
peer_credentials read_peer_credentials(int fd);

}  // namespace smsgw
