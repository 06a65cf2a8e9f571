// Tests for daemon/config/peak_schedule.*: the pure (schedule, UTC instant) -> rules in force,
// read with an explicit clock: WIB (UTC+7) across UTC day and week boundaries, the cap and the
// shares changing exactly at a window's edge, the next edge, the default schedule.
#include <catch2/catch.hpp>

#include <chrono>

#include "daemon/config/peak_schedule.hpp"

using namespace smsgw;
using namespace std::chrono;

namespace {

/// A UTC instant from a calendar date and time of day (UTC).
system_clock::time_point utc(int y, unsigned m, unsigned d, int hh, int mm, int ss = 0) {
  return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} + seconds{ss};
}

peak_window window(std::uint8_t days, minutes start, minutes end, std::optional<double> cap,
                   double transactional, double bulk) {
  peak_window w;
  w.days = days;
  w.start = start;
  w.end = end;
  w.throughput = cap;
  w.transactional_share = transactional;
  w.bulk_share = bulk;
  w.name = describe(w);
  return w;
}

constexpr std::uint8_t monday = 1, sunday = 1 << 6, mon_fri = 0x1f;

}  // namespace

TEST_CASE("WIB is UTC+7 at UTC day and week boundaries") {
  // 2026-12-06 is a Sunday. 17:00 UTC Sunday = 00:00 WIB Monday.
  auto t = to_wib(utc(2026, 12, 6, 17, 0));
  CHECK(t.weekday == 0);  // Monday
  CHECK(t.minute_of_day == minutes(0));
  // One second before: 23:59 WIB Sunday.
  t = to_wib(utc(2026, 12, 6, 16, 59, 59));
  CHECK(t.weekday == 6);
  CHECK(t.minute_of_day == hours(23) + minutes(59));
  // 00:00 UTC Monday is already 07:00 WIB Monday; 02:00 UTC = 09:00 WIB.
  CHECK(to_wib(utc(2026, 12, 7, 0, 0)).weekday == 0);
  CHECK(to_wib(utc(2026, 12, 7, 2, 0)).minute_of_day == hours(9));
  // 23:30 UTC Friday = 06:30 WIB Saturday.
  t = to_wib(utc(2026, 12, 11, 23, 30));
  CHECK(t.weekday == 5);
  CHECK(t.minute_of_day == hours(6) + minutes(30));
  // Across a year boundary: 31 Dec 2026 (Thursday) 20:00 UTC = Friday 1 Jan 2027 03:00 WIB.
  t = to_wib(utc(2026, 12, 31, 20, 0));
  CHECK(t.weekday == 4);
  CHECK(t.minute_of_day == hours(3));
}

TEST_CASE("a window that starts at 00:00 WIB Monday is in force from 17:00 UTC Sunday") {
  peak_schedule s{{window(monday, hours(0), hours(1), 5.0, 1.0, 0.0)}};
  auto before = peak_state_at(s, 50, utc(2026, 12, 6, 16, 59, 59));
  CHECK_FALSE(before.window);
  CHECK(before.cap == 50);
  CHECK(before.until == utc(2026, 12, 6, 17, 0));  // the edge is the next change
  auto at = peak_state_at(s, 50, utc(2026, 12, 6, 17, 0));
  REQUIRE(at.window);
  CHECK(at.cap == 5);
  CHECK(at.share[2] == 0.0);
  CHECK(at.until == utc(2026, 12, 6, 18, 0));
  // A Sunday-only window 22:00-24:00 WIB ends at 17:00 UTC Sunday.
  peak_schedule late{{window(sunday, hours(22), hours(24), 7.0, 1.0, 0.0)}};
  CHECK(peak_state_at(late, 50, utc(2026, 12, 6, 16, 59)).cap == 7);
  CHECK(peak_state_at(late, 50, utc(2026, 12, 6, 17, 0)).cap == 50);
  CHECK(peak_state_at(late, 50, utc(2026, 12, 6, 15, 0)).cap == 7);   // 22:00 WIB Sunday
  CHECK(peak_state_at(late, 50, utc(2026, 12, 6, 14, 59)).cap == 50); // 21:59 WIB Sunday
}

TEST_CASE("the cap and the shares change exactly at the window's edges") {
  // Mon-Fri 09:00-11:00 WIB = 02:00-04:00 UTC: cap 20, transactional half, bulk paused.
  peak_schedule s{{window(mon_fri, hours(9), hours(11), 20.0, 0.5, 0.0)}};
  auto const monday_0159 = utc(2026, 12, 7, 1, 59, 59);
  auto off = peak_state_at(s, 100, monday_0159);
  CHECK_FALSE(off.window);
  CHECK(off.cap == 100);
  CHECK(off.share == std::array<double, 3>{1.0, 1.0, 1.0});
  CHECK(off.until == utc(2026, 12, 7, 2, 0));

  auto on = peak_state_at(s, 100, utc(2026, 12, 7, 2, 0));
  REQUIRE(on.window == std::optional<std::size_t>(0));
  CHECK(on.cap == 20);
  CHECK(on.share == std::array<double, 3>{1.0, 0.5, 0.0});  // OTP always the whole cap
  CHECK(on.until == utc(2026, 12, 7, 4, 0));
  CHECK(peak_state_at(s, 100, utc(2026, 12, 7, 3, 59, 59)).cap == 20);

  auto after = peak_state_at(s, 100, utc(2026, 12, 7, 4, 0));
  CHECK_FALSE(after.window);
  CHECK(after.cap == 100);
  CHECK(after.until == utc(2026, 12, 8, 2, 0));  // Tuesday 09:00 WIB

  // Friday after the window: the next edge is Monday's start, over the weekend.
  CHECK(peak_state_at(s, 100, utc(2026, 12, 11, 5, 0)).until == utc(2026, 12, 14, 2, 0));
  // Saturday at 09:30 WIB: no window.
  CHECK_FALSE(peak_state_at(s, 100, utc(2026, 12, 12, 2, 30)).window);
  // A window without its own throughput keeps the carrier's.
  peak_schedule keep{{window(mon_fri, hours(9), hours(11), std::nullopt, 1.0, 0.0)}};
  CHECK(peak_state_at(keep, 100, utc(2026, 12, 7, 2, 30)).cap == 100);
  // No windows: never a change.
  CHECK(peak_state_at(peak_schedule{}, 100, utc(2026, 12, 7, 2, 30)).until == system_clock::time_point::max());
}

TEST_CASE("the default schedule pauses bulk 09-11 and 13-15 WIB on working days only") {
  auto s = default_peak_schedule();
  REQUIRE_FALSE(validate(s));
  // Thursday 3 Dec 2026.
  CHECK(peak_state_at(s, 50, utc(2026, 12, 3, 2, 0)).share[2] == 0.0);   // 09:00 WIB
  CHECK(peak_state_at(s, 50, utc(2026, 12, 3, 4, 0)).share[2] == 1.0);   // 11:00 WIB
  CHECK(peak_state_at(s, 50, utc(2026, 12, 3, 6, 30)).share[2] == 0.0);  // 13:30 WIB
  CHECK(peak_state_at(s, 50, utc(2026, 12, 3, 8, 0)).share[2] == 1.0);   // 15:00 WIB
  CHECK(peak_state_at(s, 50, utc(2026, 12, 3, 6, 30)).share[1] == 1.0);  // transactional untouched
  CHECK(peak_state_at(s, 50, utc(2026, 12, 3, 6, 30)).cap == 50);        // cap untouched
  CHECK(peak_state_at(s, 50, utc(2026, 12, 5, 2, 30)).share[2] == 1.0);  // Saturday
  CHECK(describe(s.windows[0]) == "mon-fri 09:00-11:00");
}

TEST_CASE("validate: inverted, empty, overlapping windows and shares out of range") {
  auto check = [](peak_schedule const& s, std::size_t index, std::string key) {
    auto p = validate(s);
    REQUIRE(p);
    CHECK(p->index == index);
    CHECK(p->key == key);
  };
  check({{window(monday, hours(11), hours(9), {}, 1, 0)}}, 0, "end");
  check({{window(0, hours(9), hours(11), {}, 1, 0)}}, 0, "days");
  check({{window(monday, hours(9), hours(25), {}, 1, 0)}}, 0, "end");
  check({{window(monday, hours(9), hours(11), {}, 1.5, 0)}}, 0, "transactional_share");
  check({{window(monday, hours(9), hours(11), {}, 0, 0.5)}}, 0, "bulk_share");
  check({{window(mon_fri, hours(9), hours(11), {}, 1, 0), window(monday | sunday, hours(10), hours(12), {}, 1, 0)}}, 1, "start");
  CHECK_FALSE(validate({{window(mon_fri, hours(9), hours(11), {}, 1, 0), window(mon_fri, hours(11), hours(12), {}, 1, 0)}}));
  CHECK(parse_hhmm("24:00", true) == minutes(24 * 60));
  CHECK_FALSE(parse_hhmm("24:00", false));
  CHECK(parse_hhmm("07:05", false) == minutes(425));
  CHECK_FALSE(parse_hhmm("7:05", false));
}
