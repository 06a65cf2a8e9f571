// queue/rate_limits.cpp: the limit arithmetic over recorded events, and its SQL. A check is,
// per scope (number, range), one bounded count over the (subject, at) index; the event times
// are read only when that count reaches the smallest max_count (the only case that can
// refuse); an allowed request adds one row per scope. Rows per subject stay bounded by the
// limits: once a subject reaches one, nothing more is recorded for it until it may ask again.
#include "queue/rate_limits.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

#include "queue/msisdn.hpp"

namespace smsgw::queue {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

constexpr std::int64_t no_retry = std::numeric_limits<std::int64_t>::min();
constexpr std::uint32_t max_count_limit = 10'000;  // bounds the rows one check may read
constexpr milliseconds max_span = 24h * 366;       // window + cooldown, at most a year

std::string format_span(milliseconds d) {
  auto ms = d.count();
  if (ms % 3'600'000 == 0) return fmt::format("{} h", ms / 3'600'000);
  if (ms % 60'000 == 0) return fmt::format("{} min", ms / 60'000);
  if (ms % 1'000 == 0) return fmt::format("{} s", ms / 1'000);
  return fmt::format("{} ms", ms);
}

void name_limits(std::vector<window_limit>& limits, std::string_view scope_word) {
  for (auto& l : limits) {
    if (l.name.empty()) {
      l.name = fmt::format("{}{} per {}", scope_word, l.max_count, format_span(l.window));
    }
  }
}

milliseconds horizon_of(std::vector<window_limit> const& limits) {
  milliseconds h{0};
  for (auto const& l : limits) h = std::max(h, l.window + l.cooldown);
  return h;
}

// A limit refuses only with max_count events in its window + cooldown, all inside the horizon.
std::int64_t min_count_of(std::vector<window_limit> const& limits) {
  std::int64_t m = std::numeric_limits<std::int64_t>::max();
  for (auto const& l : limits) m = std::min<std::int64_t>(m, l.max_count);
  return limits.empty() ? 0 : m;
}

std::int64_t to_integer(std::string_view digits) noexcept {
  std::int64_t v = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), v);
  return v;
}

// The time from which `limit` allows requests again given a subject's accepted request times
// `at` (ascending), or no_retry. Two causes, the later wins:
//  - a trip: request i brought the count in (at[i] - window, at[i]] to max_count, so requests
//    are refused until at[i] + cooldown;
//  - a full window: max_count or more requests in (now - window, ...], so requests are refused
//    until enough of them have slid out (matters only when cooldown < window).
std::int64_t retry_point(window_limit const& limit, std::vector<std::int64_t> const& at,
                         std::int64_t now) {
  auto const w = limit.window.count();
  auto const c = limit.cooldown.count();
  auto const m = static_cast<std::size_t>(limit.max_count);
  std::int64_t retry = no_retry;
  std::size_t first = 0;  // first request inside the window ending at at[i]
  for (std::size_t i = 0; i < at.size(); ++i) {
    while (at[first] <= at[i] - w) ++first;
    if (i - first + 1 >= m) retry = std::max(retry, at[i] + c);
  }
  auto in_window = std::upper_bound(at.begin(), at.end(), now - w);
  auto n = static_cast<std::size_t>(at.end() - in_window);
  if (n >= m) retry = std::max(retry, *(in_window + static_cast<std::ptrdiff_t>(n - m)) + w);
  return retry;
}

struct verdict {
  std::int64_t retry = no_retry;
  std::string const* limit = nullptr;
};

void consider(verdict& v, std::vector<window_limit> const& limits,
              std::vector<std::int64_t> const& at, std::int64_t now) {
  for (auto const& l : limits) {
    auto r = retry_point(l, at, now);
    if (r > now && r > v.retry) v = {r, &l.name};
  }
}

// Adds `scope`'s refusal, if any, to `v`. Most subjects are far below every limit, so a
// bounded count decides first; the event times are read only when the count could refuse.
void consider_scope(detail::rate_scope& scope, std::vector<window_limit> const& limits,
                    std::int64_t key, std::int64_t now, std::vector<std::int64_t>& at,
                    verdict& v) {
  if (limits.empty()) return;
  auto const since = now - scope.horizon.count();
  scope.count.bind(1, key).bind(2, since).bind(3, scope.min_count);
  auto n = scope.count.step() ? scope.count.column_int64(0) : 0;
  scope.count.reset();
  if (n < scope.min_count) return;
  at.clear();
  scope.events.bind(1, key).bind(2, since);
  while (scope.events.step()) at.push_back(scope.events.column_int64(0));
  scope.events.reset();
  consider(v, limits, at, now);
}

// Deletes the oldest events (insertion order) up to the first one still needed.
std::size_t purge_scope(sqlite::database& db, detail::rate_scope& scope, std::int64_t now,
                        std::size_t max_rows) {
  auto const cutoff = now - scope.horizon.count();
  std::int64_t last_old = -1;
  std::size_t n = 0;
  scope.scan.bind(1, static_cast<std::int64_t>(max_rows));
  while (scope.scan.step()) {
    if (scope.scan.column_int64(1) > cutoff) break;
    last_old = scope.scan.column_int64(0);
    ++n;
  }
  scope.scan.reset();
  if (n == 0) return 0;
  scope.remove.bind(1, last_old).run();
  return static_cast<std::size_t>(db.changes());
}

}  // namespace

std::vector<window_limit> limits_config::default_number_limits() {
  return {{5, 15min, 30min, ""}, {10, 1h, 1h, ""}, {30, 24h, 24h, ""}};
}

std::vector<window_limit> limits_config::default_prefix_limits() {
  return {{50, 10min, 30min, ""}};
}

std::string_view to_string(resend_mode m) noexcept {
  return m == resend_mode::suppress ? "suppress" : "refuse";
}

std::string resend_limit_name(std::chrono::milliseconds interval) {
  return "resend interval " + format_span(interval);
}

std::optional<std::string> validate(limits_config const& cfg) {
  auto check = [](std::vector<window_limit> const& limits,
                  std::string_view scope) -> std::optional<std::string> {
    for (std::size_t i = 0; i < limits.size(); ++i) {
      auto const& l = limits[i];
      auto where = fmt::format("{}[{}]", scope, i);
      if (l.max_count < 1 || l.max_count > max_count_limit)
        return fmt::format("{}: max_count must be 1..{}", where, max_count_limit);
      if (l.window <= 0ms) return where + ": window must be > 0";
      if (l.cooldown < 0ms) return where + ": cooldown must be >= 0";
      if (l.window > max_span || l.cooldown > max_span || l.window + l.cooldown > max_span)
        return where + ": window + cooldown exceed a year";
    }
    return std::nullopt;
  };
  if (auto e = check(cfg.per_number, "per_number")) return e;
  if (auto e = check(cfg.per_prefix, "per_prefix")) return e;
  if (cfg.prefix_hidden_digits < 1 || cfg.prefix_hidden_digits > max_prefix_hidden_digits)
    return fmt::format("prefix_hidden_digits must be 1..{}", max_prefix_hidden_digits);
  if (cfg.resend_interval < 0ms || cfg.resend_interval > max_resend_interval)
    return fmt::format("resend_interval must be 0..{}", format_span(max_resend_interval));
  if (cfg.on_resend != resend_mode::refuse && cfg.on_resend != resend_mode::suppress)
    return "resend_mode must be refuse or suppress";
  return std::nullopt;
}

std::string_view msisdn_prefix(std::string_view msisdn, unsigned hidden_digits) noexcept {
  return msisdn.substr(0, msisdn.size() - std::min<std::size_t>(hidden_digits, msisdn.size()));
}

detail::rate_scope::rate_scope(sqlite::database& db, std::string_view table,
                               std::string_view key, std::vector<window_limit> const& limits)
    : horizon(horizon_of(limits)),
      min_count(min_count_of(limits)),
      count(db, fmt::format("SELECT count(*) FROM (SELECT 1 FROM {0} WHERE {1} = ?1 AND at > ?2 "
                            "LIMIT ?3)", table, key)),
      events(db, fmt::format("SELECT at FROM {0} WHERE {1} = ?1 AND at > ?2 ORDER BY at", table,
                             key)),
      insert(db, fmt::format("INSERT INTO {0}({1}, at) VALUES (?1, ?2)", table, key)),
      scan(db, fmt::format("SELECT id, at FROM {0} ORDER BY id LIMIT ?1", table)),
      remove(db, fmt::format("DELETE FROM {0} WHERE id <= ?1", table)) {}

rate_limiter::rate_limiter(sqlite::database& db, limits_config cfg)
    : db_(&db),
      cfg_(std::move(cfg)),
      number_(db, "rate_number_events", "msisdn", cfg_.per_number),
      prefix_(db, "rate_prefix_events", "prefix", cfg_.per_prefix) {
  name_limits(cfg_.per_number, "");
  name_limits(cfg_.per_prefix, "range ");
}

result<rate_limiter> rate_limiter::make(sqlite::database& db, limits_config cfg) {
  if (auto e = validate(cfg)) return error{errc::invalid_argument, "rate limits: " + *e};
  try {
    return rate_limiter(db, std::move(cfg));
  } catch (sqlite::error const& e) {
    return from_sqlite(e, "rate limits: prepare");
  }
}

result<rate_decision> rate_limiter::check(std::string_view msisdn, time_point now) {
  return decide(msisdn, now, false);
}

result<rate_decision> rate_limiter::check_and_record(std::string_view msisdn, time_point now) {
  return decide(msisdn, now, true);
}

result<rate_decision> rate_limiter::decide(std::string_view msisdn, time_point now,
                                           bool record) {
  if (!is_normalised_msisdn(msisdn)) {
    return error{errc::invalid_argument,
                 fmt::format("rate limits: \"{}\" is not a normalised MSISDN",
                             msisdn.substr(0, 32))};
  }
  auto const t = to_ms(now);
  auto const number = to_integer(msisdn);
  auto const range = to_integer(msisdn_prefix(msisdn, cfg_.prefix_hidden_digits));
  try {
    verdict v;
    consider_scope(number_, cfg_.per_number, number, t, scratch_, v);
    consider_scope(prefix_, cfg_.per_prefix, range, t, scratch_, v);
    if (v.limit) return rate_decision{limit_refusal{*v.limit, from_ms(v.retry)}};
    if (record) {
      if (!cfg_.per_number.empty()) number_.insert.bind(1, number).bind(2, t).run();
      if (!cfg_.per_prefix.empty()) prefix_.insert.bind(1, range).bind(2, t).run();
    }
    return rate_decision{};
  } catch (sqlite::error const& e) {
    return from_sqlite(e, record ? "rate limits: check_and_record" : "rate limits: check");
  }
}

result<std::size_t> rate_limiter::purge(time_point now, std::size_t max_rows) {
  auto const t = to_ms(now);
  try {
    auto n = purge_scope(*db_, number_, t, max_rows);
    n += purge_scope(*db_, prefix_, t, max_rows);
    return n;
  } catch (sqlite::error const& e) {
    return from_sqlite(e, "rate limits: purge");
  }
}

}  // namespace smsgw::queue
