// tools/smsc-sim/simulator.hpp: a simulated carrier SMSC for tests, benchmarks and the demo.
// Any number of ESME binds (transmitter/receiver/transceiver) connect to it; it answers
// submit_sm with message ids, sends delivery receipts after a delay with a configurable mix of
// outcomes, and injects faults (sim_config.hpp). Threading: the simulator runs on one
// single-threaded executor; the observation and control calls below are thread-safe, so a test
// may run it on its own thread (simulator_thread) and watch it from the test thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>

#include "smpp/pdu.hpp"
#include "tools/smsc-sim/sim_config.hpp"

namespace smsgw::sim {

/// Counters since start. "receipts_sent" counts every deliver_sm sent, redeliveries included.
struct stats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_closed = 0;
  std::uint64_t binds_ok = 0;
  std::uint64_t binds_refused = 0;
  std::uint64_t binds_active = 0;
  std::uint64_t unbinds_received = 0;
  std::uint64_t unbinds_sent = 0;
  std::uint64_t submits_received = 0;
  std::uint64_t submits_ok = 0;          ///< answered ESME_ROK with a message id
  std::uint64_t submits_throttled = 0;   ///< answered ESME_RTHROTTLED
  std::uint64_t submits_rejected = 0;    ///< answered another error (bad bind state, bad address)
  std::uint64_t receipts_scheduled = 0;  ///< messages that will get a receipt
  std::uint64_t receipts_parked = 0;     ///< times a receipt waited for a receiver bind of its account
  std::uint64_t receipts_sent = 0;
  std::uint64_t receipts_acked = 0;      ///< deliver_sm_resp ESME_ROK
  std::uint64_t receipts_retry_requested = 0;  ///< deliver_sm_resp ESME_RX_T_APPN
  std::uint64_t receipts_rejected = 0;   ///< deliver_sm_resp with another error: not redelivered
  std::uint64_t receipts_timed_out = 0;  ///< no deliver_sm_resp within deliver_resp_timeout
  std::uint64_t receipts_dropped = 0;    ///< gave up after max_deliveries
  std::uint64_t enquire_links_received = 0;
  std::uint64_t enquire_links_sent = 0;
  std::uint64_t enquire_link_resps_received = 0;
  std::uint64_t generic_nacks_received = 0;
  std::uint64_t stray_resps = 0;         ///< responses matching nothing we sent
  std::uint64_t decode_errors = 0;       ///< malformed PDUs received from clients
  std::uint64_t malformed_sent = 0;
  std::uint64_t fault_closes = 0;        ///< connections closed by close_after_submits
  std::uint64_t stalled_pdus = 0;        ///< PDUs read and ignored while stalled
  std::uint64_t submits_over_cap = 0;    ///< of submits_throttled: beyond max_submits_per_s
  std::uint64_t bind_drops = 0;          ///< drop_binds() calls (outages begun)
};

/// A submit_sm as received, for tests to assert on.
struct received_submit {
  std::uint64_t connection_id = 0;  ///< 1, 2, ... in accept order
  std::string system_id;            ///< account of the bind it came on
  smpp::submit_sm sm;
  smpp::tlv_list tlvs;
  smpp::command_status status = smpp::command_status::ok;  ///< what the simulator answered
  std::string message_id;           ///< as sent in submit_sm_resp; empty if refused
  bool answered = true;             ///< false when a fault closed the connection instead
};

namespace detail {
class sim_core;
}

class simulator {
 public:
  /// Opens the listening socket at once (throws std::system_error naming the address if it
  /// cannot), so port() is valid on return; accepting begins with start().
  simulator(boost::asio::any_io_executor ex, sim_config cfg);
  ~simulator();  ///< stop()s; runs no handlers itself
  simulator(simulator const&) = delete;
  simulator& operator=(simulator const&) = delete;

  void start();
  /// Stops accepting, closes every connection, drops pending receipts. Thread-safe.
  void stop();

  std::uint16_t port() const noexcept;
  sim_config const& config() const noexcept;

  void set_faults(faults f);  ///< takes effect for the next PDU handled; thread-safe
  faults current_faults() const;

  stats counters() const;
  std::vector<received_submit> submits() const;
  std::uint32_t active_binds(std::string_view system_id) const;
  std::uint32_t max_concurrent_binds(std::string_view system_id) const;

  void unbind_all();        ///< SMSC-initiated unbind on every bound connection (thread-safe)
  void enquire_link_all();  ///< one enquire_link on every bound connection (thread-safe)
  /// An outage of the carrier's SMPP front end: every connection is dropped at once (no
  /// unbind) and binds are refused with ESME_RBINDFAIL for `how_long`; 0 ends an outage now.
  /// Thread-safe.
  void drop_binds(std::chrono::milliseconds how_long);

 private:
  std::shared_ptr<detail::sim_core> core_;
};

/// A simulator on its own io_context(1) and thread: what tests use.
class simulator_thread {
 public:
  explicit simulator_thread(sim_config cfg);
  ~simulator_thread();  ///< stops the simulator and joins the thread
  simulator& sim() noexcept { return *sim_; }
  std::uint16_t port() const noexcept { return sim_->port(); }

 private:
  boost::asio::io_context io_{1};
  std::unique_ptr<simulator> sim_;
  std::thread thread_;
};

}  // namespace smsgw::sim
