// tools/smsgw-pdu/pdu_json.hpp: the JSON shape of a PDU, both ways, for smsgw-pdu.
//   {"command_length", "command_id": "0x00000004", "command_name": "submit_sm",
//    "command_status": "0x00000000", "command_status_name", "sequence_number",
//    "body": {fields by spec name}, "tlvs": [{"tag", "name", "length", "value" | "hex"}],
//    "decoded": {text, UDH, receipt; informational only}}
// Design decision: to_json prints every wire octet in a form from_json reads back, so
// decode -> JSON -> encode_json reproduces the same bytes; derived keys (command_length,
// sm_length, names, "decoded") are ignored on input. Unknown input keys are errors. An error
// response (command_status != 0) whose empty body was not on the wire prints no "body" key,
// and encode_json sends an error response's empty body only if "body" is given.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include "smpp/pdu.hpp"

namespace smsgw::pdu_tool {

/// A JSON input problem: `path` is where (e.g. "body.esm_class", "tlvs[1].tag").
struct json_error {
  std::string path;
  std::string what;
  std::string message() const { return path.empty() ? what : path + ": " + what; }
};

/// Lets result<T, json_error>::value() throw std::runtime_error(message()).
[[noreturn]] void throw_exception_from_error(json_error const& e, boost::source_location const& loc);

/// Every field of `p` (header, body, TLVs) plus the "decoded" block. `command_length` is the
/// length on the wire (pass the decoded byte count).
boost::json::object to_json(smpp::pdu const& p, std::size_t command_length);

/// Builds a PDU from the shape to_json prints. The body may give "text" (UTF-8) instead of
/// "short_message"; data_coding is then chosen automatically unless given.
boost::system::result<smpp::pdu, json_error> from_json(boost::json::value const& v);

/// from_json + smpp::encode: the wire octets of the PDU `v` describes. Codec refusals (a
/// field over its spec size) come back as a json_error with an empty path and the codec's
/// message ("source_addr at offset 19: ... (ESME_RINVSRCADR)").
boost::system::result<std::vector<std::uint8_t>, json_error> encode_json(boost::json::value const& v);

}  // namespace smsgw::pdu_tool
