// smpp/message_id.cpp: message id keys. Base conversion uses 32-bit limbs (little-endian), so
// ids of any length (SMPP allows 64 characters) convert exactly; no strtoll saturation.
#include "smpp/message_id.hpp"

#include <algorithm>
#include <cstdint>

namespace smsgw::smpp {
namespace {

bool is_dec(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
unsigned hex_value(char c) {
  c = lower(c);
  return is_dec(c) ? static_cast<unsigned>(c - '0') : static_cast<unsigned>(c - 'a' + 10);
}

std::string_view trim(std::string_view s) {
  auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && sp(s.front())) s.remove_prefix(1);
  while (!s.empty() && sp(s.back())) s.remove_suffix(1);
  return s;
}

template <class Pred>
bool all_of(std::string_view s, Pred p) {
  return !s.empty() && std::all_of(s.begin(), s.end(), p);
}

// limbs = limbs * mul + add
void mul_add(std::vector<std::uint32_t>& limbs, std::uint32_t mul, std::uint32_t add) {
  std::uint64_t carry = add;
  for (auto& l : limbs) {
    std::uint64_t const v = std::uint64_t{l} * mul + carry;
    l = static_cast<std::uint32_t>(v);
    carry = v >> 32;
  }
  if (carry) limbs.push_back(static_cast<std::uint32_t>(carry));
}

// limbs = limbs / div, returns the remainder
std::uint32_t div_mod(std::vector<std::uint32_t>& limbs, std::uint32_t div) {
  std::uint64_t rem = 0;
  for (auto it = limbs.rbegin(); it != limbs.rend(); ++it) {
    std::uint64_t const v = (rem << 32) | *it;
    *it = static_cast<std::uint32_t>(v / div);
    rem = v % div;
  }
  while (!limbs.empty() && limbs.back() == 0) limbs.pop_back();
  return static_cast<std::uint32_t>(rem);
}

std::string canonical_hex(std::string_view hex) {
  std::string out;
  for (char c : hex) {
    if (out.empty() && c == '0') continue;
    out.push_back(lower(c));
  }
  if (out.empty()) out.push_back('0');
  return out;
}

std::string same_key(std::string_view id) {
  if (all_of(id, is_hex)) return canonical_hex(id);
  if (all_of(id, [](char c) { return is_hex(c) || c == '-'; })) {
    std::string out(id);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
  }
  return std::string(id);
}

}  // namespace

std::string decimal_to_hex(std::string_view dec) {
  if (!all_of(dec, is_dec)) return {};
  std::vector<std::uint32_t> limbs;
  for (char c : dec) mul_add(limbs, 10, static_cast<std::uint32_t>(c - '0'));
  std::string out;
  for (auto it = limbs.rbegin(); it != limbs.rend(); ++it) {
    for (int shift = 28; shift >= 0; shift -= 4) out.push_back("0123456789abcdef"[(*it >> shift) & 0xF]);
  }
  return canonical_hex(out);
}

std::string hex_to_decimal(std::string_view hex) {
  if (!all_of(hex, is_hex)) return {};
  std::vector<std::uint32_t> limbs;
  for (char c : hex) mul_add(limbs, 16, hex_value(c));
  std::string out;
  while (!limbs.empty()) out.push_back(static_cast<char>('0' + div_mod(limbs, 10)));
  if (out.empty()) out.push_back('0');
  std::reverse(out.begin(), out.end());
  return out;
}

std::string message_id_key(std::string_view raw, message_id_side side, message_id_format format) {
  std::string_view const id = trim(raw);
  bool const resp = side == message_id_side::submit_sm_resp;
  bool const declared_dec = (format == message_id_format::resp_hex_dlr_dec && !resp) ||
                            (format == message_id_format::resp_dec_dlr_hex && resp);
  if (declared_dec && all_of(id, is_dec)) return decimal_to_hex(id);
  return same_key(id);  // declared hex, same, or an id that does not fit its declared form
}

std::vector<message_id_format> infer_message_id_format(std::string_view resp_id, std::string_view dlr_id) {
  // A format explains the pair only if each id fits its declared form (a fallback to the
  // exact string would make every format "match" two equal non-numeric ids).
  std::string_view const r = trim(resp_id), d = trim(dlr_id);
  std::vector<message_id_format> out;
  for (auto f : {message_id_format::same, message_id_format::resp_hex_dlr_dec, message_id_format::resp_dec_dlr_hex}) {
    bool const fits = f == message_id_format::same ||
                      (f == message_id_format::resp_hex_dlr_dec && all_of(r, is_hex) && all_of(d, is_dec)) ||
                      (f == message_id_format::resp_dec_dlr_hex && all_of(r, is_dec) && all_of(d, is_hex));
    if (fits && message_id_key(r, message_id_side::submit_sm_resp, f) == message_id_key(d, message_id_side::receipt, f))
      out.push_back(f);
  }
  return out;
}

}  // namespace smsgw::smpp
