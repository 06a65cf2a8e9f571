// tools/smsc-sim/sim_config.cpp: parsers for the simulator's command-line spellings and
// the small outcome/id helpers. Pure functions; bad input yields nullopt (and a reason).
#include "tools/smsc-sim/sim_config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace smsgw::sim {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view s, int base) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<outcome_mix> parse_outcomes(std::string_view text, std::string& error) {
  outcome_mix mix{0, 0, 0, 0, 0};
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      error = fmt::format("outcome '{}' has no '=weight'", item);
      return std::nullopt;
    }
    auto name = upper(trim(item.substr(0, eq)));
    auto weight = parse_unsigned(trim(item.substr(eq + 1)), 10);
    if (!weight || *weight > 1000000) {
      error = fmt::format("outcome '{}' has a bad weight", item);
      return std::nullopt;
    }
    auto w = static_cast<unsigned>(*weight);
    if (name == "DELIVRD") mix.delivrd = w;
    else if (name == "UNDELIV") mix.undeliv = w;
    else if (name == "REJECTD") mix.rejectd = w;
    else if (name == "EXPIRED") mix.expired = w;
    else if (name == "NONE") mix.none = w;
    else {
      error = fmt::format("unknown outcome '{}' (DELIVRD, UNDELIV, REJECTD, EXPIRED, NONE)", name);
      return std::nullopt;
    }
  }
  if (mix.total() == 0) {
    error = "outcome weights sum to 0";
    return std::nullopt;
  }
  return mix;
}

std::optional<id_format> parse_id_format(std::string_view text) {
  if (text == "hex") return id_format::hex;
  if (text == "dec") return id_format::dec;
  return std::nullopt;
}

std::optional<receipt_form> parse_receipt_form(std::string_view text) {
  if (text == "text") return receipt_form::text;
  if (text == "tlv") return receipt_form::tlv;
  if (text == "both") return receipt_form::both;
  return std::nullopt;
}

std::optional<malformed_kind> parse_malformed_kind(std::string_view text) {
  if (text == "bad_length") return malformed_kind::bad_length;
  if (text == "unknown_command_id") return malformed_kind::unknown_command_id;
  if (text == "truncated_tlv") return malformed_kind::truncated_tlv;
  if (text == "giant_length") return malformed_kind::giant_length;
  return std::nullopt;
}

std::optional<smpp::command_status> parse_command_status(std::string_view text) {
  text = trim(text);
  if (text.starts_with("0x") || text.starts_with("0X")) {
    auto v = parse_unsigned(text.substr(2), 16);
    if (!v || *v > 0xFFFFFFFFu) return std::nullopt;
    return static_cast<smpp::command_status>(*v);
  }
  if (auto v = parse_unsigned(text, 10)) {
    if (*v > 0xFFFFFFFFu) return std::nullopt;
    return static_cast<smpp::command_status>(*v);
  }
  auto wanted = upper(text);
  if (!wanted.starts_with("ESME_")) wanted = "ESME_" + wanted;
  for (std::uint32_t code = 0; code <= 0xFF; ++code) {
    auto s = static_cast<smpp::command_status>(code);
    if (smpp::command_status_name(s) == wanted) return s;
  }
  return std::nullopt;
}

std::string_view outcome_name(outcome o) noexcept {
  switch (o) {
    case outcome::delivrd: return "DELIVRD";
    case outcome::undeliv: return "UNDELIV";
    case outcome::rejectd: return "REJECTD";
    case outcome::expired: return "EXPIRED";
    case outcome::none: return "NONE";
  }
  return "NONE";
}

std::uint8_t outcome_message_state(outcome o) noexcept {
  switch (o) {
    case outcome::delivrd: return 2;
    case outcome::expired: return 3;
    case outcome::undeliv: return 5;
    case outcome::rejectd: return 8;
    case outcome::none: return 0;
  }
  return 0;
}

std::string format_message_id(std::uint64_t n, id_format f) {
  return f == id_format::hex ? fmt::format("{:08X}", n) : fmt::format("{:010}", n);
}

}  // namespace smsgw::sim
