// tests/e2e/routing_test.cpp: routing the operator controls, end to end (smsgw and five
// smsc-sim processes, the API socket only): a ported number listed in [routing.numbers] goes to
// the overriding carrier's simulator, not to the one its prefix names; a [routing.prefixes]
// override sends a Tri prefix over the Indosat account while the other Tri prefixes stay; and
// /healthz shows each carrier's peak-hour window in force and its cap.
#include <catch2/catch.hpp>

#include <regex>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

/// submit_sm the simulator accepted, per destination number (from its own log).
std::map<std::string, int> accepted_submits(smsc_sim& sim) { return sim.accepted_per_number(); }

}  // namespace

TEST_CASE("a ported-number override and a prefix override are honoured", "[e2e][routing]") {
  // 0812-1111-0099 is a Telkomsel prefix, ported to XL; Tri's 0895 goes over Indosat.
  gateway gw(five_carriers(),
             "\n[routing.numbers]\n\"0812-1111-0099\" = \"xl\"\n"
             "\n[routing.prefixes]\n\"0895\" = \"indosat\"\n");
  struct routed {
    std::string to, number, carrier;
  };
  std::vector<routed> cases{
      {"0812-1111-0099", "6281211110099", "xl"},         // the ported number
      {"0812-1111-0098", "6281211110098", "telkomsel"},  // its neighbour: by prefix
      {"0895-1111-0001", "6289511110001", "indosat"},    // Tri prefix over Indosat
      {"0896-1111-0002", "6289611110002", "tri"},        // another Tri prefix: unchanged
  };
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto r = gw.send_otp(cases[i].to, std::to_string(471100 + i));
    INFO(cases[i].to << ": " << r.error << r.raw);
    REQUIRE(r.status == 202);
    CHECK(r.at("carrier") == cases[i].carrier.c_str());
    ids.push_back(r.at("id").as_int64());
  }
  auto final = gw.wait_final(ids);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    INFO(cases[i].to << " id " << ids[i]);
    CHECK(final[ids[i]] == "delivered");
    // On the wire of the carrier the override names, and of no other.
    for (auto& sim : gw.sims) {
      INFO("simulator " << sim->spec().name);
      auto n = accepted_submits(*sim)[cases[i].number];
      CHECK(n == (sim->spec().name == cases[i].carrier ? 1 : 0));
    }
    auto m = gw.api.get("/v1/messages/" + std::to_string(ids[i]));
    CHECK(m.at("route") == cases[i].carrier.c_str());
  }
  // The DLR line names the overriding carrier.
  wait_until([&] { return gw.dlr_lines_for(ids[0]).size() == 1; }, delivery_deadline);
  auto lines = gw.dlr_lines_for(ids[0]);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(" carrier=xl ") != std::string::npos);
}

TEST_CASE("/healthz shows each carrier's peak-hour window and cap", "[e2e][routing][peak]") {
  // telkomsel: a window every day, all day (so whatever the time, it is in force): cap 7/s,
  // bulk paused. The others: the default schedule (in force or not, depending on the hour).
  auto carriers = five_carriers();
  carriers[0].extra_toml =
      "[[carrier.peak]]\nname = \"all day\"\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\n"
      "start = \"00:00\"\nend = \"24:00\"\nthroughput = 7\ntransactional_share = 0.5\nbulk_share = 0\n";
  carriers[1].extra_toml = "peak = []\n";
  gateway gw(carriers);
  auto r = gw.api.get("/healthz");
  INFO(r.raw);
  REQUIRE(r.status == 200);
  auto const& peak = r.at("peak");
  REQUIRE(peak.is_object());
  auto const& tsel = peak.at("telkomsel").as_object();
  CHECK(tsel.at("window") == "all day");
  CHECK(tsel.at("window_wib") == "mon-sun 00:00-24:00");
  CHECK(tsel.at("cap").to_number<double>() == 7.0);
  CHECK(tsel.at("transactional_share").to_number<double>() == 0.5);
  CHECK(tsel.at("bulk_share").to_number<double>() == 0.0);
  CHECK(tsel.contains("until_ms"));
  auto const& isat = peak.at("indosat").as_object();
  CHECK(isat.at("window").is_null());
  CHECK(isat.at("cap").to_number<double>() == 200.0);
  CHECK_FALSE(isat.contains("until_ms"));  // no windows: nothing ever changes
  for (auto const* name : {"xl", "tri", "smartfren"}) {
    INFO(name);
    auto const& c = peak.at(name).as_object();
    CHECK(c.at("cap").to_number<double>() == 200.0);
    CHECK((c.at("window").is_null() || c.at("bulk_share").to_number<double>() == 0.0));
  }
  // An OTP still goes through the capped carrier.
  auto otp = gw.send_otp("0812-2222-0001", "556677");
  REQUIRE(otp.status == 202);
  auto final = gw.wait_final({otp.at("id").as_int64()});
  CHECK(final[otp.at("id").as_int64()] == "delivered");
}
