// queue/msisdn.hpp: Indonesian mobile numbers (MSISDN): normalisation of what people type
// (0812-…, +62 812…, 62812…, 0062812…) to one international form "62812…" (digits, no '+'),
// and validation (mobile numbers only, 9-12 digits after the country code 62). Pure functions,
// no I/O. Which carrier serves a number is the daemon's decision, not the queue's
// (daemon/config/carrier_routing.hpp); unknown_prefix is the error it reports with.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/system/result.hpp>

namespace smsgw::queue {

/// Why a phone number was refused. Every value names one reason a caller can show or log.
enum class msisdn_errc {
  empty = 1,          ///< nothing but separators (or nothing at all)
  invalid_character,  ///< a letter or symbol other than digits, space, tab, - . ( ) or one leading '+'
  not_indonesian,     ///< a country code other than 62 (+1…, 0065…)
  not_mobile,         ///< Indonesian but not mobile: a landline (021…, +62 22…), a short code (175), …
  too_short,          ///< mobile (8 after 62) but fewer than 9 digits after 62
  too_long,           ///< more than 12 digits after 62 (or an absurdly long input)
  unknown_prefix,     ///< a well-formed mobile number whose prefix no carrier owns: unroutable
};

std::error_category const& msisdn_category() noexcept;
std::error_code make_error_code(msisdn_errc e) noexcept;

/// Digits after "62" in an accepted number: 9..12. Indonesian mobile numbers are 10-13 digits
/// written nationally (0812-345-678 … 0812-3456-78901), i.e. 9-12 after the trunk 0.
inline constexpr std::size_t min_subscriber_digits = 9;
inline constexpr std::size_t max_subscriber_digits = 12;

/// Normalises a typed Indonesian mobile number to "628…" (11-14 digits, no '+').
/// Accepted forms, with spaces, tabs, '-', '.', '(' and ')' ignored anywhere:
///   08xx…  (national)      +628xx…  628xx…  00628xx… (international from Indonesia)
///   8xx…   (national without trunk 0, as typed into a form with a fixed "+62" in front)
///   +62 (0) 8xx… / 6208xx… (a stray trunk 0 after the country code is dropped)
/// Anything else is an error naming the reason (see msisdn_errc). Never throws on any input.
boost::system::result<std::string, std::error_code> normalise_msisdn(std::string_view input);

/// True if `msisdn` has the exact shape normalise_msisdn() produces ("628", 11-14 digits).
bool is_normalised_msisdn(std::string_view msisdn) noexcept;

}  // namespace smsgw::queue

template <>
struct std::is_error_code_enum<smsgw::queue::msisdn_errc> : std::true_type {};
