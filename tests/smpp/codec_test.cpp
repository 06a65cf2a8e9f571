// tests/smpp/codec_test.cpp: golden byte vectors for every PDU type in smpp/pdu.hpp, written
// by hand from the SMPP 3.4 layout (docs/smpp.md §Mandatory fields) and annotated field by
// field. Each one must decode to the expected struct AND the struct must encode to exactly
// those bytes.
// Malformed input, encode errors and properties live in codec_malformed_test.cpp.
#include <catch2/catch.hpp>

#include "smpp/codec.hpp"
#include "smpp/tlv.hpp"
#include "tests/smpp/wire_bytes.hpp"

using namespace smsgw::smpp;
using namespace smsgw::smpp::test;

namespace {

void check_golden(bytes const& wire, pdu const& expected) {
  auto const decoded = decode(wire);
  INFO("wire " << hex(wire));
  if (!decoded) FAIL("decode failed: " << decoded.error().message());
  CHECK(*decoded == expected);
  bytes out;
  auto const err = encode(expected, out);
  if (err) FAIL("encode failed: " << err->message());
  CHECK(hex(out) == hex(wire));
}

pdu make(command_status status, std::uint32_t seq, pdu_body body, tlv_list tlvs = {}) {
  pdu p;
  p.status = status;
  p.sequence_number = seq;
  p.body = std::move(body);
  p.tlvs = std::move(tlvs);
  return p;
}

}  // namespace

TEST_CASE("bind_transceiver golden vector") {
  bytes const wire = cat({
      {0x00, 0x00, 0x00, 0x25},  // command_length 37
      {0x00, 0x00, 0x00, 0x09},  // command_id bind_transceiver
      {0x00, 0x00, 0x00, 0x00},  // command_status 0
      {0x00, 0x00, 0x00, 0x01},  // sequence_number 1
      cstr("smsgw"),             // system_id "smsgw\0" (6)
      cstr("secret"),            // password "secret\0" (7)
      cstr("OTP"),               // system_type "OTP\0" (4)
      {0x34},                    // interface_version 3.4
      {0x01},                    // addr_ton international
      {0x01},                    // addr_npi ISDN
      {0x00},                    // address_range ""
  });
  bind_transceiver b;
  b.system_id = "smsgw";
  b.password = "secret";
  b.system_type = "OTP";
  b.interface_version = 0x34;
  b.addr_ton = 1;
  b.addr_npi = 1;
  check_golden(wire, make(command_status::ok, 1, b));
}

TEST_CASE("bind_transmitter and bind_receiver golden vectors differ only in command_id") {
  auto body = [](std::uint8_t id) {
    return cat({
        {0x00, 0x00, 0x00, 0x19},  // command_length 25
        {0x00, 0x00, 0x00, id},    // command_id
        {0x00, 0x00, 0x00, 0x00},  // command_status
        {0x00, 0x00, 0x00, 0x02},  // sequence_number 2
        cstr("u"),                 // system_id "u"
        cstr("p"),                 // password "p"
        {0x00},                    // system_type ""
        {0x34},                    // interface_version
        {0x00},                    // addr_ton
        {0x00},                    // addr_npi
        {0x00},                    // address_range ""
    });
  };
  bind_transmitter tx;
  tx.system_id = "u";
  tx.password = "p";
  check_golden(body(0x02), make(command_status::ok, 2, tx));
  bind_receiver rx;
  rx.system_id = "u";
  rx.password = "p";
  check_golden(body(0x01), make(command_status::ok, 2, rx));
}

TEST_CASE("bind_transceiver_resp golden vector with sc_interface_version TLV") {
  bytes const wire = cat({
      {0x00, 0x00, 0x00, 0x1A},  // command_length 26
      {0x80, 0x00, 0x00, 0x09},  // command_id bind_transceiver_resp
      {0x00, 0x00, 0x00, 0x00},  // command_status ESME_ROK
      {0x00, 0x00, 0x00, 0x01},  // sequence_number 1
      cstr("SMSC"),              // system_id "SMSC\0" (5)
      {0x02, 0x10},              // TLV tag sc_interface_version
      {0x00, 0x01},              // TLV length 1
      {0x34},                    // value 3.4
  });
  bind_transceiver_resp r;
  r.system_id = "SMSC";
  check_golden(wire, make(command_status::ok, 1, r, {{tag::sc_interface_version, {0x34}}}));
}

TEST_CASE("bind_*_resp error responses: header only, or with an empty system_id") {
  SECTION("SMPP 3.4 form: 16 octets, no body") {
    bytes const wire = cat({
        {0x00, 0x00, 0x00, 0x10},  // command_length 16
        {0x80, 0x00, 0x00, 0x02},  // command_id bind_transmitter_resp
        {0x00, 0x00, 0x00, 0x0E},  // command_status ESME_RINVPASWD
        {0x00, 0x00, 0x00, 0x01},  // sequence_number 1
    });
    check_golden(wire, make(command_status::invpaswd, 1, bind_transmitter_resp{}));
  }
  SECTION("v3.3/v5.0 form: a single NUL system_id decodes to the same struct") {
    bytes const wire = cat({
        {0x00, 0x00, 0x00, 0x11},  // command_length 17
        {0x80, 0x00, 0x00, 0x01},  // command_id bind_receiver_resp
        {0x00, 0x00, 0x00, 0x0F},  // command_status ESME_RINVSYSID
        {0x00, 0x00, 0x00, 0x05},  // sequence_number 5
        {0x00},                    // system_id ""
    });
    auto const d = decode(wire);
    REQUIRE(d.has_value());
    CHECK(*d == make(command_status::invsysid, 5, bind_receiver_resp{}));
    bytes out;
    REQUIRE_FALSE(encode(*d, out, encode_options{.error_response_body = true}));
    CHECK(out == wire);
  }
}

TEST_CASE("outbind golden vector") {
  bytes const wire = cat({
      {0x00, 0x00, 0x00, 0x18},  // command_length 24
      {0x00, 0x00, 0x00, 0x0B},  // command_id outbind
      {0x00, 0x00, 0x00, 0x00},  // command_status
      {0x00, 0x00, 0x00, 0x07},  // sequence_number 7
      cstr("SMSC"),              // system_id (5)
      cstr("pw"),                // password (3)
  });
  outbind o;
  o.system_id = "SMSC";
  o.password = "pw";
  check_golden(wire, make(command_status::ok, 7, o));
}

TEST_CASE("header-only PDUs golden vectors") {
  auto header = [](std::uint8_t id0, std::uint8_t id3, std::uint8_t status, std::uint8_t seq) {
    return cat({
        {0x00, 0x00, 0x00, 0x10},     // command_length 16
        {id0, 0x00, 0x00, id3},       // command_id
        {0x00, 0x00, 0x00, status},   // command_status
        {0x00, 0x00, 0x00, seq},      // sequence_number
    });
  };
  check_golden(header(0x80, 0x00, 0x03, 9), make(command_status::invcmdid, 9, generic_nack{}));
  check_golden(header(0x00, 0x06, 0x00, 3), make(command_status::ok, 3, unbind{}));
  check_golden(header(0x80, 0x06, 0x00, 3), make(command_status::ok, 3, unbind_resp{}));
  check_golden(header(0x00, 0x15, 0x00, 4), make(command_status::ok, 4, enquire_link{}));
  check_golden(header(0x80, 0x15, 0x00, 4), make(command_status::ok, 4, enquire_link_resp{}));
  check_golden(header(0x80, 0x08, 0x11, 6), make(command_status::cancelfail, 6, cancel_sm_resp{}));
  check_golden(header(0x80, 0x07, 0x00, 8), make(command_status::ok, 8, replace_sm_resp{}));
}

TEST_CASE("submit_sm golden vector (OTP with relative validity and a TLV)") {
  bytes const wire = cat({
      {0x00, 0x00, 0x00, 0x59},  // command_length 89
      {0x00, 0x00, 0x00, 0x04},  // command_id submit_sm
      {0x00, 0x00, 0x00, 0x00},  // command_status
      {0x00, 0x00, 0x01, 0x00},  // sequence_number 256
      {0x00},                    // service_type ""
      {0x05},                    // source_addr_ton alphanumeric
      {0x00},                    // source_addr_npi unknown
      cstr("SMSGW"),             // source_addr (6)
      {0x01},                    // dest_addr_ton international
      {0x01},                    // dest_addr_npi ISDN
      cstr("6281234567890"),     // destination_addr (14)
      {0x00},                    // esm_class
      {0x00},                    // protocol_id
      {0x00},                    // priority_flag
      {0x00},                    // schedule_delivery_time "" (immediate)
      cstr("000000000500000R"),  // validity_period 5 minutes relative (17)
      {0x01},                    // registered_delivery: receipt on final outcome
      {0x00},                    // replace_if_present_flag
      {0x00},                    // data_coding SMSC default
      {0x00},                    // sm_default_msg_id
      {0x10},                    // sm_length 16
      raw("Kode OTP: 482913"),   // short_message (16)
      {0x02, 0x04},              // TLV tag user_message_reference
      {0x00, 0x02},              // TLV length 2
      {0x00, 0x2A},              // value 42
  });
  submit_sm s;
  s.source_addr_ton = 5;
  s.source_addr = "SMSGW";
  s.dest_addr_ton = 1;
  s.dest_addr_npi = 1;
  s.destination_addr = "6281234567890";
  s.validity_period = "000000000500000R";
  s.registered_delivery = 1;
  s.short_message = raw("Kode OTP: 482913");
  check_golden(wire, make(command_status::ok, 256, s, {{tag::user_message_reference, {0x00, 0x2A}}}));
}

TEST_CASE("submit_sm_resp golden vectors") {
  SECTION("success with message_id") {
    bytes const wire = cat({
        {0x00, 0x00, 0x00, 0x17},  // command_length 23
        {0x80, 0x00, 0x00, 0x04},  // command_id submit_sm_resp
        {0x00, 0x00, 0x00, 0x00},  // command_status ESME_ROK
        {0x00, 0x00, 0x01, 0x00},  // sequence_number 256
        cstr("a1b2c3"),            // message_id (7)
    });
    submit_sm_resp r;
    r.message_id = "a1b2c3";
    check_golden(wire, make(command_status::ok, 256, r));
  }
  SECTION("throttled, SMPP 3.4 form without body") {
    bytes const wire = cat({
        {0x00, 0x00, 0x00, 0x10},  // command_length 16
        {0x80, 0x00, 0x00, 0x04},  // command_id submit_sm_resp
        {0x00, 0x00, 0x00, 0x58},  // command_status ESME_RTHROTTLED
        {0x00, 0x00, 0x00, 0x03},  // sequence_number 3
    });
    check_golden(wire, make(command_status::throttled, 3, submit_sm_resp{}));
  }
  SECTION("submit failed, v3.3 form with a NUL message_id") {
    bytes const wire = cat({
        {0x00, 0x00, 0x00, 0x11},  // command_length 17
        {0x80, 0x00, 0x00, 0x04},  // command_id submit_sm_resp
        {0x00, 0x00, 0x00, 0x45},  // command_status ESME_RSUBMITFAIL
        {0x00, 0x00, 0x00, 0x03},  // sequence_number 3
        {0x00},                    // message_id ""
    });
    auto const d = decode(wire);
    REQUIRE(d.has_value());
    CHECK(*d == make(command_status::submitfail, 3, submit_sm_resp{}));
    bytes out;
    REQUIRE_FALSE(encode(*d, out, encode_options{.error_response_body = true}));
    CHECK(out == wire);
    out.clear();
    REQUIRE_FALSE(encode(*d, out));  // default: the SMPP 3.4 header-only form
    CHECK(out.size() == 16);
  }
  SECTION("an error response that carries a message_id keeps it") {
    bytes const wire = cat({
        {0x00, 0x00, 0x00, 0x13},  // command_length 19
        {0x80, 0x00, 0x00, 0x04},  // command_id submit_sm_resp
        {0x00, 0x00, 0x00, 0x14},  // command_status ESME_RMSGQFUL
        {0x00, 0x00, 0x00, 0x03},  // sequence_number 3
        cstr("xy"),                // message_id "xy"
    });
    submit_sm_resp r;
    r.message_id = "xy";
    check_golden(wire, make(command_status::msgqful, 3, r));
  }
}

TEST_CASE("an error response with TLVs keeps its (empty) body so the TLVs parse") {
  bytes const wire = cat({
      {0x00, 0x00, 0x00, 0x1C},  // command_length 28
      {0x80, 0x00, 0x00, 0x03},  // command_id query_sm_resp
      {0x00, 0x00, 0x00, 0x67},  // command_status ESME_RQUERYFAIL
      {0x00, 0x00, 0x00, 0x04},  // sequence_number 4
      {0x00},                    // message_id ""
      {0x00},                    // final_date ""
      {0x00},                    // message_state
      {0x00},                    // error_code
      {0x00, 0x1D}, {0x00, 0x04},  // TLV additional_status_info_text, length 4
      cstr("why"),               //   "why\0"
  });
  check_golden(wire, make(command_status::queryfail, 4, query_sm_resp{},
                          {{tag::additional_status_info_text, cstr("why")}}));
}

TEST_CASE("deliver_sm golden vector (delivery receipt with TLVs)") {
  bytes const wire = cat({
      {0x00, 0x00, 0x00, 0x68},          // command_length 104
      {0x00, 0x00, 0x00, 0x05},          // command_id deliver_sm
      {0x00, 0x00, 0x00, 0x00},          // command_status
      {0x00, 0x00, 0x00, 0x11},          // sequence_number 17
      {0x00},                            // service_type ""
      {0x01},                            // source_addr_ton
      {0x01},                            // source_addr_npi
      cstr("6281234567890"),             // source_addr (14)
      {0x05},                            // dest_addr_ton
      {0x00},                            // dest_addr_npi
      cstr("SMSGW"),                     // destination_addr (6)
      {0x04},                            // esm_class: SMSC delivery receipt
      {0x00},                            // protocol_id
      {0x00},                            // priority_flag
      {0x00},                            // schedule_delivery_time ""
      {0x00},                            // validity_period ""
      {0x00},                            // registered_delivery
      {0x00},                            // replace_if_present_flag
      {0x00},                            // data_coding
      {0x00},                            // sm_default_msg_id
      {0x1E},                            // sm_length 30
      raw("id:a1b2c3 stat:DELIVRD err:000"),  // short_message (30)
      {0x00, 0x1E}, {0x00, 0x07},        // TLV receipted_message_id, length 7
      cstr("a1b2c3"),                    //   value "a1b2c3\0"
      {0x04, 0x27}, {0x00, 0x01},        // TLV message_state, length 1
      {0x02},                            //   DELIVERED
      {0x04, 0x23}, {0x00, 0x03},        // TLV network_error_code, length 3
      {0x03, 0x00, 0x00},                //   GSM, error 0
  });
  deliver_sm d;
  d.source_addr_ton = 1;
  d.source_addr_npi = 1;
  d.source_addr = "6281234567890";
  d.dest_addr_ton = 5;
  d.destination_addr = "SMSGW";
  d.esm_class = 0x04;
  d.short_message = raw("id:a1b2c3 stat:DELIVRD err:000");
  tlv_list tlvs;
  add_c_string(tlvs, tag::receipted_message_id, "a1b2c3");
  add_u8(tlvs, tag::message_state, 2);
  tlvs.push_back({tag::network_error_code, {0x03, 0x00, 0x00}});
  check_golden(wire, make(command_status::ok, 17, d, tlvs));
}

TEST_CASE("deliver_sm_resp golden vector") {
  bytes const wire = cat({
      {0x00, 0x00, 0x00, 0x11},  // command_length 17
      {0x80, 0x00, 0x00, 0x05},  // command_id deliver_sm_resp
      {0x00, 0x00, 0x00, 0x00},  // command_status
      {0x00, 0x00, 0x00, 0x11},  // sequence_number 17
      {0x00},                    // message_id "" (unused)
  });
  check_golden(wire, make(command_status::ok, 17, deliver_sm_resp{}));
}

TEST_CASE("data_sm golden vector with message_payload") {
  bytes const wire = cat({
      {0x00, 0x00, 0x00, 0x34},  // command_length 52
      {0x00, 0x00, 0x01, 0x03},  // command_id data_sm
      {0x00, 0x00, 0x00, 0x00},  // command_status
      {0x00, 0x00, 0x00, 0x0C},  // sequence_number 12
      {0x00},                    // service_type ""
      {0x05}, {0x00},            // source_addr_ton, source_addr_npi
      cstr("SMSGW"),             // source_addr (6)
      {0x01}, {0x01},            // dest_addr_ton, dest_addr_npi
      cstr("6281234567890"),     // destination_addr (14)
      {0x00},                    // esm_class
      {0x01},                    // registered_delivery
      {0x08},                    // data_coding UCS-2
      {0x04, 0x24}, {0x00, 0x04},  // TLV message_payload, length 4
      {0x00, 0x48, 0x00, 0x69},  //   "Hi" in UTF-16BE
  });
  data_sm d;
  d.source_addr_ton = 5;
  d.source_addr = "SMSGW";
  d.dest_addr_ton = 1;
  d.dest_addr_npi = 1;
  d.destination_addr = "6281234567890";
  d.registered_delivery = 1;
  d.data_coding = 8;
  check_golden(wire, make(command_status::ok, 12, d, {{tag::message_payload, {0, 0x48, 0, 0x69}}}));
}

TEST_CASE("data_sm_resp golden vector") {
  bytes const wire = cat({
      {0x00, 0x00, 0x00, 0x13},  // command_length 19
      {0x80, 0x00, 0x01, 0x03},  // command_id data_sm_resp
      {0x00, 0x00, 0x00, 0x00},  // command_status
      {0x00, 0x00, 0x00, 0x0C},  // sequence_number 12
      cstr("m1"),                // message_id (3)
  });
  data_sm_resp r;
  r.message_id = "m1";
  check_golden(wire, make(command_status::ok, 12, r));
}

TEST_CASE("query_sm and query_sm_resp golden vectors") {
  bytes const query = cat({
      {0x00, 0x00, 0x00, 0x1F},  // command_length 31
      {0x00, 0x00, 0x00, 0x03},  // command_id query_sm
      {0x00, 0x00, 0x00, 0x00},  // command_status
      {0x00, 0x00, 0x00, 0x20},  // sequence_number 32
      cstr("a1b2c3"),            // message_id (7)
      {0x05}, {0x00},            // source_addr_ton, source_addr_npi
      cstr("SMSGW"),             // source_addr (6)
  });
  query_sm q;
  q.message_id = "a1b2c3";
  q.source_addr_ton = 5;
  q.source_addr = "SMSGW";
  check_golden(query, make(command_status::ok, 32, q));

  bytes const resp = cat({
      {0x00, 0x00, 0x00, 0x2A},  // command_length 42
      {0x80, 0x00, 0x00, 0x03},  // command_id query_sm_resp
      {0x00, 0x00, 0x00, 0x00},  // command_status
      {0x00, 0x00, 0x00, 0x20},  // sequence_number 32
      cstr("a1b2c3"),            // message_id (7)
      cstr("251126010203000+"),  // final_date (17)
      {0x02},                    // message_state DELIVERED
      {0x00},                    // error_code
  });
  query_sm_resp r;
  r.message_id = "a1b2c3";
  r.final_date = "251126010203000+";
  r.message_state = 2;
  check_golden(resp, make(command_status::ok, 32, r));
}

TEST_CASE("cancel_sm golden vector") {
  bytes const wire = cat({
      {0x00, 0x00, 0x00, 0x30},  // command_length 48
      {0x00, 0x00, 0x00, 0x08},  // command_id cancel_sm
      {0x00, 0x00, 0x00, 0x00},  // command_status
      {0x00, 0x00, 0x00, 0x21},  // sequence_number 33
      {0x00},                    // service_type ""
      cstr("a1b2c3"),            // message_id (7)
      {0x05}, {0x00},            // source_addr_ton, source_addr_npi
      cstr("SMSGW"),             // source_addr (6)
      {0x01}, {0x01},            // dest_addr_ton, dest_addr_npi
      cstr("6281234567890"),     // destination_addr (14)
  });
  cancel_sm c;
  c.message_id = "a1b2c3";
  c.source_addr_ton = 5;
  c.source_addr = "SMSGW";
  c.dest_addr_ton = 1;
  c.dest_addr_npi = 1;
  c.destination_addr = "6281234567890";
  check_golden(wire, make(command_status::ok, 33, c));
}

TEST_CASE("replace_sm golden vector") {
  bytes const wire = cat({
      {0x00, 0x00, 0x00, 0x39},  // command_length 57
      {0x00, 0x00, 0x00, 0x07},  // command_id replace_sm
      {0x00, 0x00, 0x00, 0x00},  // command_status
      {0x00, 0x00, 0x00, 0x22},  // sequence_number 34
      cstr("a1b2c3"),            // message_id (7)
      {0x05}, {0x00},            // source_addr_ton, source_addr_npi
      cstr("SMSGW"),             // source_addr (6)
      {0x00},                    // schedule_delivery_time ""
      cstr("000000000500000R"),  // validity_period (17)
      {0x01},                    // registered_delivery
      {0x00},                    // sm_default_msg_id
      {0x05},                    // sm_length 5
      raw("Hello"),              // short_message
  });
  replace_sm r;
  r.message_id = "a1b2c3";
  r.source_addr_ton = 5;
  r.source_addr = "SMSGW";
  r.validity_period = "000000000500000R";
  r.registered_delivery = 1;
  r.short_message = raw("Hello");
  check_golden(wire, make(command_status::ok, 34, r));
}

TEST_CASE("alert_notification golden vector") {
  bytes const wire = cat({
      {0x00, 0x00, 0x00, 0x2D},  // command_length 45
      {0x00, 0x00, 0x01, 0x02},  // command_id alert_notification
      {0x00, 0x00, 0x00, 0x00},  // command_status
      {0x00, 0x00, 0x00, 0x23},  // sequence_number 35
      {0x01}, {0x01},            // source_addr_ton, source_addr_npi
      cstr("6281234567890"),     // source_addr (14)
      {0x05}, {0x00},            // esme_addr_ton, esme_addr_npi
      cstr("SMSGW"),             // esme_addr (6)
      {0x04, 0x22}, {0x00, 0x01},  // TLV ms_availability_status, length 1
      {0x00},                    //   available
  });
  alert_notification a;
  a.source_addr_ton = 1;
  a.source_addr_npi = 1;
  a.source_addr = "6281234567890";
  a.esme_addr_ton = 5;
  a.esme_addr = "SMSGW";
  check_golden(wire, make(command_status::ok, 35, a, {{tag::ms_availability_status, {0x00}}}));
}

TEST_CASE("unknown and vendor TLVs are kept verbatim and in order") {
  bytes const wire = cat({
      {0x00, 0x00, 0x00, 0x2C},  // command_length 44
      {0x80, 0x00, 0x00, 0x04},  // command_id submit_sm_resp
      {0x00, 0x00, 0x00, 0x00},  // command_status
      {0x00, 0x00, 0x00, 0x01},  // sequence_number 1
      cstr("abc"),               // message_id (4)
      {0x14, 0x22}, {0x00, 0x04},  // TLV 0x1422 (vendor: Nexmo price), length 4
      raw("0.05"),               //   value
      {0x14, 0x21}, {0x00, 0x00},  // TLV 0x1421, empty value
      {0x00, 0x1D}, {0x00, 0x04},  // TLV additional_status_info_text, length 4
      cstr("f o"),               //   "f o\0"
      {0x7F, 0xFF}, {0x00, 0x00},  // TLV 0x7fff unknown, empty
  });
  submit_sm_resp r;
  r.message_id = "abc";
  tlv_list const tlvs{{0x1422, raw("0.05")},
                      {0x1421, {}},
                      {tag::additional_status_info_text, cstr("f o")},
                      {0x7FFF, {}}};
  check_golden(wire, make(command_status::ok, 1, r, tlvs));
}

TEST_CASE("command_name spells every command as the spec does") {
  CHECK(command_name(command_id::submit_sm_resp) == "submit_sm_resp");
  CHECK(command_name(command_id::generic_nack) == "generic_nack");
  CHECK(command_name(command_id::bind_transceiver) == "bind_transceiver");
  CHECK(command_name(command_id::alert_notification) == "alert_notification");
  CHECK(command_name(static_cast<command_id>(0x21)) == "unknown");
}

TEST_CASE("patch_sequence_number rewrites only the sequence_number of an encoded PDU") {
  submit_sm s;
  s.destination_addr = "6281234567890";
  s.short_message = {'h', 'i'};
  bytes out = {0xAA, 0xBB};  // something before the PDU in the same buffer stays as it is
  REQUIRE_FALSE(encode(make(command_status::ok, 0, s), out));
  auto pdu_bytes = std::span(out).subspan(2);
  REQUIRE(patch_sequence_number(pdu_bytes, 0x01020304));
  CHECK(out[0] == 0xAA);
  CHECK(out[1] == 0xBB);
  auto const decoded = decode(pdu_bytes);
  REQUIRE(decoded.has_value());
  CHECK(*decoded == make(command_status::ok, 0x01020304, s));
}

TEST_CASE("patch_sequence_number refuses a buffer shorter than a header") {
  bytes out(15, 0);
  CHECK_FALSE(patch_sequence_number(out, 7));
  CHECK(out == bytes(15, 0));
}
