// queue/rate_limits.hpp: per-number and per-number-range (prefix) limits on OTP requests,
// persisted in the queue's SQLite file so a restart resets nothing. The stored state is only
// the accepted requests themselves (one row per request per scope); windows and cooldowns are
// derived from them on every check, so there is no second table to drift out of step and a
// config change applies at once. Runs inside the caller's transaction (no BEGIN/SAVEPOINT of
// its own); time is passed in, never read from a clock. Semantics in docs/limits.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "queue/error.hpp"
#include "queue/message.hpp"
#include "queue/sqlite.hpp"

namespace smsgw::queue {

/// One limit: at most `max_count` accepted requests in any sliding `window`. The request that
/// brings the count in its window to `max_count` trips the limit: it is accepted, and every
/// later request is refused until `cooldown` has passed since it (and until the window has
/// room again, which matters only when cooldown < window).
struct window_limit {
  std::uint32_t max_count = 0;       ///< accepted requests allowed per window, 1..10000
  std::chrono::milliseconds window{};    ///< sliding window length, > 0
  std::chrono::milliseconds cooldown{};  ///< refusal period after the limit trips, >= 0
  std::string name;  ///< shown in refusals; "" = derived ("5 per 15 min", "range 50 per 10 min")
  friend bool operator==(window_limit const&, window_limit const&) = default;
};

/// What a new OTP gets when another for the same number and purpose was accepted less than
/// `resend_interval` ago (docs/limits.md, "Resend interval").
enum class resend_mode : std::uint8_t {
  /// Refused like a limit (429 + Retry-After at the API): nothing stored, nothing counted.
  refuse = 0,
  /// Answered with the earlier message (enqueue_outcome::kind::resend_suppressed): the new
  /// code is not stored nor sent, the earlier SMS goes (or went) as it is.
  suppress = 1,
};

std::string_view to_string(resend_mode m) noexcept;

/// All limits. Defaults follow docs/limits.md (from the article in shared/seed).
struct limits_config {
  /// Per normalised MSISDN: 5 per 15 min then 30 min, 10 per hour then 1 h, 30 per day then 24 h.
  std::vector<window_limit> per_number = default_number_limits();
  /// Per number range (the MSISDN without its last `prefix_hidden_digits` digits), against
  /// SMS-pumping fraud that walks a range: 50 per 10 min then 30 min.
  std::vector<window_limit> per_prefix = default_prefix_limits();
  /// Digits dropped to form the range key, 1..max_prefix_hidden_digits; 4 = ranges of 10,000 numbers.
  unsigned prefix_hidden_digits = 4;
  /// At most one OTP per number and purpose (non-empty purposes only) in this interval,
  /// counted from the last accepted one; 0 = off (the library's default; the daemon's is
  /// 30 s). At most max_resend_interval.
  std::chrono::milliseconds resend_interval{0};
  /// What a request inside the interval gets.
  resend_mode on_resend = resend_mode::refuse;
  friend bool operator==(limits_config const&, limits_config const&) = default;

  static std::vector<window_limit> default_number_limits();
  static std::vector<window_limit> default_prefix_limits();
};

/// Empty if `cfg` is usable, else what is wrong ("per_number[1]: window must be > 0").
std::optional<std::string> validate(limits_config const& cfg);

/// The widest range key: a number without its last 6 digits (ranges of a million numbers).
/// The config parser reads `prefix_hidden_digits` with this bound, so both agree.
inline constexpr unsigned max_prefix_hidden_digits = 6;

/// The longest resend interval: one hour (an OTP is rarely valid longer).
inline constexpr std::chrono::milliseconds max_resend_interval{3'600'000};

/// The name a resend-interval refusal carries ("resend interval 30 s").
std::string resend_limit_name(std::chrono::milliseconds interval);

/// The answer to one request: allowed, or refused with the limit and the time to retry.
struct rate_decision {
  std::optional<limit_refusal> refusal;  ///< empty = allowed
  bool allowed() const noexcept { return !refusal.has_value(); }
};

/// The range key of a number: `msisdn` without its last `hidden_digits` digits.
std::string_view msisdn_prefix(std::string_view msisdn, unsigned hidden_digits) noexcept;

namespace detail {
/// The statements and derived bounds of one events table (number or range).
struct rate_scope {
  rate_scope(sqlite::database& db, std::string_view table, std::string_view key,
             std::vector<window_limit> const& limits);
  std::chrono::milliseconds horizon{};  ///< longest window + cooldown: older events are dead
  std::int64_t min_count = 0;           ///< fewer events than this in the horizon never refuse
  sqlite::statement count, events, insert, scan, remove;
};
}  // namespace detail

/// Checks and records requests against the limits, in the tables of schema step
/// "rate limits" (rate_limits_schema_sql below; queue::migrate() creates them).
/// Holds prepared statements on `db`: the database must outlive the limiter, and both are
/// used from one thread (the queue's writer). Errors, including SQLite failures, come back
/// as values; after a failed check_and_record the caller must roll its transaction back.
class rate_limiter {
 public:
  /// Validates `cfg` and prepares statements (the tables must exist: run migrate() first).
  static result<rate_limiter> make(sqlite::database& db, limits_config cfg);

  /// Would a request for `msisdn` (normalised, see queue/msisdn.hpp) be allowed at `now`?
  /// Reads only. A non-normalised number is errc::invalid_argument.
  result<rate_decision> check(std::string_view msisdn, time_point now);

  /// check(), and if allowed, counts the request against the number and its range. A refused
  /// request is not recorded: it neither counts nor extends a cooldown. Call it inside the
  /// enqueue transaction, after the idempotency check (a duplicate is not a new request) and
  /// before inserting the message, so a rollback undoes both together.
  result<rate_decision> check_and_record(std::string_view msisdn, time_point now);

  /// Deletes up to `max_rows` events per table that no limit can need any more at `now`
  /// (older than the longest window + cooldown of their scope), oldest first. Returns how
  /// many were deleted; call again while it returns > 0. Runs in the caller's transaction if
  /// one is open, else each DELETE commits on its own.
  result<std::size_t> purge(time_point now, std::size_t max_rows);

  limits_config const& config() const noexcept { return cfg_; }

 private:
  rate_limiter(sqlite::database& db, limits_config cfg);
  result<rate_decision> decide(std::string_view msisdn, time_point now, bool record);

  sqlite::database* db_;
  limits_config cfg_;
  detail::rate_scope number_, prefix_;
  std::vector<std::int64_t> scratch_;  // event times of one subject, reused across calls
};

/// Schema step for queue/schema.cpp (appended to its migration list as "rate limits").
///
/// rate_number_events: one row per accepted OTP request (check_and_record allowed it).
///   id      insertion order; purge walks it from the oldest
///   msisdn  the normalised number as an integer (6281234567890)
///   at      request time, ms since the Unix epoch
/// rate_prefix_events: the same per number range.
///   prefix  the number without its last prefix_hidden_digits digits, as an integer (628123456)
/// The (subject, at) indexes cover the per-check query: one index range scan per scope.
inline constexpr std::string_view rate_limits_schema_sql = R"sql(
CREATE TABLE rate_number_events (
  id      INTEGER PRIMARY KEY,
  msisdn  INTEGER NOT NULL,
  at      INTEGER NOT NULL
);
CREATE INDEX rate_number_events_key ON rate_number_events(msisdn, at);
CREATE TABLE rate_prefix_events (
  id      INTEGER PRIMARY KEY,
  prefix  INTEGER NOT NULL,
  at      INTEGER NOT NULL
);
CREATE INDEX rate_prefix_events_key ON rate_prefix_events(prefix, at);
)sql";

}  // namespace smsgw::queue
