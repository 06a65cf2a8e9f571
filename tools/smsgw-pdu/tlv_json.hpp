// tools/smsgw-pdu/tlv_json.hpp: one TLV <-> JSON. Known tags (smpp/tlv.hpp's table) print a
// typed "value" (integer, string for C-octet strings, {network_type, error_code} for
// network_error_code) when the wire value has the spec's shape; everything else prints raw
// "hex", so an odd or vendor TLV still round-trips byte for byte.
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "smpp/pdu.hpp"
#include "tools/smsgw-pdu/json_fields.hpp"

namespace smsgw::pdu_tool::detail {

boost::json::object tlv_to_json(smpp::tlv const& t);

/// Reads {"tag": "0x0424" | 1060 | "message_payload", "value": typed | "hex": "..."}.
maybe_error tlv_from_json(boost::json::value const& v, std::string const& path, smpp::tlv& out);

}  // namespace smsgw::pdu_tool::detail
