// tests/e2e/buffer_failover_test.cpp: a carrier killed while OTPs for it sit in its buffer. Telkomsel
// runs at 1 SMS/s (burst 1), so its source holds OTPs claimed for it and not yet written; then
// its simulator is killed (kill -9 by PID) and stays down. Promise under test: after
// failover_after_ms with no bound link, the OTPs already taken into its memory go to its
// alternate (Indosat) and are delivered there, with Indosat's sender ID, before they
// expire; none stays in_flight.
// Before, they waited in Telkomsel's buffer until their validity ran out.
#include <catch2/catch.hpp>

#include <regex>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

constexpr int otp_count = 8;

/// Destination number -> source address of the submit_sm a simulator accepted.
std::map<std::string, std::string> accepted_numbers(smsc_sim& sim) {
  std::map<std::string, std::string> out;
  for (auto const& a : sim.accepted_submits()) out[a.number] = a.sender;
  return out;
}

}  // namespace

TEST_CASE("OTPs in the memory of a carrier whose links drop go to its alternate, none stays in_flight",
          "[e2e][failover]") {
  std::vector<carrier_spec> carriers{
      {"telkomsel", {"--id-format", "hex"}, "same", {"indosat"},
       "burst = 1\nfailover_after_ms = 500\nsender = \"TSEL\"\n", 1},
      {"indosat", {"--id-format", "dec"}, "same", {"telkomsel"}, "sender = \"ISAT\"\n"},
  };
  gateway gw(carriers);
  auto& tsel = gw.sim("telkomsel");
  std::map<std::int64_t, std::string> number_of;
  for (int i = 0; i < otp_count; ++i) {
    auto to = fmt::format("08123333{:04d}", i);
    // 60 s of validity: well past failover_after_ms, well before the test's delivery deadline,
    // so an OTP left in Telkomsel's buffer would still be in_flight when the wait below ends.
    auto r = gw.api.post("/v1/otp", {{"to", to}, {"code", fmt::format("{:06d}", 100000 + i)},
                                     {"purpose", fmt::format("login-{}", i)},
                                     {"ttl_seconds", 60}});
    REQUIRE(r.status == 202);
    number_of[r.at("id").as_int64()] = "62" + to.substr(1);
  }
  // Several claimed into Telkomsel's buffer and not yet written (1 SMS/s).
  auto in_memory = [&] {
    int n = 0;
    auto const sent = accepted_numbers(tsel);
    for (auto const& [id, number] : number_of)
      if (gw.state_of(id) == "in_flight" && !sent.count(number)) ++n;
    return n;
  };
  REQUIRE(wait_until([&] { return in_memory() >= 3; }, startup_deadline));
  tsel.kill9();
  auto const sent_by_tsel = accepted_numbers(tsel);

  std::vector<std::int64_t> ids;
  for (auto const& [id, number] : number_of) ids.push_back(id);
  // Bounded well inside the OTPs' 60 s validity.
  auto states = gw.wait_final(ids, std::chrono::milliseconds(40000));
  auto const sent_by_isat = accepted_numbers(gw.sim("indosat"));
  int moved = 0;
  for (auto const& [id, number] : number_of) {
    INFO("message " << id << " to " << number << " state " << states[id]);
    CHECK(states[id] == "delivered");
    if (sent_by_tsel.count(number)) continue;  // written to Telkomsel before the kill
    CHECK(sent_by_isat.count(number) == 1);
    // Built for Telkomsel, sent by Indosat: with Indosat's registered sender.
    if (sent_by_isat.count(number)) CHECK(sent_by_isat.at(number) == "ISAT");
    ++moved;
  }
  CHECK(moved >= 3);
}
