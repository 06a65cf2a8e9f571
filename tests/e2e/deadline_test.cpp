// tests/e2e/deadline_test.cpp: deadline-aware routing (issue #13 section 7) with the daemon as a
// process, two smsc-sim carriers and the API socket only. Telkomsel runs at 1 SMS/s (burst 1),
// its simulator answering every 4th submit ESME_RTHROTTLED (which cuts the rate further), with
// a backlog of long-lived OTPs queued for it; Indosat, its alternate, is idle. Promises under
// test:
//  - OTPs whose validity cannot be met behind that backlog go via Indosat (history and the
//    simulator that received them say so) and are delivered; the backlog stays home;
//  - with [routing] deadline_routing = false they stay home (so this test can fail), and none
//    is sent after its expiry;
//  - with [api] refuse_would_expire = true and no route able to make it, POST /v1/otp answers
//    503 would_expire with the estimate and stores nothing; other priorities are not refused;
//  - the receipt latency learnt per carrier survives a restart (read back from the queue's
//    history), instead of starting again from the prior.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

constexpr int backlog_count = 30;
constexpr int short_count = 4;
// Fits at Indosat (prior receipt latency 5 s + margin 2 s) while at least 7 s are left, so
// claimed within 9 s of its POST; never at home behind 20 or more OTPs at 1 SMS/s or less.
constexpr int short_ttl_seconds = 16;
constexpr double backlog_seen_seconds = 20;

std::vector<carrier_spec> slow_home_fast_alternate(std::vector<std::string> home_alternates) {
  return {
      // 1 SMS/s, and its SMSC answers every 4th submit ESME_RTHROTTLED (the bucket's rate is cut).
      {"telkomsel", {"--id-format", "hex", "--fault-throttle-every", "4"}, "same", std::move(home_alternates),
       "burst = 1\nsender = \"TSEL\"\n", 1},
      {"indosat", {"--id-format", "dec"}, "same", {"telkomsel"}, "sender = \"ISAT\"\n"},
  };
}

/// /healthz's estimate of `carrier`'s wait in seconds (-1 if absent or null).
double wait_seconds(gateway const& gw, std::string const& carrier) {
  auto r = gw.api.get("/healthz");
  if (!r.ok || r.status != 200 || !r.at("estimate").is_object()) return -1;
  auto const& e = r.at("estimate").as_object();
  if (!e.contains(carrier)) return -1;
  auto const& w = e.at(carrier).as_object().at("wait_seconds");
  return w.is_number() ? w.to_number<double>() : -1;
}

/// /healthz's estimate field `field` of `carrier` (-1 if absent or null).
double estimate_field(gateway const& gw, std::string const& carrier, std::string const& field) {
  auto r = gw.api.get("/healthz");
  if (!r.ok || r.status != 200 || !r.at("estimate").is_object()) return -1;
  auto const& e = r.at("estimate").as_object();
  if (!e.contains(carrier)) return -1;
  auto const& v = e.at(carrier).as_object().at(field);
  return v.is_number() ? v.to_number<double>() : -1;
}

/// Queues the backlog: OTPs for Telkomsel numbers valid for 10 minutes.
void queue_backlog(gateway& gw) {
  for (int i = 0; i < backlog_count; ++i) {
    auto r = gw.send_otp(fmt::format("08121111{:04d}", i), fmt::format("{:06d}", 200000 + i),
                         {{"purpose", fmt::format("backlog-{}", i)}, {"ttl_seconds", 600}});
    REQUIRE(r.status == 202);
  }
}

struct short_otp {
  std::int64_t id;
  std::string number;  // as the SMSC sees it (62...)
};

std::vector<short_otp> send_short_otps(gateway& gw) {
  std::vector<short_otp> out;
  for (int i = 0; i < short_count; ++i) {
    auto to = fmt::format("08122222{:04d}", i);
    auto r = gw.send_otp(to, fmt::format("{:06d}", 300000 + i),
                         {{"purpose", fmt::format("short-{}", i)}, {"ttl_seconds", short_ttl_seconds}});
    REQUIRE(r.status == 202);
    out.push_back({r.at("id").as_int64(), "62" + to.substr(1)});
  }
  return out;
}

/// The routes of the "submitted" events of message `id`'s history.
std::vector<std::string> submitted_routes(gateway const& gw, std::int64_t id) {
  std::vector<std::string> out;
  auto r = gw.api.get("/v1/messages/" + std::to_string(id));
  if (!r.ok || !r.at("history").is_array()) return out;
  for (auto const& e : r.at("history").as_array()) {
    auto const& ev = e.as_object();
    if (ev.at("to").as_string() == "submitted") out.emplace_back(ev.at("route").as_string());
  }
  return out;
}

/// The two deadline cases' common run: both carriers bound, telkomsel's backlog queued and
/// seen by the estimate, then the short-lived OTPs sent and waited for until final.
struct backlogged_run {
  std::vector<short_otp> shorts;
  std::map<std::int64_t, std::string> states;
};

backlogged_run short_otps_behind_backlog(gateway& gw) {
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") > 0 && bound_links(gw, "indosat") > 0; },
                     startup_deadline));
  queue_backlog(gw);
  // The backlog is seen: 20 s or more of OTPs ahead of a new one.
  REQUIRE(wait_until([&] { return wait_seconds(gw, "telkomsel") >= backlog_seen_seconds; }, startup_deadline));
  backlogged_run run{send_short_otps(gw), {}};
  std::vector<std::int64_t> ids;
  for (auto const& s : run.shorts) ids.push_back(s.id);
  run.states = gw.wait_final(ids);
  return run;
}

}  // namespace

TEST_CASE("OTPs that cannot make their validity behind a throttled carrier's backlog go to its alternate",
          "[e2e][deadline]") {
  gateway gw(slow_home_fast_alternate({"indosat"}), "\n[routing]\ndeadline_margin_seconds = 2\n");
  auto [shorts, states] = short_otps_behind_backlog(gw);
  auto const by_isat = gw.sim("indosat").accepted_per_number();
  auto const by_tsel = gw.sim("telkomsel").accepted_per_number();
  for (auto const& s : shorts) {
    INFO("message " << s.id << " to " << s.number << " state " << states[s.id]);
    CHECK(states[s.id] == "delivered");
    CHECK(by_isat.count(s.number) == 1);
    CHECK(by_tsel.count(s.number) == 0);
    CHECK(submitted_routes(gw, s.id) == std::vector<std::string>{"indosat"});
  }
  // The long-lived backlog could wait: it stayed home.
  for (int i = 0; i < backlog_count; ++i) CHECK(by_isat.count(fmt::format("628121111{:04d}", i)) == 0);
  CHECK(gw.daemon.logs().find("via indosat") != std::string::npos);
}

TEST_CASE("With deadline_routing off the same OTPs stay behind the backlog and none is sent after expiry",
          "[e2e][deadline]") {
  gateway gw(slow_home_fast_alternate({"indosat"}),
             "\n[routing]\ndeadline_routing = false\ndeadline_margin_seconds = 2\n");
  auto [shorts, states] = short_otps_behind_backlog(gw);
  auto const by_isat = gw.sim("indosat").accepted_per_number();
  auto const by_tsel = gw.sim("telkomsel").accepted_per_number();
  int expired = 0;
  for (auto const& s : shorts) {
    INFO("message " << s.id << " to " << s.number << " state " << states[s.id]);
    CHECK(by_isat.count(s.number) == 0);
    if (states[s.id] == "expired") {
      ++expired;
      CHECK(by_tsel.count(s.number) == 0);  // never sent after its expiry
    } else {
      CHECK(states[s.id] == "delivered");
    }
  }
  CHECK(expired > 0);
}

TEST_CASE("An OTP no route can deliver in time is refused with 503 would_expire and nothing is stored",
          "[e2e][deadline]") {
  // Telkomsel has no alternate: only its own slow route counts.
  gateway gw(slow_home_fast_alternate({}), "\n[routing]\ndeadline_margin_seconds = 2\n", false);
  // The fixture's config has its own [api] table: the switch goes into it.
  auto text = read_file(gw.config_path);
  auto const at = text.find("[api]\n");
  REQUIRE(at != std::string::npos);
  text.insert(at + 6, "refuse_would_expire = true\n");
  write_file(gw.config_path, text);
  gw.daemon.start();
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") > 0; }, startup_deadline));
  queue_backlog(gw);
  REQUIRE(wait_until([&] { return wait_seconds(gw, "telkomsel") >= backlog_seen_seconds; }, startup_deadline));

  auto r = gw.send_otp("081233330001", "424242",
                       {{"ttl_seconds", 10}, {"idempotency_key", "deadline-refused-1"}});
  REQUIRE(r.status == 503);
  CHECK(r.at("error").as_string() == "would_expire");
  CHECK(r.at("validity_seconds").as_int64() == 10);
  CHECK(r.at("estimate_seconds").as_int64() >= 20);
  // Nothing was stored: the same key with a validity that fits is a new message, no duplicate.
  auto ok = gw.send_otp("081233330001", "424242",
                        {{"ttl_seconds", 600}, {"idempotency_key", "deadline-refused-1"}});
  CHECK(ok.status == 202);
  CHECK(!ok.at("duplicate").is_bool());
  // Only OTPs are refused this way.
  auto tx = gw.api.post("/v1/messages", {{"to", "081233330002"}, {"text", "your parcel left"},
                                         {"ttl_seconds", 5}});
  CHECK(tx.status == 202);
}

TEST_CASE("The receipt latency learnt before a restart is the deadline estimate's after it",
          "[e2e][deadline]") {
  // Receipts 1.5 s after each submit: far from the learner's prior (5 s).
  gateway gw({{"telkomsel", {"--receipt-delay-ms", "1500"}, "same", {}}});
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") > 0; }, startup_deadline));
  CHECK(estimate_field(gw, "telkomsel", "receipt_samples") == 0);
  CHECK(estimate_field(gw, "telkomsel", "receipt_latency_seconds") == Approx(5.0));
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = gw.send_otp(fmt::format("08123333{:04d}", i), fmt::format("{:06d}", 500000 + i),
                         {{"purpose", fmt::format("learn-{}", i)}});
    REQUIRE(r.status == 202);
    ids.push_back(r.at("id").as_int64());
  }
  for (auto const& [id, st] : gw.wait_final(ids)) CHECK(st == "delivered");
  REQUIRE(wait_until([&] { return estimate_field(gw, "telkomsel", "receipt_samples") == 3; },
                     delivery_deadline));
  double const before = estimate_field(gw, "telkomsel", "receipt_latency_seconds");
  CHECK(before >= 1.4);
  CHECK(before < 3.0);

  REQUIRE(gw.daemon.stop() == 0);
  gw.daemon.start();
  // Nothing new was delivered: what the estimate shows comes from the history.
  CHECK(estimate_field(gw, "telkomsel", "receipt_samples") == 3);
  // The history's times (the commits of the submit and of the receipt) differ from the live
  // learner's (when each was read) by a few milliseconds each.
  CHECK(estimate_field(gw, "telkomsel", "receipt_latency_seconds") == Approx(before).margin(0.25));
  CHECK(gw.daemon.logs().find("from 3 receipt(s) of the last run") != std::string::npos);
}

TEST_CASE("A receipt that comes after a restart for an OTP sent before it teaches the estimate",
          "[e2e][deadline]") {
  // Receipts 6 s after each submit (the learner's prior is 5 s): the daemon restarts while
  // they are on their way (the simulator keeps them for the next bind of the account).
  gateway gw({{"telkomsel", {"--receipt-delay-ms", "6000"}, "same", {}}});
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") > 0; }, startup_deadline));
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 3; ++i) {
    auto r = gw.send_otp(fmt::format("08123334{:04d}", i), fmt::format("{:06d}", 600000 + i),
                         {{"purpose", fmt::format("restart-{}", i)}});
    REQUIRE(r.status == 202);
    ids.push_back(r.at("id").as_int64());
  }
  REQUIRE(wait_until([&] {
    for (auto id : ids) {
      auto const m = gw.api.get(fmt::format("/v1/messages/{}", id));
      auto const& st = m.at("state");  // (the reply outlives it)
      if (!st.is_string() || st.as_string() != "submitted") return false;
    }
    return true;
  }, delivery_deadline));
  REQUIRE(gw.daemon.stop() == 0);
  gw.daemon.start();
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") > 0; }, startup_deadline));
  CHECK(estimate_field(gw, "telkomsel", "receipt_samples") == 0);  // nothing final before
  for (auto const& [id, st] : gw.wait_final(ids)) CHECK(st == "delivered");
  // Learnt from the receipts of messages this run never submitted, from the acceptance times
  // the store recorded: each latency is the simulator's 6 s, or more if a slow restart left
  // the receipts parked until the new bind (the commit of an acceptance may trail the
  // submit_sm_resp by a linger of a few tens of milliseconds).
  REQUIRE(wait_until([&] { return estimate_field(gw, "telkomsel", "receipt_samples") == 3; },
                     delivery_deadline));
  double const learnt = estimate_field(gw, "telkomsel", "receipt_latency_seconds");
  CHECK(learnt >= 5.8);
  CHECK(learnt < 20.0);
}
