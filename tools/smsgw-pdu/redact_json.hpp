// tools/smsgw-pdu/redact_json.hpp: `smsgw-pdu decode --redact`: the decoded JSON with the
// secrets taken out, so a capture can be pasted into a ticket or a chat. Passwords are
// replaced, raw message octets (short_message, message_payload and other content TLVs) are
// replaced by their length, and every digit of a message text (an OTP code is digits) is
// masked; a delivery receipt keeps its id, stat, err and dates, only its "text:" is masked.
#pragma once

#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace smsgw::pdu_tool {

/// Every ASCII digit of `text` replaced by '*'.
std::string mask_digits(std::string_view text);

/// Redacts in place one PDU object as printed by to_json() (pdu_json.hpp).
void redact_pdu_json(boost::json::object& pdu);

}  // namespace smsgw::pdu_tool
