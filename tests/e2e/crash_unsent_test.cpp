// tests/e2e/crash_unsent_test.cpp: kill -9 while messages sit claimed behind a throttled
// carrier's token bucket (Telkomsel at 1 SMS/s, burst 1; its alternate's link claims its messages into
// its buffer). Promise under test: a message that was claimed but never written to a socket
// is queued again by crash recovery, not made "outcome unknown": after the restart it is
// delivered, and the SMSC accepted exactly one submit_sm for it. Before the fix, the sending
// mark was set at claim time and such messages came back outcome_unknown (transactional ones
// were then never retried).
#include <catch2/catch.hpp>

#include <regex>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

constexpr int message_count = 8;

/// submit_sm the simulator accepted, per destination number.
std::map<std::string, int> accepted_submits(smsc_sim& sim) { return sim.accepted_per_number(); }

}  // namespace

TEST_CASE("messages claimed but never written when the daemon is killed are queued again and sent once",
          "[e2e][crash]") {
  std::vector<carrier_spec> carriers{
      {"telkomsel", {"--id-format", "hex"}, "same", {"indosat"}, "burst = 1\n", 1},
      {"indosat", {"--id-format", "dec"}, "same", {"telkomsel"}},
  };
  gateway gw(carriers);
  auto& tsel = gw.sim("telkomsel");
  std::map<std::int64_t, std::string> number_of;  // id -> number as the SMSC sees it
  for (int i = 0; i < message_count; ++i) {
    auto to = fmt::format("08122222{:04d}", i);
    auto r = gw.api.post("/v1/messages", {{"to", to}, {"text", fmt::format("Transfer {} ok", i)},
                                          {"priority", "transactional"}, {"ttl_seconds", 300}});
    REQUIRE(r.status == 202);
    number_of[r.at("id").as_int64()] = "62" + to.substr(1);
  }
  // Wait until several are claimed and waiting for tokens (in_flight, not yet at the SMSC).
  auto waiting_for_tokens = [&] {
    int n = 0;
    auto submits = accepted_submits(tsel);
    for (auto const& [id, number] : number_of)
      if (gw.state_of(id) == "in_flight" && submits[number] == 0) ++n;
    return n;
  };
  REQUIRE(wait_until([&] { return waiting_for_tokens() >= 3; }, startup_deadline));
  gw.daemon.kill9();
  auto const before = accepted_submits(tsel);
  int never_written = 0;
  for (auto const& [id, number] : number_of) never_written += before.count(number) == 0 ? 1 : 0;
  REQUIRE(never_written >= 3);

  gw.daemon.start();
  std::vector<std::int64_t> ids;
  for (auto const& [id, number] : number_of) ids.push_back(id);
  auto states = gw.wait_final(ids);
  auto const after = accepted_submits(tsel);
  for (auto const& [id, number] : number_of) {
    INFO("message " << id << " to " << number);
    CHECK(states[id] == "delivered");
    if (before.count(number) > 0) continue;  // written before the kill: its outcome may be unknown
    auto const history = history_states(gw, id);
    CHECK(std::count(history.begin(), history.end(), "outcome_unknown") == 0);
    CHECK(after.count(number) == 1);
    CHECK((after.count(number) ? after.at(number) : 0) == 1);
  }
}
