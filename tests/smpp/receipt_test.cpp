// tests/smpp/receipt_test.cpp: smpp/receipt.hpp against real-world DLR shapes — the spec
// Appendix B text, Kannel/Jasmin-style variants, case and spacing quirks, odd ids, TLV-only
// and TLV-vs-text receipts, message_payload receipts, intermediate and ACCEPTD handling.
#include <catch2/catch.hpp>

#include <string>

#include "smpp/receipt.hpp"
#include "smpp/tlv.hpp"

using namespace smsgw::smpp;

namespace {

deliver_sm dlr(std::string const& text, std::uint8_t esm_class = 0x04) {
  deliver_sm sm;
  sm.source_addr = "6281234567890";
  sm.destination_addr = "OTPSENDER";
  sm.esm_class = esm_class;
  sm.short_message.assign(text.begin(), text.end());
  return sm;
}

delivery_receipt parse(std::string const& text, tlv_list const& tlvs = {}, receipt_options const& o = {}) {
  auto r = parse_receipt(dlr(text), tlvs, o);
  INFO(text);
  if (!r) FAIL("parse failed: " << r.error().message());
  return r.value();
}

}  // namespace

TEST_CASE("DLR 1: spec Appendix B text, 10-digit dates") {
  auto const r = parse(
      "id:0123456789 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 "
      "text:Kode OTP Anda 48291");
  CHECK(r.message_id == "0123456789");
  CHECK_FALSE(r.id_from_tlv);
  CHECK(r.state == message_state::delivered);
  CHECK(r.is_final);
  CHECK(r.success);
  CHECK(r.stat == "DELIVRD");
  CHECK(r.err == "000");
  CHECK(r.fields.sub == "001");
  CHECK(r.fields.dlvrd == "001");
  CHECK(r.submit_date == receipt_date{2025, 1, 1, 12, 0, std::nullopt});
  CHECK(r.done_date == receipt_date{2025, 1, 1, 12, 1, std::nullopt});
  CHECK(r.text == "Kode OTP Anda 48291");
}

TEST_CASE("DLR 2: 12-digit dates with seconds") {
  auto const r = parse("id:77 sub:001 dlvrd:001 submit date:251126093015 done date:251126093142 stat:DELIVRD err:000 text:");
  CHECK(r.submit_date == receipt_date{2025, 11, 26, 9, 30, 15});
  CHECK(r.done_date == receipt_date{2025, 11, 26, 9, 31, 42});
  CHECK(r.text.empty());
}

TEST_CASE("DLR 3: fields in another order (stat and err before id)") {
  auto const r = parse("stat:UNDELIV err:001 id:5001 done date:2501011201 submit date:2501011200 sub:001 dlvrd:000");
  CHECK(r.message_id == "5001");
  CHECK(r.state == message_state::undeliverable);
  CHECK(r.is_final);
  CHECK_FALSE(r.success);
  CHECK(r.err == "001");
  CHECK(r.fields.dlvrd == "000");
}

TEST_CASE("DLR 4: upper-case keys and lower-case stat") {
  auto const r = parse("ID:AB12 SUB:001 DLVRD:001 SUBMIT DATE:2501011200 DONE DATE:2501011200 STAT:delivrd ERR:000 TEXT:hi");
  CHECK(r.message_id == "AB12");
  CHECK(r.state == message_state::delivered);
  CHECK(r.stat == "delivrd");
  CHECK(r.done_date.has_value());
  CHECK(r.text == "hi");
}

TEST_CASE("DLR 5: missing err and missing text") {
  auto const r = parse("id:42 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:EXPIRED");
  CHECK(r.state == message_state::expired);
  CHECK(r.is_final);
  CHECK_FALSE(r.success);
  CHECK(r.err.empty());
  CHECK_FALSE(r.fields.err);
  CHECK_FALSE(r.fields.text);
}

TEST_CASE("DLR 6: extra spaces everywhere, space before colon") {
  auto const r = parse("  id: 12345   sub:001  dlvrd:001 submit  date: 2501011200   done date :2501011201  stat : REJECTD   err: 0A1  text:  x  ");
  CHECK(r.message_id == "12345");
  CHECK(r.state == message_state::rejected);
  CHECK(r.err == "0A1");
  CHECK(r.submit_date.has_value());
  CHECK(r.done_date.has_value());
  CHECK(r.text == "x");
}

TEST_CASE("DLR 7: id with leading zeros is kept raw") {
  CHECK(parse("id:0000001234 stat:DELIVRD").message_id == "0000001234");
}

TEST_CASE("DLR 8: 64-bit hex id") {
  auto const r = parse("id:812FC7470000001B sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:");
  CHECK(r.message_id == "812FC7470000001B");
}

TEST_CASE("DLR 9: UUID id with dashes") {
  auto const r = parse("id:6f1c2a9e-3b4d-4c5e-8f70-1a2b3c4d5e6f sub:001 dlvrd:001 stat:DELIVRD err:000");
  CHECK(r.message_id == "6f1c2a9e-3b4d-4c5e-8f70-1a2b3c4d5e6f");
}

TEST_CASE("DLR 10: text containing colons and key-like words is never parsed as keys") {
  auto const r = parse("id:9 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 "
                       "text:stat:REJECTD id:999 url:https://x.id/a");
  CHECK(r.message_id == "9");
  CHECK(r.state == message_state::delivered);
  CHECK(r.text == "stat:REJECTD id:999 url:https://x.id/a");
}

TEST_CASE("DLR 11: 'Text:' capitalised and Jasmin-style underscores in date keys") {
  auto const r = parse("id:31 sub:001 dlvrd:001 submit_date:2501011200 done_date:2501011201 stat:DELIVRD err:000 Text:Halo");
  CHECK(r.text == "Halo");
  CHECK(r.submit_date == receipt_date{2025, 1, 1, 12, 0, std::nullopt});
  CHECK(r.done_date == receipt_date{2025, 1, 1, 12, 1, std::nullopt});
}

TEST_CASE("DLR 12: TLV-only receipt (empty short_message)") {
  tlv_list tlvs;
  add_c_string(tlvs, tag::receipted_message_id, "abc123");
  add_u8(tlvs, tag::message_state, 5);
  std::uint8_t const nec[] = {0x03, 0x00, 0x22};
  add_octets(tlvs, tag::network_error_code, nec);
  auto const r = parse("", tlvs);
  CHECK(r.message_id == "abc123");
  CHECK(r.id_from_tlv);
  CHECK(r.state_from_tlv);
  CHECK(r.state == message_state::undeliverable);
  CHECK(r.is_final);
  CHECK_FALSE(r.success);
  CHECK(r.network_error_code == network_error{3, 0x0022});
  CHECK(r.stat.empty());
}

TEST_CASE("DLR 13: TLV and text disagree -> TLV wins, text kept in fields") {
  tlv_list tlvs;
  add_c_string(tlvs, tag::receipted_message_id, "222");
  add_u8(tlvs, tag::message_state, 2);
  auto const r = parse("id:111 sub:001 dlvrd:000 submit date:2501011200 done date:2501011201 stat:UNDELIV err:005 text:", tlvs);
  CHECK(r.message_id == "222");
  CHECK(r.state == message_state::delivered);
  CHECK(r.success);
  CHECK(r.fields.id == "111");
  CHECK(r.stat == "UNDELIV");
  CHECK(r.err == "005");
}

TEST_CASE("DLR 14: invalid message_state TLV value falls back to the text") {
  tlv_list tlvs;
  add_u8(tlvs, tag::message_state, 42);
  auto const r = parse("id:1 stat:DELIVRD", tlvs);
  CHECK_FALSE(r.state_from_tlv);
  CHECK(r.state == message_state::delivered);
}

TEST_CASE("DLR 15: text in message_payload when sm_length is 0") {
  std::string const text = "id:88 sub:001 dlvrd:001 submit date:2501011200 done date:2501011201 stat:DELIVRD err:000 text:";
  deliver_sm sm = dlr("");
  tlv_list tlvs;
  add_octets(tlvs, tag::message_payload, std::span(reinterpret_cast<std::uint8_t const*>(text.data()), text.size()));
  auto const r = parse_receipt(sm, tlvs).value();
  CHECK(r.message_id == "88");
  CHECK(r.success);
}

TEST_CASE("DLR 16: intermediate notification (esm_class 0x20) ENROUTE is not final") {
  auto const r = parse_receipt(dlr("id:5 sub:001 dlvrd:000 submit date:2501011200 done date:2501011200 stat:ENROUTE err:000", 0x20), {}).value();
  CHECK(r.intermediate);
  CHECK(r.state == message_state::enroute);
  CHECK_FALSE(r.is_final);
  CHECK_FALSE(r.success);
  // Even a DELIVRD word in an intermediate notification is not the final answer.
  CHECK_FALSE(parse_receipt(dlr("id:5 stat:DELIVRD", 0x20), {}).value().is_final);
}

TEST_CASE("DLR 17: ACCEPTD is non-final by default, configurable per route") {
  std::string const t = "id:6 sub:001 dlvrd:000 submit date:2501011200 done date:2501011200 stat:ACCEPTD err:000 text:";
  auto const def = parse(t);
  CHECK(def.state == message_state::accepted);
  CHECK_FALSE(def.is_final);
  receipt_options o;
  o.accepted = accepted_policy::final_success;
  auto const ok = parse(t, {}, o);
  CHECK(ok.is_final);
  CHECK(ok.success);
  o.accepted = accepted_policy::final_failure;
  auto const bad = parse(t, {}, o);
  CHECK(bad.is_final);
  CHECK_FALSE(bad.success);
}

TEST_CASE("DLR 18: esm_class is classified with & 0x3C") {
  CHECK(is_receipt(0x04));
  CHECK(is_receipt(0x44));  // UDHI + receipt
  CHECK(is_receipt(0x20));
  CHECK(is_receipt(0x63));  // intermediate + UDHI + store-and-forward mode bits
  CHECK_FALSE(is_receipt(0x24));  // 0x24 is neither type
  CHECK_FALSE(is_receipt(0x00));
  CHECK_FALSE(is_receipt(0x08));  // SME delivery ack
  CHECK_FALSE(is_receipt(0x40));
  CHECK(parse_receipt(dlr("id:1 stat:DELIVRD", 0x00), {}).error() == content_errc::not_a_receipt);
  CHECK(parse_receipt(dlr("id:1 stat:DELIVRD", 0x08), {}).error() == content_errc::not_a_receipt);
  receipt_options lax;
  lax.require_receipt_esm_class = false;
  CHECK(parse_receipt(dlr("id:1 stat:DELIVRD", 0x00), {}, lax).value().success);
}

TEST_CASE("DLR 19: missing id or state is an error value") {
  CHECK(parse_receipt(dlr("sub:001 dlvrd:001 stat:DELIVRD"), {}).error() == content_errc::receipt_missing_id);
  CHECK(parse_receipt(dlr("id: stat:DELIVRD"), {}).error() == content_errc::receipt_missing_id);
  CHECK(parse_receipt(dlr("id:12 sub:001 err:000"), {}).error() == content_errc::receipt_missing_state);
  CHECK(parse_receipt(dlr("hello, this is an MO message"), {}).error() == content_errc::receipt_missing_id);
  CHECK(parse_receipt(dlr(""), {}).error() == content_errc::receipt_missing_id);
}

TEST_CASE("DLR 20: unrecognised stat word is UNKNOWN, final failure, long spellings accepted") {
  auto const r = parse("id:1 stat:FAILED err:999");
  CHECK(r.state == message_state::unknown);
  CHECK(r.is_final);
  CHECK_FALSE(r.success);
  CHECK(r.stat == "FAILED");
  CHECK(parse("id:1 stat:Delivered").state == message_state::delivered);
  CHECK(parse("id:1 stat:UNDELIVERABLE").state == message_state::undeliverable);
  CHECK(parse("id:1 stat:DELETED").state == message_state::deleted);
}

TEST_CASE("DLR 21: malformed dates stay raw, parse continues") {
  auto const r = parse("id:1 submit date:2513321299 done date:25010112 stat:DELIVRD");
  CHECK_FALSE(r.submit_date);
  CHECK_FALSE(r.done_date);
  CHECK(r.fields.submit_date == "2513321299");
  CHECK(r.fields.done_date == "25010112");
  CHECK(r.success);
}

TEST_CASE("DLR 22: data_sm receipt with text in message_payload and TLVs") {
  data_sm sm;
  sm.esm_class = 0x04;
  std::string const text = "id:DS1 stat:EXPIRED err:000";
  tlv_list tlvs;
  add_octets(tlvs, tag::message_payload, std::span(reinterpret_cast<std::uint8_t const*>(text.data()), text.size()));
  auto const r = parse_receipt(sm, tlvs).value();
  CHECK(r.message_id == "DS1");
  CHECK(r.state == message_state::expired);
  add_c_string(tlvs, tag::receipted_message_id, "DS2");
  CHECK(parse_receipt(sm, tlvs).value().message_id == "DS2");
}

TEST_CASE("DLR 23: UCS-2 receipt text and a NUL-terminated short_message") {
  std::string const t = "id:u1 stat:DELIVRD";
  deliver_sm sm = dlr("");
  sm.data_coding = 0x08;
  for (char c : t) {
    sm.short_message.push_back(0);
    sm.short_message.push_back(static_cast<std::uint8_t>(c));
  }
  CHECK(parse_receipt(sm, {}).value().message_id == "u1");
  deliver_sm nul = dlr(std::string("id:n1 stat:DELIVRD") + '\0' + "junk");
  CHECK(parse_receipt(nul, {}).value().state == message_state::delivered);
}

TEST_CASE("stat words and message_state agree both ways") {
  for (int v = 0; v <= 9; ++v) {
    auto const s = static_cast<message_state>(v);
    CHECK(message_state_from_stat(stat_text(s)) == s);
  }
  CHECK(stat_text(message_state::undeliverable) == "UNDELIV");
  CHECK(stat_text(message_state::accepted) == "ACCEPTD");
  CHECK(stat_text(message_state::rejected) == "REJECTD");
}

TEST_CASE("format_receipt_text writes the standard form and parses back") {
  receipt_text_input in;
  in.id = "0870928761";
  in.submit_date = format_receipt_date(std::chrono::sys_days{std::chrono::year{2025} / 1 / 2} + std::chrono::hours{3} + std::chrono::minutes{4});
  in.done_date = format_receipt_date(std::chrono::sys_days{std::chrono::year{2025} / 1 / 2} + std::chrono::hours{3} + std::chrono::minutes{5} + std::chrono::seconds{6}, true);
  in.state = message_state::undeliverable;
  in.err = "034";
  in.text = "Kode OTP Anda 482913. Jangan berikan";
  std::string const s = format_receipt_text(in);
  CHECK(s == "id:0870928761 sub:001 dlvrd:001 submit date:2501020304 done date:250102030506 stat:UNDELIV err:034 text:Kode OTP Anda 482913");
  auto const r = parse(s);
  CHECK(r.message_id == in.id);
  CHECK(r.state == message_state::undeliverable);
  CHECK(r.err == "034");
  CHECK(r.done_date == receipt_date{2025, 1, 2, 3, 5, 6});
  // 20 characters, not octets: a multi-byte character is never cut.
  in.text = std::string(19, 'a') + "\xE2\x82\xAC" + "bbb";
  CHECK(parse(format_receipt_text(in)).text == std::string(19, 'a') + "\xE2\x82\xAC");
}

TEST_CASE("parse_receipt_text: first occurrence wins, keys must start a word") {
  auto const f = parse_receipt_text("id:1 id:2 xstat:BAD stat:DELIVRD");
  CHECK(f.id == "1");
  CHECK(f.stat == "DELIVRD");
}

TEST_CASE("DLR 24: Latin-1 octets in the text are converted to UTF-8") {
  deliver_sm sm = dlr("id:L1 stat:DELIVRD text:Caf");
  sm.short_message.push_back(0xE9);  // é in Latin-1, not valid UTF-8 on its own
  CHECK(parse_receipt(sm, {}).value().text == "Caf\xC3\xA9");
}

TEST_CASE("parse_receipt_text: two-word key spellings") {
  auto const f = parse_receipt_text("id:1 submitdate:2501011200 done  date:2501011201 stat:DELIVRD");
  CHECK(f.submit_date == "2501011200");
  CHECK(f.done_date == "2501011201");
  auto const g = parse_receipt_text("id:1 Submit Date:2501011200 DONE_DATE:2501011201");
  CHECK(g.submit_date == "2501011200");
  CHECK(g.done_date == "2501011201");
}
