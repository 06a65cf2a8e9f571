// daemon/api/peer_credentials.cpp: getsockopt(SO_PEERCRED) and getsockopt(SO_PEERGROUPS) on an
// accepted Unix socket. SO_PEERGROUPS (Linux 4.13) may be missing: then only the primary gid
// counts for the group allow-lists.
#include "daemon/api/peer_credentials.hpp"

#include <sys/socket.h>
#include <sys/types.h>

#include <cerrno>

#include <fmt/format.h>

namespace smsgw {

std::string peer_credentials::describe() const {
  if (!uid) return "uid unknown";
  return pid ? fmt::format("uid {} pid {}", *uid, *pid) : fmt::format("uid {}", *uid);
}

peer_credentials read_peer_credentials(int fd) {
  peer_credentials out;
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred) return out;
  out.uid = static_cast<std::uint32_t>(cred.uid);
  out.gid = static_cast<std::uint32_t>(cred.gid);
  if (cred.pid > 0) out.pid = cred.pid;
#ifdef SO_PEERGROUPS
  std::vector<gid_t> groups(64);
  for (int tries = 0; tries < 3; ++tries) {
    socklen_t glen = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &glen) == 0) {
      groups.resize(glen / sizeof(gid_t));
      out.groups.assign(groups.begin(), groups.end());
      break;
    }
    if (errno != ERANGE) break;
    groups.resize(glen / sizeof(gid_t) + 1);  // the kernel said how much it needs
  }
#endif
  return out;
}

}  // namespace smsgw
