// daemon/redact/redact.hpp: what may reach a log line. OTP codes and SMPP passwords never appear
// in clear in any log; every log call that prints message text or credentials goes
// through these helpers. Pure functions, safe on any input.
#pragma once

#include <string>
#include <string_view>

namespace smsgw {

/// A password as it may be logged: always "***", whatever it is (even its length is hidden).
inline std::string_view redact_password(std::string_view) noexcept { return "***"; }

/// Message text as it may be logged: every run of 3 or more digits (an OTP code, or a part
/// of one) is replaced by the same number of '*'. "Kode OTP 123456" -> "Kode OTP ******".
std::string redact_text(std::string_view text);

}  // namespace smsgw
