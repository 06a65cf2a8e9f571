// tests/e2e/config_test.cpp: the smsgw command line on configuration: --check-config on a
// broken file exits non-zero naming FILE:LINE: KEY; the daemon refuses to start on one (no
// socket appears); --print-default-config is a valid config once its paths are writable.
#include <catch2/catch.hpp>

#include <regex>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

struct run_result {
  std::string status, out, err;
};

/// Runs smsgw with `args` to completion (bounded); its status and output.
run_result run_smsgw(temp_dir const& dir, std::vector<std::string> args) {
  static int n = 0;
  auto out = dir / fmt::format("run{}.out", n), err = dir / fmt::format("run{}.err", n);
  ++n;
  args.insert(args.begin(), SMSGW_DAEMON_EXE);
  child_process p(args, out, err);
  auto st = p.wait_exit(std::chrono::seconds(30));
  return {describe_status(st), read_file(out), read_file(err)};
}

std::string const carrier_block = R"(
[[carrier]]
name = "telkomsel"
host = "127.0.0.1"
port = 2775
system_id = "smsgw"
password = "secret"
throughput = 50
)";

}  // namespace

TEST_CASE("check-config names FILE:LINE: KEY of a broken config", "[e2e][config]") {
  temp_dir dir;
  struct broken {
    std::string toml;
    std::string line_key;  // expected "LINE: KEY"
  };
  auto [toml, line_key] = GENERATE_COPY(values<broken>({
      {carrier_block + "\n[api]\nsocket_pth = \"/tmp/x.sock\"\n", "11: api.socket_pth"},
      {carrier_block + "\n[api]\nsocket_mode = \"0666\"\n", "11: api.socket_mode"},
      {carrier_block + "window = \"ten\"\n", "9: carrier[0].window"},
      {carrier_block + "alternates = [\"nosuch\"]\n", "9: carrier[0].alternates"},
      {carrier_block + "\n[queue]\nsynchronous = \"sometimes\"\n", "11: queue.synchronous"},
      {carrier_block + "\n[logging]\nlevel = \"loud\"\n", "11: logging.level"},
      {"[queue]\ndb_path = \"/tmp/x.db\"\n", "1: carrier"},
      // Peak-hour windows: inverted, out of range, overlapping (named at the later window).
      {carrier_block + "[[carrier.peak]]\ndays = [\"mon\"]\nstart = \"11:00\"\nend = \"09:00\"\n", "12: carrier[0].peak[0].end"},
      {carrier_block + "[[carrier.peak]]\ndays = [\"mon\"]\nstart = \"09:00\"\nend = \"25:00\"\n", "12: carrier[0].peak[0].end"},
      {carrier_block + "[[carrier.peak]]\ndays = [\"mon\"]\nstart = \"09:00\"\nend = \"11:00\"\n"
                       "[[carrier.peak]]\ndays = [\"mon\"]\nstart = \"10:00\"\nend = \"12:00\"\n", "15: carrier[0].peak[1].start"},
      // A routing override naming no configured carrier; a carrier nothing reaches (a typo).
      {carrier_block + "\n[routing.prefixes]\n\"0895\" = \"indosat\"\n", "11: routing.prefixes.0895"},
      {carrier_block + "[[carrier]]\nname = \"telkomsl\"\nhost = \"h\"\nsystem_id = \"s\"\nthroughput = 1\n", "10: carrier[1].name"},
  }));
  auto file = dir / "broken.toml";
  write_file(file, toml);
  auto r = run_smsgw(dir, {"--config", file.string(), "--check-config"});
  INFO(toml << "\n--- stderr:\n" << r.err);
  CHECK(r.status == "exit 2");
  CHECK(r.err.find(file.string() + ":" + line_key) != std::string::npos);
  CHECK(r.out.find("configuration OK") == std::string::npos);
}

TEST_CASE("config errors: TOML syntax, missing file, long password not echoed", "[e2e][config]") {
  temp_dir dir;
  auto file = dir / "bad.toml";
  write_file(file, carrier_block + "port = = 3\n");
  auto r = run_smsgw(dir, {"--config", file.string(), "--check-config"});
  CHECK(r.status == "exit 2");
  CHECK(r.err.find(file.string() + ":9: ") != std::string::npos);

  r = run_smsgw(dir, {"--config", (dir / "missing.toml").string(), "--check-config"});
  CHECK(r.status == "exit 2");
  CHECK(r.err.find("missing.toml") != std::string::npos);

  std::string pw = "Sup3rS3cretPw";  // 13 > 8 characters
  auto toml = carrier_block;
  toml.replace(toml.find("\"secret\""), 8, "\"" + pw + "\"");
  write_file(file, toml);
  r = run_smsgw(dir, {"--config", file.string(), "--check-config"});
  INFO(r.err);
  CHECK(r.status == "exit 2");
  CHECK(r.err.find(file.string() + ":") != std::string::npos);
  CHECK(r.err.find(pw) == std::string::npos);

  r = run_smsgw(dir, {"--no-such-flag"});
  CHECK(r.status == "exit 2");
}

TEST_CASE("the daemon refuses to start on a broken config", "[e2e][config]") {
  temp_dir dir;
  auto file = dir / "broken.toml";
  auto socket = dir / "api.sock";
  write_file(file, carrier_block + fmt::format("\n[api]\nsocket_path = \"{}\"\nbody_limit = 1\n", socket.string()));
  auto r = run_smsgw(dir, {"--config", file.string()});
  INFO(r.err);
  CHECK(r.status == "exit 2");
  CHECK(r.err.find(file.string() + ":12: api.body_limit") != std::string::npos);
  CHECK(!fs::exists(socket));
}

TEST_CASE("print-default-config output passes check-config with writable paths", "[e2e][config]") {
  temp_dir dir;
  auto r = run_smsgw(dir, {"--print-default-config"});
  REQUIRE(r.status == "exit 0");
  REQUIRE(r.out.find("/tmp/smsgw") != std::string::npos);
  auto text = std::regex_replace(r.out, std::regex("/tmp/smsgw"), dir.path().string());
  auto file = dir / "default.toml";
  write_file(file, text);
  auto c = run_smsgw(dir, {"--config", file.string(), "--check-config"});
  INFO(c.err);
  CHECK(c.status == "exit 0");
  CHECK(c.out.find("configuration OK (5 carriers)") != std::string::npos);
  // --check-config only checks: nothing is created.
  CHECK(!fs::exists(dir / "queue.db"));
  CHECK(!fs::exists(dir / "api.sock"));
}
