// smpp/content_errc.hpp: error codes for the pure content helpers of smpp/ — text encoding
// and decoding (text.hpp), delivery-receipt parsing (receipt.hpp) and SMPP time strings
// (validity.hpp). They travel as std::error_code inside boost::system::result, so callers can
// log message() and map them to an SMPP command_status with to_command_status().
#pragma once

#include <system_error>

#include <boost/system/result.hpp>

#include "smpp/command_status.hpp"

namespace smsgw::smpp {

/// Result of the content helpers: a value or a content_errc (as std::error_code).
template <class T>
using content_result = boost::system::result<T, std::error_code>;

enum class content_errc {
  invalid_utf8 = 1,         ///< encoder input is not well-formed UTF-8 (overlong, surrogate, truncated, > U+10FFFF)
  not_representable,        ///< a forced encoding (text_options::force) cannot represent a character
  too_long,                 ///< text needs more segments than allowed, or exceeds the message_payload limit
  unsupported_data_coding,  ///< decode_text: data_coding is binary or an alphabet we do not decode
  bad_udh,                  ///< decode_text: UDHI set but the UDH length runs past the data
  not_a_receipt,            ///< parse_receipt: esm_class type is neither 0x04 (SMSC receipt) nor 0x20 (intermediate)
  receipt_missing_id,       ///< parse_receipt: no receipted_message_id TLV and no id: in the text
  receipt_missing_state,    ///< parse_receipt: no message_state TLV and no stat: in the text
  invalid_time,             ///< SMPP time string malformed (length, digits, p, field ranges)
  time_out_of_range,        ///< time value cannot be expressed (year outside 2000-2099, offset > 48 quarters, ...)
};

std::error_category const& content_category() noexcept;
std::error_code make_error_code(content_errc e) noexcept;

/// The status an SMSC would answer with for this error. invalid_time/time_out_of_range map to
/// ESME_RINVSCHED when `schedule` is true, else ESME_RINVEXPIRY; text errors to ESME_RINVMSGLEN
/// or ESME_RSUBMITFAIL; receipt errors to ESME_RX_P_APPN (what an ESME answers a bad deliver_sm with).
command_status to_command_status(content_errc e, bool schedule = false) noexcept;

}  // namespace smsgw::smpp

template <>
struct std::is_error_code_enum<smsgw::smpp::content_errc> : std::true_type {};
