// smpp/receipt.cpp: parse_receipt() for deliver_sm and data_sm. One rule for both: read the
// TLVs, read the text, then take id and state from the TLV when present and valid, else from
// the text; final/success follow the state, the esm_class type and the ACCEPTD policy.
#include "smpp/receipt.hpp"

#include "smpp/tlv.hpp"
#include "smpp/unicode.hpp"

namespace smsgw::smpp {
namespace {

// Receipt text is ASCII in practice. UCS-2 is decoded; other octets are never read as GSM7,
// so an '_' or '@' in an id stays itself: valid UTF-8 is kept as is (our simulator and some
// SMSCs send it), anything else is read as Latin-1. A NUL ends the text (some SMSCs add one).
std::string receipt_text_of(std::span<std::uint8_t const> bytes, std::uint8_t data_coding) {
  if (data_coding == 0x08) {
    if (auto d = decode_text(bytes, data_coding, false)) return std::move(d->text);
  }
  std::string raw;
  for (std::uint8_t b : bytes) {
    if (b == 0) break;
    raw.push_back(static_cast<char>(b));
  }
  if (unicode::decode_utf8(raw)) return raw;
  std::string out;
  for (char c : raw) unicode::append_utf8(out, static_cast<unsigned char>(c));
  return out;
}

void classify(delivery_receipt& r, receipt_options const& o) {
  switch (r.state) {
    case message_state::enroute:
    case message_state::scheduled:
      r.is_final = false;
      break;
    case message_state::delivered:
      r.success = true;
      break;
    case message_state::accepted:
      r.is_final = o.accepted != accepted_policy::intermediate;
      r.success = o.accepted == accepted_policy::final_success;
      break;
    default:
      break;  // expired, deleted, undeliverable, unknown, rejected, skipped: final failure
  }
  if (r.intermediate) r.is_final = false;  // esm type 0x20 is never the final word
  if (!r.is_final) r.success = false;
}

content_result<delivery_receipt> build(std::uint8_t esm_class, std::string const& text, tlv_list const& tlvs,
                                       receipt_options const& o) {
  if (o.require_receipt_esm_class && !is_receipt(esm_class)) return make_error_code(content_errc::not_a_receipt);
  delivery_receipt r;
  r.intermediate = esm_message_type(esm_class) == esm_type_intermediate;
  r.fields = parse_receipt_text(text);

  if (auto id = get_c_string(tlvs, tag::receipted_message_id); id && !id->empty()) {
    r.message_id = std::move(*id);
    r.id_from_tlv = true;
  } else if (r.fields.id && !r.fields.id->empty()) {
    r.message_id = *r.fields.id;
  } else {
    return make_error_code(content_errc::receipt_missing_id);
  }

  r.stat = r.fields.stat.value_or("");
  if (auto st = get_u8(tlvs, tag::message_state); st && *st <= 9) {
    r.state = static_cast<message_state>(*st);
    r.state_from_tlv = true;
  } else if (r.fields.stat && !r.fields.stat->empty()) {
    r.state = message_state_from_stat(*r.fields.stat).value_or(message_state::unknown);
  } else {
    return make_error_code(content_errc::receipt_missing_state);
  }

  if (auto ne = get_octets(tlvs, tag::network_error_code); ne && ne->size() == 3)
    r.network_error_code = network_error{(*ne)[0], static_cast<std::uint16_t>(((*ne)[1] << 8) | (*ne)[2])};
  r.err = r.fields.err.value_or("");
  r.text = r.fields.text.value_or("");
  if (r.fields.submit_date) r.submit_date = parse_receipt_date(*r.fields.submit_date);
  if (r.fields.done_date) r.done_date = parse_receipt_date(*r.fields.done_date);
  classify(r, o);
  return r;
}

}  // namespace

content_result<delivery_receipt> parse_receipt(deliver_sm const& sm, tlv_list const& tlvs,
                                               receipt_options const& o) {
  std::span<std::uint8_t const> bytes = sm.short_message;
  if (bytes.empty()) bytes = get_octets(tlvs, tag::message_payload).value_or(std::span<std::uint8_t const>{});
  return build(sm.esm_class, receipt_text_of(bytes, sm.data_coding), tlvs, o);
}

content_result<delivery_receipt> parse_receipt(data_sm const& sm, tlv_list const& tlvs,
                                               receipt_options const& o) {
  auto const bytes = get_octets(tlvs, tag::message_payload).value_or(std::span<std::uint8_t const>{});
  return build(sm.esm_class, receipt_text_of(bytes, sm.data_coding), tlvs, o);
}

}  // namespace smsgw::smpp
