// tests/smpp/framer_test.cpp: the stream framer cuts a byte stream into whole PDUs however
// the bytes are chunked (1 octet at a time, random seeded chunks, many PDUs per chunk, the
// prepare/commit path a socket reader uses), and rejects a bad command_length as soon as its
// 4 octets are seen, before any body, with a sticky error.
#include <catch2/catch.hpp>

#include <cstring>
#include <random>

#include "smpp/codec.hpp"
#include "smpp/framer.hpp"
#include "tests/smpp/wire_bytes.hpp"

using namespace smsgw::smpp;
using namespace smsgw::smpp::test;

namespace {

// A stream of `n` PDUs of varied sizes (enquire_link, submit_sm with growing texts).
std::vector<bytes> sample_pdus(std::size_t n) {
  std::vector<bytes> out;
  for (std::size_t i = 0; i < n; ++i) {
    pdu p;
    p.sequence_number = static_cast<std::uint32_t>(i + 1);
    if (i % 3 == 0) {
      p.body = enquire_link{};
    } else {
      submit_sm s;
      s.source_addr = "SMSGW";
      s.destination_addr = "6281234567890";
      s.short_message.assign(i * 7 % 255, static_cast<std::uint8_t>('a' + i % 26));
      p.body = s;
    }
    bytes w;
    REQUIRE_FALSE(encode(p, w));
    out.push_back(std::move(w));
  }
  return out;
}

bytes join(std::vector<bytes> const& pdus) {
  bytes s;
  for (auto const& p : pdus) s.insert(s.end(), p.begin(), p.end());
  return s;
}

// Drains every whole PDU currently available; REQUIREs no framing error.
void drain(framer& f, std::vector<bytes>& got) {
  for (;;) {
    auto r = f.next();
    REQUIRE(r.has_value());
    if (r->empty()) return;
    got.emplace_back(r->begin(), r->end());
  }
}

}  // namespace

TEST_CASE("framer: several PDUs in one chunk") {
  auto const pdus = sample_pdus(10);
  framer f;
  f.feed(join(pdus));
  std::vector<bytes> got;
  drain(f, got);
  CHECK(got == pdus);
  CHECK(f.buffered() == 0);
}

TEST_CASE("framer: one octet at a time") {
  auto const pdus = sample_pdus(12);
  auto const stream = join(pdus);
  framer f;
  std::vector<bytes> got;
  for (auto b : stream) {
    f.feed(std::span<std::uint8_t const>(&b, 1));
    drain(f, got);
  }
  CHECK(got == pdus);
}

TEST_CASE("framer: random chunking (seeded) always yields the same PDUs") {
  auto const pdus = sample_pdus(40);
  auto const stream = join(pdus);
  std::mt19937 rng(GENERATE(1u, 2u, 3u, 42u, 20261126u));
  for (int iteration = 0; iteration < 50; ++iteration) {
    framer f;
    std::vector<bytes> got;
    std::size_t pos = 0;
    while (pos < stream.size()) {
      std::size_t const n = std::min<std::size_t>(1 + rng() % 700, stream.size() - pos);
      f.feed(std::span<std::uint8_t const>(stream).subspan(pos, n));
      pos += n;
      drain(f, got);
    }
    REQUIRE(got == pdus);
  }
}

TEST_CASE("framer: prepare/commit path as a socket reader uses it, with short reads") {
  auto const pdus = sample_pdus(30);
  auto const stream = join(pdus);
  std::mt19937 rng(99);
  framer f;
  std::vector<bytes> got;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    auto room = f.prepare(512);
    REQUIRE(room.size() >= 512);
    // a "read_some" that returns fewer octets than asked for
    std::size_t const n = std::min<std::size_t>(1 + rng() % 512, stream.size() - pos);
    std::memcpy(room.data(), stream.data() + pos, n);
    f.commit(n);
    pos += n;
    drain(f, got);
  }
  CHECK(got == pdus);
}

TEST_CASE("framer: spans from next() stay valid until the next feed") {
  auto const pdus = sample_pdus(5);
  framer f;
  f.feed(join(pdus));
  std::vector<std::span<std::uint8_t const>> views;
  for (;;) {
    auto r = f.next();
    REQUIRE(r.has_value());
    if (r->empty()) break;
    views.push_back(*r);
  }
  REQUIRE(views.size() == pdus.size());
  for (std::size_t i = 0; i < views.size(); ++i)
    CHECK(bytes(views[i].begin(), views[i].end()) == pdus[i]);
}

TEST_CASE("framer: oversize command_length is rejected before its body arrives") {
  framer f(1024);
  // command_length 1025 and nothing else yet
  bytes const header{0x00, 0x00, 0x04, 0x01};
  f.feed(std::span<std::uint8_t const>(header).first(3));
  REQUIRE(f.next().has_value());  // 3 octets: not enough to judge
  f.feed(std::span<std::uint8_t const>(header).subspan(3));
  auto const r = f.next();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().status == command_status::invcmdlen);
  CHECK(r.error().command_length == 1025);
  CHECK(r.error().max_command_length == 1024);
  CHECK_FALSE(r.error().sequence_number.has_value());  // header not complete: unknown
  CHECK(f.failed());
  // Sticky: more bytes are discarded, the same error comes back.
  f.feed(bytes(2000, 0));
  CHECK(f.buffered() == 0);
  auto const again = f.next();
  REQUIRE_FALSE(again.has_value());
  CHECK(again.error().command_length == 1025);
  auto const nack = make_generic_nack(again.error());
  CHECK(nack.sequence_number == 0);
  CHECK(nack.status == command_status::invcmdlen);
}

TEST_CASE("framer: a bad length with a whole header reports command_id and sequence_number") {
  framer f;
  bytes const stream = cat({
      {0x00, 0x00, 0x00, 0x20},  // command_length 32 (the framer looks at nothing else)
      {0x00, 0x00, 0x00, 0x15},  // command_id enquire_link
      {0x00, 0x00, 0x00, 0x00},  // command_status
      {0x00, 0x00, 0x00, 0x07},  // sequence_number 7
      bytes(16, 0),              // 16 octets of body
      {0x00, 0x00, 0x00, 0x08},  // command_length 8: below the 16-octet minimum
      {0x00, 0x00, 0x00, 0x04},  // command_id submit_sm
      {0x00, 0x00, 0x00, 0x00},  // command_status
      {0x00, 0x00, 0x00, 0x09},  // sequence_number 9
  });
  f.feed(stream);
  auto const first = f.next();
  REQUIRE(first.has_value());
  CHECK(first->size() == 32);
  auto const r = f.next();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().command_length == 8);
  CHECK(r.error().command_id == 0x00000004u);
  CHECK(r.error().sequence_number == 9u);
  CHECK(make_generic_nack(r.error()).sequence_number == 9);
  CHECK(r.error().message() ==
        "command_length 8 outside 16..65536 (ESME_RINVCMDLEN); framing lost, sequence_number 9");
}

TEST_CASE("framer: node-smpp's bogus 2147483657 is rejected at the default limit") {
  framer f;
  f.feed(bytes{0x80, 0x00, 0x00, 0x09, 0x00});
  auto const r = f.next();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().command_length == 2147483657u);
}

TEST_CASE("framer: a PDU of exactly the maximum length passes") {
  framer f(64);
  bytes p = with_length(cat({{0x80, 0x00, 0x00, 0x04, 0, 0, 0, 0, 0, 0, 0, 1}, bytes(47, 'x'), {0}}));
  REQUIRE(p.size() == 64);
  f.feed(p);
  auto const r = f.next();
  REQUIRE(r.has_value());
  CHECK(r->size() == 64);
}

TEST_CASE("framer: the buffer does not grow with the number of PDUs streamed through it") {
  auto const pdus = sample_pdus(60);
  auto const stream = join(pdus);
  framer f;
  std::size_t count = 0;
  std::size_t capacity_after_first_pass = 0;
  for (int pass = 0; pass < 100; ++pass) {
    std::size_t pos = 0;
    while (pos < stream.size()) {
      std::size_t const n = std::min<std::size_t>(37, stream.size() - pos);
      f.feed(std::span<std::uint8_t const>(stream).subspan(pos, n));
      pos += n;
      for (auto r = f.next(); r.has_value() && !r->empty(); r = f.next()) ++count;
    }
    if (pass == 0) capacity_after_first_pass = f.capacity();
  }
  CHECK(count == 100 * pdus.size());
  CHECK(f.capacity() == capacity_after_first_pass);
  CHECK(f.capacity() <= 4096);  // the initial allocation: PDUs here are < 320 octets
}

TEST_CASE("framer: max_command_length below 16 is a configuration error") {
  CHECK_THROWS_AS(framer(15), std::invalid_argument);
  CHECK_NOTHROW(framer(16));
}
