// smpp/validity.cpp: SMPP time format encode/parse/resolve with std::chrono calendar types.
#include "smpp/validity.hpp"

#include <cstdio>
#include <optional>

namespace smsgw::smpp {
namespace {

using namespace std::chrono;
using ms_time = sys_time<milliseconds>;

bool digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}
unsigned two(std::string_view s, std::size_t at) {
  return static_cast<unsigned>((s[at] - '0') * 10 + (s[at + 1] - '0'));
}

std::error_code err(content_errc e) { return make_error_code(e); }

// YYMMDDhhmmss (+ tenths) as a UTC-less local instant, or nullopt if a field is out of range.
std::optional<ms_time> local_fields(std::string_view s, unsigned tenths) {
  year_month_day const ymd{year{2000 + static_cast<int>(two(s, 0))}, month{two(s, 2)}, day{two(s, 4)}};
  unsigned const h = two(s, 6), m = two(s, 8), sec = two(s, 10);
  if (!ymd.ok() || h > 23 || m > 59 || sec > 59) return std::nullopt;
  return ms_time{sys_days{ymd}} + hours{h} + minutes{m} + seconds{sec} + milliseconds{100 * tenths};
}

}  // namespace

content_result<std::string> encode_relative_time(seconds d) {
  if (d <= seconds::zero() || d >= days{100}) return err(content_errc::time_out_of_range);
  auto const dd = duration_cast<days>(d);
  hh_mm_ss const hms{d - dd};
  char buf[20];
  std::snprintf(buf, sizeof buf, "0000%02d%02d%02d%02d000R", static_cast<int>(dd.count()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return std::string(buf);
}

content_result<std::string> encode_absolute_time(ms_time utc, int offset_quarters) {
  if (offset_quarters < -48 || offset_quarters > 48) return err(content_errc::time_out_of_range);
  ms_time const local = utc + minutes{15 * offset_quarters};
  auto const day = floor<days>(local);
  year_month_day const ymd{day};
  int const y = static_cast<int>(ymd.year());
  if (y < 2000 || y > 2099) return err(content_errc::time_out_of_range);
  hh_mm_ss const hms{local - day};
  char buf[20];
  std::snprintf(buf, sizeof buf, "%02d%02u%02u%02d%02d%02d%01d%02d%c", y % 100, static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                static_cast<int>(hms.subseconds().count() / 100), offset_quarters < 0 ? -offset_quarters : offset_quarters,
                offset_quarters < 0 ? '-' : '+');
  return std::string(buf);
}

content_result<smpp_time> parse_smpp_time(std::string_view s) {
  smpp_time t;
  if (s.size() == 12) {
    if (!digits(s)) return err(content_errc::invalid_time);
    auto const local = local_fields(s, 0);
    if (!local) return err(content_errc::invalid_time);
    t.kind = smpp_time::form::short_absolute;
    t.utc = *local;
    return t;
  }
  if (s.size() != 16 || !digits(s.substr(0, 15))) return err(content_errc::invalid_time);
  unsigned const tenths = static_cast<unsigned>(s[12] - '0'), nn = two(s, 13);
  char const p = s[15];
  if (p == 'R') {
    if (tenths != 0 || nn != 0) return err(content_errc::invalid_time);
    t.kind = smpp_time::form::relative;
    auto f = [&](std::size_t at) { return static_cast<std::uint8_t>(two(s, at)); };
    t.relative = {f(0), f(2), f(4), f(6), f(8), f(10)};
    return t;
  }
  if ((p != '+' && p != '-') || nn > 48) return err(content_errc::invalid_time);
  auto const local = local_fields(s, tenths);
  if (!local) return err(content_errc::invalid_time);
  t.offset_quarters = p == '+' ? static_cast<int>(nn) : -static_cast<int>(nn);
  t.utc = *local - minutes{15 * t.offset_quarters};
  return t;
}

ms_time resolve_smpp_time(smpp_time const& t, sys_seconds now) {
  if (t.kind != smpp_time::form::relative) return t.utc;
  auto const day = floor<days>(now);
  year_month_day ymd{day};
  ymd += years{t.relative.years};
  ymd += months{t.relative.months};
  if (!ymd.ok()) ymd = year_month_day_last{ymd.year(), month_day_last{ymd.month()}};
  auto const& r = t.relative;
  return ms_time{sys_days{ymd} + (now - day)} + days{r.days} + hours{r.hours} + minutes{r.minutes} +
         seconds{r.seconds};
}

}  // namespace smsgw::smpp
