// tests/queue/sql_text_test.cpp: the queue's SQL writes state, priority and receipt numbers
// from the enums (queue/sql_text.hpp), and the migrations written that way still leave the
// schema released versions stored: a partial index is used only for queries whose WHERE
// contains its condition as written, and files made by earlier versions keep their text.
// The digits below are the stored format, on purpose.
#include "queue/sql_text.hpp"

#include "queue_fixture.hpp"

using namespace smsgw::queue;
using namespace smsgw::queue::test;

static_assert(sql_text<"state = {state::queued}"> == "state = 0");
static_assert(sql_text<"state IN ({state::in_flight}, {state::outcome_unknown})"> ==
              "state IN (1, 2)");
static_assert(sql_text<"{state::rejected} {priority::bulk} {receipt_outcome::undeliverable} "
                       "{receipt_status::duplicate}"> == "9 2 1 3");
// Braces that are no placeholder stay (fmt::format fills some statements when they are prepared).
static_assert(sql_text<"SELECT {} FROM messages WHERE x = '{ a }'"> ==
              "SELECT {} FROM messages WHERE x = '{ a }'");

namespace {

std::string schema_sql(store& s, std::string const& name) {
  smsgw::sqlite::statement q(s.database(), "SELECT sql FROM sqlite_schema WHERE name = ?1");
  q.bind(1, name);
  REQUIRE(q.step());
  return q.column_string(0);
}

}  // namespace

TEST_CASE("a new file's partial indexes and checks read as released versions wrote them") {
  temp_dir dir;
  auto s = open_store(dir.file());
  CHECK(schema_sql(s, "messages_due") ==
        "CREATE INDEX messages_due ON messages(carrier, priority, id) WHERE state = 0");
  CHECK(schema_sql(s, "messages_live") ==
        "CREATE INDEX messages_live ON messages(state, expires_at) WHERE state <= 2");
  CHECK(schema_sql(s, "receipts_held") ==
        "CREATE INDEX receipts_held ON receipts(carrier, smsc_message_id) WHERE status = 1");
  CHECK(schema_sql(s, "messages_otp") ==
        "CREATE INDEX messages_otp ON messages(recipient, purpose, expires_at)\n"
        "  WHERE priority = 0 AND purpose <> ''");
  auto const messages = schema_sql(s, "messages");
  CHECK_THAT(messages, Catch::Contains(
      "  priority         INTEGER NOT NULL CHECK (priority BETWEEN 0 AND 2),\n"));
  // Step 1 wrote BETWEEN 0 AND 9; step 11 widened it for no_receipt (10).
  CHECK_THAT(messages, Catch::Contains(
      "  state            INTEGER NOT NULL CHECK (state BETWEEN 0 AND 10),\n"));
  CHECK(schema_sql(s, "messages_receipt_due") ==
        "CREATE INDEX messages_receipt_due ON messages(receipt_due_at) WHERE state = 3");
  auto const receipts = schema_sql(s, "receipts");
  CHECK_THAT(receipts, Catch::Contains(
      "  outcome          INTEGER NOT NULL CHECK (outcome IN (0, 1)),\n"));
  CHECK_THAT(receipts, Catch::Contains(
      "  status           INTEGER NOT NULL CHECK (status BETWEEN 0 AND 3),\n"));
}
