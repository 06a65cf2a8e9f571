// tests/smpp/codec_malformed_test.cpp: what the codec does with bad input. Malformed PDUs
// must yield the right command_status and field (and never crash or read out of bounds:
// run under ASan in tools/test.sh); encoding rejects over-size fields and appends nothing.
// Also round-trip properties over varied structs and over mutated golden bytes.
#include <catch2/catch.hpp>

#include <random>

#include "smpp/codec.hpp"
#include "smpp/tlv.hpp"
#include "tests/smpp/wire_bytes.hpp"

using namespace smsgw::smpp;
using namespace smsgw::smpp::test;

namespace {

// Header without command_length (with_length() adds it): command_id, status 0, seq 0x2a.
bytes head(std::uint8_t b0, std::uint8_t b1, std::uint8_t b2, std::uint8_t b3) {
  return {b0, b1, b2, b3, 0, 0, 0, 0, 0, 0, 0, 0x2A};
}

// submit_sm mandatory fields up to (not including) sm_length, with the given addresses.
bytes submit_fields(bytes const& source_addr, bytes const& destination_addr,
                    bytes const& schedule = {0}, bytes const& validity = {0},
                    bytes const& service_type = {0}) {
  return cat({service_type, {0x05, 0x00}, source_addr, {0x01, 0x01}, destination_addr,
              {0x00, 0x00, 0x00}, schedule, validity, {0x01, 0x00, 0x00, 0x00}});
}

bytes good_submit_fields() { return submit_fields(cstr("SMSGW"), cstr("628123")); }

struct bad_case {
  char const* name;
  bytes wire;
  command_status status;
  std::string field;
};

}  // namespace

TEST_CASE("malformed PDUs yield the right command_status and field") {
  std::string const long21(21, '1');
  std::vector<bad_case> const cases{
      {"shorter than a header", {0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x15},
       command_status::invcmdlen, "command_length"},
      {"empty input", {}, command_status::invcmdlen, "command_length"},
      {"command_length 15",
       cat({{0x00, 0x00, 0x00, 0x0F}, head(0, 0, 0, 0x15)}),
       command_status::invcmdlen, "command_length"},
      {"command_length larger than the bytes",
       cat({{0x00, 0x00, 0x00, 0x20}, head(0, 0, 0, 0x15)}),
       command_status::invcmdlen, "command_length"},
      {"command_length smaller than the bytes",
       cat({{0x00, 0x00, 0x00, 0x10}, head(0x80, 0, 0, 0x04), cstr("abc")}),
       command_status::invcmdlen, "command_length"},
      {"huge command_length (another protocol)",
       cat({{0x80, 0x00, 0x00, 0x09}, head(0, 0, 0, 0x15)}),
       command_status::invcmdlen, "command_length"},
      {"submit_multi is unsupported", with_length(head(0, 0, 0, 0x21)),
       command_status::invcmdid, "command_id"},
      {"submit_multi_resp is unsupported", with_length(head(0x80, 0, 0, 0x21)),
       command_status::invcmdid, "command_id"},
      {"unknown command_id", with_length(head(0x12, 0x34, 0x56, 0x78)),
       command_status::invcmdid, "command_id"},
      {"system_id of 16 chars has no NUL within 16",
       with_length(cat({head(0, 0, 0, 0x09), raw("0123456789abcdef"), cstr("pw"), cstr(""),
                        {0x34, 0, 0}, cstr("")})),
       command_status::invsysid, "system_id"},
      {"password of 9 chars",
       with_length(cat({head(0, 0, 0, 0x02), cstr("u"), cstr("123456789"), cstr(""),
                        {0x34, 0, 0}, cstr("")})),
       command_status::invpaswd, "password"},
      {"system_type of 13 chars",
       with_length(cat({head(0, 0, 0, 0x01), cstr("u"), cstr("p"), cstr("0123456789abc"),
                        {0x34, 0, 0}, cstr("")})),
       command_status::invsystyp, "system_type"},
      {"bind ends inside interface_version",
       with_length(cat({head(0, 0, 0, 0x01), cstr("u"), cstr("p"), cstr("")})),
       command_status::invcmdlen, "interface_version"},
      {"service_type of 6 chars",
       with_length(cat({head(0, 0, 0, 0x04),
                        submit_fields(cstr("S"), cstr("6"), {0}, {0}, cstr("ABCDEF")), {0}})),
       command_status::invsertyp, "service_type"},
      {"source_addr of 21 chars",
       with_length(cat({head(0, 0, 0, 0x04), submit_fields(cstr(long21), cstr("628")), {0}})),
       command_status::invsrcadr, "source_addr"},
      {"destination_addr of 21 chars",
       with_length(cat({head(0, 0, 0, 0x04), submit_fields(cstr("S"), cstr(long21)), {0}})),
       command_status::invdstadr, "destination_addr"},
      {"schedule_delivery_time of 17 chars",
       with_length(cat({head(0, 0, 0, 0x04),
                        submit_fields(cstr("S"), cstr("6"), cstr("00000000050000000R")), {0}})),
       command_status::invsched, "schedule_delivery_time"},
      {"validity_period of 17 chars",
       with_length(cat({head(0, 0, 0, 0x05),
                        submit_fields(cstr("S"), cstr("6"), {0}, cstr("00000000050000000R")),
                        {0}})),
       command_status::invexpiry, "validity_period"},
      {"message_id of 65 chars", with_length(cat({head(0x80, 0, 0, 0x04), cstr(std::string(65, 'f'))})),
       command_status::invmsgid, "message_id"},
      {"message_id without NUL at the end of the PDU",
       with_length(cat({head(0x80, 0, 0, 0x04), raw("abc")})),
       command_status::invmsgid, "message_id"},
      {"submit_sm ends inside esm_class",
       with_length(cat({head(0, 0, 0, 0x04), {0x00, 0x05, 0x00}, cstr("S"), {0x01, 0x01},
                        cstr("6")})),
       command_status::invcmdlen, "esm_class"},
      {"submit_sm without sm_length",
       with_length(cat({head(0, 0, 0, 0x04), good_submit_fields()})),
       command_status::invcmdlen, "sm_length"},
      {"sm_length beyond the end",
       with_length(cat({head(0, 0, 0, 0x04), good_submit_fields(), {0x05}, raw("Hi")})),
       command_status::invmsglen, "sm_length"},
      {"sm_length 255",
       with_length(cat({head(0, 0, 0, 0x04), good_submit_fields(), {0xFF},
                        bytes(255, 'x')})),
       command_status::invmsglen, "sm_length"},
      {"truncated TLV header",
       with_length(cat({head(0, 0, 0, 0x04), good_submit_fields(), {0x00}, {0x02, 0x04, 0x00}})),
       command_status::invoptparstream, "tlv"},
      {"TLV value past the end",
       with_length(cat({head(0, 0, 0, 0x05), good_submit_fields(), {0x00},
                        {0x00, 0x1E, 0x00, 0x07}, raw("abc")})),
       command_status::invoptparstream, "receipted_message_id"},
      {"message_state with length 2",
       with_length(cat({head(0, 0, 0, 0x05), good_submit_fields(), {0x00},
                        {0x04, 0x27, 0x00, 0x02, 0x00, 0x02}})),
       command_status::invparlen, "message_state"},
      {"network_error_code with length 2",
       with_length(cat({head(0, 0, 0, 0x05), good_submit_fields(), {0x00},
                        {0x04, 0x23, 0x00, 0x02, 0x03, 0x00}})),
       command_status::invparlen, "network_error_code"},
      {"sar_msg_ref_num with length 1",
       with_length(cat({head(0, 0, 0, 0x04), good_submit_fields(), {0x00},
                        {0x02, 0x0C, 0x00, 0x01, 0x07}})),
       command_status::invparlen, "sar_msg_ref_num"},
      {"sc_interface_version empty",
       with_length(cat({head(0x80, 0, 0, 0x09), cstr("SMSC"), {0x02, 0x10, 0x00, 0x00}})),
       command_status::invparlen, "sc_interface_version"},
      {"receipted_message_id longer than 65",
       with_length(cat({head(0, 0, 0, 0x05), good_submit_fields(), {0x00},
                        {0x00, 0x1E, 0x00, 0x42}, cstr(std::string(65, 'a'))})),
       command_status::invparlen, "receipted_message_id"},
      {"sm_length > 0 together with message_payload",
       with_length(cat({head(0, 0, 0, 0x04), good_submit_fields(), {0x02}, raw("Hi"),
                        {0x04, 0x24, 0x00, 0x02}, raw("Hi")})),
       command_status::invmsglen, "message_payload"},
      {"trailing garbage on enquire_link", with_length(cat({head(0, 0, 0, 0x15), {0x01}})),
       command_status::invoptparstream, "tlv"},
  };
  for (auto const& c : cases) {
    INFO(c.name << ": " << hex(c.wire));
    auto const r = decode(c.wire);
    REQUIRE_FALSE(r.has_value());
    CHECK(command_status_name(r.error().status) == command_status_name(c.status));
    CHECK(r.error().field == c.field);
    CHECK_FALSE(r.error().message().empty());
  }
}

TEST_CASE("decode errors carry the header and point at the offending octet") {
  // source_addr starts at offset 16 + service_type(1) + ton(1) + npi(1) = 19.
  auto const wire = with_length(
      cat({head(0, 0, 0, 0x04), submit_fields(cstr(std::string(21, '1')), cstr("6")), {0}}));
  auto const r = decode(wire);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().command_id == 0x00000004);
  CHECK(r.error().sequence_number == 0x2A);
  CHECK(r.error().offset == 19);
  CHECK(r.error().message() ==
        "source_addr at offset 19: C-octet string exceeds 21 octets (including NUL) "
        "(ESME_RINVSRCADR)");

  auto const nack = make_generic_nack(r.error());
  CHECK(nack.id() == command_id::generic_nack);
  CHECK(nack.status == command_status::invsrcadr);
  CHECK(nack.sequence_number == 0x2A);
}

TEST_CASE("an unknown command_id is answered by generic_nack ESME_RINVCMDID echoing the sequence") {
  auto const r = decode(with_length(head(0, 0, 0, 0x21)));
  REQUIRE_FALSE(r.has_value());
  bytes out;
  REQUIRE_FALSE(encode(make_generic_nack(r.error()), out));
  CHECK(hex(out) == hex(cat({
                        {0x00, 0x00, 0x00, 0x10},  // command_length 16
                        {0x80, 0x00, 0x00, 0x00},  // generic_nack
                        {0x00, 0x00, 0x00, 0x03},  // ESME_RINVCMDID
                        {0x00, 0x00, 0x00, 0x2A},  // sequence_number echoed
                    })));
}

TEST_CASE("receipted_message_id without its NUL is tolerated (seen from real SMSCs)") {
  auto const wire = with_length(cat({head(0, 0, 0, 0x05), good_submit_fields(), {0x00},
                                     {0x00, 0x1E, 0x00, 0x03}, raw("abc")}));
  auto const r = decode(wire);
  REQUIRE(r.has_value());
  CHECK(get_c_string(r->tlvs, tag::receipted_message_id) == "abc");
}

TEST_CASE("encode rejects over-size fields, names them, and appends nothing") {
  bytes out{0xAA, 0xBB};  // pre-existing content must survive untouched
  auto expect_error = [&](pdu const& p, command_status status, std::string const& field) {
    auto const e = encode(p, out);
    REQUIRE(e.has_value());
    CHECK(command_status_name(e->status) == command_status_name(status));
    CHECK(e->field == field);
    CHECK(out == bytes{0xAA, 0xBB});
  };
  pdu p;
  p.sequence_number = 1;

  bind_transmitter b;
  b.password = "123456789";
  p.body = b;
  expect_error(p, command_status::invpaswd, "password");
  b.password = "12345678";
  b.system_id = std::string(16, 'u');
  p.body = b;
  expect_error(p, command_status::invsysid, "system_id");

  submit_sm s;
  s.destination_addr = std::string(21, '6');
  p.body = s;
  expect_error(p, command_status::invdstadr, "destination_addr");
  s.destination_addr = "62";
  s.source_addr = std::string("a\0b", 3);  // an embedded NUL would silently truncate
  p.body = s;
  expect_error(p, command_status::invsrcadr, "source_addr");
  s.source_addr = "S";
  s.short_message.assign(255, 'x');
  p.body = s;
  expect_error(p, command_status::invmsglen, "short_message");
  s.short_message.assign(2, 'x');
  p.body = s;
  p.tlvs = {{tag::message_payload, {'x'}}};
  expect_error(p, command_status::invmsglen, "message_payload");
  p.tlvs = {{tag::message_state, {0, 2}}};
  expect_error(p, command_status::invparlen, "message_state");
  p.tlvs = {{0x1400, bytes(0x10000, 0)}};
  expect_error(p, command_status::invparlen, "tlv");

  p.tlvs.clear();
  s.short_message.assign(254, 'x');  // the largest legal short_message
  p.body = s;
  REQUIRE_FALSE(encode(p, out));
  CHECK(out.size() == 2 + 16 + 1 + 2 + 2 + 2 + 3 + 3 + 1 + 1 + 4 + 1 + 254);
}

TEST_CASE("round trip: varied structs encode then decode to themselves") {
  std::mt19937 rng(20261126);
  auto text = [&](std::size_t max_chars) {
    std::uniform_int_distribution<std::size_t> len(0, max_chars);
    std::uniform_int_distribution<int> ch('!', '~');
    std::string s(len(rng), ' ');
    for (auto& c : s) c = static_cast<char>(ch(rng));
    return s;
  };
  auto octet = [&] { return static_cast<std::uint8_t>(rng() & 0xFF); };
  for (int i = 0; i < 300; ++i) {
    submit_sm s;
    s.service_type = text(5);
    s.source_addr_ton = octet();
    s.source_addr = text(20);
    s.destination_addr = text(20);
    s.esm_class = octet();
    s.schedule_delivery_time = text(16);
    s.validity_period = text(16);
    s.data_coding = octet();
    s.short_message.resize(rng() % 255);
    for (auto& b : s.short_message) b = octet();
    pdu p;
    p.sequence_number = static_cast<std::uint32_t>(rng());
    p.body = s;
    for (std::uint32_t t = rng() % 4; t > 0; --t)
      p.tlvs.push_back({static_cast<std::uint16_t>(0x1400 + rng() % 0x100), bytes(rng() % 40, octet())});
    bytes out;
    auto const e = encode(p, out);
    REQUIRE_FALSE(e.has_value());
    auto const d = decode(out);
    REQUIRE(d.has_value());
    CHECK(*d == p);
  }
}

TEST_CASE("decode survives every truncation and random corruption of valid PDUs") {
  // Several valid PDUs (encoded from structs), then: every prefix with command_length
  // patched to match, and seeded random byte flips. decode must return a value or an error;
  // whatever it accepts must re-encode and decode to the same struct.
  std::vector<pdu> seeds;
  {
    deliver_sm d;
    d.source_addr = "6281234567890";
    d.destination_addr = "SMSGW";
    d.esm_class = 4;
    d.short_message = raw("id:1 stat:DELIVRD");
    pdu p;
    p.sequence_number = 5;
    p.body = d;
    add_c_string(p.tlvs, tag::receipted_message_id, "1");
    add_u8(p.tlvs, tag::message_state, 2);
    seeds.push_back(p);
    bind_transceiver b;
    b.system_id = "smsgw";
    b.password = "pw";
    p.body = b;
    p.tlvs.clear();
    seeds.push_back(p);
    query_sm_resp q;
    q.message_id = "77";
    q.final_date = "251126010203000+";
    p.body = q;
    seeds.push_back(p);
  }
  std::mt19937 rng(7);
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  auto probe = [&](bytes const& wire) {
    auto const d = decode(wire);
    if (!d) {
      ++rejected;
      return;
    }
    ++accepted;
    bytes again;
    auto const e = encode(*d, again);
    REQUIRE_FALSE(e.has_value());
    auto const d2 = decode(again);
    REQUIRE(d2.has_value());
    CHECK(*d2 == *d);
  };
  for (auto const& p : seeds) {
    bytes wire;
    REQUIRE_FALSE(encode(p, wire));
    for (std::size_t n = 0; n <= wire.size(); ++n) {
      bytes cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(n));
      if (n >= 4) {
        auto const len = static_cast<std::uint32_t>(n);
        cut[0] = static_cast<std::uint8_t>(len >> 24);
        cut[1] = static_cast<std::uint8_t>(len >> 16);
        cut[2] = static_cast<std::uint8_t>(len >> 8);
        cut[3] = static_cast<std::uint8_t>(len);
      }
      probe(cut);
    }
    for (int i = 0; i < 2000; ++i) {
      bytes m = wire;
      for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips)
        m[4 + rng() % (m.size() - 4)] = static_cast<std::uint8_t>(rng());
      probe(m);
    }
  }
  CHECK(accepted > 0);
  CHECK(rejected > 0);
}
