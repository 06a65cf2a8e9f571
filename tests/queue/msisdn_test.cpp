// tests/queue/msisdn_test.cpp: queue/msisdn.hpp. Every input form people type maps to one
// "628…" form; garbage, landlines, short codes and wrong lengths fail with the right reason;
// every default prefix routes to its carrier; a config table overrides the default.
#include <catch2/catch.hpp>

#include <string>
#include <tuple>

#include "queue/msisdn.hpp"

using namespace smsgw::queue;

namespace {
std::error_code error_of(std::string_view input) {
  auto r = normalise_msisdn(input);
  return r ? std::error_code{} : r.error();
}
}  // namespace

TEST_CASE("every accepted form normalises to 62 + subscriber digits", "[msisdn]") {
  auto [input, expected] = GENERATE(table<std::string, std::string>({
      {"081234567890", "6281234567890"},       // national
      {"0812-3456-7890", "6281234567890"},     // dashes
      {"0812 3456 7890", "6281234567890"},     // spaces
      {"0812.3456.7890", "6281234567890"},     // dots
      {"(0812) 3456-7890", "6281234567890"},   // parentheses
      {"\t0812 3456 7890 ", "6281234567890"},  // tab and trailing space
      {"+6281234567890", "6281234567890"},     // E.164
      {"+62 812-3456-7890", "6281234567890"},
      {"+62 (0) 812 3456 7890", "6281234567890"},  // stray trunk 0 after the country code
      {"6281234567890", "6281234567890"},      // international without '+'
      {"6208123456789", "628123456789"},       // 62 + 0812… typed together
      {"006281234567890", "6281234567890"},    // 00 international prefix
      {"0062 0812 345 678", "62812345678"},
      {"81234567890", "6281234567890"},        // form with a fixed +62 in front
      {"0811123456", "62811123456"},           // 9 subscriber digits: shortest accepted
      {"0812345678901", "62812345678901"},     // 12 subscriber digits: longest accepted
      {"0881-2345-6789", "6288123456789"},     // Smartfren
  }));
  CAPTURE(input);
  auto r = normalise_msisdn(input);
  REQUIRE(r.has_value());
  CHECK(*r == expected);
  CHECK(is_normalised_msisdn(*r));
  // Normalising is idempotent: the output is itself an accepted input with the same result.
  CHECK(normalise_msisdn(*r).value() == expected);
}

TEST_CASE("bad numbers fail with the reason named", "[msisdn]") {
  auto [input, reason] = GENERATE(table<std::string, msisdn_errc>({
      {"", msisdn_errc::empty},
      {"   ", msisdn_errc::empty},
      {"-()-", msisdn_errc::empty},
      {"+", msisdn_errc::empty},
      {"0812abc4567", msisdn_errc::invalid_character},
      {"0812-3456-789O", msisdn_errc::invalid_character},  // letter O for zero
      {"08123456789+", msisdn_errc::invalid_character},    // '+' after digits
      {"++6281234567890", msisdn_errc::invalid_character},
      {"0812/3456/7890", msisdn_errc::invalid_character},
      {"tel:081234567890", msisdn_errc::invalid_character},
      {std::string("0812\0" "34567890", 13), msisdn_errc::invalid_character},  // embedded NUL
      {"+1 415 555 0100", msisdn_errc::not_indonesian},
      {"+65 8123 4567", msisdn_errc::not_indonesian},
      {"0065 8123 4567", msisdn_errc::not_indonesian},
      {"021-520-7797", msisdn_errc::not_mobile},       // Jakarta landline
      {"(021) 5207797", msisdn_errc::not_mobile},
      {"+62 21 520 7797", msisdn_errc::not_mobile},    // same, international
      {"+62 22 1234567", msisdn_errc::not_mobile},     // Bandung landline
      {"175", msisdn_errc::not_mobile},                // call-centre short code
      {"3636", msisdn_errc::not_mobile},
      {"62", msisdn_errc::not_mobile},
      {"0", msisdn_errc::not_mobile},
      {"08123", msisdn_errc::too_short},
      {"081234567", msisdn_errc::too_short},           // 8 subscriber digits
      {"+62812345", msisdn_errc::too_short},
      {"08123456789012", msisdn_errc::too_long},       // 13 subscriber digits
      {"+62 812 3456 7890 1234", msisdn_errc::too_long},
      {std::string(65, '8'), msisdn_errc::too_long},   // absurd input, refused before parsing
      {std::string(200, ' '), msisdn_errc::too_long},
  }));
  CAPTURE(input);
  CHECK(error_of(input) == make_error_code(reason));
  CHECK(error_of(input).category().name() == std::string("msisdn"));
  CHECK_FALSE(error_of(input).message().empty());
}

TEST_CASE("is_normalised_msisdn accepts only the normalised shape", "[msisdn]") {
  CHECK(is_normalised_msisdn("6281234567890"));
  CHECK(is_normalised_msisdn("62811123456"));
  CHECK_FALSE(is_normalised_msisdn("081234567890"));
  CHECK_FALSE(is_normalised_msisdn("+6281234567890"));
  CHECK_FALSE(is_normalised_msisdn("622152077970"));   // landline
  CHECK_FALSE(is_normalised_msisdn("6281234567"));     // 8 subscriber digits
  CHECK_FALSE(is_normalised_msisdn("628123456789012"));  // 13
  CHECK_FALSE(is_normalised_msisdn("62812345678a"));
  CHECK_FALSE(is_normalised_msisdn(""));
}

TEST_CASE("every default prefix routes to its carrier", "[msisdn][carrier]") {
  auto [prefix, carrier] = GENERATE(table<std::string, std::string>({
      {"0811", "telkomsel"}, {"0812", "telkomsel"}, {"0813", "telkomsel"},
      {"0821", "telkomsel"}, {"0822", "telkomsel"}, {"0823", "telkomsel"},
      {"0851", "telkomsel"}, {"0852", "telkomsel"}, {"0853", "telkomsel"},
      {"0814", "indosat"}, {"0815", "indosat"}, {"0816", "indosat"}, {"0855", "indosat"},
      {"0856", "indosat"}, {"0857", "indosat"}, {"0858", "indosat"},
      {"0817", "xl"}, {"0818", "xl"}, {"0819", "xl"}, {"0859", "xl"}, {"0877", "xl"},
      {"0878", "xl"}, {"0879", "xl"},
      {"0831", "xl"}, {"0832", "xl"}, {"0833", "xl"}, {"0838", "xl"},  // Axis
      {"0895", "tri"}, {"0896", "tri"}, {"0897", "tri"}, {"0898", "tri"}, {"0899", "tri"},
      {"0881", "smartfren"}, {"0882", "smartfren"}, {"0883", "smartfren"},
      {"0884", "smartfren"}, {"0885", "smartfren"}, {"0886", "smartfren"},
      {"0887", "smartfren"}, {"0888", "smartfren"}, {"0889", "smartfren"},
  }));
  CAPTURE(prefix);
  for (std::string input : {prefix + "12345678", "+62 " + prefix.substr(1) + "-1234-5678"}) {
    auto r = parse_msisdn(input);
    REQUIRE(r.has_value());
    CHECK(r->carrier == carrier);
    CHECK(r->msisdn == "62" + prefix.substr(1) + "12345678");
  }
}

TEST_CASE("the default table has exactly the documented prefixes", "[msisdn][carrier]") {
  CHECK(default_carrier_prefixes().size() == 41);
  CHECK(carrier_table::indonesia_default().rows().size() == 41);
}

TEST_CASE("mobile-shaped numbers with no carrier are unroutable", "[msisdn][carrier]") {
  for (char const* input : {"0810 1234 5678", "0820 1234 5678", "0828 1234 5678",
                            "0868 1234 5678", "0890 1234 5678", "0800 1234 567"}) {
    CAPTURE(input);
    REQUIRE(normalise_msisdn(input).has_value());  // shape is fine...
    auto r = parse_msisdn(input);                   // ...but nobody routes it
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error() == make_error_code(msisdn_errc::unknown_prefix));
  }
  // parse_msisdn reports shape errors before routing.
  CHECK(parse_msisdn("021 520 7797").error() == make_error_code(msisdn_errc::not_mobile));
}

TEST_CASE("a config table replaces the default, longest prefix first", "[msisdn][carrier]") {
  auto t = carrier_table::make({
      {"0895", "indosat"},         // Tri routed over Indosat's links
      {"62812", "telkomsel"},      // international form accepted
      {"081299", "telkomsel-b"},   // a longer prefix wins whatever its row order
  });
  REQUIRE(t.has_value());
  CHECK(t->carrier_of("6289512345678").value() == "indosat");
  CHECK(t->carrier_of("6281234567890").value() == "telkomsel");
  CHECK(t->carrier_of("6281299567890").value() == "telkomsel-b");
  CHECK(t->carrier_of("6281712345678").error() == make_error_code(msisdn_errc::unknown_prefix));
  CHECK(parse_msisdn("0895-1234-5678", *t).value().carrier == "indosat");
  CHECK(t->rows().front().prefix == "6281299");
}

TEST_CASE("bad config rows are refused with the row named", "[msisdn][carrier]") {
  auto [rows, index, fragment] = GENERATE(table<std::vector<carrier_prefix>, std::size_t,
                                                std::string>({
      {{{"0812", "telkomsel"}, {"0812", "xl"}}, 1, "listed twice"},
      {{{"0812", "telkomsel"}, {"62812", "xl"}}, 1, "listed twice"},  // same prefix, other form
      {{{"0212", "pstn"}}, 0, "not a mobile prefix"},
      {{{"+62812", "telkomsel"}}, 0, "not all digits"},
      {{{"", "telkomsel"}}, 0, "not all digits"},
      {{{"0812", ""}}, 0, "carrier name is empty"},
      {{{"08123456789012345", "x"}}, 0, "longer than a number"},
  }));
  auto t = carrier_table::make(rows);
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().index == index);
  CHECK_THAT(t.error().message(), Catch::Contains(fragment));
  CHECK_THROWS_AS(t.value(), std::invalid_argument);
}
