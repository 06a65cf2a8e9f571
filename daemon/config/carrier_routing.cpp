// daemon/config/carrier_routing.cpp: see carrier_routing.hpp.
#include "daemon/config/carrier_routing.hpp"

#include <algorithm>
#include <stdexcept>

namespace smsgw {

namespace {
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool starts_with(std::string_view s, std::string_view p) noexcept { return s.substr(0, p.size()) == p; }
}  // namespace

using queue::max_subscriber_digits;
using queue::msisdn_errc;

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

boost::system::result<carrier_table, carrier_table_error> carrier_table::overridden(
    std::vector<carrier_prefix> const& prefixes, std::vector<carrier_number> const& numbers) const {
  auto checked = make(prefixes);  // validates the new rows on their own (form, twice listed)
  if (!checked) return checked.error();
  carrier_table t = *this;
  for (auto const& r : checked->rows_) {
    auto same = [&](carrier_prefix const& o) { return o.prefix == r.prefix; };
    if (auto it = std::find_if(t.rows_.begin(), t.rows_.end(), same); it != t.rows_.end())
      it->carrier = r.carrier;
    else
      t.rows_.push_back(r);
  }
  std::stable_sort(t.rows_.begin(), t.rows_.end(), [](auto const& a, auto const& b) {
    return a.prefix.size() > b.prefix.size();
  });
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    auto fail = [&](std::string what) {
      return carrier_table_error{prefixes.size() + i, "number: " + std::move(what)};
    };
    auto n = queue::normalise_msisdn(numbers[i].number);
    if (!n) return fail(n.error().message());
    if (numbers[i].carrier.empty()) return fail("carrier name is empty");
    auto same = [&](carrier_prefix const& o) { return o.prefix == *n; };
    if (std::any_of(t.numbers_.begin(), t.numbers_.end(), same)) return fail("listed twice");
    t.numbers_.push_back({std::move(*n), numbers[i].carrier});
  }
  std::sort(t.numbers_.begin(), t.numbers_.end(),
            [](auto const& a, auto const& b) { return a.prefix < b.prefix; });
  return t;
}

bool carrier_table::routes_to(std::string_view carrier) const noexcept {
  auto named = [&](carrier_prefix const& r) { return r.carrier == carrier; };
  return std::any_of(rows_.begin(), rows_.end(), named) ||
         std::any_of(numbers_.begin(), numbers_.end(), named);
}

carrier_table const& carrier_table::indonesia_default() {
  static carrier_table const table = make(default_carrier_prefixes()).value();
  return table;
}

boost::system::result<std::string_view, std::error_code> carrier_table::carrier_of(
    std::string_view msisdn) const {
  auto n = std::lower_bound(numbers_.begin(), numbers_.end(), msisdn,
                            [](carrier_prefix const& r, std::string_view v) { return r.prefix < v; });
  if (n != numbers_.end() && n->prefix == msisdn) return std::string_view(n->carrier);
  for (auto const& r : rows_) {
    if (starts_with(msisdn, r.prefix)) return std::string_view(r.carrier);
  }
  return make_error_code(msisdn_errc::unknown_prefix);
}

boost::system::result<routed_msisdn, std::error_code> parse_msisdn(std::string_view input,
                                                                   carrier_table const& table) {
  auto m = queue::normalise_msisdn(input);
  if (!m) return m.error();
  auto c = table.carrier_of(*m);
  if (!c) return c.error();
  return routed_msisdn{std::move(*m), std::string(*c)};
}

}  // namespace smsgw
