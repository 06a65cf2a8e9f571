// tests/queue/msisdn_test.cpp: queue/msisdn.hpp. Every input form people type maps to one
// "628…" form; garbage, landlines, short codes and wrong lengths fail with the right reason.
// (Which carrier a number routes to: tests/daemon/config/carrier_routing_test.cpp.)
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
