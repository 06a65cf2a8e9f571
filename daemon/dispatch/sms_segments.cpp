// daemon/dispatch/sms_segments.cpp: see sms_segments.hpp.
#include "daemon/dispatch/sms_segments.hpp"

#include "smpp/text.hpp"

namespace smsgw {

boost::system::result<unsigned, std::string> sms_segments(std::string_view utf8) {
  auto counted = smpp::encode_text(utf8);  // udh8 parts: what the SMSC bills
  if (!counted) return std::string("text cannot be encoded: ") + counted.error().message();
  return static_cast<unsigned>(counted->segments.size());
}

}  // namespace smsgw
