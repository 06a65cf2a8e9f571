// tests/queue/receipts_test.cpp: correlation of delivery receipts: by (carrier, normalised SMSC
// id) whatever bind delivered them; held when they overtake the submit_sm_resp; applied once;
// orphans recorded; stale held receipts become orphans. Every call commits before returning.
#include "queue/store.hpp"

#include "queue_fixture.hpp"

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {

// Enqueues one OTP and claims it; if `smsc_id` is given, marks it sending then submitted.
message_id submitted(store& s, std::string recipient, std::string carrier, std::string smsc_id) {
  auto req = otp(std::move(recipient));
  req.carrier = carrier;
  auto id = enqueue_ok(s, req);
  REQUIRE(s.claim(carrier, 10, t0())->size() == 1);
  std::vector<message_id> ids{id};
  REQUIRE(s.mark_sending(ids, t0()).has_value());
  if (!smsc_id.empty()) REQUIRE(s.mark_submitted(id, "r1", smsc_id, t0() + 1s).has_value());
  return id;
}

}  // namespace

TEST_CASE("a receipt is matched by carrier and SMSC id") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto tsel = submitted(s, "6281111111111", "telkomsel", "00ab12");
  auto isat = submitted(s, "6285555555555", "indosat", "00ab12");  // same id, other carrier

  auto r = s.apply_receipt("indosat", "00ab12", receipt_outcome::undeliverable,
                           "stat:UNDELIV err:001", t0() + 5s);
  REQUIRE(r.has_value());
  CHECK(r->status == receipt_status::applied);
  CHECK(r->id == isat);
  CHECK(s.get(isat)->st == state::undeliverable);
  CHECK(s.get(tsel)->st == state::submitted);
}

TEST_CASE("the same receipt twice is applied once") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = submitted(s, "6281111111111", "telkomsel", "77");
  auto first = s.apply_receipt("telkomsel", "77", receipt_outcome::delivered, "d", t0() + 5s);
  auto second = s.apply_receipt("telkomsel", "77", receipt_outcome::delivered, "d", t0() + 6s);
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(first->status == receipt_status::applied);
  CHECK(second->status == receipt_status::duplicate);
  CHECK(second->id == id);
  auto h = *s.history(id);
  CHECK(std::count_if(h.begin(), h.end(), [](event const& e) {
          return e.to == state::delivered;
        }) == 1);
  CHECK(receipts_with_status(s, receipt_status::duplicate) == 1);

  // Another outcome for the same id is not a duplicate: recorded, the final state kept.
  auto other = s.apply_receipt("telkomsel", "77", receipt_outcome::undeliverable, "u", t0() + 7s);
  REQUIRE(other.has_value());
  CHECK(other->status == receipt_status::applied);
  CHECK(s.get(id)->st == state::delivered);
  CHECK(s.history(id)->size() == h.size() + 1);
  auto other_again =
      s.apply_receipt("telkomsel", "77", receipt_outcome::undeliverable, "u", t0() + 8s);
  CHECK(other_again->status == receipt_status::duplicate);
  CHECK(s.history(id)->size() == h.size() + 1);
}

TEST_CASE("a receipt that overtakes its submit_sm_resp is held, then applied") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = submitted(s, "6281111111111", "telkomsel", "");  // sending, no resp yet
  auto r = s.apply_receipt("telkomsel", "5f", receipt_outcome::delivered, "stat:DELIVRD",
                           t0() + 1s);
  REQUIRE(r.has_value());
  CHECK(r->status == receipt_status::pending);
  CHECK(s.get(id)->st == state::in_flight);

  // The same receipt again while held: still only one.
  auto again = s.apply_receipt("telkomsel", "5f", receipt_outcome::delivered, "stat:DELIVRD",
                               t0() + 1s);
  CHECK(again->status == receipt_status::duplicate);

  REQUIRE(s.mark_submitted(id, "r1", "5f", t0() + 2s).has_value());
  CHECK(s.get(id)->st == state::delivered);
  CHECK(receipts_with_status(s, receipt_status::pending) == 0);
  CHECK(receipts_with_status(s, receipt_status::applied) == 1);
  auto h = *s.history(id);
  CHECK(h.back().to == state::delivered);
  CHECK(h.back().detail.find("held until submit_sm_resp") != std::string::npos);
}

TEST_CASE("a receipt for an unknown id is recorded as orphan") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto r = s.apply_receipt("telkomsel", "nope", receipt_outcome::delivered, "x", t0());
  REQUIRE(r.has_value());
  CHECK(r->status == receipt_status::orphan);
  CHECK_FALSE(r->id.has_value());
  CHECK(receipts_with_status(s, receipt_status::orphan) == 1);
}

TEST_CASE("a held receipt whose id never appears becomes an orphan after the hold time") {
  temp_dir dir;
  store_options opts;
  opts.receipt_hold = 10min;
  auto s = open_store(dir.file(), t0(), opts);
  submitted(s, "6281111111111", "telkomsel", "");
  REQUIRE(s.apply_receipt("telkomsel", "zz", receipt_outcome::delivered, "x", t0())->status ==
          receipt_status::pending);
  REQUIRE(s.expire_due(t0() + 9min).has_value());
  CHECK(receipts_with_status(s, receipt_status::pending) == 1);
  REQUIRE(s.expire_due(t0() + 10min).has_value());
  CHECK(receipts_with_status(s, receipt_status::pending) == 0);
  CHECK(receipts_with_status(s, receipt_status::orphan) == 1);
}

TEST_CASE("a recorded receipt survives reopening (it was committed before returning)") {
  temp_dir dir;
  message_id id = 0;
  {
    auto s = open_store(dir.file());
    id = submitted(s, "6281111111111", "telkomsel", "abc");
    REQUIRE(s.apply_receipt("telkomsel", "abc", receipt_outcome::delivered, "x", t0())
                .has_value());
  }
  auto s = open_store(dir.file());
  CHECK(s.get(id)->st == state::delivered);
  // Applied on the fast path: its record is the history row (time, detail), not `receipts`.
  CHECK(receipts_with_status(s, receipt_status::applied) == 0);
  auto h = *s.history(id);
  CHECK(h.back().to == state::delivered);
  CHECK(h.back().at == t0());
  CHECK(h.back().detail == "receipt: x");
  // A repeat after the restart is still recognised, and recorded as a duplicate.
  auto again = s.apply_receipt("telkomsel", "abc", receipt_outcome::delivered, "x", t0() + 1s);
  REQUIRE(again.has_value());
  CHECK(again->status == receipt_status::duplicate);
  CHECK(again->id == id);
  CHECK(receipts_with_status(s, receipt_status::duplicate) == 1);
  CHECK(s.history(id)->size() == h.size());
}

TEST_CASE("apply_receipts records a batch in one transaction") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto a = submitted(s, "6281111111111", "telkomsel", "a");
  auto b = submitted(s, "6282222222222", "telkomsel", "b");
  std::vector<receipt> rs{{"telkomsel", "a", receipt_outcome::delivered, ""},
                          {"telkomsel", "b", receipt_outcome::undeliverable, ""},
                          {"telkomsel", "a", receipt_outcome::delivered, ""},
                          {"telkomsel", "c", receipt_outcome::delivered, ""}};
  auto r = s.apply_receipts(rs, t0() + 3s);
  REQUIRE(r.has_value());
  CHECK((*r)[0].res.status == receipt_status::applied);
  CHECK((*r)[1].res.status == receipt_status::applied);
  CHECK((*r)[2].res.status == receipt_status::duplicate);
  CHECK((*r)[3].res.status == receipt_status::orphan);
  CHECK(s.get(a)->st == state::delivered);
  CHECK(s.get(b)->st == state::undeliverable);
  // Each applied one says when its attempt became submitted (mark_submitted's time), the
  // learner's fallback for a message submitted before a restart; the others do not.
  REQUIRE((*r)[0].submitted_at.has_value());
  CHECK(*(*r)[0].submitted_at == t0() + 1s);
  REQUIRE((*r)[1].submitted_at.has_value());
  CHECK(*(*r)[1].submitted_at == t0() + 1s);
  CHECK_FALSE((*r)[2].submitted_at.has_value());
  CHECK_FALSE((*r)[3].submitted_at.has_value());
}

TEST_CASE("a receipt for a message already final is recorded but changes nothing") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = submitted(s, "6281111111111", "telkomsel", "q");
  REQUIRE(s.apply_receipt("telkomsel", "q", receipt_outcome::delivered, "", t0()).has_value());
  auto r = s.apply_receipt("telkomsel", "q", receipt_outcome::undeliverable, "", t0());
  REQUIRE(r.has_value());
  CHECK(s.get(id)->st == state::delivered);
  CHECK(s.history(id)->back().detail.find("state kept") != std::string::npos);
}
