// tools/smsgw-pdu/receipt_json.hpp: the "receipt" entry of the decoded block: for a
// deliver_sm / data_sm whose esm_class marks a delivery receipt (type 0x04) or an
// intermediate notification (0x20), the receipt as smpp/receipt.hpp parses it (TLVs first,
// then the text), or "receipt_error" saying why it could not be parsed.
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "smpp/pdu.hpp"

namespace smsgw::pdu_tool {

void add_receipt(boost::json::object& decoded, smpp::pdu const& p);

/// {"same": k, "resp_hex_dlr_dec": k, "resp_dec_dlr_hex": k}: the lookup key of a message id
/// under each per-route id format (smpp/message_id.hpp), so an operator can see which route
/// setting makes a submit_sm_resp id and a receipt id meet. `from_receipt` picks the side.
boost::json::object message_id_keys(std::string const& raw, bool from_receipt);

}  // namespace smsgw::pdu_tool
