// queue/msisdn.hpp: Indonesian mobile numbers (MSISDN): normalisation of what people type
// (0812-…, +62 812…, 62812…, 0062812…) to one international form "62812…" (digits, no '+'),
// validation (mobile numbers only, 9-12 digits after the country code 62), and the carrier
// found from the number's prefix. Pure functions, no I/O. The prefix table is data passed in
// (the default is built in; carrier_table::make() builds another, but no config key does so
// yet: the daemon always uses the built-in one): with number portability a prefix is a
// routing default, not the truth about which network serves a number today.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

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

/// One row of the carrier table: numbers starting with `prefix` route to `carrier`.
struct carrier_prefix {
  std::string prefix;   ///< "0812" (national) or "62812" (international); longer prefixes win
  std::string carrier;  ///< routing key, matches the carrier names in config ("telkomsel")
};

/// Why a carrier table could not be built from config rows.
struct carrier_table_error {
  std::size_t index = 0;  ///< the offending row
  std::string what;       ///< e.g. "prefix \"0712\" is not a mobile prefix (08… or 628…)"
  std::string message() const;
};

/// Prefix -> carrier, longest prefix first. Built from rows, validated once; lookups are pure.
class carrier_table {
 public:
  /// Validates every row: the prefix must be digits in national (08…) or international (628…)
  /// form, at most as long as a number; carrier names non-empty; no prefix twice.
  static boost::system::result<carrier_table, carrier_table_error> make(
      std::vector<carrier_prefix> const& rows);

  /// The built-in table of Indonesian mobile prefixes (see default_carrier_prefixes()).
  static carrier_table const& indonesia_default();

  /// The carrier for a normalised number (normalise_msisdn's output), or unknown_prefix.
  boost::system::result<std::string_view, std::error_code> carrier_of(
      std::string_view msisdn) const;

  /// Rows in lookup order, prefixes in international form ("62812").
  std::span<carrier_prefix const> rows() const noexcept { return rows_; }

 private:
  std::vector<carrier_prefix> rows_;  // international prefixes, longest first
};

/// The default rows, national form, as of 2025 (see the comments in msisdn.cpp and
/// docs/limits.md for the uncertain ones).
std::vector<carrier_prefix> default_carrier_prefixes();

/// A number, normalised, with the carrier its prefix routes to.
struct routed_msisdn {
  std::string msisdn;   ///< "628123456789"
  std::string carrier;  ///< "telkomsel"
};

/// normalise_msisdn() then carrier_table::carrier_of(): the whole check an API request needs.
boost::system::result<routed_msisdn, std::error_code> parse_msisdn(
    std::string_view input, carrier_table const& table = carrier_table::indonesia_default());

/// Lets result<carrier_table, carrier_table_error>::value() throw (std::invalid_argument).
[[noreturn]] void throw_exception_from_error(carrier_table_error const& e,
                                             boost::source_location const& loc);

}  // namespace smsgw::queue

template <>
struct std::is_error_code_enum<smsgw::queue::msisdn_errc> : std::true_type {};
