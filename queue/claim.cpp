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
#include <tuple>

namespace smsgw::queue {

result<std::vector<message>> store::claim(std::string_view carrier, std::size_t max,
                                          time_point now) {
  return guarded("claim", [&] { return impl_->claim(carrier, max, to_ms(now), false); });
}

result<std::vector<message>> store::claim_for_sending(std::string_view carrier,
                                                      std::size_t max, time_point now) {
  return guarded("claim_for_sending",
                 [&] { return impl_->claim(carrier, max, to_ms(now), true); });
}

std::vector<message> store::impl::claim(std::string_view carrier, std::size_t max,
                                        std::int64_t now_ms, bool sending) {
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
    s.set_sending_all.bind(1, fmt::format("[{}]", fmt::join(ids, ","))).bind(2, now_ms).run();
    if (static_cast<std::size_t>(s.db.changes()) == ids.size()) {
      s.db.exec("RELEASE mark_sending");
      may_send.assign(ids.begin(), ids.end());
    } else {
      s.db.exec("ROLLBACK TO mark_sending; RELEASE mark_sending");
      for (auto id : ids) {
        s.set_sending.bind(1, id).bind(2, now_ms).run();
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

void store::impl::mark_submitted_one(message_id id, std::string_view route,
                                     std::string_view smsc_id, std::string_view via_carrier,
                                     std::int64_t now_ms, bool check_held) {
  if (smsc_id.empty()) fail(errc::invalid_argument, "empty smsc_message_id");
  // One UPDATE when the state allows it (the trigger records the event); load() only to
  // explain a refusal.
  // The caller's strings outlive the run: bound without a copy.
  submit_row.bind(1, id).bind(2, now_ms).bind_unowned(3, route).bind_unowned(4, smsc_id);
  submit_row.bind_unowned(5, via_carrier);
  submit_row.bind(6, next_event_ids());
  submit_row.run();
  if (db.changes() != 1) {
    row r = load(id);
    fail(errc::invalid_state, fmt::format("message {} is {}, cannot become submitted", id,
                                          to_string(r.st)));
  }
  if (!check_held) return;

  // A receipt that overtook this submit_sm_resp was held; apply it now (earliest first).
  // receipts_held is a partial index of the held ones only: usually empty, one cheap seek.
  pending_for_id.bind(1, id).bind(2, smsc_id);
  std::vector<std::tuple<std::int64_t, receipt_outcome, std::string>> held;
  while (pending_for_id.step()) {
    held.emplace_back(pending_for_id.column_int64(0),
                      static_cast<receipt_outcome>(pending_for_id.column_int64(1)),
                      pending_for_id.column_string(2));
  }
  pending_for_id.reset();
  if (held.empty()) return;
  row r = load(id);
  for (auto const& [receipt_id, outcome, detail] : held) {
    bool first = r.st == state::submitted;
    if (first) {
      constexpr std::string_view prefix = "receipt (held until submit_sm_resp)";
      if (outcome == receipt_outcome::delivered) {
        r.detail = fmt::format("{}: {}", prefix, detail);
        transition(r, state::delivered, now_ms);
      } else {
        fail_or_retry(r, prefix, detail, now_ms);
      }
    }
    resolve_receipt.bind(1, receipt_id)
        .bind(2, static_cast<std::int64_t>(first ? receipt_status::applied
                                                 : receipt_status::duplicate))
        .bind(3, id).bind(4, now_ms).run();
  }
}

result<void> store::mark_submitted(message_id id, std::string_view route,
                                   std::string_view smsc_message_id, time_point now,
                                   std::string_view via_carrier) {
  return guarded("mark_submitted", [&] {
    sqlite::transaction tx(impl_->db);
    impl_->mark_submitted_one(id, route, smsc_message_id, via_carrier, to_ms(now),
                              impl_->any_receipt_held());
    tx.commit();
  });
}

result<std::vector<result<void>>> store::mark_submitted_batch(std::span<submission const> subs,
                                                              time_point now) {
  return guarded("mark_submitted", [&] {
    std::vector<result<void>> out;
    out.reserve(subs.size());
    sqlite::transaction tx(impl_->db);
    // No receipt is held by this call: one probe serves the whole batch.
    bool const check_held = impl_->any_receipt_held();
    for (auto const& s : subs) {
      // A refused transition (not_found, invalid_state) changes nothing before it throws:
      // the checks precede the writes, so the others in the batch are unaffected.
      try {
        impl_->mark_submitted_one(s.id, s.route, s.smsc_message_id, s.via_carrier, to_ms(now),
                                  check_held);
        out.emplace_back();
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

result<state> store::requeue(message_id id, std::string_view route, time_point not_before,
                             std::string_view detail, time_point now) {
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

}  // namespace smsgw::queue
