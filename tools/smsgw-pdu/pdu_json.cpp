// tools/smsgw-pdu/pdu_json.cpp: header + body + TLV assembly of the JSON shape (pdu_json.hpp).
// The body alternative is chosen from command_id / command_name by walking the pdu_body
// variant's types, so a PDU added to smpp/pdu.hpp only needs a field list in body_fields.hpp.
#include "tools/smsgw-pdu/pdu_json.hpp"

#include <stdexcept>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "smpp/codec.hpp"
#include "tools/smsgw-pdu/body_fields.hpp"
#include "tools/smsgw-pdu/decoded_json.hpp"
#include "tools/smsgw-pdu/hex.hpp"
#include "tools/smsgw-pdu/json_fields.hpp"
#include "tools/smsgw-pdu/text_input.hpp"
#include "tools/smsgw-pdu/tlv_json.hpp"

namespace smsgw::pdu_tool {
namespace {

namespace json = boost::json;
using detail::maybe_error;

json::value field_to_json(std::string const& s) { return detail::c_string_to_json(s); }
json::value field_to_json(std::uint8_t v) { return v; }
json::value field_to_json(std::vector<std::uint8_t> const& v) { return json::value(to_hex(v)); }

json::object body_to_json(smpp::pdu_body const& body) {
  json::object o;
  std::visit(
      [&](auto const& b) {
        detail::for_each_field(b, [&](char const* name, auto const& member) {
          if constexpr (std::is_same_v<std::decay_t<decltype(member)>, std::vector<std::uint8_t>>)
            o["sm_length"] = member.size();
          o[name] = field_to_json(member);
        });
      },
      body);
  return o;
}

/// Default-constructs the body alternative whose command_id is `id`; false if none.
template <std::size_t I = 0>
bool make_body(smpp::command_id id, smpp::pdu_body& out) {
  if constexpr (I < std::variant_size_v<smpp::pdu_body>) {
    using T = std::variant_alternative_t<I, smpp::pdu_body>;
    if (T::id == id) {
      out.emplace<I>();
      return true;
    }
    return make_body<I + 1>(id, out);
  } else {
    return false;
  }
}

/// The command_id whose spec name is `name`, if it is one of the PDUs we know.
template <std::size_t I = 0>
std::optional<smpp::command_id> id_by_name(std::string_view name) {
  if constexpr (I < std::variant_size_v<smpp::pdu_body>) {
    using T = std::variant_alternative_t<I, smpp::pdu_body>;
    if (smpp::command_name(T::id) == name) return T::id;
    return id_by_name<I + 1>(name);
  } else {
    return std::nullopt;
  }
}

maybe_error check_keys(json::object const& o, std::string const& path,
                       std::initializer_list<std::string_view> allowed) {
  for (auto const& kv : o) {
    bool ok = false;
    for (auto a : allowed) ok = ok || kv.key() == a;
    if (!ok) return json_error{path.empty() ? std::string(kv.key()) : path + "." + std::string(kv.key()),
                               "unknown key"};
  }
  return std::nullopt;
}

maybe_error read_command_id(json::object const& o, smpp::command_id& id) {
  std::optional<smpp::command_id> by_name;
  if (auto const* n = o.if_contains("command_name")) {
    if (!n->is_string()) return json_error{"command_name", "expected a string such as \"submit_sm\""};
    by_name = id_by_name(n->get_string());
    if (!by_name) return json_error{"command_name", "unknown PDU \"" + std::string(n->get_string()) + "\""};
  }
  if (auto const* v = o.if_contains("command_id")) {
    std::uint32_t raw = 0;
    if (auto e = detail::read_field(*v, "command_id", raw)) return e;
    id = static_cast<smpp::command_id>(raw);
    if (by_name && *by_name != id)
      return json_error{"command_id", "disagrees with command_name \"" +
                                          std::string(o.at("command_name").get_string()) + "\""};
    return std::nullopt;
  }
  if (!by_name) return json_error{"", "missing \"command_name\" (or \"command_id\")"};
  id = *by_name;
  return std::nullopt;
}

maybe_error read_command_status(json::value const& v, smpp::command_status& status) {
  if (auto const* s = v.if_string(); s != nullptr && s->starts_with("ESME_")) {
    for (std::uint32_t c = 0; c <= 0x1FF; ++c) {
      if (smpp::command_status_name(static_cast<smpp::command_status>(c)) == *s) {
        status = static_cast<smpp::command_status>(c);
        return std::nullopt;
      }
    }
    return json_error{"command_status", "unknown status name \"" + std::string(*s) + "\""};
  }
  std::uint32_t raw = 0;
  if (auto e = detail::read_field(v, "command_status", raw)) return e;
  status = static_cast<smpp::command_status>(raw);
  return std::nullopt;
}

template <class Body>
maybe_error body_from_json(json::object const& o, Body& b) {
  constexpr bool has_sm = detail::is_sm<Body>::value || std::is_same_v<Body, smpp::replace_sm>;
  maybe_error err;
  // Unknown keys first, so a typo is reported as such rather than silently defaulted.
  for (auto const& kv : o) {
    bool known = (has_sm && (kv.key() == "sm_length" || kv.key() == "text"));
    detail::for_each_field(b, [&](char const* name, auto const&) { known = known || kv.key() == name; });
    if (!known && !err) err = json_error{"body." + std::string(kv.key()), "unknown field for " +
                                             std::string(smpp::command_name(Body::id))};
  }
  if (err) return err;
  detail::for_each_field(b, [&](char const* name, auto& member) {
    if (err) return;
    if (auto const* v = o.if_contains(name)) err = detail::read_field(*v, "body." + std::string(name), member);
  });
  if (err) return err;
  if constexpr (has_sm) {
    if (auto const* t = o.if_contains("text")) {
      if (o.contains("short_message"))
        return json_error{"body.text", "give either \"text\" or \"short_message\", not both"};
      if (!t->is_string()) return json_error{"body.text", "expected a UTF-8 string"};
      // replace_sm has no data_coding: its text is encoded like the original's, chosen here.
      std::optional<std::uint8_t> coding;
      if constexpr (detail::is_sm<Body>::value)
        if (o.contains("data_coding")) coding = b.data_coding;
      std::uint8_t chosen = 0;
      if (auto e = encode_text_input(t->get_string(), coding, chosen, b.short_message)) return e;
      if constexpr (detail::is_sm<Body>::value) b.data_coding = chosen;
    }
  }
  return std::nullopt;
}

/// False only for an error response whose all-default body was left off the wire (SMPP 3.4
/// style); decided by comparing both encodings' lengths with the length actually received.
bool body_was_on_wire(smpp::pdu const& p, std::size_t command_length) {
  if (!smpp::is_response(p.id()) || p.status == smpp::command_status::ok) return true;
  bool const is_default = std::visit([](auto const& b) { return b == std::decay_t<decltype(b)>{}; }, p.body);
  if (!is_default) return true;
  std::vector<std::uint8_t> with_body, without_body;
  if (smpp::encode(p, with_body, {.error_response_body = true}) || smpp::encode(p, without_body))
    return true;
  return with_body.size() == without_body.size() || with_body.size() == command_length;
}

}  // namespace

void throw_exception_from_error(json_error const& e, boost::source_location const&) {
  throw std::runtime_error(e.message());
}

json::object to_json(smpp::pdu const& p, std::size_t command_length) {
  json::object o;
  auto const id = static_cast<std::uint32_t>(p.id());
  o["command_length"] = command_length;
  o["command_id"] = detail::hex_number(id, 8);
  o["command_name"] = smpp::command_name(p.id());
  o["command_status"] = detail::hex_number(static_cast<std::uint32_t>(p.status), 8);
  o["command_status_name"] = smpp::command_status_name(p.status);
  o["sequence_number"] = p.sequence_number;
  if (body_was_on_wire(p, command_length)) o["body"] = body_to_json(p.body);
  json::array tlvs;
  for (auto const& t : p.tlvs) tlvs.push_back(detail::tlv_to_json(t));
  o["tlvs"] = std::move(tlvs);
  if (auto d = decoded_to_json(p); !d.empty()) o["decoded"] = std::move(d);
  return o;
}

boost::system::result<smpp::pdu, json_error> from_json(json::value const& v) {
  auto const* o = v.if_object();
  if (o == nullptr) return json_error{"", "expected a JSON object describing one PDU"};
  if (auto e = check_keys(*o, "", {"command_length", "command_id", "command_name", "command_status",
                                   "command_status_name", "sequence_number", "body", "tlvs", "decoded"}))
    return *e;
  smpp::pdu p;
  smpp::command_id id{};
  if (auto e = read_command_id(*o, id)) return *e;
  if (!make_body(id, p.body))
    return json_error{"command_id", detail::hex_number(static_cast<std::uint32_t>(id), 8) +
                                        " is not a PDU smsgw knows (see smpp/pdu.hpp)"};
  if (auto const* s = o->if_contains("command_status"))
    if (auto e = read_command_status(*s, p.status)) return *e;
  p.sequence_number = 1;
  if (auto const* s = o->if_contains("sequence_number"))
    if (auto e = detail::read_field(*s, "sequence_number", p.sequence_number)) return *e;
  if (auto const* b = o->if_contains("body")) {
    auto const* bo = b->if_object();
    if (bo == nullptr) return json_error{"body", "expected an object"};
    maybe_error err;
    std::visit([&](auto& body) { err = body_from_json(*bo, body); }, p.body);
    if (err) return *err;
  }
  if (auto const* t = o->if_contains("tlvs")) {
    auto const* arr = t->if_array();
    if (arr == nullptr) return json_error{"tlvs", "expected an array"};
    for (std::size_t i = 0; i < arr->size(); ++i) {
      smpp::tlv tlv;
      if (auto e = detail::tlv_from_json((*arr)[i], "tlvs[" + std::to_string(i) + "]", tlv)) return *e;
      p.tlvs.push_back(std::move(tlv));
    }
  }
  return p;
}

}  // namespace smsgw::pdu_tool

namespace smsgw::pdu_tool {

boost::system::result<std::vector<std::uint8_t>, json_error> encode_json(json::value const& v) {
  auto p = from_json(v);
  if (!p) return p.error();
  smpp::encode_options options;
  options.error_response_body = v.as_object().contains("body");
  std::vector<std::uint8_t> out;
  if (auto e = smpp::encode(*p, out, options)) return json_error{"", e->message()};
  return out;
}

}  // namespace smsgw::pdu_tool
