// tests/smpp/session_test.cpp: drives smpp::session step by step with fake time, the way
// Boost.Redis test_writer_fsm does: each step feeds one input (start, a PDU from the "SMSC",
// a tick, a submit) and checks exactly which actions come out. No sockets, no clock.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "smpp/codec.hpp"
#include "smpp/session.hpp"

using namespace smsgw::smpp;
using namespace std::chrono_literals;

namespace {

steady_time const t0{std::chrono::hours(1)};

template <class T>
std::vector<T> collect(actions const& a) {
  std::vector<T> r;
  for (auto const& x : a)
    if (auto const* p = std::get_if<T>(&x)) r.push_back(*p);
  return r;
}

template <class T>
T one(actions const& a) {
  auto const v = collect<T>(a);
  REQUIRE(v.size() == 1);
  return v.front();
}

std::vector<pdu> sent(actions const& a) {
  std::vector<pdu> r;
  for (auto const& s : collect<send_pdu>(a)) r.push_back(s.p);
  return r;
}

pdu sent_one(actions const& a) {
  auto const v = sent(a);
  REQUIRE(v.size() == 1);
  return v.front();
}

pdu make(std::uint32_t seq, pdu_body body, command_status st = command_status::ok) {
  return pdu{st, seq, std::move(body), {}};
}

submit_sm otp(std::string to) {
  submit_sm sm;
  sm.source_addr = "SMSGW";
  sm.destination_addr = std::move(to);
  sm.registered_delivery = 1;
  std::string const text = "Your code is 123456";
  sm.short_message.assign(text.begin(), text.end());
  return sm;
}

session_config test_config() {
  session_config c;
  c.system_id = "smsgw";
  c.password = "secret";
  c.system_type = "OTP";
  c.addr_ton = 1;
  c.addr_npi = 1;
  c.address_range = "628*";
  c.window = 3;
  c.response_timeout = 60s;
  c.enquire_link_interval = 30s;
  c.enquire_link_timeout = 10s;
  c.bind_timeout = 15s;
  c.unbind_timeout = 5s;
  c.drain_timeout = 20s;
  return c;
}

// Starts the session and answers its bind with ESME_ROK at t0.
void bind_ok(session& s, steady_time now = t0) {
  actions a;
  s.start(now, a);
  auto const bind = sent_one(a);
  a.clear();
  pdu_body resp = bind_transceiver_resp{"SMSC1"};
  if (bind.id() == command_id::bind_transmitter) resp = bind_transmitter_resp{"SMSC1"};
  if (bind.id() == command_id::bind_receiver) resp = bind_receiver_resp{"SMSC1"};
  s.on_pdu(make(bind.sequence_number, resp), now, a);
  REQUIRE(collect<bound>(a).size() == 1);
}

// Submits one message and returns the sequence_number it went out with.
std::uint32_t submit_one(session& s, submit_ref ref, steady_time now) {
  actions a;
  REQUIRE(s.submit(ref, otp("6281100000" + std::to_string(ref)), {}, now, a) ==
          submit_refusal::none);
  auto const p = sent_one(a);
  REQUIRE(p.id() == command_id::submit_sm);
  return p.sequence_number;
}

}  // namespace

TEST_CASE("session: bind_transceiver: bind PDU from the config, bound on ESME_ROK", "[session]") {
  session s(test_config());
  REQUIRE(s.state() == session_state::open);
  REQUIRE_FALSE(s.next_deadline());
  actions a;

  // Step 1: the connection is up; the session asks to bind as transceiver.
  s.start(t0, a);
  REQUIRE(a.size() == 2);
  auto const sc = std::get<state_changed>(a[0]);
  CHECK(sc.from == session_state::open);
  CHECK(sc.to == session_state::binding);
  auto const p = std::get<send_pdu>(a[1]).p;
  REQUIRE(p.id() == command_id::bind_transceiver);
  CHECK(p.sequence_number == 1);
  auto const& b = std::get<bind_transceiver>(p.body);
  CHECK(b.system_id == "smsgw");
  CHECK(b.password == "secret");
  CHECK(b.system_type == "OTP");
  CHECK(b.interface_version == 0x34);
  CHECK(b.addr_ton == 1);
  CHECK(b.addr_npi == 1);
  CHECK(b.address_range == "628*");
  CHECK(s.next_deadline() == t0 + 15s);  // bind_timeout
  // Not bound yet: submits are refused (backpressure), nothing is sent.
  a.clear();
  CHECK(s.submit(7, otp("628111"), {}, t0, a) == submit_refusal::not_bound);
  CHECK(a.empty());

  // Step 2: bind_transceiver_resp OK with sc_interface_version 0x34.
  pdu resp = make(1, bind_transceiver_resp{"SMSC1"});
  resp.tlvs.push_back(tlv{tag::sc_interface_version, {0x34}});
  s.on_pdu(resp, t0 + 1s, a);
  CHECK(s.state() == session_state::bound_trx);
  auto const bd = one<bound>(a);
  CHECK(bd.mode == bind_mode::transceiver);
  CHECK(bd.smsc_system_id == "SMSC1");
  CHECK(bd.sc_interface_version == std::uint8_t{0x34});
  CHECK(one<state_changed>(a).to == session_state::bound_trx);
  CHECK(sent(a).empty());
  CHECK(s.can_submit());
  CHECK(s.window_free() == 3);
  // The only timer now is the enquire_link probe, 30 s after the last PDU received.
  CHECK(s.next_deadline() == t0 + 31s);
}

TEST_CASE("session: bind as transmitter or receiver", "[session]") {
  auto cfg = test_config();
  SECTION("transmitter") {
    cfg.mode = bind_mode::transmitter;
    session s(cfg);
    actions a;
    s.start(t0, a);
    CHECK(sent_one(a).id() == command_id::bind_transmitter);
    a.clear();
    s.on_pdu(make(1, bind_transmitter_resp{"X"}), t0, a);
    CHECK(s.state() == session_state::bound_tx);
    CHECK(s.can_submit());
  }
  SECTION("receiver: bound_rx, submits refused as not_bound") {
    cfg.mode = bind_mode::receiver;
    session s(cfg);
    actions a;
    s.start(t0, a);
    CHECK(sent_one(a).id() == command_id::bind_receiver);
    a.clear();
    s.on_pdu(make(1, bind_receiver_resp{"X"}), t0, a);
    CHECK(s.state() == session_state::bound_rx);
    CHECK_FALSE(s.can_submit());
    CHECK(s.window_free() == 0);
    a.clear();
    CHECK(s.submit(1, otp("628"), {}, t0, a) == submit_refusal::not_bound);
    CHECK(a.empty());
  }
}

TEST_CASE("session: bind refused: status reported, credential errors flagged, connection closed",
          "[session]") {
  auto const [status, credential] = GENERATE(table<command_status, bool>({
      {command_status::invpaswd, true},
      {command_status::invsysid, true},
      {command_status::invsystyp, true},
      {command_status::bindfail, false},
      {command_status::alybnd, false},
      {command_status::syserr, false},
      {command_status::throttled, false},
  }));
  session s(test_config());
  actions a;
  s.start(t0, a);
  a.clear();
  // bind_resp with an error carries no system_id.
  s.on_pdu(make(1, bind_transceiver_resp{}, status), t0 + 1s, a);
  auto const f = one<bind_failed>(a);
  CHECK(f.status == status);
  CHECK(f.credential_error == credential);
  CHECK_FALSE(f.timed_out);
  CHECK_FALSE(f.generic_nack);
  CHECK(one<close_connection>(a).reason == close_reason::bind_failed);
  CHECK(std::holds_alternative<close_connection>(a.back()));
  CHECK(s.state() == session_state::closed);
  CHECK(collect<bound>(a).empty());
  CHECK_FALSE(s.next_deadline());
}

TEST_CASE("session: bind answered with generic_nack, and bind timeout", "[session]") {
  session s(test_config());
  actions a;
  s.start(t0, a);
  a.clear();
  SECTION("generic_nack ESME_RINVCMDID") {
    s.on_pdu(make(1, generic_nack{}, command_status::invcmdid), t0, a);
    auto const f = one<bind_failed>(a);
    CHECK(f.generic_nack);
    CHECK(f.status == command_status::invcmdid);
    CHECK(s.state() == session_state::closed);
  }
  SECTION("no bind_resp within bind_timeout") {
    s.on_tick(t0 + 15s - 1ms, a);
    CHECK(a.empty());
    s.on_tick(t0 + 15s, a);
    auto const f = one<bind_failed>(a);
    CHECK(f.timed_out);
    CHECK(one<close_connection>(a).reason == close_reason::bind_timeout);
    CHECK(s.state() == session_state::closed);
    // The late bind_resp is reported, not acted on.
    a.clear();
    s.on_pdu(make(1, bind_transceiver_resp{"SMSC1"}), t0 + 16s, a);
    CHECK(collect<bound>(a).empty());
    CHECK(one<response_ignored>(a).sequence_number == 1);
    CHECK(s.state() == session_state::closed);
  }
}

TEST_CASE("session: enquire_link: sent after the idle interval, traffic postpones it",
          "[session]") {
  session s(test_config());
  bind_ok(s);  // bound at t0: probe due at t0+30s
  actions a;
  s.on_tick(t0 + 29s, a);
  CHECK(a.empty());

  // A PDU from the SMSC at t0+20s proves it alive: the probe moves to t0+50s.
  s.on_pdu(make(77, enquire_link{}), t0 + 20s, a);
  a.clear();
  CHECK(s.next_deadline() == t0 + 50s);
  s.on_tick(t0 + 49s, a);
  CHECK(a.empty());

  s.on_tick(t0 + 50s, a);
  auto const probe = sent_one(a);
  CHECK(probe.id() == command_id::enquire_link);
  CHECK(s.next_deadline() == t0 + 60s);  // enquire_link_timeout

  // The answer comes: no close; next probe 30 s after the answer.
  a.clear();
  s.on_pdu(make(probe.sequence_number, enquire_link_resp{}), t0 + 51s, a);
  CHECK(a.empty());
  CHECK(s.next_deadline() == t0 + 81s);
  s.on_tick(t0 + 70s, a);
  CHECK(a.empty());
  CHECK(s.state() == session_state::bound_trx);
}

TEST_CASE("session: enquire_link unanswered: peer declared dead, in-flight handed back",
          "[session]") {
  session s(test_config());
  bind_ok(s);
  auto const seq = submit_one(s, 42, t0 + 1s);  // response deadline t0+61s
  actions a;
  s.on_tick(t0 + 30s, a);
  REQUIRE(sent_one(a).id() == command_id::enquire_link);
  a.clear();
  s.on_tick(t0 + 40s - 1ms, a);
  CHECK(a.empty());
  s.on_tick(t0 + 40s, a);
  auto const u = one<submit_unknown>(a);
  CHECK(u.ref == 42);
  CHECK(u.sequence_number == seq);
  CHECK(u.reason == unknown_reason::peer_dead);
  CHECK(one<close_connection>(a).reason == close_reason::enquire_link_timeout);
  CHECK(sent(a).empty());  // no unbind: it would not be answered
  CHECK(s.state() == session_state::closed);
  CHECK(s.in_flight() == 0);
}

TEST_CASE("session: window: fills, refuses, frees on response", "[session]") {
  session s(test_config());  // window 3
  bind_ok(s);
  auto const s1 = submit_one(s, 1, t0);
  submit_one(s, 2, t0);
  submit_one(s, 3, t0);
  CHECK(s.in_flight() == 3);
  CHECK(s.window_free() == 0);
  actions a;
  CHECK(s.submit(4, otp("6281"), {}, t0, a) == submit_refusal::window_full);
  CHECK(a.empty());

  s.on_pdu(make(s1, submit_sm_resp{"A1"}), t0 + 1s, a);
  auto const r = one<submit_result>(a);
  CHECK(r.ref == 1);
  CHECK(r.status == command_status::ok);
  CHECK(r.message_id == "A1");
  CHECK(s.window_free() == 1);
  CHECK(submit_one(s, 4, t0 + 1s) != 0);
  CHECK(s.window_free() == 0);
}

TEST_CASE("session: responses matched by sequence_number, out of order", "[session]") {
  session s(test_config());
  bind_ok(s);
  auto const a100 = submit_one(s, 100, t0);
  auto const a101 = submit_one(s, 101, t0);
  auto const a102 = submit_one(s, 102, t0);
  CHECK(a100 != a101);
  CHECK(a101 != a102);
  actions a;
  s.on_pdu(make(a102, submit_sm_resp{"m102"}), t0 + 1s, a);
  s.on_pdu(make(a100, submit_sm_resp{"m100"}), t0 + 1s, a);
  s.on_pdu(make(a101, submit_sm_resp{}, command_status::invdstadr), t0 + 1s, a);
  auto const r = collect<submit_result>(a);
  REQUIRE(r.size() == 3);
  CHECK(r[0].ref == 102);
  CHECK(r[0].message_id == "m102");
  CHECK(r[1].ref == 100);
  CHECK(r[1].message_id == "m100");
  CHECK(r[2].ref == 101);
  CHECK(r[2].status == command_status::invdstadr);  // the SMSC's verdict, passed on
  CHECK(r[2].message_id.empty());
  CHECK(s.in_flight() == 0);
  // A duplicate response now matches nothing.
  a.clear();
  s.on_pdu(make(a100, submit_sm_resp{"m100"}), t0 + 2s, a);
  CHECK(one<response_ignored>(a).sequence_number == a100);
  CHECK(collect<submit_result>(a).empty());
}

TEST_CASE("session: response timeout: outcome unknown, slot freed, late response ignored",
          "[session]") {
  auto cfg = test_config();
  cfg.window = 1;
  session s(cfg);
  bind_ok(s);
  auto const seq = submit_one(s, 9, t0 + 5s);
  CHECK(s.next_deadline() == t0 + 30s);  // enquire_link comes first
  actions a;
  s.on_tick(t0 + 30s, a);  // probe sent and answered: only the response timer is left
  auto const probe = sent_one(a);
  s.on_pdu(make(probe.sequence_number, enquire_link_resp{}), t0 + 30s, a);
  a.clear();
  CHECK(s.next_deadline() == t0 + 60s);
  s.on_tick(t0 + 60s, a);  // probe again (interval after the resp), submit not yet due
  a.clear();
  s.on_tick(t0 + 65s - 1ms, a);
  CHECK(collect<submit_unknown>(a).empty());
  s.on_tick(t0 + 65s, a);
  auto const u = one<submit_unknown>(a);
  CHECK(u.ref == 9);
  CHECK(u.sequence_number == seq);
  CHECK(u.reason == unknown_reason::response_timeout);
  CHECK(s.in_flight() == 0);
  CHECK(s.window_free() == 1);
  a.clear();
  s.on_pdu(make(seq, submit_sm_resp{"late"}), t0 + 66s, a);
  CHECK(one<response_ignored>(a).sequence_number == seq);
  CHECK(collect<submit_result>(a).empty());
}

TEST_CASE("session: disconnect: every outstanding submit handed back as unknown, restart works",
          "[session]") {
  session s(test_config());
  bind_ok(s);
  auto const q1 = submit_one(s, 1, t0);
  auto const q2 = submit_one(s, 2, t0);
  auto const q3 = submit_one(s, 3, t0);
  actions a;
  s.on_pdu(make(500, deliver_sm{}), t0, a);  // a receipt not yet acked
  a.clear();
  s.on_disconnect(t0 + 1s, a);
  auto const u = collect<submit_unknown>(a);
  REQUIRE(u.size() == 3);
  CHECK(u[0].ref == 1);
  CHECK(u[0].sequence_number == q1);
  CHECK(u[1].ref == 2);
  CHECK(u[1].sequence_number == q2);
  CHECK(u[2].ref == 3);
  CHECK(u[2].sequence_number == q3);
  for (auto const& x : u) CHECK(x.reason == unknown_reason::disconnected);
  CHECK(collect<close_connection>(a).empty());
  CHECK(s.state() == session_state::closed);
  CHECK(s.in_flight() == 0);
  CHECK_FALSE(s.next_deadline());
  // The receipt can no longer be acked on this connection (the SMSC will redeliver).
  a.clear();
  CHECK_FALSE(s.ack_deliver(500, command_status::ok, t0 + 2s, a));
  CHECK(a.empty());
  CHECK(s.submit(4, otp("628"), {}, t0, a) == submit_refusal::not_bound);

  // A new connection: bind again, numbering carries on.
  s.start(t0 + 10s, a);
  auto const bind = sent_one(a);
  CHECK(bind.id() == command_id::bind_transceiver);
  CHECK(bind.sequence_number == q3 + 1);
  CHECK(s.state() == session_state::binding);
}

TEST_CASE("session: throttled responses: retry signal, not a failure", "[session]") {
  auto const status = GENERATE(command_status::throttled, command_status::msgqful);
  session s(test_config());
  bind_ok(s);
  auto const seq = submit_one(s, 5, t0);
  actions a;
  s.on_pdu(make(seq, submit_sm_resp{}, status), t0 + 1s, a);
  auto const th = one<submit_throttled>(a);
  CHECK(th.ref == 5);
  CHECK(th.sequence_number == seq);
  CHECK(th.status == status);
  CHECK(collect<submit_result>(a).empty());
  CHECK(s.in_flight() == 0);
}

TEST_CASE("session: generic_nack for a submit_sm is the SMSC's answer", "[session]") {
  session s(test_config());
  bind_ok(s);
  auto const seq = submit_one(s, 5, t0);
  actions a;
  s.on_pdu(make(seq, generic_nack{}, command_status::invcmdlen), t0, a);
  auto const r = one<submit_result>(a);
  CHECK(r.ref == 5);
  CHECK(r.generic_nack);
  CHECK(r.status == command_status::invcmdlen);
  CHECK(s.in_flight() == 0);
}

TEST_CASE("session: the SMSC's enquire_link is answered, also before the bind completes",
          "[session]") {
  session s(test_config());
  actions a;
  s.start(t0, a);
  a.clear();
  s.on_pdu(make(9001, enquire_link{}), t0, a);
  auto const r = sent_one(a);
  CHECK(r.id() == command_id::enquire_link_resp);
  CHECK(r.sequence_number == 9001);
  CHECK(r.status == command_status::ok);
  s.on_pdu(make(1, bind_transceiver_resp{"S"}), t0, a);
  a.clear();
  s.on_pdu(make(9002, enquire_link{}), t0, a);
  CHECK(sent_one(a).sequence_number == 9002);
  CHECK(s.state() == session_state::bound_trx);
}

TEST_CASE("session: the SMSC unbinds: unbind_resp, in-flight unknown, then close", "[session]") {
  session s(test_config());
  bind_ok(s);
  auto const seq = submit_one(s, 11, t0);
  actions a;
  s.on_pdu(make(321, unbind{}), t0 + 1s, a);
  // Order matters: the unbind_resp must be written before the connection closes.
  REQUIRE_FALSE(a.empty());
  auto const r = std::get<send_pdu>(a.front()).p;
  CHECK(r.id() == command_id::unbind_resp);
  CHECK(r.sequence_number == 321);
  CHECK(collect<peer_unbound>(a).size() == 1);
  auto const u = one<submit_unknown>(a);
  CHECK(u.ref == 11);
  CHECK(u.sequence_number == seq);
  CHECK(u.reason == unknown_reason::peer_unbound);
  CHECK(std::get<close_connection>(a.back()).reason == close_reason::peer_unbound);
  CHECK(s.state() == session_state::closed);
}

TEST_CASE("session: deliver_sm / data_sm: the response only after ack_deliver", "[session]") {
  session s(test_config());
  bind_ok(s);
  actions a;
  deliver_sm receipt;
  receipt.esm_class = 0x04;
  std::string const text = "id:ABC sub:001 dlvrd:001 stat:DELIVRD err:000";
  receipt.short_message.assign(text.begin(), text.end());
  s.on_pdu(make(700, receipt), t0, a);
  auto const d = one<deliver_received>(a);
  CHECK(d.sequence_number == 700);
  CHECK(std::get<deliver_sm>(d.p.body) == receipt);
  CHECK(sent(a).empty());  // not recorded yet: no deliver_sm_resp
  CHECK(s.pending_acks() == 1);

  s.on_pdu(make(701, data_sm{}), t0, a);
  CHECK(collect<deliver_received>(a).size() == 2);
  CHECK(sent(a).empty());
  a.clear();

  // The consumer recorded the data_sm first: answers may go in any order.
  REQUIRE(s.ack_deliver(701, command_status::ok, t0 + 1s, a));
  auto const r701 = sent_one(a);
  CHECK(r701.id() == command_id::data_sm_resp);
  CHECK(r701.sequence_number == 701);
  a.clear();
  // A temporary failure asks the SMSC to redeliver.
  REQUIRE(s.ack_deliver(700, command_status::x_t_appn, t0 + 1s, a));
  auto const r700 = sent_one(a);
  CHECK(r700.id() == command_id::deliver_sm_resp);
  CHECK(r700.sequence_number == 700);
  CHECK(r700.status == command_status::x_t_appn);
  a.clear();
  CHECK_FALSE(s.ack_deliver(700, command_status::ok, t0 + 2s, a));  // already answered
  CHECK(a.empty());
  CHECK(s.pending_acks() == 0);
}

TEST_CASE("session: deliver_sm before bind_resp is tolerated, a transmitter refuses it",
          "[session]") {
  SECTION("transceiver, receipt queued at the SMSC arrives first") {
    session s(test_config());
    actions a;
    s.start(t0, a);
    a.clear();
    s.on_pdu(make(55, deliver_sm{}), t0, a);
    CHECK(one<deliver_received>(a).sequence_number == 55);
    CHECK(sent(a).empty());
    s.on_pdu(make(1, bind_transceiver_resp{"S"}), t0, a);
    a.clear();
    REQUIRE(s.ack_deliver(55, command_status::ok, t0, a));
    CHECK(sent_one(a).id() == command_id::deliver_sm_resp);
  }
  SECTION("transmitter: ESME_RINVBNDSTS in deliver_sm_resp") {
    auto cfg = test_config();
    cfg.mode = bind_mode::transmitter;
    session s(cfg);
    bind_ok(s);
    actions a;
    s.on_pdu(make(56, deliver_sm{}), t0, a);
    CHECK(collect<deliver_received>(a).empty());
    auto const r = sent_one(a);
    CHECK(r.id() == command_id::deliver_sm_resp);
    CHECK(r.sequence_number == 56);
    CHECK(r.status == command_status::invbndsts);
    CHECK(one<request_rejected>(a).answered == command_status::invbndsts);
  }
}

TEST_CASE("session: unexpected requests get generic_nack ESME_RINVCMDID", "[session]") {
  session s(test_config());
  bind_ok(s);
  pdu_body const body =
      GENERATE(pdu_body{submit_sm{}}, pdu_body{bind_transmitter{}}, pdu_body{query_sm{}},
               pdu_body{cancel_sm{}}, pdu_body{replace_sm{}});
  actions a;
  s.on_pdu(make(808, body), t0, a);
  auto const r = sent_one(a);
  CHECK(r.id() == command_id::generic_nack);
  CHECK(r.sequence_number == 808);
  CHECK(r.status == command_status::invcmdid);
  auto const rej = one<request_rejected>(a);
  CHECK(rej.sequence_number == 808);
  CHECK(rej.command_id == static_cast<std::uint32_t>(make(0, body).id()));
  CHECK(s.state() == session_state::bound_trx);  // the session stays up
}

TEST_CASE("session: alert_notification and outbind are reported, never answered", "[session]") {
  session s(test_config());
  actions a;
  s.on_pdu(make(3, outbind{"SMSC", "pw"}), t0, a);
  CHECK(std::get<outbind>(one<outbind_received>(a).p.body).system_id == "SMSC");
  CHECK(sent(a).empty());
  bind_ok(s);
  a.clear();
  alert_notification al;
  al.source_addr = "62811";
  s.on_pdu(make(4, al), t0, a);
  CHECK(std::get<alert_notification>(one<alert_received>(a).p.body).source_addr == "62811");
  CHECK(sent(a).empty());
}

TEST_CASE("session: responses to nothing, or of the wrong type, are ignored and reported",
          "[session]") {
  session s(test_config());
  bind_ok(s);
  auto const seq = submit_one(s, 1, t0);
  actions a;
  s.on_pdu(make(12345, submit_sm_resp{"x"}), t0, a);  // never sent
  s.on_pdu(make(seq, enquire_link_resp{}), t0, a);    // wrong type for that seq
  s.on_pdu(make(seq, data_sm_resp{"x"}), t0, a);
  s.on_pdu(make(0, generic_nack{}, command_status::invcmdlen), t0, a);  // seq 0: ours undecodable
  auto const ig = collect<response_ignored>(a);
  REQUIRE(ig.size() == 4);
  CHECK(ig[0].sequence_number == 12345);
  CHECK(ig[1].id == command_id::enquire_link_resp);
  CHECK(ig[3].status == command_status::invcmdlen);
  CHECK(sent(a).empty());
  CHECK(s.in_flight() == 1);  // the submit still waits for its real response
  a.clear();
  s.on_pdu(make(seq, submit_sm_resp{"ok"}), t0, a);
  CHECK(one<submit_result>(a).message_id == "ok");
}

TEST_CASE(
    "session: decode errors: generic_nack for requests, unknown outcome for our submit's response",
    "[session]") {
  session s(test_config());
  bind_ok(s);
  auto const seq = submit_one(s, 77, t0);
  actions a;
  codec_error bad_req{command_status::invsrcadr,         0x00000005, 900, "source_addr", 27,
                      "C-octet string exceeds 21 octets"};
  s.on_decode_error(bad_req, t0, a);
  auto const n = sent_one(a);
  CHECK(n.id() == command_id::generic_nack);
  CHECK(n.status == command_status::invsrcadr);
  CHECK(n.sequence_number == 900);
  CHECK(one<request_rejected>(a).detail.find("source_addr") != std::string::npos);

  a.clear();
  codec_error bad_resp{command_status::invmsgid, 0x80000004, seq, "message_id", 16, "too long"};
  s.on_decode_error(bad_resp, t0, a);
  CHECK(sent(a).empty());  // a response is never answered
  auto const u = one<submit_unknown>(a);
  CHECK(u.ref == 77);
  CHECK(u.reason == unknown_reason::undecodable_response);
  CHECK(s.in_flight() == 0);
}

TEST_CASE("session: graceful close: drain, unbind, unbind_resp, closed", "[session]") {
  session s(test_config());
  bind_ok(s);
  auto const q1 = submit_one(s, 1, t0);
  auto const q2 = submit_one(s, 2, t0);
  actions a;
  s.on_pdu(make(600, deliver_sm{}), t0, a);
  a.clear();

  // Step 1: close() while two submits and one receipt are open: drain, no unbind yet.
  s.close(t0 + 1s, a);
  CHECK(one<state_changed>(a).to == session_state::draining);
  CHECK(sent(a).empty());
  CHECK(s.next_deadline() == t0 + 21s);  // drain_timeout
  a.clear();
  CHECK(s.submit(3, otp("628"), {}, t0 + 1s, a) == submit_refusal::closing);
  CHECK_FALSE(s.can_submit());

  // Step 2: the responses and the ack come in; the last one releases the unbind.
  s.on_pdu(make(q2, submit_sm_resp{"m2"}), t0 + 2s, a);
  CHECK(sent(a).empty());
  s.on_pdu(make(q1, submit_sm_resp{"m1"}), t0 + 2s, a);
  CHECK(sent(a).empty());
  CHECK(collect<submit_result>(a).size() == 2);
  a.clear();
  REQUIRE(s.ack_deliver(600, command_status::ok, t0 + 3s, a));
  auto const out = sent(a);
  REQUIRE(out.size() == 2);
  CHECK(out[0].id() == command_id::deliver_sm_resp);
  CHECK(out[1].id() == command_id::unbind);
  CHECK(s.state() == session_state::unbinding);
  CHECK(s.next_deadline() == t0 + 8s);  // unbind_timeout

  // Step 3: unbind_resp -> closed, close the connection.
  a.clear();
  s.on_pdu(make(out[1].sequence_number, unbind_resp{}), t0 + 4s, a);
  CHECK(one<state_changed>(a).to == session_state::closed);
  CHECK(one<close_connection>(a).reason == close_reason::unbound);
  CHECK(collect<submit_unknown>(a).empty());
  CHECK_FALSE(s.next_deadline());
  a.clear();
  s.close(t0 + 5s, a);  // idempotent
  CHECK(a.empty());
}

TEST_CASE("session: graceful close bounded: drain_timeout, then unbind_timeout", "[session]") {
  session s(test_config());
  bind_ok(s);
  auto const q1 = submit_one(s, 1, t0 + 15s);  // response deadline t0+75s
  auto const q2 = submit_one(s, 2, t0 + 15s);
  actions a;
  s.close(t0 + 15s, a);  // drain deadline t0+35s
  a.clear();
  // Nothing answers. The enquire_link probe still runs while draining.
  s.on_tick(t0 + 30s, a);
  auto const probe = sent_one(a);
  CHECK(probe.id() == command_id::enquire_link);
  s.on_pdu(make(probe.sequence_number, enquire_link_resp{}), t0 + 30s, a);
  a.clear();
  s.on_tick(t0 + 35s - 1ms, a);
  CHECK(a.empty());
  s.on_tick(t0 + 35s, a);
  auto const ub = sent_one(a);
  CHECK(ub.id() == command_id::unbind);
  CHECK(s.state() == session_state::unbinding);
  // A late submit_sm_resp before the unbind_resp still counts.
  a.clear();
  s.on_pdu(make(q1, submit_sm_resp{"m1"}), t0 + 36s, a);
  CHECK(one<submit_result>(a).ref == 1);
  a.clear();
  s.on_tick(t0 + 40s - 1ms, a);
  CHECK(a.empty());
  s.on_tick(t0 + 40s, a);  // unbind_timeout: close anyway
  auto const u = one<submit_unknown>(a);
  CHECK(u.ref == 2);
  CHECK(u.sequence_number == q2);
  CHECK(u.reason == unknown_reason::session_closed);
  CHECK(one<close_connection>(a).reason == close_reason::unbind_timeout);
  CHECK(s.state() == session_state::closed);
}

TEST_CASE("session: close before the bind completes closes at once", "[session]") {
  session s(test_config());
  actions a;
  s.start(t0, a);
  a.clear();
  s.close(t0, a);
  CHECK(sent(a).empty());
  CHECK(one<close_connection>(a).reason == close_reason::closed_unbound);
  CHECK(s.state() == session_state::closed);
}

TEST_CASE("session: sequence_number wraps at 0x7FFFFFFF to 1, skipping outstanding numbers",
          "[session]") {
  auto cfg = test_config();
  cfg.window = 6;
  session s(cfg);
  bind_ok(s);                            // bind used 1 (answered)
  auto const a2 = submit_one(s, 2, t0);  // 2, left outstanding
  auto const a3 = submit_one(s, 3, t0);  // 3, left outstanding
  REQUIRE(a2 == 2);
  REQUIRE(a3 == 3);
  s.set_next_sequence_number(0x7FFFFFFE);
  CHECK(submit_one(s, 10, t0) == 0x7FFFFFFE);
  CHECK(submit_one(s, 11, t0) == 0x7FFFFFFF);
  CHECK(submit_one(s, 12, t0) == 1);  // 0 is never used; 1 is free again
  CHECK(submit_one(s, 13, t0) == 4);  // 2 and 3 still await responses: skipped
  // Bad values are ignored rather than producing 0 or > 0x7FFFFFFF.
  s.set_next_sequence_number(0);
  s.set_next_sequence_number(0x80000000);
  actions a;
  s.on_pdu(make(2, submit_sm_resp{"m"}), t0, a);
  CHECK(submit_one(s, 14, t0) == 5);
}

TEST_CASE("session: ack_deliver without a time uses the latest time seen", "[session]") {
  session s(test_config());
  bind_ok(s);
  actions a;
  s.on_pdu(make(600, deliver_sm{}), t0 + 7s, a);
  s.close(t0 + 9s, a);  // draining: waits for the ack
  a.clear();
  REQUIRE(s.ack_deliver(600, command_status::ok, a));
  auto const out = sent(a);
  REQUIRE(out.size() == 2);
  CHECK(out[1].id() == command_id::unbind);
  CHECK(s.next_deadline() == t0 + 9s + 5s);  // unbind_timeout from the close() time
}

// At the edge with the codec: every PDU the session emits in a full life cycle encodes,
// and decodes back to the same PDU; decoded SMSC PDUs drive it the same way.
TEST_CASE("session: every emitted PDU survives smpp::encode / smpp::decode", "[session][codec]") {
  session s(test_config());
  actions a;
  std::vector<pdu> emitted;
  auto drain = [&] {
    for (auto const& p : sent(a)) emitted.push_back(p);
    a.clear();
  };
  auto wire = [](pdu const& p) {
    std::vector<std::uint8_t> bytes;
    REQUIRE_FALSE(encode(p, bytes).has_value());
    auto decoded = decode(bytes);
    REQUIRE(decoded.has_value());
    return *decoded;
  };
  s.start(t0, a);
  drain();
  s.on_pdu(wire(make(1, bind_transceiver_resp{"SMSC1"})), t0, a);
  a.clear();
  REQUIRE(s.submit(1, otp("6281234567"), {tlv{tag::user_message_reference, {0, 1}}}, t0, a) ==
          submit_refusal::none);
  auto const seq = sent_one(a).sequence_number;
  drain();
  s.on_pdu(wire(make(seq, submit_sm_resp{"0A1B2C"})), t0, a);
  CHECK(one<submit_result>(a).message_id == "0A1B2C");
  a.clear();
  s.on_pdu(wire(make(70, enquire_link{})), t0, a);
  s.on_pdu(wire(make(71, deliver_sm{})), t0, a);
  s.on_pdu(wire(make(72, data_sm{})), t0, a);
  s.on_pdu(wire(make(73, query_sm{})), t0, a);
  drain();
  REQUIRE(s.ack_deliver(71, command_status::ok, t0, a));
  REQUIRE(s.ack_deliver(72, command_status::x_t_appn, t0, a));
  drain();
  s.on_tick(t0 + 31s, a);  // enquire_link
  drain();
  s.close(t0 + 32s, a);  // unbind
  drain();
  REQUIRE(emitted.size() == 8);
  for (auto const& p : emitted) {
    INFO(command_name(p.id()));
    CHECK(wire(p) == p);
  }
}

// Fault-loop style property: random interleavings of submits, responses (in any order, some
// throttled, some errors, some generic_nack, some undecodable), stray responses, receipts,
// acks, time jumps past every timer, SMSC unbinds, our close(), disconnects and restarts.
// Whatever happens, every submitted ref is handed back exactly once, with the ref that went
// out under that sequence_number, the window is never exceeded and never leaks, and every
// request we send carries a sequence_number in 1..0x7FFFFFFF not already outstanding.
TEST_CASE("session: random event sequences never lose, duplicate or leak a submit",
          "[session][property]") {
  auto const seed = GENERATE(range(1u, 41u));
  CAPTURE(seed);
  std::mt19937 rng(seed);
  auto pick = [&rng](std::uint32_t n) {
    return std::uniform_int_distribution<std::uint32_t>(0, n - 1)(rng);
  };
  auto cfg = test_config();
  cfg.window = 1 + pick(6);
  session s(cfg);
  s.set_next_sequence_number(0x7FFFFFFF - pick(20));  // wrap inside the run
  steady_time now = t0;
  std::map<std::uint32_t, submit_ref> in_flight;  // our view: seq -> ref
  std::map<submit_ref, int> handed_back;
  std::set<std::uint32_t> pending_delivers;
  std::map<std::uint32_t, command_id> our_requests;  // seq -> request id still unanswered
  submit_ref next_ref = 1;
  std::uint32_t smsc_seq = 1;
  actions a;

  auto absorb = [&] {
    for (auto& x : a) {
      if (auto* sp = std::get_if<send_pdu>(&x)) {
        auto const& p = sp->p;
        if (is_response(p.id())) continue;
        REQUIRE(p.sequence_number >= 1);
        REQUIRE(p.sequence_number <= 0x7FFFFFFFu);
        REQUIRE(our_requests.count(p.sequence_number) == 0);
        our_requests[p.sequence_number] = p.id();
      }
      auto resolve = [&](submit_ref ref, std::uint32_t seq) {
        REQUIRE(in_flight.count(seq) == 1);
        REQUIRE(in_flight[seq] == ref);
        in_flight.erase(seq);
        our_requests.erase(seq);
        ++handed_back[ref];
        REQUIRE(handed_back[ref] == 1);
      };
      if (auto* r = std::get_if<submit_result>(&x)) resolve(r->ref, r->sequence_number);
      if (auto* r = std::get_if<submit_throttled>(&x)) resolve(r->ref, r->sequence_number);
      if (auto* r = std::get_if<submit_unknown>(&x)) resolve(r->ref, r->sequence_number);
      if (std::holds_alternative<state_changed>(x) &&
          std::get<state_changed>(x).to == session_state::closed) {
        our_requests.clear();  // nothing of ours is awaited any more
        pending_delivers.clear();
      }
    }
    a.clear();
    REQUIRE(s.in_flight() == in_flight.size());
    REQUIRE(s.in_flight() <= cfg.window);
    REQUIRE(s.pending_acks() == pending_delivers.size());
  };
  auto answer = [&](std::uint32_t seq, pdu_body body, command_status st) {
    s.on_pdu(make(seq, std::move(body), st), now, a);
  };

  s.start(now, a);
  absorb();
  for (int step = 0; step < 1500; ++step) {
    switch (pick(16)) {
      case 0:
      case 1:
      case 2:
      case 3: {  // submit as fast as the window allows
        a.clear();
        submit_ref const ref = next_ref;
        if (s.submit(ref, otp("62811"), {}, now, a) == submit_refusal::none) {
          ++next_ref;
          in_flight[std::get<send_pdu>(a.back()).p.sequence_number] = ref;
        }
        absorb();
        break;
      }
      case 4:
      case 5:
      case 6: {  // the SMSC answers one of our requests, any order
        if (our_requests.empty()) break;
        auto it =
            std::next(our_requests.begin(),
                      static_cast<long>(pick(static_cast<std::uint32_t>(our_requests.size()))));
        auto const [seq, id] = *it;
        static constexpr command_status statuses[] = {
            command_status::ok,        command_status::ok,      command_status::ok,
            command_status::throttled, command_status::msgqful, command_status::invdstadr,
            command_status::syserr};
        auto const st = statuses[pick(7)];
        if (id == command_id::submit_sm) {
          if (pick(10) == 0)
            answer(seq, generic_nack{}, command_status::invcmdlen);
          else if (pick(10) == 0)
            s.on_decode_error(codec_error{command_status::invcmdlen, 0x80000004, seq, "", 0, "x"},
                              now, a);
          else
            answer(seq, submit_sm_resp{st == command_status::ok ? "M" : ""}, st);
        } else if (id == command_id::bind_transceiver) {
          answer(seq, bind_transceiver_resp{"S"},
                 pick(5) == 0 ? command_status::bindfail : command_status::ok);
        } else if (id == command_id::enquire_link) {
          answer(seq, enquire_link_resp{}, command_status::ok);
        } else if (id == command_id::unbind) {
          answer(seq, unbind_resp{}, command_status::ok);
        }
        our_requests.erase(seq);
        absorb();
        break;
      }
      case 7:  // stray or duplicate response
        answer(1 + pick(0x7FFFFFFF), submit_sm_resp{"X"}, command_status::ok);
        absorb();
        break;
      case 8: {  // a receipt arrives
        std::uint32_t const q = smsc_seq++;
        s.on_pdu(make(q, deliver_sm{}), now, a);
        if (!collect<deliver_received>(a).empty()) pending_delivers.insert(q);
        absorb();
        break;
      }
      case 9:  // the consumer acks one
        if (!pending_delivers.empty()) {
          auto const q = *pending_delivers.begin();
          REQUIRE(s.ack_deliver(q, command_status::ok, now, a));
          pending_delivers.erase(q);
        }
        absorb();
        break;
      case 10:
      case 11:  // time passes, now and then past every timer
        now += std::chrono::milliseconds(pick(4) == 0 ? pick(90000) : pick(3000));
        s.on_tick(now, a);
        absorb();
        break;
      case 12:
        s.on_pdu(make(smsc_seq++, enquire_link{}), now, a);
        absorb();
        break;
      case 13:  // rare: the SMSC unbinds, or we close
        if (pick(6) != 0) break;
        if (pick(3) == 0)
          s.on_pdu(make(smsc_seq++, unbind{}), now, a);
        else
          s.close(now, a);
        absorb();
        break;
      case 14:  // rare: the connection drops
        if (pick(8) == 0) s.on_disconnect(now, a);
        absorb();
        break;
      case 15:
        if (s.state() == session_state::closed) s.start(now, a);
        absorb();
        break;
    }
    if (s.state() == session_state::closed) REQUIRE(in_flight.empty());
    if (auto d = s.next_deadline()) REQUIRE(s.state() != session_state::closed);
  }
  s.on_disconnect(now, a);
  absorb();
  REQUIRE(in_flight.empty());
  REQUIRE(s.in_flight() == 0);
  for (submit_ref r = 1; r < next_ref; ++r) REQUIRE(handed_back[r] == 1);
  CHECK(next_ref > 50);  // the run did exercise the window
}
