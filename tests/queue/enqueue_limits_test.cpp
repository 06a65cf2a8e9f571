// tests/queue/enqueue_limits_test.cpp: the per-number limits (queue/rate_limits.hpp) as part of
// enqueue: a refusal is a normal outcome naming the limit and the time to ask again, stores
// no message, and a duplicate idempotency key is not counted as a new request. The limit rules
// themselves are tested in rate_limits_test.cpp.
#include "queue/store.hpp"

#include "queue_fixture.hpp"

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

TEST_CASE("the per-number limit refuses the sixth OTP within 15 minutes") {
  temp_dir dir;
  store_options opts;
  opts.limits = limits_config{};
  opts.limits->per_prefix.clear();
  auto s = open_store(dir.file(), t0(), opts);
  for (int i = 0; i < 5; ++i) {
    auto r = s.enqueue(otp("6281234567890", "login", t0() + std::chrono::minutes(i)));
    REQUIRE(r.has_value());
    CHECK(r->what == enqueue_outcome::kind::accepted);
  }
  auto refused = s.enqueue(otp("6281234567890", "login", t0() + 6min));
  REQUIRE(refused.has_value());
  CHECK(refused->what == enqueue_outcome::kind::refused);
  REQUIRE(refused->refusal.has_value());
  CHECK_FALSE(refused->refusal->limit.empty());
  CHECK(refused->refusal->retry_after > t0() + 6min);
  CHECK(s.count_by_state()->at(0) == 1);  // the newest, the others superseded
  CHECK(s.count_by_state()->at(8) == 4);

  // Another number is not affected.
  CHECK(s.enqueue(otp("6289876543210", "login", t0() + 6min))->what ==
        enqueue_outcome::kind::accepted);

  SECTION("limits persist across a restart") {
    auto s2 = open_store(dir.file(), t0() + 7min, opts);
    CHECK(s2.enqueue(otp("6281234567890", "login", t0() + 7min))->what ==
          enqueue_outcome::kind::refused);
  }
}

TEST_CASE("a repeated idempotency key is answered without counting against the limit") {
  temp_dir dir;
  store_options opts;
  opts.limits = limits_config{};
  auto s = open_store(dir.file(), t0(), opts);
  auto req = otp();
  req.idempotency_key = "k";
  for (int i = 0; i < 20; ++i) {
    auto r = s.enqueue(req);
    REQUIRE(r.has_value());
    CHECK(r->what != enqueue_outcome::kind::refused);
  }
}
