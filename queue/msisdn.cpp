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

std::string carrier_table_error::message() const {
  return "carrier prefix row " + std::to_string(index) + ": " + what;
}

void throw_exception_from_error(carrier_table_error const& e, boost::source_location const&) {
  throw std::invalid_argument(e.message());
}

std::vector<carrier_prefix> default_carrier_prefixes() {
  // Prefix allocations as published by the operators and the numbering plan (KOMINFO), as
  // known in 2025. Networks merged since (Indosat + Tri = Indosat Ooredoo Hutchison, 2022;
  // XL + Axis, 2014; XL + Smartfren = XLSMART, 2025) may still run separate SMSCs per brand,
  // so each brand keeps its own key except Axis, long integrated into XL. A deployment
  // remaps keys in config (e.g. tri prefixes -> "indosat") when its links say otherwise.
  return {
      // Telkomsel: kartuHALO, simPATI, Kartu As/by.U. 0851 came from Telkom Flexi (2015).
      {"0811", "telkomsel"}, {"0812", "telkomsel"}, {"0813", "telkomsel"},
      {"0821", "telkomsel"}, {"0822", "telkomsel"}, {"0823", "telkomsel"},
      {"0851", "telkomsel"}, {"0852", "telkomsel"}, {"0853", "telkomsel"},
      // Indosat (IM3, Mentari, Matrix). 0814 was Indosat's broadband (M2) range.
      {"0814", "indosat"}, {"0815", "indosat"}, {"0816", "indosat"},
      {"0855", "indosat"}, {"0856", "indosat"}, {"0857", "indosat"}, {"0858", "indosat"},
      // XL Axiata.
      {"0817", "xl"}, {"0818", "xl"}, {"0819", "xl"}, {"0859", "xl"},
      {"0877", "xl"}, {"0878", "xl"},
      {"0879", "xl"},  // UNCERTAIN: listed as XL's allocation, not confirmed in live use.
      // Axis: acquired by XL in 2014, served by XL's network.
      {"0831", "xl"}, {"0832", "xl"}, {"0833", "xl"}, {"0838", "xl"},
      // Tri (Hutchison 3 Indonesia, now part of Indosat Ooredoo Hutchison).
      {"0895", "tri"}, {"0896", "tri"}, {"0897", "tri"}, {"0898", "tri"}, {"0899", "tri"},
      // Smartfren (now part of XLSMART).
      {"0881", "smartfren"}, {"0882", "smartfren"}, {"0883", "smartfren"},
      {"0884", "smartfren"}, {"0885", "smartfren"}, {"0886", "smartfren"},
      {"0887", "smartfren"}, {"0888", "smartfren"}, {"0889", "smartfren"},
  };
}

boost::system::result<carrier_table, carrier_table_error> carrier_table::make(
    std::vector<carrier_prefix> const& rows) {
  carrier_table t;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::string_view p = rows[i].prefix;
    auto fail = [&](std::string what) {
      return carrier_table_error{i, "prefix \"" + std::string(p) + "\": " + std::move(what)};
    };
    if (p.empty() || !std::all_of(p.begin(), p.end(), is_digit)) return fail("not all digits");
    std::string international;
    if (starts_with(p, "08")) {
      international = "62" + std::string(p.substr(1));
    } else if (starts_with(p, "628")) {
      international = std::string(p);
    } else {
      return fail("not a mobile prefix (write it as 08… or 628…)");
    }
    if (international.size() > 2 + max_subscriber_digits) return fail("longer than a number");
    if (rows[i].carrier.empty()) return fail("carrier name is empty");
    auto same = [&](carrier_prefix const& r) { return r.prefix == international; };
    if (std::any_of(t.rows_.begin(), t.rows_.end(), same)) return fail("listed twice");
    t.rows_.push_back({std::move(international), rows[i].carrier});
  }
  std::stable_sort(t.rows_.begin(), t.rows_.end(), [](auto const& a, auto const& b) {
    return a.prefix.size() > b.prefix.size();
  });
  return t;
}

carrier_table const& carrier_table::indonesia_default() {
  static carrier_table const table = make(default_carrier_prefixes()).value();
  return table;
}

boost::system::result<std::string_view, std::error_code> carrier_table::carrier_of(
    std::string_view msisdn) const {
  for (auto const& r : rows_) {
    if (starts_with(msisdn, r.prefix)) return std::string_view(r.carrier);
  }
  return make_error_code(msisdn_errc::unknown_prefix);
}

boost::system::result<routed_msisdn, std::error_code> parse_msisdn(std::string_view input,
                                                                   carrier_table const& table) {
  auto m = normalise_msisdn(input);
  if (!m) return m.error();
  auto c = table.carrier_of(*m);
  if (!c) return c.error();
  return routed_msisdn{std::move(*m), std::string(*c)};
}

}  // namespace smsgw::queue
