// smpp/validity.hpp: SMPP time strings for schedule_delivery_time / validity_period
// (docs/smpp.md §Time format): absolute `YYMMDDhhmmsstnnp` (nn = UTC offset in quarter hours,
// p = +/-), relative `YYMMDDhhmmss000R`, and the short `YYMMDDhhmmss` form SMSCs report.
// Pure: "now" is always passed in. Years are 2000 + YY. Errors are content_errc::invalid_time /
// time_out_of_range; to_command_status() turns them into ESME_RINVEXPIRY / ESME_RINVSCHED.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "smpp/content_errc.hpp"

namespace smsgw::smpp {

/// Fields of a relative time, as written (each 00..99).
struct relative_time {
  std::uint8_t years = 0, months = 0, days = 0, hours = 0, minutes = 0, seconds = 0;
  friend bool operator==(relative_time const&, relative_time const&) = default;
};

struct smpp_time {
  enum class form : std::uint8_t { absolute, relative, short_absolute };
  form kind = form::absolute;
  /// absolute / short_absolute: the instant in UTC (tenths of a second included). For the short
  /// form the zone is unknown and the fields are taken as UTC.
  std::chrono::sys_time<std::chrono::milliseconds> utc{};
  int offset_quarters = 0;  ///< absolute: local = UTC + 15 min * offset_quarters (-48..48)
  relative_time relative;   ///< relative only
  friend bool operator==(smpp_time const&, smpp_time const&) = default;
};

/// `000000000500000R` for 5 minutes. The duration is split into days (<= 99), hours, minutes,
/// seconds; sub-second parts are dropped. Fails with time_out_of_range for <= 0 s or >= 100 days.
content_result<std::string> encode_relative_time(std::chrono::seconds d);

/// Absolute form of `utc` in the zone UTC + 15 min * offset_quarters, e.g. Indonesia WIB
/// (+7 h) is 28: `…0028+`. Tenths come from the milliseconds. time_out_of_range if the local
/// year is outside 2000..2099 or |offset_quarters| > 48.
content_result<std::string> encode_absolute_time(std::chrono::sys_time<std::chrono::milliseconds> utc,
                                                 int offset_quarters);

/// Parses the 16-character absolute or relative form, or the 12-digit short form. invalid_time
/// for a bad length, non-digits, bad p, out-of-range fields (month 13, Feb 30, hour 24, nn > 48)
/// or a relative time whose t/nn are not 0/00. An empty string (SMSC default) is invalid_time
/// here: callers check for empty first.
content_result<smpp_time> parse_smpp_time(std::string_view s);

/// The UTC instant `t` denotes when received at `now`: absolute times as is; relative ones add
/// years and months on the calendar (day clamped to the month's end), then days..seconds.
std::chrono::sys_time<std::chrono::milliseconds> resolve_smpp_time(smpp_time const& t,
                                                                  std::chrono::sys_seconds now);

}  // namespace smsgw::smpp
