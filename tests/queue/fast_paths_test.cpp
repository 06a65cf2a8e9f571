// tests/queue/fast_paths_test.cpp: the set-based paths the store takes for speed (issue #3)
// behave like the one-by-one paths they replaced: mark_sending for a batch with one message
// refused or expired, claim over expired messages in the middle of the queue, a late
// submit_sm_resp's history, and the history trigger that records every state change (schema
// step 4). On real SQLite files, fake time.
#include "queue/store.hpp"

#include "queue_fixture.hpp"

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {

std::vector<message_id> enqueue_n(store& s, int n, std::chrono::milliseconds validity = 5min) {
  std::vector<message_id> ids;
  for (int i = 0; i < n; ++i) {
    auto req = otp("62811111" + std::to_string(10000 + i), "");
    req.validity = validity;
    ids.push_back(enqueue_ok(s, req));
  }
  return ids;
}

}  // namespace

TEST_CASE("mark_sending marks a whole batch, or explains the one it refuses") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto ids = enqueue_n(s, 3);
  REQUIRE(s.claim("telkomsel", 3, t0())->size() == 3);

  SECTION("all claimed: all marked, in the order given") {
    std::vector<message_id> order{ids[2], ids[0], ids[1]};
    CHECK(*s.mark_sending(order, t0() + 1s) == order);
    for (auto id : ids) CHECK(s.get(id)->sending_at == t0() + 1s);
  }
  SECTION("one not claimed: invalid_state, and none is marked") {
    auto extra = enqueue_ok(s, otp("6289999999999", ""));
    std::vector<message_id> batch{ids[0], extra, ids[1]};
    auto r = s.mark_sending(batch, t0() + 1s);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::invalid_state);
    for (auto id : ids) CHECK_FALSE(s.get(id)->sending_at.has_value());
  }
  SECTION("the same id twice: invalid_state, none marked") {
    std::vector<message_id> batch{ids[0], ids[0]};
    CHECK(s.mark_sending(batch, t0() + 1s).error().code == errc::invalid_state);
    CHECK_FALSE(s.get(ids[0])->sending_at.has_value());
  }
  SECTION("an unknown id: not_found") {
    std::vector<message_id> batch{ids[0], 4242};
    CHECK(s.mark_sending(batch, t0() + 1s).error().code == errc::not_found);
  }
}

TEST_CASE("mark_sending leaves out the one that expired and marks the others") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto keep = enqueue_n(s, 2);
  auto req = otp("6287777777777", "");
  req.validity = 10s;
  auto short_lived = enqueue_ok(s, req);
  REQUIRE(s.claim("telkomsel", 3, t0())->size() == 3);
  std::vector<message_id> batch{keep[0], short_lived, keep[1]};
  auto r = s.mark_sending(batch, t0() + 10s);
  REQUIRE(r.has_value());
  CHECK(*r == std::vector<message_id>{keep[0], keep[1]});
  CHECK(s.get(short_lived)->st == state::expired);
  CHECK(s.history(short_lived)->back().detail == "expired before it could be sent");
  CHECK(s.get(keep[1])->sending_at == t0() + 10s);
}

TEST_CASE("claim expires the stale ones it walks past and still fills the batch") {
  temp_dir dir;
  auto s = open_store(dir.file());
  // Queue order: 2 valid, 3 expiring at t0 + 10 s, 4 valid.
  auto a = enqueue_n(s, 2);
  std::vector<message_id> stale;
  for (int i = 0; i < 3; ++i) {
    auto req = otp("62822222" + std::to_string(10000 + i), "");
    req.validity = 10s;
    stale.push_back(enqueue_ok(s, req));
  }
  std::vector<message_id> b;
  for (int i = 0; i < 4; ++i)
    b.push_back(enqueue_ok(s, otp("62833333" + std::to_string(10000 + i), "")));

  auto got = s.claim("telkomsel", 4, t0() + 10s);
  REQUIRE(got->size() == 4);
  CHECK((*got)[0].id == a[0]);
  CHECK((*got)[1].id == a[1]);
  CHECK((*got)[2].id == b[0]);
  CHECK((*got)[3].id == b[1]);
  for (auto const& m : *got) {
    CHECK(m.st == state::in_flight);
    CHECK(m.attempts == 1);
    CHECK(m.detail == "claimed");
  }
  for (auto id : stale) {
    CHECK(s.get(id)->st == state::expired);
    CHECK(s.get(id)->attempts == 0);
    CHECK(s.history(id)->back().from == state::queued);
  }
  CHECK(s.get(b[2])->st == state::queued);  // not reached: left alone
}

TEST_CASE("a late submit_sm_resp after outcome_unknown is recorded as such") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = enqueue_ok(s, otp());
  REQUIRE(s.claim("telkomsel", 1, t0())->size() == 1);
  std::vector<message_id> ids{id};
  REQUIRE(s.mark_sending(ids, t0())->size() == 1);
  REQUIRE(s.mark_outcome_unknown(id, "submit_sm_resp timeout", t0() + 30s).has_value());
  REQUIRE(s.mark_submitted(id, "tsel-a", "77", t0() + 31s).has_value());
  auto h = *s.history(id);
  CHECK(h.back().from == state::outcome_unknown);
  CHECK(h.back().to == state::submitted);
  CHECK(h.back().at == t0() + 31s);
  CHECK(h.back().detail.find("late") != std::string::npos);
  CHECK(h.back().smsc_message_id == "77");
}

TEST_CASE("the database records every state change, one without a new history key fails") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = enqueue_ok(s, otp());
  auto& db = s.database();
  // A state change made outside the store's code still gets its history row.
  db.exec("UPDATE messages SET state = 7, updated_at = 1767225605000, detail = 'by hand', "
          "history_len = history_len + 1, last_event = (SELECT max(id) + 1 FROM events) "
          "WHERE id = " + std::to_string(id));
  auto h = *s.history(id);
  REQUIRE(h.size() == 2);
  CHECK(h[1].from == state::queued);
  CHECK(h[1].to == state::cancelled);
  CHECK(h[1].at == t0() + 5s);
  CHECK(h[1].detail == "by hand");
  // Forgetting to give it a new history key (last_event, schema step 7) collides with the
  // existing row: refused, nothing changes.
  CHECK_THROWS_AS(db.exec("UPDATE messages SET state = 8, history_len = history_len + 1 "
                          "WHERE id = " + std::to_string(id)),
                  smsgw::sqlite::error);
  CHECK(s.get(id)->st == state::cancelled);
  CHECK(s.history(id)->size() == 2);
}

TEST_CASE("claim_for_sending claims and marks a batch in one commit, as claim + mark_sending") {
  temp_dir dir;
  std::vector<message_id> ids;
  {
    auto s = open_store(dir.file());
    auto stale = enqueue_n(s, 1, 1s);  // first in line, past its expiry at the claim
    ids = enqueue_n(s, 3);
    auto claimed = s.claim_for_sending("telkomsel", 2, t0() + 2s);
    REQUIRE(claimed.has_value());
    REQUIRE(claimed->size() == 2);
    // Claim order, and every one comes back marked as handed to a link.
    CHECK((*claimed)[0].id == ids[0]);
    CHECK((*claimed)[1].id == ids[1]);
    for (auto const& m : *claimed) {
      CHECK(m.st == state::in_flight);
      CHECK(m.sending_at == t0() + 2s);
      CHECK(m.attempts == 1);
      auto h = s.history(m.id).value();
      REQUIRE(h.size() == 2);  // enqueue, then one event for claim + sending mark
      CHECK(h[1].to == state::in_flight);
      CHECK(h[1].detail == "claimed for sending");
    }
    // Not a second mark: mark_sending refuses what is already being sent.
    std::vector<message_id> again{ids[0]};
    CHECK(s.mark_sending(again, t0() + 3s).error().code == errc::invalid_state);
    CHECK(s.get(ids[2])->st == state::queued);
    CHECK(s.get(stale[0])->st == state::expired);
    // The plain claim leaves the mark for mark_sending.
    auto plain = s.claim("telkomsel", 1, t0() + 2s).value();
    REQUIRE(plain.size() == 1);
    CHECK_FALSE(plain[0].sending_at.has_value());
    CHECK(s.history(plain[0].id).value().back().detail == "claimed");
  }
  // A crash now: the two claimed for sending may have reached the SMSC (outcome_unknown),
  // the plainly claimed one surely did not (queued again).
  auto s = open_store(dir.file(), t0() + 4s);
  CHECK(s.last_recovery().outcome_unknown == 2);
  CHECK(s.last_recovery().requeued == 1);
  CHECK(s.get(ids[0])->st == state::outcome_unknown);
  CHECK(s.get(ids[1])->st == state::outcome_unknown);
  CHECK(s.get(ids[2])->st == state::queued);
}

TEST_CASE("clear_sending_marks takes the mark off so a crash requeues instead of outcome_unknown") {
  temp_dir dir;
  std::vector<message_id> ids;
  {
    auto s = open_store(dir.file());
    ids = enqueue_n(s, 3);
    auto claimed = s.claim_for_sending("telkomsel", 2, t0() + 2s).value();
    REQUIRE(claimed.size() == 2);
    // ids[1] goes to another carrier's buffer: its mark comes off; ids[2] (still queued) and
    // an unknown id are passed over.
    std::vector<message_id> off{ids[1], ids[2], 9999};
    auto cleared = s.clear_sending_marks(off);
    REQUIRE(cleared.has_value());
    CHECK(*cleared == 1);
    CHECK_FALSE(s.get(ids[1])->sending_at.has_value());
    CHECK(s.get(ids[1])->st == state::in_flight);
    CHECK(s.get(ids[0])->sending_at.has_value());
    // The carrier that writes it marks it again as usual.
    std::vector<message_id> again{ids[1]};
    CHECK(s.mark_sending(again, t0() + 3s).value() == again);
    auto third = s.clear_sending_marks(again);
    REQUIRE(third.has_value());
    CHECK(*third == 1);
  }
  auto s = open_store(dir.file(), t0() + 4s);
  CHECK(s.last_recovery().outcome_unknown == 1);
  CHECK(s.get(ids[0])->st == state::outcome_unknown);
  CHECK(s.get(ids[1])->st == state::queued);  // never written: not "outcome unknown"
  CHECK(s.get(ids[2])->st == state::queued);
}

TEST_CASE("claim takes exactly the rows it read, across priority classes and retries not due") {
  // claim() reads the batch, then updates each priority class's range of messages_due up to
  // the last id it read: a row inside that range that was not read (a retry not due yet) must
  // stay queued, and a class the batch did not reach must stay untouched.
  temp_dir dir;
  auto s = open_store(dir.file());
  auto mk = [&](std::string num, priority p) {
    auto r = otp(std::move(num), "");
    r.prio = p;
    return enqueue_ok(s, r);
  };
  auto otp1 = mk("6281100000001", priority::otp);
  auto otp_retry = mk("6281100000002", priority::otp);
  auto otp2 = mk("6281100000003", priority::otp);
  auto tx1 = mk("6281100000004", priority::transactional);
  auto tx2 = mk("6281100000005", priority::transactional);
  auto bulk = mk("6281100000006", priority::bulk);
  // otp_retry: claimed, then requeued not before t0 + 1 min.
  REQUIRE(s.claim("telkomsel", 2, t0())->size() == 2);  // otp1 and otp_retry
  REQUIRE(s.requeue(otp1, "", t0(), "again now", t0()).value() == state::queued);
  REQUIRE(s.requeue(otp_retry, "", t0() + 1min, "later", t0()).value() == state::queued);

  auto got = s.claim_for_sending("telkomsel", 3, t0() + 1s).value();
  std::vector<message_id> ids;
  for (auto const& m : got) ids.push_back(m.id);
  CHECK(ids == std::vector<message_id>{otp1, otp2, tx1});
  for (auto const& m : got) {
    // What comes back is the row as the claim left it.
    auto stored = s.get(m.id).value();
    CHECK(m.st == state::in_flight);
    CHECK(stored.st == state::in_flight);
    CHECK(m.attempts == stored.attempts);
    CHECK(m.sending_at == stored.sending_at);
    CHECK(m.updated_at == stored.updated_at);
    CHECK(m.detail == stored.detail);
    CHECK(m.text == stored.text);
  }
  CHECK(s.get(otp1)->attempts == 2);
  CHECK(s.get(otp_retry)->st == state::queued);  // inside the range, not due: left alone
  CHECK(s.get(tx2)->st == state::queued);        // after the last one read
  CHECK(s.get(bulk)->st == state::queued);       // a class not reached
  CHECK(s.history(otp_retry)->back().detail == "later");

  // The rest, in claim order, once the retry is due.
  auto rest = s.claim("telkomsel", 10, t0() + 2min).value();
  ids.clear();
  for (auto const& m : rest) ids.push_back(m.id);
  CHECK(ids == std::vector<message_id>{otp_retry, tx2, bulk});
}
