// smpp/receipt_text.cpp: the DLR text form — key scanner, stat words, dates, and the formatter
// used by the SMSC simulator. The scanner looks for known keys at word starts only, so values
// that merely contain ':' (UUIDs, URLs, "text:a:b") are left alone.
#include <array>
#include <cstdio>

#include "smpp/receipt.hpp"

namespace smsgw::smpp {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

enum key_index { k_id, k_sub, k_dlvrd, k_submit, k_done, k_stat, k_err, k_text, k_count };

struct key_spec {
  std::string_view first, second;  // second word ("date") may be empty
};
constexpr std::array<key_spec, k_count> keys = {{
    {"id", ""}, {"sub", ""}, {"dlvrd", ""}, {"submit", "date"},
    {"done", "date"}, {"stat", ""}, {"err", ""}, {"text", ""},
}};

// If a key starts at `i`, returns the position just after its ':'.
std::optional<std::size_t> match_key(std::string_view s, std::size_t i, key_spec const& k) {
  auto word = [&](std::string_view w) {
    if (s.size() - i < w.size() || !iequals(s.substr(i, w.size()), w)) return false;
    i += w.size();
    return true;
  };
  if (!word(k.first)) return std::nullopt;
  if (!k.second.empty()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '_')) ++i;
    if (!word(k.second)) return std::nullopt;
  }
  while (i < s.size() && is_space(s[i])) ++i;
  if (i < s.size() && s[i] == ':') return i + 1;
  return std::nullopt;
}

}  // namespace

receipt_text_fields parse_receipt_text(std::string_view s) {
  std::array<std::optional<std::string>*, k_count> slot;
  receipt_text_fields f;
  slot = {&f.id, &f.sub, &f.dlvrd, &f.submit_date, &f.done_date, &f.stat, &f.err, &f.text};

  int open = -1;               // key whose value is being read
  std::size_t value_at = 0;
  auto close = [&](std::size_t end) {
    if (open >= 0 && !*slot[static_cast<std::size_t>(open)])
      *slot[static_cast<std::size_t>(open)] = std::string(trim(s.substr(value_at, end - value_at)));
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && !is_space(s[i - 1])) continue;
    for (int k = 0; k < k_count; ++k) {
      auto const after = match_key(s, i, keys[static_cast<std::size_t>(k)]);
      if (!after) continue;
      close(i);
      open = k;
      value_at = *after;
      i = *after - 1;
      break;
    }
    if (open == k_text) break;  // the rest is text, never keys
  }
  close(s.size());
  return f;
}

std::string_view stat_text(message_state s) noexcept {
  switch (s) {
    case message_state::scheduled: return "SCHEDULED";
    case message_state::enroute: return "ENROUTE";
    case message_state::delivered: return "DELIVRD";
    case message_state::expired: return "EXPIRED";
    case message_state::deleted: return "DELETED";
    case message_state::undeliverable: return "UNDELIV";
    case message_state::accepted: return "ACCEPTD";
    case message_state::unknown: return "UNKNOWN";
    case message_state::rejected: return "REJECTD";
    case message_state::skipped: return "SKIPPED";
  }
  return "UNKNOWN";
}

std::optional<message_state> message_state_from_stat(std::string_view stat) noexcept {
  struct alias {
    std::string_view word;
    message_state state;
  };
  static constexpr std::array<alias, 16> aliases = {{
      {"DELIVRD", message_state::delivered}, {"DELIVERED", message_state::delivered},
      {"ENROUTE", message_state::enroute}, {"EXPIRED", message_state::expired},
      {"DELETED", message_state::deleted}, {"UNDELIV", message_state::undeliverable},
      {"UNDELIVERABLE", message_state::undeliverable}, {"UNDELIVERED", message_state::undeliverable},
      {"ACCEPTD", message_state::accepted}, {"ACCEPTED", message_state::accepted},
      {"UNKNOWN", message_state::unknown}, {"REJECTD", message_state::rejected},
      {"REJECTED", message_state::rejected}, {"SCHEDULED", message_state::scheduled},
      {"SKIPPED", message_state::skipped}, {"EXPIRD", message_state::expired},
  }};
  stat = trim(stat);
  for (auto const& a : aliases)
    if (iequals(stat, a.word)) return a.state;
  return std::nullopt;
}

std::optional<receipt_date> parse_receipt_date(std::string_view d) noexcept {
  if (d.size() != 10 && d.size() != 12) return std::nullopt;
  for (char c : d)
    if (!is_digit(c)) return std::nullopt;
  auto two = [&](std::size_t at) { return static_cast<std::uint8_t>((d[at] - '0') * 10 + (d[at + 1] - '0')); };
  receipt_date r;
  r.year = static_cast<std::uint16_t>(2000 + two(0));
  r.month = two(2);
  r.day = two(4);
  r.hour = two(6);
  r.minute = two(8);
  if (d.size() == 12) r.second = two(10);
  auto const ymd = std::chrono::year_month_day{std::chrono::year{r.year}, std::chrono::month{r.month},
                                               std::chrono::day{r.day}};
  if (!ymd.ok() || r.hour > 23 || r.minute > 59 || r.second.value_or(0) > 59) return std::nullopt;
  return r;
}

std::string format_receipt_date(std::chrono::sys_seconds t, bool with_seconds) {
  auto const day = std::chrono::floor<std::chrono::days>(t);
  std::chrono::year_month_day const ymd{day};
  std::chrono::hh_mm_ss const hms{t - day};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d%02u%02u%02d%02d", static_cast<int>(ymd.year()) % 100,
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()));
  std::string out = buf;
  if (with_seconds) {
    std::snprintf(buf, sizeof buf, "%02d", static_cast<int>(hms.seconds().count()));
    out += buf;
  }
  return out;
}

std::string format_receipt_text(receipt_text_input const& in) {
  char num[8];
  auto three = [&num](unsigned v) {
    std::snprintf(num, sizeof num, "%03u", v > 999 ? 999u : v);
    return std::string(num);
  };
  // Keep the first 20 characters (not octets: never cut a UTF-8 sequence).
  std::size_t end = 0, chars = 0;
  while (end < in.text.size() && chars < 20) {
    ++end;
    while (end < in.text.size() && (static_cast<unsigned char>(in.text[end]) & 0xC0) == 0x80) ++end;
    ++chars;
  }
  return "id:" + in.id + " sub:" + three(in.sub) + " dlvrd:" + three(in.dlvrd) + " submit date:" +
         in.submit_date + " done date:" + in.done_date + " stat:" + std::string(stat_text(in.state)) +
         " err:" + in.err + " text:" + in.text.substr(0, end);
}

}  // namespace smsgw::smpp
