// tools/smsgw-pdu/text_input.cpp: see text_input.hpp. Automatic choice is smpp::encode_text's
// default (GSM 03.38 unpacked, else UCS-2; Latin-1 is never chosen automatically because many
// SMSCs mishandle data_coding 3). An explicit data_coding forces its alphabet.
#include "tools/smsgw-pdu/text_input.hpp"

#include "smpp/text.hpp"

namespace smsgw::pdu_tool {

detail::maybe_error encode_text_input(std::string_view utf8, std::optional<std::uint8_t> data_coding,
                                      std::uint8_t& chosen, std::vector<std::uint8_t>& out) {
  smpp::text_options options;
  options.split = smpp::split_mode::single;
  if (data_coding) {
    auto const enc = smpp::encoding_of(*data_coding);
    if (!enc)
      return json_error{"body.data_coding", "data_coding " + detail::hex_number(*data_coding, 2) +
                                                " is not a text alphabet; give short_message as hex"};
    options.force = *enc;
    if (*enc == smpp::text_encoding::gsm7) options.gsm7_data_coding = *data_coding;
  }
  auto encoded = smpp::encode_text(utf8, options);
  if (!encoded) {
    std::string what = encoded.error().message();
    if (encoded.error() == smpp::content_errc::too_long)
      what = "text does not fit one short_message (160 GSM 03.38 characters, 140 octets or 70 "
             "UCS-2 units); give a message_payload TLV instead";
    return json_error{"body.text", what};
  }
  chosen = data_coding.value_or(encoded->data_coding);
  out = std::move(encoded->segments.at(0));
  return std::nullopt;
}

}  // namespace smsgw::pdu_tool
