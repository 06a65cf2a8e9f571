// queue/receipts.cpp: delivery receipts. Matched by (via_carrier, normalised SMSC message id):
// the carrier whose SMSC issued the id, whichever of its binds delivered it. Every receipt is
// recorded and committed before apply_receipt() returns, so the daemon may answer
// deliver_sm_resp after: one that makes a submitted message final by the message's history
// row alone, held, orphan, duplicate and the other applied ones in `receipts`.
// Rules: the same (carrier, id, outcome) twice is applied once; an id not known yet while a
// submit is awaiting its response on that carrier is held (pending) and applied by
// mark_submitted(); otherwise it is an orphan (expire_due() also turns stale pending ones so).
// An undeliverable receipt for a submitted message asks the retry policy (store_options).
#include "queue/store_impl.hpp"

#include "queue/state.hpp"

#include <fmt/format.h>

namespace smsgw::queue {

receipt_result store::impl::apply_receipt_one(std::string_view carrier, std::string_view smsc_id,
                                              receipt_outcome outcome, std::string_view detail,
                                              std::int64_t now_ms) {
  if (carrier.empty() || smsc_id.empty())
    fail(errc::invalid_argument, "receipt without carrier or smsc_message_id");
  receipt_result res;
  auto record = [&](receipt_status status) {
    insert_receipt.bind(1, carrier).bind(2, smsc_id).bind(3, static_cast<std::int64_t>(outcome));
    insert_receipt.bind(4, now_ms).bind(5, detail).bind(6, static_cast<std::int64_t>(status));
    if (res.id) insert_receipt.bind(7, *res.id); else insert_receipt.bind_null(7);
    if (status == receipt_status::pending) insert_receipt.bind_null(8);
    else insert_receipt.bind(8, now_ms);
    insert_receipt.run();
    res.status = status;
    return res;
  };

  state to = outcome == receipt_outcome::delivered ? state::delivered : state::undeliverable;
  std::string const receipt_detail = fmt::format("receipt: {}", detail);

  // The common case, a submitted message and no retry decision to make: one conditional
  // UPDATE finds and moves it. The trigger's history row (state, time, "receipt: <detail>")
  // is the receipt's only record: a repeat is recognised from the message (final by a
  // receipt, below). Anything else goes the general way and is recorded in `receipts` too.
  if (to == state::delivered || !opts.retry) {
    auto const event_id = next_event_ids();
    // Strings that outlive the run: bound without a copy.
    receipt_fast.bind_unowned(1, carrier).bind_unowned(2, smsc_id);
    receipt_fast.bind(3, static_cast<std::int64_t>(outcome));
    receipt_fast.bind(4, static_cast<std::int64_t>(to)).bind(5, now_ms);
    receipt_fast.bind_unowned(6, receipt_detail);
    receipt_fast.bind(7, event_id).run();
    if (db.changes() == 1) {
      bool const found_event = event_message.bind(1, event_id).step();
      res.id = event_message.column_int64(0);
      event_message.reset();
      if (!found_event) fail(errc::internal, "receipt applied without its history row");
      res.st = to;
      res.status = receipt_status::applied;
      return res;
    }
  }

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
    any_sending.bind(1, carrier);
    bool awaiting = any_sending.step();
    any_sending.reset();
    return record(awaiting ? receipt_status::pending : receipt_status::orphan);
  }
  res.id = found_id;

  row r = load(*res.id);
  if (to == state::undeliverable && r.st == state::submitted) {
    fail_or_retry(r, "receipt", detail, now_ms);  // the retry policy may queue it again
  } else if (can_transition(r.st, to) && r.st != state::in_flight) {
    r.detail = receipt_detail;
    transition(r, to, now_ms);
  } else {
    // Final already (an earlier receipt with another outcome, expired, ...) or a new attempt
    // is in flight: recorded for the support agent, the state is not rewritten.
    insert_event(r, now_ms, smsc_id,
                 fmt::format("receipt recorded, state kept ({}): {}", to_string(r.st), detail));
  }
  res.st = r.st;
  return record(receipt_status::applied);
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

result<std::vector<receipt_result>> store::apply_receipts(std::span<receipt const> receipts,
                                                          time_point now) {
  return guarded("apply_receipts", [&] {
    std::vector<receipt_result> out;
    out.reserve(receipts.size());
    sqlite::transaction tx(impl_->db);
    for (auto const& r : receipts) {
      out.push_back(impl_->apply_receipt_one(r.carrier, r.smsc_message_id, r.outcome, r.detail,
                                             to_ms(now)));
    }
    tx.commit();
    return out;
  });
}

}  // namespace smsgw::queue
