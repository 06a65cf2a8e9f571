// tests/daemon/dispatch/dispatcher_test.cpp: the dispatcher between a real queue file and real carriers
// talking to SMSC simulators on 127.0.0.1 (dispatch_fixture.hpp): OTPs overtake a bulk backlog,
// an OTP refused or failed (UNDELIV receipt) on its carrier is delivered via the alternate,
// expired and superseded OTPs never reach an SMSC, throttling never loses or doubles a submit.
// Assertions are on order and counts (the simulators record every submit_sm), never on time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "tests/daemon/dispatch/dispatch_fixture.hpp"

using namespace smsgw;
using namespace smsgw::test;
using queue::state;

namespace {

/// The history's events of `id` that moved it to `to`.
std::size_t count_to(std::vector<queue::event> const& h, state to) {
  return static_cast<std::size_t>(
      std::count_if(h.begin(), h.end(), [&](queue::event const& e) { return e.to == to; }));
}

}  // namespace

TEST_CASE("OTPs enqueued behind a bulk backlog are submitted before the bulk still queued",
          "[dispatcher]") {
  sim_spec tsel{"tsel", {}};
  tsel.sim.initial_faults.throttle_every = 7;  // the SMSC throttles too: put back in place
  dispatch_world w({tsel});
  w.cfg.carriers[0].link.throttle.rate = 400;
  w.cfg.carriers[0].link.throttle.burst = 5;
  w.start();

  constexpr int bulk_count = 2000;
  std::vector<queue::enqueue_request> bulk;
  for (int i = 0; i < bulk_count; ++i) {
    auto r = otp_request(number(i), "tsel");
    r.prio = queue::priority::bulk;
    r.text = "Promo " + std::to_string(i);
    bulk.push_back(std::move(r));
  }
  auto stored = w.on_queue([&](queue::store& s) { return s.enqueue_batch(bulk); });
  REQUIRE(stored.has_value());
  w.disp().notify("tsel");
  REQUIRE(w.wait_until([&] { return w.sim("tsel").counters().submits_ok >= 40; }));

  // Five OTPs, and in the same queue task the oldest bulk message still queued: every OTP
  // must reach the SMSC before it (claims are (priority, id) ordered, put_back keeps places).
  std::vector<queue::enqueue_request> otps;
  for (int k = 0; k < 5; ++k) otps.push_back(otp_request(number(10000 + k), "tsel"));
  auto enq = w.on_queue([&](queue::store& s) -> queue::result<std::int64_t> {
    auto r = s.enqueue_batch(otps);
    if (!r) return r.error();
    return s.database().query_int("SELECT min(id) FROM messages WHERE state = 0 AND priority = 2");
  });
  REQUIRE(enq.has_value());
  w.disp().notify("tsel");
  auto const boundary = w.get(*enq).recipient;
  REQUIRE(w.wait_until([&] {
    auto all = w.sim("tsel").submits();
    if (position(all, boundary) == all.size()) return false;
    for (auto const& o : otps)
      if (position(all, o.recipient) == all.size()) return false;
    return true;
  }));
  auto all = w.sim("tsel").submits();
  INFO("oldest queued bulk at OTP enqueue: " << boundary << " at position " << position(all, boundary));
  for (auto const& o : otps) CHECK(position(all, o.recipient) < position(all, boundary));
  CHECK(position(all, boundary) < all.size());
  CHECK(w.sim("tsel").counters().submits_throttled > 0);
}

TEST_CASE("an OTP refused by its carrier is delivered via the alternate", "[dispatcher]") {
  sim_spec a{"tsel", {"isat"}}, b{"isat", {}};
  a.sim.initial_faults.refuse_submits = smpp::command_status::submitfail;
  dispatch_world w({a, b});
  w.start();
  auto id = w.enqueue(otp_request(number(1), "tsel"));
  REQUIRE(w.wait_state(id, state::delivered));

  auto on_a = w.submits_to("tsel", number(1));
  auto on_b = w.submits_to("isat", number(1));
  REQUIRE(on_a.size() == 1);
  CHECK(on_a[0].status == smpp::command_status::submitfail);
  REQUIRE(on_b.size() == 1);
  CHECK(on_b[0].status == smpp::command_status::ok);
  auto m = w.get(id);
  CHECK(m.attempts == 2);
  CHECK(m.route == "isat");
  auto h = w.history(id);
  CHECK(count_to(h, state::in_flight) == 2);
  CHECK(count_to(h, state::submitted) == 1);
  CHECK(w.wait_dlr(id, "delivered"));
  CHECK(w.disp().stats().retried == 1);
}

TEST_CASE("bulk refused by its carrier is rejected, never retried", "[dispatcher]") {
  sim_spec a{"tsel", {"isat"}}, b{"isat", {}};
  a.sim.initial_faults.refuse_submits = smpp::command_status::submitfail;
  dispatch_world w({a, b});
  w.start();
  auto r = otp_request(number(2), "tsel");
  r.prio = queue::priority::bulk;
  auto id = w.enqueue(r);
  REQUIRE(w.wait_state(id, state::rejected));
  CHECK(w.submits_to("tsel", number(2)).size() == 1);
  CHECK(w.submits_to("isat", number(2)).empty());
  CHECK(w.wait_dlr(id, "rejected"));
}

TEST_CASE("an OTP whose receipt is UNDELIV is delivered via the alternate", "[dispatcher]") {
  sim_spec a{"tsel", {"isat"}}, b{"isat", {}};
  a.sim.outcomes = {0, 100, 0, 0, 0};  // every message: UNDELIV
  dispatch_world w({a, b});
  w.start();
  auto id = w.enqueue(otp_request(number(3), "tsel"));
  REQUIRE(w.wait_state(id, state::delivered));

  CHECK(w.submits_to("tsel", number(3)).size() == 1);
  CHECK(w.submits_to("isat", number(3)).size() == 1);
  // History: submitted on tsel, the UNDELIV receipt recorded (state kept), queued again by the
  // policy, submitted on isat, delivered.
  auto h = w.history(id);
  std::vector<std::pair<state, std::string>> steps;
  for (auto const& e : h)
    UNSCOPED_INFO((e.from ? queue::to_string(*e.from) : "-") << " -> " << queue::to_string(e.to)
                  << " attempt " << e.attempt << " route " << e.route << ": " << e.detail);
  for (auto const& e : h)
    if (e.from != e.to && (e.to == state::submitted || e.to == state::delivered))
      steps.emplace_back(e.to, e.route);
  CHECK(steps == std::vector<std::pair<state, std::string>>{
                     {state::submitted, "tsel"}, {state::submitted, "isat"}, {state::delivered, "isat"}});
  CHECK(count_to(h, state::queued) == 2);  // the enqueue and the retry
  CHECK(count_to(h, state::undeliverable) == 0);
  // DLR log: the failed receipt (tsel, requeued) then the final line (isat, delivered).
  REQUIRE(w.wait_dlr(id, "delivered"));
  auto lines = w.dlr_lines();
  CHECK(dlr_has(lines, id, "queued"));
  auto final_line = std::find_if(lines.begin(), lines.end(), [&](std::string const& l) {
    return l.find("id=" + std::to_string(id) + " ") != std::string::npos &&
           l.find("state=delivered") != std::string::npos;
  });
  REQUIRE(final_line != lines.end());
  CHECK(final_line->find("carrier=isat") != std::string::npos);
  CHECK(final_line->find("Kode") == std::string::npos);  // never the text
}

TEST_CASE("an UNDELIV bulk message stays undeliverable", "[dispatcher]") {
  sim_spec a{"tsel", {"isat"}}, b{"isat", {}};
  a.sim.outcomes = {0, 100, 0, 0, 0};
  dispatch_world w({a, b});
  w.start();
  auto r = otp_request(number(4), "tsel");
  r.prio = queue::priority::bulk;
  auto id = w.enqueue(r);
  REQUIRE(w.wait_state(id, state::undeliverable));
  CHECK(w.submits_to("isat", number(4)).empty());
  CHECK(w.wait_dlr(id, "undeliverable"));
}

TEST_CASE("expired and superseded OTPs never reach an SMSC", "[dispatcher]") {
  dispatch_world w({sim_spec{"tsel", {}}});
  w.start();
  // Enqueued 10 minutes ago with 5 minutes of validity: expired before any claim.
  auto old = otp_request(number(5), "tsel");
  old.now = queue::clock::now() - std::chrono::minutes(10);
  // Two OTPs for the same number and purpose: the first is superseded by the second.
  auto first = otp_request(number(6), "tsel");
  first.purpose = "login";
  first.text = "Kode OTP 111111";
  auto second = first;
  second.text = "Kode OTP 222222";
  auto expired_id = w.enqueue(old);
  auto first_id = w.enqueue(first);
  auto second_id = w.enqueue(second);
  REQUIRE(w.wait_state(second_id, state::delivered));
  REQUIRE(w.wait_state(expired_id, state::expired));
  CHECK(w.get(first_id).st == state::superseded);
  CHECK(w.submits_to("tsel", number(5)).empty());
  auto to_six = w.submits_to("tsel", number(6));
  REQUIRE(to_six.size() == 1);
  std::string text(to_six[0].sm.short_message.begin(), to_six[0].sm.short_message.end());
  CHECK(text == "Kode OTP 222222");
}

TEST_CASE("under SMSC throttling every message is submitted once and delivered once",
          "[dispatcher]") {
  sim_spec tsel{"tsel", {}};
  tsel.sim.initial_faults.throttle_every = 3;
  dispatch_world w({tsel});
  w.start();
  constexpr int n = 60;
  std::vector<queue::message_id> ids;
  for (int i = 0; i < n; ++i) {
    auto r = otp_request(number(100 + i), "tsel");
    if (i % 2) r.prio = queue::priority::transactional;
    ids.push_back(w.enqueue(r));
  }
  REQUIRE(w.wait_until([&] {
    auto counts = w.on_queue([](queue::store& s) { return s.count_by_state(); });
    return counts && (*counts)[static_cast<std::size_t>(state::delivered)] == n;
  }));
  CHECK(w.sim("tsel").counters().submits_throttled > 0);
  std::map<std::string, int> ok;
  for (auto const& s : w.sim("tsel").submits())
    if (s.status == smpp::command_status::ok) ++ok[s.sm.destination_addr];
  CHECK(ok.size() == n);
  for (auto const& [to, count] : ok) CHECK(count == 1);
  for (auto id : ids) {
    auto h = w.history(id);
    CHECK(count_to(h, state::in_flight) == 1);  // a throttled submit is not a new attempt
    CHECK(count_to(h, state::submitted) == 1);
    CHECK(count_to(h, state::delivered) == 1);
  }
}

TEST_CASE("no submit_sm_resp (link dropped): an OTP is retried via the alternate, bulk is left "
          "outcome_unknown", "[dispatcher]") {
  sim_spec a{"tsel", {"isat"}}, b{"isat", {}};
  a.sim.initial_faults.close_after_submits = 1;  // every connection dies at its first submit_sm
  dispatch_world w({a, b});
  w.start();
  auto bulk = otp_request(number(9), "tsel");
  bulk.prio = queue::priority::bulk;
  auto bulk_id = w.enqueue(bulk);
  REQUIRE(w.wait_state(bulk_id, state::outcome_unknown));
  auto otp_id = w.enqueue(otp_request(number(10), "tsel"));
  REQUIRE(w.wait_state(otp_id, state::delivered));
  auto on_a = w.submits_to("tsel", number(10));
  REQUIRE(on_a.size() == 1);
  CHECK_FALSE(on_a[0].answered);
  CHECK(w.submits_to("isat", number(10)).size() == 1);
  CHECK(w.submits_to("isat", number(9)).empty());  // a resend could duplicate it
  CHECK(w.submits_to("tsel", number(9)).size() == 1);
  CHECK(w.get(bulk_id).st == state::outcome_unknown);
}

TEST_CASE("an OTP routed to a carrier with no bound link goes out via one that is up",
          "[dispatcher]") {
  sim_spec a{"tsel", {"isat"}}, b{"isat", {}};
  b.sim.initial_faults.refuse_binds = smpp::command_status::bindfail;  // isat never binds
  dispatch_world w({a, b});
  w.start();
  REQUIRE(w.wait_until([&] { return w.carriers[0]->bound_links() == 1; }));
  auto r = otp_request(number(11), "tsel");
  r.route = "isat";  // as a retry to the alternate would have left it
  auto id = w.enqueue(r);
  REQUIRE(w.wait_state(id, state::delivered));
  CHECK(w.get(id).route == "tsel");
  CHECK(w.submits_to("tsel", number(11)).size() == 1);
  CHECK(w.sim("isat").counters().submits_received == 0);
}

TEST_CASE("an OTP whose validity runs out while the SMSC throttles it is never sent after",
          "[dispatcher]") {
  sim_spec tsel{"tsel", {}};
  tsel.sim.initial_faults.throttle_rate = 1.0;  // every submit_sm answered ESME_RTHROTTLED
  dispatch_world w({tsel});
  w.start();
  auto id = w.enqueue(otp_request(number(12), "tsel", std::chrono::seconds(3)));
  // It cycles between the link and the carrier's buffer until its validity runs out.
  REQUIRE(w.wait_state(id, state::expired));
  CHECK(w.wait_dlr(id, "expired"));
  CHECK(w.disp().stats().expired_unsent == 1);
  CHECK(w.sim("tsel").counters().submits_throttled > 0);

  // The SMSC accepts again: a later OTP goes out, the expired one (older, so first in the
  // buffer's order had it still been there) never does.
  w.sim("tsel").set_faults({});
  auto later = w.enqueue(otp_request(number(13), "tsel"));
  REQUIRE(w.wait_state(later, state::delivered));
  for (auto const& s : w.submits_to("tsel", number(12)))
    CHECK(s.status == smpp::command_status::throttled);
  CHECK(count_to(w.history(id), state::submitted) == 0);
}

TEST_CASE("refresh_validity gives the SMSC the validity left at hand-out, or refuses") {
  outbound_message m;
  auto const now = queue::clock::now();
  REQUIRE(refresh_validity(m, now + std::chrono::seconds(90) + std::chrono::milliseconds(400), now));
  CHECK(m.submit.validity_period == "000000000130000R");  // 1 min 30 s, relative
  REQUIRE(refresh_validity(m, now + std::chrono::seconds(2), now));
  CHECK(m.submit.validity_period == "000000000002000R");
  CHECK_FALSE(refresh_validity(m, now + std::chrono::milliseconds(999), now));
  CHECK_FALSE(refresh_validity(m, now - std::chrono::seconds(1), now));
}

TEST_CASE("a graceful stop returns claimed but unsent messages to the queue", "[dispatcher]") {
  sim_spec tsel{"tsel", {}};
  tsel.sim.initial_faults.throttle_rate = 1.0;  // nothing is accepted: messages wait in buffers
  dispatch_world w({tsel});
  w.start();
  std::vector<queue::message_id> ids;
  for (int i = 0; i < 5; ++i) {
    auto r = otp_request(number(400 + i), "tsel");
    r.prio = queue::priority::bulk;  // bulk: an unknown outcome would never be retried
    ids.push_back(w.enqueue(r));
  }
  REQUIRE(w.wait_until([&] { return w.sim("tsel").counters().submits_throttled >= 5; }));

  // run_daemon's stop: no more claims, links unbound, then the unsent ones go back.
  w.disp().stop_dequeuing();
  for (auto& c : w.carriers) REQUIRE(stop_carrier(w.io, *c));
  std::optional<std::size_t> released;
  boost::asio::co_spawn(w.io, w.disp().release_unsent(),
                        [&](std::exception_ptr, std::size_t n) { released = n; });
  REQUIRE(w.wait_until([&] { return released.has_value(); }));
  CHECK(*released == ids.size());
  for (auto id : ids) CHECK(w.get(id).st == state::queued);
  w.stop();

  // Restarted with an SMSC that accepts: each is sent and delivered, none "outcome unknown".
  w.sim("tsel").set_faults({});
  w.start();
  CHECK(w.recovery.outcome_unknown == 0);
  for (auto id : ids) {
    REQUIRE(w.wait_state(id, state::delivered));
    CHECK(count_to(w.history(id), state::outcome_unknown) == 0);
  }
}

TEST_CASE("retry_left_route: only the route a retry moved a message away from") {
  queue::message m;
  m.carrier = "telkomsel";
  m.route = "xl";             // planned: the third attempt via xl
  m.via_carrier = "indosat";  // the second went via indosat, with no receipt
  m.attempts = 3;
  CHECK(smsgw::retry_left_route(m, "indosat"));
  CHECK_FALSE(smsgw::retry_left_route(m, "xl"));
  CHECK_FALSE(smsgw::retry_left_route(m, "telkomsel"));
  m.attempts = 1;  // a first attempt left nothing
  CHECK_FALSE(smsgw::retry_left_route(m, "indosat"));
  m.attempts = 3;
  m.route = "indosat";  // the retry stays on the same route: nothing was left
  CHECK_FALSE(smsgw::retry_left_route(m, "indosat"));
  // An earlier attempt got no receipt on telkomsel (its home): the fourth attempt planned
  // via xl, whose last attempt went via indosat, is not sent back to telkomsel either.
  m.route = "xl";
  m.attempts = 4;
  m.silent_routes = "telkomsel";
  CHECK(smsgw::retry_left_route(m, "telkomsel"));
  CHECK(smsgw::retry_left_route(m, "indosat"));
  CHECK_FALSE(smsgw::retry_left_route(m, "xl"));
  m.route = "telkomsel";  // planned there (no other route was left): not a route it left
  CHECK_FALSE(smsgw::retry_left_route(m, "telkomsel"));
}

TEST_CASE("receipt_err reads the carrier's err code from a receipt detail") {
  CHECK(receipt_err("stat:DELIVRD err:000") == "000");
  CHECK(receipt_err("receipt (held until submit_sm_resp): stat:UNDELIV err:013") == "013");
  CHECK(receipt_err("stat:REJECTD err:0x45") == "0x45");
  CHECK(receipt_err("stat:DELIVRD err:-").empty());  // the receipt had none
  CHECK(receipt_err("retry via isat: failed_receipt on tsel").empty());
}
