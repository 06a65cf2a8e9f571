// tests/fuzz/fuzz_decode.cpp: libFuzzer target for the SMPP framer, decoder and encoder.
// Input layout: byte 0 = largest chunk size (0: feed everything at once), the rest = a TCP
// byte stream. The stream goes to smpp::framer in chunk sizes drawn from a PRNG seeded by
// byte 0 (alternating feed() and prepare()/commit()), and every framed PDU is decoded.
// Properties checked (a violation aborts, which libFuzzer reports as a crash):
//   - decode never reads out of bounds (ASan) and a failure always yields an encodable generic_nack;
//   - what decodes re-encodes, decodes to an equal pdu, and re-encodes to the same octets;
//   - smsgw-pdu's JSON of a decoded PDU encodes back to exactly the framed octets.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "smpp/codec.hpp"
#include "smpp/framer.hpp"
#include "tools/smsgw-pdu/hex.hpp"
#include "tools/smsgw-pdu/pdu_json.hpp"

namespace smpp = smsgw::smpp;
namespace tool = smsgw::pdu_tool;

namespace {

// Smaller than the default so the fuzzer also reaches the "too long" rejection cheaply.
constexpr std::size_t max_command_length = 4096;

[[noreturn]] void fail(char const* property, std::span<std::uint8_t const> pdu, std::string const& detail) {
  std::fprintf(stderr, "fuzz_decode: %s\n  pdu: %s\n  %s\n", property, tool::to_hex(pdu).c_str(),
               detail.c_str());
  std::abort();
}

void check_pdu(std::span<std::uint8_t const> bytes) {
  auto decoded = smpp::decode(bytes);
  if (!decoded) {
    auto const& e = decoded.error();
    if (e.message().empty()) fail("empty error message", bytes, "");
    std::vector<std::uint8_t> nack;
    if (auto ne = smpp::encode(smpp::make_generic_nack(e), nack)) fail("generic_nack does not encode", bytes, ne->message());
    return;
  }
  std::vector<std::uint8_t> once;
  if (auto e = smpp::encode(*decoded, once)) fail("decoded PDU does not re-encode", bytes, e->message());
  auto again = smpp::decode(once);
  if (!again) fail("re-encoded PDU does not decode", bytes, again.error().message() + " in " + tool::to_hex(once));
  if (!(*again == *decoded)) fail("decode(encode(p)) != p", bytes, tool::to_hex(once));
  std::vector<std::uint8_t> twice;
  if (auto e = smpp::encode(*again, twice)) fail("second encode failed", bytes, e->message());
  if (twice != once) fail("encode is not idempotent", bytes, tool::to_hex(once) + " vs " + tool::to_hex(twice));

  // The operator tool's promise: decode -> JSON text -> encode gives the same octets.
  auto const text = boost::json::serialize(tool::to_json(*decoded, bytes.size()));
  boost::system::error_code ec;
  auto const v = boost::json::parse(text, ec);
  if (ec) fail("to_json printed invalid JSON", bytes, text);
  auto via_json = tool::encode_json(v);
  if (!via_json) fail("JSON of a decoded PDU does not encode", bytes, via_json.error().message() + " in " + text);
  if (!std::equal(via_json->begin(), via_json->end(), bytes.begin(), bytes.end()))
    fail("JSON round trip changed the octets", bytes, tool::to_hex(*via_json) + " from " + text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  if (size == 0) return 0;
  unsigned const chunk_max = data[0];
  std::span<std::uint8_t const> const stream(data + 1, size - 1);
  smpp::framer framer(max_command_length);
  std::uint32_t rng = 0x9E3779B9u ^ chunk_max;
  std::size_t pos = 0, framed = 0;
  while (pos < stream.size()) {
    std::size_t n = stream.size() - pos;
    rng = rng * 1664525u + 1013904223u;
    if (chunk_max != 0) n = std::min<std::size_t>(n, 1 + (rng >> 16) % chunk_max);
    if ((rng & 0x100) != 0) {
      framer.feed(stream.subspan(pos, n));
    } else {
      auto room = framer.prepare(n);
      std::memcpy(room.data(), stream.data() + pos, n);
      framer.commit(n);
    }
    pos += n;
    for (;;) {
      auto next = framer.next();
      if (!next) {
        // Framing lost for good: the nack must encode and the framer must stay failed.
        std::vector<std::uint8_t> nack;
        if (smpp::encode(smpp::make_generic_nack(next.error()), nack)) std::abort();
        if (!framer.failed() || framer.next()) std::abort();
        return 0;
      }
      if (next->empty()) break;
      framed += next->size();
      check_pdu(*next);
    }
  }
  if (framed + framer.buffered() != stream.size()) std::abort();  // no octet lost or invented
  return 0;
}
