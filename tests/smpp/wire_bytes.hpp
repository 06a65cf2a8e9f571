// tests/smpp/wire_bytes.hpp: tiny helpers to write golden PDUs by hand in tests, field by
// field: cat() joins pieces, cstr() is a C-octet string with its NUL. They deliberately do
// not use the codec, so a golden vector checks the codec against the spec, not itself.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace smsgw::smpp::test {

using bytes = std::vector<std::uint8_t>;

inline bytes cat(std::initializer_list<bytes> pieces) {
  bytes out;
  for (auto const& p : pieces) out.insert(out.end(), p.begin(), p.end());
  return out;
}

/// The characters of `s` followed by 0x00.
inline bytes cstr(std::string_view s) {
  bytes out(s.begin(), s.end());
  out.push_back(0);
  return out;
}

/// The characters of `s`, no NUL (octet strings, or deliberately unterminated C-strings).
inline bytes raw(std::string_view s) { return bytes(s.begin(), s.end()); }

/// Prefixes `rest` (command_id onwards) with a big-endian command_length equal to the total
/// size: only for building malformed inputs where hand-counting adds nothing.
inline bytes with_length(bytes const& rest) {
  auto const n = static_cast<std::uint32_t>(rest.size() + 4);
  bytes out{static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
            static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

inline std::string hex(bytes const& b) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (auto v : b) {
    s += digits[v >> 4];
    s += digits[v & 15];
  }
  return s;
}

}  // namespace smsgw::smpp::test
