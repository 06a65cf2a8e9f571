// tests/smpp/backoff_test.cpp: smpp::backoff with an injected random source: the ceiling
// doubles and is capped, full jitter spans [min_delay, ceiling], reset starts over, and
// credential errors use the slow schedule without growing the fast one.
#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

#include "smpp/backoff.hpp"

using namespace smsgw::smpp;
using namespace std::chrono_literals;

namespace {
backoff_config cfg() {
  backoff_config c;
  c.initial = 1s;
  c.max = 30s;
  c.multiplier = 2.0;
  c.min_delay = 100ms;
  c.credential_delay = 10min;
  return c;
}
}  // namespace

TEST_CASE("backoff: ceiling doubles up to the cap (random = 1 - epsilon)", "[backoff]") {
  backoff b(cfg(), [] { return 0.999999; });
  std::vector<std::chrono::milliseconds> got;
  for (int i = 0; i < 8; ++i) got.push_back(b.next());
  std::vector<std::chrono::milliseconds> const want{1s, 2s, 4s, 8s, 16s, 30s, 30s, 30s};
  CHECK(got == want);
  CHECK(b.attempts() == 8);
}

TEST_CASE("backoff: full jitter scales the ceiling, never below min_delay", "[backoff]") {
  double r = 0.5;
  backoff b(cfg(), [&r] { return r; });
  CHECK(b.next() == 500ms);   // ceiling 1 s
  CHECK(b.next() == 1000ms);  // ceiling 2 s
  r = 0.0;
  CHECK(b.next() == 100ms);  // ceiling 4 s, draw 0 -> floor
  r = 0.25;
  CHECK(b.next() == 2000ms);  // ceiling 8 s
}

TEST_CASE("backoff: reset after a successful bind starts over", "[backoff]") {
  backoff b(cfg(), [] { return 0.999999; });
  for (int i = 0; i < 5; ++i) (void)b.next();
  CHECK(b.ceiling() == 30s);
  b.reset();
  CHECK(b.attempts() == 0);
  CHECK(b.next() == 1s);
}

TEST_CASE("backoff: credential errors wait 5-10 min and do not grow the fast schedule",
          "[backoff]") {
  double r = 0.0;
  backoff b(cfg(), [&r] { return r; });
  CHECK(b.next(true) == 5min);
  r = 0.999999;
  CHECK(b.next(true) == 10min);
  CHECK(b.attempts() == 0);
  CHECK(b.next() == 1s);
}

TEST_CASE("backoff: many failures neither overflow nor exceed the cap", "[backoff]") {
  backoff b(cfg(), [] { return 0.999999; });
  for (int i = 0; i < 1000; ++i) REQUIRE(b.next() <= 30s);
  CHECK(b.next() == 30s);
}

TEST_CASE("backoff: the default random source stays within [min_delay, ceiling]", "[backoff]") {
  backoff b(cfg());
  for (int i = 0; i < 200; ++i) {
    auto const ceiling = b.ceiling();
    auto const d = b.next();
    REQUIRE(d >= 100ms);
    REQUIRE(d <= ceiling);
  }
}
