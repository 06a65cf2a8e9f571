// smpp/pdu.hpp: one typed struct per SMPP 3.4 PDU an ESME meets, fields in spec order
// (docs/smpp.md §Mandatory fields), and the `pdu` envelope that carries the header fields,
// the body (a std::variant of those structs) and the TLVs.
// Design decision: TLVs live in the envelope as an ordered list of raw tag/value pairs, so
// unknown and vendor TLVs pass through untouched; typed accessors (tlv.hpp) read the known
// ones. C-octet strings are std::string without the NUL; their max sizes (incl. NUL) are
// given next to each field and enforced by the codec, not here.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "smpp/command_status.hpp"

namespace smsgw::smpp {

enum class command_id : std::uint32_t {
  generic_nack = 0x80000000,
  bind_receiver = 0x00000001,
  bind_receiver_resp = 0x80000001,
  bind_transmitter = 0x00000002,
  bind_transmitter_resp = 0x80000002,
  query_sm = 0x00000003,
  query_sm_resp = 0x80000003,
  submit_sm = 0x00000004,
  submit_sm_resp = 0x80000004,
  deliver_sm = 0x00000005,
  deliver_sm_resp = 0x80000005,
  unbind = 0x00000006,
  unbind_resp = 0x80000006,
  replace_sm = 0x00000007,
  replace_sm_resp = 0x80000007,
  cancel_sm = 0x00000008,
  cancel_sm_resp = 0x80000008,
  bind_transceiver = 0x00000009,
  bind_transceiver_resp = 0x80000009,
  outbind = 0x0000000B,
  enquire_link = 0x00000015,
  enquire_link_resp = 0x80000015,
  alert_notification = 0x00000102,
  data_sm = 0x00000103,
  data_sm_resp = 0x80000103,
};

/// Responses are the request id with bit 31 set.
constexpr bool is_response(command_id id) noexcept {
  return (static_cast<std::uint32_t>(id) & 0x80000000u) != 0;
}

/// A TLV (optional parameter) exactly as on the wire: tag, then `value.size()` octets.
struct tlv {
  std::uint16_t tag = 0;
  std::vector<std::uint8_t> value;
  friend bool operator==(tlv const&, tlv const&) = default;
};
using tlv_list = std::vector<tlv>;

/// SMPP 3.4 TLV tags we read or write (docs/smpp.md §TLVs). Others are kept as raw tlv.
namespace tag {
inline constexpr std::uint16_t dest_addr_subunit = 0x0005;
inline constexpr std::uint16_t source_addr_subunit = 0x000D;
inline constexpr std::uint16_t payload_type = 0x0019;
inline constexpr std::uint16_t additional_status_info_text = 0x001D;
inline constexpr std::uint16_t receipted_message_id = 0x001E;
inline constexpr std::uint16_t ms_msg_wait_facilities = 0x0030;
inline constexpr std::uint16_t user_message_reference = 0x0204;
inline constexpr std::uint16_t source_port = 0x020A;
inline constexpr std::uint16_t destination_port = 0x020B;
inline constexpr std::uint16_t sar_msg_ref_num = 0x020C;
inline constexpr std::uint16_t sar_total_segments = 0x020E;
inline constexpr std::uint16_t sar_segment_seqnum = 0x020F;
inline constexpr std::uint16_t sc_interface_version = 0x0210;
inline constexpr std::uint16_t ms_availability_status = 0x0422;
inline constexpr std::uint16_t network_error_code = 0x0423;
inline constexpr std::uint16_t message_payload = 0x0424;
inline constexpr std::uint16_t delivery_failure_reason = 0x0425;
inline constexpr std::uint16_t more_messages_to_send = 0x0426;
inline constexpr std::uint16_t message_state = 0x0427;
inline constexpr std::uint16_t ms_validity = 0x1204;
inline constexpr std::uint16_t ussd_service_op = 0x0501;
}  // namespace tag

/// bind_transmitter / bind_receiver / bind_transceiver: an ESME asks to bind.
template <command_id Id>
struct basic_bind {
  static constexpr command_id id = Id;
  std::string system_id;                  ///< C-string, max 16 incl. NUL
  std::string password;                   ///< C-string, max 9 incl. NUL; never log it
  std::string system_type;                ///< C-string, max 13
  std::uint8_t interface_version = 0x34;  ///< 0x34 for SMPP 3.4
  std::uint8_t addr_ton = 0;
  std::uint8_t addr_npi = 0;
  std::string address_range;              ///< C-string, max 41
  friend bool operator==(basic_bind const&, basic_bind const&) = default;
};
using bind_transmitter = basic_bind<command_id::bind_transmitter>;
using bind_receiver = basic_bind<command_id::bind_receiver>;
using bind_transceiver = basic_bind<command_id::bind_transceiver>;

/// bind_*_resp: the SMSC's answer; TLV sc_interface_version may follow.
template <command_id Id>
struct basic_bind_resp {
  static constexpr command_id id = Id;
  std::string system_id;  ///< C-string, max 16; absent (empty) when command_status != 0
  friend bool operator==(basic_bind_resp const&, basic_bind_resp const&) = default;
};
using bind_transmitter_resp = basic_bind_resp<command_id::bind_transmitter_resp>;
using bind_receiver_resp = basic_bind_resp<command_id::bind_receiver_resp>;
using bind_transceiver_resp = basic_bind_resp<command_id::bind_transceiver_resp>;

/// outbind: the SMSC asks the ESME to bind_receiver.
struct outbind {
  static constexpr command_id id = command_id::outbind;
  std::string system_id;  ///< C-string, max 16
  std::string password;   ///< C-string, max 9
  friend bool operator==(outbind const&, outbind const&) = default;
};

/// PDUs that are a header only (and generic_nack, whose meaning is all in command_status).
template <command_id Id>
struct header_only {
  static constexpr command_id id = Id;
  friend bool operator==(header_only const&, header_only const&) = default;
};
using generic_nack = header_only<command_id::generic_nack>;
using unbind = header_only<command_id::unbind>;
using unbind_resp = header_only<command_id::unbind_resp>;
using enquire_link = header_only<command_id::enquire_link>;
using enquire_link_resp = header_only<command_id::enquire_link_resp>;
using cancel_sm_resp = header_only<command_id::cancel_sm_resp>;
using replace_sm_resp = header_only<command_id::replace_sm_resp>;

/// submit_sm (ESME -> SMSC, submit a short message) and deliver_sm (SMSC -> ESME, a mobile
/// originated message or a delivery receipt) share one layout.
template <command_id Id>
struct basic_sm {
  static constexpr command_id id = Id;
  std::string service_type;                ///< C-string, max 6
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;                 ///< C-string, max 21
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;            ///< C-string, max 21
  std::uint8_t esm_class = 0;
  std::uint8_t protocol_id = 0;
  std::uint8_t priority_flag = 0;
  std::string schedule_delivery_time;      ///< C-string, empty or 16 chars (max 17)
  std::string validity_period;             ///< C-string, empty or 16 chars (max 17)
  std::uint8_t registered_delivery = 0;
  std::uint8_t replace_if_present_flag = 0;
  std::uint8_t data_coding = 0;
  std::uint8_t sm_default_msg_id = 0;
  std::vector<std::uint8_t> short_message; ///< 0..254 octets; sm_length is its size
  friend bool operator==(basic_sm const&, basic_sm const&) = default;
};
using submit_sm = basic_sm<command_id::submit_sm>;
using deliver_sm = basic_sm<command_id::deliver_sm>;

/// submit_sm_resp / data_sm_resp / deliver_sm_resp: carry the SMSC's message_id
/// (deliver_sm_resp's is unused and sent as a single NUL).
template <command_id Id>
struct basic_sm_resp {
  static constexpr command_id id = Id;
  std::string message_id;  ///< C-string, max 65; the body may be absent when command_status != 0
  friend bool operator==(basic_sm_resp const&, basic_sm_resp const&) = default;
};
using submit_sm_resp = basic_sm_resp<command_id::submit_sm_resp>;
using deliver_sm_resp = basic_sm_resp<command_id::deliver_sm_resp>;
using data_sm_resp = basic_sm_resp<command_id::data_sm_resp>;

/// data_sm: an alternative to submit_sm/deliver_sm; text travels in message_payload.
struct data_sm {
  static constexpr command_id id = command_id::data_sm;
  std::string service_type;      ///< C-string, max 6
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;       ///< C-string, max 65
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;  ///< C-string, max 65
  std::uint8_t esm_class = 0;
  std::uint8_t registered_delivery = 0;
  std::uint8_t data_coding = 0;
  friend bool operator==(data_sm const&, data_sm const&) = default;
};

/// query_sm: ask the SMSC for the state of a previously submitted message.
struct query_sm {
  static constexpr command_id id = command_id::query_sm;
  std::string message_id;  ///< C-string, max 65
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr; ///< C-string, max 21
  friend bool operator==(query_sm const&, query_sm const&) = default;
};

/// query_sm_resp: the message's state (docs/smpp.md §message_state) and final date if final.
struct query_sm_resp {
  static constexpr command_id id = command_id::query_sm_resp;
  std::string message_id;    ///< C-string, max 65
  std::string final_date;    ///< C-string, empty or 16 chars (max 17)
  std::uint8_t message_state = 0;
  std::uint8_t error_code = 0;
  friend bool operator==(query_sm_resp const&, query_sm_resp const&) = default;
};

/// cancel_sm: cancel a message still pending at the SMSC.
struct cancel_sm {
  static constexpr command_id id = command_id::cancel_sm;
  std::string service_type;  ///< C-string, max 6
  std::string message_id;    ///< C-string, max 65
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;   ///< C-string, max 21
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;  ///< C-string, max 21
  friend bool operator==(cancel_sm const&, cancel_sm const&) = default;
};

/// replace_sm: replace a message still pending at the SMSC.
struct replace_sm {
  static constexpr command_id id = command_id::replace_sm;
  std::string message_id;              ///< C-string, max 65
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;             ///< C-string, max 21
  std::string schedule_delivery_time;  ///< C-string, max 17
  std::string validity_period;         ///< C-string, max 17
  std::uint8_t registered_delivery = 0;
  std::uint8_t sm_default_msg_id = 0;
  std::vector<std::uint8_t> short_message;  ///< 0..254 octets
  friend bool operator==(replace_sm const&, replace_sm const&) = default;
};

/// alert_notification: the SMSC says a mobile became available (no response exists).
struct alert_notification {
  static constexpr command_id id = command_id::alert_notification;
  std::uint8_t source_addr_ton = 0;
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;  ///< C-string, max 65
  std::uint8_t esme_addr_ton = 0;
  std::uint8_t esme_addr_npi = 0;
  std::string esme_addr;    ///< C-string, max 65
  friend bool operator==(alert_notification const&, alert_notification const&) = default;
};

using pdu_body = std::variant<
    generic_nack,
    bind_receiver, bind_receiver_resp,
    bind_transmitter, bind_transmitter_resp,
    bind_transceiver, bind_transceiver_resp,
    outbind,
    unbind, unbind_resp,
    enquire_link, enquire_link_resp,
    submit_sm, submit_sm_resp,
    deliver_sm, deliver_sm_resp,
    data_sm, data_sm_resp,
    query_sm, query_sm_resp,
    cancel_sm, cancel_sm_resp,
    replace_sm, replace_sm_resp,
    alert_notification>;

/// One PDU: header fields (command_length is derived when encoding), body, TLVs in wire order.
struct pdu {
  command_status status = command_status::ok;  ///< command_status; 0 in requests
  std::uint32_t sequence_number = 0;           ///< 1..0x7FFFFFFF; responses echo the request's
  pdu_body body;
  tlv_list tlvs;

  command_id id() const noexcept {
    return std::visit([](auto const& b) { return std::decay_t<decltype(b)>::id; }, body);
  }
  friend bool operator==(pdu const&, pdu const&) = default;
};

/// The spec's name of a command ("submit_sm_resp"), or "unknown" for ids not listed above.
std::string_view command_name(command_id id) noexcept;

}  // namespace smsgw::smpp
