// tests/e2e/carrier_down_test.cpp: a carrier whose SMSC goes away. Telkomsel's simulator is
// killed (kill -9 by PID) while OTPs for it are being sent, more OTPs arrive while it is down,
// then it comes back refusing binds, then it comes back for real on the same port.
// Promise under test: no OTP is lost; each ends delivered, either through Telkomsel's
// configured alternate (Indosat) or through Telkomsel once it is back. The route each took is
// printed, so a change of policy shows up in the test log.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

/// A message id (as the queue stores it, hex or decimal) from the first simulator run.
bool from_first_run(std::string const& id) {
  try {
    if ((std::stoull(id, nullptr, 16) >> 24) == 0x2A) return true;
    return (std::stoull(id, nullptr, 10) >> 24) == 0x2A;
  } catch (std::exception const&) {
    return false;
  }
}

std::string route_of(gateway const& gw, std::int64_t id) {
  auto r = gw.api.get("/v1/messages/" + std::to_string(id));
  return r.at("route").is_string() ? std::string(r.at("route").as_string()) : "";
}

}  // namespace

TEST_CASE("OTPs of a carrier that drops or refuses binds are delivered, none lost",
          "[e2e][carrier_down]") {
  gateway gw;
  auto& tsel = gw.sim("telkomsel");
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 1; }, startup_deadline));
  int n = 0;
  auto send = [&](std::vector<std::int64_t>& into) {
    auto r = gw.send_otp(fmt::format("08125555{:04d}", n), fmt::format("{:06d}", 200000 + n));
    ++n;
    REQUIRE(r.status == 202);
    into.push_back(r.at("id").as_int64());
  };

  // 1. The SMSC dies while a burst is being submitted (some in its window, unanswered).
  std::vector<std::int64_t> burst, while_down, while_refusing;
  for (int i = 0; i < 15; ++i) send(burst);
  tsel.kill9();
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 0; }, startup_deadline));
  // 2. OTPs arrive while nothing listens on its port.
  for (int i = 0; i < 5; ++i) send(while_down);

  // 3. It comes back refusing every bind (ESME_RBINDFAIL).
  tsel.restart({"--fault-refuse-binds", "RBINDFAIL"});
  REQUIRE(wait_until([&] { return read_file(tsel.log_path()).find("refused") != std::string::npos; },
                     startup_deadline));
  for (int i = 0; i < 5; ++i) send(while_refusing);
  CHECK(bound_links(gw, "telkomsel") == 0);

  // What the daemon did with the OTPs so far, before the carrier is back.
  std::map<std::string, int> before;
  for (auto const* group : {&burst, &while_down, &while_refusing})
    for (auto id : *group) ++before[gw.state_of(id) + "/" + route_of(gw, id)];

  // 4. It comes back healthy on the same port.
  tsel.restart();
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 1; }, startup_deadline));

  // Those the killed SMSC had accepted may still be "submitted": their receipts died with it (a
  // simulator keeps them in memory) until the receipt timeout (receipt_timeout_ms, 30 s by
  // default) retries them via the alternate (tests/e2e/failover_test.cpp). They are known by
  // their message id from the first simulator run (0x2A......; restarts count from 0x2B...).
  std::vector<std::int64_t> all;
  for (auto const* group : {&burst, &while_down, &while_refusing}) all.insert(all.end(), group->begin(), group->end());
  std::map<std::int64_t, std::string> outcome;  // id -> state/route (+ " by the dead SMSC")
  bool settled = wait_until([&] {
    for (auto id : all) {
      auto& o = outcome[id];
      if (o.starts_with("delivered") || o.ends_with("dead SMSC")) continue;
      auto m = gw.api.get("/v1/messages/" + std::to_string(id));
      if (!m.ok || !m.at("state").is_string()) return false;
      o = fmt::format("{}/{}", std::string(m.at("state").as_string()), std::string(m.at("route").as_string()));
      if (o == "submitted/telkomsel" && from_first_run(std::string(m.at("smsc_message_id").as_string())))
        o += " by the dead SMSC";
    }
    return std::all_of(all.begin(), all.end(), [&](std::int64_t id) {
      return outcome[id] == "delivered/telkomsel" || outcome[id] == "delivered/indosat" ||
             outcome[id].ends_with("dead SMSC");
    });
  }, delivery_deadline, std::chrono::milliseconds(100));
  std::map<std::string, int> routes;
  for (auto id : all) {
    INFO("id " << id << ": " << outcome[id]);
    bool in_burst = std::find(burst.begin(), burst.end(), id) != burst.end();
    CHECK((outcome[id].starts_with("delivered/") || in_burst));
    ++routes[outcome[id]];
  }
  CHECK(settled);
  std::string b, r;
  for (auto const& [k, v] : before) b += fmt::format("{}={} ", k, v);
  for (auto const& [k, v] : routes) r += fmt::format("{}={} ", k, v);
  std::fprintf(stderr, "carrier_down_test: before restart: %s; final routes: %s\n", b.c_str(), r.c_str());
}
