// tools/smsgw-pdu/hex.cpp: see hex.hpp. A "0x" prefix is recognised only at the start of a
// group (start of text or after a separator), so "0x10" is one octet and "100x" is an error.
#include "tools/smsgw-pdu/hex.hpp"

namespace smsgw::pdu_tool {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_separator(char c) noexcept {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ':' || c == '-' || c == '.';
}

}  // namespace

std::string hex_error::message() const {
  return "bad hex at character " + std::to_string(position) + ": " + what;
}

std::optional<hex_error> parse_hex(std::string_view text, std::vector<std::uint8_t>& out) {
  int high = -1;  // pending high nibble, -1 when none
  std::size_t high_pos = 0;
  bool group_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char const c = text[i];
    if (is_separator(c)) {
      if (high >= 0) return hex_error{high_pos, "separator splits an octet (odd digits in a group)"};
      group_start = true;
      continue;
    }
    if (group_start && high < 0 && c == '0' && i + 1 < text.size() &&
        (text[i + 1] == 'x' || text[i + 1] == 'X')) {
      ++i;
      group_start = false;
      continue;
    }
    group_start = false;
    int const v = hex_value(c);
    if (v < 0) {
      std::string shown = (c >= 0x20 && c < 0x7F) ? std::string("'") + c + "'"
                                                   : "byte " + std::to_string(static_cast<unsigned char>(c));
      return hex_error{i, shown + " is not a hex digit"};
    }
    if (high < 0) {
      high = v;
      high_pos = i;
    } else {
      out.push_back(static_cast<std::uint8_t>((high << 4) | v));
      high = -1;
    }
  }
  if (high >= 0) return hex_error{high_pos, "odd number of hex digits (a nibble is left over)"};
  return std::nullopt;
}

std::string to_hex(std::span<std::uint8_t const> bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 0x0F]);
  }
  return s;
}

}  // namespace smsgw::pdu_tool
