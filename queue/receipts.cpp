// queue/receipts.cpp: delivery receipts. Matched by (via_carrier, normalised SMSC message id):
// the carrier whose SMSC issued the id, whichever of its binds delivered it. Every receipt is
// recorded and committed before apply_receipt() returns, so the daemon may answer
// deliver_sm_resp after: one that makes a submitted message final by the message's history
// row alone, held, orphan, duplicate and the other applied ones in `receipts`.
// Rules: the same (carrier, id, outcome) twice is applied once; an id not known yet while a
// submit is awaiting its response on that carrier is held (pending) and applied by
// mark_submitted(); otherwise it is an orphan (expire_due() also turns stale pending ones so).
// An undeliverable receipt for a submitted message asks the retry policy (store_options).
// A receipt whose id matches nothing may belong to an attempt whose submit_sm_resp was lost:
// matched by number and submit date only when exactly one such attempt fits (never a guess).
#include "queue/store_impl.hpp"

#include "queue/state.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace smsgw::queue {

bool submit_date_fits(receipt_submit_date const& d, time_point from, time_point to,
                      std::chrono::milliseconds tolerance) noexcept {
  using std::chrono::hours;
  // The SMSC wrote local = utc + zone + error, truncated to its resolution, with |error| <=
  // tolerance; so utc lies in [local - zone - tolerance, local + resolution - zone + tolerance].
  for (int zone = -12; zone <= 14; ++zone) {
    auto const earliest = d.local - hours(zone) - tolerance;
    auto const latest = d.local + d.resolution - hours(zone) + tolerance;
    if (earliest <= to && latest >= from) return true;
  }
  return false;
}

// An attempt stops being a candidate after the message's expiry: nothing is sent after it.
constexpr std::string_view k_unanswered_for =
    "SELECT u.message_id, u.attempt, u.sent_at, min(u.given_up_at, m.expires_at), m.state, "
    "m.attempts FROM unanswered_submits AS u INDEXED BY unanswered_submits_recipient "
    "JOIN messages AS m ON m.id = u.message_id "
    "WHERE u.recipient = ?1 AND (u.carrier = ?2 OR u.route = ?2)";
// A submit to the number on the carrier awaiting its response (in flight with its sending
// mark). messages_live (schema step 1) holds the states before submitted.
constexpr std::string_view k_in_flight_to = sql_text<
    "SELECT 1 FROM messages INDEXED BY messages_live WHERE state <= {state::outcome_unknown} "
    "AND state = {state::in_flight} AND sending_at IS NOT NULL AND recipient = ?1 "
    "AND (carrier = ?2 OR route = ?2) LIMIT 1">;

std::optional<message_id> store::impl::match_unanswered(std::string_view carrier,
                                                        std::string_view recipient,
                                                        receipt_submit_date const& submit_date) {
  std::size_t fitting = 0;
  std::optional<message_id> settles;
  auto& unanswered_for = sql_receipts.unanswered_for;
  unanswered_for.bind_unowned(1, recipient).bind_unowned(2, carrier);
  while (unanswered_for.step()) {
    auto const sent = unanswered_for.column_int64(2);
    auto const until = std::max(sent, unanswered_for.column_int64(3));
    if (!submit_date_fits(submit_date, from_ms(sent), from_ms(until),
                          opts.receipt_clock_tolerance))
      continue;
    ++fitting;
    // Only the message's current attempt, while its outcome is still unknown: a message that
    // moved on (retried, expired, ...) is not rewritten, but its attempt still competes.
    bool const current = static_cast<state>(unanswered_for.column_int64(4)) ==
                             state::outcome_unknown &&
                         unanswered_for.column_int64(5) == unanswered_for.column_int64(1);
    if (current) settles = unanswered_for.column_int64(0);
  }
  unanswered_for.reset();
  if (fitting != 1 || !settles) return std::nullopt;
  // A submit to the same number on this carrier awaiting its response: the receipt may be
  // its (it overtook its submit_sm_resp), so it is no evidence for the unanswered one.
  auto& in_flight_to = sql_receipts.in_flight_to;
  in_flight_to.bind_unowned(1, recipient).bind_unowned(2, carrier);
  bool const in_flight = in_flight_to.step();
  in_flight_to.reset();
  if (in_flight) return std::nullopt;
  return settles;
}

constexpr std::string_view k_forget_unanswered =
    "DELETE FROM unanswered_submits WHERE message_id = ?1 AND attempt = ?2";

void store::impl::settle_unanswered(row& r, std::string_view carrier, std::string_view smsc_id,
                                    receipt_outcome outcome, std::string_view detail,
                                    std::int64_t now_ms) {
  auto const attempt = r.attempts;
  r.smsc_message_id = std::string(smsc_id);
  r.via_carrier = std::string(carrier);
  r.route = std::string(carrier);
  r.sending_at.reset();
  r.detail = fmt::format("submit_sm_resp lost; SMSC id {} from its receipt (number and submit "
                         "date matched)", smsc_id);
  transition(r, state::submitted, now_ms);
  sql_receipts.forget_unanswered.bind(1, r.id).bind(2, std::int64_t{attempt}).run();
  if (outcome == receipt_outcome::delivered) {
    r.detail = fmt::format("receipt: {}", detail);
    transition(r, state::delivered, now_ms);
  } else {
    fail_or_retry(r, "receipt", detail, now_ms);
  }
}

// The common receipt in two statements: the newest message with the id, read whole (its
// columns, k_message_columns, are put in when it is prepared), and whether a receipt with this
// outcome was recorded for the id before (a row in `receipts`); then, if it is submitted and
// none was, an UPDATE of that row by its key. The message as stored after is the row read
// with what the UPDATE wrote: no read after it (the caller's DLR line needs the message), and
// no RETURNING (an ephemeral b-tree per call: dearer than a read, docs/performance.md).
constexpr std::string_view k_receipt_target = sql_text<
    "SELECT {}, EXISTS (SELECT 1 FROM receipts WHERE carrier = ?1 AND smsc_message_id = ?2 "
    "AND outcome = ?3 AND status <> {receipt_status::duplicate}) FROM messages "
    "WHERE via_carrier = ?1 AND smsc_message_id = ?2 ORDER BY id DESC LIMIT 1">;
constexpr std::string_view k_receipt_apply = sql_text<
    "UPDATE OR FAIL messages SET state = ?2, updated_at = ?3, detail = ?4, "
    "history_len = history_len + 1, last_event = ?5 "
    "WHERE id = ?1 AND state = {state::submitted}">;
// k_receipt_target's column after the message's: 1 if the receipt was recorded before.
constexpr int k_receipt_seen_column = 21;
// Both lookups of a receipt in one statement: the same receipt recorded before (NULL: no;
// 0: yes, not matched to a message; else its message id), and the newest message with the
// id times 2, plus 1 if it was already made final (state ?4) by a receipt (one index probe):
// a receipt applied on the fast path is recorded only by the message's history row.
constexpr std::string_view k_lookup_receipt = sql_text<
    "SELECT (SELECT coalesce(message_id, 0) FROM receipts WHERE carrier = ?1 "
    "AND smsc_message_id = ?2 AND outcome = ?3 AND status <> {receipt_status::duplicate} "
    "LIMIT 1), "
    "(SELECT id * 2 + (state = ?4 AND substr(detail, 1, 9) = 'receipt: ') FROM messages "
    "WHERE via_carrier = ?1 AND smsc_message_id = ?2 ORDER BY id DESC LIMIT 1)">;
// Whether a submit on the carrier awaits its response (messages_live, schema step 1).
constexpr std::string_view k_any_sending = sql_text<
    "SELECT 1 FROM messages WHERE state <= {state::outcome_unknown} "
    "AND state = {state::in_flight} AND sending_at IS NOT NULL "
    "AND (carrier = ?1 OR route = ?1) LIMIT 1">;
constexpr std::string_view k_insert_receipt =
    "INSERT INTO receipts (carrier, smsc_message_id, outcome, received_at, detail, status, "
    "message_id, resolved_at, recipient, submit_local, submit_resolution) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";

receipt_result store::impl::apply_receipt_one(std::string_view carrier, std::string_view smsc_id,
                                              receipt_outcome outcome, std::string_view detail,
                                              std::int64_t now_ms, std::string_view recipient,
                                              std::optional<receipt_submit_date> const& submit_date,
                                              std::optional<message>* stored,
                                              std::optional<time_point>* submitted_at) {
  if (carrier.empty() || smsc_id.empty())
    fail(errc::invalid_argument, "receipt without carrier or smsc_message_id");
  receipt_result res;
  auto& insert_receipt = sql_receipts.insert_receipt;
  auto record = [&](receipt_status status) {
    insert_receipt.bind(1, carrier).bind(2, smsc_id).bind(3, static_cast<std::int64_t>(outcome));
    insert_receipt.bind(4, now_ms).bind(5, detail).bind(6, static_cast<std::int64_t>(status));
    if (res.id) insert_receipt.bind(7, *res.id); else insert_receipt.bind_null(7);
    if (status == receipt_status::pending) insert_receipt.bind_null(8);
    else insert_receipt.bind(8, now_ms);
    // Number and submit date: a held receipt may be matched by them later.
    if (recipient.empty()) insert_receipt.bind_null(9); else insert_receipt.bind(9, recipient);
    if (submit_date) {
      insert_receipt.bind(10, to_ms(submit_date->local));
      insert_receipt.bind(11, static_cast<std::int64_t>(submit_date->resolution.count()));
    } else {
      insert_receipt.bind_null(10).bind_null(11);
    }
    insert_receipt.run();
    res.status = status;
    // An applied one on the general path (rare): its message read as it is now.
    if (stored && status == receipt_status::applied && res.id) *stored = read(*res.id);
    return res;
  };

  state to = outcome == receipt_outcome::delivered ? state::delivered : state::undeliverable;
  std::string const receipt_detail = fmt::format("receipt: {}", detail);

  // The common case, a submitted message and no retry decision to make: read, then moved by
  // its key. The trigger's history row (state, time, "receipt: <detail>") is the receipt's
  // only record: a repeat is recognised from the message (final by a receipt, below).
  // Anything else goes the general way and is recorded in `receipts` too.
  if (to == state::delivered || !opts.retry) {
    auto& target = sql_receipts.receipt_target;
    // Strings that outlive the step: bound without a copy.
    target.bind_unowned(1, carrier).bind_unowned(2, smsc_id);
    target.bind(3, static_cast<std::int64_t>(outcome));
    std::optional<message_id> fast_id;
    std::optional<message> m;
    if (target.step() && static_cast<state>(target.column_int64(9)) == state::submitted &&
        target.column_int64(k_receipt_seen_column) == 0) {
      fast_id = target.column_int64(0);
      if (stored) m = read_message(target);
    }
    target.reset();
    if (fast_id) {
      auto& apply = sql_receipts.receipt_apply;
      apply.bind(1, *fast_id).bind(2, static_cast<std::int64_t>(to)).bind(3, now_ms);
      apply.bind_unowned(4, receipt_detail).bind(5, next_event_ids()).run();
      // Read in this transaction just now: it is still submitted.
      if (db.changes() != 1) fail(errc::internal, "receipt: the message read changed");
      res.id = fast_id;
      res.st = to;
      res.status = receipt_status::applied;
      if (m) {
        // Read while submitted: its time is when the attempt was accepted.
        if (submitted_at) *submitted_at = m->updated_at;
        // What the UPDATE wrote; its final state made the step-10 trigger erase the text.
        m->st = to;
        m->updated_at = from_ms(now_ms);
        m->detail = receipt_detail;
        m->text.clear();
        *stored = std::move(m);
      }
      return res;
    }
  }

  auto& lookup_receipt = sql_receipts.lookup_receipt;
  lookup_receipt.bind(1, carrier).bind(2, smsc_id).bind(3, static_cast<std::int64_t>(outcome));
  lookup_receipt.bind(4, static_cast<std::int64_t>(to));
  lookup_receipt.step();
  bool const seen = !lookup_receipt.is_null(0);
  auto const seen_id = lookup_receipt.column_int64(0);
  bool const found = !lookup_receipt.is_null(1);
  auto const found_id = lookup_receipt.column_int64(1) >> 1;
  bool const final_by_receipt = found && (lookup_receipt.column_int64(1) & 1) != 0;
  lookup_receipt.reset();
  if (seen) {
    if (seen_id != 0) {
      res.id = seen_id;
      res.st = load(seen_id).st;
    }
    return record(receipt_status::duplicate);
  }
  if (final_by_receipt) {  // applied before on the fast path (not in `receipts`)
    res.id = found_id;
    res.st = to;
    return record(receipt_status::duplicate);
  }
  if (!found) {
    // Perhaps the late receipt of an earlier attempt, retried since (no receipt in time):
    // one probe of the earlier_attempts key (schema step 11), only on this rare path.
    if (auto earlier = apply_earlier_attempt_receipt(carrier, smsc_id, outcome, detail, now_ms)) {
      res = *earlier;
      return record(receipt_status::applied);
    }
    // Perhaps the receipt of an attempt whose submit_sm_resp was lost (the rare path: one
    // seek in the almost always empty unanswered_submits index).
    if (!recipient.empty() && submit_date) {
      if (auto id = match_unanswered(carrier, recipient, *submit_date)) {
        res.id = *id;
        row r = load(*id);
        settle_unanswered(r, carrier, smsc_id, outcome, detail, now_ms);
        res.st = r.st;
        return record(receipt_status::applied);
      }
    }
    auto& any_sending = sql_receipts.any_sending;
    any_sending.bind(1, carrier);
    bool awaiting = any_sending.step();
    any_sending.reset();
    return record(awaiting ? receipt_status::pending : receipt_status::orphan);
  }
  res.id = found_id;

  row r = load(*res.id);
  if (to == state::undeliverable && r.st == state::submitted) {
    fail_or_retry(r, "receipt", detail, now_ms);  // the retry policy may queue it again
  } else if (can_transition(r.st, to) && r.st != state::in_flight &&
             !(to == state::undeliverable && r.st == state::queued)) {
    // (A failed receipt of the attempt before a queued retry does not end the retry.)
    r.detail = receipt_detail;
    transition(r, to, now_ms);
  } else {
    // Final already (an earlier receipt with another outcome, expired, ...) or a new attempt
    // is in flight: recorded for the support agent, the state is not rewritten.
    insert_event(r, now_ms, smsc_id,
                 fmt::format("receipt recorded, state kept ({}): {}", to_string(r.st), detail));
    // Queued for a retry: the failure is of the attempt before it, not an outcome.
    res.earlier_attempt_kept = r.st == state::queued;
  }
  res.st = r.st;
  return record(receipt_status::applied);
}

// Schema step 11: the attempt a late receipt belongs to, after the message moved on.
constexpr std::string_view k_earlier_attempt =
    "SELECT message_id, attempt FROM earlier_attempts WHERE smsc_message_id = ?2 "
    "AND via_carrier = ?1 ORDER BY message_id DESC LIMIT 1";

std::optional<receipt_result> store::impl::apply_earlier_attempt_receipt(
    std::string_view carrier, std::string_view smsc_id, receipt_outcome outcome,
    std::string_view detail, std::int64_t now_ms) {
  auto& q = sql_receipts.earlier_attempt;
  q.bind(1, carrier).bind(2, smsc_id);
  if (!q.step()) {
    q.reset();
    return std::nullopt;
  }
  message_id const id = q.column_int64(0);
  auto const attempt = q.column_int64(1);
  q.reset();
  receipt_result res;
  res.id = id;
  row r = load(id);
  auto const what = fmt::format("receipt of attempt {} via {}: {}", attempt, carrier, detail);
  // Delivered by any attempt is delivered: while the message is not final yet (a retry
  // waiting, submitted again, outcome unknown) or has only no_receipt. A new attempt in
  // flight, a final state, or a failed receipt (the newer attempt decides): recorded only.
  bool const upgrade = outcome == receipt_outcome::delivered &&
                       (r.st == state::queued || r.st == state::submitted ||
                        r.st == state::outcome_unknown || r.st == state::no_receipt);
  if (upgrade) {
    r.detail = what;
    r.sending_at.reset();
    transition(r, state::delivered, now_ms);
  } else {
    insert_event(r, now_ms, smsc_id,
                 fmt::format("{} (recorded, state kept: {})", what, to_string(r.st)));
    res.earlier_attempt_kept = true;
  }
  res.st = r.st;
  res.status = receipt_status::applied;
  return res;
}

constexpr std::string_view k_any_held = sql_text<
    "SELECT 1 FROM receipts WHERE status = {receipt_status::pending} LIMIT 1">;

bool store::impl::any_receipt_held() {
  auto& any_held = sql_receipts.any_held;
  bool held = any_held.step();
  any_held.reset();
  return held;
}

// receipts_held (schema step 4) is a partial index of the held ones only: usually empty, one
// cheap seek.
constexpr std::string_view k_pending_for_id = sql_text<
    "SELECT id, outcome, detail FROM receipts INDEXED BY receipts_held "
    "WHERE carrier = (SELECT via_carrier FROM messages WHERE id = ?1) "
    "AND smsc_message_id = ?2 AND status = {receipt_status::pending} ORDER BY id">;
constexpr std::string_view k_resolve_receipt =
    "UPDATE receipts SET status = ?2, message_id = ?3, resolved_at = ?4 WHERE id = ?1";

std::optional<std::string> store::impl::apply_held_receipts(message_id id,
                                                            std::string_view smsc_id,
                                                            std::int64_t now_ms) {
  auto& pending_for_id = sql_receipts.pending_for_id;
  pending_for_id.bind(1, id).bind(2, smsc_id);
  std::vector<std::tuple<std::int64_t, receipt_outcome, std::string>> held;
  while (pending_for_id.step()) {
    held.emplace_back(pending_for_id.column_int64(0),
                      static_cast<receipt_outcome>(pending_for_id.column_int64(1)),
                      pending_for_id.column_string(2));
  }
  pending_for_id.reset();
  if (held.empty()) return {};
  std::optional<std::string> settled_by;
  row r = load(id);
  for (auto const& [receipt_id, outcome, detail] : held) {
    bool first = r.st == state::submitted;
    if (first) {
      settled_by = detail;
      constexpr std::string_view prefix = "receipt (held until submit_sm_resp)";
      if (outcome == receipt_outcome::delivered) {
        r.detail = fmt::format("{}: {}", prefix, detail);
        transition(r, state::delivered, now_ms);
      } else {
        fail_or_retry(r, prefix, detail, now_ms);
      }
    }
    sql_receipts.resolve_receipt.bind(1, receipt_id)
        .bind(2, static_cast<std::int64_t>(first ? receipt_status::applied
                                                 : receipt_status::duplicate))
        .bind(3, id).bind(4, now_ms).run();
  }
  return settled_by;
}

result<receipt_result> store::apply_receipt(std::string_view carrier,
                                            std::string_view smsc_message_id,
                                            receipt_outcome outcome, std::string_view detail,
                                            time_point now) {
  return guarded("apply_receipt", [&] {
    sqlite::transaction tx(impl_->db);
    auto res = impl_->apply_receipt_one(carrier, smsc_message_id, outcome, detail, to_ms(now));
    tx.commit();
    return res;
  });
}

result<receipt_result> store::apply_receipt(receipt const& r, time_point now) {
  return guarded("apply_receipt", [&] {
    sqlite::transaction tx(impl_->db);
    auto res = impl_->apply_receipt_one(r.carrier, r.smsc_message_id, r.outcome, r.detail,
                                        to_ms(now), r.recipient, r.submit_date);
    tx.commit();
    return res;
  });
}

result<std::vector<recorded_receipt>> store::apply_receipts(std::span<receipt const> receipts,
                                                            time_point now) {
  return guarded("apply_receipts", [&] {
    std::vector<recorded_receipt> out;
    out.reserve(receipts.size());
    sqlite::transaction tx(impl_->db);
    for (auto const& r : receipts) {
      auto& rec = out.emplace_back();
      rec.res = impl_->apply_receipt_one(r.carrier, r.smsc_message_id, r.outcome, r.detail,
                                         to_ms(now), r.recipient, r.submit_date, &rec.msg,
                                         &rec.submitted_at);
    }
    tx.commit();
    return out;
  });
}

result<std::optional<std::string>> store::applied_receipt_detail(message_id id) {
  return guarded("applied_receipt_detail", [&]() -> std::optional<std::string> {
    // receipts_key: the rows of the message's (via_carrier, SMSC id), then the one applied.
    sqlite::statement q(impl_->db, sql_text<
        "SELECT r.detail FROM messages AS m JOIN receipts AS r INDEXED BY receipts_key "
        "ON r.carrier = m.via_carrier AND r.smsc_message_id = m.smsc_message_id "
        "WHERE m.id = ?1 AND r.message_id = ?1 AND r.status = {receipt_status::applied} "
        "ORDER BY r.id DESC LIMIT 1">);
    q.bind(1, id);
    if (!q.step()) return std::nullopt;
    return q.column_string(0);
  });
}

result<std::vector<held_receipt_resolution>> store::resolve_held_receipts(time_point now) {
  return guarded("resolve_held_receipts", [&] {
    auto& s = *impl_;
    auto const now_ms = to_ms(now);
    std::vector<held_receipt_resolution> out;
    sqlite::transaction tx(s.db);
    struct held {
      std::int64_t id = 0, received_at = 0;
      held_receipt_resolution res;
      receipt_outcome outcome{};
      std::string recipient;
      std::optional<receipt_submit_date> submit_date;
    };
    std::vector<held> rows;
    {
      // receipts_held: the held ones only, usually none (one probe per housekeeping tick).
      sqlite::statement q(s.db, sql_text<
          "SELECT id, carrier, smsc_message_id, outcome, detail, received_at, recipient, "
          "submit_local, submit_resolution FROM receipts INDEXED BY receipts_held "
          "WHERE status = {receipt_status::pending} ORDER BY id">);
      while (q.step()) {
        held h;
        h.id = q.column_int64(0);
        h.res.carrier = q.column_string(1);
        h.res.smsc_message_id = q.column_string(2);
        h.outcome = static_cast<receipt_outcome>(q.column_int64(3));
        h.res.detail = q.column_string(4);
        h.received_at = q.column_int64(5);
        if (!q.is_null(6)) h.recipient = q.column_string(6);
        if (!q.is_null(7) && !q.is_null(8)) {
          h.submit_date = receipt_submit_date{from_ms(q.column_int64(7)),
                                              std::chrono::milliseconds(q.column_int64(8))};
        }
        rows.push_back(std::move(h));
      }
    }
    auto const stale = now_ms - s.opts.receipt_hold.count();
    for (auto& h : rows) {
      std::optional<message_id> id;
      if (!h.recipient.empty() && h.submit_date)
        id = s.match_unanswered(h.res.carrier, h.recipient, *h.submit_date);
      if (id) {
        row r = s.load(*id);
        s.settle_unanswered(r, h.res.carrier, h.res.smsc_message_id, h.outcome, h.res.detail,
                            now_ms);
        s.sql_receipts.resolve_receipt.bind(1, h.id)
            .bind(2, static_cast<std::int64_t>(receipt_status::applied))
            .bind(3, *id).bind(4, now_ms).run();
        h.res.status = receipt_status::applied;
        if (auto m = s.read(*id)) h.res.msg = std::move(*m);
      } else if (h.received_at <= stale) {
        s.sql_receipts.resolve_receipt.bind(1, h.id)
            .bind(2, static_cast<std::int64_t>(receipt_status::orphan))
            .bind_null(3).bind(4, now_ms).run();
        h.res.status = receipt_status::orphan;
      } else {
        continue;  // still held: its submit_sm_resp may come
      }
      out.push_back(std::move(h.res));
    }
    tx.commit();
    return out;
  });
}

receipt_statements::receipt_statements(sqlite::database& db)
    : receipt_target(db, fmt::format(k_receipt_target, k_message_columns)),
      receipt_apply(db, k_receipt_apply),
      lookup_receipt(db, k_lookup_receipt), any_sending(db, k_any_sending),
      insert_receipt(db, k_insert_receipt), any_held(db, k_any_held),
      pending_for_id(db, k_pending_for_id), resolve_receipt(db, k_resolve_receipt),
      unanswered_for(db, k_unanswered_for), in_flight_to(db, k_in_flight_to),
      forget_unanswered(db, k_forget_unanswered), earlier_attempt(db, k_earlier_attempt) {}

}  // namespace smsgw::queue
