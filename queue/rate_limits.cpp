// queue/rate_limits.cpp: the limit arithmetic over recorded events, and its SQL. Each check is
// one covering-index range scan per scope (number, range) plus, when allowed, one INSERT per
// scope. Rows read per scan are bounded by the limits themselves: once a subject reaches a
// limit, nothing more is recorded for it until the cooldown ends.
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

milliseconds horizon(std::vector<window_limit> const& limits) {
  milliseconds h{0};
  for (auto const& l : limits) h = std::max(h, l.window + l.cooldown);
  return h;
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

// Loads the request times of one subject newer than now - span into `out`, ascending.
void load(sqlite::statement& st, std::int64_t key, std::int64_t since,
          std::vector<std::int64_t>& out) {
  out.clear();
  st.bind(1, key).bind(2, since);
  while (st.step()) out.push_back(st.column_int64(0));
  st.reset();
}

// Deletes the oldest events (insertion order) up to the first one still needed.
std::size_t purge_table(sqlite::database& db, sqlite::statement& scan, sqlite::statement& del,
                        std::int64_t cutoff, std::size_t max_rows) {
  std::int64_t last_old = -1;
  std::size_t n = 0;
  scan.bind(1, static_cast<std::int64_t>(max_rows));
  while (scan.step()) {
    if (scan.column_int64(1) > cutoff) break;
    last_old = scan.column_int64(0);
    ++n;
  }
  scan.reset();
  if (n == 0) return 0;
  del.bind(1, last_old).run();
  return static_cast<std::size_t>(db.changes());
}

}  // namespace

std::vector<window_limit> limits_config::default_number_limits() {
  return {{5, 15min, 30min, ""}, {10, 1h, 1h, ""}, {30, 24h, 24h, ""}};
}

std::vector<window_limit> limits_config::default_prefix_limits() {
  return {{50, 10min, 30min, ""}};
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
      if (l.window + l.cooldown > max_span) return where + ": window + cooldown exceed a year";
    }
    return std::nullopt;
  };
  if (auto e = check(cfg.per_number, "per_number")) return e;
  if (auto e = check(cfg.per_prefix, "per_prefix")) return e;
  if (cfg.prefix_hidden_digits < 1 || cfg.prefix_hidden_digits > 6)
    return std::string("prefix_hidden_digits must be 1..6");
  return std::nullopt;
}

std::string_view msisdn_prefix(std::string_view msisdn, unsigned hidden_digits) noexcept {
  return msisdn.substr(0, msisdn.size() - std::min<std::size_t>(hidden_digits, msisdn.size()));
}

rate_limiter::rate_limiter(sqlite::database& db, limits_config cfg)
    : db_(&db),
      cfg_(std::move(cfg)),
      number_horizon_(horizon(cfg_.per_number)),
      prefix_horizon_(horizon(cfg_.per_prefix)),
      number_events_(db, "SELECT at FROM rate_number_events WHERE msisdn = ?1 AND at > ?2 "
                         "ORDER BY at"),
      prefix_events_(db, "SELECT at FROM rate_prefix_events WHERE prefix = ?1 AND at > ?2 "
                         "ORDER BY at"),
      insert_number_(db, "INSERT INTO rate_number_events(msisdn, at) VALUES (?1, ?2)"),
      insert_prefix_(db, "INSERT INTO rate_prefix_events(prefix, at) VALUES (?1, ?2)"),
      number_scan_(db, "SELECT id, at FROM rate_number_events ORDER BY id LIMIT ?1"),
      prefix_scan_(db, "SELECT id, at FROM rate_prefix_events ORDER BY id LIMIT ?1"),
      number_delete_(db, "DELETE FROM rate_number_events WHERE id <= ?1"),
      prefix_delete_(db, "DELETE FROM rate_prefix_events WHERE id <= ?1") {
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
    if (!cfg_.per_number.empty()) {
      load(number_events_, number, t - number_horizon_.count(), scratch_);
      consider(v, cfg_.per_number, scratch_, t);
    }
    if (!cfg_.per_prefix.empty()) {
      load(prefix_events_, range, t - prefix_horizon_.count(), scratch_);
      consider(v, cfg_.per_prefix, scratch_, t);
    }
    if (v.limit) return rate_decision{limit_refusal{*v.limit, from_ms(v.retry)}};
    if (record) {
      if (!cfg_.per_number.empty()) insert_number_.bind(1, number).bind(2, t).run();
      if (!cfg_.per_prefix.empty()) insert_prefix_.bind(1, range).bind(2, t).run();
    }
    return rate_decision{};
  } catch (sqlite::error const& e) {
    return from_sqlite(e, record ? "rate limits: check_and_record" : "rate limits: check");
  }
}

result<std::size_t> rate_limiter::purge(time_point now, std::size_t max_rows) {
  auto const t = to_ms(now);
  try {
    auto n = purge_table(*db_, number_scan_, number_delete_, t - number_horizon_.count(),
                         max_rows);
    n += purge_table(*db_, prefix_scan_, prefix_delete_, t - prefix_horizon_.count(), max_rows);
    return n;
  } catch (sqlite::error const& e) {
    return from_sqlite(e, "rate limits: purge");
  }
}

}  // namespace smsgw::queue
