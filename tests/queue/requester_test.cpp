// tests/queue/requester_test.cpp: who asked for a message (schema step 13): the API caller's uid
// and pid stored on the enqueue's history row and read back by history(); nothing on the other
// rows nor when the caller is unknown; a version-11 file upgraded keeps its rows (no caller).
// On real SQLite files, fake time.
#include "queue/schema.hpp"
#include "queue/store.hpp"

#include "queue_fixture.hpp"

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

TEST_CASE("the enqueue row of the history keeps the caller's uid and pid") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto r = otp("6281234567890");
  r.requester_uid = 1000;
  r.requester_pid = 4242;
  auto id = enqueue_ok(s, r);
  auto claimed = s.claim("telkomsel", 1, t0() + 1s);
  REQUIRE(claimed.has_value());
  REQUIRE(claimed->size() == 1);
  auto h = s.history(id).value();
  REQUIRE(h.size() == 2);
  CHECK(h[0].detail == "enqueued");
  CHECK(h[0].requester_uid == std::optional<std::int64_t>(1000));
  CHECK(h[0].requester_pid == std::optional<std::int64_t>(4242));
  CHECK_FALSE(h[1].requester_uid.has_value());  // the claim was nobody's request
  CHECK_FALSE(h[1].requester_pid.has_value());
}

TEST_CASE("a message enqueued with no known caller has no uid or pid in its history") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = enqueue_ok(s, otp("6281234567891"));
  auto h = s.history(id).value();
  REQUIRE(h.size() == 1);
  CHECK_FALSE(h[0].requester_uid.has_value());
  CHECK_FALSE(h[0].requester_pid.has_value());
}

TEST_CASE("a version-11 file gains the requester columns and keeps its history") {
  temp_dir dir;
  {
    auto db = database_at_version(dir.file(), 11);
    db.exec("INSERT INTO messages (recipient, sender, text, priority, carrier, route, state, "
            "created_at, expires_at, not_before, updated_at, attempts, detail, history_len, "
            "via_carrier, last_event) VALUES ('6281111111111', 'ACME', 'code 1', 0, "
            "'telkomsel', '', 0, 1767225600000, 1767225900000, 1767225600000, 1767225600000, 0, "
            "'', 1, 'telkomsel', 1)");
    db.exec("INSERT INTO events (id, message_id, prev, seq, at, from_state, to_state, attempt, "
            "detail) VALUES (1, 1, NULL, 0, 1767225600000, NULL, 0, 0, 'enqueued')");
  }
  auto s = open_store(dir.file(), t0() + 1s);
  CHECK(s.database().query_int("PRAGMA user_version") == latest_schema_version());
  CHECK(latest_schema_version() >= 13);
  auto h = s.history(1).value();
  REQUIRE(h.size() == 1);
  CHECK(h[0].detail == "enqueued");
  CHECK_FALSE(h[0].requester_uid.has_value());
  // A new message in the upgraded file records its caller.
  auto r = otp("6282222222222");
  r.requester_uid = 0;
  r.requester_pid = 1;
  auto id = enqueue_ok(s, r);
  auto h2 = s.history(id).value();
  REQUIRE(h2.size() == 1);
  CHECK(h2[0].requester_uid == std::optional<std::int64_t>(0));
  CHECK(h2[0].requester_pid == std::optional<std::int64_t>(1));
}
