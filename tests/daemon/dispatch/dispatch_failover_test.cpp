// tests/daemon/dispatch/dispatch_failover_test.cpp: issue #13 §3, §4 and the sender point of
// §5, through the dispatcher, real carriers and SMSC simulators on 127.0.0.1 and a real
// queue file (dispatch_fixture.hpp):
// - a carrier that sends no receipts: the OTP is retried via the alternate once the home
//   carrier's receipt_timeout passed (housekeeping), delivered there, and the DLR log names
//   the carrier that stayed silent;
// - a receipt err: code the carrier's config lists as filtered: the alternate at once, never
//   the filtering route again (when the alternate filters too, the message ends undeliverable
//   and the first carrier got exactly one submit_sm);
// - a submit refusal status listed as filtered: the same;
// - no sender in the request: each route uses its own carrier's registered sender, a named
//   sender is kept on every route (the simulators record the submit_sm fields);
// - a claim that had already run in the queue when its carrier was suspended: what it
//   claimed is handled as the suspension handles the buffer (the OTP via the alternate, the
//   bulk message back to the queue, marks cleared), nothing via the suspended carrier.
// Assertions are on states, histories and recorded submits, never on time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "daemon/dispatch/dispatcher_source.hpp"
#include "tests/daemon/dispatch/dispatch_fixture.hpp"
#include "tests/daemon/dispatch/writer_gate.hpp"

using namespace smsgw;
using namespace smsgw::test;
using queue::state;
using namespace std::chrono_literals;

namespace {

bool has_detail(std::vector<queue::event> const& h, std::string_view text) {
  return std::any_of(h.begin(), h.end(),
                     [&](queue::event const& e) { return e.detail.find(text) != std::string::npos; });
}

bool line_has(std::vector<std::string> const& lines, queue::message_id id, std::string_view a,
              std::string_view b) {
  auto const want = "id=" + std::to_string(id) + " ";
  return std::any_of(lines.begin(), lines.end(), [&](std::string const& l) {
    return l.find(want) != std::string::npos && l.find(a) != std::string::npos &&
           l.find(b) != std::string::npos;
  });
}

/// tsel (home, alternates: isat) and isat.
std::vector<sim_spec> two_carriers(sim::outcome_mix tsel_outcomes) {
  sim_spec tsel{"tsel", {"isat"}};
  tsel.sim.outcomes = tsel_outcomes;
  sim_spec isat{"isat", {}};
  return {tsel, isat};
}

/// Each carrier of two_carriers() with its own registered sender.
void name_senders(dispatch_world& w) {
  w.cfg.carriers[0].sender = "TSEL-ID";
  w.cfg.carriers[1].sender = "ISAT-ID";
}

}  // namespace

TEST_CASE("an OTP whose carrier sends no receipt is retried via the alternate after receipt_timeout",
          "[dispatcher][receipt_timeout]") {
  sim::outcome_mix silent;
  silent.delivrd = 0;
  silent.none = 100;
  dispatch_world w(two_carriers(silent));
  name_senders(w);
  w.cfg.carriers[0].receipt_timeout = 300ms;
  w.start();
  boost::asio::co_spawn(w.io, w.disp().run_housekeeping(), boost::asio::detached);

  auto req = otp_request(number(1), "tsel");
  req.sender.clear();  // not named: each route's own
  auto id = w.enqueue(req);
  REQUIRE(w.wait_state(id, state::delivered));
  auto m = w.get(id);
  CHECK(m.route == "isat");
  CHECK(m.via_carrier == "isat");
  CHECK(m.attempts == 2);
  auto h = w.history(id);
  CHECK(has_detail(h, "no receipt from tsel for attempt 1"));
  CHECK(has_detail(h, "retry via isat"));
  REQUIRE(w.submits_to("tsel", number(1)).size() == 1);
  REQUIRE(w.submits_to("isat", number(1)).size() == 1);
  CHECK(w.submits_to("tsel", number(1))[0].sm.source_addr == "TSEL-ID");
  CHECK(w.submits_to("isat", number(1))[0].sm.source_addr == "ISAT-ID");
  REQUIRE(w.wait_dlr(id, "delivered"));
  auto lines = w.dlr_lines();
  CHECK(line_has(lines, id, "carrier=tsel", "state=queued"));
  CHECK(line_has(lines, id, "carrier=isat", "state=delivered"));
  CHECK(w.disp().stats().receipt_timeouts == 1);
  // The receipt that never came is learnt as at least the time waited: tsel no longer looks
  // like a fast route to deadline-aware routing (the prior before any receipt is 5 s).
  CHECK(w.disp().receipt_latencies().samples("tsel") == 1);
  CHECK(w.disp().receipt_latencies().seconds("tsel") >= 0.3);
}

TEST_CASE("a carrier with no receipts and no alternate: no_receipt after validity + grace",
          "[dispatcher][receipt_timeout]") {
  sim_spec tsel{"tsel", {}};
  tsel.sim.outcomes.delivrd = 0;
  tsel.sim.outcomes.none = 100;
  dispatch_world w({tsel});
  w.cfg.carriers[0].receipt_timeout = 100ms;
  w.cfg.queue.no_receipt_grace = 0s;
  w.start();
  boost::asio::co_spawn(w.io, w.disp().run_housekeeping(), boost::asio::detached);
  auto id = w.enqueue(otp_request(number(2), "tsel", 2s));
  REQUIRE(w.wait_state(id, state::submitted));
  REQUIRE(w.wait_state(id, state::no_receipt));
  REQUIRE(w.wait_dlr(id, "no_receipt"));
  CHECK(w.submits_to("tsel", number(2)).size() == 1);
  CHECK(w.disp().stats().no_receipt == 1);
}

TEST_CASE("a filtered receipt sends the OTP to the alternate at once, never to the same route again",
          "[dispatcher][filtered]") {
  sim::outcome_mix rejectd;
  rejectd.delivrd = 0;
  rejectd.rejectd = 100;  // err:069 (the simulator's default REJECTD code)
  SECTION("the alternate delivers, with its own sender") {
    dispatch_world w(two_carriers(rejectd));
    name_senders(w);
    w.cfg.carriers[0].filtered_errors = {"069"};
    w.start();
    auto req = otp_request(number(3), "tsel");
    req.sender.clear();
    auto id = w.enqueue(req);
    REQUIRE(w.wait_state(id, state::delivered));
    auto m = w.get(id);
    CHECK(m.route == "isat");
    CHECK(m.filtered_routes == "tsel");
    CHECK(has_detail(w.history(id), "class:filtered (filtered; retried)"));
    REQUIRE(w.submits_to("isat", number(3)).size() == 1);
    CHECK(w.submits_to("isat", number(3))[0].sm.source_addr == "ISAT-ID");
    CHECK(w.submits_to("tsel", number(3))[0].sm.source_addr == "TSEL-ID");
    REQUIRE(w.wait_dlr(id, "delivered"));
    CHECK(line_has(w.dlr_lines(), id, "carrier=tsel", "class:filtered"));
    CHECK(w.disp().stats().filtered == 1);
  }
  SECTION("a named sender is kept on every route") {
    dispatch_world w(two_carriers(rejectd));
    name_senders(w);
    w.cfg.carriers[0].filtered_errors = {"069"};
    w.start();
    auto req = otp_request(number(4), "tsel");
    req.sender = "ACME";
    auto id = w.enqueue(req);
    REQUIRE(w.wait_state(id, state::delivered));
    CHECK(w.submits_to("tsel", number(4))[0].sm.source_addr == "ACME");
    CHECK(w.submits_to("isat", number(4))[0].sm.source_addr == "ACME");
  }
  SECTION("the alternate filters too: no route is left, tsel got one submit_sm") {
    sim_spec tsel{"tsel", {"isat"}};
    tsel.sim.outcomes = rejectd;
    sim_spec isat{"isat", {"tsel"}};
    isat.sim.outcomes = rejectd;
    dispatch_world w({tsel, isat});
    w.cfg.carriers[0].filtered_errors = {"069"};
    w.cfg.carriers[1].filtered_errors = {"069"};
    w.retry.max_otp_attempts = 3;
    w.start();
    auto id = w.enqueue(otp_request(number(5), "tsel"));
    REQUIRE(w.wait_state(id, state::undeliverable));
    auto m = w.get(id);
    CHECK(m.attempts == 2);
    CHECK(m.filtered_routes == "tsel,isat");
    CHECK(w.submits_to("tsel", number(5)).size() == 1);
    CHECK(w.submits_to("isat", number(5)).size() == 1);
  }
}

TEST_CASE("a submit refusal listed as filtered goes to the alternate at once",
          "[dispatcher][filtered]") {
  sim_spec tsel{"tsel", {"isat"}};
  auto const status = static_cast<smpp::command_status>(0x45);  // ESME_RSUBMITFAIL
  tsel.sim.initial_faults.refuse_submits = status;
  sim_spec isat{"isat", {"tsel"}};
  dispatch_world w({tsel, isat});
  w.cfg.carriers[0].filtered_submit_statuses = {0x45};
  w.retry.same_route_delay = 10min;  // a retry on tsel would never come in this test
  w.start();
  auto id = w.enqueue(otp_request(number(6), "tsel"));
  REQUIRE(w.wait_state(id, state::delivered));
  auto m = w.get(id);
  CHECK(m.route == "isat");
  CHECK(m.filtered_routes == "tsel");
  CHECK(has_detail(w.history(id), "class:filtered"));
  CHECK(w.submits_to("tsel", number(6)).size() == 1);
}

TEST_CASE("the late receipt of the attempt before a retry is matched, and delivered wins",
          "[dispatcher][receipt_timeout]") {
  sim_spec tsel{"tsel", {"isat"}};
  // tsel's receipt is held back (unanswered) until the retry went out via isat; the simulator
  // delivers it again after each unanswered try.
  tsel.sim.deliver_resp_timeout = 300ms;
  tsel.sim.max_deliveries = 1000;
  sim_spec isat{"isat", {}};
  isat.sim.outcomes.delivrd = 0;
  isat.sim.outcomes.none = 100;  // the retry's attempt never gets one
  dispatch_world w({tsel, isat});
  w.cfg.carriers[0].receipt_timeout = 200ms;
  bool release = false;
  w.tap.on_deliver_hook = [&](smpp::pdu const&) { return release; };  // only tsel sends any
  w.start();
  boost::asio::co_spawn(w.io, w.disp().run_housekeeping(), boost::asio::detached);
  auto id = w.enqueue(otp_request(number(7), "tsel"));
  REQUIRE(w.wait_until([&] {
    auto m = w.get(id);
    return m.st == state::submitted && m.via_carrier == "isat";
  }));
  release = true;
  REQUIRE(w.wait_state(id, state::delivered));
  auto m = w.get(id);
  CHECK(m.attempts == 2);
  CHECK(m.via_carrier == "isat");  // the second attempt's id stays the message's
  auto h = w.history(id);
  CHECK(has_detail(h, "no receipt from tsel for attempt 1"));
  CHECK(has_detail(h, "receipt of attempt 1 via tsel: stat:DELIVRD"));
  CHECK(h.back().to == state::delivered);
  CHECK(w.submits_to("isat", number(7)).size() == 1);
  CHECK(w.submits_to("tsel", number(7)).size() == 1);
  REQUIRE(w.wait_dlr(id, "delivered"));
}

TEST_CASE("a claim that ran as its carrier was suspended: the OTP goes via the alternate, the bulk message back to the queue, nothing via the suspended carrier",
          "[integration]") {
  dispatch_world w(two_carriers(sim::outcome_mix{}));
  w.start();
  // tsel's link waits with a claim standing by (its first, empty, claim came back).
  REQUIRE(w.wait_until([&] { return w.gc().standing_for("tsel") > 0; }, 10s));
  // Both enqueues commit in one round, which runs the standing claim: both are claimed and
  // marked for tsel, and the answer waits on the network thread (not run meanwhile).
  std::future<queue::result<queue::enqueue_outcome>> otp, bulk;
  {
    writer_gate gate(w.gc());
    otp = w.gc().enqueue(otp_request(number(1), "tsel"));
    auto b = otp_request(number(2), "tsel");
    b.prio = queue::priority::bulk;
    b.text = "Promo";
    bulk = w.gc().enqueue(std::move(b));
  }
  auto otp_id = otp.get().value().id, bulk_id = bulk.get().value().id;
  REQUIRE(w.get(otp_id).st == state::in_flight);
  REQUIRE(w.get(bulk_id).st == state::in_flight);
  // The operator suspends tsel before that answer is seen: the claim ran, it cannot be withdrawn.
  REQUIRE(w.disp().apply_suspension("tsel", true));
  REQUIRE(dynamic_cast<dispatcher_source&>(w.disp().source_for("tsel")).standing_claim_pending());

  REQUIRE(w.wait_state(otp_id, state::delivered));
  CHECK(w.get(otp_id).via_carrier == "isat");
  REQUIRE(w.wait_state(bulk_id, state::queued));
  auto h = w.history(bulk_id);
  CHECK(has_detail(h, "suspended"));
  // Nothing went out through the suspended carrier, and the bulk message stays queued.
  run_for(w.io, 300ms);
  CHECK(w.sim("tsel").submits().empty());
  CHECK(w.submits_to("isat", number(2)).empty());
  CHECK(w.get(bulk_id).st == state::queued);
}
