// queue/store_impl.hpp: internal to queue/store*.cpp. The connection, its prepared statements
// and the general transition primitives: load() a message's mutable columns, transition()
// writes them back with the new state. The history row is written by the database (trigger
// messages_history, schema step 4) inside any UPDATE that changes a state, so no state change
// can happen without it, also on the fast paths that update without load() (claim, submitted,
// receipts). Helpers throw (sqlite::error, failure); guarded() turns that into a queue::error.
// The statements are prepared once, when the store opens, in groups: each group is declared
// here and defined (its SQL, written with queue/sql_text.hpp, and its constructor) in the one
// file that binds it, next to the code that binds it.
#pragma once

#include "queue/sql_text.hpp"
#include "queue/store.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace smsgw::queue {

/// A refused operation inside the store (not_found, invalid_state, ...), thrown by helpers.
struct failure {
  error err;
};

[[noreturn]] void fail(errc code, std::string message);

/// The mutable columns of one message, as transition() reads and writes them.
struct row {
  message_id id = 0;
  state st = state::queued;
  std::string route;
  std::int64_t not_before = 0;
  int attempts = 0;
  std::optional<std::int64_t> sending_at;
  std::optional<std::string> smsc_message_id;
  std::string detail;
  std::int64_t history_len = 0;
  std::int64_t expires_at = 0;
  std::string carrier;
  std::string via_carrier;
  std::int64_t last_event = 0;  ///< key of the newest events row (schema step 7)
  std::string filtered_routes;  ///< schema step 10
  std::string silent_routes;    ///< schema step 15
};

/// `routes` (comma-separated) with `route` added (once).
std::string add_route(std::string_view routes, std::string_view route);

/// The retry policy threw: fails the whole operation (the transaction is rolled back).
struct policy_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Columns of messages in the order read_message() expects.
inline constexpr std::string_view k_message_columns =
    "id, recipient, sender, text, priority, purpose, idempotency_key, carrier, route, state, "
    "created_at, expires_at, not_before, updated_at, attempts, sending_at, smsc_message_id, "
    "detail, via_carrier, filtered_routes, silent_routes";

message read_message(sqlite::statement const& st);

// The prepared statements of each file (see the top of this file).

/// queue/store.cpp: a message's row and history.
struct store_statements {
  explicit store_statements(sqlite::database& db);
  sqlite::statement load_row, write_row, insert_event, insert_first_event, set_last_event;
  sqlite::statement max_event_id;
  sqlite::statement max_message_id;
  sqlite::statement select_message, record_unanswered, record_earlier;
};

/// queue/enqueue.cpp.
struct enqueue_statements {
  explicit enqueue_statements(sqlite::database& db);
  sqlite::statement find_key, find_supersedable, insert_message, find_recent_otp;
};

/// queue/claim.cpp: claims, the sending mark, submit results.
struct claim_statements {
  explicit claim_statements(sqlite::database& db);
  sqlite::statement claim_select, claim_due, set_sending_all, set_sending, submit_row;
};

/// queue/receipts.cpp: receipts, held receipts, attempts whose response never came.
struct receipt_statements {
  explicit receipt_statements(sqlite::database& db);
  sqlite::statement receipt_target, receipt_apply, lookup_receipt, any_sending, insert_receipt;
  sqlite::statement any_held, pending_for_id, resolve_receipt;
  sqlite::statement unanswered_for, in_flight_to, forget_unanswered, earlier_attempt;
};

struct store::impl {
  impl(sqlite::database d, store_options o);

  /// Reads the row of `id`; failure{not_found} if there is none.
  row load(message_id id);
  /// Writes `r` back with state `to` at `now_ms`; the messages_history trigger records the
  /// event (from r.st to `to`, with r.detail). Updates r.st and r.history_len.
  void transition(row& r, state to, std::int64_t now_ms);
  /// Appends a history row to `r` without changing its state (a receipt recorded with the
  /// state kept, the failed receipt before a retry): the row, then r's last_event and
  /// history_len, in the database and in `r`.
  void insert_event(row& r, std::int64_t at, std::optional<std::string_view> smsc_message_id,
                    std::string_view detail);
  /// The first history row of a message just inserted (the enqueue, state queued, key
  /// `event_id`). `route` is bound without a copy: it must outlive the call.
  void insert_first_event(message_id id, std::int64_t at, std::string_view route,
                          std::int64_t event_id, std::optional<std::int64_t> requester_uid,
                          std::optional<std::int64_t> requester_pid);
  /// The stored message `id`, nullopt if there is none.
  std::optional<message> read(message_id id);
  /// The first of `count` new keys for events rows (schema step 7): max(id) + 1 read once per
  /// transaction (commit and rollback forget it), then counted up.
  std::int64_t next_event_ids(std::int64_t count = 1);
  /// The id of a new message (schema step 16): above every id in messages and every id purge
  /// deleted, read once per transaction (commit and rollback forget it), then counted up.
  message_id next_message_id();

  /// claim() and claim_for_sending() (`sending`: the claimed get sending_at = now); commits.
  std::vector<message> claim(std::string_view carrier, std::size_t max, std::int64_t now_ms,
                             bool sending,
                             priority least_urgent = priority::bulk);

  // Operation bodies, run inside an open transaction.
  /// Stores one validated request (see validate()).
  enqueue_outcome enqueue_one(enqueue_request const& req);
  /// `check_held`: whether any receipt may be held (see any_receipt_held()).
  /// `receipt_due`: ms, nullopt = the expiry (submission::receipt_due).
  /// `stored` (if given): its state after, and the message and receipt if a held one was
  /// applied.
  void mark_submitted_one(message_id id, std::string_view route, std::string_view smsc_id,
                          std::string_view via_carrier, std::int64_t now_ms, bool check_held,
                          std::optional<std::int64_t> receipt_due = {},
                          submitted_message* stored = nullptr);
  /// Whether any receipt is held (status pending): one probe of the tiny receipts_held index.
  bool any_receipt_held();
  /// Applies the receipts held for (`id`'s via_carrier, `smsc_id`), earliest first, to message
  /// `id` just marked submitted (mark_submitted_one with check_held). Returns the detail of
  /// the one that settled it (nullopt if none was held).
  std::optional<std::string> apply_held_receipts(message_id id, std::string_view smsc_id, std::int64_t now_ms);
  /// `recipient` and `submit_date`: for a receipt whose id matches no message (see
  /// match_unanswered()); '' and nullopt = unknown. `stored` (if given): the matched message
  /// as stored after (left empty for a duplicate, held or orphan receipt). `submitted_at` (if
  /// given): when the matched attempt became submitted, where the common path read it.
  receipt_result apply_receipt_one(std::string_view carrier, std::string_view smsc_id,
                                   receipt_outcome outcome, std::string_view detail,
                                   std::int64_t now_ms, std::string_view recipient = {},
                                   std::optional<receipt_submit_date> const& submit_date = {},
                                   std::optional<message>* stored = nullptr,
                                   std::optional<time_point>* submitted_at = nullptr);
  /// The outcome_unknown message a receipt without a known id settles: the only attempt to
  /// `recipient` on `carrier` in unanswered_submits whose time fits `submit_date`, with no
  /// message to that number in flight (sending) on the carrier, and still the message's
  /// current attempt. nullopt when none or several fit (never a guess). Reads only.
  std::optional<message_id> match_unanswered(std::string_view carrier,
                                             std::string_view recipient,
                                             receipt_submit_date const& submit_date);
  /// Records the SMSC id of `r`'s lost submit_sm_resp from its receipt (outcome_unknown ->
  /// submitted, via `carrier`), forgets the unanswered attempt, then applies the receipt as a
  /// receipt for a submitted message (a failed one asks the retry policy).
  void settle_unanswered(row& r, std::string_view carrier, std::string_view smsc_id,
                         receipt_outcome outcome, std::string_view detail, std::int64_t now_ms);
  void recover(std::int64_t now_ms);
  /// Asks opts.retry about `r` (its stored message; for a failed receipt `receipt_detail`
  /// replaces the message's detail). Returns the plan, its not_before raised to now, only if
  /// the message would be due before its expiry.
  std::optional<retry_plan> ask_retry(row const& r, retry_reason why,
                                      std::optional<std::string_view> receipt_detail,
                                      std::int64_t now_ms);
  /// Moves `r` to queued on the plan's route and time ("retry via <route>: <detail>").
  void apply_retry(row& r, retry_plan const& plan, std::int64_t now_ms);
  /// An undeliverable receipt for submitted `r`: retried (queued) if the policy says so,
  /// after an event recording the receipt; otherwise undeliverable. `prefix` starts the
  /// receipt's event detail ("receipt" or "receipt (held until submit_sm_resp)").
  /// A detail classed filtered (is_filtered_detail) adds r's via_carrier to its
  /// filtered_routes and asks with retry_reason::filtered_receipt.
  void fail_or_retry(row& r, std::string_view prefix, std::string_view detail,
                     std::int64_t now_ms);
  /// A receipt whose (carrier, id) is an earlier attempt of a message (earlier_attempts),
  /// nullopt if none: applied to it (delivered wins while it is not final yet or no_receipt;
  /// otherwise recorded with the state kept).
  std::optional<receipt_result> apply_earlier_attempt_receipt(std::string_view carrier,
                                                              std::string_view smsc_id,
                                                              receipt_outcome outcome,
                                                              std::string_view detail,
                                                              std::int64_t now_ms);

  sqlite::database db;
  store_options opts;
  recovery_report recovery;
  std::optional<rate_limiter> limiter;  // made from opts.limits after the migrations

  std::int64_t next_event_id = 0;  ///< 0: not read in this transaction yet
  message_id next_msg_id = 0;      ///< 0: not read in this transaction yet
  std::uint64_t commits = 0;       ///< COMMITs that changed rows (store::commits)
  std::int64_t changes_at_commit = -1;  ///< sqlite3_total_changes64 at the last such COMMIT
  // After db: destroyed before it.
  store_statements sql_store;
  enqueue_statements sql_enqueue;
  claim_statements sql_claim;
  receipt_statements sql_receipts;
};

/// Runs `f` and converts what it throws into an error value naming `op`.
template <class F>
auto guarded(std::string_view op, F&& f) -> result<std::invoke_result_t<F>> {
  using T = std::invoke_result_t<F>;
  try {
    if constexpr (std::is_void_v<T>) {
      std::forward<F>(f)();
      return {};
    } else {
      return std::forward<F>(f)();
    }
  } catch (failure const& e) {
    return error{e.err.code, std::string(op) + ": " + e.err.message};
  } catch (sqlite::error const& e) {
    return from_sqlite(e, op);
  } catch (std::exception const& e) {
    return error{errc::internal, std::string(op) + ": " + e.what()};
  }
}

}  // namespace smsgw::queue
