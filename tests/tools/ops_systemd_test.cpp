// tests/tools/ops_systemd_test.cpp: systemd/ (unit, sysusers, logrotate) is valid and agrees
// with conf/smsgw.toml and the install layout. systemd-analyze verifies the unit (on a copy
// whose ExecStart names the built binary: verify insists the binary exists) and rates its
// hardening; systemd-sysusers creates the user in a scratch root; logrotate rotates a live
// daemon's DLR log and the daemon reopens it on the postrotate SIGHUP. A tool that is missing
// makes its case pass with a WARN saying so (tools/install-deps.sh installs them).
#include <catch2/catch.hpp>

#include <map>
#include <regex>

#include <fmt/format.h>

#include "daemon/config/config.hpp"
#include "tests/tools/ops_util.hpp"

using namespace smsgw;
using namespace smsgw::ops_test;

namespace {

fs::path const source_dir = SMSGW_SOURCE_DIR;
fs::path const unit_file = source_dir / "systemd/smsgw.service";
// The unit in the repository names the default prefix; `cmake --install` and the Debian package
// rewrite ExecStart= to the prefix they install under (cmake/install_unit.cmake).
std::string const installed_binary = "/usr/local/bin/smsgw";

/// The unit's directives; a key given twice keeps every value, in order.
std::multimap<std::string, std::string> unit_directives() {
  std::multimap<std::string, std::string> out;
  std::istringstream in(slurp(unit_file));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#' || line[0] == '[') continue;
    auto eq = line.find('=');
    if (eq != std::string::npos) out.emplace(line.substr(0, eq), line.substr(eq + 1));
  }
  return out;
}

std::string directive(std::multimap<std::string, std::string> const& d, std::string const& key) {
  auto it = d.find(key);
  return it == d.end() ? "<unset>" : it->second;
}

daemon_config example_config() {
  // The TLS files are opened by the parser; this test is about paths, so drop TLS.
  auto text = std::regex_replace(slurp(source_dir / "conf/smsgw.toml"),
                                 std::regex(R"(\n  \[carrier\.tls\](\n +(#[^\n]*|[a-z_]+ = [^\n]*))*)"),
                                 "\n");
  auto cfg = parse_config(text, "conf/smsgw.toml");
  if (!cfg) throw std::runtime_error(cfg.error().message());
  return *cfg;
}

}  // namespace

TEST_CASE("systemd-analyze verify accepts the unit") {
  if (!have_command("systemd-analyze")) {
    WARN("systemd-analyze not installed: unit not verified");
    return;
  }
  temp_dir dir;
  auto copy = dir / "smsgw.service";
  spit(copy, replace_all(slurp(unit_file), installed_binary, SMSGW_DAEMON_EXE));
  auto r = run_command("systemd-analyze verify --man=no " + copy.string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("smsgw.service:") == std::string::npos);  // no "FILE:LINE: Unknown key"
}

TEST_CASE("systemd-analyze security rates the unit's hardening") {
  if (!have_command("systemd-analyze")) {
    WARN("systemd-analyze not installed: hardening not rated");
    return;
  }
  auto r = run_command("systemd-analyze security --offline=true --no-pager " + unit_file.string());
  std::smatch m;
  REQUIRE(std::regex_search(r.output, m, std::regex(R"(Overall exposure level for smsgw\.service: ([0-9.]+))")));
  double exposure = std::stod(m[1].str());
  WARN("systemd-analyze security: exposure " << exposure << " (0 = fully locked down, 10 = none)");
  CHECK(exposure < 2.0);
}

TEST_CASE("the unit is a notify service with a watchdog, the installed binary and the config's directories") {
  auto d = unit_directives();
  CHECK(directive(d, "Type") == "notify");
  CHECK(directive(d, "ExecStart") == installed_binary + " --config /etc/smsgw/smsgw.toml");
  CHECK(directive(d, "ExecReload") == "/bin/kill -HUP $MAINPID");
  CHECK(directive(d, "Restart") == "on-failure");
  CHECK(directive(d, "WatchdogSec") != "<unset>");
  CHECK(directive(d, "LimitNOFILE") != "<unset>");
  CHECK(directive(d, "UMask") == "0007");

  auto cfg = example_config();
  // Where the config puts things is where systemd creates writable directories.
  CHECK(directive(d, "StateDirectory") == "smsgw");
  CHECK(cfg.queue.db_path.rfind("/var/lib/smsgw/", 0) == 0);
  CHECK(directive(d, "RuntimeDirectory") == "smsgw");
  CHECK(cfg.api.socket_path.rfind("/run/smsgw/", 0) == 0);
  CHECK(directive(d, "LogsDirectory") == "smsgw");
  CHECK(cfg.logging.dlr_log.rfind("/var/log/smsgw/", 0) == 0);
  CHECK(cfg.api.socket_mode == 0660);
  // The graceful stop fits in the stop timeout.
  auto stop = directive(d, "TimeoutStopSec");
  REQUIRE(std::regex_match(stop, std::regex(R"(\d+s)")));
  CHECK(std::stoi(stop) * 1000 > cfg.stop_timeout.count());

  // The user exists through sysusers, and logrotate works as that user on the config's file.
  auto sysusers = slurp(source_dir / "systemd/smsgw.sysusers");
  CHECK(sysusers.find("\nu " + directive(d, "User") + " ") != std::string::npos);
  CHECK(directive(d, "Group") == directive(d, "User"));
  auto logrotate = slurp(source_dir / "systemd/smsgw.logrotate");
  CHECK(logrotate.find("\n" + cfg.logging.dlr_log + " {") != std::string::npos);
  CHECK(logrotate.find("su smsgw smsgw") != std::string::npos);
  CHECK(logrotate.find("systemctl reload smsgw.service") != std::string::npos);
}

TEST_CASE("the unit's sandbox is the one documented") {
  auto d = unit_directives();
  for (auto [key, value] : std::initializer_list<std::pair<char const*, char const*>>{
           {"NoNewPrivileges", "yes"}, {"ProtectSystem", "strict"}, {"ProtectHome", "yes"},
           {"PrivateTmp", "yes"}, {"PrivateDevices", "yes"}, {"CapabilityBoundingSet", ""},
           {"RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"},
           {"SystemCallFilter", "@system-service"}, {"MemoryDenyWriteExecute", "yes"}}) {
    INFO(key);
    CHECK(directive(d, key) == value);
  }
}

TEST_CASE("systemd-sysusers creates the smsgw user and group") {
  if (!have_command("systemd-sysusers")) {
    WARN("systemd-sysusers not installed: sysusers file not applied");
    return;
  }
  temp_dir root;
  fs::create_directories(root / "etc");
  auto r = run_command("systemd-sysusers --root=" + root.path().string() + " " +
                       (source_dir / "systemd/smsgw.sysusers").string());
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  CHECK(std::regex_search(slurp(root / "etc/passwd"),
                          std::regex(R"(^smsgw:x:\d+:\d+:[^:]*:/var/lib/smsgw:/usr/sbin/nologin$)",
                                     std::regex::multiline)));
  CHECK(std::regex_search(slurp(root / "etc/group"), std::regex(R"(^smsgw:x:\d+:)", std::regex::multiline)));
}

TEST_CASE("logrotate rotates a running daemon's DLR log and the daemon reopens it") {
  if (!have_command("logrotate")) {
    WARN("logrotate not installed: rotation not exercised");
    return;
  }
  temp_dir dir;
  auto dlr = dir / "dlr.log";
  auto config = write_one_carrier_config(dir, fmt::format("dlr_log = \"{}\"", dlr.string()));
  child_process daemon({SMSGW_DAEMON_EXE, "--config", config.string()}, dir / "daemon.log",
                       dir / "daemon.log");
  REQUIRE(wait_until([&] { return fs::exists(dir / "api.sock"); }, 30s));
  REQUIRE(fs::exists(dlr));
  spit(dlr, "2026-11-26T00:00:00Z id=1 carrier=telkomsel to=62812****0001 state=delivered err=000 detail=-\n");

  // The shipped snippet on this directory: as the test's own user, no `create` (so the new
  // file can only come from the daemon's reopen), postrotate signalling our daemon's PID.
  auto conf = slurp(source_dir / "systemd/smsgw.logrotate");
  conf = replace_all(conf, "/var/log/smsgw/dlr.log", dlr.string());
  conf = std::regex_replace(conf, std::regex(R"(\n\s*(su|create) [^\n]*)"), "");
  conf = replace_all(conf, "systemctl reload smsgw.service", fmt::format("kill -HUP {}", daemon.pid()));
  spit(dir / "logrotate.conf", conf);
  auto r = run_command("logrotate --force --state " + (dir / "state").string() + " " +
                       (dir / "logrotate.conf").string());
  INFO(r.output << slurp(dir / "daemon.log"));
  REQUIRE(r.exit_code == 0);

  REQUIRE(wait_until([&] { return fs::exists(dlr); }, 30s));  // reopened (created) by smsgw
  CHECK(wait_until([&] { return slurp(dir / "daemon.log").find("dlr log reopened") != std::string::npos; }, 30s));
  std::size_t rotated = 0;
  for (auto const& e : fs::directory_iterator(dir.path()))
    if (e.path().filename().string().rfind("dlr.log-", 0) == 0) {
      ++rotated;
      CHECK(slurp(e.path()).find("id=1 carrier=telkomsel") != std::string::npos);  // delaycompress
    }
  CHECK(rotated == 1);
  CHECK(describe_status(daemon.stop()) == "exit 0");
}
