// tools/smsgw-pdu/json_fields.hpp: reading and writing single JSON values for PDU fields,
// each failure reported as a json_error naming the field's path. Integers are accepted as
// JSON numbers or as strings ("0x40", "64"); octet strings are hex; C-octet strings are JSON
// strings, or {"hex": ...} when the wire bytes are not valid UTF-8 (printed that way too).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "tools/smsgw-pdu/pdu_json.hpp"

namespace smsgw::pdu_tool::detail {

using maybe_error = std::optional<json_error>;

/// "0x0000002a"-style fixed-width hex.
std::string hex_number(std::uint64_t v, int digits);

bool is_valid_utf8(std::string_view s) noexcept;

/// A C-octet string as JSON: a string if valid UTF-8, else {"hex": "..."}.
boost::json::value c_string_to_json(std::string const& s);

maybe_error read_uint(boost::json::value const& v, std::string const& path, std::uint64_t max,
                      std::uint64_t& out);
maybe_error read_c_string(boost::json::value const& v, std::string const& path, std::string& out);
maybe_error read_hex(boost::json::value const& v, std::string const& path,
                     std::vector<std::uint8_t>& out);

template <class UInt>
maybe_error read_field(boost::json::value const& v, std::string const& path, UInt& out) {
  std::uint64_t x = 0;
  if (auto e = read_uint(v, path, static_cast<UInt>(~UInt{0}), x)) return e;
  out = static_cast<UInt>(x);
  return std::nullopt;
}
inline maybe_error read_field(boost::json::value const& v, std::string const& path, std::string& out) {
  return read_c_string(v, path, out);
}
inline maybe_error read_field(boost::json::value const& v, std::string const& path,
                              std::vector<std::uint8_t>& out) {
  return read_hex(v, path, out);
}

}  // namespace smsgw::pdu_tool::detail
