// daemon/dispatch/sms_segments.hpp: how many SMS a text costs once sent: the count the
// dispatcher gives the token bucket (make_outbound) and the carrier bills, so that the API can
// refuse an OTP that would need more than [api] otp_max_segments before it is stored.
#pragma once

#include <string>
#include <string_view>

#include <boost/system/result.hpp>

namespace smsgw {

/// The segments of `utf8` in the smallest encoding (GSM 7-bit, else UCS-2), split into
/// concatenated parts of 153 septets / 67 UCS-2 units (one part if it fits 160 / 70); or why it
/// cannot be encoded. Pure.
boost::system::result<unsigned, std::string> sms_segments(std::string_view utf8);

}  // namespace smsgw
