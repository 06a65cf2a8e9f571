// tests/queue/history_chain_test.cpp: the history as schema step 7 keeps it: rows appended
// under increasing keys and chained per message (messages.last_event, events.prev). The
// upgrade of a version-6 file (rows keyed by (message_id, seq)), history and purge along the
// chain, and keys that stay unique when something else wrote to the table in between. On
// real SQLite files, fake time.
#include "queue/schema.hpp"
#include "queue/store.hpp"

#include "queue_fixture.hpp"

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {

std::int64_t count(store& s, std::string const& sql) { return s.database().query_int(sql); }

}  // namespace

TEST_CASE("a version-6 file's history is chained on upgrade and grows from there") {
  temp_dir dir;
  {
    auto db = database_at_version(dir.file(), 6);
    // Message 1 submitted (3 rows), message 2 queued (1 row); rows written out of key order.
    db.exec("INSERT INTO messages (recipient, sender, text, priority, carrier, route, state, "
            "created_at, expires_at, not_before, updated_at, attempts, smsc_message_id, "
            "detail, history_len, via_carrier) VALUES "
            "('6281111111111', 'ACME', 'code 1', 0, 'telkomsel', '', 3, 1767225600000, "
            "1767225900000, 1767225600000, 1767225602000, 1, 'a1', 'submit_sm_resp OK', 3, "
            "'telkomsel'), "
            "('6282222222222', 'ACME', 'code 2', 0, 'telkomsel', '', 0, 1767225600000, "
            "1767225900000, 1767225600000, 1767225600000, 0, NULL, '', 1, 'telkomsel')");
    db.exec("INSERT INTO events (message_id, seq, at, from_state, to_state, attempt, detail) "
            "VALUES (2, 0, 1767225600000, NULL, 0, 0, 'enqueued'), "
            "(1, 2, 1767225602000, 1, 3, 1, 'submit_sm_resp OK'), "
            "(1, 0, 1767225600000, NULL, 0, 0, 'enqueued'), "
            "(1, 1, 1767225601000, 0, 1, 1, 'claimed for sending')");
  }
  auto s = open_store(dir.file(), t0() + 3s);
  CHECK(s.database().query_int("PRAGMA user_version") == latest_schema_version());
  auto h1 = s.history(1).value();
  REQUIRE(h1.size() == 3);
  CHECK(h1[0].detail == "enqueued");
  CHECK(h1[1].detail == "claimed for sending");
  CHECK(h1[2].detail == "submit_sm_resp OK");
  CHECK(h1[2].to == state::submitted);
  CHECK(h1[2].at == t0() + 2s);
  REQUIRE(s.history(2).value().size() == 1);
  CHECK(count(s, "SELECT count(*) FROM events WHERE prev IS NULL") == 2);

  // New rows go on the chains.
  auto r = s.apply_receipt("telkomsel", "a1", receipt_outcome::delivered, "stat:DELIVRD",
                           t0() + 4s);
  REQUIRE(r.has_value());
  CHECK(r->status == receipt_status::applied);
  h1 = s.history(1).value();
  REQUIRE(h1.size() == 4);
  CHECK(h1[3].to == state::delivered);
  CHECK(h1[3].seq == 3);
  REQUIRE(s.claim("telkomsel", 1, t0() + 4s)->size() == 1);
  auto h2 = s.history(2).value();
  REQUIRE(h2.size() == 2);
  CHECK(h2[1].to == state::in_flight);
  // Keys grow with time: the newest rows have the largest.
  CHECK(count(s, "SELECT max(id) FROM events") ==
        count(s, "SELECT last_event FROM messages WHERE id = 2"));

  // Purge follows the chain: message 1 (delivered) goes with its 4 rows, message 2 stays.
  CHECK(s.purge(t0() + 1h, 10).value() == 1);
  CHECK_FALSE(s.get(1).has_value());
  CHECK(count(s, "SELECT count(*) FROM events") == 2);
  CHECK(s.history(2).value().size() == 2);
}

TEST_CASE("history keys stay unique when something else wrote to the table in between") {
  // The store reads max(id) once per transaction and counts up from it; every commit and
  // rollback makes it read again, so a row written meanwhile (here by hand, as a repair tool
  // might) does not make the next transition collide.
  temp_dir dir;
  auto s = open_store(dir.file());
  auto a = enqueue_ok(s, otp("6281111111111", ""));
  auto b = enqueue_ok(s, otp("6282222222222", ""));
  s.database().exec("INSERT INTO events (id, message_id, seq, at, to_state, attempt, detail) "
                    "SELECT max(id) + 1, 0, 0, 0, 0, 0, 'written by hand' FROM events");
  auto claimed = s.claim("telkomsel", 2, t0() + 1s);
  REQUIRE(claimed.has_value());
  CHECK(claimed->size() == 2);
  for (auto id : {a, b}) {
    auto h = s.history(id).value();
    REQUIRE(h.size() == 2);
    CHECK(h[0].detail == "enqueued");
    CHECK(h[1].to == state::in_flight);
  }
  // A failed operation rolls back; the next one still finds free keys.
  CHECK_FALSE(s.mark_submitted(a, "r", "", t0() + 2s).has_value());  // empty id: refused
  s.database().exec("INSERT INTO events (id, message_id, seq, at, to_state, attempt, detail) "
                    "SELECT max(id) + 1, 0, 0, 0, 0, 0, 'written by hand' FROM events");
  REQUIRE(s.mark_submitted(a, "r", "x1", t0() + 2s).has_value());
  CHECK(s.history(a).value().back().to == state::submitted);
}
