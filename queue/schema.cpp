// queue/schema.cpp: migration steps and the runner. Step 1 is the message store (messages,
// events, receipts); the meaning of every column and the states are documented here and in
// docs/queue.md. Times are INTEGER milliseconds since the Unix epoch (UTC) everywhere.
// To add tables (e.g. the per-number limits of queue/rate_limits.*), append a step to
// k_migrations with the next number; never edit a released step.
#include "queue/schema.hpp"
#include "queue/rate_limits.hpp"
#include "queue/sql_text.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace smsgw::queue {
namespace {

// The numbers of states, priorities, receipt outcomes and receipt statuses are the stored
// format: every file holds them, and the steps below wrote them into its schema. Never change.
using sql_detail::number;
static_assert(number(state::queued) == 0 && number(state::in_flight) == 1 &&
              number(state::outcome_unknown) == 2 && number(state::submitted) == 3 &&
              number(state::delivered) == 4 && number(state::undeliverable) == 5 &&
              number(state::expired) == 6 && number(state::cancelled) == 7 &&
              number(state::superseded) == 8 && number(state::rejected) == 9 &&
              number(state::no_receipt) == 10);
static_assert(number(priority::otp) == 0 && number(priority::transactional) == 1 &&
              number(priority::bulk) == 2);
static_assert(number(receipt_outcome::delivered) == 0 &&
              number(receipt_outcome::undeliverable) == 1);
static_assert(number(receipt_status::applied) == 0 && number(receipt_status::pending) == 1 &&
              number(receipt_status::orphan) == 2 && number(receipt_status::duplicate) == 3);

// Those numbers are written in the steps' SQL as placeholders ({state::queued}, ...;
// queue/sql_text.hpp), which the build turns into exactly the digits these steps always
// had. So the released steps are unchanged where it matters: what they execute, and the schema
// they leave in sqlite_master (which keeps each CREATE's text as executed, line breaks
// included), are byte for byte what earlier versions executed and stored; and a partial
// index's condition reads as the queries that rely on it do (SQLite uses such an index only
// if the query's WHERE contains its terms, constants compared as written). For the same
// reason the lines of a released step keep their layout, also where a placeholder makes one
// longer than 100 columns.

// Step 1: the message store.
//
// messages: one row per accepted message.
//   id               message id handed to callers (rowid, never reused: AUTOINCREMENT until
//                    step 16, then messages_purged)
//   recipient        normalised international MSISDN, digits only ("6281234567890")
//   sender           source address as given (alphanumeric sender id or number)
//   text             message body (UTF-8); never logged; '' once the message is final (step 10)
//   priority         0 = otp, 1 = transactional, 2 = bulk (lower is claimed first)
//   purpose          e.g. "login"; '' = none. Supersede works per (recipient, purpose)
//   idempotency_key  caller's key; NULL = none. Unique: the same key returns the first message
//   carrier          carrier chosen at enqueue (claims are per carrier)
//   route            route of the current or last attempt; '' = daemon's default for carrier
//   state            see message.hpp: 0 queued, 1 in_flight, 2 outcome_unknown, 3 submitted,
//                    4 delivered, 5 undeliverable, 6 expired, 7 cancelled, 8 superseded,
//                    9 rejected. Ordered so that "< 3" = not yet accepted by an SMSC and
//                    ">= 4" = final; queries rely on these ranges (partial indexes)
//   created_at       enqueue time
//   expires_at       never handed out at or after this time
//   not_before       not claimed before this time (retry scheduling)
//   updated_at       time of the last transition
//   attempts         number of claims so far
//   sending_at       set when the current attempt was handed to a link (submit_sm about to be
//                    written); NULL otherwise. Crash recovery uses it: in_flight with it set
//                    may have reached the SMSC (-> outcome_unknown), without it surely did not
//                    (-> queued)
//   smsc_message_id  normalised SMSC message id of the submitted attempt (correlation key)
//   detail           last outcome detail (command_status, receipt stat/err, reason)
//   history_len      number of rows in events for this message (next event's seq)
//
// events: every transition of every message, the support agent's history.
//   (message_id, seq) primary key; seq counts from 0 (the enqueue)
//   at, from_state (NULL for the enqueue), to_state, attempt (attempts after the transition),
//   route, smsc_message_id, detail
//
// receipts: every delivery receipt the daemon handed us, recorded before deliver_sm_resp.
//   carrier, smsc_message_id  the correlation key (normalised by smpp/message_id.hpp)
//   outcome          0 = delivered, 1 = undeliverable
//   received_at, detail (stat/err text)
//   status           0 applied, 1 pending (held until the id appears), 2 orphan (no such id),
//                    3 duplicate (this receipt was already recorded)
//   message_id       the matched message once applied; NULL while pending or orphan
//   resolved_at      when a pending receipt was applied or declared orphan
constexpr std::string_view k_step1 = sql_text<R"sql(
CREATE TABLE messages (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient        TEXT    NOT NULL,
  sender           TEXT    NOT NULL,
  text             TEXT    NOT NULL,
  priority         INTEGER NOT NULL CHECK (priority BETWEEN {priority::otp} AND {priority::bulk}),
  purpose          TEXT    NOT NULL DEFAULT '',
  idempotency_key  TEXT,
  carrier          TEXT    NOT NULL,
  route            TEXT    NOT NULL DEFAULT '',
  state            INTEGER NOT NULL CHECK (state BETWEEN {state::queued} AND {state::rejected}),
  created_at       INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  not_before       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  sending_at       INTEGER,
  smsc_message_id  TEXT,
  detail           TEXT    NOT NULL DEFAULT '',
  history_len      INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX messages_idempotency ON messages(idempotency_key)
  WHERE idempotency_key IS NOT NULL;
-- claim(): queued messages of one carrier, highest priority then oldest.
CREATE INDEX messages_due ON messages(carrier, priority, id) WHERE state = {state::queued};
-- supersede: older OTPs for the same recipient and purpose not yet handed out.
CREATE INDEX messages_supersede ON messages(recipient, purpose) WHERE state IN ({state::queued}, {state::outcome_unknown});
-- expire_due() and crash recovery: the states before the SMSC accepted it (0, 1, 2).
-- Partial-index conditions avoid IN lists of 3+ values: SQLite evaluates those with a
-- temporary b-tree on every row written, which cost more than the whole insert.
CREATE INDEX messages_live ON messages(state, expires_at) WHERE state <= {state::outcome_unknown};
-- receipts: correlation by (carrier, normalised SMSC id).
CREATE INDEX messages_smsc_id ON messages(carrier, smsc_message_id)
  WHERE smsc_message_id IS NOT NULL;
-- purge(): messages that will not be sent again (submitted and the final states).
CREATE INDEX messages_purgeable ON messages(updated_at) WHERE state >= {state::submitted};

CREATE TABLE events (
  message_id       INTEGER NOT NULL,
  seq              INTEGER NOT NULL,
  at               INTEGER NOT NULL,
  from_state       INTEGER,
  to_state         INTEGER NOT NULL,
  attempt          INTEGER NOT NULL,
  route            TEXT    NOT NULL DEFAULT '',
  smsc_message_id  TEXT,
  detail           TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (message_id, seq)
) WITHOUT ROWID;

CREATE TABLE receipts (
  id               INTEGER PRIMARY KEY,
  carrier          TEXT    NOT NULL,
  smsc_message_id  TEXT    NOT NULL,
  outcome          INTEGER NOT NULL CHECK (outcome IN ({receipt_outcome::delivered}, {receipt_outcome::undeliverable})),
  received_at      INTEGER NOT NULL,
  detail           TEXT    NOT NULL DEFAULT '',
  status           INTEGER NOT NULL CHECK (status BETWEEN {receipt_status::applied} AND {receipt_status::duplicate}),
  message_id       INTEGER,
  resolved_at      INTEGER
);
CREATE INDEX receipts_key ON receipts(carrier, smsc_message_id);
CREATE INDEX receipts_pending ON receipts(received_at) WHERE status = {receipt_status::pending};
CREATE INDEX receipts_age ON receipts(received_at);
)sql">;

// Step 3: receipts are correlated by the carrier whose SMSC issued the id. An OTP retried on
// an alternate carrier gets its submit_sm_resp id from that carrier, and its receipt arrives
// on that carrier's binds, so the key is (via_carrier, smsc_message_id), not (carrier, ...).
//   messages.via_carrier  carrier the current/last attempt was submitted through (set by
//                         mark_submitted; = carrier at enqueue and for rows of older versions)
constexpr std::string_view k_step3 = R"sql(
ALTER TABLE messages ADD COLUMN via_carrier TEXT NOT NULL DEFAULT '';
UPDATE messages SET via_carrier = carrier;
DROP INDEX messages_smsc_id;
CREATE INDEX messages_smsc_id ON messages(via_carrier, smsc_message_id)
  WHERE smsc_message_id IS NOT NULL;
)sql";

// Step 4 (speed, issue #3):
// - messages_history: the history row of every state change is written by the database
//   itself, in the UPDATE that changes the state: seq = the new history_len - 1 (every
//   state-changing UPDATE bumps history_len; one that forgot would collide on the key and
//   fail loudly), at = updated_at, from/to = old/new state, and the new row's attempts,
//   route, smsc_message_id and detail. A set-based UPDATE (claim) thus records one event per
//   row without a round trip per row. Events without a state change (the enqueue, a receipt
//   recorded with the state kept) are still inserted by the store.
// - receipts_held: held receipts get a partial index on their correlation key, so the lookup
//   a mark_submitted makes is one seek in an (almost always empty) index; it replaces
//   receipts_pending (expire_due scans it whole: it is tiny).
constexpr std::string_view k_step4 = sql_text<R"sql(
CREATE TRIGGER messages_history AFTER UPDATE OF state ON messages
  WHEN new.state IS NOT old.state
BEGIN
  INSERT INTO events (message_id, seq, at, from_state, to_state, attempt, route,
                      smsc_message_id, detail)
  VALUES (new.id, new.history_len - 1, new.updated_at, old.state, new.state, new.attempts,
          new.route, new.smsc_message_id, new.detail);
END;
DROP INDEX receipts_pending;
CREATE INDEX receipts_held ON receipts(carrier, smsc_message_id) WHERE status = {receipt_status::pending};
)sql">;

// Step 5: purge walks messages and receipts in rowid order (ids grow with time) in small
// batches and stops at the first row created after the cutoff, so the two indexes only purge
// used go: messages_purgeable was rewritten on every transition from submitted on (updated_at
// changes each time), receipts_age on every receipt recorded.
constexpr std::string_view k_step5 = R"sql(
DROP INDEX messages_purgeable;
DROP INDEX receipts_age;
)sql";

// Step 6 (speed, issue #3): the supersede lookup gets an index of columns that never change
// after the enqueue, so claims and the other state changes no longer rewrite it (the old one
// was partial on state: every claim deleted an entry). It holds OTPs with a purpose (the only
// ones superseded) by expiry: the lookup reads only those not yet expired, then checks the
// state (queued or outcome_unknown) in the row. An expired OTP is no longer superseded: it
// can never be sent, and claim or expire_due marks it expired.
constexpr std::string_view k_step6 = sql_text<R"sql(
DROP INDEX messages_supersede;
CREATE INDEX messages_otp ON messages(recipient, purpose, expires_at)
  WHERE priority = {priority::otp} AND purpose <> '';
)sql">;

// Step 7 (speed, issue #3): the history is appended in time order. `events` was keyed by
// (message_id, seq), so every transition inserted a row in the middle of the b-tree (a seek
// from the root with record compares, page splits); now each row gets the next integer key
// and lands at the end, and each message's rows are chained: messages.last_event is the key
// of its newest row, events.prev that of the row before (NULL for the first, the enqueue).
// history() walks the chain from the newest; purge deletes along it.
//   messages.last_event  key of the message's newest events row
//   events.id            increasing with time (the store hands out max(id) + 1, ...)
//   events.prev          the same message's previous row, NULL for its first
// Every state-changing UPDATE sets last_event to a new key; the trigger writes the row under
// that key with prev = the old last_event. One that forgot would reuse the old key and fail
// loudly on the primary key, as a forgotten history_len bump did before.
// The old rows are copied in (message_id, seq) order and chained.
constexpr std::string_view k_step7 = R"sql(
DROP TRIGGER messages_history;
ALTER TABLE events RENAME TO events_v6;
CREATE TABLE events (
  id               INTEGER PRIMARY KEY,
  message_id       INTEGER NOT NULL,
  prev             INTEGER,
  seq              INTEGER NOT NULL,
  at               INTEGER NOT NULL,
  from_state       INTEGER,
  to_state         INTEGER NOT NULL,
  attempt          INTEGER NOT NULL,
  route            TEXT    NOT NULL DEFAULT '',
  smsc_message_id  TEXT,
  detail           TEXT    NOT NULL DEFAULT ''
);
INSERT INTO events (id, message_id, prev, seq, at, from_state, to_state, attempt, route,
                    smsc_message_id, detail)
  SELECT row_number() OVER (ORDER BY message_id, seq), message_id,
         CASE WHEN lag(message_id) OVER (ORDER BY message_id, seq) = message_id
              THEN row_number() OVER (ORDER BY message_id, seq) - 1 END,
         seq, at, from_state, to_state, attempt, route, smsc_message_id, detail
  FROM events_v6 ORDER BY message_id, seq;
DROP TABLE events_v6;
ALTER TABLE messages ADD COLUMN last_event INTEGER;
UPDATE messages SET last_event = newest.id
  FROM (SELECT message_id, max(id) AS id FROM events GROUP BY message_id) AS newest
  WHERE newest.message_id = messages.id;
CREATE TRIGGER messages_history AFTER UPDATE OF state ON messages
  WHEN new.state IS NOT old.state
BEGIN
  INSERT INTO events (id, message_id, prev, seq, at, from_state, to_state, attempt, route,
                      smsc_message_id, detail)
  VALUES (new.last_event, new.id, old.last_event, new.history_len - 1, new.updated_at,
          old.state, new.state, new.attempts, new.route, new.smsc_message_id, new.detail);
END;
)sql";

// Step 8 (speed, issue #3): the correlation index puts the SMSC id first. Every seek in it
// (the submit that records an id, the receipt that looks one up) compared the carrier name
// first, which is the same for nearly every entry; the id decides at once.
constexpr std::string_view k_step8 = R"sql(
DROP INDEX messages_smsc_id;
CREATE INDEX messages_smsc_id ON messages(smsc_message_id, via_carrier)
  WHERE smsc_message_id IS NOT NULL;
)sql";

// Step 9 (issue #11): receipts whose submit_sm_resp was lost. An attempt handed to a link
// whose response never came is remembered with the number and the time, so that its receipt,
// whose id smsgw never learnt, can still be matched by number and submit date
// (queue/receipts.cpp; docs/queue.md "Correlation rules").
//   unanswered_submits  one row per such attempt, written when a message leaves in_flight
//                       with its sending mark set for anything but submitted or rejected
//                       (outcome_unknown, a requeue, an expiry); the old rows of a message go
//                       with it at purge; the row of an attempt settled by its receipt goes then
//     message_id, attempt   the message and its attempts count at that attempt
//     recipient             the message's recipient (normalised): the lookup key
//     carrier, route        of the message at that attempt (route '' = carrier)
//     sent_at               its sending mark: when it was handed to the link
//     given_up_at           when smsgw stopped waiting for its response
//   receipts.recipient, submit_local, submit_resolution: the receipt's number and submit
//     date (SMSC wall-clock time read as UTC ms, precision in ms), so that a held receipt can
//     be matched by them later (resolve_held_receipts); NULL when unknown
// Messages already outcome_unknown get a row: sent at their sending mark if kept (crash
// recovery keeps it), else at their creation, given up at their last change.
constexpr std::string_view k_step9 = sql_text<R"sql(
CREATE TABLE unanswered_submits (
  message_id   INTEGER NOT NULL,
  attempt      INTEGER NOT NULL,
  recipient    TEXT    NOT NULL,
  carrier      TEXT    NOT NULL,
  route        TEXT    NOT NULL,
  sent_at      INTEGER NOT NULL,
  given_up_at  INTEGER NOT NULL,
  PRIMARY KEY (message_id, attempt)
) WITHOUT ROWID;
CREATE INDEX unanswered_submits_recipient ON unanswered_submits(recipient);
INSERT INTO unanswered_submits
  SELECT id, attempts, recipient, carrier, route, coalesce(sending_at, created_at), updated_at
  FROM messages WHERE state <= {state::outcome_unknown} AND state = {state::outcome_unknown};
ALTER TABLE receipts ADD COLUMN recipient TEXT;
ALTER TABLE receipts ADD COLUMN submit_local INTEGER;
ALTER TABLE receipts ADD COLUMN submit_resolution INTEGER;
)sql">;

// Step 10: a message's text is erased when the message becomes final (state >= delivered:
// delivered, undeliverable, expired, cancelled, superseded, rejected, and no_receipt of step 11). A final message is never sent
// again (queue/state.hpp: final states are final), so its text is of no use to anyone and,
// an OTP code, a liability kept for retention_hours; the history keeps what operators need
// (states, routes, SMSC ids, details). A trigger, so that every path to a final state (the
// batched receipt and submit fast paths, expiry at claim, supersede, cancel, crash
// recovery) erases it in the same transaction; messages already final are erased here. With
// secure_delete (queue/sqlite.cpp) the old bytes are zeroed in the page, not left as free space.
constexpr std::string_view k_step10 = sql_text<R"sql(
CREATE TRIGGER messages_erase_final_text AFTER UPDATE OF state ON messages
  WHEN NEW.state >= {state::delivered} AND NEW.text <> ''
BEGIN
  UPDATE messages SET text = '' WHERE id = NEW.id;
END;
UPDATE messages SET text = '' WHERE state >= {state::delivered} AND text <> '';
)sql">;

// Step 11 (issue #13): no receipt in time, spam filtering.
//   messages.receipt_due_at   for a submitted message: when housekeeping looks at it if no
//                             final receipt came (settle_unreceipted): the route's receipt
//                             timeout (OTP, transactional), else its expiry, then its expiry
//                             plus the grace period, when it becomes no_receipt. NULL in other
//                             states (a stale value there is never read: the index says
//                             state = submitted)
//   messages.filtered_routes  routes (comma-separated) that classed it filtered: never again
//   earlier_attempts          one row per submitted attempt the message left for a retry
//                             (submitted -> queued), so a late receipt of that attempt is still
//                             matched after the next attempt overwrote smsc_message_id;
//                             deleted with its message at purge
//     smsc_message_id, via_carrier  the attempt's key, as messages_smsc_id
//     message_id, attempt           the message and its attempts count at that attempt
//   The state CHECK of messages is widened to take no_receipt (10): see widen_state_check().
//   Submitted messages migrated get receipt_due_at = their expiry.
constexpr std::string_view k_step11 = sql_text<R"sql(
ALTER TABLE messages ADD COLUMN receipt_due_at INTEGER;
ALTER TABLE messages ADD COLUMN filtered_routes TEXT NOT NULL DEFAULT '';
UPDATE messages SET receipt_due_at = expires_at WHERE state = {state::submitted};
CREATE INDEX messages_receipt_due ON messages(receipt_due_at) WHERE state = {state::submitted};
CREATE TABLE earlier_attempts (
  smsc_message_id  TEXT    NOT NULL,
  via_carrier      TEXT    NOT NULL,
  message_id       INTEGER NOT NULL,
  attempt          INTEGER NOT NULL,
  PRIMARY KEY (smsc_message_id, via_carrier, message_id)
) WITHOUT ROWID;
CREATE INDEX earlier_attempts_message ON earlier_attempts(message_id);
)sql">;

// Replaces `from` by `to` in the CREATE TABLE text of `table`, in place. SQLite documents
// editing the schema text for changes that leave every stored byte valid ("Making Other
// Kinds Of Table Schema Changes"); rebuilding a large table would take minutes. Same
// transaction as the step; the schema cookie is bumped so every connection re-reads the
// schema. Throws naming `what` if the text was not there (or is still there afterwards).
void edit_table_text(sqlite::database& db, std::string_view table, std::string_view from,
                     std::string_view to, std::string_view what) {
  auto const cookie = db.query_int("PRAGMA schema_version");
  db.exec("PRAGMA writable_schema = ON");
  db.exec(fmt::format("UPDATE sqlite_schema SET sql = replace(sql, '{}', '{}') "
                      "WHERE type = 'table' AND name = '{}'", from, to, table));
  bool const changed = db.changes() == 1;
  db.exec(fmt::format("PRAGMA schema_version = {}", cookie + 1));
  db.exec("PRAGMA writable_schema = OFF");
  auto const done = db.query_int(fmt::format(
      "SELECT instr(sql, '{}') > 0 AND instr(sql, '{}') = 0 FROM sqlite_schema "
      "WHERE type = 'table' AND name = '{}'", to, from, table));
  if (!changed || done != 1) throw std::runtime_error(fmt::format("{} was not found", what));
}

// The CHECK of messages.state (step 1: BETWEEN 0 AND 9) cannot be changed by ALTER TABLE:
// loosened in the schema text (every stored row satisfies the wider range, so nothing needs
// re-checking).
void widen_state_check(sqlite::database& db) {
  constexpr std::string_view old_check = sql_text<"CHECK (state BETWEEN {state::queued} AND {state::rejected})">;
  constexpr std::string_view new_check = sql_text<"CHECK (state BETWEEN {state::queued} AND {state::no_receipt})">;
  edit_table_text(db, "messages", old_check, new_check, "schema step 11: the state CHECK of messages");
}

// Step 12 (issue #14): an operator's control of a carrier, kept across restarts. The queue
// knows nothing of links: it stores a name and a flag, the daemon reads them at start.
//   carrier_control  one row per carrier an operator suspended or resumed (never deleted)
//     carrier      the carrier's configured name
//     suspended    1 = suspended: its traffic goes to its alternates; 0 = resumed
//     changed_at   when it was last suspended or resumed (ms)
//     changed_by   who asked, as the API was told ('' = not said)
constexpr std::string_view k_step12 = R"sql(
CREATE TABLE carrier_control (
  carrier     TEXT    PRIMARY KEY,
  suspended   INTEGER NOT NULL CHECK (suspended IN (0, 1)),
  changed_at  INTEGER NOT NULL,
  changed_by  TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
)sql";

// Step 13 (issue #14): who asked for a message. The enqueue's history row (seq 0) records the
// API caller as the kernel reported it on the socket (SO_PEERCRED), two plain integers:
//   events.requester_uid  the calling process's user id; NULL on other rows, on rows written
//                         before this step and when the caller is unknown
//   events.requester_pid  its process id (at the time of the request); NULL likewise
constexpr std::string_view k_step13 = R"sql(
ALTER TABLE events ADD COLUMN requester_uid INTEGER;
ALTER TABLE events ADD COLUMN requester_pid INTEGER;
)sql";

// Step 14 (issue #14, GET /v1/events): the history's keys become a durable, never reused
// position for event streams.
//   events_purged   one row (id = 1): `through`, the largest events.id purge() has deleted.
//                   next_event_ids() hands out keys above it as well as above max(events.id),
//                   so a key is never given twice, even after purge emptied the end of the
//                   table (before, a purge of the newest rows let max(id) + 1 go back down);
//                   and a stream resuming after a key below it is told that outcomes may
//                   have been purged after its position (event: gap).
//   Files migrated start with through = the oldest retained key - 1 (0 if none): what purge
//   deleted before is unknown, so everything below the oldest row counts as purged.
constexpr std::string_view k_step14 = R"sql(
CREATE TABLE events_purged (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  through  INTEGER NOT NULL
);
INSERT INTO events_purged (id, through) VALUES (1, coalesce((SELECT min(id) FROM events) - 1, 0));
)sql";

// Step 15 (issue #13): routes that gave a message no receipt.
//   messages.silent_routes  routes (comma-separated) whose attempt of this message got no final
//                           receipt within the route's receipt timeout (settle_unreceipted
//                           retried it elsewhere). A retry, failover or deadline re-route does
//                           not plan them again while another route is left. '' = none.
constexpr std::string_view k_step15 = R"sql(
ALTER TABLE messages ADD COLUMN silent_routes TEXT NOT NULL DEFAULT '';
)sql";

// Step 16 (speed, issue #15): message ids without AUTOINCREMENT. AUTOINCREMENT kept the
// largest id ever handed out in sqlite_sequence and rewrote that page in every transaction
// that enqueued: one WAL frame of the five an enqueue wrote. Ids are still never reused: the
// store hands out explicit ids above every id in messages and above the largest id purge()
// deleted, which purge records here, as step 14 does for history keys.
//   messages_purged  one row (id = 1): `through`, the largest message id purge() has deleted
//                    (at least: migrated files start with the AUTOINCREMENT counter, the
//                    largest id ever handed out). next_message_id() = max(max(messages.id),
//                    through) + 1, read once per transaction.
// The counter's row goes from sqlite_sequence, and AUTOINCREMENT from the table's text
// (drop_message_autoincrement(): it says how rowids are chosen, nothing of what is stored).
constexpr std::string_view k_step16 = R"sql(
CREATE TABLE messages_purged (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  through  INTEGER NOT NULL
);
INSERT INTO messages_purged (id, through)
  VALUES (1, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0));
DELETE FROM sqlite_sequence WHERE name = 'messages';
)sql";

// As widen_state_check(): the schema text is edited in place (AUTOINCREMENT only decides how
// new rowids are chosen, nothing of what is stored).
void drop_message_autoincrement(sqlite::database& db) {
  edit_table_text(db, "messages", "id               INTEGER PRIMARY KEY AUTOINCREMENT,",
                  "id               INTEGER PRIMARY KEY,",
                  "schema step 16: the AUTOINCREMENT of messages.id");
}

// Append new steps here (next: version 17); never edit a released step.
constexpr migration k_migrations[] = {
    {1, "message store", k_step1},
    {2, "rate limits", rate_limits_schema_sql},  // queue/rate_limits.hpp
    {3, "via_carrier", k_step3},
    {4, "held receipts index", k_step4},
    {5, "purge in rowid order", k_step5},
    {6, "supersede index of immutable columns", k_step6},
    {7, "history appended in time order, chained per message", k_step7},
    {8, "correlation index by SMSC id first", k_step8},
    {9, "unanswered submits, receipts' number and submit date", k_step9},
    {10, "the text of a final message erased", k_step10},
    {11, "receipt deadlines, filtered routes, earlier attempts, state no_receipt", k_step11,
     widen_state_check},
    {12, "carrier control (suspension)", k_step12},
    {13, "who asked: the API caller's uid and pid on the enqueue row", k_step13},
    {14, "durable event keys for event streams (events_purged)", k_step14},
    {15, "routes that gave a message no receipt", k_step15},
    {16, "message ids without AUTOINCREMENT (messages_purged)", k_step16,
     drop_message_autoincrement},
};

}  // namespace

std::span<migration const> migrations() { return k_migrations; }

int latest_schema_version() { return migrations().back().version; }

void migrate(sqlite::database& db) {
  auto current = db.query_int("PRAGMA user_version");
  if (current > latest_schema_version()) {
    throw std::runtime_error(fmt::format(
        "{}: schema version {} is newer than this build's {}; refusing to open", db.path(),
        current, latest_schema_version()));
  }
  for (auto const& step : migrations()) {
    if (step.version <= current) continue;
    sqlite::transaction tx(db);
    // Re-read under the write lock: another process may have migrated meanwhile.
    if (db.query_int("PRAGMA user_version") >= step.version) continue;
    db.exec(step.sql);
    if (step.after) step.after(db);
    db.exec(fmt::format("PRAGMA user_version={}", step.version));
    tx.commit();
  }
}

}  // namespace smsgw::queue
