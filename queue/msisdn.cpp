// queue/msisdn.cpp: normalisation, validation and prefix routing of Indonesian mobile numbers.
// The default carrier table lives here and only here (default_carrier_prefixes()).
#include "queue/msisdn.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace smsgw::queue {
namespace {

class msisdn_category_impl final : public std::error_category {
 public:
  char const* name() const noexcept override { return "msisdn"; }
  std::string message(int ev) const override {
    switch (static_cast<msisdn_errc>(ev)) {
      case msisdn_errc::empty: return "phone number is empty";
      case msisdn_errc::invalid_character:
        return "phone number contains a character other than digits, spaces, - . ( ) "
               "or a leading +";
      case msisdn_errc::not_indonesian: return "phone number is not Indonesian (country code 62)";
      case msisdn_errc::not_mobile:
        return "not an Indonesian mobile number (mobile numbers are 08… or +628…; "
               "landlines and short codes cannot receive an OTP)";
      case msisdn_errc::too_short: return "mobile number too short (fewer than 9 digits after 62)";
      case msisdn_errc::too_long: return "mobile number too long (more than 12 digits after 62)";
      case msisdn_errc::unknown_prefix:
        return "mobile number prefix belongs to no known carrier (unroutable)";
    }
    return "unknown msisdn error";
  }
};

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_separator(char c) noexcept {
  return c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')';
}
bool starts_with(std::string_view s, std::string_view p) noexcept { return s.substr(0, p.size()) == p; }

// Input longer than this is refused before any work: no phone number needs 64 characters.
constexpr std::size_t max_input_size = 64;

struct stripped {
  bool plus = false;
  std::string digits;
};

// Drops separators; keeps one '+' only if it comes before every digit.
boost::system::result<stripped, std::error_code> strip(std::string_view input) {
  if (input.size() > max_input_size) return make_error_code(msisdn_errc::too_long);
  stripped out;
  for (char c : input) {
    if (is_digit(c)) {
      out.digits.push_back(c);
    } else if (c == '+' && out.digits.empty() && !out.plus) {
      out.plus = true;
    } else if (!is_separator(c)) {
      return make_error_code(msisdn_errc::invalid_character);
    }
  }
  if (out.digits.empty()) return make_error_code(msisdn_errc::empty);
  return out;
}

// The digits after the country code (the national significant number), or why there are none.
boost::system::result<std::string_view, std::error_code> subscriber_part(stripped const& s) {
  std::string_view d = s.digits;
  if (s.plus) {
    if (!starts_with(d, "62")) return make_error_code(msisdn_errc::not_indonesian);
    d.remove_prefix(2);
  } else if (starts_with(d, "00")) {  // international call prefix dialled from Indonesia
    if (!starts_with(d, "0062")) return make_error_code(msisdn_errc::not_indonesian);
    d.remove_prefix(4);
  } else if (starts_with(d, "62")) {
    d.remove_prefix(2);
  } else if (starts_with(d, "0")) {  // national trunk prefix
    d.remove_prefix(1);
  }
  // "+62 (0) 812…" and "620812…": no Indonesian number starts 620, so the 0 is a stray trunk 0.
  if (starts_with(d, "08")) d.remove_prefix(1);
  return d;
}

}  // namespace

std::error_category const& msisdn_category() noexcept {
  static msisdn_category_impl const category;
  return category;
}

std::error_code make_error_code(msisdn_errc e) noexcept {
  return {static_cast<int>(e), msisdn_category()};
}

boost::system::result<std::string, std::error_code> normalise_msisdn(std::string_view input) {
  auto s = strip(input);
  if (!s) return s.error();
  auto nsn = subscriber_part(*s);
  if (!nsn) return nsn.error();
  if (nsn->empty() || nsn->front() != '8') return make_error_code(msisdn_errc::not_mobile);
  if (nsn->size() < min_subscriber_digits) return make_error_code(msisdn_errc::too_short);
  if (nsn->size() > max_subscriber_digits) return make_error_code(msisdn_errc::too_long);
  std::string out = "62";
  out.append(*nsn);
  return out;
}

bool is_normalised_msisdn(std::string_view m) noexcept {
  return m.size() >= 2 + min_subscriber_digits && m.size() <= 2 + max_subscriber_digits &&
         starts_with(m, "628") && std::all_of(m.begin(), m.end(), is_digit);
}

}  // namespace smsgw::queue
