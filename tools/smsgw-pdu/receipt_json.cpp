// tools/smsgw-pdu/receipt_json.cpp: see receipt_json.hpp. Dates print as "2025-01-01 12:00"
// (":ss" when the receipt had seconds), in the SMSC's local time as the receipt gives them.
// Strings are raw peer octets (a receipted_message_id TLV may hold anything), so each goes
// through c_string_to_json: a JSON string if valid UTF-8, else {"hex": ...}. Found by fuzzing.
#include "tools/smsgw-pdu/receipt_json.hpp"

#include <cstdio>

#include "smpp/message_id.hpp"
#include "smpp/receipt.hpp"
#include "tools/smsgw-pdu/json_fields.hpp"

namespace smsgw::pdu_tool {
namespace {

namespace json = boost::json;

std::string date_text(smpp::receipt_date const& d) {
  char buf[32];
  if (d.second)
    std::snprintf(buf, sizeof buf, "%04u-%02u-%02u %02u:%02u:%02u", unsigned{d.year}, unsigned{d.month},
                  unsigned{d.day}, unsigned{d.hour}, unsigned{d.minute}, unsigned{*d.second});
  else
    std::snprintf(buf, sizeof buf, "%04u-%02u-%02u %02u:%02u", unsigned{d.year}, unsigned{d.month},
                  unsigned{d.day}, unsigned{d.hour}, unsigned{d.minute});
  return buf;
}

json::object fields_json(smpp::receipt_text_fields const& f) {
  json::object o;
  auto put = [&](char const* key, std::optional<std::string> const& v) {
    if (v) o[key] = detail::c_string_to_json(*v);
  };
  put("id", f.id);
  put("sub", f.sub);
  put("dlvrd", f.dlvrd);
  put("submit date", f.submit_date);
  put("done date", f.done_date);
  put("stat", f.stat);
  put("err", f.err);
  put("text", f.text);
  return o;
}

json::object receipt_json(smpp::delivery_receipt const& r) {
  json::object o;
  o["message_id"] = detail::c_string_to_json(r.message_id);
  o["message_id_keys"] = message_id_keys(r.message_id, true);
  if (r.fields.id && *r.fields.id != r.message_id)  // TLV id won; the text's may differ in form
    o["text_id_keys"] = message_id_keys(*r.fields.id, true);
  o["id_from_tlv"] = r.id_from_tlv;
  o["message_state"] = static_cast<unsigned>(r.state);
  o["state_name"] = smpp::stat_text(r.state);
  o["state_from_tlv"] = r.state_from_tlv;
  o["final"] = r.is_final;
  o["success"] = r.success;
  o["intermediate"] = r.intermediate;
  if (!r.stat.empty()) o["stat"] = detail::c_string_to_json(r.stat);
  if (!r.err.empty()) o["err"] = detail::c_string_to_json(r.err);
  if (r.network_error_code)
    o["network_error_code"] = json::object{{"network_type", r.network_error_code->network_type},
                                           {"error_code", r.network_error_code->error_code}};
  if (r.submit_date) o["submit_date"] = date_text(*r.submit_date);
  if (r.done_date) o["done_date"] = date_text(*r.done_date);
  if (!r.text.empty()) o["text"] = detail::c_string_to_json(r.text);
  if (auto f = fields_json(r.fields); !f.empty()) o["text_fields"] = std::move(f);
  return o;
}

template <class Body>
void add_for(json::object& decoded, Body const& b, smpp::tlv_list const& tlvs) {
  if (!smpp::is_receipt(b.esm_class)) return;
  auto r = smpp::parse_receipt(b, tlvs);
  if (r)
    decoded["receipt"] = receipt_json(*r);
  else
    decoded["receipt_error"] = r.error().message();
}

}  // namespace

json::object message_id_keys(std::string const& raw, bool from_receipt) {
  auto const side = from_receipt ? smpp::message_id_side::receipt : smpp::message_id_side::submit_sm_resp;
  auto key = [&](smpp::message_id_format f) { return detail::c_string_to_json(smpp::message_id_key(raw, side, f)); };
  return json::object{{"same", key(smpp::message_id_format::same)},
                      {"resp_hex_dlr_dec", key(smpp::message_id_format::resp_hex_dlr_dec)},
                      {"resp_dec_dlr_hex", key(smpp::message_id_format::resp_dec_dlr_hex)}};
}

void add_receipt(json::object& decoded, smpp::pdu const& p) {
  if (auto const* d = std::get_if<smpp::deliver_sm>(&p.body)) add_for(decoded, *d, p.tlvs);
  if (auto const* d = std::get_if<smpp::data_sm>(&p.body)) add_for(decoded, *d, p.tlvs);
}

}  // namespace smsgw::pdu_tool
