// tests/daemon/dispatch/dispatch_down_carrier_test.cpp: an alternate and a carrier that is down.
// Telkomsel never binds (its SMSC refuses every bind); Indosat is its alternate and has a
// bulk backlog of its own. Promises under test: Indosat sends Telkomsel's OTPs before its own
// bulk still queued (they used to wait behind all of it), and Telkomsel's bulk is not claimed
// into memory while Telkomsel is down: it stays queued in the database.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/daemon/dispatch/dispatch_fixture.hpp"

using namespace smsgw;
using namespace smsgw::test;
using queue::state;

namespace {

std::vector<queue::enqueue_request> bulk_for(std::string const& carrier, int first, int count) {
  std::vector<queue::enqueue_request> out;
  for (int i = first; i < first + count; ++i) {
    auto r = otp_request(number(i), carrier);
    r.prio = queue::priority::bulk;
    r.text = "Promo " + std::to_string(i);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

TEST_CASE("an alternate sends a down carrier's OTPs before its own queued bulk, and leaves that "
          "carrier's bulk in the database",
          "[dispatcher][failover]") {
  sim_spec tsel{"tsel", {"isat"}}, isat{"isat", {}};
  tsel.sim.initial_faults.refuse_binds = smpp::command_status::bindfail;  // tsel never binds
  dispatch_world w({tsel, isat});
  w.cfg.carriers[1].link.throttle.rate = 100;  // isat drains its backlog slowly
  w.cfg.carriers[1].link.throttle.burst = 5;
  w.cfg.carriers[0].peak = {};  // no peak-hour windows: bulk may go whenever
  w.cfg.carriers[1].peak = {};
  w.start();

  auto isat_bulk = bulk_for("isat", 0, 1000);
  auto tsel_bulk = bulk_for("tsel", 5000, 50);
  auto stored = w.on_queue([&](queue::store& s) -> queue::result<void> {
    if (auto r = s.enqueue_batch(isat_bulk); !r) return r.error();
    if (auto r = s.enqueue_batch(tsel_bulk); !r) return r.error();
    return {};
  });
  REQUIRE(stored.has_value());
  w.disp().notify("isat");
  REQUIRE(w.wait_until([&] { return w.sim("isat").counters().submits_ok >= 20; }));

  std::vector<queue::enqueue_request> otps;
  for (int k = 0; k < 5; ++k) otps.push_back(otp_request(number(10000 + k), "tsel"));
  auto enq = w.on_queue([&](queue::store& s) -> queue::result<std::int64_t> {
    auto r = s.enqueue_batch(otps);
    if (!r) return r.error();
    return s.database().query_int(
        "SELECT min(id) FROM messages WHERE state = 0 AND priority = 2 AND carrier = 'isat'");
  });
  REQUIRE(enq.has_value());
  w.disp().notify("isat");
  auto const boundary = w.get(*enq).recipient;  // isat's oldest bulk still queued then
  REQUIRE(w.wait_until([&] {
    auto all = w.sim("isat").submits();
    for (auto const& o : otps)
      if (position(all, o.recipient) == all.size()) return false;
    return true;
  }));
  auto all = w.sim("isat").submits();
  for (auto const& o : otps) {
    INFO("OTP to " << o.recipient << " at " << position(all, o.recipient) << ", isat's bulk "
                   << boundary << " at " << position(all, boundary));
    CHECK(position(all, o.recipient) < position(all, boundary));
  }
  // Telkomsel's bulk: still queued, none claimed into memory for a carrier with no link.
  auto claimed = w.on_queue([](queue::store& s) -> queue::result<std::int64_t> {
    return s.database().query_int(
        "SELECT count(*) FROM messages WHERE carrier = 'tsel' AND priority = 2 AND state <> 0");
  });
  REQUIRE(claimed.has_value());
  CHECK(*claimed == 0);
}
