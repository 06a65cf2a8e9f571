// tools/smsgw-pdu/redact_json.cpp: see redact_json.hpp. Works on the JSON only, after
// to_json(), so the decoder itself stays one code path with or without --redact.
#include "tools/smsgw-pdu/redact_json.hpp"

#include <string>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

namespace smsgw::pdu_tool {
namespace {

namespace json = boost::json;

/// TLVs whose value is message content (SMPP 3.4 5.3.2): message_payload, callback_num and
/// the user data header fields are the ones an OTP can travel in.
bool is_content_tlv(std::string_view name) {
  return name == "message_payload" || name == "callback_num" ||
         name == "callback_num_atag" || name == "source_subaddress" ||
         name == "dest_subaddress";
}

std::string redacted_octets(json::value const& hex) {
  auto const* s = hex.if_string();
  auto const octets = s ? s->size() / 2 : 0;
  // Appended piece by piece: `"(" + std::to_string(n) + "..."` (operator+(const char*,
  // string&&), which inserts at the front) makes GCC 12 at -O3 report a false -Wrestrict.
  std::string out = "(";
  out += std::to_string(octets);
  out += " octets redacted)";
  return out;
}

/// The receipt's "text:" field (the first characters of the original message) masked inside
/// the whole receipt text, which is otherwise kept: ids and dates are what an operator needs.
std::string mask_receipt_text(std::string_view text) {
  auto const at = text.find("text:");
  if (at == std::string_view::npos) return std::string(text);
  std::string out(text.substr(0, at + 5));
  out += mask_digits(text.substr(at + 5));
  return out;
}

void redact_string(json::object& o, std::string_view key, std::string (*how)(std::string_view)) {
  if (auto* v = o.if_contains(key); v && v->is_string()) {
    auto const& s = v->get_string();
    *v = how(std::string_view(s.data(), s.size()));
  }
}

}  // namespace

std::string mask_digits(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (c >= '0' && c <= '9') c = '*';
  return out;
}

void redact_pdu_json(json::object& pdu) {
  if (auto* body = pdu.if_contains("body"); body && body->is_object()) {
    auto& b = body->get_object();
    if (auto* pw = b.if_contains("password"); pw && pw->is_string() && !pw->get_string().empty())
      *pw = "(redacted)";
    if (auto* sm = b.if_contains("short_message"); sm && sm->is_string() &&
                                                   !sm->get_string().empty())
      *sm = redacted_octets(*sm);
  }
  if (auto* tlvs = pdu.if_contains("tlvs"); tlvs && tlvs->is_array()) {
    for (auto& t : tlvs->get_array()) {
      auto* o = t.if_object();
      if (!o) continue;
      auto const* name = o->if_contains("name");
      if (!name || !name->is_string() || !is_content_tlv(name->get_string())) continue;
      if (auto* hex = o->if_contains("hex")) *hex = redacted_octets(*hex);
      if (auto* value = o->if_contains("value")) *value = "(redacted)";
    }
  }
  if (auto* decoded = pdu.if_contains("decoded"); decoded && decoded->is_object()) {
    auto& d = decoded->get_object();
    if (auto* receipt = d.if_contains("receipt"); receipt && receipt->is_object()) {
      auto& r = receipt->get_object();
      redact_string(d, "text", mask_receipt_text);
      redact_string(r, "text", mask_digits);
      if (auto* fields = r.if_contains("text_fields"); fields && fields->is_object())
        redact_string(fields->get_object(), "text", mask_digits);
    } else {
      redact_string(d, "text", mask_digits);
    }
  }
}

}  // namespace smsgw::pdu_tool
