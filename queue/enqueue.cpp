// queue/enqueue.cpp: accepting messages. Order inside the transaction: validate, idempotency
// key (a repeat returns the first message and changes nothing), the resend interval (an OTP
// for the same recipient and purpose accepted less than it ago: refused, or answered with that
// earlier message; nothing stored or counted either way), per-number limits, insert,
// then supersede older OTPs for the same recipient and purpose still waiting to be sent
// (queued or outcome_unknown: in_flight ones are already on their way and are left alone).
// enqueue_batch() runs many requests in one transaction: one fsync for all (group commit).
// find_by_idempotency_key() reads with the same statement as the idempotency check.
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
  // '' = the sending route's registered sender, resolved by the daemon when it is sent.
  if (req.sender.size() > k_max_field_bytes) return bad("sender must be 0-256 bytes");
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

constexpr std::string_view k_find_key =
    "SELECT id, state FROM messages WHERE idempotency_key = ?1";
// messages_otp (schema step 6): the OTPs of this recipient and purpose not yet expired.
constexpr std::string_view k_find_supersedable = sql_text<
    "SELECT id FROM messages INDEXED BY messages_otp WHERE recipient = ?1 AND purpose = ?2 "
    "AND priority = {priority::otp} AND purpose <> '' AND expires_at > ?3 "
    "AND state IN ({state::queued}, {state::outcome_unknown})">;
// The resend interval: the newest OTP of this recipient and purpose created after ?3 (now -
// interval). Such an OTP expires after ?3 too (validity > 0), so the messages_otp range
// expires_at > ?3 holds it; rows read are bounded by the per-number limits.
constexpr std::string_view k_find_recent_otp = sql_text<
    "SELECT id, state, created_at FROM messages INDEXED BY messages_otp "
    "WHERE recipient = ?1 AND purpose = ?2 AND priority = {priority::otp} AND purpose <> '' "
    "AND expires_at > ?3 AND created_at > ?3 ORDER BY created_at DESC, id DESC LIMIT 1">;
constexpr std::string_view k_insert_message = sql_text<
    "INSERT INTO messages (recipient, sender, text, priority, purpose, idempotency_key, "
    "carrier, route, state, created_at, expires_at, not_before, updated_at, history_len, "
    "via_carrier, last_event, id) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, {state::queued}, ?9, ?10, ?9, ?9, 1, ?7, ?11, ?12)">;

enqueue_outcome store::impl::enqueue_one(enqueue_request const& req) {
  auto& find_key = sql_enqueue.find_key;
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
  if (limiter && req.prio == priority::otp && !req.purpose.empty() &&
      limiter->config().resend_interval.count() > 0) {
    auto const& cfg = limiter->config();
    auto& recent = sql_enqueue.find_recent_otp;
    recent.bind_unowned(1, req.recipient).bind_unowned(2, req.purpose);
    recent.bind(3, to_ms(req.now) - cfg.resend_interval.count());
    bool held = recent.step();
    if (held) {
      out.id = recent.column_int64(0);
      out.st = static_cast<state>(recent.column_int64(1));
      auto const previous_at = recent.column_int64(2);
      out.refusal = limit_refusal{resend_limit_name(cfg.resend_interval),
                                  from_ms(previous_at + cfg.resend_interval.count())};
      out.what = cfg.on_resend == resend_mode::suppress ? enqueue_outcome::kind::resend_suppressed
                                                         : enqueue_outcome::kind::refused;
    }
    recent.reset();
    if (held) {
      // A limit may hold the number longer (a cooldown): answer with the time from which a
      // request will be accepted, so the caller does not retry into the limit's 429.
      auto limit = limiter->check(req.recipient, req.now);
      if (!limit) throw failure{limit.error()};
      if (!limit->allowed() && limit->refusal->retry_after > out.refusal->retry_after) {
        out.refusal = std::move(limit->refusal);
        if (out.what == enqueue_outcome::kind::refused) out.id = 0;  // a plain limit refusal
      }
      return out;
    }
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
    auto& find_supersedable = sql_enqueue.find_supersedable;
    find_supersedable.bind_unowned(1, req.recipient).bind_unowned(2, req.purpose);
    find_supersedable.bind(3, now_ms);
    while (find_supersedable.step()) out.superseded.push_back(find_supersedable.column_int64(0));
    find_supersedable.reset();
    std::sort(out.superseded.begin(), out.superseded.end());  // index order is by expiry
  }
  // The request outlives these statements' runs: its strings are bound without a copy.
  auto& ins = sql_enqueue.insert_message;
  ins.bind_unowned(1, req.recipient).bind_unowned(2, req.sender).bind_unowned(3, req.text);
  ins.bind(4, static_cast<std::int64_t>(req.prio)).bind_unowned(5, req.purpose);
  if (req.idempotency_key.empty()) ins.bind_null(6);
  else ins.bind_unowned(6, req.idempotency_key);
  ins.bind_unowned(7, req.carrier).bind_unowned(8, req.route).bind(9, now_ms);
  ins.bind(10, expires_ms);
  auto const event_id = next_event_ids();
  ins.bind(11, event_id);
  out.id = next_message_id();  // never an id handed out before (schema step 16)
  ins.bind(12, out.id);
  ins.run();
  // The enqueue's history row: the first of the message's chain (schema step 7).
  insert_first_event(out.id, now_ms, req.route, event_id, req.requester_uid, req.requester_pid);

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

result<std::optional<message>> store::find_by_idempotency_key(std::string_view key) {
  return guarded("find_by_idempotency_key", [&]() -> std::optional<message> {
    auto& fk = impl_->sql_enqueue.find_key;
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

enqueue_statements::enqueue_statements(sqlite::database& db)
    : find_key(db, k_find_key), find_supersedable(db, k_find_supersedable),
      insert_message(db, k_insert_message), find_recent_otp(db, k_find_recent_otp) {}

}  // namespace smsgw::queue
