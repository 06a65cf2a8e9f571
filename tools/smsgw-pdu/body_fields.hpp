// tools/smsgw-pdu/body_fields.hpp: one list of (spec name, member) per PDU body, in spec
// order, driving both JSON directions (to_json and from_json call the same for_each_field),
// so a field can never be printed but not read back. Member types are std::string
// (C-octet string), std::uint8_t (integer) or std::vector<std::uint8_t> (short_message).
#pragma once

#include <type_traits>

#include "smpp/pdu.hpp"

namespace smsgw::pdu_tool::detail {

template <class T> struct is_bind : std::false_type {};
template <smpp::command_id I> struct is_bind<smpp::basic_bind<I>> : std::true_type {};
template <class T> struct is_bind_resp : std::false_type {};
template <smpp::command_id I> struct is_bind_resp<smpp::basic_bind_resp<I>> : std::true_type {};
template <class T> struct is_header_only : std::false_type {};
template <smpp::command_id I> struct is_header_only<smpp::header_only<I>> : std::true_type {};
template <class T> struct is_sm : std::false_type {};
template <smpp::command_id I> struct is_sm<smpp::basic_sm<I>> : std::true_type {};
template <class T> struct is_sm_resp : std::false_type {};
template <smpp::command_id I> struct is_sm_resp<smpp::basic_sm_resp<I>> : std::true_type {};
template <class T> inline constexpr bool always_false = false;

/// Calls f(name, member) for every mandatory body field of `b`, in wire order.
template <class Body, class F>
void for_each_field(Body& b, F&& f) {
  using T = std::remove_const_t<Body>;
  if constexpr (is_header_only<T>::value) {
  } else if constexpr (is_bind<T>::value) {
    f("system_id", b.system_id);
    f("password", b.password);
    f("system_type", b.system_type);
    f("interface_version", b.interface_version);
    f("addr_ton", b.addr_ton);
    f("addr_npi", b.addr_npi);
    f("address_range", b.address_range);
  } else if constexpr (is_bind_resp<T>::value || std::is_same_v<T, smpp::outbind>) {
    f("system_id", b.system_id);
    if constexpr (std::is_same_v<T, smpp::outbind>) f("password", b.password);
  } else if constexpr (is_sm<T>::value) {
    f("service_type", b.service_type);
    f("source_addr_ton", b.source_addr_ton);
    f("source_addr_npi", b.source_addr_npi);
    f("source_addr", b.source_addr);
    f("dest_addr_ton", b.dest_addr_ton);
    f("dest_addr_npi", b.dest_addr_npi);
    f("destination_addr", b.destination_addr);
    f("esm_class", b.esm_class);
    f("protocol_id", b.protocol_id);
    f("priority_flag", b.priority_flag);
    f("schedule_delivery_time", b.schedule_delivery_time);
    f("validity_period", b.validity_period);
    f("registered_delivery", b.registered_delivery);
    f("replace_if_present_flag", b.replace_if_present_flag);
    f("data_coding", b.data_coding);
    f("sm_default_msg_id", b.sm_default_msg_id);
    f("short_message", b.short_message);
  } else if constexpr (is_sm_resp<T>::value) {
    f("message_id", b.message_id);
  } else if constexpr (std::is_same_v<T, smpp::data_sm>) {
    f("service_type", b.service_type);
    f("source_addr_ton", b.source_addr_ton);
    f("source_addr_npi", b.source_addr_npi);
    f("source_addr", b.source_addr);
    f("dest_addr_ton", b.dest_addr_ton);
    f("dest_addr_npi", b.dest_addr_npi);
    f("destination_addr", b.destination_addr);
    f("esm_class", b.esm_class);
    f("registered_delivery", b.registered_delivery);
    f("data_coding", b.data_coding);
  } else if constexpr (std::is_same_v<T, smpp::query_sm>) {
    f("message_id", b.message_id);
    f("source_addr_ton", b.source_addr_ton);
    f("source_addr_npi", b.source_addr_npi);
    f("source_addr", b.source_addr);
  } else if constexpr (std::is_same_v<T, smpp::query_sm_resp>) {
    f("message_id", b.message_id);
    f("final_date", b.final_date);
    f("message_state", b.message_state);
    f("error_code", b.error_code);
  } else if constexpr (std::is_same_v<T, smpp::cancel_sm>) {
    f("service_type", b.service_type);
    f("message_id", b.message_id);
    f("source_addr_ton", b.source_addr_ton);
    f("source_addr_npi", b.source_addr_npi);
    f("source_addr", b.source_addr);
    f("dest_addr_ton", b.dest_addr_ton);
    f("dest_addr_npi", b.dest_addr_npi);
    f("destination_addr", b.destination_addr);
  } else if constexpr (std::is_same_v<T, smpp::replace_sm>) {
    f("message_id", b.message_id);
    f("source_addr_ton", b.source_addr_ton);
    f("source_addr_npi", b.source_addr_npi);
    f("source_addr", b.source_addr);
    f("schedule_delivery_time", b.schedule_delivery_time);
    f("validity_period", b.validity_period);
    f("registered_delivery", b.registered_delivery);
    f("sm_default_msg_id", b.sm_default_msg_id);
    f("short_message", b.short_message);
  } else if constexpr (std::is_same_v<T, smpp::alert_notification>) {
    f("source_addr_ton", b.source_addr_ton);
    f("source_addr_npi", b.source_addr_npi);
    f("source_addr", b.source_addr);
    f("esme_addr_ton", b.esme_addr_ton);
    f("esme_addr_npi", b.esme_addr_npi);
    f("esme_addr", b.esme_addr);
  } else {
    static_assert(always_false<T>, "body type without a field list");
  }
}

}  // namespace smsgw::pdu_tool::detail
