// tests/tools/redact_json_test.cpp: `smsgw-pdu decode --redact` (tools/smsgw-pdu/redact_json.*).
// Each case builds real wire octets (encode_json), decodes them the way the CLI does, redacts,
// and checks the printed JSON: the secret (OTP code, bind password, payload) is gone, the
// fields an operator needs (addresses, receipt id/stat/err, lengths) are still there.
#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "smpp/codec.hpp"
#include "tools/smsgw-pdu/pdu_json.hpp"
#include "tools/smsgw-pdu/redact_json.hpp"

namespace json = boost::json;
using namespace smsgw::pdu_tool;

namespace {

/// JSON -> octets -> decode -> JSON (-> redacted), as `encode | decode [--redact]` would.
json::object printed(std::string_view pdu_json, bool redact) {
  auto bytes = encode_json(json::parse(pdu_json));
  REQUIRE(bytes.has_value());
  auto p = smsgw::smpp::decode(*bytes);
  REQUIRE(p.has_value());
  auto o = to_json(*p, bytes->size());
  if (redact) redact_pdu_json(o);
  return o;
}

bool contains(json::object const& o, std::string_view needle) {
  return json::serialize(o).find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("mask_digits masks every digit and nothing else") {
  CHECK(mask_digits("Kode OTP Anda 123456, berlaku 5 menit") ==
        "Kode OTP Anda ******, berlaku * menit");
  CHECK(mask_digits("") == "");
  CHECK(mask_digits("tanpa angka") == "tanpa angka");
}

TEST_CASE("decode with redaction removes the OTP code from a submit_sm and keeps its addresses") {
  constexpr auto otp = R"({"command_name":"submit_sm","sequence_number":7,"body":{
      "source_addr":"BANK","destination_addr":"6281234567890",
      "text":"Kode OTP Anda 482913"}})";
  auto const clear = printed(otp, false);
  REQUIRE(contains(clear, "482913"));  // the decoder shows it without --redact

  auto const r = printed(otp, true);
  CHECK_FALSE(contains(r, "482913"));
  auto const& body = r.at("body").as_object();
  CHECK(body.at("destination_addr") == "6281234567890");
  CHECK(body.at("source_addr") == "BANK");
  CHECK(body.at("short_message") == "(20 octets redacted)");
  CHECK(body.at("sm_length") == 20);
  CHECK(r.at("decoded").at("text") == "Kode OTP Anda ******");
}

TEST_CASE("decode with redaction removes the bind password and keeps the system_id") {
  auto const r = printed(R"({"command_name":"bind_transceiver",
      "body":{"system_id":"tsel01","password":"s3cr3t"}})", true);
  CHECK_FALSE(contains(r, "s3cr3t"));
  CHECK(r.at("body").at("password") == "(redacted)");
  CHECK(r.at("body").at("system_id") == "tsel01");
}

TEST_CASE("decode with redaction removes a code carried in message_payload") {
  // "Kode 774411" as hex in the payload TLV, sm_length 0.
  auto const r = printed(R"({"command_name":"submit_sm","body":{"destination_addr":"628111"},
      "tlvs":[{"tag":"message_payload","hex":"4b6f646520373734343131"}]})", true);
  CHECK_FALSE(contains(r, "774411"));
  CHECK_FALSE(contains(r, "4b6f646520373734343131"));
  auto const& tlv = r.at("tlvs").as_array().at(0).as_object();
  CHECK(tlv.at("name") == "message_payload");
  CHECK(tlv.at("length") == 11);
}

TEST_CASE("decode with redaction keeps a receipt's id, stat, err and dates and masks only its text") {
  auto const r = printed(R"({"command_name":"deliver_sm","body":{"esm_class":4,"text":
      "id:7734 sub:001 dlvrd:001 submit date:2501010000 done date:2501010001 stat:UNDELIV err:034 text:Kode 665544"}})",
                         true);
  CHECK_FALSE(contains(r, "665544"));
  auto const& d = r.at("decoded").as_object();
  auto const text = std::string(d.at("text").as_string());
  CHECK(text.rfind("id:7734 sub:001 dlvrd:001 submit date:2501010000 done date:2501010001 "
                   "stat:UNDELIV err:034 text:Kode ******", 0) == 0);
  auto const& receipt = d.at("receipt").as_object();
  CHECK(receipt.at("message_id") == "7734");
  CHECK(receipt.at("stat") == "UNDELIV");
  CHECK(receipt.at("err") == "034");
  CHECK(receipt.at("text") == "Kode ******");
  CHECK(receipt.at("text_fields").at("text") == "Kode ******");
}

TEST_CASE("decode with redaction leaves a PDU without secrets unchanged") {
  constexpr auto enquire = R"({"command_name":"enquire_link","sequence_number":3})";
  CHECK(printed(enquire, true) == printed(enquire, false));
}
