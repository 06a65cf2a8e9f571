// smpp/gsm7.cpp: GSM 03.38 tables (by code point, from 3GPP TS 23.038 §6.2.1) and packing.
#include "smpp/gsm7.hpp"

#include <array>

#include "smpp/unicode.hpp"

namespace smsgw::smpp::gsm7 {
namespace {

// Basic table, indexed by septet. 0x1B (ESC) is listed as U+00A0 (NBSP) only as a
// placeholder: it never maps back, because to_septets() never yields a bare ESC.
constexpr std::array<char16_t, 128> basic_table = {
    0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,  // 0x00 @ £ $ ¥ è é ù ì
    0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,  // 0x08 ò Ç LF Ø ø CR Å å
    0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,  // 0x10 Δ _ Φ Γ Λ Ω Π Ψ
    0x03A3, 0x0398, 0x039E, 0x00A0, 0x00C6, 0x00E6, 0x00DF, 0x00C9,  // 0x18 Σ Θ Ξ ESC Æ æ ß É
    0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027,  // 0x20 SP ! " # ¤ % & '
    0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,  // 0x28 ( ) * + , - . /
    0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,  // 0x30 0-7
    0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,  // 0x38 8 9 : ; < = > ?
    0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,  // 0x40 ¡ A-G
    0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,  // 0x48 H-O
    0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,  // 0x50 P-W
    0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,  // 0x58 X Y Z Ä Ö Ñ Ü §
    0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,  // 0x60 ¿ a-g
    0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,  // 0x68 h-o
    0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,  // 0x70 p-w
    0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,  // 0x78 x y z ä ö ñ ü à
};

struct ext_entry {
  std::uint8_t code;
  char16_t cp;
};
// Extension table (after ESC). 0x0D (CR2) and 0x1B (SS2) have no Unicode character.
constexpr std::array<ext_entry, 10> ext_table = {{
    {0x0A, 0x000C},  // form feed (page break)
    {0x14, 0x005E},  // ^
    {0x28, 0x007B},  // {
    {0x29, 0x007D},  // }
    {0x2F, 0x005C},  // backslash
    {0x3C, 0x005B},  // [
    {0x3D, 0x007E},  // ~
    {0x3E, 0x005D},  // ]
    {0x40, 0x007C},  // |
    {0x65, 0x20AC},  // €
}};

// Reverse lookup for code points below U+0400 (all GSM characters but €): 0 = not GSM,
// 0x100 | s = basic septet s, 0x200 | c = ESC + extension code c. Built once from the tables.
std::array<std::uint16_t, 0x400> const& reverse_table() noexcept {
  static auto const table = [] {
    std::array<std::uint16_t, 0x400> t{};
    for (std::size_t s = 0; s < basic_table.size(); ++s)
      if (s != escape) t[basic_table[s]] = static_cast<std::uint16_t>(0x100 | s);
    for (auto const& e : ext_table)
      if (e.cp < t.size()) t[e.cp] = static_cast<std::uint16_t>(0x200 | e.code);
    return t;
  }();
  return table;
}

}  // namespace

std::optional<septets> to_septets(char32_t cp) noexcept {
  if (cp >= 0x400) {  // only € (extension 0x65) lives up here
    for (auto const& e : ext_table)
      if (e.cp == cp) return septets{2, escape, e.code};
    return std::nullopt;
  }
  std::uint16_t const v = reverse_table()[cp];
  if (v & 0x100) return septets{1, static_cast<std::uint8_t>(v & 0x7F), 0};
  if (v & 0x200) return septets{2, escape, static_cast<std::uint8_t>(v & 0x7F)};
  return std::nullopt;
}

char32_t basic_char(std::uint8_t s) noexcept {
  return s < basic_table.size() ? basic_table[s] : unicode::replacement_char;
}

std::optional<char32_t> extension_char(std::uint8_t s) noexcept {
  for (auto const& e : ext_table) {
    if (e.code == s) return e.cp;
  }
  return std::nullopt;
}

void septets_to_utf8(std::span<std::uint8_t const> in, std::string& out, std::size_t& replaced) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    std::uint8_t const s = in[i];
    if (s > 0x7F) {
      unicode::append_utf8(out, unicode::replacement_char);
      ++replaced;
    } else if (s != escape) {
      unicode::append_utf8(out, basic_char(s));
    } else if (i + 1 == in.size()) {
      ++replaced;  // trailing lone ESC (a split escape): dropped
    } else {
      std::uint8_t const code = in[++i];
      if (code > 0x7F) {
        unicode::append_utf8(out, unicode::replacement_char);
        ++replaced;
      } else if (code == escape) {
        unicode::append_utf8(out, U' ');  // ESC ESC: reserved extension, displayed as space
      } else {
        unicode::append_utf8(out, extension_char(code).value_or(basic_char(code)));
      }
    }
  }
}

std::vector<std::uint8_t> pack(std::span<std::uint8_t const> in, unsigned fill_bits) {
  std::size_t const bits = fill_bits + 7 * in.size();
  std::vector<std::uint8_t> out((bits + 7) / 8, 0);
  std::size_t pos = fill_bits;
  for (std::uint8_t s : in) {
    unsigned const v = s & 0x7Fu;
    std::size_t const byte = pos / 8;
    unsigned const shift = static_cast<unsigned>(pos % 8);
    out[byte] = static_cast<std::uint8_t>(out[byte] | ((v << shift) & 0xFFu));
    if (shift > 1) out[byte + 1] = static_cast<std::uint8_t>(out[byte + 1] | (v >> (8 - shift)));
    pos += 7;
  }
  return out;
}

std::vector<std::uint8_t> unpack(std::span<std::uint8_t const> in, std::size_t count, unsigned fill_bits) {
  std::vector<std::uint8_t> out;
  std::size_t const avail = packed_capacity(in.size(), fill_bits);
  if (count > avail) count = avail;
  out.reserve(count);
  std::size_t pos = fill_bits;
  for (std::size_t i = 0; i < count; ++i, pos += 7) {
    std::size_t const byte = pos / 8;
    unsigned const shift = static_cast<unsigned>(pos % 8);
    unsigned v = static_cast<unsigned>(in[byte]) >> shift;
    if (shift > 1) v |= static_cast<unsigned>(in[byte + 1]) << (8 - shift);
    out.push_back(static_cast<std::uint8_t>(v & 0x7Fu));
  }
  return out;
}

std::size_t packed_capacity(std::size_t octets, unsigned fill_bits) noexcept {
  std::size_t const bits = 8 * octets;
  return bits > fill_bits ? (bits - fill_bits) / 7 : 0;
}

}  // namespace smsgw::smpp::gsm7
