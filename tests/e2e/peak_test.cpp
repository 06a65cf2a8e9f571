// tests/e2e/peak_test.cpp: a peak-hour window in the daemon as a process (smsgw + smsc-sim, the
// API socket only). The daemon's clock is the real one, so the window is all day every day:
// bulk paused by it stays queued while OTPs to the same carrier are delivered, and expires at
// its validity with a DLR line, never reaching the simulator.
#include <catch2/catch.hpp>

#include <regex>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

TEST_CASE("bulk paused by a window waits queued while OTPs go, then expires unsent", "[e2e][peak]") {
  carrier_spec tsel;
  tsel.name = "telkomsel";
  tsel.extra_toml =
      "[[carrier.peak]]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\n"
      "start = \"00:00\"\nend = \"24:00\"\nbulk_share = 0\n";
  gateway gw({tsel});
  auto bulk = gw.api.post("/v1/messages", {{"to", "0812-3333-0001"}, {"text", "Promo"},
                                           {"priority", "bulk"}, {"ttl_seconds", 8}});
  INFO(bulk.raw);
  REQUIRE(bulk.status == 202);
  auto const bulk_id = bulk.at("id").as_int64();
  auto otp = gw.send_otp("0812-3333-0002", "731902");
  REQUIRE(otp.status == 202);
  auto const otp_id = otp.at("id").as_int64();

  auto final = gw.wait_final({otp_id});
  CHECK(final[otp_id] == "delivered");
  // Older than the OTP, but held: never claimed (expired already only on a very slow machine).
  auto const held = gw.state_of(bulk_id);
  CHECK((held == "queued" || held == "expired"));

  final = gw.wait_final({bulk_id});
  CHECK(final[bulk_id] == "expired");
  CHECK(read_file(gw.sim("telkomsel").log_path()).find("-> 6281233330001 ") == std::string::npos);
  CHECK(read_file(gw.sim("telkomsel").log_path()).find("-> 6281233330002 ") != std::string::npos);
  wait_until([&] { return gw.dlr_lines_for(bulk_id).size() == 1; }, delivery_deadline);
  auto lines = gw.dlr_lines_for(bulk_id);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find(" state=expired ") != std::string::npos);
}
