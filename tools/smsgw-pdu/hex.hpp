// tools/smsgw-pdu/hex.hpp: hex text <-> bytes for the operator CLI. Parsing is lenient about
// the separators capture tools print (spaces, tabs, ':', '-', '.', a leading "0x") and strict
// about everything else: a stray character or an odd digit count is an error that names the
// character position, so an operator can find the typo in a pasted capture.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smsgw::pdu_tool {

/// Why a hex string could not be parsed; `position` is the 0-based character index.
struct hex_error {
  std::size_t position = 0;
  std::string what;
  std::string message() const;
};

/// Parses hex digits (either case) separated by optional whitespace, ':', '-' or '.';
/// "0x"/"0X" is accepted at the start and before any group.
std::optional<hex_error> parse_hex(std::string_view text, std::vector<std::uint8_t>& out);

/// Lower-case hex without separators ("0000001080000004").
std::string to_hex(std::span<std::uint8_t const> bytes);

}  // namespace smsgw::pdu_tool
