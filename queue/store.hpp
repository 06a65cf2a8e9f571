// queue/store.hpp: the durable message queue: one SQLite connection, one thread at a time.
// Every public operation is one explicit transaction (batch variants: one transaction for the
// batch) and returns a value or a queue::error; no exception leaves. An operation that returned
// success is committed (durable with synchronous=FULL); one that returned an error left nothing.
// Assumes one smsgw process per database file: crash recovery at open() treats every in_flight
// message as abandoned. For many concurrent producers use queue/group_commit.hpp in front.
#pragma once

#include "queue/error.hpp"
#include "queue/message.hpp"
#include "queue/outcome_feed.hpp"
#include "queue/rate_limits.hpp"
#include "queue/sqlite.hpp"

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smsgw::queue {

/// Why the store asks the daemon's retry policy.
enum class retry_reason {
  failed_receipt,     ///< a receipt said undeliverable for a submitted message
  recovered_unknown,  ///< crash recovery made an in_flight (sending) message outcome_unknown
  no_receipt,         ///< a submitted message's receipt deadline passed (settle_unreceipted)
  filtered_receipt,   ///< a receipt classed "filtered by the carrier" (is_filtered_detail)
};

/// Whether a receipt's detail says the carrier filtered the message (spam): the daemon
/// appends `class:filtered` to the detail of such a receipt ("stat:REJECTD err:069
/// class:filtered"). Such a receipt asks the policy with filtered_receipt, and the route it
/// came through is added to the message's filtered_routes. Pure.
constexpr std::string_view k_filtered_class = "class:filtered";
inline bool is_filtered_detail(std::string_view detail) noexcept {
  return detail.find(k_filtered_class) != std::string_view::npos;
}
/// The daemon's answer: queue it again on `route` (a carrier name), not before `not_before`.
struct retry_plan {
  std::string route;
  time_point not_before{};
  std::string detail;  ///< why, for the history ("retry via <route>: <detail>")
};
/// Called inside the store's transaction, on the queue thread. Empty = never retry.
/// It sees the message as stored (for failed_receipt: still submitted, `detail` = the
/// receipt's detail; for recovered_unknown: outcome_unknown). It must not call the store and
/// should not throw: an exception fails the operation (error internal, nothing stored).
/// A plan is taken only if max(not_before, now) < expires_at; otherwise the message ends
/// as without a policy (undeliverable; outcome_unknown until expire_due).
using retry_policy = std::function<std::optional<retry_plan>(message const&, retry_reason)>;

struct store_options {
  sqlite::open_options sqlite;  ///< WAL + synchronous=FULL by default
  /// How long a receipt for an unknown id is held (pending) waiting for its submit_sm_resp to
  /// be recorded before expire_due() declares it orphan.
  std::chrono::milliseconds receipt_hold{std::chrono::minutes(10)};
  /// Per-number limits (queue/rate_limits.hpp) checked for OTP requests inside the enqueue
  /// transaction, after validation and the idempotency check, before the insert. A refusal
  /// is a normal outcome (enqueue_outcome::kind::refused). The resend interval
  /// (limits_config::resend_interval) is checked just before them: refused, or
  /// kind::resend_suppressed. Empty = no limits and no resend interval.
  std::optional<limits_config> limits;
  /// Asked on a failed receipt and after crash recovery (see retry_policy). Set at open()
  /// because recovery runs there.
  retry_policy retry;
  /// How far the SMSC's clock may be off (beyond its unknown whole-hour zone) when a receipt
  /// whose id is unknown is matched by number and submit date (submit_date_fits()).
  std::chrono::milliseconds receipt_clock_tolerance{std::chrono::minutes(2)};
};

/// Messages not yet accepted by an SMSC (queued, in_flight, outcome_unknown) of one state,
/// carrier and priority, for the daemon's metrics (live_summary()).
struct live_group {
  state st = state::queued;
  std::string carrier;
  priority prio = priority::otp;
  std::int64_t count = 0;
  time_point oldest_created{};  ///< the oldest one's acceptance time
  /// The largest share of its validity any of them has used: (now - created) / (expires -
  /// created), 0..1 while valid (above 1 if past expiry and not expired yet).
  double max_validity_used = 0;
};

/// What cancel_unsent() did.
struct cancel_outcome {
  bool cancelled = false;  ///< it is cancelled now; false: `msg.st` says why it cannot be
  message msg;             ///< the message as stored after
};

/// Queued messages of one carrier (routing key) and priority (queued_backlog()).
struct backlog_group {
  std::string carrier;
  priority prio = priority::otp;
  std::int64_t count = 0;
};

/// An operator's suspension of a carrier, as stored (schema step 12).
struct carrier_control {
  std::string carrier;
  bool suspended = false;
  time_point changed_at{};
  std::string changed_by;  ///< '' = not said
};

/// One attempt's time from the SMSC's acceptance (submitted) to its final receipt, or to
/// settling without one (no_receipt), as the history recorded it (receipt_latencies()).
struct receipt_latency_sample {
  std::string carrier;  ///< the carrier the attempt went through (messages.via_carrier)
  std::chrono::milliseconds latency{0};  ///< as recorded (negative if the clock stepped back)
  time_point at{};  ///< when the receipt (or the settling) was recorded
};

/// What crash recovery did at open().
struct recovery_report {
  std::size_t requeued = 0;         ///< in_flight, never handed to a link -> queued
  std::size_t outcome_unknown = 0;  ///< in_flight, handed to a link -> outcome_unknown
  std::size_t retried = 0;          ///< of those, queued again by the retry policy
};

/// One submit_sm_resp OK to record.
struct submission {
  message_id id = 0;
  std::string route;
  std::string smsc_message_id;  ///< normalised (smpp/message_id.hpp)
  std::string via_carrier{};    ///< carrier whose SMSC issued the id; '' = the message's own
  /// When housekeeping looks at it if no final receipt came (the route's receipt timeout),
  /// never later than its expiry; nullopt = its expiry (settle_unreceipted()).
  std::optional<time_point> receipt_due{};
};

/// What settle_unreceipted() did with one submitted message whose receipt did not come.
struct unreceipted {
  message msg;  ///< as stored after: queued (retried on msg.route) or no_receipt
};

/// A receipt's `submit date` as the SMSC wrote it: its wall-clock time in its own zone, which
/// is unknown, stored as if it were UTC, and how precise it is (a minute for YYMMDDhhmm, a
/// second for YYMMDDhhmmss).
struct receipt_submit_date {
  time_point local{};
  std::chrono::milliseconds resolution{std::chrono::minutes(1)};
};

/// Whether `d` can be the submit date of an attempt handed to a link between `from` and `to`
/// (UTC): for some whole-hour zone of the SMSC's clock, UTC-12 to UTC+14, its interval
/// [local, local + resolution) moved back by the zone and widened by `tolerance` meets
/// [from, to]. Zones of 30 or 45 minutes are not covered (none in Indonesia). Pure.
bool submit_date_fits(receipt_submit_date const& d, time_point from, time_point to,
                      std::chrono::milliseconds tolerance) noexcept;

/// One delivery receipt to record.
struct receipt {
  std::string carrier;
  std::string smsc_message_id;  ///< normalised
  receipt_outcome outcome = receipt_outcome::delivered;
  std::string detail;           ///< e.g. "stat:DELIVRD err:000"
  /// Only for a receipt whose id matches no message (its submit_sm_resp was lost): the
  /// handset's number (the deliver_sm's source_addr) normalised as recipients are stored
  /// (queue/msisdn.hpp), '' = unknown, and its submit date. See apply_receipt().
  std::string recipient{};
  std::optional<receipt_submit_date> submit_date{};
};

/// What resolve_held_receipts() did with one held receipt.
struct held_receipt_resolution {
  /// applied: it settled an outcome_unknown message by number and submit date; orphan: its
  /// hold (store_options::receipt_hold) ran out.
  receipt_status status = receipt_status::orphan;
  std::string carrier, smsc_message_id, detail;
  std::optional<message> msg;  ///< applied: the message as stored after
};

class store {
 public:
  /// Opens (creating if allowed) the database, runs the migrations, then crash recovery at
  /// `now`. Errors: corrupt, read_only, schema_too_new, io_error, busy.
  static result<store> open(std::string const& path, store_options opts = {},
                            time_point now = clock::now());

  store(store&&) noexcept;
  store& operator=(store&&) noexcept;
  ~store();

  recovery_report const& last_recovery() const noexcept;

  // --- live settings (a configuration reload) ------------------------------------------------
  /// Replaces the per-number limits from the next enqueue on (nullopt = none); the events
  /// counted so far are kept and count against the new limits. Invalid limits are refused
  /// (invalid_argument) and the old ones stay.
  result<void> set_limits(std::optional<limits_config> limits);
  /// Replaces the retry policy asked from the next failed receipt on.
  void set_retry_policy(retry_policy policy);
  /// Messages that still need `carrier`: queued or in flight whose carrier or route it is,
  /// or submitted through it (or for it) and waiting for a final receipt. 0 = a carrier
  /// taken out of the configuration may be unbound. Walks the live and receipt-due indexes.
  result<std::int64_t> count_unfinished_for(std::string_view carrier);

  // --- enqueue -------------------------------------------------------------------------------
  /// Validates, applies idempotency, per-number limits and supersede, stores as queued.
  result<enqueue_outcome> enqueue(enqueue_request const& req);
  /// The same for many requests in ONE transaction (one fsync). The outer error means the
  /// transaction failed and none was stored; inner errors are per-request (invalid_argument)
  /// and do not affect the others.
  result<std::vector<result<enqueue_outcome>>> enqueue_batch(
      std::span<enqueue_request const> reqs);

  // --- reading -------------------------------------------------------------------------------
  result<message> get(message_id id);
  /// Every transition of the message, oldest first (for a support agent).
  result<std::vector<event>> history(message_id id);
  result<std::optional<message>> find_by_idempotency_key(std::string_view key);
  /// The outcomes (is_outcome()) among the next `max_rows` history rows with a key above
  /// `after`, in key order, with where the scan stopped, the head and the purge mark
  /// (queue/outcome_feed.hpp). One rowid range scan; read-only.
  result<outcome_page> outcomes_after(event_key after, std::size_t max_rows);
  /// Number of messages in each state, indexed by the state's value.
  result<std::array<std::int64_t, k_state_count>> count_by_state();
  /// Messages not yet accepted by an SMSC: queued, in_flight, outcome_unknown (indexed by the
  /// state's value). Reads only the messages_live index, not the whole table (for /healthz).
  result<std::array<std::int64_t, 3>> count_waiting();
  /// OTPs of `carrier` (its routing key) waiting queued, due or not: the backlog a new OTP
  /// for it joins (deadline-aware routing). A range of the messages_due index.
  result<std::int64_t> count_queued_otps(std::string_view carrier);
  /// The same messages grouped by state, carrier and priority, with the age of the oldest
  /// and the largest share of validity used in each group (for metrics). One walk of the
  /// messages_live index plus a row read per waiting message.
  result<std::vector<live_group>> live_summary(time_point now);

  /// Queued messages per carrier (routing key) and priority: one walk of messages_due.
  result<std::vector<backlog_group>> queued_backlog();

  /// The submit -> final receipt latencies of the newest attempts, oldest first: at most
  /// `max_samples`, found among the newest `max_rows` history rows (a bounded walk back
  /// from the head of `events`, two key lookups per hit). Attempts that went from submitted
  /// to delivered, undeliverable or no_receipt count. For the daemon's per-carrier learner,
  /// so that deadline-aware routing does not forget each carrier's pace at a restart.
  result<std::vector<receipt_latency_sample>> receipt_latencies(std::size_t max_samples,
                                                                std::size_t max_rows);

  // --- carrier control (schema step 12) ------------------------------------------------------
  /// Records that `carrier` is suspended (or resumed) by `by` at `now`; idempotent.
  result<void> set_carrier_suspended(std::string_view carrier, bool suspended,
                                     std::string_view by, time_point now);
  /// Every carrier an operator ever suspended or resumed, by name.
  result<std::vector<carrier_control>> carrier_controls();

  // --- dispatch ------------------------------------------------------------------------------
  /// Atomically takes up to `max` due messages of `carrier` (queued, not_before <= now),
  /// highest priority then oldest, and marks them in_flight. Queued messages of the carrier
  /// found past expiry on the way become expired instead. Only priorities up to
  /// `least_urgent` are taken (e.g. priority::otp while a peak-hour window holds the others).
  result<std::vector<message>> claim(std::string_view carrier, std::size_t max, time_point now,
                                     priority least_urgent = priority::bulk);
  /// claim() and mark_sending() of the whole batch in one statement and one transaction
  /// (one commit instead of two): for a caller that writes every claimed message to a link
  /// at once, as the daemon does. The messages come back in_flight with sending_at = now, so
  /// crash recovery treats them as possibly sent (outcome_unknown), exactly as after
  /// claim() + mark_sending().
  /// Only priorities up to `least_urgent` are taken, as claim().
  result<std::vector<message>> claim_for_sending(std::string_view carrier, std::size_t max,
                                                 time_point now,
                                                 priority least_urgent = priority::bulk);
  /// Marks claimed messages as handed to a link (call just before writing their submit_sm).
  /// Returns the ids that may be sent; any that expired since the claim become expired and
  /// are left out. Only in_flight messages are accepted (invalid_state otherwise).
  result<std::vector<message_id>> mark_sending(std::span<message_id const> ids, time_point now);
  /// Takes the sending mark off claimed (in_flight) messages that will not be written by the
  /// link they were marked for (claim_for_sending, then routed to another carrier's buffer):
  /// after a crash they come back queued, not outcome_unknown. Not a state change, no history
  /// row; ids not in_flight or not marked are passed over. Returns how many were cleared.
  result<std::size_t> clear_sending_marks(std::span<message_id const> ids);
  /// submit_sm_resp OK: in_flight -> submitted; applies a receipt held for that id.
  /// `via_carrier` is the carrier whose SMSC answered (issued the id), '' = the message's own
  /// carrier: its receipts will arrive on that carrier and are matched by (via_carrier, id).
  /// `receipt_due`: see submission::receipt_due.
  result<void> mark_submitted(message_id id, std::string_view route,
                              std::string_view smsc_message_id, time_point now,
                              std::string_view via_carrier = {},
                              std::optional<time_point> receipt_due = {});
  /// Runs `work` in ONE transaction. The store's calls that `work` makes each become a
  /// savepoint of it: each is still all-or-nothing and one that fails leaves the others'
  /// work in place, but their writes are committed together, so the pages they share (the
  /// newest rows, the history's last page, index pages) go to the WAL once (issue #15:
  /// submit results and receipts of one flush). An error: the transaction failed as a whole
  /// (BEGIN or COMMIT; nothing of it was kept, whatever the calls inside returned).
  result<void> in_one_transaction(std::function<void()> const& work);
  /// The same for many in one transaction; inner errors per submission. Each recorded one
  /// comes with its state after: submitted, or what a held receipt applied to it made it, with
  /// the message as stored then (read only in that rare case).
  result<std::vector<result<submitted_message>>> mark_submitted_batch(
      std::span<submission const> subs, time_point now);
  /// Permanent refusal by the SMSC: in_flight -> rejected (final).
  result<void> mark_rejected(message_id id, std::string_view detail, time_point now);
  /// No response (timeout, dropped link): in_flight -> outcome_unknown.
  result<void> mark_outcome_unknown(message_id id, std::string_view detail, time_point now);
  /// Retry: in_flight/outcome_unknown/submitted -> queued on `route`, not before `not_before`.
  /// If the message would not be due before its expiry it becomes expired instead; the
  /// returned state says which. `filtered_route` (not '') is added to its filtered_routes
  /// (a submit refusal classed filtered).
  result<state> requeue(message_id id, std::string_view route, time_point not_before,
                        std::string_view detail, time_point now,
                        std::string_view filtered_route = {});
  /// A refusal classed filtered with no retry: in_flight -> rejected, `filtered_route` added
  /// to its filtered_routes.
  result<void> mark_rejected_filtered(message_id id, std::string_view detail,
                                      std::string_view filtered_route, time_point now);
  /// queued/outcome_unknown -> cancelled. invalid_state if already in flight or final.
  result<void> cancel(message_id id, time_point now);
  /// An operator's cancel (DELETE /v1/messages/{id}): a message never written to a socket,
  /// queued or in_flight without its sending mark (claimed, still in a buffer), becomes
  /// cancelled (final; its text erased, `detail` in its history). Anything else (sending
  /// mark set, submitted, outcome_unknown, final) is left as it is: cancelled == false.
  /// not_found for an unknown id. Decided in one transaction on the queue thread, so it
  /// races safely with mark_sending: whichever commits first wins.
  result<cancel_outcome> cancel_unsent(message_id id, std::string_view detail, time_point now);

  // --- receipts ------------------------------------------------------------------------------
  /// Records a delivery receipt durably (committed before return) and applies it: matched by
  /// (via_carrier, normalised SMSC id), `carrier` being the one whose bind delivered it; held
  /// if the id is not known yet but a submit is awaiting its response on that carrier (an
  /// in_flight message with its sending mark whose carrier or route is `carrier`); applied
  /// once; orphan otherwise. An undeliverable receipt for a submitted message asks the retry
  /// policy: a valid plan queues it again (result st == queued) instead of undeliverable.
  result<receipt_result> apply_receipt(std::string_view carrier, std::string_view smsc_message_id,
                                       receipt_outcome outcome, std::string_view detail,
                                       time_point now);
  /// Many receipts in one transaction (apply_receipt(receipt, now) each), each with the
  /// message it matched as stored right after it: the common receipt's UPDATE returns it
  /// (RETURNING), the other paths read it once (none for a duplicate, held or orphan one).
  result<std::vector<recorded_receipt>> apply_receipts(std::span<receipt const> receipts,
                                                       time_point now);
  /// apply_receipt() of one receipt with its number and submit date. A receipt whose id
  /// matches no message is matched by them instead (settling a lost submit_sm_resp) when
  /// exactly one attempt fits: an attempt handed to a link on `carrier` (the message's
  /// carrier or route) for that number whose response never came (outcome_unknown; also an
  /// OTP retried since, or an in_flight one with its sending mark, which then block the match)
  /// and whose hand-out time fits the submit date (submit_date_fits()). If that attempt's
  /// message is still outcome_unknown, it records the id (submitted), then applies the
  /// receipt. Otherwise the receipt is held or orphan as without them.
  result<receipt_result> apply_receipt(receipt const& r, time_point now);
  /// The detail of the newest receipt recorded in `receipts` as applied to message `id` (a
  /// held one applied by mark_submitted, one matched by number, or one applied on the general
  /// path), nullopt if none (the common receipt leaves only the message's history row).
  result<std::optional<std::string>> applied_receipt_detail(message_id id);
  /// Housekeeping for held receipts: one whose number and submit date now settle a message
  /// (its submit_sm_resp was lost while the receipt was held) is applied to it, one held longer
  /// than receipt_hold becomes orphan. Returns each, for the DLR log. (expire_due() also
  /// orphans stale ones, without saying which; call this first.)
  result<std::vector<held_receipt_resolution>> resolve_held_receipts(time_point now);

  // --- housekeeping --------------------------------------------------------------------------
  /// Submitted messages whose receipt deadline (receipt_due_at) passed without a final
  /// receipt, at most `max`, earliest deadline first: the retry policy is asked
  /// (retry_reason::no_receipt): a plan queues it again (the attempt's SMSC id is kept in
  /// earlier_attempts, so its late receipt still counts); else, once `now` is past its
  /// expiry + `grace`, it becomes no_receipt (final); else its deadline moves to expiry +
  /// `grace`. Returns the ones retried or made no_receipt, for the DLR log.
  result<std::vector<unreceipted>> settle_unreceipted(time_point now,
                                                      std::chrono::milliseconds grace,
                                                      std::size_t max = 1000);
  /// queued/outcome_unknown messages past expiry -> expired; pending receipts older than
  /// receipt_hold -> orphan. Returns the number of messages expired.
  result<std::size_t> expire_due(time_point now);
  /// The same, returning the messages it expired (as they are now: state expired), so the
  /// daemon can report each one (DLR log).
  result<std::vector<message>> expire_due_messages(time_point now);
  /// Deletes messages that will not be sent again (submitted and final states) last updated
  /// before `older_than`, with their history, receipts received before it, and per-number
  /// limit events older than `older_than` minus the longest window + cooldown of their scope
  /// (no limit can count them any more): `batch_size` rows of each per transaction, at most
  /// `max_batches` transactions. Returns messages deleted.
  result<std::size_t> purge(time_point older_than, std::size_t batch_size = 500,
                            std::size_t max_batches = std::numeric_limits<std::size_t>::max());

  /// The connection, for queue/ modules that keep tables of their own (rate limits).
  sqlite::database& database() noexcept;
  /// COMMITs on this connection so far that changed at least one row (a transaction that
  /// changed none wrote nothing to the WAL). group_commit compares it before and after a
  /// round of work to know whether the round wrote anything that needs an fsync.
  std::uint64_t commits() const noexcept;

  struct impl;

 private:
  explicit store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace smsgw::queue
