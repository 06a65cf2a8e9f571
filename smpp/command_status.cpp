// smpp/command_status.cpp: names and texts of the SMPP 3.4 command_status codes, the
// std::error_category that carries them, and the retry classification gateways rely on.
#include "smpp/command_status.hpp"

#include <cstdio>
#include <string>

namespace smsgw::smpp {
namespace {

std::string_view status_text(command_status s) noexcept {
  switch (s) {
    case command_status::ok: return "no error";
    case command_status::invmsglen: return "sm_length / message length invalid";
    case command_status::invcmdlen: return "command_length invalid (too short, too long, or disagrees with the body)";
    case command_status::invcmdid: return "unknown or unsupported command_id";
    case command_status::invbndsts: return "command not allowed in the current bind state";
    case command_status::alybnd: return "already bound";
    case command_status::invprtflg: return "invalid priority_flag";
    case command_status::invregdlvflg: return "invalid registered_delivery";
    case command_status::syserr: return "SMSC system error (temporary)";
    case command_status::invsrcadr: return "invalid source address";
    case command_status::invdstadr: return "invalid destination address (permanent for that number)";
    case command_status::invmsgid: return "invalid message_id";
    case command_status::bindfail: return "bind failed";
    case command_status::invpaswd: return "invalid password";
    case command_status::invsysid: return "invalid system_id";
    case command_status::cancelfail: return "cancel_sm failed";
    case command_status::replacefail: return "replace_sm failed";
    case command_status::msgqful: return "SMSC message queue full (temporary, treated like throttling)";
    case command_status::invsertyp: return "invalid service_type";
    case command_status::invnumdests: return "invalid number of destinations";
    case command_status::invdlname: return "invalid distribution list name";
    case command_status::invdestflag: return "invalid dest_flag (submit_multi)";
    case command_status::invsubrep: return "invalid submit-with-replace request";
    case command_status::invesmclass: return "invalid esm_class";
    case command_status::cntsubdl: return "cannot submit to distribution list";
    case command_status::submitfail: return "submit_sm failed (generic)";
    case command_status::invsrcton: return "invalid source_addr_ton";
    case command_status::invsrcnpi: return "invalid source_addr_npi";
    case command_status::invdstton: return "invalid dest_addr_ton";
    case command_status::invdstnpi: return "invalid dest_addr_npi";
    case command_status::invsystyp: return "invalid system_type";
    case command_status::invrepflag: return "invalid replace_if_present_flag";
    case command_status::invnummsgs: return "invalid number of messages";
    case command_status::throttled: return "over the SMSC's rate limit (temporary, slow down)";
    case command_status::invsched: return "invalid schedule_delivery_time";
    case command_status::invexpiry: return "invalid validity_period";
    case command_status::invdftmsgid: return "predefined message not found";
    case command_status::x_t_appn: return "receiver temporary app error (asks for redelivery)";
    case command_status::x_p_appn: return "receiver permanent app error";
    case command_status::x_r_appn: return "receiver rejects the message";
    case command_status::queryfail: return "query_sm failed";
    case command_status::invoptparstream: return "malformed TLV stream (truncated TLV)";
    case command_status::optparnotallwd: return "TLV not allowed here";
    case command_status::invparlen: return "a TLV has an invalid length";
    case command_status::missingoptparam: return "an expected TLV is missing";
    case command_status::invoptparamval: return "a TLV has an invalid value";
    case command_status::deliveryfailure: return "data_sm delivery failure";
    case command_status::unknownerr: return "unknown error";
  }
  return "unknown command_status";
}

class command_status_category_impl final : public std::error_category {
 public:
  char const* name() const noexcept override { return "smpp.command_status"; }
  std::string message(int value) const override {
    auto const s = static_cast<command_status>(static_cast<std::uint32_t>(value));
    char code[16];
    std::snprintf(code, sizeof code, "0x%08x", static_cast<unsigned>(value));
    return std::string(status_text(s)) + " (" + std::string(command_status_name(s)) + ", " + code + ")";
  }
};

}  // namespace

std::string_view command_status_name(command_status s) noexcept {
  switch (s) {
    case command_status::ok: return "ESME_ROK";
    case command_status::invmsglen: return "ESME_RINVMSGLEN";
    case command_status::invcmdlen: return "ESME_RINVCMDLEN";
    case command_status::invcmdid: return "ESME_RINVCMDID";
    case command_status::invbndsts: return "ESME_RINVBNDSTS";
    case command_status::alybnd: return "ESME_RALYBND";
    case command_status::invprtflg: return "ESME_RINVPRTFLG";
    case command_status::invregdlvflg: return "ESME_RINVREGDLVFLG";
    case command_status::syserr: return "ESME_RSYSERR";
    case command_status::invsrcadr: return "ESME_RINVSRCADR";
    case command_status::invdstadr: return "ESME_RINVDSTADR";
    case command_status::invmsgid: return "ESME_RINVMSGID";
    case command_status::bindfail: return "ESME_RBINDFAIL";
    case command_status::invpaswd: return "ESME_RINVPASWD";
    case command_status::invsysid: return "ESME_RINVSYSID";
    case command_status::cancelfail: return "ESME_RCANCELFAIL";
    case command_status::replacefail: return "ESME_RREPLACEFAIL";
    case command_status::msgqful: return "ESME_RMSGQFUL";
    case command_status::invsertyp: return "ESME_RINVSERTYP";
    case command_status::invnumdests: return "ESME_RINVNUMDESTS";
    case command_status::invdlname: return "ESME_RINVDLNAME";
    case command_status::invdestflag: return "ESME_RINVDESTFLAG";
    case command_status::invsubrep: return "ESME_RINVSUBREP";
    case command_status::invesmclass: return "ESME_RINVESMCLASS";
    case command_status::cntsubdl: return "ESME_RCNTSUBDL";
    case command_status::submitfail: return "ESME_RSUBMITFAIL";
    case command_status::invsrcton: return "ESME_RINVSRCTON";
    case command_status::invsrcnpi: return "ESME_RINVSRCNPI";
    case command_status::invdstton: return "ESME_RINVDSTTON";
    case command_status::invdstnpi: return "ESME_RINVDSTNPI";
    case command_status::invsystyp: return "ESME_RINVSYSTYP";
    case command_status::invrepflag: return "ESME_RINVREPFLAG";
    case command_status::invnummsgs: return "ESME_RINVNUMMSGS";
    case command_status::throttled: return "ESME_RTHROTTLED";
    case command_status::invsched: return "ESME_RINVSCHED";
    case command_status::invexpiry: return "ESME_RINVEXPIRY";
    case command_status::invdftmsgid: return "ESME_RINVDFTMSGID";
    case command_status::x_t_appn: return "ESME_RX_T_APPN";
    case command_status::x_p_appn: return "ESME_RX_P_APPN";
    case command_status::x_r_appn: return "ESME_RX_R_APPN";
    case command_status::queryfail: return "ESME_RQUERYFAIL";
    case command_status::invoptparstream: return "ESME_RINVOPTPARSTREAM";
    case command_status::optparnotallwd: return "ESME_ROPTPARNOTALLWD";
    case command_status::invparlen: return "ESME_RINVPARLEN";
    case command_status::missingoptparam: return "ESME_RMISSINGOPTPARAM";
    case command_status::invoptparamval: return "ESME_RINVOPTPARAMVAL";
    case command_status::deliveryfailure: return "ESME_RDELIVERYFAILURE";
    case command_status::unknownerr: return "ESME_RUNKNOWNERR";
  }
  return "ESME_UNKNOWN";
}

std::error_category const& command_status_category() noexcept {
  static command_status_category_impl const category;
  return category;
}

std::error_code make_error_code(command_status s) noexcept {
  return {static_cast<int>(s), command_status_category()};
}

bool is_temporary(command_status s) noexcept {
  switch (s) {
    case command_status::throttled:
    case command_status::msgqful:
    case command_status::syserr:
    case command_status::x_t_appn:
      return true;
    default:
      return false;
  }
}

bool is_credential_error(command_status s) noexcept {
  return s == command_status::invpaswd || s == command_status::invsysid ||
         s == command_status::invsystyp;
}

}  // namespace smsgw::smpp
