// smpp/text.cpp: encoding choice, segmentation and UDH construction for encode_text(), and
// decode_text(). The text is first turned into a flat stream of units (septets, octets or
// UTF-16 code units) plus the unit count of each character, so segmentation is one greedy loop
// that never cuts a character (ESC pair, surrogate pair) whatever the encoding.
#include "smpp/text.hpp"

#include <algorithm>

#include "smpp/gsm7.hpp"
#include "smpp/unicode.hpp"

namespace smsgw::smpp {
namespace {

constexpr std::size_t max_payload_octets = 65535;

struct unit_stream {
  std::vector<std::uint16_t> units;  // septet, octet or UTF-16 unit
  std::vector<std::uint8_t> widths;  // units per character, in character order
};

std::optional<unit_stream> to_units(std::u32string const& cps, text_encoding enc) {
  unit_stream s;
  s.units.reserve(cps.size());
  s.widths.reserve(cps.size());
  for (char32_t cp : cps) {
    switch (enc) {
      case text_encoding::gsm7: {
        auto const sep = gsm7::to_septets(cp);
        if (!sep) return std::nullopt;
        s.units.push_back(sep->first);
        if (sep->count == 2) s.units.push_back(sep->second);
        s.widths.push_back(sep->count);
        break;
      }
      case text_encoding::ascii:
      case text_encoding::latin1:
        if (cp > (enc == text_encoding::ascii ? 0x7Fu : 0xFFu)) return std::nullopt;
        s.units.push_back(static_cast<std::uint16_t>(cp));
        s.widths.push_back(1);
        break;
      case text_encoding::ucs2: {
        std::vector<char16_t> u;
        unicode::append_utf16(u, cp);
        for (char16_t c : u) s.units.push_back(c);
        s.widths.push_back(static_cast<std::uint8_t>(u.size()));
        break;
      }
    }
  }
  return s;
}

std::uint8_t data_coding_for(text_encoding enc, text_options const& o) {
  switch (enc) {
    case text_encoding::gsm7: return o.gsm7_data_coding;
    case text_encoding::ascii: return 0x01;
    case text_encoding::latin1: return 0x03;
    case text_encoding::ucs2: return 0x08;
  }
  return 0;
}

// Units per short_message: [0] unsplit, [1] with 8-bit UDH, [2] with 16-bit UDH.
struct capacity {
  std::size_t single, part8, part16;
};
capacity capacity_of(text_encoding enc) {
  switch (enc) {
    case text_encoding::gsm7: return {160, 153, 152};
    case text_encoding::ucs2: return {70, 67, 66};
    default: return {140, 134, 133};
  }
}

constexpr std::size_t max_short_message_octets = 140;  // the air-interface TP-UD limit

unsigned fill_bits_after(std::size_t udh_octets) { return static_cast<unsigned>((7 - (udh_octets * 8) % 7) % 7); }

// Packed GSM7: a part whose last septet is a real CR ending exactly on an octet boundary would
// read as CR padding, so TS 23.038 §6.1.2.3.1 adds a second CR (displayed as one); that costs
// an octet, which the part must have room for.
bool needs_extra_cr(unit_stream const& s, std::size_t b, std::size_t e, unsigned fill) {
  return e > b && s.units[e - 1] == 0x0D && (fill + 7 * (e - b)) % 8 == 0;
}

struct part_rule {
  std::size_t cap;          // units per part
  bool packed_gsm7;
  std::size_t udh_octets;   // UDH in front of each part (0 without)
  bool fits(unit_stream const& s, std::size_t b, std::size_t e) const {
    if (e - b > cap) return false;
    if (!packed_gsm7) return true;
    unsigned const fill = fill_bits_after(udh_octets);
    std::size_t const septets = e - b + (needs_extra_cr(s, b, e, fill) ? 1 : 0);
    return udh_octets + (fill + 7 * septets + 7) / 8 <= max_short_message_octets;
  }
};

// Greedy split of the unit stream into [begin, end) ranges that satisfy `rule`; a character
// (ESC pair, surrogate pair) is never cut because whole characters are added one at a time.
std::vector<std::pair<std::size_t, std::size_t>> split(unit_stream const& s, part_rule const& rule) {
  std::vector<std::pair<std::size_t, std::size_t>> parts;
  std::size_t begin = 0, end = 0;
  for (std::uint8_t w : s.widths) {
    if (end > begin && !rule.fits(s, begin, end + w)) {
      parts.emplace_back(begin, end);
      begin = end;
    }
    end += w;
  }
  if (end > begin || parts.empty()) parts.emplace_back(begin, end);
  return parts;
}

std::vector<std::uint8_t> make_udh(split_mode mode, std::uint16_t ref, std::size_t total, std::size_t seq) {
  auto const tt = static_cast<std::uint8_t>(total), nn = static_cast<std::uint8_t>(seq);
  if (mode == split_mode::udh16)
    return {0x06, 0x08, 0x04, static_cast<std::uint8_t>(ref >> 8), static_cast<std::uint8_t>(ref & 0xFF), tt, nn};
  return {0x05, 0x00, 0x03, static_cast<std::uint8_t>(ref & 0xFF), tt, nn};
}

// Appends units [b, e) in the wire form of `enc`; GSM7 optionally packed after `udh_octets`.
void append_units(std::vector<std::uint8_t>& out, unit_stream const& s, std::size_t b, std::size_t e,
                  text_encoding enc, bool packed, std::size_t udh_octets) {
  if (enc == text_encoding::ucs2) {
    for (std::size_t i = b; i < e; ++i) {
      out.push_back(static_cast<std::uint8_t>(s.units[i] >> 8));
      out.push_back(static_cast<std::uint8_t>(s.units[i] & 0xFF));
    }
    return;
  }
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = b; i < e; ++i) bytes.push_back(static_cast<std::uint8_t>(s.units[i]));
  if (enc == text_encoding::gsm7 && packed) {
    unsigned const fill = fill_bits_after(udh_octets);
    if (needs_extra_cr(s, b, e, fill)) bytes.push_back(0x0D);   // real CR on the boundary: CR CR
    if ((fill + 7 * bytes.size()) % 8 == 1) bytes.push_back(0x0D);  // 7 spare bits: CR, not '@'
    bytes = gsm7::pack(bytes, fill);
  }
  out.insert(out.end(), bytes.begin(), bytes.end());
}

std::optional<text_encoding> choose(std::u32string const& cps, text_options const& o) {
  if (o.force) return o.force;
  auto const all = [&](auto pred) { return std::all_of(cps.begin(), cps.end(), pred); };
  if (all([](char32_t c) { return gsm7::to_septets(c).has_value(); })) return text_encoding::gsm7;
  if (o.allow_latin1 && all([](char32_t c) { return c <= 0xFF; })) return text_encoding::latin1;
  return text_encoding::ucs2;
}

}  // namespace

content_result<encoded_text> encode_text(std::string_view utf8, text_options const& o) {
  auto const cps = unicode::decode_utf8(utf8);
  if (!cps) return make_error_code(content_errc::invalid_utf8);
  text_encoding const enc = *choose(*cps, o);
  auto const stream = to_units(*cps, enc);
  if (!stream) return make_error_code(content_errc::not_representable);

  encoded_text out;
  out.encoding = enc;
  out.data_coding = data_coding_for(enc, o);
  out.units = stream->units.size();
  capacity const cap = capacity_of(enc);

  if (o.split == split_mode::payload) {
    out.payload = true;
    out.segments.emplace_back();
    append_units(out.segments.back(), *stream, 0, out.units, enc, o.gsm7_packed, 0);
    if (out.segments.back().size() > max_payload_octets) return make_error_code(content_errc::too_long);
    return out;
  }
  bool const packed_gsm7 = enc == text_encoding::gsm7 && o.gsm7_packed;
  if (part_rule{cap.single, packed_gsm7, 0}.fits(*stream, 0, out.units)) {
    out.segments.emplace_back();
    append_units(out.segments.back(), *stream, 0, out.units, enc, o.gsm7_packed, 0);
    return out;
  }
  if (o.split == split_mode::single) return make_error_code(content_errc::too_long);

  std::size_t const udh_octets = o.split == split_mode::udh16 ? 7 : o.split == split_mode::udh8 ? 6 : 0;
  std::size_t const part_cap = o.split == split_mode::udh16 ? cap.part16 : cap.part8;
  auto const parts = split(*stream, part_rule{part_cap, packed_gsm7, udh_octets});
  if (parts.size() > std::min<std::size_t>(o.max_segments, 255)) return make_error_code(content_errc::too_long);
  out.udhi = o.split != split_mode::sar;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    std::vector<std::uint8_t> seg;
    if (out.udhi) seg = make_udh(o.split, o.reference, parts.size(), i + 1);
    append_units(seg, *stream, parts[i].first, parts[i].second, enc, o.gsm7_packed, seg.size());
    out.segments.push_back(std::move(seg));
  }
  return out;
}

bool is_gsm7_text(std::string_view utf8) {
  auto const cps = unicode::decode_utf8(utf8);
  return cps && std::all_of(cps->begin(), cps->end(), [](char32_t c) { return gsm7::to_septets(c).has_value(); });
}

}  // namespace smsgw::smpp
