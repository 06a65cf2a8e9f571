// tests/smpp/token_bucket_test.cpp: smpp::token_bucket with fake time: burst, refill,
// oversize (multi-segment) takes, time_until, and AIMD throttling (cut on ESME_RTHROTTLED,
// holdoff, additive recovery back to the cap).
#include <catch2/catch.hpp>

#include <chrono>

#include "smpp/token_bucket.hpp"

using namespace smsgw::smpp;
using namespace std::chrono_literals;
using tp = token_bucket::time_point;

namespace {
tp const t0{std::chrono::hours(1)};

token_bucket_config cfg(double rate, double burst) {
  token_bucket_config c;
  c.rate = rate;
  c.burst = burst;
  c.throttle_factor = 0.5;
  c.min_rate = 5;
  c.recovery_step = 10;
  c.recovery_interval = 1s;
  c.throttle_holdoff = 1s;
  return c;
}
}  // namespace

TEST_CASE("token_bucket: starts full, burst then refill at rate", "[token_bucket]") {
  token_bucket b(cfg(100, 10), t0);
  for (int i = 0; i < 10; ++i) REQUIRE(b.try_take(1, t0));
  CHECK_FALSE(b.try_take(1, t0));      // burst spent
  CHECK(b.time_until(1, t0) == 10ms);  // 1 token at 100/s
  CHECK_FALSE(b.try_take(1, t0 + 9ms));
  CHECK(b.try_take(1, t0 + 10ms));
  // A long idle spell refills only up to burst.
  CHECK(b.tokens(t0 + 1h) == Approx(10));
}

TEST_CASE("token_bucket: a 3-part message costs 3 tokens", "[token_bucket]") {
  token_bucket b(cfg(100, 10), t0);
  CHECK(b.try_take(3, t0));
  CHECK(b.try_take(3, t0));
  CHECK(b.try_take(3, t0));
  CHECK(b.tokens(t0) == Approx(1));
  CHECK_FALSE(b.try_take(3, t0));  // refused whole: nothing taken
  CHECK(b.tokens(t0) == Approx(1));
  CHECK(b.time_until(3, t0) == 20ms);
  CHECK(b.try_take(3, t0 + 20ms));
}

TEST_CASE("token_bucket: a take larger than burst waits for a full bucket, then goes into debt",
          "[token_bucket]") {
  token_bucket b(cfg(10, 4), t0);
  CHECK(b.try_take(4, t0));
  CHECK(b.time_until(6, t0) == 400ms);  // only needs a full bucket (4 tokens)
  CHECK_FALSE(b.try_take(6, t0 + 399ms));
  CHECK(b.try_take(6, t0 + 400ms));
  CHECK(b.tokens(t0 + 400ms) == Approx(-2));
  CHECK(b.time_until(1, t0 + 400ms) == 300ms);  // the debt delays what follows
}

TEST_CASE("token_bucket: throttling halves the rate, once per holdoff, floored at min_rate",
          "[token_bucket]") {
  auto c = cfg(100, 10);
  c.recovery_interval = 1h;  // no recovery in this test
  token_bucket b(c, t0);
  CHECK(b.rate(t0) == Approx(100));
  REQUIRE(b.on_throttled(t0));
  CHECK(b.rate(t0) == Approx(50));
  CHECK(b.tokens(t0) <= 0);  // the pending burst is held back
  CHECK_FALSE(b.try_take(1, t0));
  // The rest of the window's throttled responses arrive together: one cut only.
  CHECK_FALSE(b.on_throttled(t0 + 10ms));
  CHECK_FALSE(b.on_throttled(t0 + 999ms));
  CHECK(b.rate(t0 + 999ms) == Approx(50));
  // After the holdoff each new signal cuts again, down to the floor.
  REQUIRE(b.on_throttled(t0 + 1s));
  CHECK(b.rate(t0 + 1s) == Approx(25));
  REQUIRE(b.on_throttled(t0 + 2s));
  CHECK(b.rate(t0 + 2s) == Approx(12.5));
  REQUIRE(b.on_throttled(t0 + 3s));
  REQUIRE(b.on_throttled(t0 + 4s));
  CHECK(b.rate(t0 + 4s) == Approx(5));  // 6.25 -> 3.125, floored at min_rate 5
}

TEST_CASE("token_bucket: after a cut the rate recovers additively back to the cap",
          "[token_bucket]") {
  token_bucket b(cfg(100, 10), t0);
  REQUIRE(b.on_throttled(t0));
  CHECK(b.rate(t0 + 999ms) == Approx(50));
  CHECK(b.rate(t0 + 1s) == Approx(60));  // +10 tokens/s per recovery_interval
  CHECK(b.rate(t0 + 3s) == Approx(80));
  CHECK(b.rate(t0 + 5s) == Approx(100));
  CHECK(b.rate(t0 + 100s) == Approx(100));  // never above the cap
  // A throttle during recovery cuts from the recovered rate: 60 -> 30 at t0+1s.
  token_bucket again(cfg(100, 10), t0);
  REQUIRE(again.on_throttled(t0));
  REQUIRE(again.on_throttled(t0 + 1s));
  CHECK(again.rate(t0 + 1s) == Approx(30));
  CHECK(again.rate(t0 + 2s) == Approx(40));
}

TEST_CASE("token_bucket: recovery is the same whether observed often or rarely", "[token_bucket]") {
  token_bucket often(cfg(100, 10), t0);
  token_bucket rarely(cfg(100, 10), t0);
  often.on_throttled(t0);
  rarely.on_throttled(t0);
  for (int ms = 0; ms <= 3500; ms += 50)
    (void)often.try_take(0, t0 + std::chrono::milliseconds(ms));
  CHECK(often.rate(t0 + 3500ms) == Approx(rarely.rate(t0 + 3500ms)));
  CHECK(rarely.rate(t0 + 3500ms) == Approx(80));
}

TEST_CASE("token_bucket: paced output matches the throttled rate", "[token_bucket]") {
  // Take one token whenever allowed over 10 s of fake time after a cut to 50/s with no
  // recovery: about 50/s plus the initial burst.
  auto c = cfg(100, 10);
  c.recovery_step = 1e-9;  // effectively no recovery within the test
  token_bucket b(c, t0);
  b.on_throttled(t0);
  int taken = 0;
  tp now = t0;
  for (int i = 0; i < 100000 && now < t0 + 10s; ++i) {
    if (b.try_take(1, now)) {
      ++taken;
      continue;
    }
    now += b.time_until(1, now);
  }
  CHECK(taken >= 495);
  CHECK(taken <= 505);
}

TEST_CASE("token_bucket: set_cap at a peak window's edge changes the rate at once", "[token_bucket]") {
  token_bucket b(cfg(100, 10), t0);
  for (int i = 0; i < 10; ++i) REQUIRE(b.try_take(1, t0));
  // The window starts: cap 20/s. The next token takes 50 ms instead of 10 ms.
  b.set_cap(20, t0);
  CHECK(b.cap() == 20);
  CHECK(b.rate(t0) == 20);
  CHECK(b.time_until(1, t0) == 50ms);
  // The window ends: back to 100/s, the refill so far kept.
  b.set_cap(100, t0 + 25ms);
  CHECK(b.rate(t0 + 25ms) == 100);
  CHECK(b.tokens(t0 + 25ms) == Approx(0.5));
  CHECK(b.time_until(1, t0 + 25ms) == 5ms);
}

TEST_CASE("token_bucket: set_cap while throttled keeps the cut rate and recovers to the new cap",
          "[token_bucket]") {
  token_bucket b(cfg(100, 10), t0);
  REQUIRE(b.on_throttled(t0));
  CHECK(b.rate(t0) == 50);
  b.set_cap(30, t0);  // below the cut rate: cut to the cap, nothing to recover
  CHECK(b.rate(t0) == 30);
  CHECK(b.rate(t0 + 10s) == 30);
  token_bucket c(cfg(100, 10), t0);
  REQUIRE(c.on_throttled(t0));
  c.set_cap(200, t0);  // above: stays cut, recovers step by step (10/s per s) up to 200
  CHECK(c.rate(t0) == 50);
  CHECK(c.rate(t0 + 1s) == 60);
  CHECK(c.rate(t0 + 100s) == 200);
}
