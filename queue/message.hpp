// queue/message.hpp: the value types of the queue: a message, its state and priority, an
// enqueue request and its outcome, a transition in a message's history, a receipt. The state
// machine (which state may follow which) is in queue/state.hpp; the SQL lives in queue/store*.
// Times are system_clock time points, stored with millisecond precision.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smsgw::queue {

using clock = std::chrono::system_clock;
using time_point = clock::time_point;
using message_id = std::int64_t;

/// Lower value is claimed first.
enum class priority : std::uint8_t { otp = 0, transactional = 1, bulk = 2 };

/// A message's state. Values are stored in the database: never renumber. The order matters:
/// < submitted = not yet accepted by an SMSC, >= delivered = final (see queue/schema.cpp).
enum class state : std::uint8_t {
  queued = 0,           ///< waiting to be claimed (maybe not before `not_before`)
  in_flight = 1,        ///< claimed by the dispatcher; `sending_at` set once handed to a link
  outcome_unknown = 2,  ///< sent, but no response came (timeout, dropped link, crash)
  submitted = 3,        ///< the SMSC accepted it (submit_sm_resp OK): has smsc_message_id + route
  delivered = 4,        ///< final: a receipt said delivered
  undeliverable = 5,    ///< final: a receipt said it cannot be delivered
  expired = 6,          ///< final: its expiry passed before it was (re)sent
  cancelled = 7,        ///< final: cancelled by a caller
  superseded = 8,       ///< final: a newer OTP for the same recipient and purpose replaced it
  rejected = 9,         ///< final: the SMSC refused it permanently (or the request was invalid)
  /// final: accepted by an SMSC, but no final receipt came by its validity plus the grace
  /// period (schema step 10). A receipt that still comes ends it delivered / undeliverable.
  no_receipt = 10,
};
/// Number of states (count_by_state's array).
inline constexpr std::size_t k_state_count = 11;

std::string_view to_string(state s) noexcept;
std::string_view to_string(priority p) noexcept;

/// What a caller asks to send.
struct enqueue_request {
  std::string recipient;        ///< normalised MSISDN ("6281234567890"), see queue/msisdn.hpp
  std::string sender;           ///< source address; '' = the sending route's registered sender
  std::string text;             ///< body; never logged
  priority prio = priority::otp;
  std::string purpose;          ///< "login", "reset-password"; '' = no supersede
  std::string idempotency_key;  ///< '' = none
  std::string carrier;          ///< routing key chosen by the caller (carrier_table)
  std::string route;            ///< '' = the carrier's default route
  std::chrono::milliseconds validity{std::chrono::minutes(5)};  ///< expiry = now + validity
  time_point now{};             ///< enqueue time (the caller's clock; tests use fake time)
  /// Who asked, as the API saw its caller (uid and pid of the process at the other end of
  /// the socket); stored in the enqueue's history row (schema step 13). nullopt = unknown.
  std::optional<std::int64_t> requester_uid, requester_pid;
};

/// A stored message as claim() and get() return it.
struct message {
  message_id id = 0;
  std::string recipient, sender, text;
  priority prio = priority::otp;
  std::string purpose, idempotency_key, carrier, route;
  state st = state::queued;
  time_point created_at{}, expires_at{}, not_before{}, updated_at{};
  int attempts = 0;
  std::optional<time_point> sending_at;
  std::string smsc_message_id;
  std::string detail;
  /// Carrier whose SMSC issued smsc_message_id (receipts are matched on it): `carrier`, or
  /// the alternate the last attempt was submitted through.
  std::string via_carrier{};
  /// Routes (carrier names, comma-separated) that classed this message as filtered (spam):
  /// it is never sent through them again (schema step 10). '' = none.
  std::string filtered_routes{};
  /// Routes (comma-separated) whose attempt of this message got no final receipt in time
  /// (schema step 15): not planned again while another route is left. '' = none.
  std::string silent_routes{};
};

/// Why the per-number limits refused a request (see queue/rate_limits.hpp).
struct limit_refusal {
  std::string limit;        ///< which limit, e.g. "5 per 15 min"
  time_point retry_after{};  ///< when the number may ask again
};

/// The result of one enqueue.
struct enqueue_outcome {
  enum class kind {
    accepted,   ///< stored durably as a new message (`id`)
    duplicate,  ///< the idempotency key was seen before: `id` is the first message, nothing new
    refused,    ///< a per-number limit refused it: see `refusal`; nothing stored. A refusal by
                ///< the resend interval also gives `id`/`st`: the earlier OTP that went
    /// An OTP for the same number and purpose was accepted less than the resend interval ago
    /// (limits_config::on_resend = suppress): nothing stored, this code is not sent; `id` and
    /// `st` are that earlier message, whose SMS is the one the user gets; `refusal` names the
    /// interval and the time a new code would be accepted.
    resend_suppressed,
  };
  kind what = kind::accepted;
  message_id id = 0;
  state st = state::queued;                ///< the message's current state
  std::vector<message_id> superseded;      ///< older OTPs this one replaced (accepted only)
  std::optional<limit_refusal> refusal;
};

/// One transition in a message's history.
struct event {
  std::int64_t seq = 0;
  time_point at{};
  std::optional<state> from;  ///< empty for the enqueue itself
  state to = state::queued;
  int attempt = 0;
  std::string route, smsc_message_id, detail;
  /// The enqueue row only: the uid and pid of the API caller that asked (schema step 13);
  /// nullopt on every other row, on rows older than step 13, and when nobody was known.
  std::optional<std::int64_t> requester_uid, requester_pid;
};

/// Outcome a delivery receipt reports.
enum class receipt_outcome : std::uint8_t { delivered = 0, undeliverable = 1 };

/// What apply_receipt() did with a receipt.
enum class receipt_status : std::uint8_t {
  applied = 0,    ///< matched a message and moved it to delivered/undeliverable
  pending = 1,    ///< no message has that id yet but one may soon (submit_sm_resp not recorded)
  orphan = 2,     ///< no message has that id, nor can one (recorded for the support agent)
  duplicate = 3,  ///< this receipt was already recorded; nothing changed
};

std::string_view to_string(receipt_status s) noexcept;

struct receipt_result {
  receipt_status status = receipt_status::orphan;
  std::optional<message_id> id;  ///< the matched message (applied or duplicate of an applied)
  /// The matched message's state after the receipt (when `id` is set): delivered,
  /// undeliverable, queued (a failed receipt the retry policy retried), or the state it kept.
  state st = state::queued;
  /// The receipt of an earlier attempt, recorded in the history with the state kept (a
  /// failure after the message moved on, or the message in flight or final): no outcome.
  bool earlier_attempt_kept = false;
};

/// A submit result as mark_submitted_batch() recorded it. Usually the message just became
/// submitted and nothing more is read (the caller has the rest). If a receipt held for it (it
/// overtook the submit_sm_resp) was applied by it, the message as stored after (final, or
/// queued again by the retry policy) and that receipt's detail ("stat:X err:Y").
struct submitted_message {
  state st = state::submitted;     ///< the message's state after: submitted unless `settled`
  std::optional<message> settled;  ///< as stored after the held receipt applied to it
  std::string held_receipt;        ///< that receipt's detail; '' = none, the usual case
};

/// A receipt as apply_receipts() recorded it: what it did, and the matched message as stored
/// right after it (nullopt when no message matched, and for a duplicate: it changed nothing).
struct recorded_receipt {
  receipt_result res;
  std::optional<message> msg;
  /// When the attempt it settled became submitted (the SMSC's acceptance as recorded), when
  /// the common path read it (a submitted message made final): for the receipt latency of
  /// messages submitted before a restart. nullopt otherwise.
  std::optional<time_point> submitted_at;
};

/// Milliseconds since the epoch, the stored form of a time.
inline std::int64_t to_ms(time_point t) noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
inline time_point from_ms(std::int64_t ms) noexcept {
  return time_point(std::chrono::duration_cast<clock::duration>(std::chrono::milliseconds(ms)));
}

}  // namespace smsgw::queue
