// queue/enqueue.cpp: accepting messages. Order inside the transaction: validate, idempotency
// key (a repeat returns the first message and changes nothing), per-number limits, insert,
// then supersede older OTPs for the same recipient and purpose still waiting to be sent
// (queued or outcome_unknown: in_flight ones are already on their way and are left alone).
// enqueue_batch() runs many requests in one transaction: one fsync for all (group commit).
#include "queue/store_impl.hpp"

#include "queue/msisdn.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace smsgw::queue {
namespace {

constexpr std::size_t k_max_text_bytes = 64 * 1024;
constexpr std::size_t k_max_field_bytes = 256;

/// Checks the request's shape; the reason if it is unacceptable.
std::optional<error> validate(enqueue_request const& req) {
  auto bad = [](std::string what) { return error{errc::invalid_argument, std::move(what)}; };
  if (!is_normalised_msisdn(req.recipient))
    return bad(fmt::format("recipient \"{}\" is not a normalised MSISDN (628...)",
                           req.recipient.substr(0, 32)));
  if (req.sender.empty() || req.sender.size() > k_max_field_bytes)
    return bad("sender must be 1-256 bytes");
  if (req.text.empty() || req.text.size() > k_max_text_bytes)
    return bad("text must be 1-65536 bytes");
  if (req.carrier.empty() || req.carrier.size() > k_max_field_bytes)
    return bad("carrier must be 1-256 bytes");
  if (req.purpose.size() > k_max_field_bytes || req.route.size() > k_max_field_bytes ||
      req.idempotency_key.size() > k_max_field_bytes)
    return bad("purpose, route and idempotency_key are at most 256 bytes");
  if (req.validity.count() <= 0) return bad("validity must be positive");
  return std::nullopt;
}

}  // namespace

enqueue_outcome store::impl::enqueue_one(enqueue_request const& req) {
  enqueue_outcome out;
  if (!req.idempotency_key.empty()) {
    find_key.bind_unowned(1, req.idempotency_key);
    bool seen = find_key.step();
    if (seen) {
      out.what = enqueue_outcome::kind::duplicate;
      out.id = find_key.column_int64(0);
      out.st = static_cast<state>(find_key.column_int64(1));
    }
    find_key.reset();
    if (seen) return out;
  }
  if (limiter && req.prio == priority::otp) {
    // An error here (SQLite) fails the whole batch: the transaction is rolled back.
    auto decision = limiter->check_and_record(req.recipient, req.now);
    if (!decision) throw failure{decision.error()};
    if (!decision->allowed()) {
      out.what = enqueue_outcome::kind::refused;
      out.refusal = std::move(decision->refusal);
      return out;
    }
  }
  auto now_ms = to_ms(req.now);
  auto expires_ms = now_ms + req.validity.count();
  // The older OTPs this one supersedes, looked up before it is stored (so the lookup does not
  // find the new one) and moved after (their history names it).
  if (req.prio == priority::otp && !req.purpose.empty()) {
    find_supersedable.bind_unowned(1, req.recipient).bind_unowned(2, req.purpose);
    find_supersedable.bind(3, now_ms);
    while (find_supersedable.step()) out.superseded.push_back(find_supersedable.column_int64(0));
    find_supersedable.reset();
    std::sort(out.superseded.begin(), out.superseded.end());  // index order is by expiry
  }
  // The request outlives these statements' runs: its strings are bound without a copy.
  auto& ins = insert_message;
  ins.bind_unowned(1, req.recipient).bind_unowned(2, req.sender).bind_unowned(3, req.text);
  ins.bind(4, static_cast<std::int64_t>(req.prio)).bind_unowned(5, req.purpose);
  if (req.idempotency_key.empty()) ins.bind_null(6);
  else ins.bind_unowned(6, req.idempotency_key);
  ins.bind_unowned(7, req.carrier).bind_unowned(8, req.route).bind(9, now_ms);
  ins.bind(10, expires_ms);
  auto const event_id = next_event_ids();
  ins.bind(11, event_id);
  ins.run();
  out.id = db.last_insert_rowid();
  // The enqueue's history row: the first of the message's chain (schema step 7).
  auto& ev = insert_event_st;
  ev.bind(1, out.id).bind(2, std::int64_t{0}).bind(3, now_ms).bind_null(4);
  ev.bind(5, static_cast<std::int64_t>(state::queued)).bind(6, std::int64_t{0});
  ev.bind_unowned(7, req.route).bind_null(8).bind_unowned(9, "enqueued").bind(10, event_id);
  ev.bind_null(11);
  ev.run();

  for (auto old : out.superseded) {
    row r = load(old);
    r.detail = fmt::format("superseded by message {}", out.id);
    transition(r, state::superseded, now_ms);
  }
  return out;
}

result<enqueue_outcome> store::enqueue(enqueue_request const& req) {
  auto batch = enqueue_batch(std::span(&req, 1));
  if (!batch) return batch.error();
  return std::move(batch->front());
}

result<std::vector<result<enqueue_outcome>>> store::enqueue_batch(
    std::span<enqueue_request const> reqs) {
  return guarded("enqueue", [&] {
    std::vector<result<enqueue_outcome>> out;
    out.reserve(reqs.size());
    sqlite::transaction tx(impl_->db);
    for (auto const& req : reqs) {
      if (auto err = validate(req)) {
        out.emplace_back(std::move(*err));
        continue;
      }
      out.emplace_back(impl_->enqueue_one(req));
    }
    tx.commit();
    return out;
  });
}

}  // namespace smsgw::queue
