// tools/smsgw-pdu/text_input.hpp: turns the "text" an operator writes in encode's JSON into
// short_message octets through smpp/text.hpp, choosing the smallest data_coding that holds
// it unless the JSON names one. A text that does not fit one short_message is an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "tools/smsgw-pdu/json_fields.hpp"

namespace smsgw::pdu_tool {

/// On success `chosen` is the data_coding used and `out` the short_message octets.
detail::maybe_error encode_text_input(std::string_view utf8, std::optional<std::uint8_t> data_coding,
                                      std::uint8_t& chosen, std::vector<std::uint8_t>& out);

}  // namespace smsgw::pdu_tool
