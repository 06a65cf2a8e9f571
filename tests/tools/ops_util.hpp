// tests/tools/ops_util.hpp: helpers for the ops_* tests (conf/, systemd/, logging) on top of the
// e2e tests' process kit (tests/e2e/child_process.hpp: temp dir, files, bounded waits, a child
// stopped by PID): running a command to completion with its output, and a minimal one-carrier
// daemon config whose carrier port nothing listens on (the daemon runs, its link retries).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "tests/e2e/child_process.hpp"

namespace smsgw::ops_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using e2e::child_process;
using e2e::describe_status;
using e2e::env_changes;
using e2e::temp_dir;
using e2e::wait_until;
inline std::string slurp(fs::path const& p) { return e2e::read_file(p); }
inline void spit(fs::path const& p, std::string const& text) { e2e::write_file(p, text); }

/// Replaces every occurrence of `from` in `s` by `to`.
inline std::string replace_all(std::string s, std::string const& from, std::string const& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

struct command_result {
  int exit_code = -1;  ///< -1 if it did not exit normally
  std::string output;  ///< stdout and stderr together
};

/// Runs `command` through /bin/sh (callers quote nothing: our paths have no spaces) and waits.
inline command_result run_command(std::string const& command) {
  command_result r;
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + command);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  int status = ::pclose(p);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

inline bool have_command(std::string const& name) {
  return run_command("command -v " + name + " >/dev/null").exit_code == 0;
}

/// A TCP port on 127.0.0.1 that nothing listens on (bound, then closed).
inline std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  if (fd >= 0) ::close(fd);
  if (!ok) throw std::runtime_error("cannot bind a probe socket");
  return ntohs(a.sin_port);
}

/// Writes `dir`/smsgw.toml: one carrier on a closed port, state in `dir`, `logging` as the
/// body of [logging]. Returns its path.
inline fs::path write_one_carrier_config(temp_dir const& dir, std::string const& logging) {
  auto path = dir / "smsgw.toml";
  spit(path, fmt::format(R"([[carrier]]
name = "telkomsel"
host = "127.0.0.1"
port = {1}
system_id = "smsgw"
password = "pw"
throughput = 10
[queue]
db_path = "{0}/queue.db"
[api]
socket_path = "{0}/api.sock"
[logging]
{2}
)", dir.path().string(), closed_port(), logging));
  return path;
}

}  // namespace smsgw::ops_test
