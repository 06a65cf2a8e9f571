// tests/daemon/dispatch/dispatch_receipts_test.cpp: receipts that do not arrive in the usual order
// (issue #11), through the whole message path (dispatch_fixture.hpp: real links, the SMSC
// simulator, a SQLite file, the DLR log file). A receipt that overtakes its submit_sm_resp
// writes one DLR line, with the message's id and the receipt's err code, and no id=0 line.
// A receipt whose submit_sm_resp was lost (a kill between the SMSC's answer and its record,
// made here by losing the answer in the tap, then restarting on the same file) settles its
// message by number and submit date when it is redelivered, or, if it had been held, at the
// next housekeeping; with two candidates, nothing is matched and the orphan lines stay.
#include <catch2/catch.hpp>

#include <algorithm>

#include <boost/asio/detached.hpp>

#include "tests/daemon/dispatch/dispatch_fixture.hpp"

using namespace smsgw;
using namespace smsgw::test;
using queue::state;

namespace {

/// The DLR lines naming message `id` ("id=0" for receipts that matched no message).
std::vector<std::string> lines_of(dispatch_world& w, queue::message_id id) {
  auto const want = " id=" + std::to_string(id) + " ";
  std::vector<std::string> out;
  for (auto const& l : w.dlr_lines())
    if (l.find(want) != std::string::npos) out.push_back(l);
  return out;
}

std::int64_t count(dispatch_world& w, std::string sql) {
  auto n = w.on_queue([sql](queue::store& s) -> queue::result<std::int64_t> {
    return s.database().query_int(sql);
  });
  if (!n) throw std::runtime_error(n.error().message);
  return *n;
}

queue::enqueue_request transactional(std::string recipient) {
  auto r = otp_request(std::move(recipient), "tsel", std::chrono::minutes(30));
  r.prio = queue::priority::transactional;  // not retried after an unknown outcome
  r.text = "Pesanan Anda dikirim";
  return r;
}

}  // namespace

TEST_CASE("a receipt overtaking its submit_sm_resp writes one DLR line, with the message id "
          "and the receipt's err code", "[dispatcher][receipts]") {
  sim_spec tsel{"tsel", {}};
  tsel.sim.initial_faults.receipt_before_resp = true;  // deliver_sm first, then the resp
  dispatch_world w({tsel});
  w.start();
  std::vector<queue::message_id> ids;
  for (int i = 0; i < 3; ++i) {  // one at a time: each receipt reaches an idle queue writer
    auto id = w.enqueue(otp_request(number(20 + i), "tsel"));
    REQUIRE(w.wait_state(id, state::delivered));
    REQUIRE(w.wait_dlr(id, "delivered"));
    ids.push_back(id);
  }
  REQUIRE(w.wait_until([&] { return w.sim("tsel").counters().receipts_acked == 3; }));
  // Each receipt took the held path: its row was held, then applied by the submit_sm_resp.
  CHECK(count(w, "SELECT count(*) FROM receipts WHERE status = 0 AND message_id IS NOT NULL") ==
        3);

  for (auto id : ids) {
    INFO("message " << id);
    auto lines = lines_of(w, id);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("state=delivered") != std::string::npos);
    CHECK(lines[0].find(" err=000 ") != std::string::npos);  // the receipt's err:000
    CHECK(lines[0].find("carrier=tsel") != std::string::npos);
  }
  auto unmatched = lines_of(w, 0);
  INFO("id=0 lines: " << unmatched.size() << (unmatched.empty() ? "" : ", first: " + unmatched[0]));
  CHECK(unmatched.empty());  // a held receipt is not an outcome, and it matched
  CHECK(w.disp().stats().receipts_unmatched == 0);
}

TEST_CASE("a receipt redelivered after its submit_sm_resp was lost settles the message",
          "[dispatcher][receipts]") {
  dispatch_world w({sim_spec{"tsel", {}}});
  // Until the restart: every submit_sm_resp is lost, every receipt left unanswered.
  bool lose = true;
  w.tap.on_submit_hook = [&](std::uint64_t) { return !lose; };
  w.tap.on_deliver_hook = [&](smpp::pdu const&) { return !lose; };
  w.start();
  auto id = w.enqueue(transactional(number(30)));
  REQUIRE(w.wait_until([&] { return w.tap.submits_lost == 1 && !w.tap.swallowed.empty(); }));
  CHECK(w.get(id).st == state::in_flight);  // the SMSC has it; smsgw never learnt its id

  w.stop();  // as after a kill: in flight with its sending mark, the receipt unanswered
  w.tap.swallowed.clear();
  lose = false;
  w.start();
  CHECK(w.recovery.outcome_unknown == 1);
  CHECK(w.recovery.retried == 0);  // transactional: a resend could duplicate it
  // The SMSC redelivers the receipt on the new bind; answered once it is recorded.
  REQUIRE(w.wait_until([&] { return w.sim("tsel").counters().receipts_acked >= 1; }));
  REQUIRE(w.wait_until([&] { return !lines_of(w, id).empty() || !lines_of(w, 0).empty(); }));

  auto m = w.get(id);
  CHECK(m.st == state::delivered);
  CHECK_FALSE(m.smsc_message_id.empty());  // the id, learnt from the receipt
  auto lines = lines_of(w, id);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("state=delivered") != std::string::npos);
  CHECK(lines[0].find(" err=000 ") != std::string::npos);
  CHECK(lines_of(w, 0).empty());
  CHECK(w.sim("tsel").counters().submits_received == 1);  // settled, not sent again
}

TEST_CASE("a receipt held before its submit_sm_resp was lost settles the message at the next "
          "housekeeping", "[dispatcher][receipts]") {
  sim_spec tsel{"tsel", {}};
  tsel.sim.initial_faults.receipt_before_resp = true;
  dispatch_world w({tsel});
  bool lose = true;
  w.tap.on_submit_hook = [&](std::uint64_t) { return !lose; };
  w.start();
  auto id = w.enqueue(transactional(number(31)));
  // The receipt came first and was held (recorded, answered OK); then the resp was lost.
  REQUIRE(w.wait_until([&] {
    return w.tap.submits_lost == 1 && w.sim("tsel").counters().receipts_acked == 1;
  }));
  CHECK(w.get(id).st == state::in_flight);
  CHECK(lines_of(w, 0).empty());  // held: no line yet

  w.stop();
  lose = false;
  w.start();
  REQUIRE(w.get(id).st == state::outcome_unknown);
  boost::asio::co_spawn(w.io, w.disp().run_housekeeping(), boost::asio::detached);
  REQUIRE(w.wait_until([&] { return !lines_of(w, id).empty(); }, std::chrono::seconds(10)));

  CHECK(w.get(id).st == state::delivered);
  auto lines = lines_of(w, id);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("state=delivered") != std::string::npos);
  CHECK(lines[0].find(" err=000 ") != std::string::npos);
  CHECK(lines_of(w, 0).empty());
}

TEST_CASE("two messages a redelivered receipt could belong to: neither is matched, the orphan "
          "lines stay", "[dispatcher][receipts]") {
  dispatch_world w({sim_spec{"tsel", {}}});
  bool lose = true;
  w.tap.on_submit_hook = [&](std::uint64_t) { return !lose; };
  w.tap.on_deliver_hook = [&](smpp::pdu const&) { return !lose; };
  w.start();
  // Two messages to the same number, sent within the same minute or two: both fit both dates.
  auto first = w.enqueue(transactional(number(32)));
  auto second = w.enqueue(transactional(number(32)));
  REQUIRE(w.wait_until([&] { return w.tap.submits_lost == 2 && w.tap.swallowed.size() == 2; }));

  w.stop();
  w.tap.swallowed.clear();
  lose = false;
  w.start();
  CHECK(w.recovery.outcome_unknown == 2);
  REQUIRE(w.wait_until([&] { return w.sim("tsel").counters().receipts_acked >= 2; }));
  REQUIRE(w.wait_until([&] { return lines_of(w, 0).size() >= 2; }));

  CHECK(w.get(first).st == state::outcome_unknown);
  CHECK(w.get(second).st == state::outcome_unknown);
  auto orphans = lines_of(w, 0);
  CHECK(orphans.size() == 2);
  for (auto const& l : orphans) CHECK(l.find("state=orphan") != std::string::npos);
  CHECK(lines_of(w, first).empty());
  CHECK(lines_of(w, second).empty());
}
