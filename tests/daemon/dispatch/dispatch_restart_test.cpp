// tests/daemon/dispatch/dispatch_restart_test.cpp: what survives a restart of the dispatcher and the
// store on the same SQLite file: a receipt for an alternate route arriving after the restart is
// still matched (via_carrier is persisted), an OTP left in flight by a crash is retried by the
// retry policy at open() while a bulk one is not; housekeeping expires and purges; and a
// receipt the queue could not commit (read-only database) is answered non-OK, so the SMSC
// delivers it again and it is recorded once the database is writable.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/daemon/dispatch/dispatch_fixture.hpp"

#include <boost/asio/detached.hpp>

using namespace smsgw;
using namespace smsgw::test;
using queue::state;

TEST_CASE("a receipt for the alternate route is matched after a restart", "[dispatcher]") {
  sim_spec a{"tsel", {"isat"}}, b{"isat", {}};
  a.sim.initial_faults.refuse_submits = smpp::command_status::submitfail;
  dispatch_world w({a, b});
  // Before the restart every receipt is held back unanswered: the SMSC keeps it.
  bool hold = true;
  w.tap.on_deliver_hook = [&](smpp::pdu const&) { return !hold; };
  w.start();
  auto id = w.enqueue(otp_request(number(1), "tsel"));
  REQUIRE(w.wait_until([&] { return !w.tap.swallowed.empty(); }));
  // Its submit result may still wait in the batcher for company (submit_linger): committed
  // with the next report or when the linger runs out.
  REQUIRE(w.wait_state(id, state::submitted));
  auto before = w.get(id);
  CHECK(before.st == state::submitted);
  CHECK(before.route == "isat");
  CHECK(before.via_carrier == "isat");

  w.stop();  // the held deliver_sm is never answered: the simulator redelivers on a new bind
  w.tap.swallowed.clear();
  hold = false;
  w.start();
  REQUIRE(w.wait_state(id, state::delivered));
  // deliver_sm_resp OK follows the commit: wait for the simulator to have read it.
  REQUIRE(w.wait_until([&] { return w.sim("isat").counters().receipts_acked >= 1; }));
  CHECK(w.disp().stats().receipts_unmatched == 0);
  CHECK(w.submits_to("isat", number(1)).size() == 1);
}

TEST_CASE("after a crash an OTP left in flight is retried via the policy, bulk is not",
          "[dispatcher]") {
  sim_spec a{"tsel", {"isat"}}, b{"isat", {}};
  dispatch_world w({a, b});
  // Build the state a crash leaves: claimed and marked sending, never answered.
  queue::message_id otp_id = 0, bulk_id = 0;
  {
    auto s = queue::store::open(w.db_path);
    REQUIRE(s.has_value());
    auto bulk = otp_request(number(8), "tsel");
    bulk.prio = queue::priority::bulk;
    auto o = s->enqueue(otp_request(number(7), "tsel"));
    auto bk = s->enqueue(bulk);
    REQUIRE(o.has_value());
    REQUIRE(bk.has_value());
    otp_id = o->id;
    bulk_id = bk->id;
    auto claimed = s->claim("tsel", 10, queue::clock::now());
    REQUIRE(claimed.has_value());
    REQUIRE(claimed->size() == 2);
    std::vector<queue::message_id> ids{otp_id, bulk_id};
    REQUIRE(s->mark_sending(ids, queue::clock::now()).has_value());
  }  // the process "dies" here: nothing else is written

  w.start();
  CHECK(w.recovery.outcome_unknown == 2);
  CHECK(w.recovery.retried == 1);
  REQUIRE(w.wait_state(otp_id, state::delivered));
  // The policy sends attempt 2 through the first alternate. Which SMSC it physically reaches
  // depends on which carrier binds first (an OTP whose route has no bound link goes with the
  // carrier that claims it: dispatcher::source_of); either way it is submitted exactly once.
  auto h = w.history(otp_id);
  CHECK(std::any_of(h.begin(), h.end(), [](queue::event const& e) {
    return e.to == state::queued && e.route == "isat";
  }));
  CHECK(w.submits_to("isat", number(7)).size() + w.submits_to("tsel", number(7)).size() == 1);
  CHECK(w.get(bulk_id).st == state::outcome_unknown);  // a resend could duplicate it
  CHECK(w.submits_to("tsel", number(8)).empty());
  CHECK(w.submits_to("isat", number(8)).empty());
}

TEST_CASE("housekeeping expires what cannot be sent and purges what is finished",
          "[dispatcher]") {
  sim_spec up{"tsel", {}}, down{"isat", {}};
  down.sim.initial_faults.refuse_binds = smpp::command_status::bindfail;
  dispatch_world w({up, down});
  w.cfg.queue.retention = std::chrono::hours(0);
  w.start();
  auto done = w.enqueue(otp_request(number(1), "tsel"));
  auto stuck = w.enqueue(otp_request(number(2), "isat", std::chrono::milliseconds(200)));
  REQUIRE(w.wait_state(done, state::delivered));
  CHECK(w.get(stuck).st == state::queued);  // isat never binds: nobody claims it

  boost::asio::co_spawn(w.io, w.disp().run_housekeeping(), boost::asio::detached);
  // The delivered one is purged at the first tick (retention 0); the stuck one is expired by
  // expire_due (no claim ever saw it), and purged too if that happened by the first tick.
  auto gone = [&](queue::message_id id) {
    auto m = w.on_queue([id](queue::store& s) { return s.get(id); });
    return !m && m.error().code == queue::errc::not_found;
  };
  REQUIRE(w.wait_until([&] { return gone(done); }));
  REQUIRE(w.wait_until([&] { return gone(stuck) || w.get(stuck).st == state::expired; }));
  CHECK(w.wait_dlr(stuck, "expired"));  // the operator's log says so, not only the API
  CHECK(w.submits_to("isat", number(2)).empty());
  CHECK(w.sim("isat").counters().submits_received == 0);
}

TEST_CASE("deliver_sm_resp is OK only after the receipt is committed", "[dispatcher]") {
  sim_spec a{"tsel", {}};
  dispatch_world w({a});
  // The first receipt finds the database read-only (PRAGMA query_only on the store's own
  // connection, queued on the queue thread before the dispatcher's apply_receipt); the next
  // delivery of it finds it writable again.
  int seen = 0;
  w.tap.on_deliver_hook = [&](smpp::pdu const&) {
    bool const read_only = ++seen == 1;
    w.gc().run([read_only](queue::store& s) {
      s.database().exec(read_only ? "PRAGMA query_only = ON" : "PRAGMA query_only = OFF");
    });
    return true;
  };
  w.start();
  auto id = w.enqueue(otp_request(number(3), "tsel"));
  REQUIRE(w.wait_state(id, state::delivered));
  REQUIRE(w.wait_until([&] { return w.sim("tsel").counters().receipts_acked >= 1; }));
  auto c = w.sim("tsel").counters();
  CHECK(seen >= 2);
  CHECK(c.receipts_retry_requested >= 1);  // ESME_RX_T_APPN: not recorded, send it again
  CHECK(c.receipts_acked == 1);            // ESME_ROK once, after the commit
  CHECK(w.disp().stats().queue_errors >= 1);
  REQUIRE(w.wait_dlr(id, "delivered"));
  auto lines = w.dlr_lines();
  CHECK(std::count_if(lines.begin(), lines.end(), [&](std::string const& l) {
          return l.find("id=" + std::to_string(id) + " ") != std::string::npos;
        }) == 1);
}
