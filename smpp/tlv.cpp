// smpp/tlv.cpp: the known-TLV size table (SMPP 3.4 §5.3.2) and the tlv_list accessors.
// Only tags whose size we are sure of are listed; anything else is treated as opaque and
// passed through, as the spec asks receivers to ignore unknown TLVs.
#include "smpp/tlv.hpp"

#include <algorithm>
#include <array>

namespace smsgw::smpp {
namespace {

constexpr std::array<tlv_spec, 31> known_tlvs{{
    {tag::dest_addr_subunit, "dest_addr_subunit", 1, 1},
    {0x0006, "dest_network_type", 1, 1},
    {0x0007, "dest_bearer_type", 1, 1},
    {tag::source_addr_subunit, "source_addr_subunit", 1, 1},
    {0x000E, "source_network_type", 1, 1},
    {0x000F, "source_bearer_type", 1, 1},
    {0x0017, "qos_time_to_live", 4, 4},
    {tag::payload_type, "payload_type", 1, 1},
    {tag::additional_status_info_text, "additional_status_info_text", 1, 256},
    {tag::receipted_message_id, "receipted_message_id", 1, 65},
    {tag::ms_msg_wait_facilities, "ms_msg_wait_facilities", 1, 1},
    {0x0201, "privacy_indicator", 1, 1},
    {tag::user_message_reference, "user_message_reference", 2, 2},
    {0x0205, "user_response_code", 1, 1},
    {tag::source_port, "source_port", 2, 2},
    {tag::destination_port, "destination_port", 2, 2},
    {tag::sar_msg_ref_num, "sar_msg_ref_num", 2, 2},
    {0x020D, "language_indicator", 1, 1},
    {tag::sar_total_segments, "sar_total_segments", 1, 1},
    {tag::sar_segment_seqnum, "sar_segment_seqnum", 1, 1},
    {tag::sc_interface_version, "sc_interface_version", 1, 1},
    {0x0302, "callback_num_pres_ind", 1, 1},
    {0x0304, "number_of_messages", 1, 1},
    {tag::ms_availability_status, "ms_availability_status", 1, 1},
    {tag::network_error_code, "network_error_code", 3, 3},
    {tag::message_payload, "message_payload", 0, 0xFFFF},
    {tag::delivery_failure_reason, "delivery_failure_reason", 1, 1},
    {tag::more_messages_to_send, "more_messages_to_send", 1, 1},
    {tag::message_state, "message_state", 1, 1},
    {tag::ussd_service_op, "ussd_service_op", 1, 1},
    {tag::ms_validity, "ms_validity", 1, 1},
}};

std::optional<std::span<std::uint8_t const>> value_of_size(tlv_list const& tlvs,
                                                           std::uint16_t tag,
                                                           std::size_t size) noexcept {
  auto const* t = find_tlv(tlvs, tag);
  if (t == nullptr || t->value.size() != size) return std::nullopt;
  return std::span<std::uint8_t const>(t->value);
}

}  // namespace

static_assert(std::is_sorted(known_tlvs.begin(), known_tlvs.end(),
                             [](tlv_spec const& a, tlv_spec const& b) { return a.tag < b.tag; }),
              "known_tlvs must stay sorted by tag: find_tlv_spec binary-searches it");

// On the decode hot path (once per TLV), hence the binary search.
tlv_spec const* find_tlv_spec(std::uint16_t tag) noexcept {
  auto const it = std::lower_bound(known_tlvs.begin(), known_tlvs.end(), tag,
                                   [](tlv_spec const& s, std::uint16_t t) { return s.tag < t; });
  return it != known_tlvs.end() && it->tag == tag ? &*it : nullptr;
}

std::string_view tlv_name(std::uint16_t tag) noexcept {
  auto const* s = find_tlv_spec(tag);
  return s != nullptr ? s->name : std::string_view("tlv");
}

tlv const* find_tlv(tlv_list const& tlvs, std::uint16_t tag) noexcept {
  for (auto const& t : tlvs)
    if (t.tag == tag) return &t;
  return nullptr;
}

std::optional<std::uint8_t> get_u8(tlv_list const& tlvs, std::uint16_t tag) noexcept {
  auto const v = value_of_size(tlvs, tag, 1);
  if (!v) return std::nullopt;
  return (*v)[0];
}

std::optional<std::uint16_t> get_u16(tlv_list const& tlvs, std::uint16_t tag) noexcept {
  auto const v = value_of_size(tlvs, tag, 2);
  if (!v) return std::nullopt;
  return static_cast<std::uint16_t>(((*v)[0] << 8) | (*v)[1]);
}

std::optional<std::uint32_t> get_u32(tlv_list const& tlvs, std::uint16_t tag) noexcept {
  auto const v = value_of_size(tlvs, tag, 4);
  if (!v) return std::nullopt;
  return (std::uint32_t{(*v)[0]} << 24) | (std::uint32_t{(*v)[1]} << 16) |
         (std::uint32_t{(*v)[2]} << 8) | std::uint32_t{(*v)[3]};
}

std::optional<std::string> get_c_string(tlv_list const& tlvs, std::uint16_t tag) {
  auto const* t = find_tlv(tlvs, tag);
  if (t == nullptr) return std::nullopt;
  auto const end = std::find(t->value.begin(), t->value.end(), std::uint8_t{0});
  return std::string(t->value.begin(), end);
}

std::optional<std::span<std::uint8_t const>> get_octets(tlv_list const& tlvs,
                                                        std::uint16_t tag) noexcept {
  auto const* t = find_tlv(tlvs, tag);
  if (t == nullptr) return std::nullopt;
  return std::span<std::uint8_t const>(t->value);
}

void add_u8(tlv_list& tlvs, std::uint16_t tag, std::uint8_t v) {
  tlvs.push_back({tag, {v}});
}

void add_u16(tlv_list& tlvs, std::uint16_t tag, std::uint16_t v) {
  tlvs.push_back({tag, {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}});
}

void add_u32(tlv_list& tlvs, std::uint16_t tag, std::uint32_t v) {
  tlvs.push_back({tag,
                  {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
                   static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)}});
}

void add_c_string(tlv_list& tlvs, std::uint16_t tag, std::string_view s) {
  tlv t{tag, {}};
  t.value.reserve(s.size() + 1);
  t.value.assign(s.begin(), s.end());
  t.value.push_back(0);
  tlvs.push_back(std::move(t));
}

void add_octets(tlv_list& tlvs, std::uint16_t tag, std::span<std::uint8_t const> v) {
  tlvs.push_back({tag, std::vector<std::uint8_t>(v.begin(), v.end())});
}

std::size_t remove_tlv(tlv_list& tlvs, std::uint16_t tag) {
  return std::erase_if(tlvs, [tag](tlv const& t) { return t.tag == tag; });
}

}  // namespace smsgw::smpp
