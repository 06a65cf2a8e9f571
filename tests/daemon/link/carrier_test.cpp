// tests/daemon/link/carrier_test.cpp: a carrier = several binds sharing one token bucket, against
// the simulator on 127.0.0.1: refused binds (credential errors retried slowly, others with
// backoff), throttling (retried, never failed, carrier slowed), the connection limit per
// account under constant reconnects, TX+RX pairs, and priority order kept across put_back.
#include <catch2/catch.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>

#include "tests/daemon/link/link_fixture.hpp"

using namespace smsgw;
using namespace smsgw::test;

TEST_CASE("priority_source hands out (priority, ref) order and put_back restores a place",
          "[carrier]") {
  boost::asio::io_context io(1);
  priority_source source(io.get_executor());
  for (std::uint64_t ref = 1; ref <= 4; ++ref) source.push(make_message(ref, 5));  // bulk
  source.push(make_message(10, 0));                                                  // OTP
  std::vector<std::uint64_t> order;
  auto take = [&](std::size_t n) {
    std::vector<outbound_message> got;
    boost::asio::co_spawn(io, source.take(n), [&](std::exception_ptr, std::vector<outbound_message> v) {
      got = std::move(v);
    });
    io.restart();
    io.run();
    return got;
  };
  auto first = take(2);
  REQUIRE(first.size() == 2);
  CHECK(first[0].ref == 10);
  CHECK(first[1].ref == 1);
  // The OTP was throttled: back it goes, and it comes out before every bulk message.
  source.put_back(std::move(first[0]));
  source.put_back(std::move(first[1]));
  auto again = take(10);
  REQUIRE(again.size() == 5);
  for (auto const& m : again) order.push_back(m.ref);
  CHECK(order == std::vector<std::uint64_t>{10, 1, 2, 3, 4});
}

TEST_CASE("a link that goes away while its batch waits for tokens gives the batch back",
          "[carrier]") {
  // Regression: the check after the token wait was `co_await cancelled()`, a coroutine; with
  // asio's default throw_if_cancelled, co_awaiting it after a cancellation THROWS, so the
  // batch taken from the source was destroyed with the exception: a claimed OTP stayed
  // in_flight until the next restart (seen in e2e/carrier_down when a connection died).
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  for (std::uint64_t ref = 1; ref <= 3; ++ref) source.push(make_message(ref));
  auto cfg = carrier_config_for(1);  // never started: next() is called as a link would
  cfg.throttle.rate = 1;             // one token, then one per second
  cfg.throttle.burst = 1;
  cfg.throttle.min_rate = 1;
  carrier c(io.get_executor(), cfg, events, source);

  // next(1) as a link calls it; `cancel` (if given) is bound to it as the link's slot.
  struct outcome {
    std::optional<std::vector<outbound_message>> got;
    std::exception_ptr failed;
  };
  auto start_next = [&](boost::asio::cancellation_signal* cancel) {
    auto o = std::make_shared<outcome>();
    auto done = [o](std::exception_ptr e, std::vector<outbound_message> v) {
      o->failed = e;
      o->got = std::move(v);
    };
    if (cancel != nullptr) {
      boost::asio::co_spawn(io, c.next(1), boost::asio::bind_cancellation_slot(cancel->slot(), done));
    } else {
      boost::asio::co_spawn(io, c.next(1), done);
    }
    return o;
  };
  auto finish = [&](std::shared_ptr<outcome> const& o) {
    run_until(io, [&] { return o->got.has_value(); }, std::chrono::seconds(10));
    return o;
  };
  // The first message pays the bucket's only token.
  auto first = finish(start_next(nullptr));
  REQUIRE(first->got.has_value());
  REQUIRE(first->got->size() == 1);
  CHECK((*first->got)[0].ref == 1);
  CHECK(source.size() == 2);

  // The second waits for a token; its link goes away meanwhile (cancellation).
  boost::asio::cancellation_signal cancel;
  auto second = start_next(&cancel);
  run_until(io, [&] { return source.size() == 1; }, std::chrono::seconds(10));  // taken
  REQUIRE(source.size() == 1);
  cancel.emit(boost::asio::cancellation_type::terminal);
  finish(second);
  REQUIRE(second->got.has_value());
  CHECK(second->got->empty());
  // Nothing lost: message 2 is back in its place, before 3.
  CHECK(source.size() == 2);
  CHECK(c.stats().given_back == 1);
  auto third = finish(start_next(nullptr));
  REQUIRE(third->got.has_value());
  REQUIRE(third->got->size() == 1);
  CHECK((*third->got)[0].ref == 2);
}

namespace {
/// A source whose before_send() (the durable sending mark, an fsync in the daemon) waits
/// until the test lets it go, and counts the batches waiting there.
class slow_mark_source final : public message_source {
 public:
  explicit slow_mark_source(boost::asio::any_io_executor ex) : inner_(ex), go_(ex) {}
  priority_source& inner() { return inner_; }
  boost::asio::awaitable<std::vector<outbound_message>> take(std::size_t max) override {
    co_return co_await inner_.take(max);
  }
  void put_back(outbound_message msg) override { inner_.put_back(std::move(msg)); }
  boost::asio::awaitable<void> before_send(std::vector<outbound_message>& batch) override {
    ++marking;
    co_await go_.wait();
    --marking;
    for (auto& m : batch) m.sending_marked = true;
  }
  void let_go() { go_.notify(); }
  int marking = 0;

 private:
  priority_source inner_;
  wake_signal go_;
};
}  // namespace

TEST_CASE("a bind takes its next batch while another bind's sending mark waits for the disk",
          "[carrier]") {
  // Before: the carrier's gate was held across before_send, so under a flood each bind
  // queued behind the other's fsync: one claim + one mark at a time per carrier.
  boost::asio::io_context io(1);
  recording_events events;
  slow_mark_source source(io.get_executor());
  for (std::uint64_t ref = 1; ref <= 4; ++ref) source.inner().push(make_message(ref));
  auto cfg = carrier_config_for(1);  // never started: next() is called as two links would
  cfg.throttle.rate = 1000;
  cfg.throttle.burst = 100;
  carrier c(io.get_executor(), cfg, events, source);
  std::vector<std::optional<std::vector<outbound_message>>> got(2);
  for (std::size_t i = 0; i < 2; ++i) {
    boost::asio::co_spawn(io, c.next(2), [&got, i](std::exception_ptr, std::vector<outbound_message> v) {
      got[i] = std::move(v);
    });
  }
  // Both batches are taken (in order) and wait for their marks at the same time.
  CHECK(run_until(io, [&] { return source.marking == 2; }, std::chrono::seconds(10)));
  CHECK(source.inner().empty());
  CHECK(!got[0].has_value());
  CHECK(!got[1].has_value());
  source.let_go();
  CHECK(run_until(io, [&] { return got[0].has_value() && got[1].has_value(); }, std::chrono::seconds(10)));
  REQUIRE(got[0]->size() == 2);
  REQUIRE(got[1]->size() == 2);
  CHECK((*got[0])[0].ref == 1);
  CHECK((*got[0])[1].ref == 2);
  CHECK((*got[1])[0].ref == 3);
  CHECK((*got[1])[1].ref == 4);
  CHECK(c.stats().given_back == 0);
}

TEST_CASE("a credential refusal is retried slowly, other refusals with fast backoff",
          "[carrier]") {
  auto scfg = sim_config_for_tests();
  scfg.initial_faults.refuse_binds = smpp::command_status::invpaswd;
  sim::simulator_thread smsc(scfg);
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  source.push(make_message(1));
  auto cfg = carrier_config_for(smsc.port());
  cfg.reconnect.credential_delay = 600ms;  // draws in [300, 600] ms
  carrier c(io.get_executor(), cfg, events, source);
  REQUIRE_FALSE(c.start());

  SECTION("invalid password") {
    REQUIRE(run_until(io, [&] { return smsc.sim().counters().binds_refused == 1; }));
    run_for(io, 150ms);  // fast backoff (20 ms) would have retried several times by now
    CHECK(smsc.sim().counters().binds_refused == 1);
    REQUIRE(run_until(io, [&] { return smsc.sim().counters().binds_refused == 2; }));
  }
  SECTION("bind failed (not a credential problem)") {
    sim::faults f;
    f.refuse_binds = smpp::command_status::bindfail;
    smsc.sim().set_faults(f);
    REQUIRE(run_until(io, [&] { return smsc.sim().counters().binds_refused >= 5; }, 5s));
  }
  // Nothing was sent while refused; once the SMSC accepts, the message goes.
  CHECK(events.results.empty());
  CHECK(source.size() == 1);
  smsc.sim().set_faults({});
  REQUIRE(run_until(io, [&] { return events.ok_results() == 1; }));
  CHECK(c.links().front()->stats().bind_failures >= 1);
  REQUIRE(stop_carrier(io, c));
}

TEST_CASE("throttled submits are retried, never failed, and the whole carrier slows down",
          "[carrier]") {
  auto scfg = sim_config_for_tests();
  scfg.initial_faults.throttle_every = 4;
  sim::simulator_thread smsc(scfg);
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  for (std::uint64_t ref = 1; ref <= 40; ++ref) source.push(make_message(ref));
  auto cfg = carrier_config_for(smsc.port());
  cfg.binds = 2;
  cfg.throttle.rate = 2000;
  cfg.throttle.burst = 20;
  cfg.throttle.min_rate = 50;
  carrier c(io.get_executor(), cfg, events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] { return events.ok_results() == 40; }));
  for (auto const& [ref, n] : events.accounted()) CHECK(n == 1);
  for (auto const& r : events.results) CHECK(r.status == smpp::command_status::ok);
  CHECK(events.unknown.empty());
  CHECK(smsc.sim().counters().submits_throttled >= 10);
  CHECK(c.stats().throttled == smsc.sim().counters().submits_throttled);
  CHECK(c.stats().rate_cuts >= 1);
  CHECK(c.current_rate() < 2000);
  REQUIRE(stop_carrier(io, c));
}

TEST_CASE("a carrier never holds more binds than configured, even under constant reconnects",
          "[carrier]") {
  auto scfg = sim_config_for_tests();
  scfg.max_binds_per_account = 3;  // a fourth concurrent bind would be refused ESME_RALYBND
  scfg.initial_faults.close_after_submits = 4;
  sim::simulator_thread smsc(scfg);
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  for (std::uint64_t ref = 1; ref <= 90; ++ref) source.push(make_message(ref));
  auto cfg = carrier_config_for(smsc.port());
  cfg.binds = 3;
  cfg.reconnect.initial = 1ms;
  cfg.reconnect.min_delay = 1ms;
  carrier c(io.get_executor(), cfg, events, source);
  REQUIRE_FALSE(c.start());
  std::uint64_t max_open = 0;
  REQUIRE(run_until(io, [&] {
    auto const k = smsc.sim().counters();
    max_open = std::max(max_open, k.connections_accepted - k.connections_closed);
    return events.accounted().size() == 90;
  }));
  auto const k = smsc.sim().counters();
  CHECK(k.connections_accepted > 3);  // the fault really forced reconnects
  CHECK(k.binds_refused == 0);
  CHECK(smsc.sim().max_concurrent_binds("smsgw") <= 3);
  CHECK(max_open <= 3);
  for (auto const& [ref, n] : events.accounted()) CHECK(n == 1);
  // Calm again: all three bind, and a graceful stop unbinds each of them.
  smsc.sim().set_faults({});
  REQUIRE(run_until(io, [&] { return c.bound_links() == 3; }));
  auto const unbinds_before = smsc.sim().counters().unbinds_received;
  REQUIRE(stop_carrier(io, c));
  CHECK(smsc.sim().counters().unbinds_received == unbinds_before + 3);
  CHECK(smsc.sim().max_concurrent_binds("smsgw") <= 3);
}

TEST_CASE("transmitter+receiver pairs: submits on TX, receipts on RX", "[carrier]") {
  auto scfg = sim_config_for_tests();
  scfg.max_binds_per_account = 4;
  sim::simulator_thread smsc(scfg);
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  for (std::uint64_t ref = 1; ref <= 20; ++ref) source.push(make_message(ref));
  auto cfg = carrier_config_for(smsc.port());
  cfg.mode = bind_layout::transmitter_receiver;
  cfg.binds = 2;
  carrier c(io.get_executor(), cfg, events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(c.links().size() == 4);
  REQUIRE(run_until(io, [&] {
    return events.ok_results() == 20 && events.delivers.size() == 20;
  }));
  for (auto const& r : events.results) CHECK(r.bind.ends_with("-tx"));
  for (auto const& d : events.delivers) CHECK(d.bind.ends_with("-rx"));
  CHECK(smsc.sim().max_concurrent_binds("smsgw") == 4);
  REQUIRE(stop_carrier(io, c));
  CHECK(smsc.sim().counters().unbinds_received == 4);
}

TEST_CASE("an invalid carrier config or missing TLS file is refused at start", "[carrier]") {
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  auto cfg = carrier_config_for(2775);
  cfg.password = "much-too-long";
  carrier bad(io.get_executor(), cfg, events, source);
  auto why = bad.start();
  REQUIRE(why);
  CHECK(why->find("password") != std::string::npos);
  CHECK(why->find("much-too-long") == std::string::npos);  // never echoed

  auto tls = carrier_config_for(2775);
  tls.tls.enabled = true;
  tls.tls.ca_file = "/nonexistent/ca.pem";
  carrier no_ca(io.get_executor(), tls, events, source);
  auto why_tls = no_ca.start();
  REQUIRE(why_tls);
  CHECK(why_tls->find("/nonexistent/ca.pem") != std::string::npos);
}
