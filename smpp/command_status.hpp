// smpp/command_status.hpp: the SMPP 3.4 command_status codes as a std::error_code enum,
// plus smsgw's own codec/session error codes (smpp::errc). Every module boundary in smpp/
// reports failures through these, so callers can both log the spec's text and answer a
// peer with the exact status. Values: docs/smpp.md §command_status.
#pragma once

#include <cstdint>
#include <string_view>
#include <system_error>

namespace smsgw::smpp {

enum class command_status : std::uint32_t {
  ok = 0x00,                  ///< ESME_ROK: no error.
  invmsglen = 0x01,           ///< ESME_RINVMSGLEN: sm_length / message length invalid.
  invcmdlen = 0x02,           ///< ESME_RINVCMDLEN: command_length invalid (too short, too long, or disagrees with the body).
  invcmdid = 0x03,            ///< ESME_RINVCMDID: unknown or unsupported command_id.
  invbndsts = 0x04,           ///< ESME_RINVBNDSTS: command not allowed in the current bind state.
  alybnd = 0x05,              ///< ESME_RALYBND: already bound.
  invprtflg = 0x06,           ///< ESME_RINVPRTFLG: invalid priority_flag.
  invregdlvflg = 0x07,        ///< ESME_RINVREGDLVFLG: invalid registered_delivery.
  syserr = 0x08,              ///< ESME_RSYSERR: SMSC system error (temporary).
  invsrcadr = 0x0A,           ///< ESME_RINVSRCADR: invalid source address.
  invdstadr = 0x0B,           ///< ESME_RINVDSTADR: invalid destination address (permanent for that number).
  invmsgid = 0x0C,            ///< ESME_RINVMSGID: invalid message_id.
  bindfail = 0x0D,            ///< ESME_RBINDFAIL: bind failed.
  invpaswd = 0x0E,            ///< ESME_RINVPASWD: invalid password.
  invsysid = 0x0F,            ///< ESME_RINVSYSID: invalid system_id.
  cancelfail = 0x11,          ///< ESME_RCANCELFAIL: cancel_sm failed.
  replacefail = 0x13,         ///< ESME_RREPLACEFAIL: replace_sm failed.
  msgqful = 0x14,             ///< ESME_RMSGQFUL: SMSC message queue full (temporary, treated like throttling).
  invsertyp = 0x15,           ///< ESME_RINVSERTYP: invalid service_type.
  invnumdests = 0x33,         ///< ESME_RINVNUMDESTS: invalid number of destinations.
  invdlname = 0x34,           ///< ESME_RINVDLNAME: invalid distribution list name.
  invdestflag = 0x40,         ///< ESME_RINVDESTFLAG: invalid dest_flag (submit_multi).
  invsubrep = 0x42,           ///< ESME_RINVSUBREP: invalid submit-with-replace request.
  invesmclass = 0x43,         ///< ESME_RINVESMCLASS: invalid esm_class.
  cntsubdl = 0x44,            ///< ESME_RCNTSUBDL: cannot submit to distribution list.
  submitfail = 0x45,          ///< ESME_RSUBMITFAIL: submit_sm failed (generic).
  invsrcton = 0x48,           ///< ESME_RINVSRCTON: invalid source_addr_ton.
  invsrcnpi = 0x49,           ///< ESME_RINVSRCNPI: invalid source_addr_npi.
  invdstton = 0x50,           ///< ESME_RINVDSTTON: invalid dest_addr_ton.
  invdstnpi = 0x51,           ///< ESME_RINVDSTNPI: invalid dest_addr_npi.
  invsystyp = 0x53,           ///< ESME_RINVSYSTYP: invalid system_type.
  invrepflag = 0x54,          ///< ESME_RINVREPFLAG: invalid replace_if_present_flag.
  invnummsgs = 0x55,          ///< ESME_RINVNUMMSGS: invalid number of messages.
  throttled = 0x58,           ///< ESME_RTHROTTLED: over the SMSC's rate limit (temporary, slow down).
  invsched = 0x61,            ///< ESME_RINVSCHED: invalid schedule_delivery_time.
  invexpiry = 0x62,           ///< ESME_RINVEXPIRY: invalid validity_period.
  invdftmsgid = 0x63,         ///< ESME_RINVDFTMSGID: predefined message not found.
  x_t_appn = 0x64,            ///< ESME_RX_T_APPN: receiver temporary app error (asks for redelivery).
  x_p_appn = 0x65,            ///< ESME_RX_P_APPN: receiver permanent app error.
  x_r_appn = 0x66,            ///< ESME_RX_R_APPN: receiver rejects the message.
  queryfail = 0x67,           ///< ESME_RQUERYFAIL: query_sm failed.
  invoptparstream = 0xC0,     ///< ESME_RINVOPTPARSTREAM: malformed TLV stream (truncated TLV).
  optparnotallwd = 0xC1,      ///< ESME_ROPTPARNOTALLWD: TLV not allowed here.
  invparlen = 0xC2,           ///< ESME_RINVPARLEN: a TLV has an invalid length.
  missingoptparam = 0xC3,     ///< ESME_RMISSINGOPTPARAM: an expected TLV is missing.
  invoptparamval = 0xC4,      ///< ESME_RINVOPTPARAMVAL: a TLV has an invalid value.
  deliveryfailure = 0xFE,     ///< ESME_RDELIVERYFAILURE: data_sm delivery failure.
  unknownerr = 0xFF,          ///< ESME_RUNKNOWNERR: unknown error.
};

/// The spec's name for a status ("ESME_RTHROTTLED"), or "ESME_UNKNOWN" for codes not listed.
std::string_view command_status_name(command_status s) noexcept;

/// Error category whose message() is the spec's text plus the hex code, e.g.
/// "throttling error (ESME_RTHROTTLED, 0x00000058)".
std::error_category const& command_status_category() noexcept;
std::error_code make_error_code(command_status s) noexcept;

/// True for statuses a gateway retries later on the same route (throttled, queue full,
/// system error, temporary app error); everything else rejects the message on that route.
bool is_temporary(command_status s) noexcept;

/// True for bind failures caused by credentials/configuration (RINVPASWD, RINVSYSID,
/// RINVSYSTYP): retrying fast cannot help, so they are logged once and retried slowly.
bool is_credential_error(command_status s) noexcept;

}  // namespace smsgw::smpp

template <>
struct std::is_error_code_enum<smsgw::smpp::command_status> : std::true_type {};
