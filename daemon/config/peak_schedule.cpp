// daemon/config/peak_schedule.cpp: see peak_schedule.hpp.
#include "daemon/config/peak_schedule.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace smsgw {

namespace {
constexpr std::array<char const*, 7> day_names{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr std::uint8_t working_days = 0x1f;  // Mon..Fri

bool has_day(peak_window const& w, unsigned d) noexcept { return (w.days >> d) & 1u; }
}  // namespace

peak_schedule default_peak_schedule() {
  using std::chrono::hours;
  peak_schedule s;
  peak_window morning;
  morning.name = "working days 09:00-11:00 WIB: bulk paused";
  morning.days = working_days;
  morning.start = hours(9);
  morning.end = hours(11);
  peak_window afternoon = morning;
  afternoon.name = "working days 13:00-15:00 WIB: bulk paused";
  afternoon.start = hours(13);
  afternoon.end = hours(15);
  s.windows = {morning, afternoon};
  return s;
}

wib_time to_wib(std::chrono::system_clock::time_point utc) {
  using namespace std::chrono;
  auto const local = floor<minutes>(utc) + wib_offset;
  auto const day = floor<days>(local);
  wib_time t;
  t.weekday = weekday(sys_days(day)).iso_encoding() - 1;  // Monday = 0
  t.minute_of_day = local - day;
  return t;
}

peak_state peak_state_at(peak_schedule const& s, double base_rate,
                         std::chrono::system_clock::time_point utc) {
  using namespace std::chrono;
  peak_state st;
  st.cap = base_rate;
  auto const now = to_wib(utc);
  for (std::size_t i = 0; i < s.windows.size(); ++i) {
    auto const& w = s.windows[i];
    if (has_day(w, now.weekday) && now.minute_of_day >= w.start && now.minute_of_day < w.end) {
      st.window = i;
      st.cap = w.throughput.value_or(base_rate);
      st.share = {1.0, w.transactional_share, w.bulk_share};
      break;
    }
  }
  // The next edge: the earliest window start or end after `utc`, over the coming 8 days.
  auto const local_day = floor<days>(utc + wib_offset);
  for (int k = 0; k <= 7; ++k) {
    auto const day_start_utc = sys_days(local_day + days(k)) - wib_offset;  // 00:00 WIB, in UTC
    auto const d = (now.weekday + static_cast<unsigned>(k)) % 7;
    for (auto const& w : s.windows) {
      if (!has_day(w, d)) continue;
      for (auto edge : {w.start, w.end}) {
        auto const at = time_point_cast<system_clock::duration>(day_start_utc + edge);
        if (at > utc && at < st.until) st.until = at;
      }
    }
  }
  return st;
}

std::string format_hhmm(std::chrono::minutes m) {
  return fmt::format("{:02}:{:02}", m.count() / 60, m.count() % 60);
}

std::optional<std::chrono::minutes> parse_hhmm(std::string const& s, bool allow_24) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  for (std::size_t i : {0u, 1u, 3u, 4u})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  int const h = (s[0] - '0') * 10 + (s[1] - '0');
  int const m = (s[3] - '0') * 10 + (s[4] - '0');
  if (h == 24 && m == 0 && allow_24) return std::chrono::minutes(24 * 60);
  if (h > 23 || m > 59) return std::nullopt;
  return std::chrono::minutes(h * 60 + m);
}

std::optional<unsigned> parse_weekday(std::string const& s) {
  for (unsigned d = 0; d < day_names.size(); ++d)
    if (s == day_names[d]) return d;
  return std::nullopt;
}

std::string describe(peak_window const& w) {
  std::string days;
  unsigned d = 0;
  while (d < 7) {
    if (!has_day(w, d)) {
      ++d;
      continue;
    }
    unsigned e = d;
    while (e + 1 < 7 && has_day(w, e + 1)) ++e;
    if (!days.empty()) days += ",";
    days += day_names[d];
    if (e > d) days += std::string(e == d + 1 ? "," : "-") + day_names[e];
    d = e + 1;
  }
  return fmt::format("{} {}-{}", days, format_hhmm(w.start), format_hhmm(w.end));
}

std::optional<peak_problem> validate(peak_schedule const& s) {
  for (std::size_t i = 0; i < s.windows.size(); ++i) {
    auto const& w = s.windows[i];
    if ((w.days & 0x7f) == 0) return peak_problem{i, "days", "names no day (mon..sun)"};
    if (w.start < std::chrono::minutes(0) || w.start >= std::chrono::hours(24))
      return peak_problem{i, "start", "out of range (00:00..23:59)"};
    if (w.end <= std::chrono::minutes(0) || w.end > std::chrono::hours(24))
      return peak_problem{i, "end", "out of range (00:01..24:00)"};
    if (w.start >= w.end)
      return peak_problem{i, "end", fmt::format("{} is not after start {} (a window over midnight is "
                                                "two windows: ...-24:00 and 00:00-...)",
                                                format_hhmm(w.end), format_hhmm(w.start))};
    if (w.throughput && !(*w.throughput >= 0.01 && *w.throughput <= 100000))
      return peak_problem{i, "throughput", "out of range (0.01..100000)"};
    if (!(w.transactional_share >= 0 && w.transactional_share <= 1))
      return peak_problem{i, "transactional_share", "out of range (0..1)"};
    if (!(w.bulk_share >= 0 && w.bulk_share <= 1))
      return peak_problem{i, "bulk_share", "out of range (0..1)"};
    // Classes are claimed in priority order: bulk cannot go while transactional waits.
    if (w.bulk_share > 0 && w.transactional_share == 0)
      return peak_problem{i, "bulk_share", "must be 0 while transactional_share is 0 (bulk never goes "
                                           "before transactional traffic)"};
    for (std::size_t j = 0; j < i; ++j) {
      auto const& o = s.windows[j];
      if ((w.days & o.days) != 0 && w.start < o.end && o.start < w.end)
        return peak_problem{i, "start", fmt::format("overlaps peak[{}] ({}) on a shared day", j, describe(o))};
    }
  }
  return std::nullopt;
}

}  // namespace smsgw
