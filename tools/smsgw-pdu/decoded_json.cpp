// tools/smsgw-pdu/decoded_json.cpp: see decoded_json.hpp. The text comes from short_message,
// or from message_payload when sm_length is 0 (docs/smpp.md §TLVs). data_coding 0 is decoded as
// GSM 03.38 unpacked, the common case; a route may differ, which the operator must bear in
// mind. replace_sm has no data_coding of its own, so 0 is assumed there.
#include "tools/smsgw-pdu/decoded_json.hpp"

#include <span>
#include <type_traits>

#include "smpp/text.hpp"
#include "smpp/tlv.hpp"
#include "tools/smsgw-pdu/body_fields.hpp"
#include "tools/smsgw-pdu/hex.hpp"
#include "tools/smsgw-pdu/json_fields.hpp"
#include "tools/smsgw-pdu/receipt_json.hpp"

namespace smsgw::pdu_tool {
namespace {

namespace json = boost::json;

std::string_view encoding_name(smpp::text_encoding e) noexcept {
  switch (e) {
    case smpp::text_encoding::gsm7: return "gsm7";
    case smpp::text_encoding::ascii: return "ascii";
    case smpp::text_encoding::latin1: return "latin1";
    case smpp::text_encoding::ucs2: return "ucs2";
  }
  return "unknown";
}

/// What the text decoder needs from a body: message octets source, data_coding, esm_class.
struct content {
  std::span<std::uint8_t const> short_message;
  std::uint8_t data_coding = 0;
  std::uint8_t esm_class = 0;
  bool has_content = false;
};

content content_of(smpp::pdu_body const& body) {
  return std::visit(
      [](auto const& b) {
        using T = std::decay_t<decltype(b)>;
        content c;
        if constexpr (detail::is_sm<T>::value) {
          c = {b.short_message, b.data_coding, b.esm_class, true};
        } else if constexpr (std::is_same_v<T, smpp::data_sm>) {
          c = {{}, b.data_coding, b.esm_class, true};
        } else if constexpr (std::is_same_v<T, smpp::replace_sm>) {
          c = {b.short_message, 0, 0, true};
        }
        return c;
      },
      body);
}

void add_text(json::object& o, content const& c, smpp::tlv_list const& tlvs) {
  std::span<std::uint8_t const> bytes = c.short_message;
  std::string_view source = "short_message";
  if (bytes.empty()) {
    if (auto payload = smpp::get_octets(tlvs, smpp::tag::message_payload)) {
      bytes = *payload;
      source = "message_payload";
    }
  }
  if (bytes.empty() && source == "short_message") return;
  o["source"] = source;
  bool const udhi = (c.esm_class & smpp::esm_class_udhi) != 0;
  auto text = smpp::decode_text(bytes, c.data_coding, udhi);
  if (!text) {
    o["text_error"] = text.error().message();
    return;
  }
  o["encoding"] = encoding_name(text->encoding);
  o["text"] = detail::c_string_to_json(text->text);  // decode_text promises UTF-8; be sure
  if (text->replaced > 0) o["replaced_characters"] = text->replaced;
  if (!text->udh.empty()) o["udh"] = to_hex(text->udh);
  if (text->concat) {
    o["concat"] = json::object{{"scheme", text->concat->ref16 ? "udh16" : "udh8"},
                               {"reference", text->concat->reference},
                               {"total", text->concat->total},
                               {"seqnum", text->concat->seqnum}};
  }
}

/// Concatenation by SAR TLVs instead of a UDH.
void add_sar(json::object& o, smpp::tlv_list const& tlvs) {
  auto const ref = smpp::get_u16(tlvs, smpp::tag::sar_msg_ref_num);
  auto const total = smpp::get_u8(tlvs, smpp::tag::sar_total_segments);
  auto const seq = smpp::get_u8(tlvs, smpp::tag::sar_segment_seqnum);
  if (!ref && !total && !seq) return;
  json::object sar{{"scheme", "sar"}};
  if (ref) sar["reference"] = *ref;
  if (total) sar["total"] = *total;
  if (seq) sar["seqnum"] = *seq;
  o["concat"] = std::move(sar);
}

}  // namespace

json::object decoded_to_json(smpp::pdu const& p) {
  json::object o;
  std::string const* resp_id = nullptr;
  if (auto const* r = std::get_if<smpp::submit_sm_resp>(&p.body)) resp_id = &r->message_id;
  if (auto const* r = std::get_if<smpp::data_sm_resp>(&p.body)) resp_id = &r->message_id;
  if (resp_id != nullptr && !resp_id->empty()) o["message_id_keys"] = message_id_keys(*resp_id, false);
  auto const c = content_of(p.body);
  if (!c.has_content) return o;
  add_text(o, c, p.tlvs);
  if (!o.contains("concat")) add_sar(o, p.tlvs);
  add_receipt(o, p);
  return o;
}

}  // namespace smsgw::pdu_tool
