// tests/e2e/fd_limit_test.cpp: the real smsgw under a small RLIMIT_NOFILE (set by prlimit(1)
// before it execs smsgw). A hard limit below what max_connections and the binds need is
// refused at start with the figures; a low soft limit under a high hard one is raised.
// (The accept loop's pause when descriptors run out anyway: tests/daemon/api/http_server_test.)
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <regex>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

std::string const prlimit = "/usr/bin/prlimit";

carrier_spec telkomsel_only() {
  carrier_spec c;
  c.name = "telkomsel";
  return c;
}

/// "Max open files  SOFT  HARD  files" of a running process.
std::pair<std::string, std::string> open_files_limit(pid_t pid) {
  std::smatch m;
  auto limits = read_file(fmt::format("/proc/{}/limits", pid));
  REQUIRE(std::regex_search(limits, m, std::regex(R"(Max open files\s+(\S+)\s+(\S+))")));
  return {m[1].str(), m[2].str()};
}

}  // namespace

TEST_CASE("a hard descriptor limit below what the config needs is refused at start, with the figures",
          "[e2e][limits]") {
  REQUIRE(fs::exists(prlimit));
  gateway gw({telkomsel_only()}, {}, false);
  gw.daemon.start({}, false, {prlimit, "--nofile=32:32"});
  auto st = gw.daemon.proc().wait_exit(std::chrono::seconds(30));
  auto logs = gw.daemon.logs();
  INFO(logs);
  REQUIRE(st);
  CHECK(describe_status(st) == "exit 1");
  // 64 API connections (the default max_connections) + 1 bind + 64 reserved = 129.
  CHECK(logs.find("the file descriptor limit (RLIMIT_NOFILE) is 32 (hard limit 32), but smsgw may "
                  "need 129: [api] max_connections = 64, 1 SMPP connection(s)") != std::string::npos);
  CHECK(logs.find("lower max_connections") != std::string::npos);
  CHECK_FALSE(fs::exists(gw.socket_path));  // refused before anything was opened
  CHECK_FALSE(fs::exists(gw.db_path));
}

TEST_CASE("a low soft descriptor limit is raised at start when the hard limit allows",
          "[e2e][limits]") {
  REQUIRE(fs::exists(prlimit));
  gateway gw({telkomsel_only()}, {}, false);
  gw.daemon.start({}, true, {prlimit, "--nofile=32:4096"});
  auto [soft, hard] = open_files_limit(gw.daemon.proc().pid());
  CHECK(soft == "4096");
  CHECK(hard == "4096");
  CHECK(gw.daemon.logs().find("file descriptor limit raised from 32 to 4096 (smsgw may need 129)") !=
        std::string::npos);
  // And it serves: 100 connections at once (past max_connections: 503), no EMFILE anywhere.
  std::vector<int> fds;
  for (int i = 0; i < 100; ++i) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, gw.socket_path.c_str(), sizeof(a.sun_path) - 1);
    CHECK(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    fds.push_back(fd);
  }
  for (int fd : fds) ::close(fd);
  auto r = gw.api.get("/healthz");
  CHECK(r.ok);
  CHECK(r.status == 200);
  CHECK(gw.daemon.logs().find("Too many open files") == std::string::npos);
}
