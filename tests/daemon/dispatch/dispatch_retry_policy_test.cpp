// tests/daemon/dispatch/dispatch_retry_policy_test.cpp: daemon/dispatch/retry_policy.hpp as a pure function with
// fake time: which priorities and causes are retried, the route rotation [home, alternates...],
// the attempt caps, and that nothing is planned past a message's expiry.
#include <catch2/catch.hpp>

#include "daemon/config/config.hpp"
#include "daemon/dispatch/retry_policy.hpp"

using namespace smsgw;
using namespace std::chrono_literals;

namespace {

queue::time_point const t0 = queue::time_point(std::chrono::seconds(1'800'000'000));

route_table routes() {
  daemon_config cfg;
  for (auto name : {"tsel", "isat", "xl"}) {
    route_config rc;
    rc.link.name = name;
    cfg.carriers.push_back(rc);
  }
  cfg.carriers[0].alternates = {"isat", "xl"};
  cfg.carriers[1].alternates = {"tsel"};
  return make_route_table(cfg);
}

/// An OTP of tsel as claim() hands it out after `attempts` submits, the last one via `route`.
queue::message otp(int attempts, std::string route = "") {
  queue::message m;
  m.id = 7;
  m.prio = queue::priority::otp;
  m.carrier = "tsel";
  m.route = std::move(route);
  m.attempts = attempts;
  m.expires_at = t0 + 5min;
  return m;
}

}  // namespace

TEST_CASE("the route table lists each carrier first, then its alternates", "[retry_policy]") {
  auto t = routes();
  CHECK(t.at("tsel") == std::vector<std::string>{"tsel", "isat", "xl"});
  CHECK(t.at("isat") == std::vector<std::string>{"isat", "tsel"});
  CHECK(t.at("xl") == std::vector<std::string>{"xl"});
}

TEST_CASE("an OTP rotates through [home, alternates...] until max attempts", "[retry_policy]") {
  auto t = routes();
  retry_settings s;  // 3 attempts
  auto why = GENERATE(retry_cause::refused, retry_cause::outcome_unknown,
                      retry_cause::failed_receipt, retry_cause::recovered_unknown);
  auto second = plan_retry(otp(1, "tsel"), why, t, s, t0);
  REQUIRE(second);
  CHECK(second->route == "isat");
  CHECK(second->not_before == t0);  // another carrier: at once
  CHECK(second->detail.find("retry 2/3 via isat") != std::string::npos);
  auto third = plan_retry(otp(2, "isat"), why, t, s, t0);
  REQUIRE(third);
  CHECK(third->route == "xl");
  CHECK_FALSE(plan_retry(otp(3, "xl"), why, t, s, t0));
}

TEST_CASE("with no alternate left the OTP waits before using the same route again",
          "[retry_policy]") {
  auto t = routes();
  retry_settings s;
  s.max_otp_attempts = 5;
  auto m = otp(3, "xl");  // next: routes[3 % 3] = tsel (a switch: at once)
  auto d = plan_retry(m, retry_cause::refused, t, s, t0);
  REQUIRE(d);
  CHECK(d->route == "tsel");
  CHECK(d->not_before == t0);
  m.carrier = "xl";  // xl has no alternate: always xl, after same_route_delay
  d = plan_retry(m, retry_cause::refused, t, s, t0);
  REQUIRE(d);
  CHECK(d->route == "xl");
  CHECK(d->not_before == t0 + s.same_route_delay);
  m.carrier = "unknown";  // not configured (config changed since): its own name is its route
  m.route = "";
  d = plan_retry(m, retry_cause::refused, t, s, t0);
  REQUIRE(d);
  CHECK(d->route == "unknown");
}

TEST_CASE("nothing is planned for an expired OTP or one that would go out after expiry",
          "[retry_policy]") {
  auto t = routes();
  retry_settings s;
  auto m = otp(1, "tsel");
  CHECK_FALSE(plan_retry(m, retry_cause::refused, t, s, m.expires_at));
  CHECK_FALSE(plan_retry(m, retry_cause::refused, t, s, m.expires_at + 1s));
  CHECK(plan_retry(m, retry_cause::refused, t, s, m.expires_at - 1ms));  // switch: at once
  m.carrier = "xl";
  m.route = "xl";  // same route: due only after the delay, which is past expiry
  CHECK_FALSE(plan_retry(m, retry_cause::refused, t, s, m.expires_at - 1s));
  CHECK(plan_retry(m, retry_cause::refused, t, s, m.expires_at - s.same_route_delay - 1ms));
}

TEST_CASE("transactional is retried only after a certain failure, bulk never", "[retry_policy]") {
  auto t = routes();
  retry_settings s;  // transactional: 2 attempts
  auto m = otp(1, "tsel");
  m.prio = queue::priority::transactional;
  CHECK(plan_retry(m, retry_cause::refused, t, s, t0));
  auto d = plan_retry(m, retry_cause::failed_receipt, t, s, t0);
  REQUIRE(d);
  CHECK(d->route == "isat");
  CHECK_FALSE(plan_retry(m, retry_cause::outcome_unknown, t, s, t0));    // maybe a duplicate
  CHECK_FALSE(plan_retry(m, retry_cause::recovered_unknown, t, s, t0));  // maybe a duplicate
  m.attempts = 2;
  CHECK_FALSE(plan_retry(m, retry_cause::failed_receipt, t, s, t0));
  m.attempts = 1;
  m.prio = queue::priority::bulk;
  auto why = GENERATE(retry_cause::refused, retry_cause::outcome_unknown,
                      retry_cause::failed_receipt, retry_cause::recovered_unknown);
  CHECK_FALSE(plan_retry(m, why, t, s, t0));
}

TEST_CASE("no receipt in time: OTP and transactional go to the next route, bulk never",
          "[retry_policy][receipt_timeout]") {
  auto t = routes();
  retry_settings s;
  auto p = plan_retry(otp(1, "tsel"), retry_cause::no_receipt, t, s, t0 + 30s);
  REQUIRE(p);
  CHECK(p->route == "isat");
  CHECK(p->not_before == t0 + 30s);  // a switch goes at once
  CHECK(p->detail.find("no receipt on tsel") != std::string::npos);

  auto tx = otp(1, "tsel");
  tx.prio = queue::priority::transactional;
  REQUIRE(plan_retry(tx, retry_cause::no_receipt, t, s, t0 + 30s));
  tx.attempts = s.max_transactional_attempts;
  CHECK_FALSE(plan_retry(tx, retry_cause::no_receipt, t, s, t0 + 30s));
  auto bulk = otp(1, "tsel");
  bulk.prio = queue::priority::bulk;
  CHECK_FALSE(plan_retry(bulk, retry_cause::no_receipt, t, s, t0 + 30s));

  // Never on the route that stayed silent: isat's only other route is tsel.
  auto back = otp(2, "isat");
  back.carrier = "isat";
  auto q = plan_retry(back, retry_cause::no_receipt, t, s, t0 + 30s);
  REQUIRE(q);
  CHECK(q->route == "tsel");
  auto alone = otp(1, "xl");
  alone.carrier = "xl";
  CHECK_FALSE(plan_retry(alone, retry_cause::no_receipt, t, s, t0 + 30s));
  // Nothing past the expiry.
  CHECK_FALSE(plan_retry(otp(1, "tsel"), retry_cause::no_receipt, t, s, t0 + 5min));
}

TEST_CASE("filtered: the next route at once, filtering routes never again", "[retry_policy][filtered]") {
  auto t = routes();
  retry_settings s;
  auto m = otp(1, "tsel");
  m.filtered_routes = "tsel";
  auto p = plan_retry(m, retry_cause::filtered, t, s, t0);
  REQUIRE(p);
  CHECK(p->route == "isat");
  CHECK(p->not_before == t0);

  // Attempt 3 would rotate back to tsel after isat's missing receipt: it takes xl instead,
  // and a later failure anywhere never picks tsel.
  m.attempts = 2;
  m.route = "isat";
  auto q = plan_retry(m, retry_cause::no_receipt, t, s, t0);
  REQUIRE(q);
  CHECK(q->route == "xl");
  s.max_otp_attempts = 10;
  for (int k = 1; k < 10; ++k) {
    auto r = otp(k, "xl");
    r.filtered_routes = "tsel";
    for (auto why : {retry_cause::refused, retry_cause::failed_receipt, retry_cause::outcome_unknown}) {
      auto plan = plan_retry(r, why, t, s, t0);
      REQUIRE(plan);
      CHECK(plan->route != "tsel");
    }
  }
  // Every route filtered it: no plan.
  auto all = otp(2, "isat");
  all.filtered_routes = "tsel,isat,xl";
  CHECK_FALSE(plan_retry(all, retry_cause::filtered, t, s, t0));
  // A bulk message is never retried, filtered or not.
  auto bulk = otp(1, "tsel");
  bulk.prio = queue::priority::bulk;
  CHECK_FALSE(plan_retry(bulk, retry_cause::filtered, t, s, t0));
}

TEST_CASE("a route that gave the message no receipt is planned again only when no other is left",
          "[retry_policy][no_receipt]") {
  auto t = routes();
  retry_settings s;
  s.max_otp_attempts = 5;
  // tsel gave no receipt (attempt 1), isat filtered (attempt 2), xl undelivered (attempt 3):
  // the rotation's attempt 4 is tsel, which would be the third silent send there.
  auto m = otp(3, "xl");
  m.silent_routes = "tsel";
  m.filtered_routes = "isat";
  auto p = plan_retry(m, retry_cause::failed_receipt, t, s, t0);
  REQUIRE(p);
  CHECK(p->route == "xl");  // the only route that neither filtered it nor stayed silent
  CHECK(p->not_before == t0 + s.same_route_delay);
  // xl gave no receipt too: the route just used is left, and tsel is the last one there is.
  m.silent_routes = "tsel,xl";
  auto q = plan_retry(m, retry_cause::no_receipt, t, s, t0);
  REQUIRE(q);
  CHECK(q->route == "tsel");
  // The rotation itself is unchanged for a message no route was silent for.
  auto fresh = otp(3, "xl");
  auto r = plan_retry(fresh, retry_cause::failed_receipt, t, s, t0);
  REQUIRE(r);
  CHECK(r->route == "tsel");
}
