// tests/queue/live_settings_test.cpp: what a configuration reload changes in a running store
// (queue/store.hpp, "live settings"): limits switched on, changed and off for the next
// enqueue, counts so far kept; invalid limits refused with the old ones kept; a new retry
// policy asked for the next failed receipt; count_unfinished_for counts what still needs a
// carrier (queued or in flight for it or routed through it, submitted through it) and
// nothing final.
#include "queue/store.hpp"

#include "queue_fixture.hpp"

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

TEST_CASE("limits set on a running store apply to the next enqueue") {
  temp_dir dir;
  auto s = open_store(dir.file());
  // No limits: a second OTP for the same number and purpose is accepted (it supersedes).
  CHECK(s.enqueue(otp("6281234567890", "login", t0()))->what == enqueue_outcome::kind::accepted);
  limits_config resend;
  resend.resend_interval = 30s;
  REQUIRE(s.set_limits(resend).has_value());
  auto r = s.enqueue(otp("6281234567890", "login", t0() + 1s));
  REQUIRE(r.has_value());
  CHECK(r->what == enqueue_outcome::kind::refused);
  // Invalid limits are refused; the ones in force stay.
  limits_config bad;
  bad.prefix_hidden_digits = 0;
  auto refused = s.set_limits(bad);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == errc::invalid_argument);
  CHECK(s.enqueue(otp("6281234567890", "login", t0() + 2s))->what == enqueue_outcome::kind::refused);
  // Off again: accepted.
  REQUIRE(s.set_limits(std::nullopt).has_value());
  CHECK(s.enqueue(otp("6281234567890", "login", t0() + 3s))->what == enqueue_outcome::kind::accepted);
}

TEST_CASE("a retry policy set on a running store is asked for the next failed receipt") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = enqueue_ok(s, otp());
  REQUIRE(s.claim("telkomsel", 1, t0())->size() == 1);
  REQUIRE(s.mark_sending(std::span(&id, 1), t0()).has_value());
  REQUIRE(s.mark_submitted(id, "telkomsel", "abc", t0()).has_value());
  int asked = 0;
  s.set_retry_policy([&](message const&, retry_reason) -> std::optional<retry_plan> {
    ++asked;
    return retry_plan{"indosat", t0() + 1s, "via indosat"};
  });
  auto rr = s.apply_receipt("telkomsel", "abc", receipt_outcome::undeliverable, "stat:UNDELIV err:001", t0() + 1s);
  REQUIRE(rr.has_value());
  CHECK(asked == 1);
  auto m = s.get(id);
  CHECK(m->st == state::queued);
  CHECK(m->route == "indosat");
}

TEST_CASE("count_unfinished_for counts what still needs a carrier") {
  temp_dir dir;
  auto s = open_store(dir.file());
  CHECK(*s.count_unfinished_for("telkomsel") == 0);
  auto queued = enqueue_ok(s, otp("6281200000001"));
  auto sent = enqueue_ok(s, otp("6281200000002"));
  auto other = otp("6285700000003");
  other.carrier = "indosat";
  enqueue_ok(s, other);
  CHECK(*s.count_unfinished_for("telkomsel") == 2);
  CHECK(*s.count_unfinished_for("indosat") == 1);
  CHECK(*s.count_unfinished_for("xl") == 0);
  // Claimed (both telkomsel ones, in id order), one submitted: both still count.
  REQUIRE(s.claim("telkomsel", 2, t0())->size() == 2);
  REQUIRE(s.mark_sending(std::span(&sent, 1), t0()).has_value());
  REQUIRE(s.mark_submitted(sent, "telkomsel", "m1", t0()).has_value());
  CHECK(*s.count_unfinished_for("telkomsel") == 2);
  // Final: no longer counted.
  REQUIRE(s.apply_receipt("telkomsel", "m1", receipt_outcome::delivered, "stat:DELIVRD err:000", t0() + 1s).has_value());
  REQUIRE(s.mark_rejected(queued, "refused", t0() + 1s).has_value());
  CHECK(*s.count_unfinished_for("telkomsel") == 0);
  CHECK(*s.count_unfinished_for("indosat") == 1);
}
