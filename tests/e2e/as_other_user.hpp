// tests/e2e/as_other_user.hpp: one HTTP request to the daemon's socket from a forked child that
// has switched to another user id (setuid), so a test can see what the API does for a caller
// that is not the test itself. Only root may switch: as_other_user_possible() says whether it
// can. The child keeps group 0 (root's), so it can reach the 0660 socket of a daemon run by
// root in a directory opened to that group (open_to_group()). Bounded: the child gives up
// after 30 s (alarm), the parent waits for it by its PID only.
#pragma once

#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

namespace smsgw::e2e {

/// The user the child becomes: "nobody" on Debian.
inline constexpr uid_t other_uid = 65534;

inline bool as_other_user_possible() { return ::geteuid() == 0; }

/// Lets group 0 traverse `dir` (the test's temp dir is 0700), so the child can reach the socket.
inline void open_to_group(std::filesystem::path const& dir) { ::chmod(dir.c_str(), 0750); }

struct other_user_reply {
  int status = 0;       ///< HTTP status, 0 if no answer
  std::string body;     ///< the response body (up to 64 KiB)
  std::int64_t pid = 0; ///< the child's pid (the caller the daemon saw)
};

/// Sends `method target` (with a JSON `body` if not empty) as uid `uid`, gid 0, and returns
/// the answer. Returns status 0 if the child could not switch or connect.
inline other_user_reply request_as(uid_t uid, std::string const& socket_path, std::string const& method,
                                   std::string const& target, std::string const& body = {}) {
  other_user_reply out;
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: smsgw\r\nConnection: close\r\n";
  if (!body.empty())
    req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  int fds[2];
  if (::pipe(fds) != 0) return out;
  pid_t pid = ::fork();
  if (pid < 0) return out;
  if (pid == 0) {
    ::close(fds[0]);
    ::alarm(30);
    gid_t g = 0;
    if (::setgroups(1, &g) != 0 || ::setgid(0) != 0 || ::setuid(uid) != 0) ::_exit(2);
    int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, socket_path.c_str(), sizeof(a.sun_path) - 1);
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) ::_exit(3);
    for (std::size_t sent = 0; sent < req.size();) {
      auto n = ::send(s, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) ::_exit(4);
      sent += static_cast<std::size_t>(n);
    }
    char buf[4096];
    for (;;) {  // copy the whole answer to the parent (the server closes after it)
      auto n = ::read(s, buf, sizeof buf);
      if (n <= 0) break;
      if (::write(fds[1], buf, static_cast<std::size_t>(n)) != n) ::_exit(5);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  out.pid = pid;
  std::string raw;
  char buf[4096];
  for (;;) {
    auto n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    if (raw.size() < 65536) raw.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  int code = 0;
  if (std::sscanf(raw.c_str(), "HTTP/1.1 %d", &code) == 1) out.status = code;
  if (auto at = raw.find("\r\n\r\n"); at != std::string::npos) out.body = raw.substr(at + 4);
  return out;
}

}  // namespace smsgw::e2e
