// Tests for daemon/config/config_diff.*: what a reload does to each carrier (keep, re-tune,
// rebind, add, remove) and the changes in words, from two configurations parsed from TOML;
// passwords never appear in the words; restart-only settings are reported and kept.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include "daemon/config/config.hpp"
#include "daemon/config/config_diff.hpp"

using namespace smsgw;

namespace {

constexpr char secret[] = "Pw1xyz";

std::string carrier(std::string const& name, std::string const& extra = "", int port = 2775) {
  return "[[carrier]]\nname = \"" + name + "\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(port) +
         "\nsystem_id = \"smsgw\"\npassword = \"" + secret + "\"\nthroughput = 100\n" + extra + "\n";
}

daemon_config parse(std::string const& text) {
  auto r = parse_config(text, "test.toml");
  if (!r) FAIL(r.error().message());
  return std::move(*r);
}

bool has(std::vector<std::string> const& v, std::string const& needle) {
  return std::any_of(v.begin(), v.end(), [&](auto const& s) { return s.find(needle) != std::string::npos; });
}

}  // namespace

TEST_CASE("the same configuration plans nothing", "[config][reload]") {
  auto a = parse(carrier("telkomsel") + carrier("indosat"));
  auto p = plan_reload(a, a);
  CHECK(p.changes.empty());
  CHECK(p.added.empty());
  CHECK(p.removed.empty());
  CHECK(p.rebind.empty());
  CHECK(p.retune.empty());
  CHECK(restart_only_changes(a, a).empty());
}

TEST_CASE("throughput and dispatcher settings keep the links bound", "[config][reload]") {
  auto a = parse(carrier("telkomsel") + carrier("indosat"));
  auto b = parse(carrier("telkomsel", "burst = 20\nalternates = [\"indosat\"]\nsender = \"BANK\"\n"
                                      "receipt_timeout_ms = 1000\npeak = []\n") +
                 carrier("indosat"));
  b.carriers[0].link.throttle.rate = 50;
  auto p = plan_reload(a, b);
  CHECK(p.rebind.empty());
  CHECK(p.retune == std::vector<std::string>{"telkomsel"});
  CHECK(has(p.changes, "carrier telkomsel: throughput 100 -> 50"));
  CHECK(has(p.changes, "carrier telkomsel: alternates [] -> [indosat]"));
  CHECK(has(p.changes, "carrier telkomsel: sender SMSGW -> BANK"));
  CHECK(has(p.changes, "carrier telkomsel: receipt_timeout_ms 30000 -> 1000"));
  CHECK(has(p.changes, "carrier telkomsel: peak windows"));
  CHECK(has(p.changes, "carrier telkomsel: throttle settings"));
  CHECK_FALSE(has(p.changes, "indosat:"));
}

TEST_CASE("a changed connection setting rebinds that carrier only, never showing the password",
          "[config][reload]") {
  auto a = parse(carrier("telkomsel") + carrier("indosat"));
  SECTION("port") {
    auto b = parse(carrier("telkomsel", "", 2776) + carrier("indosat"));
    auto p = plan_reload(a, b);
    CHECK(p.rebind == std::vector<std::string>{"telkomsel"});
    CHECK(has(p.changes, "carrier telkomsel: port 2775 -> 2776: links bind again"));
  }
  SECTION("window and binds") {
    auto b = parse(carrier("telkomsel") + carrier("indosat", "window = 5\nbinds = 2\n"));
    auto p = plan_reload(a, b);
    CHECK(p.rebind == std::vector<std::string>{"indosat"});
    CHECK(has(p.changes, "carrier indosat: binds 1 -> 2, window 10 -> 5: links bind again"));
  }
  SECTION("password") {
    auto b = a;
    b.carriers[1].link.password = "Other1";
    auto p = plan_reload(a, b);
    CHECK(p.rebind == std::vector<std::string>{"indosat"});
    CHECK(has(p.changes, "carrier indosat: password: links bind again"));
    for (auto const& c : p.changes) {
      CHECK(c.find(secret) == std::string::npos);
      CHECK(c.find("Other1") == std::string::npos);
    }
  }
}

TEST_CASE("carriers added and removed, routing, limits and retry in words", "[config][reload]") {
  auto a = parse(carrier("telkomsel") + carrier("indosat") + "[limits]\nenabled = false\n");
  auto b = parse(carrier("telkomsel") + carrier("xl", "", 2777) +
                 "[routing.prefixes]\n\"0857\" = \"xl\"\n[limits]\nenabled = true\n"
                 "[retry]\nmax_otp_attempts = 5\n");
  auto p = plan_reload(a, b);
  CHECK(p.added == std::vector<std::string>{"xl"});
  CHECK(p.removed == std::vector<std::string>{"indosat"});
  CHECK(has(p.changes, "carrier xl: added (127.0.0.1:2777, 1 link(s), throughput 100)"));
  CHECK(has(p.changes, "carrier indosat: removed"));
  CHECK(has(p.changes, "[routing] prefix 62857: indosat -> xl"));
  CHECK(has(p.changes, "[limits] enabled false -> true"));
  CHECK(has(p.changes, "[retry] max_otp_attempts 3 -> 5"));
}

TEST_CASE("restart-only settings are reported and keep their running value", "[config][reload]") {
  auto a = parse(carrier("telkomsel") + "[queue]\ndb_path = \"/a/queue.db\"\n[api]\nsocket_path = \"/a/api.sock\"\n"
                 "default_ttl_seconds = 300\n");
  auto b = parse(carrier("telkomsel") + "[queue]\ndb_path = \"/b/queue.db\"\n[api]\nsocket_path = \"/b/api.sock\"\n"
                 "default_ttl_seconds = 120\n");
  auto later = restart_only_changes(a, b);
  CHECK(has(later, "[queue] db_path /a/queue.db -> /b/queue.db (needs a restart"));
  CHECK(has(later, "[api] socket_path /a/api.sock -> /b/api.sock (needs a restart"));
  auto kept = with_restart_only_kept(b, a);
  CHECK(kept.queue.db_path == "/a/queue.db");
  CHECK(kept.api.socket_path == "/a/api.sock");
  CHECK(kept.api.default_ttl == std::chrono::seconds(120));  // live: taken
  auto p = plan_reload(a, kept);
  CHECK(has(p.changes, "[api] default_ttl_seconds 300 -> 120"));
  CHECK(restart_only_changes(a, kept).empty());
}
