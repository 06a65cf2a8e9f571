// smpp/unicode.cpp: strict UTF-8 decoder (table-free, RFC 3629 ranges) and encoders.
#include "smpp/unicode.hpp"

namespace smsgw::smpp::unicode {
namespace {

bool is_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

// Length of the sequence starting with `lead` and the valid range of its second byte
// (this is where overlongs, surrogates and > U+10FFFF are excluded, per RFC 3629 table).
struct lead_info {
  int len;
  unsigned char lo, hi;
  char32_t bits;
};

std::optional<lead_info> classify(unsigned char c) {
  if (c < 0x80) return lead_info{1, 0, 0, c};
  if (c >= 0xC2 && c <= 0xDF) return lead_info{2, 0x80, 0xBF, char32_t(c & 0x1F)};
  if (c == 0xE0) return lead_info{3, 0xA0, 0xBF, char32_t(c & 0x0F)};
  if (c >= 0xE1 && c <= 0xEC) return lead_info{3, 0x80, 0xBF, char32_t(c & 0x0F)};
  if (c == 0xED) return lead_info{3, 0x80, 0x9F, char32_t(c & 0x0F)};
  if (c >= 0xEE && c <= 0xEF) return lead_info{3, 0x80, 0xBF, char32_t(c & 0x0F)};
  if (c == 0xF0) return lead_info{4, 0x90, 0xBF, char32_t(c & 0x07)};
  if (c >= 0xF1 && c <= 0xF3) return lead_info{4, 0x80, 0xBF, char32_t(c & 0x07)};
  if (c == 0xF4) return lead_info{4, 0x80, 0x8F, char32_t(c & 0x07)};
  return std::nullopt;
}

}  // namespace

std::optional<std::u32string> decode_utf8(std::string_view utf8, std::size_t* bad_offset) {
  std::u32string out;
  out.reserve(utf8.size());
  std::size_t i = 0;
  while (i < utf8.size()) {
    auto const lead = classify(static_cast<unsigned char>(utf8[i]));
    bool ok = lead && i + static_cast<std::size_t>(lead->len) <= utf8.size();
    char32_t cp = ok ? lead->bits : 0;
    for (int k = 1; ok && k < lead->len; ++k) {
      auto const c = static_cast<unsigned char>(utf8[i + static_cast<std::size_t>(k)]);
      ok = is_cont(c) && (k != 1 || (c >= lead->lo && c <= lead->hi));
      cp = (cp << 6) | (c & 0x3Fu);
    }
    if (!ok) {
      if (bad_offset) *bad_offset = i;
      return std::nullopt;
    }
    out.push_back(cp);
    i += static_cast<std::size_t>(lead->len);
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = replacement_char;
  auto put = [&out](char32_t v) { out.push_back(static_cast<char>(static_cast<unsigned char>(v))); };
  if (cp < 0x80) {
    put(cp);
  } else if (cp < 0x800) {
    put(0xC0 | (cp >> 6));
    put(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    put(0xE0 | (cp >> 12));
    put(0x80 | ((cp >> 6) & 0x3F));
    put(0x80 | (cp & 0x3F));
  } else {
    put(0xF0 | (cp >> 18));
    put(0x80 | ((cp >> 12) & 0x3F));
    put(0x80 | ((cp >> 6) & 0x3F));
    put(0x80 | (cp & 0x3F));
  }
}

void append_utf16(std::vector<char16_t>& out, char32_t cp) {
  if (cp < 0x10000) {
    out.push_back(static_cast<char16_t>(cp));
    return;
  }
  char32_t const v = cp - 0x10000;
  out.push_back(static_cast<char16_t>(0xD800 + (v >> 10)));
  out.push_back(static_cast<char16_t>(0xDC00 + (v & 0x3FF)));
}

}  // namespace smsgw::smpp::unicode
