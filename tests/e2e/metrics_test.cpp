// tests/e2e/metrics_test.cpp: GET /metrics of the real daemon, through its socket, while OTPs
// flow to simulated carriers: the exposition passes `promtool check metrics` (Debian's
// prometheus package, tools/install-deps.sh), and the counters move by exactly what was sent
// (scraped before and after, parsed and compared). Carriers: one that delivers, one that
// throttles every 2nd submit_sm, one whose receipts all say UNDELIV, one whose all say REJECTD
// (no alternates, retries at once: every OTP of the last two is tried 3 times, then fails).
// Then a carrier with no bind: its OTP waits, the queue gauges and bound links say so.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <map>

#include "tests/e2e/e2e_fixture.hpp"
#include "tests/tools/ops_util.hpp"

using namespace smsgw::e2e;

namespace {

using labels = std::map<std::string, std::string>;

/// One scrape, parsed: series (name + its labels, sorted) -> value.
struct exposition {
  std::string text;
  std::map<std::pair<std::string, labels>, double> series;

  /// The value of a series; NaN if there is no such series.
  double get(std::string const& name, labels const& l = {}) const {
    auto it = series.find({name, l});
    return it == series.end() ? std::nan("") : it->second;
  }
  /// The sum over every series of `name` whose labels include `l`.
  double sum(std::string const& name, labels const& l = {}) const {
    double total = 0;
    for (auto const& [key, v] : series) {
      if (key.first != name) continue;
      bool match = true;
      for (auto const& [k, want] : l) {
        auto f = key.second.find(k);
        match = match && f != key.second.end() && f->second == want;
      }
      if (match) total += v;
    }
    return total;
  }
};

/// Parses the text format: `name{a="x",b="y"} value` lines (no escapes in our label values).
exposition parse(std::string text) {
  exposition e;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto const space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    std::string key = line.substr(0, space);
    double value = std::stod(line.substr(space + 1));
    std::string name = key;
    labels l;
    if (auto brace = key.find('{'); brace != std::string::npos) {
      name = key.substr(0, brace);
      std::string body = key.substr(brace + 1, key.size() - brace - 2);
      std::regex pair(R"re(([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)")re");
      for (std::sregex_iterator it(body.begin(), body.end(), pair), end; it != end; ++it)
        l[(*it)[1]] = (*it)[2];
    }
    e.series[{name, l}] = value;
  }
  e.text = std::move(text);
  return e;
}

exposition scrape(gateway const& gw) {
  auto r = gw.api.get("/metrics");
  INFO(r.error);
  REQUIRE(r.ok);
  REQUIRE(r.status == 200);
  return parse(r.raw);
}

/// `promtool check metrics` on the text: its exit code and what it said.
smsgw::ops_test::command_result promtool_check(fs::path const& dir, std::string const& text) {
  auto file = dir / "scrape.txt";
  write_file(file, text);
  return smsgw::ops_test::run_command("promtool check metrics < " + file.string());
}

void require_promtool() {
  INFO("promtool is missing: bash tools/install-deps.sh installs Debian's prometheus package");
  REQUIRE(smsgw::ops_test::have_command("promtool"));
}

}  // namespace

TEST_CASE("GET /metrics passes promtool and its counters follow the messages sent", "[e2e][metrics]") {
  require_promtool();
  std::vector<carrier_spec> carriers{
      {"telkomsel", {}, "same", {}},
      {"tri", {"--fault-throttle-every", "2"}, "same", {}},
      {"indosat", {"--outcomes", "UNDELIV=100"}, "same", {}},
      {"xl", {"--outcomes", "REJECTD=100"}, "same", {}},
  };
  gateway gw(carriers, "\n[retry]\nsame_route_delay_ms = 0\n");
  for (auto const* c : {"telkomsel", "tri", "indosat", "xl"}) {
    INFO(c);
    REQUIRE(wait_until([&] { return bound_links(gw, c) >= 1; }, startup_deadline));
  }

  auto const before = scrape(gw);
  {
    auto check = promtool_check(gw.dir.path(), before.text);
    INFO(check.output);
    CHECK(check.exit_code == 0);
  }
  // Series exist before their first event, at 0: rates and alerts see them from the start.
  for (auto const* c : {"telkomsel", "tri", "indosat", "xl"}) {
    INFO(c);
    for (auto const* o : {"delivered", "undeliverable", "rejected", "filtered", "no_receipt"})
      CHECK(before.get("smsgw_receipt_outcomes_total", {{"carrier", c}, {"route", c}, {"outcome", o}}) == 0);
    CHECK(before.get("smsgw_carrier_bound_links", {{"carrier", c}}) >= 1);
    CHECK(before.get("smsgw_carrier_links", {{"carrier", c}}) == 1);
    CHECK(before.get("smsgw_carrier_throughput_cap_segments_per_second", {{"carrier", c}}) == 200);
  }
  CHECK(before.get("smsgw_queue_up") == 1);

  struct sent {
    std::string to, carrier;
  };
  std::vector<sent> plan{{"081211110001", "telkomsel"}, {"081211110002", "telkomsel"},
                         {"081211110003", "telkomsel"}, {"089611110004", "tri"},
                         {"089611110005", "tri"},       {"089611110006", "tri"},
                         {"089611110007", "tri"},       {"085711110008", "indosat"},
                         {"081711110009", "xl"}};
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    auto r = gw.send_otp(plan[i].to, "7391" + std::to_string(10 + i));
    INFO(r.error << r.raw);
    REQUIRE(r.status == 202);
    CHECK(r.at("carrier") == plan[i].carrier.c_str());
    ids.push_back(r.at("id").as_int64());
  }
  CHECK(gw.api.get("/no/such/endpoint").status == 404);
  CHECK(gw.api.post("/v1/otp", {{"to", "081211110001"}, {"colour", "red"}}).status == 400);

  auto final = gw.wait_final(ids);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    INFO(plan[i].carrier << " id " << ids[i]);
    bool const fails = plan[i].carrier == "indosat" || plan[i].carrier == "xl";
    CHECK(final[ids[i]] == (fails ? "undeliverable" : "delivered"));
  }
  // Outcomes are counted with their DLR line, written just after the state is visible.
  exposition after;
  wait_until([&] {
    after = scrape(gw);
    return after.sum("smsgw_message_outcomes_total") - before.sum("smsgw_message_outcomes_total") >= 9;
  }, delivery_deadline, std::chrono::milliseconds(100));
  {
    auto check = promtool_check(gw.dir.path(), after.text);
    INFO(check.output);
    CHECK(check.exit_code == 0);
  }
  auto delta = [&](std::string const& name, labels const& l = {}) {
    return after.sum(name, l) - before.sum(name, l);
  };

  // Each OTP of indosat and xl: 3 attempts (the first and 2 retries after failed receipts).
  CHECK(delta("smsgw_submits_total", {{"carrier", "telkomsel"}, {"route", "telkomsel"}, {"result", "accepted"}}) == 3);
  CHECK(delta("smsgw_submits_total", {{"carrier", "tri"}, {"route", "tri"}, {"result", "accepted"}}) == 4);
  CHECK(delta("smsgw_submits_total", {{"carrier", "indosat"}, {"result", "accepted"}}) == 3);
  CHECK(delta("smsgw_submits_total", {{"carrier", "xl"}, {"result", "accepted"}}) == 3);
  CHECK(delta("smsgw_submits_total", {{"result", "refused"}}) == 0);
  CHECK(delta("smsgw_messages_claimed_total") == 13);

  CHECK(delta("smsgw_receipt_outcomes_total", {{"carrier", "telkomsel"}, {"outcome", "delivered"}}) == 3);
  CHECK(delta("smsgw_receipt_outcomes_total", {{"carrier", "tri"}, {"outcome", "delivered"}}) == 4);
  CHECK(delta("smsgw_receipt_outcomes_total", {{"carrier", "indosat"}, {"outcome", "undeliverable"}}) == 3);
  CHECK(delta("smsgw_receipt_outcomes_total", {{"carrier", "xl"}, {"outcome", "rejected"}}) == 3);
  CHECK(delta("smsgw_receipt_outcomes_total") == 13);
  CHECK(delta("smsgw_receipts_unmatched_total") == 0);

  CHECK(delta("smsgw_retries_total", {{"reason", "failed_receipt"}}) == 4);
  CHECK(delta("smsgw_retries_total") == 4);
  CHECK(delta("smsgw_reroutes_total") == 0);  // no alternates: every retry on the same route

  CHECK(delta("smsgw_message_outcomes_total", {{"state", "delivered"}, {"carrier", "telkomsel"}, {"priority", "otp"}}) == 3);
  CHECK(delta("smsgw_message_outcomes_total", {{"state", "delivered"}, {"carrier", "tri"}, {"priority", "otp"}}) == 4);
  CHECK(delta("smsgw_message_outcomes_total", {{"state", "undeliverable"}, {"carrier", "indosat"}}) == 1);
  CHECK(delta("smsgw_message_outcomes_total", {{"state", "undeliverable"}, {"carrier", "xl"}}) == 1);
  CHECK(delta("smsgw_message_outcomes_total") == 9);

  // Every 2nd submit_sm to tri was throttled, retried by the carrier and not failed.
  CHECK(delta("smsgw_throttle_responses_total", {{"carrier", "tri"}}) >= 2);
  CHECK(delta("smsgw_throttle_responses_total", {{"carrier", "telkomsel"}}) == 0);
  CHECK(delta("smsgw_carrier_rate_cuts_total", {{"carrier", "tri"}}) >= 1);

  CHECK(delta("smsgw_submit_latency_seconds_count", {{"route", "telkomsel"}}) == 3);
  CHECK(delta("smsgw_submit_latency_seconds_count") == 13);
  CHECK(delta("smsgw_receipt_latency_seconds_count", {{"route", "tri"}}) == 4);
  CHECK(delta("smsgw_receipt_latency_seconds_count") == 13);
  CHECK(after.get("smsgw_receipt_latency_seconds_bucket", {{"route", "tri"}, {"le", "+Inf"}}) ==
        after.get("smsgw_receipt_latency_seconds_count", {{"route", "tri"}}));

  CHECK(delta("smsgw_api_responses_total", {{"endpoint", "/v1/otp"}, {"status", "202"}}) == 9);
  CHECK(delta("smsgw_api_responses_total", {{"endpoint", "/v1/otp"}, {"status", "400"}}) == 1);
  CHECK(delta("smsgw_api_responses_total", {{"endpoint", "none"}, {"status", "404"}}) == 1);
  CHECK(after.get("smsgw_api_responses_total", {{"endpoint", "/metrics"}, {"status", "200"}}) >= 1);
  CHECK(delta("smsgw_api_request_duration_seconds_count", {{"endpoint", "/v1/otp"}}) == 10);

  // Every 202 waited for an fsync of the WAL (synchronous = full, pipelined): timed.
  CHECK(delta("smsgw_queue_fsync_duration_seconds_count") >= 1);
  CHECK(after.get("smsgw_queue_fsync_failures_total") == 0);
  CHECK(after.get("smsgw_queue_commit_failures_total") == 0);
  // Exported (whether a round was hosted depends on this machine's fsync times).
  CHECK(after.get("smsgw_queue_hosted_rounds_total") >= 0);
  CHECK(after.get("smsgw_queue_checkpoints_total") >= 0);

  // Nothing waits now.
  CHECK(after.get("smsgw_queue_up") == 1);
  CHECK(after.sum("smsgw_queue_messages") == 0);
  CHECK(after.get("smsgw_queue_oldest_otp_age_seconds") == 0);

  // Every metric the alert rules and the Grafana dashboard use is one the daemon exposes.
  std::set<std::string> families;
  {
    std::regex type_line(R"(# TYPE (\S+) )");
    for (std::sregex_iterator it(after.text.begin(), after.text.end(), type_line), end; it != end; ++it)
      families.insert((*it)[1]);
  }
  for (auto const* file : {"conf/monitoring/smsgw.rules.yml", "conf/monitoring/smsgw.grafana.json"}) {
    auto const text = read_file(fs::path(SMSGW_SOURCE_DIR) / file);
    REQUIRE(!text.empty());
    std::regex used(R"(smsgw_[a-z0-9_]+)");
    std::size_t n = 0;
    for (std::sregex_iterator it(text.begin(), text.end(), used), end; it != end; ++it, ++n) {
      std::string name = (*it)[0];
      for (auto const* suffix : {"_bucket", "_count", "_sum"})
        if (name.ends_with(suffix) && families.count(name.substr(0, name.size() - std::strlen(suffix))))
          name = name.substr(0, name.size() - std::strlen(suffix));
      INFO(file << ": " << name);
      CHECK(families.count(name) == 1);
    }
    CHECK(n > 5);
  }

  // No number, no code in any label or anywhere in the text.
  for (auto const& s : plan) {
    CHECK(after.text.find(s.to.substr(1)) == std::string::npos);
    CHECK(after.text.find("62" + s.to.substr(1)) == std::string::npos);
  }
  CHECK(after.text.find("739110") == std::string::npos);
}

TEST_CASE("GET /metrics shows a carrier with no bind and its OTP waiting", "[e2e][metrics]") {
  require_promtool();
  gateway gw({{"telkomsel", {}, "same", {}}, {"xl", {}, "same", {}}});
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") >= 1 && bound_links(gw, "xl") >= 1; },
                     startup_deadline));
  gw.sim("telkomsel").kill9();
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 0; }, startup_deadline));

  auto r = gw.send_otp("081211110001", "482913", {{"ttl_seconds", 600}});
  REQUIRE(r.status == 202);
  exposition m;
  // Bounded wait for the clock to move past the acceptance's millisecond (the queue keeps
  // milliseconds; a scrape reads it at most once a second).
  wait_until([&] {
    m = scrape(gw);
    return m.get("smsgw_queue_oldest_otp_age_seconds") > 0 &&
           m.get("smsgw_queue_otp_validity_used_ratio") > 0;
  }, startup_deadline, std::chrono::milliseconds(50));
  auto check = promtool_check(gw.dir.path(), m.text);
  INFO(check.output);
  CHECK(check.exit_code == 0);
  CHECK(m.get("smsgw_carrier_bound_links", {{"carrier", "telkomsel"}}) == 0);
  CHECK(m.get("smsgw_carrier_bound_links", {{"carrier", "xl"}}) >= 1);
  CHECK(m.get("smsgw_queue_messages", {{"state", "queued"}, {"carrier", "telkomsel"}, {"priority", "otp"}}) == 1);
  CHECK(m.sum("smsgw_queue_messages") == 1);
  CHECK(m.get("smsgw_queue_oldest_otp_age_seconds") > 0);
  CHECK(m.get("smsgw_queue_otp_validity_used_ratio") > 0);
  CHECK(m.get("smsgw_queue_otp_validity_used_ratio") < 0.5);
  CHECK(m.text.find("81211110001") == std::string::npos);
}
