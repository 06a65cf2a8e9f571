// smpp/message_id.hpp: normalises SMSC message ids so the id from submit_sm_resp and the id in
// the delivery receipt give the same lookup key, whatever form each side used (hex vs decimal,
// case, leading zeros). Numeric ids become lower-case hex of their unsigned value with no
// leading zeros, converted with arbitrary precision (no 64-bit trap: 812FC7470000001B =
// 9308878062554710043). Anything else stays an exact string. Rule: docs/receipts.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace smsgw::smpp {

/// Per-route id representation (Jasmin dlr_msgid 0/1/2; Kannel msg-id-type).
enum class message_id_format : std::uint8_t {
  same,              ///< both sides use one representation (Kannel unset/0/3, Jasmin 0)
  resp_hex_dlr_dec,  ///< submit_sm_resp hex, receipt decimal (Kannel 1, Jasmin 1)
  resp_dec_dlr_hex,  ///< submit_sm_resp decimal, receipt hex (Kannel 2, Jasmin 2)
};

/// Where an id was read.
enum class message_id_side : std::uint8_t { submit_sm_resp, receipt };

/// The lookup key of `raw` (surrounding whitespace ignored):
///  - a side declared decimal with only digits: hex of the value (big-number conversion);
///  - a side declared hex, or `same`, with only hex digits: lower-cased, leading zeros stripped
///    ("0" for all zeros) — under `same` a decimal string is thus read as if hex on both sides,
///    which is consistent because both sides use it;
///  - hex digits and '-' only (UUIDs): lower-cased;
///  - anything else (or a side whose id does not fit its declared form): the exact string.
/// Keys of the last two kinds contain a non-hex character, so they never equal a numeric key.
std::string message_id_key(std::string_view raw, message_id_side side, message_id_format format);

/// Formats under which `resp_id` (from submit_sm_resp) and `dlr_id` (from a receipt known to
/// belong to it, e.g. a route test message) give equal keys; empty if none. A tool for picking
/// the route setting, not a lookup rule: see docs/receipts.md for why "auto" lookup is unsound.
std::vector<message_id_format> infer_message_id_format(std::string_view resp_id, std::string_view dlr_id);

/// Lower-case hex (no leading zeros) of a decimal digit string of any length, or "" if `dec`
/// is empty or has a non-digit.
std::string decimal_to_hex(std::string_view dec);

/// Decimal string of a hex digit string of any length, or "" if `hex` is empty or not hex.
std::string hex_to_decimal(std::string_view hex);

}  // namespace smsgw::smpp
