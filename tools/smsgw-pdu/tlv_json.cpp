// tools/smsgw-pdu/tlv_json.cpp: see tlv_json.hpp. Which known TLVs are C-octet strings is
// decided here (the size table in smpp/tlv.cpp does not say), from SMPP 3.4 §5.3.2.
#include "tools/smsgw-pdu/tlv_json.hpp"

#include "smpp/tlv.hpp"
#include "tools/smsgw-pdu/hex.hpp"

namespace smsgw::pdu_tool::detail {
namespace {

namespace json = boost::json;

enum class tlv_kind { octets, integer, c_string, network_error_code };

tlv_kind kind_of(std::uint16_t tag) noexcept {
  if (tag == smpp::tag::receipted_message_id || tag == smpp::tag::additional_status_info_text)
    return tlv_kind::c_string;
  if (tag == smpp::tag::network_error_code) return tlv_kind::network_error_code;
  auto const* spec = smpp::find_tlv_spec(tag);
  if (spec != nullptr && spec->min_len == spec->max_len &&
      (spec->min_len == 1 || spec->min_len == 2 || spec->min_len == 4))
    return tlv_kind::integer;
  return tlv_kind::octets;
}

std::uint64_t load_be(std::vector<std::uint8_t> const& v) noexcept {
  std::uint64_t x = 0;
  for (auto b : v) x = (x << 8) | b;
  return x;
}

/// The typed JSON for `t`, or null if its value does not have the spec's shape.
json::value typed_value(smpp::tlv const& t) {
  auto const& v = t.value;
  switch (kind_of(t.tag)) {
    case tlv_kind::integer: {
      auto const* spec = smpp::find_tlv_spec(t.tag);
      if (v.size() != spec->min_len) return nullptr;
      return load_be(v);
    }
    case tlv_kind::c_string: {
      if (v.empty() || v.back() != 0) return nullptr;
      std::string s(v.begin(), v.end() - 1);
      if (s.find('\0') != std::string::npos || !is_valid_utf8(s)) return nullptr;
      return json::value(s);
    }
    case tlv_kind::network_error_code:
      if (v.size() != 3) return nullptr;
      return json::object{{"network_type", v[0]},
                          {"error_code", (std::uint64_t{v[1]} << 8) | v[2]}};
    case tlv_kind::octets: break;
  }
  return nullptr;
}

maybe_error read_tag(json::value const& v, std::string const& path, std::uint16_t& tag) {
  if (auto const* s = v.if_string(); s != nullptr && !s->starts_with("0x") && !s->starts_with("0X")) {
    for (std::uint32_t t = 0; t <= 0xFFFF; ++t) {
      auto const* spec = smpp::find_tlv_spec(static_cast<std::uint16_t>(t));
      if (spec != nullptr && spec->name == *s) {
        tag = static_cast<std::uint16_t>(t);
        return std::nullopt;
      }
    }
    return json_error{path, "unknown TLV name \"" + std::string(*s) + "\" (give the tag in hex)"};
  }
  return read_field(v, path, tag);
}

maybe_error typed_from_json(json::value const& v, std::string const& path, smpp::tlv& out) {
  switch (kind_of(out.tag)) {
    case tlv_kind::integer: {
      auto const size = smpp::find_tlv_spec(out.tag)->min_len;
      std::uint64_t x = 0;
      if (auto e = read_uint(v, path, size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1, x)) return e;
      for (int i = size - 1; i >= 0; --i) out.value.push_back(static_cast<std::uint8_t>(x >> (8 * i)));
      return std::nullopt;
    }
    case tlv_kind::c_string: {
      std::string s;
      if (auto e = read_c_string(v, path, s)) return e;
      out.value.assign(s.begin(), s.end());
      out.value.push_back(0);
      return std::nullopt;
    }
    case tlv_kind::network_error_code: {
      auto const* o = v.if_object();
      if (o == nullptr || !o->contains("network_type") || !o->contains("error_code") || o->size() != 2)
        return json_error{path, "expected {\"network_type\": n, \"error_code\": n}"};
      std::uint8_t type = 0;
      std::uint16_t code = 0;
      if (auto e = read_field(o->at("network_type"), path + ".network_type", type)) return e;
      if (auto e = read_field(o->at("error_code"), path + ".error_code", code)) return e;
      out.value = {type, static_cast<std::uint8_t>(code >> 8), static_cast<std::uint8_t>(code)};
      return std::nullopt;
    }
    case tlv_kind::octets: break;
  }
  return json_error{path, "this TLV has no typed form; give its value as \"hex\""};
}

}  // namespace

json::object tlv_to_json(smpp::tlv const& t) {
  json::object o;
  o["tag"] = hex_number(t.tag, 4);
  if (smpp::find_tlv_spec(t.tag) != nullptr) o["name"] = smpp::tlv_name(t.tag);
  o["length"] = t.value.size();
  if (auto typed = typed_value(t); !typed.is_null())
    o["value"] = std::move(typed);
  else
    o["hex"] = to_hex(t.value);
  return o;
}

maybe_error tlv_from_json(json::value const& v, std::string const& path, smpp::tlv& out) {
  auto const* o = v.if_object();
  if (o == nullptr) return json_error{path, "expected an object {\"tag\": ..., \"value\" or \"hex\": ...}"};
  for (auto const& kv : *o)
    if (kv.key() != "tag" && kv.key() != "name" && kv.key() != "length" && kv.key() != "value" &&
        kv.key() != "hex")
      return json_error{path, "unknown key \"" + std::string(kv.key()) + "\""};
  out = {};
  if (!o->contains("tag")) return json_error{path, "missing \"tag\""};
  if (auto e = read_tag(o->at("tag"), path + ".tag", out.tag)) return e;
  bool const has_value = o->contains("value");
  bool const has_hex = o->contains("hex");
  if (has_value == has_hex) return json_error{path, "give exactly one of \"value\" and \"hex\""};
  if (has_hex) {
    if (auto e = read_hex(o->at("hex"), path + ".hex", out.value)) return e;
  } else if (auto e = typed_from_json(o->at("value"), path + ".value", out)) {
    return e;
  }
  if (out.value.size() > 0xFFFF) return json_error{path, "value longer than 65535 octets"};
  return std::nullopt;
}

}  // namespace smsgw::pdu_tool::detail
