// tools/smsgw-pdu/receipt_json.hpp: the "receipt" entry of the decoded block: for a
// deliver_sm / data_sm whose esm_class marks a delivery receipt (type 0x04) or an
// intermediate notification (0x20), the receipt as smpp/receipt.hpp parses it (TLVs first,
// then the text), or "receipt_error" saying why it could not be parsed.
#pragma once

#include <boost/json/object.hpp>

#include "smpp/pdu.hpp"

namespace smsgw::pdu_tool {

void add_receipt(boost::json::object& decoded, smpp::pdu const& p);

}  // namespace smsgw::pdu_tool
