// tests/daemon/link/link_fixture.hpp: shared pieces of the link/carrier tests: a consumer that
// records every callback (and can hold receipt acks back), a carrier config aimed at a
// simulator on 127.0.0.1 with short timers, message builders, and run_until(), which runs the
// test's io_context until a condition holds or a generous hang guard passes.
// Assumption: the simulator runs on its own thread (sim::simulator_thread); the carrier runs
// on the test thread's io_context, so the recorder needs no locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "daemon/link/carrier.hpp"
#include "tools/memory-source/priority_source.hpp"
#include "daemon/link/smpp_events.hpp"
#include "smpp/tlv.hpp"
#include "tools/smsc-sim/simulator.hpp"

namespace smsgw::test {

using namespace std::chrono_literals;

struct recorded_result {
  std::uint64_t ref;
  std::string message_id;
  smpp::command_status status;
  std::string bind;
};

struct recorded_deliver {
  smpp::pdu p;
  std::string bind;
};

/// A consumer that records everything. Receipts are acked at once with `ack_status` unless
/// `hold_acks`, in which case the ack handles pile up in `held` for the test to answer.
class recording_events final : public smpp_events {
 public:
  std::vector<recorded_result> results;
  std::vector<std::pair<std::uint64_t, std::string>> unknown;
  std::vector<recorded_deliver> delivers;
  std::vector<deliver_ack> held;
  std::vector<std::pair<std::string, link_state>> states;
  bool hold_acks = false;
  smpp::command_status ack_status = smpp::command_status::ok;

  void on_submit_result(link_identity const& link, std::uint64_t ref, std::string_view message_id,
                        smpp::command_status status) override {
    results.push_back({ref, std::string(message_id), status, link.bind});
  }
  void on_outcome_unknown(link_identity const&, std::uint64_t ref, std::string_view why) override {
    unknown.emplace_back(ref, std::string(why));
  }
  void on_deliver(link_identity const& link, smpp::pdu const& p, deliver_ack ack) override {
    delivers.push_back({p, link.bind});
    if (hold_acks) {
      held.push_back(std::move(ack));
    } else {
      ack(ack_status);
    }
  }
  void on_link_state(link_identity const& link, link_state state, std::string_view) override {
    states.emplace_back(link.bind, state);
  }

  /// Refs that got any final answer or an unknown outcome, with how many times each.
  std::map<std::uint64_t, int> accounted() const {
    std::map<std::uint64_t, int> seen;
    for (auto const& r : results) ++seen[r.ref];
    for (auto const& u : unknown) ++seen[u.first];
    return seen;
  }
  std::size_t ok_results() const {
    std::size_t n = 0;
    for (auto const& r : results) n += r.status == smpp::command_status::ok;
    return n;
  }
  std::size_t count_state(link_state s) const {
    std::size_t n = 0;
    for (auto const& st : states) n += st.second == s;
    return n;
  }
};

/// A simulator config with one account (smsgw/secret) and quick receipts.
inline sim::sim_config sim_config_for_tests() {
  sim::sim_config cfg;
  cfg.name = "sim";
  cfg.accounts = {{"smsgw", "secret"}};
  cfg.receipt_delay = 10ms;
  cfg.deliver_resp_timeout = 30s;
  cfg.redelivery_delay = 20ms;
  return cfg;
}

/// A one-bind transceiver carrier aimed at 127.0.0.1:port with short timers.
inline carrier_config carrier_config_for(std::uint16_t port) {
  carrier_config c;
  c.name = "sim";
  c.host = "127.0.0.1";
  c.port = port;
  c.system_id = "smsgw";
  c.password = "secret";
  c.binds = 1;
  c.window = 10;
  c.throttle.rate = 100000;
  c.throttle.burst = 1000;
  c.timeouts.connect = 5s;
  c.timeouts.tls_handshake = 5s;
  c.timeouts.bind_response = 5s;
  c.timeouts.response = 10s;
  c.timeouts.unbind_response = 2s;
  c.timeouts.drain = 5s;
  c.reconnect.initial = 20ms;
  c.reconnect.max = 200ms;
  c.reconnect.min_delay = 10ms;
  c.reconnect.credential_delay = 60s;
  return c;
}

/// A registered-delivery submit_sm to 6281100000<ref> carrying a (fake) OTP text.
inline outbound_message make_message(std::uint64_t ref, int priority = 1) {
  outbound_message m;
  m.ref = ref;
  m.priority = priority;
  m.submit.source_addr = "SMSGW";
  m.submit.source_addr_ton = 5;
  m.submit.dest_addr_ton = 1;
  m.submit.dest_addr_npi = 1;
  m.submit.destination_addr = "628110" + std::to_string(1000000 + ref);
  m.submit.registered_delivery = 1;
  std::string text = "Kode OTP " + std::to_string(100000 + ref % 900000);
  m.submit.short_message.assign(text.begin(), text.end());
  return m;
}

/// Runs `io` until `done()` is true; false if `guard` passed first (a hang, not a timing check).
template <class Pred>
bool run_until(boost::asio::io_context& io, Pred done, std::chrono::milliseconds guard = 30s) {
  auto const deadline = std::chrono::steady_clock::now() + guard;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (io.stopped()) io.restart();
    io.run_for(2ms);
  }
  return true;
}

/// Runs `io` for `d` (to let something that must NOT happen have its chance).
inline void run_for(boost::asio::io_context& io, std::chrono::milliseconds d) {
  auto const deadline = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();
    io.run_for(2ms);
  }
}

/// Gracefully stops `c` and waits for it (hang guard included).
inline bool stop_carrier(boost::asio::io_context& io, carrier& c) {
  bool stopped = false;
  boost::asio::co_spawn(io, c.stop(), [&](std::exception_ptr) { stopped = true; });
  return run_until(io, [&] { return stopped; });
}

/// The receipted_message_id of a receipt (TLV), or "".
inline std::string receipted_id(smpp::pdu const& p) {
  return smpp::get_c_string(p.tlvs, smpp::tag::receipted_message_id).value_or("");
}

}  // namespace smsgw::test
