// smpp/unicode.hpp: strict UTF-8 decoding to code points and UTF-8/UTF-16 encoding helpers
// used by the text codecs. Decoding is strict (RFC 3629): overlong forms, surrogates
// (U+D800..U+DFFF), values above U+10FFFF and truncated sequences are rejected, so the
// encoder can refuse bad input with a clear error instead of sending garbage to a handset.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace smsgw::smpp::unicode {

inline constexpr char32_t replacement_char = 0xFFFD;

/// Code points of `utf8`, or nullopt if it is not well-formed; `bad_offset` (if given)
/// receives the byte offset of the first ill-formed sequence.
std::optional<std::u32string> decode_utf8(std::string_view utf8, std::size_t* bad_offset = nullptr);

/// Appends the UTF-8 form of `cp` (must be a scalar value; others append U+FFFD).
void append_utf8(std::string& out, char32_t cp);

/// Appends the UTF-16 code units of `cp` (a surrogate pair above U+FFFF).
void append_utf16(std::vector<char16_t>& out, char32_t cp);

}  // namespace smsgw::smpp::unicode
