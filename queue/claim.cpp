// queue/claim.cpp: the dispatch side of the state machine: claim a batch for a carrier, mark it
// as being sent, then record what the SMSC said (submitted, rejected, no answer) or requeue it.
// Invariant: a message is handed out only while now < expires_at; checked at claim and again
// at mark_sending, so a message claimed just before its expiry is not sent after it.
#include "queue/store_impl.hpp"

#include "queue/state.hpp"

#include <fmt/format.h>

namespace smsgw::queue {

result<std::vector<message>> store::claim(std::string_view carrier, std::size_t max,
                                          time_point now) {
  return guarded("claim", [&] {
    auto const now_ms = to_ms(now);
    std::vector<message> claimed;
    std::vector<message> page;
    sqlite::transaction tx(impl_->db);
    std::int64_t after_prio = -1, after_id = 0;
    auto& due = impl_->select_due;
    while (claimed.size() < max) {
      // Read a page first, then change it: never update rows under an open cursor.
      page.clear();
      due.bind(1, carrier).bind(2, after_prio).bind(3, after_id);
      due.bind(4, static_cast<std::int64_t>(max - claimed.size() + 16));
      while (due.step()) page.push_back(read_message(due));
      due.reset();
      if (page.empty()) break;
      after_prio = static_cast<std::int64_t>(page.back().prio);
      after_id = page.back().id;
      for (auto& m : page) {
        if (claimed.size() == max) break;
        if (to_ms(m.not_before) > now_ms) continue;
        row r = impl_->load(m.id);
        if (now_ms >= r.expires_at) {
          r.detail = "expired before it could be sent";
          impl_->transition(r, state::expired, now_ms);
          continue;
        }
        ++r.attempts;
        r.sending_at.reset();
        r.detail = "claimed";
        impl_->transition(r, state::in_flight, now_ms);
        m.st = state::in_flight;
        m.attempts = r.attempts;
        m.updated_at = from_ms(now_ms);
        m.sending_at.reset();
        m.detail = r.detail;
        claimed.push_back(std::move(m));
      }
    }
    tx.commit();
    return claimed;
  });
}

result<std::vector<message_id>> store::mark_sending(std::span<message_id const> ids,
                                                    time_point now) {
  return guarded("mark_sending", [&] {
    auto const now_ms = to_ms(now);
    std::vector<message_id> may_send;
    sqlite::transaction tx(impl_->db);
    for (auto id : ids) {
      row r = impl_->load(id);
      if (r.st != state::in_flight || r.sending_at) {
        fail(errc::invalid_state, fmt::format("message {} is {}{}, not claimed", id,
                                              to_string(r.st), r.sending_at ? " (sending)" : ""));
      }
      if (now_ms >= r.expires_at) {
        r.detail = "expired before it could be sent";
        impl_->transition(r, state::expired, now_ms);
        continue;
      }
      // Not a state change: the in_flight row gets its sending mark, without a history row
      // (the submitted/outcome_unknown event that follows records the attempt).
      impl_->set_sending.bind(1, id).bind(2, now_ms).run();
      may_send.push_back(id);
    }
    tx.commit();
    return may_send;
  });
}

void store::impl::mark_submitted_one(message_id id, std::string_view route,
                                     std::string_view smsc_id, std::string_view via_carrier,
                                     std::int64_t now_ms) {
  if (smsc_id.empty()) fail(errc::invalid_argument, "empty smsc_message_id");
  row r = load(id);
  if (r.st != state::in_flight && r.st != state::outcome_unknown) {
    fail(errc::invalid_state, fmt::format("message {} is {}, cannot become submitted", id,
                                          to_string(r.st)));
  }
  r.route = std::string(route);
  r.smsc_message_id = std::string(smsc_id);
  r.via_carrier = via_carrier.empty() ? r.carrier : std::string(via_carrier);
  r.sending_at.reset();
  r.detail = "submit_sm_resp OK";
  transition(r, state::submitted, now_ms);

  // A receipt that overtook this submit_sm_resp was held; apply it now (earliest first).
  pending_for_id.bind(1, r.via_carrier).bind(2, smsc_id);
  std::vector<std::tuple<std::int64_t, receipt_outcome, std::string>> held;
  while (pending_for_id.step()) {
    held.emplace_back(pending_for_id.column_int64(0),
                      static_cast<receipt_outcome>(pending_for_id.column_int64(1)),
                      pending_for_id.column_string(2));
  }
  pending_for_id.reset();
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
    impl_->mark_submitted_one(id, route, smsc_message_id, via_carrier, to_ms(now));
    tx.commit();
  });
}

result<std::vector<result<void>>> store::mark_submitted_batch(std::span<submission const> subs,
                                                              time_point now) {
  return guarded("mark_submitted", [&] {
    std::vector<result<void>> out;
    out.reserve(subs.size());
    sqlite::transaction tx(impl_->db);
    for (auto const& s : subs) {
      // A refused transition (not_found, invalid_state) changes nothing before it throws:
      // the checks precede the writes, so the others in the batch are unaffected.
      try {
        impl_->mark_submitted_one(s.id, s.route, s.smsc_message_id, s.via_carrier, to_ms(now));
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
