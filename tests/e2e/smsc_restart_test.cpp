// tests/e2e/smsc_restart_test.cpp: a carrier with two binds whose SMSC restarts (a plain
// stop and start on the same port, no fault). Both links re-bind; OTPs posted afterwards must
// be delivered through that carrier, none left claimed and unwritten. Before the fix, the
// carrier's feed was wedged after both links dropped: the OTPs stayed in_flight past their
// validity and no submit_sm reached the restarted SMSC.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

/// Restarts the simulator and waits until both links bound to the new process (their bind
/// lines in its log) and /healthz counts them.
void restart_and_rebind(gateway& gw, smsc_sim& sim) {
  auto const before = read_file(sim.log_path()).size();
  sim.restart();
  REQUIRE(wait_until([&] {
    auto const text = read_file(sim.log_path());
    std::size_t binds = 0;
    for (auto at = text.find(": ok (", before); at != std::string::npos; at = text.find(": ok (", at + 1))
      ++binds;
    return binds >= 2 && bound_links(gw, sim.spec().name) == 2;
  }, startup_deadline));
}

std::vector<carrier_spec> two_carriers() {
  return {
      {"telkomsel", {"--id-format", "hex"}, "same", {"indosat"}, "binds = 2\n"},
      {"indosat", {"--id-format", "dec"}, "same", {"telkomsel"}, ""},
  };
}

/// Posts `count` OTPs to Telkomsel numbers; their ids.
std::vector<std::int64_t> post_otps(gateway& gw, int first, int count) {
  std::vector<std::int64_t> ids;
  for (int i = first; i < first + count; ++i) {
    auto r = gw.send_otp(fmt::format("08121111{:04d}", i), fmt::format("{:06d}", 300000 + i));
    REQUIRE(r.status == 202);
    ids.push_back(r.at("id").as_int64());
  }
  return ids;
}

void require_delivered_by_telkomsel(gateway& gw, std::vector<std::int64_t> const& ids) {
  auto states = gw.wait_final(ids);
  for (auto id : ids) {
    INFO("message " << id);
    CHECK(states[id] == "delivered");
    auto m = gw.api.get("/v1/messages/" + std::to_string(id));
    REQUIRE(m.ok);
    CHECK(std::string(m.at("route").as_string()) == "telkomsel");
  }
}

}  // namespace

TEST_CASE("a two-bind carrier whose SMSC restarts before anything was sent delivers OTPs after",
          "[e2e][smsc_restart]") {
  gateway gw(two_carriers());
  auto& tsel = gw.sim("telkomsel");
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 2; }, startup_deadline));
  for (int round = 0; round < 3; ++round) {
    INFO("restart " << round + 1);
    restart_and_rebind(gw, tsel);
    require_delivered_by_telkomsel(gw, post_otps(gw, round * 10, 10));
  }
}

TEST_CASE("a two-bind carrier whose SMSC restarts after sending delivers OTPs after",
          "[e2e][smsc_restart]") {
  gateway gw(two_carriers());
  auto& tsel = gw.sim("telkomsel");
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 2; }, startup_deadline));
  require_delivered_by_telkomsel(gw, post_otps(gw, 100, 5));
  for (int round = 0; round < 3; ++round) {
    INFO("restart " << round + 1);
    restart_and_rebind(gw, tsel);
    require_delivered_by_telkomsel(gw, post_otps(gw, 200 + round * 10, 10));
  }
}
