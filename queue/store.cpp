// queue/store.cpp: opening the store (migrations, then crash recovery), the transition
// primitives of store_impl.hpp, and the read-only queries (get, history, counts).
// Crash recovery decides from `sending_at`: an in_flight message with it set may have reached
// the SMSC and becomes outcome_unknown; one without it was never handed to a link and is
// simply queued again. See docs/queue.md "Crash recovery".
#include "queue/store_impl.hpp"

#include "queue/schema.hpp"
#include "queue/state.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>

namespace smsgw::queue {

void fail(errc code, std::string message) { throw failure{error{code, std::move(message)}}; }

store::impl::impl(sqlite::database d, store_options o) : db(std::move(d)), opts(std::move(o)) {
  // next_event_ids() reads max(id) once per transaction: forget it when one ends.
  // commits counts them for group_commit (is there anything new to sync?).
  sqlite3_commit_hook(db.handle(), [](void* self) {
    static_cast<impl*>(self)->next_event_id = 0;
    ++static_cast<impl*>(self)->commits;
    return 0;  // go on with the commit
  }, this);
  sqlite3_rollback_hook(db.handle(), [](void* self) {
    static_cast<impl*>(self)->next_event_id = 0;
  }, this);
  load_row = sqlite::statement(db,
      "SELECT state, route, not_before, attempts, sending_at, smsc_message_id, detail, "
      "history_len, expires_at, carrier, via_carrier, last_event FROM messages WHERE id = ?1");
  // State-changing UPDATEs say OR FAIL: an error stops the statement without undoing its
  // earlier rows, which spares SQLite a statement journal per UPDATE (the history trigger
  // makes each one a multi-write; ~5,400 instructions each, callgrind). Harmless because any
  // SQLite error fails the whole operation and its transaction is rolled back.
  write_row = sqlite::statement(db,
      "UPDATE OR FAIL messages SET state = ?2, updated_at = ?3, route = ?4, not_before = ?5, "
      "attempts = ?6, sending_at = ?7, smsc_message_id = ?8, detail = ?9, history_len = ?10, "
      "via_carrier = ?11, last_event = ?12 WHERE id = ?1");
  insert_event_st = sqlite::statement(db,
      "INSERT INTO events (id, message_id, prev, seq, at, from_state, to_state, attempt, route, "
      "smsc_message_id, detail) VALUES (?10, ?1, ?11, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  set_last_event = sqlite::statement(db,
      "UPDATE messages SET last_event = ?2, history_len = ?3 WHERE id = ?1");
  max_event_id = sqlite::statement(db, "SELECT max(id) FROM events");
  insert_message = sqlite::statement(db,
      "INSERT INTO messages (recipient, sender, text, priority, purpose, idempotency_key, "
      "carrier, route, state, created_at, expires_at, not_before, updated_at, history_len, "
      "via_carrier, last_event) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 0, ?9, ?10, ?9, ?9, 1, ?7, ?11)");
  find_key = sqlite::statement(db,
      "SELECT id, state FROM messages WHERE idempotency_key = ?1");
  // messages_otp (schema step 6): the OTPs of this recipient and purpose not yet expired.
  find_supersedable = sqlite::statement(db,
      "SELECT id FROM messages INDEXED BY messages_otp WHERE recipient = ?1 AND purpose = ?2 "
      "AND priority = 0 AND purpose <> '' AND expires_at > ?3 AND state IN (0, 2)");
  select_message = sqlite::statement(db,
      fmt::format("SELECT {} FROM messages WHERE id = ?1", k_message_columns));
  // claim(): the next `max` due messages of the carrier in claim order (a walk of
  // messages_due), read as they are; then one UPDATE per priority class read takes exactly
  // that range of the index (same carrier and class, due, up to the last id read): no
  // RETURNING and no IN list, each of which made SQLite copy every row into an ephemeral
  // b-tree (callgrind).
  // Those past expiry become expired instead; claim() asks again for the places they took.
  // ?4 = 1: claim_for_sending (sending mark set in the same statement).
  claim_select = sqlite::statement(db, fmt::format(
      "SELECT {} FROM messages INDEXED BY messages_due WHERE carrier = ?1 AND state = 0 "
      "AND not_before <= ?2 ORDER BY priority, id LIMIT ?3", k_message_columns));
  claim_due = sqlite::statement(db,
      "UPDATE OR FAIL messages INDEXED BY messages_due "
      "SET state = CASE WHEN expires_at > ?2 THEN 1 ELSE 6 END, "
      "attempts = attempts + (expires_at > ?2), "
      "sending_at = CASE WHEN ?4 AND expires_at > ?2 THEN ?2 END, updated_at = ?2, "
      "detail = CASE WHEN expires_at <= ?2 THEN 'expired before it could be sent' "
      "WHEN ?4 THEN 'claimed for sending' ELSE 'claimed' END, history_len = history_len + 1, "
      "last_event = ?7 + (id - ?8) "
      "WHERE carrier = ?1 AND state = 0 AND not_before <= ?2 AND priority = ?5 "
      "AND id BETWEEN ?8 AND ?6");
  // Plain UPDATEs without RETURNING for one row: RETURNING materialises its rows in an
  // ephemeral b-tree, which cost more per call than the update itself (callgrind).
  // No SQL function in an UPDATE that changes `state`: with the history trigger it writes two
  // b-trees, and a function call makes SQLite open a statement journal for it (every page it
  // touches copied once more: nullif() here cost 13%, docs/queue.md). CASE does it inline.
  submit_row = sqlite::statement(db, fmt::format(
      "UPDATE OR FAIL messages SET state = 3, updated_at = ?2, route = ?3, "
      "smsc_message_id = ?4, "
      "via_carrier = CASE ?5 WHEN '' THEN carrier ELSE ?5 END, sending_at = NULL, "
      "detail = CASE state WHEN 1 THEN '{}' ELSE 'submit_sm_resp OK (late: was "
      "outcome_unknown)' END, history_len = history_len + 1, last_event = ?6 "
      "WHERE id = ?1 AND state IN (1, 2)", k_submitted_detail));
  // The common receipt in one statement: the newest message with the id, if it is submitted
  // and no receipt with this outcome was recorded for the id before (a row in `receipts`).
  // Its history row, under the key ?7, then names the message (event_message).
  receipt_fast = sqlite::statement(db,
      "UPDATE OR FAIL messages SET state = ?4, updated_at = ?5, detail = ?6, "
      "history_len = history_len + 1, last_event = ?7 "
      "WHERE id = (SELECT id FROM messages WHERE via_carrier = ?1 AND smsc_message_id = ?2 "
      "ORDER BY id DESC LIMIT 1) AND state = 3 AND NOT EXISTS (SELECT 1 FROM receipts "
      "WHERE carrier = ?1 AND smsc_message_id = ?2 AND outcome = ?3 AND status <> 3)");
  event_message = sqlite::statement(db, "SELECT message_id FROM events WHERE id = ?1");
  any_held = sqlite::statement(db, "SELECT 1 FROM receipts WHERE status = 1 LIMIT 1");
  // Both lookups of a receipt in one statement: the same receipt recorded before (NULL: no;
  // 0: yes, not matched to a message; else its message id), and the newest message with the
  // id times 2, plus 1 if it was already made final (state ?4) by a receipt (one index probe):
  // a receipt applied on the fast path is recorded only by the message's history row.
  lookup_receipt = sqlite::statement(db,
      "SELECT (SELECT coalesce(message_id, 0) FROM receipts WHERE carrier = ?1 "
      "AND smsc_message_id = ?2 AND outcome = ?3 AND status <> 3 LIMIT 1), "
      "(SELECT id * 2 + (state = ?4 AND substr(detail, 1, 9) = 'receipt: ') FROM messages "
      "WHERE via_carrier = ?1 AND smsc_message_id = ?2 ORDER BY id DESC LIMIT 1)");
  any_sending = sqlite::statement(db,
      "SELECT 1 FROM messages WHERE state <= 2 AND state = 1 AND sending_at IS NOT NULL "
      "AND (carrier = ?1 OR route = ?1) LIMIT 1");
  insert_receipt = sqlite::statement(db,
      "INSERT INTO receipts (carrier, smsc_message_id, outcome, received_at, detail, status, "
      "message_id, resolved_at, recipient, submit_local, submit_resolution) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  pending_for_id = sqlite::statement(db,
      "SELECT id, outcome, detail FROM receipts INDEXED BY receipts_held "
      "WHERE carrier = (SELECT via_carrier FROM messages WHERE id = ?1) "
      "AND smsc_message_id = ?2 AND status = 1 ORDER BY id");
  resolve_receipt = sqlite::statement(db,
      "UPDATE receipts SET status = ?2, message_id = ?3, resolved_at = ?4 WHERE id = ?1");
  set_sending = sqlite::statement(db,
      "UPDATE messages SET sending_at = ?2 WHERE id = ?1 AND state = 1 "
      "AND sending_at IS NULL AND expires_at > ?2");
  // mark_sending's fast path: the whole batch (ids as a JSON array) in one statement.
  set_sending_all = sqlite::statement(db,
      "UPDATE messages SET sending_at = ?2 WHERE id IN (SELECT value FROM json_each(?1)) "
      "AND state = 1 AND sending_at IS NULL AND expires_at > ?2");
  // Schema step 9. Read before the row is rewritten: the attempt's sending mark and route.
  record_unanswered = sqlite::statement(db,
      "INSERT OR IGNORE INTO unanswered_submits (message_id, attempt, recipient, carrier, "
      "route, sent_at, given_up_at) SELECT id, attempts, recipient, carrier, route, "
      "sending_at, ?2 FROM messages WHERE id = ?1 AND state = 1 AND sending_at IS NOT NULL");
  // An attempt stops being a candidate after the message's expiry: nothing is sent after it.
  unanswered_for = sqlite::statement(db,
      "SELECT u.message_id, u.attempt, u.sent_at, min(u.given_up_at, m.expires_at), m.state, "
      "m.attempts FROM unanswered_submits AS u INDEXED BY unanswered_submits_recipient "
      "JOIN messages AS m ON m.id = u.message_id "
      "WHERE u.recipient = ?1 AND (u.carrier = ?2 OR u.route = ?2)");
  in_flight_to = sqlite::statement(db,
      "SELECT 1 FROM messages INDEXED BY messages_live WHERE state <= 2 AND state = 1 "
      "AND sending_at IS NOT NULL AND recipient = ?1 AND (carrier = ?2 OR route = ?2) LIMIT 1");
  forget_unanswered = sqlite::statement(db,
      "DELETE FROM unanswered_submits WHERE message_id = ?1 AND attempt = ?2");
}

row store::impl::load(message_id id) {
  load_row.bind(1, id);
  if (!load_row.step()) {
    load_row.reset();
    fail(errc::not_found, fmt::format("no message {}", id));
  }
  row r;
  r.id = id;
  r.st = static_cast<state>(load_row.column_int64(0));
  r.route = load_row.column_string(1);
  r.not_before = load_row.column_int64(2);
  r.attempts = static_cast<int>(load_row.column_int64(3));
  if (!load_row.is_null(4)) r.sending_at = load_row.column_int64(4);
  if (!load_row.is_null(5)) r.smsc_message_id = load_row.column_string(5);
  r.detail = load_row.column_string(6);
  r.history_len = load_row.column_int64(7);
  r.last_event = load_row.is_null(11) ? 0 : load_row.column_int64(11);
  r.expires_at = load_row.column_int64(8);
  r.carrier = load_row.column_string(9);
  r.via_carrier = load_row.column_string(10);
  load_row.reset();
  return r;
}

void store::impl::transition(row& r, state to, std::int64_t now_ms) {
  if (!can_transition(r.st, to)) {
    fail(errc::invalid_state, fmt::format("message {} is {}, cannot become {}", r.id,
                                          to_string(r.st), to_string(to)));
  }
  write_row.bind(1, r.id).bind(2, static_cast<std::int64_t>(to)).bind(3, now_ms);
  write_row.bind(4, r.route).bind(5, r.not_before).bind(6, std::int64_t{r.attempts});
  if (r.sending_at) write_row.bind(7, *r.sending_at); else write_row.bind_null(7);
  if (r.smsc_message_id) write_row.bind(8, *r.smsc_message_id); else write_row.bind_null(8);
  write_row.bind(9, r.detail).bind(10, r.history_len + 1).bind(11, r.via_carrier);
  if (r.st == state::in_flight && to != state::submitted && to != state::rejected) {
    // An attempt handed to a link (sending mark in the row) that ends without a response:
    // remembered so that its receipt can still be matched by number (schema step 9). Only on
    // these rare paths; the fast ones (claim, submitted, receipts) do not come here.
    record_unanswered.bind(1, r.id).bind(2, now_ms).run();
  }
  auto const event_id = next_event_ids();
  write_row.bind(12, event_id);
  write_row.run();  // the messages_history trigger writes the event (schema steps 4, 7)
  r.st = to;
  ++r.history_len;
  r.last_event = event_id;
}

std::int64_t store::impl::next_event_ids(std::int64_t count) {
  if (next_event_id == 0) {
    max_event_id.step();
    next_event_id = max_event_id.is_null(0) ? 1 : max_event_id.column_int64(0) + 1;
    max_event_id.reset();
  }
  auto first = next_event_id;
  next_event_id += count;
  return first;
}

void store::impl::insert_event(row& r, std::int64_t at,
                               std::optional<std::string_view> smsc_message_id,
                               std::string_view detail) {
  auto const event_id = next_event_ids();
  auto& st = insert_event_st;
  st.bind(1, r.id).bind(2, r.history_len).bind(3, at);
  st.bind(4, static_cast<std::int64_t>(r.st)).bind(5, static_cast<std::int64_t>(r.st));
  st.bind(6, std::int64_t{r.attempts}).bind(7, r.route);
  if (smsc_message_id) st.bind(8, *smsc_message_id); else st.bind_null(8);
  st.bind(9, detail).bind(10, event_id);
  if (r.last_event != 0) st.bind(11, r.last_event); else st.bind_null(11);
  st.run();
  ++r.history_len;
  r.last_event = event_id;
  set_last_event.bind(1, r.id).bind(2, r.last_event).bind(3, r.history_len).run();
}

bool store::impl::any_receipt_held() {
  bool held = any_held.step();
  any_held.reset();
  return held;
}

std::optional<retry_plan> store::impl::ask_retry(row const& r, retry_reason why,
                                                 std::optional<std::string_view> receipt_detail,
                                                 std::int64_t now_ms) {
  if (!opts.retry) return std::nullopt;
  select_message.bind(1, r.id);
  if (!select_message.step()) {
    select_message.reset();
    fail(errc::not_found, fmt::format("no message {}", r.id));
  }
  message m = read_message(select_message);
  select_message.reset();
  // The row may hold changes not written yet (the caller's transition writes them).
  m.st = r.st;
  m.attempts = r.attempts;
  m.route = r.route;
  m.via_carrier = r.via_carrier;
  m.smsc_message_id = r.smsc_message_id.value_or("");
  m.detail = receipt_detail ? std::string(*receipt_detail) : r.detail;
  std::optional<retry_plan> plan;
  try {
    plan = opts.retry(m, why);
  } catch (std::exception const& e) {
    throw policy_error(fmt::format("retry policy for message {}: {}", r.id, e.what()));
  }
  if (!plan) return std::nullopt;
  plan->not_before = from_ms(std::max(to_ms(plan->not_before), now_ms));
  if (to_ms(plan->not_before) >= r.expires_at) return std::nullopt;
  return plan;
}

void store::impl::apply_retry(row& r, retry_plan const& plan, std::int64_t now_ms) {
  r.route = plan.route;
  r.not_before = to_ms(plan.not_before);
  r.sending_at.reset();
  r.detail = fmt::format("retry via {}: {}", plan.route.empty() ? r.carrier : plan.route,
                         plan.detail);
  transition(r, state::queued, now_ms);
}

void store::impl::fail_or_retry(row& r, std::string_view prefix, std::string_view detail,
                                std::int64_t now_ms) {
  if (auto plan = ask_retry(r, retry_reason::failed_receipt, detail, now_ms)) {
    // Two history rows: the receipt (state kept: submitted), then the retry.
    insert_event(r, now_ms, r.smsc_message_id, fmt::format("{}: {} (undeliverable; retried)",
                                                           prefix, detail));
    apply_retry(r, *plan, now_ms);
    return;
  }
  r.detail = fmt::format("{}: {}", prefix, detail);
  transition(r, state::undeliverable, now_ms);
}

message read_message(sqlite::statement const& st) {
  message m;
  m.id = st.column_int64(0);
  m.recipient = st.column_string(1);
  m.sender = st.column_string(2);
  m.text = st.column_string(3);
  m.prio = static_cast<priority>(st.column_int64(4));
  m.purpose = st.column_string(5);
  m.idempotency_key = st.column_string(6);
  m.carrier = st.column_string(7);
  m.route = st.column_string(8);
  m.st = static_cast<state>(st.column_int64(9));
  m.created_at = from_ms(st.column_int64(10));
  m.expires_at = from_ms(st.column_int64(11));
  m.not_before = from_ms(st.column_int64(12));
  m.updated_at = from_ms(st.column_int64(13));
  m.attempts = static_cast<int>(st.column_int64(14));
  if (!st.is_null(15)) m.sending_at = from_ms(st.column_int64(15));
  m.smsc_message_id = st.column_string(16);
  m.detail = st.column_string(17);
  m.via_carrier = st.column_string(18);
  return m;
}

void store::impl::recover(std::int64_t now_ms) {
  sqlite::transaction tx(db);
  std::vector<message_id> ids;
  {
    sqlite::statement st(db, "SELECT id FROM messages WHERE state <= 2 AND state = 1 ORDER BY id");
    while (st.step()) ids.push_back(st.column_int64(0));
  }
  for (auto id : ids) {
    row r = load(id);
    if (r.sending_at) {
      r.detail = "recovery: was being sent when smsgw stopped; may have reached the SMSC";
      transition(r, state::outcome_unknown, now_ms);
      ++recovery.outcome_unknown;
      if (auto plan = ask_retry(r, retry_reason::recovered_unknown, std::nullopt, now_ms)) {
        apply_retry(r, *plan, now_ms);
        ++recovery.retried;
      }
    } else {
      r.detail = "recovery: claimed but never handed to a link";
      transition(r, state::queued, now_ms);
      ++recovery.requeued;
    }
  }
  tx.commit();
}

result<store> store::open(std::string const& path, store_options opts, time_point now) {
  try {
    auto db = sqlite::database::open(path, opts.sqlite);
    migrate(db);
    auto p = std::make_unique<impl>(std::move(db), std::move(opts));
    if (p->opts.limits) {
      auto limiter = rate_limiter::make(p->db, *p->opts.limits);
      if (!limiter) return limiter.error();
      p->limiter.emplace(std::move(*limiter));
    }
    if (!p->opts.sqlite.read_only) p->recover(to_ms(now));
    return store(std::move(p));
  } catch (sqlite::error const& e) {
    return from_sqlite(e, "open queue");
  } catch (failure const& e) {
    return e.err;
  } catch (policy_error const& e) {
    return error{errc::internal, fmt::format("open queue {}: {}", path, e.what())};
  } catch (std::runtime_error const& e) {
    return error{errc::schema_too_new, fmt::format("open queue {}: {}", path, e.what())};
  }
}

store::store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
store::store(store&&) noexcept = default;
store& store::operator=(store&&) noexcept = default;
store::~store() = default;

recovery_report const& store::last_recovery() const noexcept { return impl_->recovery; }
sqlite::database& store::database() noexcept { return impl_->db; }
std::uint64_t store::commits() const noexcept { return impl_->commits; }

result<message> store::get(message_id id) {
  return guarded("get", [&] {
    auto& st = impl_->select_message;
    st.bind(1, id);
    if (!st.step()) {
      st.reset();
      fail(errc::not_found, fmt::format("no message {}", id));
    }
    message m = read_message(st);
    st.reset();
    return m;
  });
}

result<std::vector<event>> store::history(message_id id) {
  return guarded("history", [&] {
    // The message's rows, newest first along the chain (schema step 7), then put in order.
    sqlite::statement st(impl_->db,
        "WITH RECURSIVE chain(id) AS (SELECT last_event FROM messages WHERE id = ?1 "
        "UNION ALL SELECT events.prev FROM events JOIN chain ON events.id = chain.id "
        "WHERE events.prev IS NOT NULL) "
        "SELECT seq, at, from_state, to_state, attempt, route, smsc_message_id, detail "
        "FROM events WHERE id IN chain ORDER BY seq");
    st.bind(1, id);
    std::vector<event> out;
    while (st.step()) {
      event e;
      e.seq = st.column_int64(0);
      e.at = from_ms(st.column_int64(1));
      if (!st.is_null(2)) e.from = static_cast<state>(st.column_int64(2));
      e.to = static_cast<state>(st.column_int64(3));
      e.attempt = static_cast<int>(st.column_int64(4));
      e.route = st.column_string(5);
      e.smsc_message_id = st.column_string(6);
      e.detail = st.column_string(7);
      out.push_back(std::move(e));
    }
    if (out.empty()) fail(errc::not_found, fmt::format("no message {}", id));
    return out;
  });
}

result<std::optional<message>> store::find_by_idempotency_key(std::string_view key) {
  return guarded("find_by_idempotency_key", [&]() -> std::optional<message> {
    auto& fk = impl_->find_key;
    fk.bind(1, key);
    if (!fk.step()) {
      fk.reset();
      return std::nullopt;
    }
    auto id = fk.column_int64(0);
    fk.reset();
    return get(id).value();
  });
}

result<std::array<std::int64_t, 10>> store::count_by_state() {
  return guarded("count_by_state", [&] {
    std::array<std::int64_t, 10> counts{};
    sqlite::statement st(impl_->db, "SELECT state, count(*) FROM messages GROUP BY state");
    while (st.step()) {
      auto s = st.column_int64(0);
      if (s >= 0 && s < 10) counts[static_cast<std::size_t>(s)] = st.column_int64(1);
    }
    return counts;
  });
}

result<std::array<std::int64_t, 3>> store::count_waiting() {
  return guarded("count_waiting", [&] {
    std::array<std::int64_t, 3> counts{};
    sqlite::statement st(impl_->db,
        "SELECT state, count(*) FROM messages INDEXED BY messages_live WHERE state <= 2 "
        "GROUP BY state");
    while (st.step()) {
      auto s = st.column_int64(0);
      if (s >= 0 && s < 3) counts[static_cast<std::size_t>(s)] = st.column_int64(1);
    }
    return counts;
  });
}

}  // namespace smsgw::queue
