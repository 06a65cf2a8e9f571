// daemon/config/carrier_routing.hpp: which carrier serves a number: a prefix table (the
// built-in Indonesian one by default), longest prefix first. With number portability a prefix
// is a routing default, not the truth about which network serves a number today. Numbers are
// normalised by the queue (queue/msisdn.hpp), which needs them for its per-number limits.
// Pure: no I/O.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/system/result.hpp>

#include "queue/msisdn.hpp"

namespace smsgw {

/// One row of the carrier table: numbers starting with `prefix` route to `carrier`.
struct carrier_prefix {
  std::string prefix;   ///< "0812" (national) or "62812" (international); longer prefixes win
  std::string carrier;  ///< routing key, matches the carrier names in config ("telkomsel")
  friend bool operator==(carrier_prefix const&, carrier_prefix const&) = default;
};

/// One per-number override (a ported number): this exact number goes to `carrier`, whatever
/// its prefix says.
struct carrier_number {
  std::string number;   ///< any form normalise_msisdn accepts ("0812-1111-0001", "+62812...")
  std::string carrier;
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

  /// This table with `prefixes` added (a prefix already in it is re-pointed: e.g. Tri's
  /// 0895..0899 to "indosat") and `numbers` routed before any prefix (exact match). Errors
  /// name the row: prefixes first, then numbers at index prefixes.size() + i.
  boost::system::result<carrier_table, carrier_table_error> overridden(
      std::vector<carrier_prefix> const& prefixes, std::vector<carrier_number> const& numbers) const;

  /// The built-in table of Indonesian mobile prefixes (see default_carrier_prefixes()).
  static carrier_table const& indonesia_default();

  /// The carrier for a normalised number (normalise_msisdn's output), or unknown_prefix.
  boost::system::result<std::string_view, std::error_code> carrier_of(
      std::string_view msisdn) const;

  /// Rows in lookup order, prefixes in international form ("62812").
  std::span<carrier_prefix const> rows() const noexcept { return rows_; }
  /// Per-number overrides, numbers normalised ("62812..."), looked up before the prefixes.
  std::span<carrier_prefix const> numbers() const noexcept { return numbers_; }
  /// True if some prefix row or number override routes to `carrier`.
  bool routes_to(std::string_view carrier) const noexcept;

  friend bool operator==(carrier_table const&, carrier_table const&) = default;

 private:
  std::vector<carrier_prefix> rows_;     // international prefixes, longest first
  std::vector<carrier_prefix> numbers_;  // normalised numbers (exact match), sorted
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

}  // namespace smsgw
