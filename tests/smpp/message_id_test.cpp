// tests/smpp/message_id_test.cpp: smpp/message_id.hpp — the same message must get the same key
// from its submit_sm_resp id and its receipt id under each per-route format, including the
// 64-bit trap (hex ids above INT64_MAX) and ids longer than 64 bits. Expected decimal/hex
// pairs were computed independently (Python int()).
#include <catch2/catch.hpp>

#include <string>

#include "smpp/message_id.hpp"

using namespace smsgw::smpp;
using f = message_id_format;

namespace {
std::string resp_key(std::string_view id, message_id_format fmt) {
  return message_id_key(id, message_id_side::submit_sm_resp, fmt);
}
std::string dlr_key(std::string_view id, message_id_format fmt) {
  return message_id_key(id, message_id_side::receipt, fmt);
}
}  // namespace

TEST_CASE("message ids that must match") {
  struct row {
    char const* resp;
    char const* dlr;
    message_id_format fmt;
  };
  auto const r = GENERATE(values<row>({
      {"33E95179", "0870928761", f::resp_hex_dlr_dec},          // spec example: 3.3-style hex vs 3.4 decimal
      {"33e95179", "870928761", f::resp_hex_dlr_dec},           // lower case, no leading zero
      {"0033E95179", "870928761", f::resp_hex_dlr_dec},         // leading zeros on the hex side
      {"812FC7470000001B", "9308878062554710043", f::resp_hex_dlr_dec},  // above INT64_MAX
      {"FFFFFFFFFFFFFFFF", "18446744073709551615", f::resp_hex_dlr_dec},  // UINT64_MAX
      {"10000000000000000", "18446744073709551616", f::resp_hex_dlr_dec},  // 2^64: beyond 64 bits
      {"18EE90FF6C373E0EE4E3F0AD2", "123456789012345678901234567890", f::resp_hex_dlr_dec},
      {"870928761", "33E95179", f::resp_dec_dlr_hex},
      {"9308878062554710043", "812fc7470000001b", f::resp_dec_dlr_hex},
      {"000870928761", "0033e95179", f::resp_dec_dlr_hex},
      {"0", "000", f::resp_hex_dlr_dec},
      {"ABCDEF12", "abcdef12", f::same},                        // case
      {"00AB12", "ab12", f::same},                              // leading zeros
      {"0870928761", "870928761", f::same},                     // decimal both sides
      {" 12345 ", "12345", f::same},                            // padding
      {"6F1C2A9E-3B4D-4C5E-8F70-1A2B3C4D5E6F", "6f1c2a9e-3b4d-4c5e-8f70-1a2b3c4d5e6f", f::same},  // UUID case
      {"msg-Xy_9", "msg-Xy_9", f::same},                        // opaque exact
  }));
  INFO(r.resp << " vs " << r.dlr);
  CHECK(resp_key(r.resp, r.fmt) == dlr_key(r.dlr, r.fmt));
}

TEST_CASE("message ids that must not match") {
  struct row {
    char const* resp;
    char const* dlr;
    message_id_format fmt;
  };
  auto const r = GENERATE(values<row>({
      {"33E95179", "870928761", f::same},                 // hex vs decimal needs a route setting
      {"33E95179", "870928762", f::resp_hex_dlr_dec},     // off by one
      {"aBcXyZ", "abcxyz", f::same},                      // non-hex opaque ids keep their case
      {"812FC7470000001B", "9223372036854775807", f::resp_hex_dlr_dec},  // strtoll saturation value
      {"10", "10", f::resp_hex_dlr_dec},                  // 0x10 != 10
      {"abc-1", "abc1", f::same},
  }));
  INFO(r.resp << " vs " << r.dlr);
  CHECK(resp_key(r.resp, r.fmt) != dlr_key(r.dlr, r.fmt));
}

TEST_CASE("canonical key form: lower-case hex of the value") {
  CHECK(dlr_key("9308878062554710043", f::resp_hex_dlr_dec) == "812fc7470000001b");
  CHECK(resp_key("0033E95179", f::resp_hex_dlr_dec) == "33e95179");
  CHECK(resp_key("000", f::same) == "0");
  CHECK(resp_key("Msg_1", f::same) == "Msg_1");
}

TEST_CASE("an id that does not fit its declared form falls back to the exact string") {
  CHECK(dlr_key("ABC-1", f::resp_hex_dlr_dec) == "abc-1");   // hex digits + dash: lower-cased
  CHECK(dlr_key("id_77", f::resp_hex_dlr_dec) == "id_77");
  CHECK(resp_key("xyz", f::resp_hex_dlr_dec) == "xyz");
  // It cannot collide with a numeric key: it contains a non-hex character.
  CHECK(dlr_key("ABC-1", f::resp_hex_dlr_dec) != resp_key("ABC1", f::resp_hex_dlr_dec));
}

TEST_CASE("decimal <-> hex conversion has no 64-bit limit") {
  CHECK(decimal_to_hex("18446744073709551616") == "10000000000000000");
  CHECK(hex_to_decimal("10000000000000000") == "18446744073709551616");
  CHECK(hex_to_decimal("812FC7470000001B") == "9308878062554710043");
  CHECK(decimal_to_hex("0") == "0");
  CHECK(hex_to_decimal("000") == "0");
  CHECK(decimal_to_hex("12a").empty());
  CHECK(hex_to_decimal("").empty());
  std::string const big(64, '9');  // the longest id SMPP allows
  CHECK(decimal_to_hex(hex_to_decimal(decimal_to_hex(big))) == decimal_to_hex(big));
  CHECK(hex_to_decimal(decimal_to_hex(big)) == big);
}

TEST_CASE("infer_message_id_format finds the route setting from one known pair") {
  CHECK(infer_message_id_format("33E95179", "0870928761") == std::vector{f::resp_hex_dlr_dec});
  CHECK(infer_message_id_format("870928761", "33e95179") == std::vector{f::resp_dec_dlr_hex});
  CHECK(infer_message_id_format("ABC", "abc") == std::vector{f::same});
  CHECK(infer_message_id_format("1", "2").empty());
  // Ambiguous pair: every format matches "0"/"0"; the caller must not auto-configure from it.
  CHECK(infer_message_id_format("0", "0").size() == 3);
}
