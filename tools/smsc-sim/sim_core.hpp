// tools/smsc-sim/sim_core.hpp: the simulator's shared state (internal). sim_core owns the
// acceptor, the live sessions, the receipt scheduler and the observations; sim_session
// (sim_session.hpp) is one ESME connection. Everything but `observed` is touched only on
// the simulator's executor; `observed` (counters, recorded submits, bind counts, faults) is
// behind one mutex because tests read and change it from their own thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tools/smsc-sim/sim_receipt.hpp"
#include "tools/smsc-sim/submit_times.hpp"
#include "tools/smsc-sim/simulator.hpp"

namespace smsgw::sim::detail {

class sim_session;

/// Wakes one waiting coroutine (a session's writer). A timer that never expires on its own:
/// notify() cancels the wait, or is remembered until the next one. Cheaper than asio's
/// experimental channel it replaces (no channel operation per PDU under a flood).
class wake_signal {
 public:
  explicit wake_signal(boost::asio::any_io_executor ex)
      : timer_(std::move(ex), std::chrono::steady_clock::time_point::max()) {}
  void notify() {
    set_ = true;
    timer_.cancel();
  }
  void close() {
    closed_ = true;
    timer_.cancel();
  }
  /// Completes at once if notified since the last wait; false once closed.
  boost::asio::awaitable<bool> wait() {
    if (!set_ && !closed_) co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    set_ = false;
    co_return !closed_;
  }

 private:
  boost::asio::steady_timer timer_;
  bool set_ = false;
  bool closed_ = false;
};

/// Binds of one account: now and the most ever seen at once.
struct bind_count {
  std::uint32_t active = 0;
  std::uint32_t max = 0;
};

/// What tests observe and control, guarded by sim_core::mutex_.
struct observed {
  stats counters;
  std::vector<received_submit> submits;
  std::map<std::string, bind_count, std::less<>> binds;
  faults current;
  std::uint32_t fault_closes_left = 0;  ///< for close_max_times; reset by set_faults
  std::uint64_t throttle_count = 0;     ///< submits seen since faults were set, for throttle_every
  std::chrono::steady_clock::time_point binds_down_until{};  ///< drop_binds(): binds refused till then
};

/// A timed job of the receipt scheduler: deliver a receipt, or check that one was acked.
struct timed_event {
  std::chrono::steady_clock::time_point due;
  std::uint64_t order = 0;  ///< ties keep insertion order
  bool check_ack = false;
  receipt_job job;                       ///< for deliveries
  std::weak_ptr<sim_session> session;    ///< for ack checks
  std::uint32_t sequence_number = 0;     ///< for ack checks
};
struct later_first {
  bool operator()(timed_event const& a, timed_event const& b) const noexcept {
    return a.due != b.due ? a.due > b.due : a.order > b.order;
  }
};

class sim_core : public std::enable_shared_from_this<sim_core> {
 public:
  sim_core(boost::asio::any_io_executor ex, sim_config cfg);

  // --- called on the executor ---
  void start();
  void stop();
  sim_config const& config() const noexcept { return cfg_; }
  boost::asio::any_io_executor executor() const { return ex_; }
  std::uint16_t port() const noexcept { return port_; }

  /// Next message id number (monotonic).
  std::uint64_t next_message_number() noexcept { return next_message_number_++; }
  /// A submit_sm to `destination` was just read: a line for --submit-times, if it is on.
  void note_submit(std::string_view destination) {
    if (submit_times_) submit_times_->record(destination, std::chrono::system_clock::now());
  }
  /// Draws an outcome from the configured mix.
  outcome draw_outcome();
  /// True if this submit_sm must be answered ESME_RTHROTTLED (counts throttle_every).
  bool draw_throttle(faults const& f);

  /// Queues a receipt for delivery after cfg.receipt_delay (or now).
  void schedule_receipt(receipt_job job, std::chrono::milliseconds delay);
  /// Hands a receipt to a receiver bind of its account now, or parks it until one binds.
  void route_receipt(receipt_job job);
  /// A deliver_sm went out: check for its deliver_sm_resp after deliver_resp_timeout.
  void watch_ack(std::shared_ptr<sim_session> const& s, std::uint32_t sequence_number);
  /// A delivery failed (temporary): try again after redelivery_delay, or drop it.
  void redeliver(receipt_job job, std::string_view why);
  /// A receiver/transceiver bind came up: hand it the parked receipts of its account.
  void flush_parked(std::string const& system_id);

  void forget(std::shared_ptr<sim_session> const& s);
  void unbind_all();
  void enquire_link_all();
  void drop_binds(std::chrono::milliseconds how_long);

  // --- thread-safe ---
  template <class F>
  auto with_observed(F&& f) {
    std::lock_guard lock(mutex_);
    return f(observed_);
  }
  void set_faults(faults f);

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> run_scheduler();
  boost::asio::awaitable<void> flush_submit_times();
  void push_event(timed_event ev);
  void deliver_to_session(receipt_job job);

  boost::asio::any_io_executor ex_;
  sim_config cfg_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  bool stopped_ = false;
  std::uint64_t next_connection_id_ = 1;
  std::uint64_t next_message_number_;
  std::mt19937_64 rng_;
  std::set<std::shared_ptr<sim_session>> sessions_;
  std::map<std::string, std::deque<receipt_job>, std::less<>> parked_;
  std::map<std::string, std::size_t, std::less<>> round_robin_;
  /// A min-heap (std::push_heap / pop_heap with later_first): the earliest job at front(),
  /// moved out when it is run (a priority_queue's top() can only be copied).
  std::vector<timed_event> events_;
  std::uint64_t event_order_ = 0;
  /// The scheduler sleeps on it until the earliest job; push_event() moves it earlier.
  boost::asio::steady_timer timer_;
  double cap_tokens_ = 0;                                ///< max_submits_per_s bucket
  std::chrono::steady_clock::time_point cap_refilled_{};
  std::unique_ptr<submit_times_file> submit_times_;  ///< --submit-times; null when off
  boost::asio::steady_timer submit_times_timer_;

  mutable std::mutex mutex_;
  observed observed_;
};

}  // namespace smsgw::sim::detail
