// tools/smsgw-pdu/decoded_json.hpp: the informational "decoded" block smsgw-pdu prints next
// to the raw fields: the text of short_message / message_payload (smpp/text.hpp), the UDH's
// concatenation info, and for a delivery receipt the parsed receipt (smpp/receipt.hpp).
// It is derived from the raw fields only, so encode ignores it.
#pragma once

#include <boost/json/object.hpp>

#include "smpp/pdu.hpp"

namespace smsgw::pdu_tool {

/// Empty when the PDU carries no message content.
boost::json::object decoded_to_json(smpp::pdu const& p);

}  // namespace smsgw::pdu_tool
