// tests/queue/outcome_feed_test.cpp: store::outcomes_after(), the paging query behind
// GET /v1/events, on a real SQLite file: pages cover the history in key order, each outcome
// once whatever the page size, without the enqueue and claims; history keys are never handed
// out again after purge deleted the newest rows (schema step 14), and the purge mark says
// what is gone; a migrated file counts what lies below its oldest row as purged.
#include "tests/queue/queue_fixture.hpp"

#include "queue/state.hpp"

#include <algorithm>
#include <set>

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {

/// Five OTPs through: 1-3 delivered, 4 undeliverable, 5 sent, no answer, queued again.
std::vector<message_id> load_history(store& s) {
  std::vector<message_id> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(enqueue_ok(s, otp("628123456789" + std::to_string(i), "login" + std::to_string(i))));
  auto claimed = s.claim("telkomsel", 10, at(1s));
  REQUIRE(claimed);
  REQUIRE(claimed->size() == 5);
  REQUIRE(s.mark_sending(ids, at(2s)));
  for (int i = 0; i < 4; ++i)
    REQUIRE(s.mark_submitted(ids[i], "telkomsel", "ab" + std::to_string(i), at(3s)));
  for (int i = 0; i < 3; ++i)
    REQUIRE(s.apply_receipt("telkomsel", "ab" + std::to_string(i), receipt_outcome::delivered,
                            "stat:DELIVRD err:000", at(4s)));
  REQUIRE(s.apply_receipt("telkomsel", "ab3", receipt_outcome::undeliverable, "stat:UNDELIV err:013", at(4s)));
  REQUIRE(s.mark_outcome_unknown(ids[4], "no submit_sm_resp", at(5s)));
  REQUIRE(s.requeue(ids[4], "indosat", at(6s), "retry via indosat", at(5s)));
  return ids;
}

/// Every outcome from `after` to the head, read `rows` history rows at a time.
std::vector<outcome> read_all(store& s, event_key after, std::size_t rows) {
  std::vector<outcome> out;
  for (int guard = 0; guard < 1000; ++guard) {
    auto page = s.outcomes_after(after, rows);
    REQUIRE(page);
    CHECK(page->scanned_through >= after);
    out.insert(out.end(), page->outcomes.begin(), page->outcomes.end());
    after = page->scanned_through;
    if (after >= page->head) return out;
  }
  FAIL("the feed never caught up");
  return out;
}

}  // namespace

TEST_CASE("the outcome feed pages through the history in key order, each outcome once, without the enqueue and claims") {
  temp_dir dir;
  auto s = open_store((dir.path() / "q.db").string());
  auto ids = load_history(s);

  // What the history says the outcomes are: every state change but the enqueue and claims.
  std::size_t expected = 0;
  for (auto id : ids) {
    auto h = s.history(id);
    REQUIRE(h);
    for (auto const& e : *h) expected += is_outcome(e.from, e.to);
  }
  // submitted x4, delivered x3, undeliverable, outcome_unknown, queued (retry).
  REQUIRE(expected == 10);

  auto all = read_all(s, 0, 1000);
  CHECK(all.size() == expected);
  for (std::size_t rows : {1u, 2u, 3u, 7u}) {
    INFO("page of " << rows << " rows");
    auto paged = read_all(s, 0, rows);
    REQUIRE(paged.size() == all.size());
    for (std::size_t i = 0; i < all.size(); ++i) CHECK(paged[i].key == all[i].key);
  }
  std::set<event_key> keys;
  for (std::size_t i = 0; i < all.size(); ++i) {
    auto const& o = all[i];
    keys.insert(o.key);
    if (i > 0) CHECK(o.key > all[i - 1].key);
    CHECK(o.to != state::in_flight);
    CHECK(o.from != o.to);
    CHECK(o.carrier == "telkomsel");
    CHECK(o.prio == priority::otp);
    auto idx = std::find(ids.begin(), ids.end(), o.id) - ids.begin();
    REQUIRE(idx < 5);
    CHECK(o.purpose == "login" + std::to_string(idx));
  }
  CHECK(keys.size() == all.size());
  auto const last = all.back();
  CHECK(last.id == ids[4]);
  CHECK(last.from == state::outcome_unknown);
  CHECK(last.to == state::queued);
  CHECK(last.route == "indosat");
  CHECK(last.detail == "retry via indosat");
  CHECK(last.at == at(5s));

  // Resuming from any key gives exactly the outcomes after it.
  for (auto const& o : all) {
    auto rest = read_all(s, o.key, 4);
    auto want = std::count_if(all.begin(), all.end(), [&](outcome const& x) { return x.key > o.key; });
    CHECK(static_cast<std::ptrdiff_t>(rest.size()) == want);
  }
  // From the head: nothing, and the position stays.
  auto end = s.outcomes_after(0, 1);
  REQUIRE(end);
  auto at_head = s.outcomes_after(end->head, 10);
  REQUIRE(at_head);
  CHECK(at_head->outcomes.empty());
  CHECK(at_head->scanned_through == end->head);
  CHECK(at_head->purged_through == 0);
  CHECK(s.outcomes_after(0, 0).error().code == errc::invalid_argument);
}

TEST_CASE("history keys are never handed out again after purge deleted the newest rows, and the purge mark says what is gone") {
  temp_dir dir;
  auto s = open_store((dir.path() / "q.db").string());
  auto a = enqueue_ok(s, otp("6281234567801"));
  auto b = enqueue_ok(s, otp("6281234567802"));
  REQUIRE(s.claim("telkomsel", 10, at(1s)));
  std::vector<message_id> both{a, b};
  REQUIRE(s.mark_sending(both, at(1s)));
  REQUIRE(s.mark_submitted(a, "telkomsel", "x1", at(2s)));
  REQUIRE(s.mark_submitted(b, "telkomsel", "x2", at(2s)));
  REQUIRE(s.apply_receipt("telkomsel", "x1", receipt_outcome::delivered, "stat:DELIVRD", at(3s)));
  REQUIRE(s.apply_receipt("telkomsel", "x2", receipt_outcome::delivered, "stat:DELIVRD", at(3s)));
  auto before = s.outcomes_after(0, 100);
  REQUIRE(before);
  REQUIRE(before->outcomes.size() == 4);
  auto const head = before->head;
  CHECK(before->purged_through == 0);

  // Both are final and old: purge deletes them and every history row.
  REQUIRE(*s.purge(at(1h), 100) == 2);
  auto after_purge = s.outcomes_after(0, 100);
  REQUIRE(after_purge);
  CHECK(after_purge->outcomes.empty());
  CHECK(after_purge->purged_through == head);
  CHECK(after_purge->head == head);

  // A new message's rows come after every key handed out before: a consumer that saw `head`
  // gets them (with max(id) + 1 alone they restarted at 1 and it would miss them).
  auto c = enqueue_ok(s, otp("6281234567803", "login", at(2h)));
  REQUIRE(s.claim("telkomsel", 10, at(2h)));
  std::vector<message_id> one{c};
  REQUIRE(s.mark_sending(one, at(2h)));
  REQUIRE(s.mark_submitted(c, "telkomsel", "x3", at(2h)));
  auto fresh = read_all(s, head, 100);
  REQUIRE(fresh.size() == 1);
  CHECK(fresh[0].id == c);
  CHECK(fresh[0].key > head);
  // A consumer behind the purge mark would be told (the stream's gap event).
  auto behind = s.outcomes_after(1, 100);
  REQUIRE(behind);
  CHECK(behind->purged_through == head);
  CHECK(behind->outcomes.size() == 1);
}

TEST_CASE("a file migrated to schema step 14 counts the history below its oldest row as purged") {
  temp_dir dir;
  auto const path = (dir.path() / "q.db").string();
  event_key oldest = 0;
  {
    // As a version-13 build left it: two messages enqueued, message 1 purged since (with its
    // history row), no events_purged table.
    auto db = database_at_version(path, 13);
    for (int i = 1; i <= 2; ++i) {
      auto const n = std::to_string(i);
      db.exec("INSERT INTO messages (recipient, sender, text, priority, carrier, state, "
              "created_at, expires_at, not_before, updated_at, history_len, last_event) VALUES "
              "('62812345678" + n + "', 'ACME', 'x', 0, 'telkomsel', 0, 1, 2, 1, 1, 1, " + n + ")");
      db.exec("INSERT INTO events (id, message_id, prev, seq, at, from_state, to_state, attempt) "
              "VALUES (" + n + ", " + n + ", NULL, 0, 1, NULL, 0, 0)");
    }
    db.exec("DELETE FROM events WHERE message_id = 1");
    db.exec("DELETE FROM messages WHERE id = 1");
    oldest = db.query_int("SELECT min(id) FROM events");
    REQUIRE(oldest > 1);
  }
  auto s = open_store(path);
  CHECK(s.database().query_int("PRAGMA user_version") == latest_schema_version());
  auto page = s.outcomes_after(0, 10);
  REQUIRE(page);
  CHECK(page->purged_through == oldest - 1);
}
