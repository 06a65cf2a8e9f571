// tests/daemon/dispatch/deadline_estimate_test.cpp: the pure estimator of deadline-aware routing
// (daemon/dispatch/deadline_estimate.hpp) with explicit instants (an injected clock): the wait
// is backlog ÷ effective rate, a route that is down never fits, the receipt latency starts at
// the prior, is replaced by the first receipt and then follows an EWMA, and its memory of
// submit times is bounded.
#include <catch2/catch.hpp>

#include <cmath>

#include "daemon/dispatch/deadline_estimate.hpp"

using namespace smsgw;
using namespace std::chrono_literals;

namespace {
std::chrono::system_clock::time_point t(double seconds) {
  return std::chrono::system_clock::time_point{} + std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::duration<double>(1'767'225'600.0 + seconds));
}
}  // namespace

TEST_CASE("deadline estimate: the wait is the OTP backlog over the effective rate", "[deadline]") {
  CHECK(effective_rate(true, 50, 50) == 50);
  CHECK(effective_rate(true, 50, 2) == 2);    // a throttle cut the bucket below the cap
  CHECK(effective_rate(true, 10, 40) == 10);  // a peak window's cap below the bucket
  CHECK(effective_rate(false, 50, 50) == 0);  // no bound link
  auto e = estimate_route(30, 2, 1.5);
  CHECK(e.backlog_otp == 30);
  CHECK(e.wait_seconds == Approx(15));
  CHECK(e.total_seconds() == Approx(16.5));
  CHECK(fits(e, 20, 3));       // 16.5 + 3 <= 20
  CHECK_FALSE(fits(e, 19, 3)); // 19.5 > 19
  auto idle = estimate_route(0, 1, 0.2);
  CHECK(idle.wait_seconds == 0);
  CHECK(fits(idle, 1, 0.5));
}

TEST_CASE("deadline estimate: a route that is down never fits", "[deadline]") {
  auto down = estimate_route(0, 0, 0.1);
  CHECK(std::isinf(down.wait_seconds));
  CHECK_FALSE(fits(down, 1e9, 0));
  CHECK_FALSE(fits(estimate_route(5, effective_rate(false, 100, 100), 0), 3600, 0));
}

TEST_CASE("receipt latency: the prior, then the first receipt, then a moving average", "[deadline]") {
  receipt_latency_learner l;
  CHECK(l.seconds("tsel") == receipt_latency_learner::prior_seconds);
  CHECK(l.samples("tsel") == 0);
  l.submitted(1, t(0));
  auto got = l.receipt(1, "tsel", t(2));
  REQUIRE(got);
  CHECK(*got == Approx(2));
  CHECK(l.seconds("tsel") == Approx(2));  // the first replaces the prior
  l.submitted(2, t(10));
  l.receipt(2, "tsel", t(22));            // 12 s
  CHECK(l.seconds("tsel") == Approx(0.2 * 12 + 0.8 * 2));
  CHECK(l.samples("tsel") == 2);
  CHECK(l.seconds("isat") == receipt_latency_learner::prior_seconds);  // per carrier
  // Unknown or already answered ids teach nothing.
  CHECK_FALSE(l.receipt(2, "tsel", t(30)));
  CHECK_FALSE(l.receipt(99, "tsel", t(30)));
  CHECK(l.samples("tsel") == 2);
}

TEST_CASE("receipt latency: one very late receipt counts at most max_sample_seconds", "[deadline]") {
  receipt_latency_learner l;
  l.submitted(1, t(0));
  l.receipt(1, "xl", t(1));
  l.submitted(2, t(0));
  l.receipt(2, "xl", t(86400));
  CHECK(l.seconds("xl") ==
        Approx(0.2 * receipt_latency_learner::max_sample_seconds + 0.8 * 1));
}

TEST_CASE("receipt latency: submit times kept are bounded, the oldest ids go first", "[deadline]") {
  receipt_latency_learner l(3);
  for (std::int64_t id = 1; id <= 5; ++id) l.submitted(id, t(0));
  CHECK(l.pending() == 3);
  CHECK_FALSE(l.receipt(1, "tsel", t(1)));
  CHECK_FALSE(l.receipt(2, "tsel", t(1)));
  CHECK(l.receipt(5, "tsel", t(1)));
  l.forget(4);
  CHECK(l.pending() == 1);
}

TEST_CASE("receipt latency: learn() counts a latency from the last run as a receipt would",
          "[deadline]") {
  receipt_latency_learner l;
  l.learn("tsel", 30);
  CHECK(l.seconds("tsel") == Approx(30));  // replaces the prior, as a first receipt does
  l.learn("tsel", 10);
  CHECK(l.seconds("tsel") == Approx(0.2 * 10 + 0.8 * 30));
  CHECK(l.samples("tsel") == 2);
  // Bounded like a receipt: past max_sample_seconds counts as it, below 0 as 0.
  l.learn("xl", 1e6);
  CHECK(l.seconds("xl") == Approx(receipt_latency_learner::max_sample_seconds));
  l.learn("isat", -3);
  CHECK(l.seconds("isat") == Approx(0));
  // A live receipt after it goes on from the learnt average.
  l.submitted(7, t(0));
  l.receipt(7, "tsel", t(5));
  CHECK(l.seconds("tsel") == Approx(0.2 * 5 + 0.8 * (0.2 * 10 + 0.8 * 30)));
  CHECK(l.pending() == 0);
}

TEST_CASE("receipt latency: a message this run never saw accepted learns from its recorded acceptance",
          "[deadline]") {
  receipt_latency_learner l;
  // Submitted before a restart: only the store's time of the acceptance is known.
  auto got = l.receipt(41, "tsel", t(7), t(3));
  REQUIRE(got);
  CHECK(*got == Approx(4));
  CHECK(l.seconds("tsel") == Approx(4));
  CHECK(l.samples("tsel") == 1);
  // When this run saw the acceptance, its own time wins, and is used once.
  l.submitted(42, t(10));
  got = l.receipt(42, "tsel", t(12), t(9));
  REQUIRE(got);
  CHECK(*got == Approx(2));
  CHECK(l.pending() == 0);
  // Neither known: nothing learnt.
  CHECK_FALSE(l.receipt(43, "tsel", t(20), std::nullopt));
  CHECK(l.samples("tsel") == 2);
}
