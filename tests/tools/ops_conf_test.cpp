// tests/tools/ops_conf_test.cpp: conf/smsgw.toml, the production example, cannot go stale.
// The real smsgw accepts it with --check-config; it sets every key the parser reads
// (daemon/config/config.cpp) and every key daemon/config/config.hpp documents; docs/daemon.md's reference
// names each of them with the parser's real default; and it says what the brief asks (five
// carriers, TLS with a CA, limits).
// The TLS files the example names (/etc/smsgw/tls/...) do not exist here: in case the check
// opens them (config.cpp's choice; today the start does), it runs on a copy whose
// /etc/smsgw/tls/ points at readable stand-in files in a temp dir.
#include <catch2/catch.hpp>

#include <regex>
#include <map>
#include <set>

#include <fmt/format.h>

#include <toml++/toml.h>

#include "daemon/config/config.hpp"
#include "tests/tools/config_keys.hpp"
#include "tests/tools/ops_util.hpp"

using namespace smsgw;
using namespace smsgw::ops_test;

namespace {

fs::path const source_dir = SMSGW_SOURCE_DIR;
fs::path const example = source_dir / "conf/smsgw.toml";

/// A copy of the example whose TLS files exist (empty stand-ins: the check only opens them).
fs::path checkable_copy(temp_dir const& dir) {
  auto text = slurp(example);
  std::regex tls_file(R"re("/etc/smsgw/tls/([^"]+)")re");
  fs::create_directories(dir / "tls");
  for (std::sregex_iterator it(text.begin(), text.end(), tls_file), end; it != end; ++it)
    spit(dir / "tls" / (*it)[1].str(), "stand-in\n");
  auto copy = dir / "smsgw.toml";
  spit(copy, replace_all(text, "/etc/smsgw/tls/", (dir / "tls/").string()));
  return copy;
}

void collect_toml_keys(toml::node const& n, std::set<std::string>& out) {
  if (auto const* t = n.as_table()) {
    for (auto const& [k, v] : *t) {
      out.insert(std::string(k.str()));
      collect_toml_keys(v, out);
    }
  } else if (auto const* a = n.as_array()) {
    for (auto const& e : *a) collect_toml_keys(e, out);
  }
}

}  // namespace

TEST_CASE("conf/smsgw.toml passes smsgw --check-config") {
  temp_dir dir;
  auto r = run_command(std::string(SMSGW_DAEMON_EXE) + " --check-config --config " +
                       checkable_copy(dir).string());
  INFO(r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.find("configuration OK (5 carriers)") != std::string::npos);
}

TEST_CASE("conf/smsgw.toml as installed passes, or fails only for its TLS files") {
  // Whether --check-config opens the TLS files is config.cpp's choice; either way the
  // placeholders must be the only thing a fresh machine lacks.
  auto r = run_command(std::string(SMSGW_DAEMON_EXE) + " --check-config --config " + example.string());
  INFO(r.output);
  if (r.exit_code != 0) {
    CHECK(r.exit_code == 2);
    CHECK(std::regex_search(r.output, std::regex(R"(tls\.(ca|cert|key)_file: .*/etc/smsgw/tls/)")));
  }
}

TEST_CASE("conf/smsgw.toml sets every key the config parser knows") {
  auto known = config_keys(source_dir);
  // The extraction must keep working as config.cpp evolves: a few keys from each section.
  for (auto const* k : {"carrier", "name", "password", "tls", "ca_file", "throughput", "window",
                        "alternates", "queue", "db_path", "limits", "per_number", "window_seconds",
                        "api", "socket_path", "logging", "dlr_log", "stop_timeout_ms"}) {
    INFO(k);
    CHECK(known.count(k) == 1);
  }
  std::set<std::string> present;
  collect_toml_keys(toml::parse_file(example.string()), present);
  for (auto const& k : known) {
    INFO("key missing from conf/smsgw.toml: " << k);
    CHECK(present.count(k) == 1);
  }
}

TEST_CASE("docs/daemon.md's configuration reference names every key") {
  auto doc = slurp(source_dir / "docs/daemon.md");
  for (auto const& k : config_keys(source_dir)) {
    INFO("key missing from docs/daemon.md: " << k);
    CHECK((doc.find("`" + k + "`") != std::string::npos || doc.find("`[" + k + "]`") != std::string::npos ||
           doc.find("`[[" + k + "]]`") != std::string::npos || doc.find("." + k + "]`") != std::string::npos));
  }
}

TEST_CASE("conf/smsgw.toml is the production set-up the operators asked for") {
  temp_dir dir;
  auto cfg = load_config_file(checkable_copy(dir).string());
  REQUIRE(cfg.has_value());

  std::vector<std::string> names;
  for (auto const& c : cfg->carriers) {
    names.push_back(c.link.name);
    INFO(c.link.name);
    CHECK_FALSE(c.alternates.empty());
    CHECK(c.link.throttle.rate > 0);
    CHECK(c.link.window >= 1);
  }
  CHECK(names == std::vector<std::string>{"telkomsel", "indosat", "xl", "tri", "smartfren"});

  auto const* tsel = cfg->find_carrier("telkomsel");
  REQUIRE(tsel);
  CHECK(tsel->link.tls.enabled);
  CHECK(tsel->link.tls.verify);
  CHECK(tsel->link.tls.ca_file == (dir / "tls/telkomsel-ca.pem").string());
  CHECK_FALSE(tsel->link.tls.cert_file.empty());
  auto const* isat = cfg->find_carrier("indosat");
  REQUIRE(isat);
  CHECK(isat->link.tls.enabled);
  CHECK_FALSE(isat->link.tls.ca_file.empty());

  CHECK(cfg->queue.db_path.rfind("/var/lib/smsgw/", 0) == 0);
  CHECK(cfg->api.socket_path.rfind("/run/smsgw/", 0) == 0);
  CHECK(cfg->logging.dlr_log.rfind("/var/log/smsgw/", 0) == 0);
  CHECK(cfg->queue.synchronous_full);

  // The article's limits: 5 per 15 min then 30 min cooldown, 10 per hour, 30 per day.
  using std::chrono::minutes;
  using std::chrono::hours;
  auto const& n = cfg->limits.limits.per_number;
  REQUIRE(cfg->limits.enabled);
  REQUIRE(n.size() == 3);
  CHECK((n[0].max_count == 5 && n[0].window == minutes(15) && n[0].cooldown == minutes(30)));
  CHECK((n[1].max_count == 10 && n[1].window == hours(1)));
  CHECK((n[2].max_count == 30 && n[2].window == hours(24)));
}

TEST_CASE("docs/daemon.md gives the parser's real defaults") {
  auto const defaults = parser_defaults();
  auto doc = slurp(source_dir / "docs/daemon.md");
  for (auto const& [key, value] : defaults) {
    std::smatch m;
    INFO(key);
    REQUIRE(std::regex_search(doc, m, std::regex("\\n\\| `" + key + "` \\| ([^|]+) \\|")));
    auto documented = m[1].str();
    documented.erase(documented.find_last_not_of(' ') + 1);
    CHECK(documented == value);
  }
}
