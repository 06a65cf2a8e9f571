// queue/claim.cpp: the dispatch side of the state machine: claim a batch for a carrier, mark it
// as being sent (or both at once: claim_for_sending), then record what the SMSC said
// (submitted, rejected, no answer) or requeue it.
// Invariant: a message is handed out only while now < expires_at; checked at claim and again
// at mark_sending, so a message claimed just before its expiry is not sent after it.
#include "queue/store_impl.hpp"

#include "queue/state.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace smsgw::queue {

result<std::vector<message>> store::claim(std::string_view carrier, std::size_t max,
                                          time_point now, priority least_urgent) {
  return guarded("claim",
                 [&] { return impl_->claim(carrier, max, to_ms(now), false, least_urgent); });
}

result<std::vector<message>> store::claim_for_sending(std::string_view carrier,
                                                      std::size_t max, time_point now,
                                                      priority least_urgent) {
  return guarded("claim_for_sending",
                 [&] { return impl_->claim(carrier, max, to_ms(now), true, least_urgent); });
}

// The next `max` due messages of the carrier in claim order (a walk of messages_due), read as
// they are; then one UPDATE per priority class read takes exactly that range of the index
// (same carrier and class, due, up to the last id read): no RETURNING and no IN list, each of
// which made SQLite copy every row into an ephemeral b-tree (callgrind).
// Those past expiry become expired instead; claim() asks again for the places they took.
// claim_select's ?4: the least urgent priority taken (a peak-hour window may hold the others).
// claim_due's ?4 = 1: claim_for_sending (sending mark set in the same statement).
// Both say state = queued as messages_due does (schema step 1), so that SQLite uses it.
// k_message_columns is put in when it is prepared (claim_statements).
constexpr std::string_view k_claim_select = sql_text<
    "SELECT {} FROM messages INDEXED BY messages_due WHERE carrier = ?1 "
    "AND state = {state::queued} AND not_before <= ?2 AND priority <= ?4 ORDER BY priority, id "
    "LIMIT ?3">;
constexpr std::string_view k_claim_due = sql_text<
    "UPDATE OR FAIL messages INDEXED BY messages_due "
    "SET state = CASE WHEN expires_at > ?2 THEN {state::in_flight} ELSE {state::expired} END, "
    "attempts = attempts + (expires_at > ?2), "
    "sending_at = CASE WHEN ?4 AND expires_at > ?2 THEN ?2 END, updated_at = ?2, "
    "detail = CASE WHEN expires_at <= ?2 THEN 'expired before it could be sent' "
    "WHEN ?4 THEN 'claimed for sending' ELSE 'claimed' END, history_len = history_len + 1, "
    "last_event = ?7 + (id - ?8) "
    "WHERE carrier = ?1 AND state = {state::queued} AND not_before <= ?2 AND priority = ?5 "
    "AND id BETWEEN ?8 AND ?6">;

std::vector<message> store::impl::claim(std::string_view carrier, std::size_t max,
                                        std::int64_t now_ms, bool sending,
                                        priority least_urgent) {
  auto& claim_select = sql_claim.claim_select;
  auto& claim_due = sql_claim.claim_due;
  std::vector<message> claimed;
  if (max == 0) return claimed;
  sqlite::transaction tx(db);
  // Read the next batch in claim order, then take exactly those rows with one UPDATE of that
  // index range; the trigger records each one's event. Expired ones took places: ask again.
  std::size_t expired = 1;
  while (claimed.size() < max && expired > 0) {
    expired = 0;
    std::size_t const before = claimed.size();
    // The last id read in each priority class: rows of a class are read in id order and
    // the walk passed every due row of a class before the last one read.
    std::int64_t first_id[3] = {0, 0, 0}, last_id[3] = {0, 0, 0};
    claim_select.bind_unowned(1, carrier).bind(2, now_ms);
    claim_select.bind(3, static_cast<std::int64_t>(max - claimed.size()));
    claim_select.bind(4, static_cast<std::int64_t>(least_urgent));
    while (claim_select.step()) {
      auto const prio = claim_select.column_int64(4);
      if (first_id[prio] == 0) first_id[prio] = claim_select.column_int64(0);
      last_id[prio] = claim_select.column_int64(0);
      if (claim_select.column_int64(11) > now_ms) {
        claimed.push_back(read_message(claim_select));
      } else {
        ++expired;
      }
    }
    claim_select.reset();
    std::size_t const taken = claimed.size() - before + expired;
    if (taken == 0) break;
    std::size_t updated = 0;
    for (std::int64_t prio = 0; prio < 3; ++prio) {
      if (last_id[prio] == 0) continue;
      // History keys: one for each id of the range (schema step 7; gaps are harmless).
      auto const events = next_event_ids(last_id[prio] - first_id[prio] + 1);
      claim_due.bind_unowned(1, carrier).bind(2, now_ms).bind(4, std::int64_t{sending});
      claim_due.bind(5, prio).bind(6, last_id[prio]).bind(7, events).bind(8, first_id[prio]);
      claim_due.run();
      updated += static_cast<std::size_t>(db.changes());
    }
    if (updated != taken) {
      fail(errc::internal, fmt::format("claim took {} rows, read {}", updated, taken));
    }
    // What the UPDATE wrote, as RETURNING would have shown it.
    auto const now = from_ms(now_ms);
    for (auto it = claimed.begin() + static_cast<std::ptrdiff_t>(before); it != claimed.end();
         ++it) {
      it->st = state::in_flight;
      it->attempts += 1;
      it->updated_at = now;
      if (sending) it->sending_at = now; else it->sending_at.reset();
      it->detail = sending ? "claimed for sending" : "claimed";
    }
  }
  tx.commit();
  return claimed;
}

// Not a state change (no history row): the sending mark of claimed (in_flight) messages not
// yet marked and not expired.
constexpr std::string_view k_set_sending = sql_text<
    "UPDATE messages SET sending_at = ?2 WHERE id = ?1 AND state = {state::in_flight} "
    "AND sending_at IS NULL AND expires_at > ?2">;
// mark_sending's fast path: the whole batch (ids as a JSON array) in one statement.
constexpr std::string_view k_set_sending_all = sql_text<
    "UPDATE messages SET sending_at = ?2 WHERE id IN (SELECT value FROM json_each(?1)) "
    "AND state = {state::in_flight} AND sending_at IS NULL AND expires_at > ?2">;

result<std::size_t> store::clear_sending_marks(std::span<message_id const> ids) {
  return guarded("clear_sending_marks", [&] {
    sqlite::transaction tx(impl_->db);
    sqlite::statement st(impl_->db, sql_text<
        "UPDATE messages SET sending_at = NULL WHERE id IN (SELECT value FROM json_each(?1)) "
        "AND state = {state::in_flight} AND sending_at IS NOT NULL">);
    st.bind(1, fmt::format("[{}]", fmt::join(ids, ","))).run();
    auto const cleared = static_cast<std::size_t>(impl_->db.changes());
    tx.commit();
    return cleared;
  });
}

result<std::vector<message_id>> store::mark_sending(std::span<message_id const> ids,
                                                    time_point now) {
  return guarded("mark_sending", [&] {
    auto const now_ms = to_ms(now);
    std::vector<message_id> may_send;
    may_send.reserve(ids.size());
    sqlite::transaction tx(impl_->db);
    // Not a state change: the in_flight rows get their sending mark, without a history row
    // (the submitted/outcome_unknown event that follows records the attempt). Fast path: one
    // UPDATE for the batch; if it did not mark every id (one expired, refused, unknown or
    // repeated), it is undone and the ids are taken one by one, which explains each.
    auto& s = *impl_;
    s.db.exec("SAVEPOINT mark_sending");
    s.sql_claim.set_sending_all.bind(1, fmt::format("[{}]", fmt::join(ids, ",")))
        .bind(2, now_ms)
        .run();
    if (static_cast<std::size_t>(s.db.changes()) == ids.size()) {
      s.db.exec("RELEASE mark_sending");
      may_send.assign(ids.begin(), ids.end());
    } else {
      s.db.exec("ROLLBACK TO mark_sending; RELEASE mark_sending");
      for (auto id : ids) {
        s.sql_claim.set_sending.bind(1, id).bind(2, now_ms).run();
        if (s.db.changes() == 1) {
          may_send.push_back(id);
          continue;
        }
        row r = s.load(id);
        if (r.st != state::in_flight || r.sending_at) {
          fail(errc::invalid_state, fmt::format("message {} is {}{}, not claimed", id,
                                                to_string(r.st),
                                                r.sending_at ? " (sending)" : ""));
        }
        r.detail = "expired before it could be sent";  // the only other reason
        s.transition(r, state::expired, now_ms);
      }
    }
    tx.commit();
    return may_send;
  });
}

// Detail of the submitted transition from in_flight (from outcome_unknown it says "late").
constexpr std::string_view k_submitted_detail = "submit_sm_resp OK";

// Plain UPDATEs without RETURNING for one row: RETURNING materialises its rows in an
// ephemeral b-tree, which cost more per call than the update itself (callgrind), and more than
// reading the row again by its key (docs/performance.md, "Fewer reads on the writer").
// No SQL function in an UPDATE that changes `state`: with the history trigger it writes two
// b-trees, and a function call makes SQLite open a statement journal for it (every page it
// touches copied once more: nullif() here cost 13%, docs/queue.md). CASE does it inline.
// k_submitted_detail is put in when it is prepared (claim_statements).
constexpr std::string_view k_submit_row = sql_text<
    "UPDATE OR FAIL messages SET state = {state::submitted}, updated_at = ?2, route = ?3, "
    "smsc_message_id = ?4, "
    "via_carrier = CASE ?5 WHEN '' THEN carrier ELSE ?5 END, sending_at = NULL, "
    "detail = CASE state WHEN {state::in_flight} THEN '{}' ELSE 'submit_sm_resp OK (late: was "
    "outcome_unknown)' END, history_len = history_len + 1, last_event = ?6, "
    "receipt_due_at = CASE WHEN ?7 IS NULL OR ?7 > expires_at THEN expires_at ELSE ?7 END "
    "WHERE id = ?1 AND state IN ({state::in_flight}, {state::outcome_unknown})">;

void store::impl::mark_submitted_one(message_id id, std::string_view route,
                                     std::string_view smsc_id, std::string_view via_carrier,
                                     std::int64_t now_ms, bool check_held,
                                     std::optional<std::int64_t> receipt_due,
                                     submitted_message* stored) {
  if (smsc_id.empty()) fail(errc::invalid_argument, "empty smsc_message_id");
  // One UPDATE when the state allows it (the trigger records the event); load() only to
  // explain a refusal.
  // The caller's strings outlive the run: bound without a copy.
  auto& submit_row = sql_claim.submit_row;
  submit_row.bind(1, id).bind(2, now_ms).bind_unowned(3, route).bind_unowned(4, smsc_id);
  submit_row.bind_unowned(5, via_carrier);
  submit_row.bind(6, next_event_ids());
  if (receipt_due) submit_row.bind(7, *receipt_due); else submit_row.bind_null(7);
  submit_row.run();
  if (db.changes() != 1) {
    row r = load(id);
    fail(errc::invalid_state, fmt::format("message {} is {}, cannot become submitted", id,
                                          to_string(r.st)));
  }
  if (stored) *stored = submitted_message{};  // just submitted: nothing to read
  // A receipt that overtook this submit_sm_resp was held: applied now (queue/receipts.cpp).
  // It changed the message (final, or queued again): read as it is now (rare).
  if (!check_held) return;
  auto held = apply_held_receipts(id, smsc_id, now_ms);
  if (!held || !stored) return;
  stored->settled = read(id);
  if (!stored->settled) fail(errc::internal, fmt::format("message {} gone after its receipt", id));
  stored->st = stored->settled->st;
  stored->held_receipt = std::move(*held);
}

result<void> store::mark_submitted(message_id id, std::string_view route,
                                   std::string_view smsc_message_id, time_point now,
                                   std::string_view via_carrier,
                                   std::optional<time_point> receipt_due) {
  return guarded("mark_submitted", [&] {
    sqlite::transaction tx(impl_->db);
    std::optional<std::int64_t> due;
    if (receipt_due) due = to_ms(*receipt_due);
    impl_->mark_submitted_one(id, route, smsc_message_id, via_carrier, to_ms(now),
                              impl_->any_receipt_held(), due);
    tx.commit();
  });
}

result<void> store::in_one_transaction(std::function<void()> const& work) {
  return guarded("transaction", [&] {
    sqlite::transaction tx(impl_->db);
    work();
    tx.commit();
  });
}

result<std::vector<result<submitted_message>>> store::mark_submitted_batch(
    std::span<submission const> subs, time_point now) {
  return guarded("mark_submitted", [&] {
    std::vector<result<submitted_message>> out;
    out.reserve(subs.size());
    sqlite::transaction tx(impl_->db);
    // No receipt is held by this call: one probe serves the whole batch.
    bool const check_held = impl_->any_receipt_held();
    for (auto const& s : subs) {
      // A refused transition (not_found, invalid_state) changes nothing before it throws:
      // the checks precede the writes, so the others in the batch are unaffected.
      try {
        std::optional<std::int64_t> due;
        if (s.receipt_due) due = to_ms(*s.receipt_due);
        submitted_message stored;
        impl_->mark_submitted_one(s.id, s.route, s.smsc_message_id, s.via_carrier, to_ms(now),
                                  check_held, due, &stored);
        out.emplace_back(std::move(stored));
      } catch (failure const& f) {
        out.emplace_back(f.err);
      }
    }
    tx.commit();
    return out;
  });
}

namespace {

// Loads `id`, sets its detail and moves it to `to` in one transaction.
result<void> simple_transition(store::impl& s, std::string_view op, message_id id, state to,
                               std::string_view detail, time_point now) {
  return guarded(op, [&] {
    sqlite::transaction tx(s.db);
    row r = s.load(id);
    r.detail = std::string(detail);
    r.sending_at.reset();
    s.transition(r, to, to_ms(now));
    tx.commit();
  });
}

}  // namespace

result<void> store::mark_rejected(message_id id, std::string_view detail, time_point now) {
  return simple_transition(*impl_, "mark_rejected", id, state::rejected, detail, now);
}

result<void> store::mark_outcome_unknown(message_id id, std::string_view detail,
                                         time_point now) {
  return simple_transition(*impl_, "mark_outcome_unknown", id, state::outcome_unknown, detail,
                           now);
}

result<void> store::cancel(message_id id, time_point now) {
  return guarded("cancel", [&] {
    sqlite::transaction tx(impl_->db);
    row r = impl_->load(id);
    if (r.st != state::queued && r.st != state::outcome_unknown) {
      fail(errc::invalid_state,
           fmt::format("message {} is {}, cannot be cancelled", id, to_string(r.st)));
    }
    r.detail = "cancelled";
    impl_->transition(r, state::cancelled, to_ms(now));
    tx.commit();
  });
}

result<void> store::mark_rejected_filtered(message_id id, std::string_view detail,
                                           std::string_view filtered_route, time_point now) {
  return guarded("mark_rejected", [&] {
    sqlite::transaction tx(impl_->db);
    row r = impl_->load(id);
    r.detail = std::string(detail);
    r.sending_at.reset();
    r.filtered_routes = add_route(r.filtered_routes, filtered_route);
    impl_->transition(r, state::rejected, to_ms(now));
    tx.commit();
  });
}

result<state> store::requeue(message_id id, std::string_view route, time_point not_before,
                             std::string_view detail, time_point now,
                             std::string_view filtered_route) {
  return guarded("requeue", [&] {
    auto const now_ms = to_ms(now);
    sqlite::transaction tx(impl_->db);
    row r = impl_->load(id);
    if (r.st != state::in_flight && r.st != state::outcome_unknown &&
        r.st != state::submitted) {
      fail(errc::invalid_state,
           fmt::format("message {} is {}, cannot be requeued", id, to_string(r.st)));
    }
    auto nb = std::max(to_ms(not_before), now_ms);
    r.sending_at.reset();
    r.filtered_routes = add_route(r.filtered_routes, filtered_route);
    state to = state::queued;
    if (nb >= r.expires_at) {
      // Would not be due before its expiry: never handed out again. A submitted message
      // already reached the SMSC; it stays submitted rather than pretending it expired.
      if (r.st == state::submitted) {
        fail(errc::invalid_state,
             fmt::format("message {} expires before the retry time", id));
      }
      r.detail = fmt::format("expired: retry not possible before expiry ({})", detail);
      to = state::expired;
    } else {
      r.route = std::string(route);
      r.not_before = nb;
      r.detail = std::string(detail);
    }
    impl_->transition(r, to, now_ms);
    tx.commit();
    return to;
  });
}

claim_statements::claim_statements(sqlite::database& db)
    : claim_select(db, fmt::format(k_claim_select, k_message_columns)),
      claim_due(db, k_claim_due), set_sending_all(db, k_set_sending_all),
      set_sending(db, k_set_sending),
      submit_row(db, fmt::format(k_submit_row, k_submitted_detail)) {}

}  // namespace smsgw::queue
