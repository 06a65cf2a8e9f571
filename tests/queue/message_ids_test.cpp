// tests/queue/message_ids_test.cpp: message ids are never handed out twice (schema step 16):
// without AUTOINCREMENT the store gives ids above every stored id and above the largest id
// purge() deleted, also after purge emptied the table and after a reopen; an enqueue no
// longer writes sqlite_sequence; and a version-15 file keeps its counter on upgrade.
#include "queue/store.hpp"

#include "queue_fixture.hpp"

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {
std::int64_t count(smsgw::sqlite::database& db, std::string const& sql) { return db.query_int(sql); }
}  // namespace

TEST_CASE("message ids are not reused after purge deleted the newest, nor after a reopen") {
  temp_dir dir;
  auto const path = dir.file();
  message_id last = 0;
  {
    auto s = open_store(path);
    for (int i = 0; i < 3; ++i) last = enqueue_ok(s, otp("6281111111" + std::to_string(100 + i), ""));
    CHECK(last == 3);
    // The AUTOINCREMENT counter is gone: an enqueue writes no sqlite_sequence row.
    CHECK(count(s.database(), "SELECT count(*) FROM sqlite_sequence") == 0);
    CHECK(count(s.database(), "SELECT instr(sql, 'AUTOINCREMENT') FROM sqlite_schema "
                              "WHERE name = 'messages'") == 0);
    for (message_id id = 1; id <= last; ++id) REQUIRE(s.cancel(id, t0()).has_value());
    auto n = s.purge(t0() + 1h, 2);  // two batches: the mark is the largest id of them all
    REQUIRE(n.has_value());
    CHECK(*n == 3);
    CHECK(count(s.database(), "SELECT count(*) FROM messages") == 0);
    CHECK(count(s.database(), "SELECT through FROM messages_purged") == 3);
    // Same connection, table empty: max(id) + 1 would give 1 again.
    CHECK(enqueue_ok(s, otp("6282222222200", "")) == 4);
    REQUIRE(s.cancel(4, t0()).has_value());
    REQUIRE(s.purge(t0() + 1h, 10).has_value());
  }
  auto s = open_store(path);
  CHECK(count(s.database(), "SELECT count(*) FROM messages") == 0);
  // A batch: consecutive ids, all above the purged ones.
  std::vector<enqueue_request> reqs{otp("6283333333300", ""), otp("6283333333301", "")};
  auto batch = s.enqueue_batch(reqs);
  REQUIRE(batch.has_value());
  REQUIRE((*batch)[0].has_value());
  REQUIRE((*batch)[1].has_value());
  CHECK((*batch)[0]->id == 5);
  CHECK((*batch)[1]->id == 6);
  auto got = s.get(6);
  REQUIRE(got.has_value());
  CHECK(got->recipient == "6283333333301");
}

TEST_CASE("a version-15 file keeps its AUTOINCREMENT counter as the purge mark on upgrade") {
  temp_dir dir;
  auto const path = dir.file();
  {
    // As a version-15 build left it: three messages enqueued (AUTOINCREMENT), the newest two
    // purged since, so sqlite_sequence remembers 3 while max(id) is 1.
    auto db = database_at_version(path, 15);
    for (int i = 0; i < 3; ++i) {
      db.exec("INSERT INTO messages (recipient, sender, text, priority, carrier, state, created_at, "
              "expires_at, not_before, updated_at) VALUES ('628111111110" + std::to_string(i) +
              "', 'ACME', 'x', 0, 'telkomsel', 0, 1, 2, 1, 1)");
    }
    db.exec("DELETE FROM messages WHERE id >= 2");
    REQUIRE(count(db, "SELECT seq FROM sqlite_sequence WHERE name = 'messages'") == 3);
    REQUIRE(count(db, "SELECT instr(sql, 'AUTOINCREMENT') > 0 FROM sqlite_schema "
                      "WHERE name = 'messages'") == 1);
  }
  auto s = open_store(path);
  auto& db = s.database();
  CHECK(count(db, "PRAGMA user_version") == latest_schema_version());
  CHECK(count(db, "SELECT through FROM messages_purged WHERE id = 1") == 3);
  CHECK(count(db, "SELECT count(*) FROM sqlite_sequence WHERE name = 'messages'") == 0);
  CHECK(count(db, "SELECT instr(sql, 'AUTOINCREMENT') FROM sqlite_schema "
                  "WHERE name = 'messages'") == 0);
  {
    smsgw::sqlite::statement check(db, "PRAGMA integrity_check");
    REQUIRE(check.step());
    CHECK(check.column_string(0) == "ok");
  }
  // Not 2 (max(id) + 1): ids 2 and 3 were handed out before.
  CHECK(enqueue_ok(s, otp("6284444444400", "")) == 4);
  CHECK(count(db, "SELECT count(*) FROM sqlite_sequence") == 0);
}
