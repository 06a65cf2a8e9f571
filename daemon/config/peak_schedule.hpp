// daemon/config/peak_schedule.hpp: a carrier's peak-hour windows and what is in force at a given
// instant. Windows are written in Asia/Jakarta time (WIB, UTC+7, no daylight saving): days of
// the week plus a start and an end within the day. Each window has its own throughput cap and a
// share of that cap per priority class: OTP always gets the whole cap (and goes first, the
// sources hand out in priority order); transactional and bulk get `share` x cap, 0 = paused.
// Outside every window the carrier's own `throughput` applies and every class may use it all.
// Pure: the caller passes the UTC time (the dispatcher's clock is injectable), no I/O.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace smsgw {

/// WIB = UTC+7 all year (Indonesia has no daylight saving).
inline constexpr std::chrono::hours wib_offset{7};

/// Priority classes as the queue numbers them (queue::priority): 0 OTP, 1 transactional, 2 bulk.
inline constexpr std::size_t traffic_classes = 3;

/// One window. Days: bit 0 = Monday ... bit 6 = Sunday (ISO order). `start` < `end`, both
/// minutes after 00:00 WIB; `end` may be 24:00 (a window over midnight is two windows).
struct peak_window {
  std::string name;                    ///< `name`: shown in logs and /healthz; default "DAYS HH:MM-HH:MM"
  std::uint8_t days = 0;               ///< `days`: ["mon", ...]
  std::chrono::minutes start{0};       ///< `start`: "HH:MM" WIB, inclusive
  std::chrono::minutes end{0};         ///< `end`: "HH:MM" WIB, exclusive ("24:00" allowed)
  std::optional<double> throughput;    ///< `throughput`: cap in segments/s; absent = the carrier's
  double transactional_share = 1.0;    ///< `transactional_share`: 0..1 of the cap, default 1
  double bulk_share = 0.0;             ///< `bulk_share`: 0..1 of the cap, default 0 (paused)
  friend bool operator==(peak_window const&, peak_window const&) = default;
};

struct peak_schedule {
  std::vector<peak_window> windows;
  friend bool operator==(peak_schedule const&, peak_schedule const&) = default;
};

/// The default every carrier gets when its config has no `peak` key: bulk paused on working
/// days (Mon-Fri) 09:00-11:00 and 13:00-15:00 WIB, the hours the aid payouts overload
/// (up to 10x); the cap and transactional traffic unchanged.
peak_schedule default_peak_schedule();

/// What is in force at one instant for one carrier.
struct peak_state {
  std::optional<std::size_t> window;  ///< index into the schedule's windows; nullopt = none
  double cap = 0;                     ///< segments/s for the carrier's token bucket
  std::array<double, traffic_classes> share{1.0, 1.0, 1.0};  ///< of `cap`, per class; OTP 1
  /// The next instant the answer may change (a window's start or end); max() if never.
  std::chrono::system_clock::time_point until = std::chrono::system_clock::time_point::max();

  bool same_rules(peak_state const& o) const noexcept {
    return window == o.window && cap == o.cap && share == o.share;
  }
};

/// The window in force at `utc` (the first listed if several, which validation refuses),
/// with `base_rate` (the carrier's `throughput`) as the cap outside windows and for windows
/// without their own. Pure.
peak_state peak_state_at(peak_schedule const& s, double base_rate,
                         std::chrono::system_clock::time_point utc);

/// WIB wall-clock parts of a UTC instant: weekday 0 = Monday .. 6 = Sunday, minute of the day.
struct wib_time {
  unsigned weekday = 0;
  std::chrono::minutes minute_of_day{0};
};
wib_time to_wib(std::chrono::system_clock::time_point utc);

/// "mon-fri 09:00-11:00" (days as a range when consecutive, else "mon,wed").
std::string describe(peak_window const& w);
/// "HH:MM".
std::string format_hhmm(std::chrono::minutes m);
/// "HH:MM" -> minutes after midnight; "24:00" only with `allow_24`. nullopt if malformed.
std::optional<std::chrono::minutes> parse_hhmm(std::string const& s, bool allow_24);
/// "mon".."sun" -> bit (0..6); nullopt if not a day name.
std::optional<unsigned> parse_weekday(std::string const& s);

/// A problem with one window: its index, the key at fault and why.
struct peak_problem {
  std::size_t index = 0;
  std::string key;
  std::string what;
};
/// Inverted (start >= end), no days, shares out of 0..1, bulk allowed while transactional is
/// paused, overlapping another window on a shared day. nullopt if the schedule is valid.
std::optional<peak_problem> validate(peak_schedule const& s);

}  // namespace smsgw
