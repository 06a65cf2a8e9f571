// tests/smpp/text_property_test.cpp: bounded randomized checks (fixed seeds, so failures
// reproduce) for smpp/text.hpp and the receipt text scanner: encode -> decode is the identity for
// every split mode and packing, parts respect the 140-octet / 160-septet limits, and arbitrary
// bytes decode to valid UTF-8 or a clean error, never a crash.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <vector>

#include "smpp/receipt.hpp"
#include "smpp/text.hpp"
#include "smpp/unicode.hpp"

using namespace smsgw::smpp;

namespace {

// Characters from every class the encoder distinguishes.
std::vector<std::string> const pool = {
    "a", "Z", "0", " ", ".", "@", "$", "_", "\n", "\r", "\xC3\xA9" /*é*/, "\xCE\x94" /*Δ*/,
    "{", "}", "[", "]", "~", "\\", "^", "|", "\xE2\x82\xAC" /*€*/, "\f",
    "\xC3\xA7" /*ç: Latin-1 only*/, "\xC3\xA1" /*á*/, "`",
    "\xE4\xB8\xAD" /*中*/, "\xF0\x9F\x98\x80" /*😀*/, "\xF0\x9F\x87\xAE\xF0\x9F\x87\xA9" /*🇮🇩*/,
};

std::string random_text(std::mt19937& rng, std::size_t pool_size) {
  std::uniform_int_distribution<std::size_t> len(0, 420), pick(0, pool_size - 1);
  std::string s;
  for (std::size_t n = len(rng); n > 0; --n) s += pool[pick(rng)];
  return s;
}

std::string collapse_cr(std::string s) {
  for (std::size_t i; (i = s.find("\r\r")) != std::string::npos;) s.erase(i, 1);
  return s;
}

}  // namespace

TEST_CASE("property: encode then decode gives the text back, parts within limits") {
  std::mt19937 rng(20251126);
  for (int iter = 0; iter < 1500; ++iter) {
    // Bias some texts to pure GSM so GSM7 splitting is exercised as much as UCS-2.
    std::size_t const pool_size = (iter % 3 == 0) ? 22 : pool.size();
    std::string const t = random_text(rng, pool_size);
    text_options o;
    o.split = static_cast<split_mode>(iter % 4);  // udh8, udh16, sar, payload
    o.gsm7_packed = (iter / 4) % 2 == 1;
    o.allow_latin1 = (iter / 8) % 2 == 1;
    o.reference = static_cast<std::uint16_t>(iter);
    auto const e = encode_text(t, o);
    REQUIRE(e.has_value());
    decode_options d;
    d.gsm7_packed = o.gsm7_packed;
    std::string back;
    for (auto const& seg : e->segments) {
      if (!e->payload) {
        bool const unpacked_gsm = e->encoding == text_encoding::gsm7 && !o.gsm7_packed;
        CHECK(seg.size() <= (unpacked_gsm ? 160u : 140u));
      }
      auto const dec = decode_text(seg, e->data_coding, e->udhi, d);
      REQUIRE(dec.has_value());
      CHECK(dec->replaced == 0);
      if (e->udhi) {
        REQUIRE(dec->concat);
        CHECK(dec->concat->total == e->segments.size());
      }
      back += dec->text;
    }
    INFO("iteration " << iter << " split " << iter % 4 << " packed " << o.gsm7_packed);
    if (e->encoding == text_encoding::gsm7 && o.gsm7_packed) {
      // Packed GSM7 cannot tell CR padding / a doubled final CR from real CRs at a part's last
      // octet boundary; TS 23.038 defines CR CR as equivalent to CR, so compare modulo that.
      REQUIRE(collapse_cr(back) == collapse_cr(t));
    } else {
      REQUIRE(back == t);
    }
  }
}

TEST_CASE("property: arbitrary bytes decode to valid UTF-8 or a clean error") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(0, 255), len(0, 300);
  std::uint8_t const codings[] = {0x00, 0x01, 0x03, 0x08, 0x02, 0x04, 0x11, 0x18, 0xC0, 0xE0, 0xF0, 0xF4, 0xFF};
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<std::uint8_t> b(static_cast<std::size_t>(len(rng)));
    for (auto& x : b) x = static_cast<std::uint8_t>(byte(rng));
    decode_options o;
    o.gsm7_packed = iter % 2 == 0;
    auto const r = decode_text(b, codings[iter % std::size(codings)], iter % 3 == 0, o);
    if (r) CHECK(unicode::decode_utf8(r->text).has_value());
    std::string const s(b.begin(), b.end());
    auto const f = parse_receipt_text(s);
    if (f.id) CHECK(f.id->size() <= s.size());
  }
}
