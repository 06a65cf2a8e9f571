// tests/daemon/config/carrier_routing_test.cpp: daemon/config/carrier_routing.hpp. Every
// default prefix routes to its carrier; numbers no carrier owns are unroutable; a table built
// from rows replaces the default, longest prefix first; bad rows are refused by index.
#include <catch2/catch.hpp>

#include <string>
#include <tuple>

#include "daemon/config/carrier_routing.hpp"

using namespace smsgw;
using smsgw::queue::msisdn_errc;
using smsgw::queue::normalise_msisdn;

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

TEST_CASE("overridden: prefixes re-pointed or added, ported numbers matched exactly first",
          "[msisdn][carrier]") {
  auto const& base = carrier_table::indonesia_default();
  auto t = base.overridden({{"0895", "indosat"}, {"628123", "xl"}},
                           {{"+62 812 1111 0001", "smartfren"}});
  REQUIRE(t.has_value());
  CHECK(t->carrier_of("6289512345678").value() == "indosat");    // re-pointed
  CHECK(t->carrier_of("6289612345678").value() == "tri");        // the rest of Tri stays
  CHECK(t->carrier_of("6281234567890").value() == "xl");         // added, longer than 0812
  CHECK(t->carrier_of("6281211110001").value() == "smartfren");  // the ported number
  CHECK(t->carrier_of("62812111100012").value() == "telkomsel"); // exact match, not a prefix
  CHECK(t->rows().size() == base.rows().size() + 1);
  CHECK(t->numbers().size() == 1);
  CHECK(t->routes_to("smartfren"));
  // The built-in table is not changed.
  CHECK(base.carrier_of("6289512345678").value() == "tri");
  // Every Tri prefix re-pointed: nothing routes to tri any more.
  auto no_tri = base.overridden({{"0895", "indosat"}, {"0896", "indosat"}, {"0897", "indosat"},
                                 {"0898", "indosat"}, {"0899", "indosat"}}, {});
  REQUIRE(no_tri.has_value());
  CHECK_FALSE(no_tri->routes_to("tri"));
  CHECK(no_tri->routes_to("indosat"));
  // Bad rows: the index counts prefixes first, then numbers.
  auto bad_number = base.overridden({{"0895", "indosat"}}, {{"0812", "xl"}});
  REQUIRE_FALSE(bad_number.has_value());
  CHECK(bad_number.error().index == 1);
  auto twice = base.overridden({}, {{"081211110001", "xl"}, {"+6281211110001", "tri"}});
  REQUIRE_FALSE(twice.has_value());
  CHECK(twice.error().index == 1);
  CHECK_THAT(twice.error().message(), Catch::Contains("listed twice"));
  auto bad_prefix = base.overridden({{"0712", "xl"}}, {});
  REQUIRE_FALSE(bad_prefix.has_value());
  CHECK_THAT(bad_prefix.error().message(), Catch::Contains("not a mobile prefix"));
}
