// tests/smpp/text_test.cpp: smpp/text.hpp — GSM 03.38 tables checked against the spec table
// written out below (not derived from the implementation), encoding choice, segment maths at
// the exact boundaries, UDH bytes, packing, and tolerant decoding of bad input.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "smpp/text.hpp"
#include "smpp/unicode.hpp"

using namespace smsgw::smpp;
using bytes = std::vector<std::uint8_t>;

namespace {

// 3GPP TS 23.038 §6.2.1 default alphabet, septets 0x00..0x7F in order, as UTF-8. Position 0x1B
// is ESC and is written here as a placeholder '?' that the loop skips.
std::string const spec_basic =
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ?ÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà";

// §6.2.1.1 extension table: code after ESC -> character.
std::vector<std::pair<std::uint8_t, std::string>> const spec_ext = {
    {0x0A, "\f"}, {0x14, "^"}, {0x28, "{"}, {0x29, "}"}, {0x2F, "\\"},
    {0x3C, "["}, {0x3D, "~"}, {0x3E, "]"}, {0x40, "|"}, {0x65, "€"},
};

std::string utf8_of(char32_t cp) {
  std::string s;
  unicode::append_utf8(s, cp);
  return s;
}

std::string decode_all(encoded_text const& e, decode_options o = {}) {
  std::string out;
  for (auto const& seg : e.segments) out += decode_text(seg, e.data_coding, e.udhi, o).value().text;
  return out;
}

std::size_t count_septets_after_udh(bytes const& seg, std::size_t udh) { return seg.size() - udh; }

}  // namespace

TEST_CASE("every GSM 03.38 basic character maps to its spec septet and back") {
  auto const cps = unicode::decode_utf8(spec_basic);
  REQUIRE(cps);
  REQUIRE(cps->size() == 128);
  for (std::size_t s = 0; s < 128; ++s) {
    if (s == 0x1B) continue;
    INFO("septet 0x" << std::hex << s);
    std::string const ch = utf8_of((*cps)[s]);
    auto const e = encode_text(ch).value();
    CHECK(e.encoding == text_encoding::gsm7);
    CHECK(e.data_coding == 0x00);
    CHECK(e.units == 1);
    REQUIRE(e.segments.size() == 1);
    CHECK(e.segments[0] == bytes{static_cast<std::uint8_t>(s)});
    auto const d = decode_text(bytes{static_cast<std::uint8_t>(s)}, 0x00, false).value();
    CHECK(d.text == ch);
  }
}

TEST_CASE("every GSM 03.38 extension character is ESC + its spec code and counts 2 septets") {
  for (auto const& [code, ch] : spec_ext) {
    INFO("ext code 0x" << std::hex << int{code});
    auto const e = encode_text(ch).value();
    CHECK(e.encoding == text_encoding::gsm7);
    CHECK(e.units == 2);
    CHECK(e.segments.at(0) == bytes{0x1B, code});
    CHECK(decode_text(bytes{0x1B, code}, 0x00, false).value().text == ch);
  }
}

TEST_CASE("characters outside GSM 03.38 force UCS-2") {
  for (std::string s : {"`", "ç", "á", "ê", "Ä€`", "\t"}) {
    INFO(s);
    CHECK(encode_text(s).value().encoding == text_encoding::ucs2);
    CHECK_FALSE(is_gsm7_text(s));
  }
  CHECK(is_gsm7_text("Kode OTP {123} €5"));
}

TEST_CASE("Indonesian OTP text is one unpacked GSM7 segment, byte for byte") {
  std::string const otp = "Kode OTP Anda 482913. Jangan berikan kode ini kepada siapa pun.";
  auto const e = encode_text(otp).value();
  CHECK(e.encoding == text_encoding::gsm7);
  CHECK(e.data_coding == 0x00);
  CHECK_FALSE(e.udhi);
  REQUIRE(e.segments.size() == 1);
  // Letters, digits, space and '.' have the same value in GSM 03.38 as in ASCII.
  CHECK(e.segments[0] == bytes(otp.begin(), otp.end()));
  CHECK(decode_all(e) == otp);
}

TEST_CASE("text with euro sign and braces stays GSM7 with escapes") {
  std::string const t = "Saldo {Rp} €10";
  auto const e = encode_text(t).value();
  CHECK(e.encoding == text_encoding::gsm7);
  CHECK(e.units == 14 + 3);  // 14 characters, 3 of them from the extension table
  CHECK(e.segments[0] == bytes{'S', 'a', 'l', 'd', 'o', ' ', 0x1B, 0x28, 'R', 'p', 0x1B, 0x29, ' ', 0x1B, 0x65, '1', '0'});
  CHECK(decode_all(e) == t);
}

TEST_CASE("emoji are UCS-2 surrogate pairs") {
  std::string const t = "OTP 1 \xF0\x9F\x98\x80";  // U+1F600
  auto const e = encode_text(t).value();
  CHECK(e.encoding == text_encoding::ucs2);
  CHECK(e.data_coding == 0x08);
  CHECK(e.units == 8);
  CHECK(e.segments[0] == bytes{0, 'O', 0, 'T', 0, 'P', 0, ' ', 0, '1', 0, ' ', 0xD8, 0x3D, 0xDE, 0x00});
  CHECK(decode_all(e) == t);
}

TEST_CASE("160 GSM7 septets fit one part, 161 need two with a 153-septet first part") {
  auto const one = encode_text(std::string(160, 'a')).value();
  CHECK(one.segments.size() == 1);
  CHECK_FALSE(one.udhi);
  CHECK(one.segments[0].size() == 160);

  text_options o;
  o.reference = 0x1A7;  // udh8 keeps the low byte: 0xA7
  auto const two = encode_text(std::string(161, 'a'), o).value();
  REQUIRE(two.segments.size() == 2);
  CHECK(two.udhi);
  CHECK(esm_class_udhi == 0x40);
  CHECK(bytes(two.segments[0].begin(), two.segments[0].begin() + 6) == bytes{0x05, 0x00, 0x03, 0xA7, 0x02, 0x01});
  CHECK(bytes(two.segments[1].begin(), two.segments[1].begin() + 6) == bytes{0x05, 0x00, 0x03, 0xA7, 0x02, 0x02});
  CHECK(count_septets_after_udh(two.segments[0], 6) == 153);
  CHECK(count_septets_after_udh(two.segments[1], 6) == 8);
  CHECK(decode_all(two) == std::string(161, 'a'));

  auto const d = decode_text(two.segments[1], two.data_coding, true).value();
  REQUIRE(d.concat);
  CHECK(*d.concat == concat_info{0xA7, 2, 2, false});
  CHECK(d.udh == bytes{0x05, 0x00, 0x03, 0xA7, 0x02, 0x02});
}

TEST_CASE("306 septets make exactly two 153-septet parts, 307 make three") {
  CHECK(encode_text(std::string(306, 'x')).value().segments.size() == 2);
  auto const three = encode_text(std::string(307, 'x')).value();
  REQUIRE(three.segments.size() == 3);
  CHECK(three.segments[2].size() == 6 + 1);
}

TEST_CASE("an escape pair is never split across parts") {
  // 152 'a' then '€' (2 septets): the euro does not fit in part 1's last septet.
  std::string const t = std::string(152, 'a') + "€" + std::string(10, 'b');
  auto const e = encode_text(t).value();
  REQUIRE(e.segments.size() == 2);
  CHECK(count_septets_after_udh(e.segments[0], 6) == 152);
  CHECK(e.segments[0].back() == 'a');
  CHECK(e.segments[1][6] == 0x1B);
  CHECK(e.segments[1][7] == 0x65);
  CHECK(decode_all(e) == t);
}

TEST_CASE("a surrogate pair is never split across parts") {
  // UCS-2 parts hold 67 units; 66 'A' then an emoji (2 units) must move the emoji to part 2.
  std::string const t = std::string(66, 'A') + "\xF0\x9F\x98\x80" + std::string(10, 'B');
  auto const e = encode_text(t).value();
  REQUIRE(e.encoding == text_encoding::ucs2);
  REQUIRE(e.segments.size() == 2);
  CHECK(e.segments[0].size() == 6 + 2 * 66);
  CHECK(e.segments[1][6] == 0xD8);
  CHECK(e.segments[1][7] == 0x3D);
  CHECK(decode_all(e) == t);
}

TEST_CASE("UCS-2 boundaries: 70 units one part, 71 two parts of 67 + 4") {
  std::string const a70 = std::string(69, 'a') + "\xE2\x98\xBA";  // U+263A forces UCS-2
  CHECK(encode_text(a70).value().segments.size() == 1);
  auto const e = encode_text(a70 + "b").value();
  REQUIRE(e.segments.size() == 2);
  CHECK(e.segments[0].size() == 6 + 2 * 67);
  CHECK(e.segments[1].size() == 6 + 2 * 4);
}

TEST_CASE("16-bit reference UDH: 06 08 04 RRRR TT NN and 152-septet parts") {
  text_options o;
  o.split = split_mode::udh16;
  o.reference = 0xBEEF;
  auto const e = encode_text(std::string(161, 'z'), o).value();
  REQUIRE(e.segments.size() == 2);
  CHECK(bytes(e.segments[0].begin(), e.segments[0].begin() + 7) == bytes{0x06, 0x08, 0x04, 0xBE, 0xEF, 0x02, 0x01});
  CHECK(e.segments[0].size() == 7 + 152);
  CHECK(e.segments[1].size() == 7 + 9);
  auto const d = decode_text(e.segments[0], 0, true).value();
  CHECK(*d.concat == concat_info{0xBEEF, 2, 1, true});
  CHECK(decode_all(e) == std::string(161, 'z'));
}

TEST_CASE("SAR mode: no UDH, parts sized like 8-bit UDH parts") {
  text_options o;
  o.split = split_mode::sar;
  auto const e = encode_text(std::string(200, 'q'), o).value();
  CHECK_FALSE(e.udhi);
  REQUIRE(e.segments.size() == 2);
  CHECK(e.segments[0] == bytes(153, 'q'));
  CHECK(e.segments[1] == bytes(47, 'q'));
}

TEST_CASE("message_payload mode: one PDU, whole text, no UDH") {
  text_options o;
  o.split = split_mode::payload;
  auto const e = encode_text(std::string(500, 'p'), o).value();
  CHECK(e.payload);
  CHECK_FALSE(e.udhi);
  REQUIRE(e.segments.size() == 1);
  CHECK(e.segments[0] == bytes(500, 'p'));
  text_options big = o;
  CHECK(encode_text(std::string(65535, 'p'), big).has_value());
  CHECK(encode_text(std::string(65536, 'p'), big).error() == content_errc::too_long);
}

TEST_CASE("single mode refuses a text that needs two parts") {
  text_options o;
  o.split = split_mode::single;
  CHECK(encode_text(std::string(160, 'a'), o).has_value());
  CHECK(encode_text(std::string(161, 'a'), o).error() == content_errc::too_long);
}

TEST_CASE("more parts than max_segments is too_long") {
  text_options o;
  o.max_segments = 2;
  CHECK(encode_text(std::string(306, 'a'), o).has_value());
  CHECK(encode_text(std::string(307, 'a'), o).error() == content_errc::too_long);
  CHECK(encode_text(std::string(153 * 255, 'a')).has_value());
  CHECK(encode_text(std::string(153 * 255 + 1, 'a')).error() == content_errc::too_long);
}

TEST_CASE("Latin-1 is opt-in") {
  std::string const t = "Caf\xC3\xA1 \xC3\xA7";  // á and ç: Latin-1, not GSM
  CHECK(encode_text(t).value().encoding == text_encoding::ucs2);
  text_options o;
  o.allow_latin1 = true;
  auto const e = encode_text(t, o).value();
  CHECK(e.encoding == text_encoding::latin1);
  CHECK(e.data_coding == 0x03);
  CHECK(e.segments[0] == bytes{'C', 'a', 'f', 0xE1, ' ', 0xE7});
  CHECK(decode_all(e) == t);
  // GSM7 still wins when it can represent the text.
  CHECK(encode_text("Caf\xC3\xA9", o).value().encoding == text_encoding::gsm7);
  // 140 Latin-1 octets fit one part, 141 need 134-octet parts.
  CHECK(encode_text(std::string(140, static_cast<char>('a')) + "\xC3\xA1", o).value().segments.size() == 2);
  auto const two = encode_text(std::string(139, 'a') + "\xC3\xA1", o).value();
  CHECK(two.segments.size() == 1);
}

TEST_CASE("forced encodings and per-route GSM7 data_coding") {
  text_options o;
  o.force = text_encoding::ucs2;
  auto const u = encode_text("Hi", o).value();
  CHECK(u.segments[0] == bytes{0, 'H', 0, 'i'});
  o.force = text_encoding::gsm7;
  CHECK(encode_text("\xF0\x9F\x98\x80", o).error() == content_errc::not_representable);
  o.force = text_encoding::ascii;
  CHECK(encode_text("abc", o).value().data_coding == 0x01);
  CHECK(encode_text("\xC3\xA9", o).error() == content_errc::not_representable);
  text_options f1;
  f1.gsm7_data_coding = 0xF1;
  CHECK(encode_text("abc", f1).value().data_coding == 0xF1);
}

TEST_CASE("invalid UTF-8 input is a clear error, never repaired") {
  for (std::string bad : {std::string("\xC0\xAF"), std::string("\xED\xA0\x80"), std::string("abc\xE2\x82"),
                          std::string("\xF4\x90\x80\x80"), std::string("\xFF"), std::string("a\x80")}) {
    auto const r = encode_text(bad);
    REQUIRE(r.has_error());
    CHECK(r.error() == content_errc::invalid_utf8);
    CHECK_FALSE(r.error().message().empty());
  }
}

TEST_CASE("empty text is one empty GSM7 segment") {
  auto const e = encode_text("").value();
  CHECK(e.segments == std::vector<bytes>{bytes{}});
}

TEST_CASE("packed GSM7: the classic hellohello vector") {
  text_options o;
  o.gsm7_packed = true;
  auto const e = encode_text("hellohello", o).value();
  CHECK(e.segments[0] == bytes{0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37});
  decode_options d;
  d.gsm7_packed = true;
  CHECK(decode_all(e, d) == "hellohello");
}

TEST_CASE("packed GSM7: 7 spare bits are filled with CR and stripped on decode") {
  text_options o;
  o.gsm7_packed = true;
  auto const e = encode_text("1234567", o).value();  // 49 bits -> 7 octets, 7 spare bits
  REQUIRE(e.segments[0].size() == 7);
  CHECK((e.segments[0][6] >> 1) == 0x0D);
  decode_options d;
  d.gsm7_packed = true;
  CHECK(decode_all(e, d) == "1234567");
  CHECK(decode_all(encode_text("12345678", o).value(), d) == "12345678");  // 8 septets, 7 octets exactly
}

TEST_CASE("packed GSM7 with UDH: text starts on a septet boundary, 153 septets per part") {
  text_options o;
  o.gsm7_packed = true;
  std::string t;
  for (int i = 0; i < 200; ++i) t.push_back(static_cast<char>('a' + i % 26));
  auto const e = encode_text(t, o).value();
  REQUIRE(e.segments.size() == 2);
  CHECK(e.segments[0].size() == 140);  // 6 UDH + ceil((1 fill bit + 153*7) / 8) = 134
  // First septet 'a' (0x61) sits after 1 fill bit: octet 6 = (0x61 << 1) & 0xFF.
  CHECK(e.segments[0][6] == static_cast<std::uint8_t>((0x61 << 1) & 0xFF));
  decode_options d;
  d.gsm7_packed = true;
  CHECK(decode_all(e, d) == t);
}

TEST_CASE("decode: UCS-2 odd length and lone surrogates become U+FFFD") {
  auto const odd = decode_text(bytes{0x00, 0x41, 0x00}, 0x08, false).value();
  CHECK(odd.text == "A\xEF\xBF\xBD");
  CHECK(odd.replaced == 1);
  auto const lone = decode_text(bytes{0xD8, 0x3D, 0x00, 0x41, 0xDE, 0x00}, 0x08, false).value();
  CHECK(lone.text == "\xEF\xBF\xBD" "A" "\xEF\xBF\xBD");
  CHECK(lone.replaced == 2);
}

TEST_CASE("decode: GSM7 oddities") {
  // Trailing lone ESC dropped; ESC + undefined code shows the basic character; octet > 0x7F.
  auto const d = decode_text(bytes{'a', 0x1B, 0x41, 0x80, 0x1B}, 0x00, false).value();
  CHECK(d.text == "aA\xEF\xBF\xBD");
  CHECK(d.replaced == 2);
  CHECK(decode_text(bytes{0x00, 0x02}, 0xF0, false).value().text == "@$");
  decode_options latin;
  latin.data_coding_0 = text_encoding::latin1;
  CHECK(decode_text(bytes{0x40, 0xE9}, 0x00, false, latin).value().text == "@\xC3\xA9");
  CHECK(decode_text(bytes{'a', 0xC8}, 0x01, false).value().text == "a\xEF\xBF\xBD");
}

TEST_CASE("decode: binary data_coding and bad UDH are errors") {
  CHECK(decode_text(bytes{1, 2}, 0x04, false).error() == content_errc::unsupported_data_coding);
  CHECK(decode_text(bytes{1, 2}, 0x02, false).error() == content_errc::unsupported_data_coding);
  CHECK(decode_text(bytes{1, 2}, 0xF4, false).error() == content_errc::unsupported_data_coding);
  CHECK(decode_text(bytes{0x05, 0x00, 0x03}, 0x00, true).error() == content_errc::bad_udh);
  CHECK(decode_text(bytes{}, 0x00, true).error() == content_errc::bad_udh);
  // A UDH without a concat element is kept raw, concat absent.
  auto const d = decode_text(bytes{0x04, 0x05, 0x02, 0x0B, 0x84, 'h', 'i'}, 0x00, true).value();
  CHECK(d.text == "hi");
  CHECK_FALSE(d.concat);
  CHECK(d.udh.size() == 5);
}

TEST_CASE("encoding_of covers the SMPP and GSM data_coding groups") {
  CHECK(encoding_of(0x00) == text_encoding::gsm7);
  CHECK(encoding_of(0x03) == text_encoding::latin1);
  CHECK(encoding_of(0x08) == text_encoding::ucs2);
  CHECK(encoding_of(0x18) == text_encoding::ucs2);   // general group, class 0, UCS-2
  CHECK(encoding_of(0x11) == text_encoding::gsm7);   // general group, class 1, GSM7
  CHECK_FALSE(encoding_of(0x24));                    // compressed
  CHECK(encoding_of(0xF1) == text_encoding::gsm7);
  CHECK_FALSE(encoding_of(0xF5));
  CHECK(encoding_of(0xE0) == text_encoding::ucs2);
}

TEST_CASE("packed GSM7: a real final CR on an octet boundary is doubled and reads back as one") {
  text_options o;
  o.gsm7_packed = true;
  // 8 septets = 56 bits = 7 octets exactly; the 8th is a real CR.
  auto const e = encode_text("1234567\r", o).value();
  CHECK(e.segments[0].size() == 8);  // CR CR: 63 bits -> 8 octets
  decode_options d;
  d.gsm7_packed = true;
  CHECK(decode_all(e, d) == "1234567\r");
  // A real '@' in the last 7 bits is kept (not mistaken for zero padding).
  auto const at = encode_text("1234567@", o).value();
  CHECK(at.segments[0].size() == 7);
  CHECK(decode_all(at, d) == "1234567@");
}

TEST_CASE("packed GSM7: a 160-septet text ending in CR on the boundary does not fit one part") {
  text_options o;
  o.gsm7_packed = true;
  auto const e = encode_text(std::string(159, 'a') + "\r", o).value();
  CHECK(e.segments.size() == 2);  // CR CR would need a 141st octet
  for (auto const& seg : e.segments) CHECK(seg.size() <= 140);
  decode_options d;
  d.gsm7_packed = true;
  CHECK(decode_all(e, d) == std::string(159, 'a') + "\r");
  CHECK(encode_text(std::string(160, 'a'), o).value().segments.size() == 1);
}
