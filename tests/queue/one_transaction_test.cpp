// tests/queue/one_transaction_test.cpp: store::in_one_transaction() on a real SQLite file: the
// store's calls made inside it are savepoints of one transaction (one COMMIT for all), a call
// that fails inside leaves the others' work to be committed, and a transaction that cannot
// start (a read-only database) keeps nothing and says so.
#include "queue/store.hpp"

#include "queue_fixture.hpp"

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {
/// Two messages claimed and handed to a link (in_flight with the sending mark).
std::vector<message_id> sending(store& s) {
  std::vector<message_id> ids{enqueue_ok(s, otp("6281234500001", "")),
                              enqueue_ok(s, otp("6281234500002", ""))};
  REQUIRE(s.claim("telkomsel", 10, at(1s)).has_value());
  REQUIRE(s.mark_sending(ids, at(2s)).has_value());
  return ids;
}
state state_of(store& s, message_id id) { return s.get(id).value().st; }
}  // namespace

TEST_CASE("calls in one transaction commit together and fail apart") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto ids = sending(s);
  std::vector<submission> subs{{ids[0], "telkomsel", "ab1", "telkomsel"},
                               {ids[1], "telkomsel", "ab2", "telkomsel"}};
  auto const commits_before = s.commits();
  result<std::vector<result<submitted_message>>> submitted = error{};
  result<std::vector<recorded_receipt>> good = error{}, poisoned = error{};
  auto tx = s.in_one_transaction([&] {
    submitted = s.mark_submitted_batch(subs, at(3s));
    // Refused as a whole (a receipt without an SMSC id): its savepoint rolls back alone.
    std::vector<receipt> bad{{"telkomsel", "ab2", receipt_outcome::delivered, "stat:DELIVRD"},
                             {"telkomsel", "", receipt_outcome::delivered, "stat:DELIVRD"}};
    poisoned = s.apply_receipts(bad, at(4s));
    std::vector<receipt> one{{"telkomsel", "ab1", receipt_outcome::delivered, "stat:DELIVRD err:000"}};
    good = s.apply_receipts(one, at(4s));
  });
  REQUIRE(tx.has_value());
  REQUIRE(submitted.has_value());
  CHECK((*submitted)[0].has_value());
  CHECK((*submitted)[1].has_value());
  REQUIRE_FALSE(poisoned.has_value());
  CHECK(poisoned.error().code == errc::invalid_argument);
  REQUIRE(good.has_value());
  CHECK((*good)[0].res.status == receipt_status::applied);
  CHECK(s.commits() == commits_before + 1);  // one COMMIT for all three calls
  CHECK(state_of(s, ids[0]) == state::delivered);
  CHECK(state_of(s, ids[1]) == state::submitted);  // its receipt was in the refused call
  // The refused call left no trace: no receipt row, no history row for message 2's receipt.
  CHECK(s.database().query_int("SELECT count(*) FROM receipts") == 0);
  CHECK(s.database().query_int("SELECT count(*) FROM events WHERE message_id = " +
                               std::to_string(ids[1]) + " AND to_state = " +
                               std::to_string(static_cast<int>(state::delivered))) == 0);
  CHECK_FALSE(s.database().in_transaction());
}

TEST_CASE("a transaction that cannot start keeps nothing and reports the error") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto ids = sending(s);
  s.database().exec("PRAGMA query_only = ON");
  bool ran = false;
  auto tx = s.in_one_transaction([&] { ran = true; });
  REQUIRE_FALSE(tx.has_value());
  CHECK(tx.error().code == errc::read_only);
  CHECK_FALSE(ran);
  s.database().exec("PRAGMA query_only = OFF");
  // The store goes on as before: plain transactions again, not savepoints of a lost one.
  std::vector<submission> subs{{ids[0], "telkomsel", "ab1", "telkomsel"}};
  auto r = s.mark_submitted_batch(subs, at(3s));
  REQUIRE(r.has_value());
  CHECK(state_of(s, ids[0]) == state::submitted);
  CHECK_FALSE(s.database().in_transaction());
}
