// tests/daemon/link/smsc_link_test.cpp: one link (a one-bind carrier) against the carrier simulator
// over real sockets on 127.0.0.1: bind, submit, receipts with deferred deliver_sm_resp,
// enquire_link, a stalled peer, a peer dropping mid-window, a malformed stream, graceful close.
// Every wait is a hang guard, never a timing assertion.
#include <catch2/catch.hpp>

#include "tests/daemon/link/link_fixture.hpp"

using namespace smsgw;
using namespace smsgw::test;

namespace {

std::map<std::string, std::string> sim_ids_by_destination(sim::simulator& s) {
  std::map<std::string, std::string> ids;
  for (auto const& r : s.submits()) ids[r.sm.destination_addr] = r.message_id;
  return ids;
}

}  // namespace

TEST_CASE("a transceiver link binds, submits, gets receipts, and unbinds on stop", "[link]") {
  sim::simulator_thread smsc(sim_config_for_tests());
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  for (std::uint64_t ref = 1; ref <= 25; ++ref) source.push(make_message(ref));

  carrier c(io.get_executor(), carrier_config_for(smsc.port()), events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] {
    return events.results.size() == 25 && events.delivers.size() == 25 &&
           smsc.sim().counters().receipts_acked == 25;
  }));

  // Every submit accepted under the id the SMSC gave it (matched by destination).
  auto const ids = sim_ids_by_destination(smsc.sim());
  std::set<std::string> our_ids;
  for (auto const& r : events.results) {
    CHECK(r.status == smpp::command_status::ok);
    CHECK(r.bind == "sim-1");
    CHECK(ids.at(make_message(r.ref).submit.destination_addr) == r.message_id);
    our_ids.insert(r.message_id);
  }
  CHECK(our_ids.size() == 25);
  // Every receipt refers to one of our messages.
  for (auto const& d : events.delivers) {
    REQUIRE(d.p.id() == smpp::command_id::deliver_sm);
    CHECK((std::get<smpp::deliver_sm>(d.p.body).esm_class & 0x3C) == 0x04);
    CHECK(our_ids.count(receipted_id(d.p)) == 1);
  }
  CHECK(events.unknown.empty());
  CHECK(c.links().front()->stats().connects == 1);

  REQUIRE(stop_carrier(io, c));
  CHECK(smsc.sim().counters().unbinds_received == 1);
  CHECK(events.count_state(link_state::bound) == 1);
  CHECK(events.count_state(link_state::closing) == 1);
  CHECK(events.states.back().second == link_state::stopped);
}

TEST_CASE("deliver_sm_resp is sent only when the consumer acks, and RX_T_APPN asks again",
          "[link]") {
  sim::simulator_thread smsc(sim_config_for_tests());
  boost::asio::io_context io(1);
  recording_events events;
  events.hold_acks = true;
  priority_source source(io.get_executor());
  for (std::uint64_t ref = 1; ref <= 3; ++ref) source.push(make_message(ref));

  carrier c(io.get_executor(), carrier_config_for(smsc.port()), events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] { return events.held.size() == 3; }));
  run_for(io, 100ms);  // a response sent too early would reach the SMSC meanwhile
  CHECK(smsc.sim().counters().receipts_acked == 0);
  CHECK(smsc.sim().counters().receipts_sent == 3);

  // Not durably recorded: ask for redelivery. The SMSC sends the same receipt again.
  auto first_id = receipted_id(events.delivers.front().p);
  events.held.front()(smpp::command_status::x_t_appn);
  REQUIRE(run_until(io, [&] { return events.held.size() == 4; }));
  CHECK(smsc.sim().counters().receipts_retry_requested == 1);
  CHECK(receipted_id(events.delivers.back().p) == first_id);

  for (std::size_t i = 1; i < events.held.size(); ++i) events.held[i]();
  REQUIRE(run_until(io, [&] { return smsc.sim().counters().receipts_acked == 3; }));
  REQUIRE(stop_carrier(io, c));
}

TEST_CASE("graceful close waits for receipts still being recorded before unbinding", "[link]") {
  sim::simulator_thread smsc(sim_config_for_tests());
  boost::asio::io_context io(1);
  recording_events events;
  events.hold_acks = true;
  priority_source source(io.get_executor());
  source.push(make_message(1));
  carrier c(io.get_executor(), carrier_config_for(smsc.port()), events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] { return events.held.size() == 1; }));

  bool stopped = false;
  boost::asio::co_spawn(io, c.stop(), [&](std::exception_ptr) { stopped = true; });
  run_for(io, 50ms);
  CHECK_FALSE(stopped);  // draining: the receipt is not answered yet
  CHECK(smsc.sim().counters().unbinds_received == 0);
  events.held.front()();
  REQUIRE(run_until(io, [&] { return stopped; }));
  CHECK(smsc.sim().counters().receipts_acked == 1);
  CHECK(smsc.sim().counters().unbinds_received == 1);
}

TEST_CASE("enquire_link keeps an idle bind alive", "[link]") {
  sim::simulator_thread smsc(sim_config_for_tests());
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  auto cfg = carrier_config_for(smsc.port());
  cfg.timeouts.enquire_link_interval = 30ms;
  cfg.timeouts.enquire_link_response = 5s;
  carrier c(io.get_executor(), cfg, events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] { return smsc.sim().counters().enquire_links_received >= 3; }));
  CHECK(c.bound_links() == 1);
  CHECK(smsc.sim().counters().connections_accepted == 1);
  // The SMSC's own enquire_link is answered too.
  smsc.sim().enquire_link_all();
  REQUIRE(run_until(io, [&] { return smsc.sim().counters().enquire_link_resps_received >= 1; }));
  REQUIRE(stop_carrier(io, c));
}

TEST_CASE("a stalled peer is declared dead: in-flight outcome unknown, then a new bind",
          "[link]") {
  sim::simulator_thread smsc(sim_config_for_tests());
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  auto cfg = carrier_config_for(smsc.port());
  cfg.timeouts.enquire_link_interval = 50ms;
  cfg.timeouts.enquire_link_response = 100ms;
  cfg.timeouts.bind_response = 300ms;
  carrier c(io.get_executor(), cfg, events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] { return c.bound_links() == 1; }));

  sim::faults stall;
  stall.stall = true;
  smsc.sim().set_faults(stall);
  for (std::uint64_t ref = 1; ref <= 5; ++ref) source.push(make_message(ref));
  REQUIRE(run_until(io, [&] {
    return events.unknown.size() == 5 && events.count_state(link_state::disconnected) >= 1;
  }));
  for (auto const& u : events.unknown) CHECK(u.second == "peer_dead");
  CHECK(events.results.empty());

  smsc.sim().set_faults({});
  REQUIRE(run_until(io, [&] { return c.bound_links() == 1 && smsc.sim().counters().binds_ok >= 2; }));
  CHECK(smsc.sim().counters().connections_accepted >= 2);
  REQUIRE(stop_carrier(io, c));
}

TEST_CASE("a peer dropping mid-window: each in-flight message is reported unknown, none lost",
          "[link]") {
  auto scfg = sim_config_for_tests();
  scfg.initial_faults.close_after_submits = 5;
  scfg.initial_faults.close_max_times = 1;
  sim::simulator_thread smsc(scfg);
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  for (std::uint64_t ref = 1; ref <= 10; ++ref) source.push(make_message(ref));
  carrier c(io.get_executor(), carrier_config_for(smsc.port()), events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] { return events.accounted().size() == 10 && c.bound_links() == 1 &&
                                     smsc.sim().counters().binds_ok == 2; }));
  auto const seen = events.accounted();
  for (auto const& [ref, n] : seen) CHECK(n == 1);  // exactly one outcome per message
  CHECK(events.unknown.size() >= 1);
  for (auto const& u : events.unknown) CHECK(u.second == "disconnected");
  // Only the first four can have been accepted: the fifth killed the connection.
  CHECK(events.ok_results() <= 4);
  CHECK(source.empty());
  REQUIRE(stop_carrier(io, c));
}

TEST_CASE("a giant command_length from the peer drops the connection and the link recovers",
          "[link]") {
  auto scfg = sim_config_for_tests();
  scfg.initial_faults.malformed = sim::malformed_kind::giant_length;
  scfg.initial_faults.malformed_after_submits = 2;
  sim::simulator_thread smsc(scfg);
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  for (std::uint64_t ref = 1; ref <= 2; ++ref) source.push(make_message(ref));
  carrier c(io.get_executor(), carrier_config_for(smsc.port()), events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] { return smsc.sim().counters().connections_accepted >= 2; }));
  smsc.sim().set_faults({});
  REQUIRE(run_until(io, [&] { return c.bound_links() == 1 && events.accounted().size() == 2; }));
  for (auto const& [ref, n] : events.accounted()) CHECK(n == 1);
  REQUIRE(stop_carrier(io, c));
}

TEST_CASE("an unknown command from the peer gets generic_nack and the bind stays up", "[link]") {
  auto scfg = sim_config_for_tests();
  scfg.initial_faults.malformed = sim::malformed_kind::unknown_command_id;
  sim::simulator_thread smsc(scfg);
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  carrier c(io.get_executor(), carrier_config_for(smsc.port()), events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] { return smsc.sim().counters().generic_nacks_received == 1; }));
  source.push(make_message(1));
  REQUIRE(run_until(io, [&] { return events.ok_results() == 1; }));
  CHECK(smsc.sim().counters().connections_accepted == 1);
  REQUIRE(stop_carrier(io, c));
}

TEST_CASE("a response that never comes: outcome unknown, window slot freed", "[link]") {
  sim::simulator_thread smsc(sim_config_for_tests());
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  auto cfg = carrier_config_for(smsc.port());
  cfg.window = 1;
  cfg.timeouts.response = 100ms;
  cfg.timeouts.enquire_link_interval = 60s;  // only the response timer may fire
  carrier c(io.get_executor(), cfg, events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] { return c.bound_links() == 1; }));
  sim::faults stall;
  stall.stall = true;
  smsc.sim().set_faults(stall);
  source.push(make_message(1));
  REQUIRE(run_until(io, [&] { return events.unknown.size() == 1; }));
  CHECK(events.unknown.front().second == "response_timeout");
  smsc.sim().set_faults({});
  source.push(make_message(2));  // the single slot is free again
  REQUIRE(run_until(io, [&] { return events.ok_results() == 1; }));
  CHECK(events.results.front().ref == 2);
  REQUIRE(stop_carrier(io, c));
}

TEST_CASE("the SMSC unbinding is answered and the link binds again", "[link]") {
  sim::simulator_thread smsc(sim_config_for_tests());
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  carrier c(io.get_executor(), carrier_config_for(smsc.port()), events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] { return c.bound_links() == 1; }));
  smsc.sim().unbind_all();
  REQUIRE(run_until(io, [&] { return smsc.sim().counters().binds_ok == 2 && c.bound_links() == 1; }));
  CHECK(smsc.sim().counters().unbinds_sent == 1);
  REQUIRE(stop_carrier(io, c));
}

TEST_CASE("the connection dies at every point of a window: each message ends sent once or unknown",
          "[link][fault]") {
  // Failure point: the simulator closes the connection when the Nth submit_sm arrives.
  auto const fail_at = GENERATE(range(1u, 9u));
  auto scfg = sim_config_for_tests();
  scfg.initial_faults.close_after_submits = fail_at;
  scfg.initial_faults.close_max_times = 1;
  sim::simulator_thread smsc(scfg);
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  for (std::uint64_t ref = 1; ref <= 8; ++ref) source.push(make_message(ref));
  auto cfg = carrier_config_for(smsc.port());
  cfg.window = 4;
  carrier c(io.get_executor(), cfg, events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] { return events.accounted().size() == 8; }));
  for (auto const& [ref, n] : events.accounted()) CHECK(n == 1);
  // Accepted by us <=> answered by the SMSC: nothing accepted twice, nothing invented.
  std::set<std::string> sim_ids;
  for (auto const& r : smsc.sim().submits())
    if (r.answered && r.status == smpp::command_status::ok) sim_ids.insert(r.message_id);
  for (auto const& r : events.results) CHECK(sim_ids.count(r.message_id) == 1);
  CHECK(events.ok_results() + events.unknown.size() == 8);
  // The SMSC may have answered more than we saw: a close with unread input is a RST, which
  // discards responses still in our receive buffer. Those are "unknown", never "accepted".
  CHECK(events.ok_results() <= sim_ids.size());
  CHECK(events.unknown.size() >= 1);
  REQUIRE(stop_carrier(io, c));
}
