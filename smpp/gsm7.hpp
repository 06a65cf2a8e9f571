// smpp/gsm7.hpp: the GSM 03.38 (3GPP TS 23.038) default alphabet, its extension table and
// 7-bit packing. One character is one septet (basic table) or two (ESC 0x1B + extension code).
// In SMPP short_message, GSM7 is normally unpacked (one septet per octet, MSB 0); packing is a
// per-route option, and with a UDH the septets start at the next septet boundary (fill bits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace smsgw::smpp::gsm7 {

inline constexpr std::uint8_t escape = 0x1B;

/// Septets for `cp`: {code} from the basic table, {0x1B, code} from the extension table,
/// or nullopt if the character is not in GSM 03.38 (then the text needs UCS-2 or Latin-1).
struct septets {
  std::uint8_t count = 0;  ///< 1 or 2
  std::uint8_t first = 0;
  std::uint8_t second = 0;
};
std::optional<septets> to_septets(char32_t cp) noexcept;

/// Character of basic-table septet `s` (0..127; larger values give U+FFFD). ESC (0x1B) has no
/// character of its own (a placeholder U+00A0 is returned); decoders handle ESC first.
char32_t basic_char(std::uint8_t s) noexcept;

/// Character of extension code `s` (the septet after ESC), or nullopt if undefined (the spec
/// then says to display basic_char(s)).
std::optional<char32_t> extension_char(std::uint8_t s) noexcept;

/// Appends UTF-8 for a septet sequence (values above 0x7F become U+FFFD). A trailing lone ESC
/// is dropped and ESC + undefined code yields the basic character; `replaced` counts U+FFFD
/// insertions and dropped ESCs.
void septets_to_utf8(std::span<std::uint8_t const> septets, std::string& out, std::size_t& replaced);

/// Packs septets LSB-first into octets, starting `fill_bits` (0..6) into the first octet
/// (used after a UDH so the text starts on a septet boundary). Returns the packed octets.
std::vector<std::uint8_t> pack(std::span<std::uint8_t const> septets, unsigned fill_bits = 0);

/// Inverse of pack(): `count` septets from `octets`, skipping `fill_bits` first. If the octets
/// hold fewer bits than asked for, returns as many whole septets as fit.
std::vector<std::uint8_t> unpack(std::span<std::uint8_t const> octets, std::size_t count, unsigned fill_bits = 0);

/// Septets that fit in `octets` octets of packed data after `fill_bits`: (8*octets - fill)/7.
/// When exactly 7 spare bits remain, the last "septet" is padding: TS 23.038 §6.1.2.3.1 says to
/// fill it with CR (0x0D) so it is not read as '@'; text.cpp writes and strips that CR.
std::size_t packed_capacity(std::size_t octets, unsigned fill_bits = 0) noexcept;

}  // namespace smsgw::smpp::gsm7
