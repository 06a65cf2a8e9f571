// tests/tools/pdu_json_test.cpp: the JSON mapping of smsgw-pdu (tools/smsgw-pdu/pdu_json.hpp)
// and its hex parser. The story: a golden OTP submit_sm prints every field by spec name; every
// PDU type survives bytes -> JSON text -> bytes unchanged; the "text" shortcut picks the right
// data_coding; and each kind of bad JSON is refused with the path of the offending key.
#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "smpp/codec.hpp"
#include "tools/smsgw-pdu/hex.hpp"
#include "tools/smsgw-pdu/pdu_json.hpp"

namespace json = boost::json;
namespace smpp = smsgw::smpp;
using smsgw::pdu_tool::from_json;
using smsgw::pdu_tool::parse_hex;
using smsgw::pdu_tool::to_hex;
using smsgw::pdu_tool::to_json;

namespace {

std::vector<std::uint8_t> bytes_of(std::string_view hex) {
  std::vector<std::uint8_t> out;
  REQUIRE_FALSE(parse_hex(hex, out));
  return out;
}

json::object decode_to_json(std::string_view hex) {
  auto const bytes = bytes_of(hex);
  auto p = smpp::decode(bytes);
  REQUIRE(p.has_value());
  return to_json(*p, bytes.size());
}

/// JSON text of `p` parsed back and encoded: the round trip an operator does with the CLI.
std::vector<std::uint8_t> through_json(smpp::pdu const& p, std::size_t length) {
  auto const text = json::serialize(to_json(p, length));
  auto const v = json::parse(text);
  auto back = from_json(v);
  if (!back) FAIL(back.error().message() << " in " << text);
  CHECK(*back == p);
  auto out = smsgw::pdu_tool::encode_json(v);
  if (!out) FAIL(out.error().message());
  return *out;
}

std::string error_of(std::string_view json_text) {
  auto r = from_json(json::parse(json_text));
  REQUIRE_FALSE(r.has_value());
  return r.error().message();
}

smpp::pdu pdu_from(std::string_view json_text) {
  auto r = from_json(json::parse(json_text));
  if (!r) FAIL(r.error().message());
  return *r;
}

// The OTP submit_sm of tests/tools/captures/otp_submit_sm.hex (annotated there).
constexpr std::string_view otp_submit_sm =
    "0000005d 00000004 00000000 00000001 00 0500 4f545000 0101 3632383132333435363738393000"
    "000000 00 30303030303030303035303030303052 00 01000000 10 4b6f6465204f54503a20343832393133"
    "0204 0002 002a 1421 0002 0102";

}  // namespace

TEST_CASE("hex parsing accepts capture separators and names the bad character") {
  std::vector<std::uint8_t> out;
  CHECK_FALSE(parse_hex("00:01 0x02-03\t0A.ff", out));
  CHECK(out == std::vector<std::uint8_t>{0x00, 0x01, 0x02, 0x03, 0x0a, 0xff});
  CHECK(to_hex(out) == "000102030aff");

  out.clear();
  auto e = parse_hex("0000 001g", out);
  REQUIRE(e);
  CHECK(e->position == 8);
  CHECK(e->message() == "bad hex at character 8: 'g' is not a hex digit");

  e = parse_hex("00010", out);
  REQUIRE(e);
  CHECK(e->position == 4);
  CHECK(e->what.find("odd number") != std::string::npos);

  e = parse_hex("0 1", out);  // a separator inside an octet is a typo, not "01"
  REQUIRE(e);
  CHECK(e->position == 0);
}

TEST_CASE("a golden OTP submit_sm prints every field by spec name") {
  auto const o = decode_to_json(otp_submit_sm);
  CHECK(o.at("command_length") == 93);
  CHECK(o.at("command_id") == "0x00000004");
  CHECK(o.at("command_name") == "submit_sm");
  CHECK(o.at("command_status_name") == "ESME_ROK");
  CHECK(o.at("sequence_number") == 1);
  auto const& body = o.at("body").as_object();
  CHECK(body.size() == 18);  // 17 mandatory fields + the derived sm_length
  CHECK(body.at("source_addr_ton") == 5);
  CHECK(body.at("source_addr") == "OTP");
  CHECK(body.at("destination_addr") == "6281234567890");
  CHECK(body.at("validity_period") == "000000000500000R");
  CHECK(body.at("registered_delivery") == 1);
  CHECK(body.at("sm_length") == 16);
  CHECK(body.at("short_message") == "4b6f6465204f54503a20343832393133");
  auto const& tlvs = o.at("tlvs").as_array();
  REQUIRE(tlvs.size() == 2);
  CHECK(tlvs[0].at("tag") == "0x0204");
  CHECK(tlvs[0].at("name") == "user_message_reference");
  CHECK(tlvs[0].at("value") == 42);
  CHECK(tlvs[1].at("tag") == "0x1421");  // vendor TLV: no name, raw hex, kept
  CHECK_FALSE(tlvs[1].as_object().contains("name"));
  CHECK(tlvs[1].at("hex") == "0102");
  auto const& decoded = o.at("decoded").as_object();
  CHECK(decoded.at("encoding") == "gsm7");
  CHECK(decoded.at("text") == "Kode OTP: 482913");
}

TEST_CASE("every PDU type round-trips bytes -> JSON -> bytes") {
  // Each capture is a whole PDU written by hand; through_json() must give back the same octets.
  auto const hex = GENERATE(as<std::string>{},
      "0000001080000000000000030000000a",  // generic_nack RINVCMDID
      "00000024000000020000000000000001737973310073656372657400534d530034010100",  // bind_transmitter
      "000000210000000100000000000000027379733100707700003400003632382a00",  // bind_receiver, address_range
      "0000001f000000090000000000000003737973310070617373000034010100",  // bind_transceiver
      "0000001a800000090000000000000003534d5343000210000134",  // bind_transceiver_resp + sc_interface_version
      "00000010800000020000000e00000004",  // bind_transmitter_resp RINVPASWD, header only (3.4)
      "00000011800000020000000e0000000400",  // bind_transmitter_resp RINVPASWD, empty body sent (3.3)
      "00000015800000010000000000000005534d534300",  // bind_receiver_resp
      "0000001c0000000b0000000000000006534d53430070617373776400",  // outbind
      "00000010000000060000000000000007",  // unbind
      "00000010800000060000000000000007",  // unbind_resp
      "00000010000000150000000000000008",  // enquire_link
      "00000010800000150000000000000008",  // enquire_link_resp
      std::string(otp_submit_sm),
      "00000019800000040000000000000009333345393531373900",  // submit_sm_resp
      "00000010800000040000005800000009",  // submit_sm_resp RTHROTTLED
      "0000001180000005000000000000000a00",  // deliver_sm_resp
      "00000036000001030000000000000017000101363238313233343536373839300005004f5450000001080424000800480061006c006f",  // data_sm UCS-2 payload
      "0000001e8000010300000000000000173132330004250001000427000102",  // data_sm_resp + TLVs
      "0000001a0000000300000000000000183132330005004f545000",  // query_sm
      "00000027800000030000000000000018313233003235313132363031303230353030302b000200",  // query_sm_resp
      "00000026000000080000000000000019003132330005004f5450000101363238313233343500",  // cancel_sm
      "00000010800000080000000000000019",  // cancel_sm_resp
      "00000023000000070000000000000020313233000500414200000001000548656c6c6f",  // replace_sm
      "00000010800000070000000000000020",  // replace_sm_resp
      "000000210000010200000000000000210101363238313233343500000041424300");  // alert_notification
  auto const bytes = bytes_of(hex);
  INFO(hex);
  auto p = smpp::decode(bytes);
  if (!p) FAIL(p.error().message());
  CHECK(to_hex(through_json(*p, bytes.size())) == to_hex(bytes));
}

TEST_CASE("strings that are not UTF-8 and TLVs off their spec shape print as hex and round-trip") {
  smpp::pdu p;
  p.sequence_number = 5;
  smpp::submit_sm sm;
  sm.source_addr = "\xff\xfe" "A";  // Latin-1 bytes in an address: not UTF-8
  sm.short_message = {0x00, 0x1b, 0x65};
  p.body = sm;
  p.tlvs = {{smpp::tag::receipted_message_id, {'4', '2'}},  // no terminating NUL
            {smpp::tag::network_error_code, {0x03, 0x00, 0x0b}},
            {0x3000, {}}};
  auto const o = to_json(p, 0);
  CHECK(o.at("body").at("source_addr").at("hex") == "fffe41");
  CHECK(o.at("tlvs").at(0).at("hex") == "3432");
  CHECK(o.at("tlvs").at(1).at("value").at("error_code") == 11);
  CHECK(o.at("tlvs").at(2).at("length") == 0);
  CHECK(o.at("decoded").at("text") == "@€");
  std::vector<std::uint8_t> direct;
  REQUIRE_FALSE(smpp::encode(p, direct));
  CHECK(through_json(p, direct.size()) == direct);
}

TEST_CASE("\"text\" picks the smallest data_coding unless one is given") {
  SECTION("Indonesian OTP text in GSM 03.38, extension characters as ESC pairs") {
    auto p = pdu_from(R"({"command_name":"submit_sm","body":{"text":"Kode {OTP} Anda: 123456 €"}})");
    auto const& sm = std::get<smpp::submit_sm>(p.body);
    CHECK(sm.data_coding == 0);
    CHECK(to_hex(sm.short_message).find("1b28") != std::string::npos);  // '{' = ESC 0x28
    CHECK(to_hex(sm.short_message).substr(to_hex(sm.short_message).size() - 4) == "1b65");  // €
  }
  SECTION("an emoji needs UCS-2 (data_coding 8) with a surrogate pair") {
    auto p = pdu_from(R"({"command_name":"submit_sm","body":{"text":"OK 😀"}})");
    auto const& sm = std::get<smpp::submit_sm>(p.body);
    CHECK(sm.data_coding == 8);
    CHECK(to_hex(sm.short_message) == "004f004b0020d83dde00");
  }
  SECTION("an explicit data_coding 0xF1 keeps GSM 03.38 and the carrier's value") {
    auto p = pdu_from(R"({"command_name":"submit_sm","body":{"data_coding":"0xf1","text":"abc"}})");
    auto const& sm = std::get<smpp::submit_sm>(p.body);
    CHECK(sm.data_coding == 0xF1);
    CHECK(to_hex(sm.short_message) == "616263");
  }
  SECTION("errors") {
    CHECK(error_of(R"({"command_name":"submit_sm","body":{"data_coding":4,"text":"abc"}})")
              .starts_with("body.data_coding: data_coding 0x04 is not a text alphabet"));
    CHECK(error_of(R"({"command_name":"submit_sm","body":{"text":"a","short_message":"61"}})") ==
          "body.text: give either \"text\" or \"short_message\", not both");
    std::string const long_text(161, 'a');
    CHECK(error_of(R"({"command_name":"submit_sm","body":{"text":")" + long_text + "\"}}")
              .find("message_payload") != std::string::npos);
    CHECK(error_of(R"({"command_name":"submit_sm_resp","body":{"text":"a"}})") ==
          "body.text: unknown field for submit_sm_resp");
  }
}

TEST_CASE("hand-written JSON: defaults, names and typed TLVs") {
  auto p = pdu_from(R"({"command_name":"deliver_sm_resp","command_status":"ESME_RX_T_APPN",
                        "sequence_number":"0x7fffffff"})");
  CHECK(p.status == smpp::command_status::x_t_appn);
  CHECK(p.sequence_number == 0x7FFFFFFF);
  CHECK(std::holds_alternative<smpp::deliver_sm_resp>(p.body));

  p = pdu_from(R"({"command_id":"0x80000015"})");
  CHECK(p.sequence_number == 1);
  CHECK(std::holds_alternative<smpp::enquire_link_resp>(p.body));

  p = pdu_from(R"({"command_name":"data_sm","tlvs":[
      {"tag":"message_payload","hex":"414243"},
      {"tag":"receipted_message_id","value":"33E95179"},
      {"tag":1059,"value":{"network_type":3,"error_code":"0x0101"}},
      {"tag":"0x020c","value":65535}]})");
  REQUIRE(p.tlvs.size() == 4);
  CHECK(p.tlvs[0].tag == smpp::tag::message_payload);
  CHECK(to_hex(p.tlvs[1].value) == "333345393531373900");
  CHECK(to_hex(p.tlvs[2].value) == "030101");
  CHECK(to_hex(p.tlvs[3].value) == "ffff");
}

TEST_CASE("bad JSON input names the offending key") {
  CHECK(error_of("[1]") == "expected a JSON object describing one PDU");
  CHECK(error_of("{}") == "missing \"command_name\" (or \"command_id\")");
  CHECK(error_of(R"({"command_name":"submit_sm","bdy":{}})") == "bdy: unknown key");
  CHECK(error_of(R"({"command_name":"submit_smm"})") == "command_name: unknown PDU \"submit_smm\"");
  CHECK(error_of(R"({"command_id":"0x00000004","command_name":"deliver_sm"})") ==
        "command_id: disagrees with command_name \"deliver_sm\"");
  CHECK(error_of(R"({"command_id":"0x00000021"})") ==
        "command_id: 0x00000021 is not a PDU smsgw knows (see smpp/pdu.hpp)");
  CHECK(error_of(R"({"command_name":"submit_sm","body":{"esm_class":256}})") ==
        "body.esm_class: value out of range 0..255");
  CHECK(error_of(R"({"command_name":"submit_sm","body":{"esm_class":"0x4g"}})")
            .starts_with("body.esm_class: expected an integer"));
  CHECK(error_of(R"({"command_name":"submit_sm","body":{"source_addr":12}})") ==
        "body.source_addr: expected a string or {\"hex\": \"...\"}");
  CHECK(error_of(R"({"command_name":"submit_sm","body":{"short_message":"4"}})")
            .starts_with("body.short_message: bad hex at character 0"));
  CHECK(error_of(R"({"command_name":"submit_sm","body":{"source_addr_tom":1}})") ==
        "body.source_addr_tom: unknown field for submit_sm");
  CHECK(error_of(R"({"command_name":"submit_sm","command_status":"ESME_RNOPE"})") ==
        "command_status: unknown status name \"ESME_RNOPE\"");
  CHECK(error_of(R"({"command_name":"submit_sm","tlvs":[{"tag":"0x0427"}]})") ==
        "tlvs[0]: give exactly one of \"value\" and \"hex\"");
  CHECK(error_of(R"({"command_name":"submit_sm","tlvs":[{"tag":"0x0427","value":256}]})") ==
        "tlvs[0].value: value out of range 0..255");
  CHECK(error_of(R"({"command_name":"submit_sm","tlvs":[{"tag":"0x1400","value":1}]})") ==
        "tlvs[0].value: this TLV has no typed form; give its value as \"hex\"");
  CHECK(error_of(R"({"command_name":"submit_sm","tlvs":[{"tag":"bogus","hex":""}]})") ==
        "tlvs[0].tag: unknown TLV name \"bogus\" (give the tag in hex)");
  CHECK(error_of(R"({"command_name":"submit_sm","tlvs":{}})") == "tlvs: expected an array");
}

TEST_CASE("a delivery receipt's decoded block carries the parsed receipt") {
  // Text only, no TLVs, 12-digit dates, lower-case keys as some SMSCs send.
  std::string const text =
      "id:0870928761 sub:001 dlvrd:000 submit date:251126010203 done date:251126010409 "
      "stat:UNDELIV err:0b1 text:Kode";
  auto p = pdu_from(R"({"command_name":"deliver_sm","body":{"esm_class":4,"text":")" + text + "\"}}");
  auto const o = to_json(p, 0);
  auto const& r = o.at("decoded").at("receipt");
  CHECK(r.at("message_id") == "0870928761");
  CHECK(r.at("id_from_tlv") == false);
  CHECK(r.at("state_name") == "UNDELIV");
  CHECK(r.at("final") == true);
  CHECK(r.at("success") == false);
  CHECK(r.at("err") == "0b1");
  CHECK(r.at("done_date") == "2025-11-26 01:04:09");

  // A receipted_message_id that is not UTF-8 (found by fuzzing) still yields valid JSON.
  p = pdu_from(R"({"command_name":"deliver_sm","body":{"esm_class":4,"text":"stat:DELIVRD"},
                   "tlvs":[{"tag":"0x001e","hex":"33b5c600"}]})");
  auto const printed = json::serialize(to_json(p, 0));
  boost::system::error_code ec;
  auto const back = json::parse(printed, ec);
  REQUIRE_FALSE(ec);
  CHECK(back.at("decoded").at("receipt").at("message_id").at("hex") == "33b5c6");

  // esm_class says receipt but nothing identifies the message: the error is shown, not hidden.
  p = pdu_from(R"({"command_name":"deliver_sm","body":{"esm_class":4,"text":"hello"}})");
  CHECK(to_json(p, 0).at("decoded").at("receipt_error") == "delivery receipt carries no message id");
}

TEST_CASE("message id keys show which route id format makes a response and a receipt meet") {
  // docs/smpp.md §Message ids: submit_sm_resp says 33E95179, the receipt text says id:0870928761.
  auto resp = pdu_from(R"({"command_name":"submit_sm_resp","body":{"message_id":"33E95179"}})");
  auto const resp_keys = to_json(resp, 0).at("decoded").at("message_id_keys");
  auto dlr = pdu_from(R"({"command_name":"deliver_sm","body":{"esm_class":4,
                          "text":"id:0870928761 sub:001 dlvrd:001 stat:DELIVRD err:000"}})");
  auto const dlr_keys = to_json(dlr, 0).at("decoded").at("receipt").at("message_id_keys");
  CHECK(resp_keys.at("resp_hex_dlr_dec") == dlr_keys.at("resp_hex_dlr_dec"));
  CHECK(resp_keys.at("resp_hex_dlr_dec") == "33e95179");
  CHECK(resp_keys.at("same") != dlr_keys.at("same"));
}
