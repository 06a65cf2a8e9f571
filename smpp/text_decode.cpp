// smpp/text_decode.cpp: decode_text() and the data_coding -> alphabet table. Decoding is
// tolerant (bad units become U+FFFD and are counted) because a received message must be shown
// and acknowledged, not dropped; only binary data and a UDH longer than the data are errors.
#include <algorithm>

#include "smpp/gsm7.hpp"
#include "smpp/text.hpp"
#include "smpp/unicode.hpp"

namespace smsgw::smpp {
namespace {

using bytes_view = std::span<std::uint8_t const>;

// GSM 03.38 §4 coding groups 00xx and 01xx: bit 5 = compressed, bits 3..2 = alphabet.
std::optional<text_encoding> general_group(std::uint8_t dc) {
  if (dc & 0x20) return std::nullopt;
  switch ((dc >> 2) & 0x03) {
    case 0: return text_encoding::gsm7;
    case 2: return text_encoding::ucs2;
    default: return std::nullopt;
  }
}

void decode_gsm7(bytes_view body, std::size_t udh_octets, bool packed, decoded_text& out) {
  if (!packed) {
    gsm7::septets_to_utf8(body, out.text, out.replaced);
    return;
  }
  auto const fill = static_cast<unsigned>((7 - (udh_octets * 8) % 7) % 7);
  auto septets = gsm7::unpack(body, gsm7::packed_capacity(body.size(), fill), fill);
  // A CR sitting exactly in the last 7 bits is padding (TS 23.038 §6.1.2.3.1; a real CR there
  // was doubled by the sender). A 0x00 there is kept: it may be a real '@', and encoders that
  // zero-fill are indistinguishable from it.
  if (!septets.empty() && (fill + 7 * (septets.size() - 1)) % 8 == 1 && septets.back() == 0x0D)
    septets.pop_back();
  // The sender doubles a real final CR that would end on an octet boundary; CR CR there reads
  // back as one CR (the spec defines them as equivalent), so our own output round-trips.
  else if (septets.size() >= 2 && (fill + 7 * (septets.size() - 1)) % 8 == 0 && septets.back() == 0x0D &&
           septets[septets.size() - 2] == 0x0D)
    septets.pop_back();
  gsm7::septets_to_utf8(septets, out.text, out.replaced);
}

void decode_bytes(bytes_view body, char32_t max, decoded_text& out) {
  for (std::uint8_t b : body) {
    if (b > max) ++out.replaced;
    unicode::append_utf8(out.text, b > max ? unicode::replacement_char : char32_t{b});
  }
}

void decode_ucs2(bytes_view body, decoded_text& out) {
  std::size_t const n = body.size() / 2;
  auto unit = [&](std::size_t i) { return static_cast<char32_t>((body[2 * i] << 8) | body[2 * i + 1]); };
  for (std::size_t i = 0; i < n; ++i) {
    char32_t const u = unit(i);
    if (u >= 0xD800 && u <= 0xDBFF && i + 1 < n && unit(i + 1) >= 0xDC00 && unit(i + 1) <= 0xDFFF) {
      unicode::append_utf8(out.text, 0x10000 + ((u - 0xD800) << 10) + (unit(i + 1) - 0xDC00));
      ++i;
    } else if (u >= 0xD800 && u <= 0xDFFF) {
      unicode::append_utf8(out.text, unicode::replacement_char);  // lone surrogate
      ++out.replaced;
    } else {
      unicode::append_utf8(out.text, u);
    }
  }
  if (body.size() % 2 != 0) {  // odd trailing octet: half a unit
    unicode::append_utf8(out.text, unicode::replacement_char);
    ++out.replaced;
  }
}

}  // namespace

std::optional<text_encoding> encoding_of(std::uint8_t dc, decode_options const& o) noexcept {
  switch (dc) {
    case 0x00: return o.data_coding_0;
    case 0x01: return text_encoding::ascii;
    case 0x03: return text_encoding::latin1;
    case 0x08: return text_encoding::ucs2;
    default: break;
  }
  if (dc <= 0x0F) return std::nullopt;                         // binary (2, 4) and other alphabets
  if (dc <= 0x7F) return general_group(dc);                    // general / auto-deletion groups
  if (dc >= 0xC0 && dc <= 0xDF) return text_encoding::gsm7;    // message waiting, GSM7
  if (dc >= 0xE0 && dc <= 0xEF) return text_encoding::ucs2;    // message waiting, UCS-2
  if (dc >= 0xF0) return (dc & 0x04) ? std::nullopt : std::optional(text_encoding::gsm7);
  return std::nullopt;                                         // 0x80..0xBF reserved
}

std::optional<concat_info> parse_concat_udh(bytes_view udh) noexcept {
  if (udh.empty() || std::size_t{udh[0]} + 1 > udh.size()) return std::nullopt;
  std::size_t i = 1, end = std::size_t{udh[0]} + 1;
  while (i + 2 <= end) {
    std::uint8_t const iei = udh[i], len = udh[i + 1];
    if (i + 2 + len > end) return std::nullopt;
    auto const* v = &udh[i + 2];
    if (iei == 0x00 && len == 3) return concat_info{v[0], v[1], v[2], false};
    if (iei == 0x08 && len == 4)
      return concat_info{static_cast<std::uint16_t>((v[0] << 8) | v[1]), v[2], v[3], true};
    i += 2 + std::size_t{len};
  }
  return std::nullopt;
}

content_result<decoded_text> decode_text(bytes_view bytes, std::uint8_t data_coding, bool udhi,
                                         decode_options const& o) {
  auto const enc = encoding_of(data_coding, o);
  if (!enc) return make_error_code(content_errc::unsupported_data_coding);
  decoded_text out;
  out.encoding = *enc;
  bytes_view body = bytes;
  if (udhi) {
    if (bytes.empty() || std::size_t{bytes[0]} + 1 > bytes.size()) return make_error_code(content_errc::bad_udh);
    auto const udh = bytes.first(std::size_t{bytes[0]} + 1);
    out.udh.assign(udh.begin(), udh.end());
    out.concat = parse_concat_udh(udh);
    body = bytes.subspan(udh.size());
  }
  switch (*enc) {
    case text_encoding::gsm7: decode_gsm7(body, out.udh.size(), o.gsm7_packed, out); break;
    case text_encoding::ascii: decode_bytes(body, 0x7F, out); break;
    case text_encoding::latin1: decode_bytes(body, 0xFF, out); break;
    case text_encoding::ucs2: decode_ucs2(body, out); break;
  }
  return out;
}

}  // namespace smsgw::smpp
