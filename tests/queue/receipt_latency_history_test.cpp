// tests/queue/receipt_latency_history_test.cpp: store::receipt_latencies(), the submit ->
// final receipt latencies read back from the history for the daemon's learner after a
// restart, on real SQLite files (reopened, as a restart would).
// - Each attempt that went from submitted to delivered, undeliverable or no_receipt gives one
//   sample: its carrier is the route it went through (via_carrier), its latency the time
//   between the two history rows; oldest first.
// - Messages never submitted, or still waiting for their receipt, give none.
// - max_samples keeps the newest; max_rows bounds the walk back from the head of the history.
#include "queue/store.hpp"

#include "queue_fixture.hpp"

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {

/// An OTP of telkomsel for `recipient`, claimed and accepted by `via`'s SMSC as `smsc_id` at
/// `accepted`.
message_id submitted_via(store& s, std::string recipient, std::string const& via,
                         std::string const& smsc_id, time_point accepted) {
  auto id = enqueue_ok(s, otp(std::move(recipient)));
  auto claimed = s.claim("telkomsel", 10, t0());
  REQUIRE(claimed.has_value());
  REQUIRE(claimed->size() == 1);
  std::vector<message_id> ids{id};
  REQUIRE(s.mark_sending(ids, t0())->size() == 1);
  REQUIRE(s.mark_submitted(id, via, smsc_id, accepted, via, std::nullopt).has_value());
  return id;
}

}  // namespace

TEST_CASE("receipt latencies: one per finished attempt, by the route it went through, oldest first",
          "[queue][receipt_latency]") {
  temp_dir dir;
  {
    auto s = open_store(dir.file(), t0());
    submitted_via(s, "6281100000001", "telkomsel", "a1", t0() + 1s);
    submitted_via(s, "6281100000002", "indosat", "b1", t0() + 2s);
    submitted_via(s, "6281100000003", "telkomsel", "a2", t0() + 3s);
    // Submitted with no receipt yet, and never submitted: no sample.
    submitted_via(s, "6281100000005", "telkomsel", "a3", t0() + 4s);
    enqueue_ok(s, otp("6281100000004"));

    REQUIRE(s.apply_receipt("telkomsel", "a1", receipt_outcome::delivered, "stat:DELIVRD",
                            t0() + 13s).has_value());                      // 12 s
    REQUIRE(s.apply_receipt("indosat", "b1", receipt_outcome::undeliverable, "stat:UNDELIV",
                            t0() + 42s).has_value());                      // 40 s
    REQUIRE(s.apply_receipt("telkomsel", "a2", receipt_outcome::delivered, "stat:DELIVRD",
                            t0() + 45s).has_value());                      // 42 s
  }
  auto s = open_store(dir.file(), t0() + 1min);  // as after a restart
  auto lat = s.receipt_latencies(100, 10'000);
  REQUIRE(lat.has_value());
  REQUIRE(lat->size() == 3);
  CHECK((*lat)[0].carrier == "telkomsel");
  CHECK((*lat)[0].latency == 12s);
  CHECK((*lat)[0].at == t0() + 13s);
  CHECK((*lat)[1].carrier == "indosat");
  CHECK((*lat)[1].latency == 40s);
  CHECK((*lat)[2].carrier == "telkomsel");
  CHECK((*lat)[2].latency == 42s);

  SECTION("max_samples keeps the newest") {
    auto newest = s.receipt_latencies(2, 10'000);
    REQUIRE(newest.has_value());
    REQUIRE(newest->size() == 2);
    CHECK((*newest)[0].carrier == "indosat");
    CHECK((*newest)[1].latency == 42s);
  }
  SECTION("max_rows bounds the walk back from the newest history row") {
    // a2's receipt is the newest history row: a walk of one row sees it alone.
    auto one_row = s.receipt_latencies(100, 1);
    REQUIRE(one_row.has_value());
    REQUIRE(one_row->size() == 1);
    CHECK((*one_row)[0].latency == 42s);
  }
  SECTION("nothing asked, nothing read") {
    CHECK(s.receipt_latencies(0, 10'000)->empty());
    CHECK(s.receipt_latencies(10, 0)->empty());
  }
}

TEST_CASE("receipt latencies: an attempt settled without a receipt counts up to its settling",
          "[queue][receipt_latency]") {
  temp_dir dir;
  auto s = open_store(dir.file(), t0());
  submitted_via(s, "6281100000011", "xl", "x1", t0() + 1s);
  // No retry plan: at its expiry (5 min validity) plus the grace it becomes no_receipt.
  auto settled = s.settle_unreceipted(t0() + 5min + 1s, 0s);
  REQUIRE(settled.has_value());
  REQUIRE(settled->size() == 1);
  REQUIRE((*settled)[0].msg.st == state::no_receipt);

  auto lat = s.receipt_latencies(10, 100);
  REQUIRE(lat.has_value());
  REQUIRE(lat->size() == 1);
  CHECK((*lat)[0].carrier == "xl");
  CHECK((*lat)[0].latency == 5min);
}

TEST_CASE("receipt latencies: an empty queue has none", "[queue][receipt_latency]") {
  temp_dir dir;
  auto s = open_store(dir.file(), t0());
  auto lat = s.receipt_latencies(10, 100);
  REQUIRE(lat.has_value());
  CHECK(lat->empty());
}
