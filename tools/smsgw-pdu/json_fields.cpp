// tools/smsgw-pdu/json_fields.cpp: see json_fields.hpp.
#include "tools/smsgw-pdu/json_fields.hpp"

#include <charconv>

#include <boost/json/object.hpp>

#include "tools/smsgw-pdu/hex.hpp"

namespace smsgw::pdu_tool::detail {

std::string hex_number(std::uint64_t v, int digits) {
  static constexpr char d[] = "0123456789abcdef";
  std::string s(static_cast<std::size_t>(digits) + 2, '0');
  s[1] = 'x';
  for (int i = digits + 1; i >= 2; --i, v >>= 4) s[static_cast<std::size_t>(i)] = d[v & 0xF];
  return s;
}

bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size()) {
    auto const c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1Fu; }
    else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0Fu; }
    else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07u; }
    else return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      auto const cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3Fu);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return false;
    i += n + 1;
  }
  return true;
}

boost::json::value c_string_to_json(std::string const& s) {
  if (is_valid_utf8(s)) return boost::json::value(s);
  auto const* p = reinterpret_cast<std::uint8_t const*>(s.data());
  return boost::json::object{{"hex", to_hex({p, s.size()})}};
}

maybe_error read_uint(boost::json::value const& v, std::string const& path, std::uint64_t max,
                      std::uint64_t& out) {
  auto const range = [&] {
    return json_error{path, "value out of range 0.." + std::to_string(max)};
  };
  if (v.is_uint64()) {
    out = v.get_uint64();
  } else if (v.is_int64()) {
    if (v.get_int64() < 0) return range();
    out = static_cast<std::uint64_t>(v.get_int64());
  } else if (v.is_string()) {
    std::string_view s = v.get_string();
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
      s.remove_prefix(2);
      base = 16;
    }
    auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, base);
    if (s.empty() || ec == std::errc::invalid_argument || end != s.data() + s.size())
      return json_error{path, "expected an integer (e.g. 64 or \"0x40\"), got \"" +
                                  std::string(v.get_string()) + "\""};
    if (ec == std::errc::result_out_of_range) return range();
  } else {
    return json_error{path, "expected an integer (e.g. 64 or \"0x40\")"};
  }
  if (out > max) return range();
  return std::nullopt;
}

maybe_error read_c_string(boost::json::value const& v, std::string const& path, std::string& out) {
  if (v.is_string()) {
    out = std::string(v.get_string());
  } else if (auto const* o = v.if_object(); o != nullptr && o->size() == 1 && o->contains("hex")) {
    std::vector<std::uint8_t> bytes;
    if (auto e = read_hex(o->at("hex"), path + ".hex", bytes)) return e;
    out.assign(bytes.begin(), bytes.end());
  } else {
    return json_error{path, "expected a string or {\"hex\": \"...\"}"};
  }
  if (out.find('\0') != std::string::npos)
    return json_error{path, "a C-octet string cannot contain a NUL octet"};
  return std::nullopt;
}

maybe_error read_hex(boost::json::value const& v, std::string const& path,
                     std::vector<std::uint8_t>& out) {
  if (!v.is_string()) return json_error{path, "expected a hex string"};
  out.clear();
  if (auto e = parse_hex(v.get_string(), out)) return json_error{path, e->message()};
  return std::nullopt;
}

}  // namespace smsgw::pdu_tool::detail
