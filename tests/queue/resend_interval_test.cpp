// tests/queue/resend_interval_test.cpp: the resend interval (limits_config::resend_interval,
// docs/limits.md "Resend interval") as part of enqueue, on a real SQLite file with fake time:
// a second OTP for the same number and purpose within the interval after the last accepted
// one is refused (resend_mode::refuse) or answered with the earlier message
// (resend_mode::suppress); either way nothing is stored, nothing is counted, and the earlier
// message goes on as it is, even when it is already on its way.
#include "queue/store.hpp"

#include "queue_fixture.hpp"

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {

store_options with_interval(std::chrono::milliseconds interval, resend_mode mode) {
  store_options opts;
  opts.limits = limits_config{};
  opts.limits->resend_interval = interval;
  opts.limits->on_resend = mode;
  return opts;
}

std::int64_t message_count(store& s) {
  smsgw::sqlite::statement q(s.database(), "SELECT count(*) FROM messages");
  q.step();
  return q.column_int64(0);
}

std::int64_t number_events(store& s) {
  smsgw::sqlite::statement q(s.database(), "SELECT count(*) FROM rate_number_events");
  q.step();
  return q.column_int64(0);
}

/// The first OTP, accepted and then claimed for sending: on its way, as in the storm the
/// interval is for (supersede could not replace it).
message_id first_on_the_wire(store& s) {
  auto id = enqueue_ok(s, otp("6281234567890", "login", t0()));
  auto claimed = s.claim_for_sending("telkomsel", 10, t0() + 100ms);
  REQUIRE(claimed.has_value());
  REQUIRE(claimed->size() == 1);
  return id;
}

}  // namespace

TEST_CASE("refuse mode: a second OTP within the interval is refused until it ends") {
  temp_dir dir;
  auto s = open_store(dir.file(), t0(), with_interval(30s, resend_mode::refuse));
  auto first = first_on_the_wire(s);

  for (auto offset : {900ms, 10'000ms, 29'999ms}) {
    INFO(offset.count());
    auto r = s.enqueue(otp("6281234567890", "login", t0() + offset));
    REQUIRE(r.has_value());
    CHECK(r->what == enqueue_outcome::kind::refused);
    REQUIRE(r->refusal.has_value());
    CHECK(r->refusal->limit == "resend interval 30 s");
    CHECK(r->refusal->retry_after == t0() + 30s);
    CHECK(r->id == first);  // the message the user gets
  }
  // Nothing stored, nothing counted, the first one still on its way.
  CHECK(message_count(s) == 1);
  CHECK(number_events(s) == 1);
  CHECK(s.get(first)->st == state::in_flight);

  // From the end of the interval, the next one is accepted.
  auto after = s.enqueue(otp("6281234567890", "login", t0() + 30s));
  REQUIRE(after.has_value());
  CHECK(after->what == enqueue_outcome::kind::accepted);
  CHECK(after->id != first);
  CHECK(s.get(first)->st == state::in_flight);  // already sent: not superseded

  // The interval now runs from the accepted one.
  auto again = s.enqueue(otp("6281234567890", "login", t0() + 45s));
  REQUIRE(again.has_value());
  CHECK(again->what == enqueue_outcome::kind::refused);
  CHECK(again->id == after->id);
  CHECK(again->refusal->retry_after == t0() + 60s);
}

TEST_CASE("suppress mode: a second OTP within the interval is answered with the earlier one") {
  temp_dir dir;
  auto s = open_store(dir.file(), t0(), with_interval(30s, resend_mode::suppress));
  auto first = first_on_the_wire(s);

  for (int i = 0; i < 7; ++i) {
    auto r = s.enqueue(otp("6281234567890", "login", t0() + 250ms * (i + 1)));
    REQUIRE(r.has_value());
    CHECK(r->what == enqueue_outcome::kind::resend_suppressed);
    CHECK(r->id == first);
    CHECK(r->st == state::in_flight);
    CHECK(r->superseded.empty());
    REQUIRE(r->refusal.has_value());
    CHECK(r->refusal->retry_after == t0() + 30s);
  }
  CHECK(message_count(s) == 1);
  CHECK(number_events(s) == 1);  // suppressed requests do not count toward the limits
  CHECK(s.get(first)->st == state::in_flight);

  // A suppressed request does not extend the interval.
  auto after = s.enqueue(otp("6281234567890", "login", t0() + 30s));
  REQUIRE(after.has_value());
  CHECK(after->what == enqueue_outcome::kind::accepted);
}

TEST_CASE("the interval is per number and purpose, and only for OTPs with a purpose") {
  temp_dir dir;
  auto s = open_store(dir.file(), t0(), with_interval(30s, resend_mode::refuse));
  first_on_the_wire(s);
  auto accepted = [&](enqueue_request const& r) {
    auto out = s.enqueue(r);
    REQUIRE(out.has_value());
    return out->what == enqueue_outcome::kind::accepted;
  };
  CHECK(accepted(otp("6281234567890", "reset-password", t0() + 1s)));
  CHECK(accepted(otp("6281234567891", "login", t0() + 1s)));
  // No purpose: no supersede and no interval (each such OTP stands alone).
  CHECK(accepted(otp("6281234567890", "", t0() + 2s)));
  CHECK(accepted(otp("6281234567890", "", t0() + 3s)));
  // Transactional messages are not OTPs.
  auto tx = otp("6281234567890", "login", t0() + 4s);
  tx.prio = priority::transactional;
  CHECK(accepted(tx));
  // The same number and purpose still is held.
  CHECK_FALSE(accepted(otp("6281234567890", "login", t0() + 5s)));
}

TEST_CASE("resend interval 0 is off: a second OTP supersedes the queued one as before") {
  temp_dir dir;
  auto s = open_store(dir.file(), t0(), with_interval(0ms, resend_mode::refuse));
  auto first = enqueue_ok(s, otp("6281234567890", "login", t0()));
  auto second = s.enqueue(otp("6281234567890", "login", t0() + 1s));
  REQUIRE(second.has_value());
  CHECK(second->what == enqueue_outcome::kind::accepted);
  CHECK(second->superseded == std::vector<message_id>{first});
  CHECK(s.get(first)->st == state::superseded);
}

TEST_CASE("a repeated idempotency key within the interval is a duplicate, not a resend") {
  temp_dir dir;
  auto s = open_store(dir.file(), t0(), with_interval(30s, resend_mode::refuse));
  auto req = otp("6281234567890", "login", t0());
  req.idempotency_key = "login-1";
  auto first = enqueue_ok(s, req);
  req.now = t0() + 5s;
  auto again = s.enqueue(req);
  REQUIRE(again.has_value());
  CHECK(again->what == enqueue_outcome::kind::duplicate);
  CHECK(again->id == first);
}

TEST_CASE("the resend interval holds across a restart") {
  temp_dir dir;
  auto opts = with_interval(30s, resend_mode::refuse);
  message_id first = 0;
  {
    auto s = open_store(dir.file(), t0(), opts);
    first = first_on_the_wire(s);
  }
  auto s2 = open_store(dir.file(), t0() + 10s, opts);
  auto r = s2.enqueue(otp("6281234567890", "login", t0() + 10s));
  REQUIRE(r.has_value());
  CHECK(r->what == enqueue_outcome::kind::refused);
  CHECK(r->id == first);
}

TEST_CASE("the resend interval is validated") {
  limits_config cfg;
  cfg.resend_interval = 3'600'001ms;
  REQUIRE(validate(cfg).has_value());
  CHECK(validate(cfg)->find("resend_interval") != std::string::npos);
  cfg.resend_interval = -1ms;
  CHECK(validate(cfg).has_value());
  cfg.resend_interval = 3'600'000ms;
  CHECK_FALSE(validate(cfg).has_value());
  CHECK(resend_limit_name(30s) == "resend interval 30 s");
}

TEST_CASE("inside the interval during a limit's cooldown, the answer's retry time is the limit's") {
  for (auto mode : {resend_mode::refuse, resend_mode::suppress}) {
    INFO(to_string(mode));
    temp_dir dir;
    auto opts = with_interval(30s, mode);
    opts.limits->per_prefix.clear();
    auto s = open_store(dir.file(), t0(), opts);
    // 5 OTPs 31 s apart: the 5th trips "5 per 15 min" (cooldown 30 min from it).
    auto const fifth = t0() + 4 * 31s;
    message_id last = 0;
    for (int i = 0; i < 5; ++i) last = enqueue_ok(s, otp("6281234567890", "login", t0() + i * 31s));
    auto r = s.enqueue(otp("6281234567890", "login", fifth + 10s));
    REQUIRE(r.has_value());
    REQUIRE(r->refusal.has_value());
    CHECK(r->refusal->limit == "5 per 15 min");
    CHECK(r->refusal->retry_after == fifth + 30min);
    if (mode == resend_mode::refuse) {
      CHECK(r->what == enqueue_outcome::kind::refused);
      CHECK(r->id == 0);  // a plain limit refusal
    } else {
      CHECK(r->what == enqueue_outcome::kind::resend_suppressed);
      CHECK(r->id == last);  // still the message the user gets
    }
  }
}
