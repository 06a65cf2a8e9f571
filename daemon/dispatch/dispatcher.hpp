// daemon/dispatch/dispatcher.hpp: the bridge between the SMPP links and the durable queue. It is each
// carrier's message_source (claims run on the queue thread, never on the network thread) and
// the links' smpp_events sink (submit results, outcome unknown, receipts: deliver_sm_resp is
// sent only after the receipt is committed). It also runs housekeeping (expire_due, purge).
// Retries follow daemon/dispatch/retry_policy.hpp: here for submit refusals and lost responses; inside
// the store (store_options::retry, with_retry_policy) for failed receipts and crash recovery.
// Receipts are matched by (via_carrier, smsc id), persisted at mark_submitted: nothing in memory;
// when the submit_sm_resp was lost, by number and submit date (queue/receipts.cpp).
// Submit results and receipts are group-committed (daemon/dispatch/transition_batcher.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "daemon/config/config.hpp"
#include "daemon/dispatch/deadline_estimate.hpp"
#include "daemon/dispatch/dispatcher_source.hpp"
#include "daemon/dispatch/dlr_log.hpp"
#include "daemon/dispatch/retry_policy.hpp"
#include "daemon/link/smpp_events.hpp"
#include "daemon/dispatch/transition_batcher.hpp"
#include "daemon/link/wake_signal.hpp"
#include "daemon/metrics/metrics.hpp"
#include "queue/group_commit.hpp"

namespace smsgw {

/// Builds the submit_sm of a stored message (text encoded, long texts in message_payload,
/// receipt requested, validity = time left). Pure; nullopt-like error text if not encodable.
boost::system::result<outbound_message, std::string> make_outbound(queue::message const& m,
                                                                   queue::time_point now);

/// Sets submit_sm's source_addr (and its TON/NPI: alphanumeric or international number).
void set_sender(smpp::submit_sm& sm, std::string const& sender);

/// Just before a buffered message is handed to a link (it may have waited for tokens, a
/// throttled retry or a reconnect since make_outbound): false if it must not be sent any more
/// (less than a second of validity left); else its relative validity_period is recomputed
/// so the SMSC gives up at the same instant as the queue. Pure.
bool refresh_validity(outbound_message& m, queue::time_point expires_at, queue::time_point now);

struct dispatcher_stats {
  std::uint64_t claimed = 0, submitted = 0, rejected = 0, unknown = 0, retried = 0;
  std::uint64_t receipts = 0, receipts_unmatched = 0, mo_ignored = 0, queue_errors = 0;
  std::uint64_t expired_unsent = 0;  ///< dropped from a buffer at hand-out: validity ran out
  /// Receipts held because they overtook their submit_sm_resp (not an outcome: no DLR line
  /// until they are matched or their hold runs out, which counts in receipts_unmatched).
  std::uint64_t receipts_held = 0;
  /// Carriers failed over (no bound link for their failover_after) and the OTPs moved out
  /// of their buffers to an alternate.
  std::uint64_t failovers = 0, failed_over = 0;
  /// Receipts and submit refusals classed "filtered" by the carrier's config.
  std::uint64_t filtered = 0;
  /// Submitted messages retried because no final receipt came within receipt_timeout.
  std::uint64_t receipt_timeouts = 0;
  /// Messages made no_receipt (final): no receipt by their validity + grace.
  std::uint64_t no_receipt = 0;
  /// OTPs sent to an alternate because their route could not deliver them within their
  /// validity (deadline-aware routing), when claimed and from a buffer.
  std::uint64_t deadline_reroutes = 0;
};

/// The carrier's `err:` code in a receipt detail "stat:X err:Y" (also at the end of a
/// message's "receipt...: stat:X err:Y"): Y, or "" when absent or "-". Pure.
std::string_view receipt_err(std::string_view detail) noexcept;

/// Whether `route` is one of the comma-separated `routes` (a message's filtered_routes). Pure.
bool route_listed(std::string_view routes, std::string_view route) noexcept;

/// Whether a retry moved `m` away from `route`: its planned route is another, and its last
/// attempt went through `route` (no receipt, undeliverable...) or an earlier attempt got no
/// receipt there (m.silent_routes). No fallback, deadline re-route or failover sends it back
/// there. A first attempt (attempts <= 1) left nothing. Pure.
bool retry_left_route(queue::message const& m, std::string_view route) noexcept;

class dispatcher final : public smpp_events, private source_owner {
 public:
  /// `gc`, `config` and `log` must outlive the dispatcher (`config` until apply_config()
  /// replaces it). Call everything on `ex`. `retry` should be the settings given to
  /// with_retry_policy() for the store.
  dispatcher(boost::asio::any_io_executor ex, queue::group_commit& gc,
             daemon_config const& config, dlr_log& log, retry_settings retry);
  /// The same with the configured `[retry]` settings (config.retry).
  dispatcher(boost::asio::any_io_executor ex, queue::group_commit& gc,
             daemon_config const& config, dlr_log& log)
      : dispatcher(std::move(ex), gc, config, log, config.retry) {}
  ~dispatcher() override;

  /// The message_source a carrier's links take from (one per configured carrier).
  message_source& source_for(std::string const& carrier);
  /// A reloaded configuration, in force from the next decision on (kept alive here): routes
  /// and retry settings, alternates (what each source claims), senders, timeouts, peak-hour
  /// windows (looked at again at once: the cap listener hears every carrier's cap). A carrier
  /// new in it gets its source; the source of one no longer in it is dropped, so call this
  /// only once such a carrier's links have stopped (nothing may be left in its buffer).
  void apply_config(std::shared_ptr<daemon_config const> config);
  /// Messages claimed for `carrier` (in its buffer or handed to its links) not yet answered.
  std::size_t holding(std::string_view carrier) const;
  /// A message was enqueued for `carrier`: wake its source now rather than at the next poll.
  void notify(std::string_view carrier);
  /// Stop dequeuing: from now on take() hands out nothing and waits until it is cancelled
  /// (the links close and cancel their feeders). Idempotent.
  void stop_dequeuing();
  /// expire_due() every housekeeping interval, purge() at the first tick and then hourly;
  /// returns after stop_dequeuing().
  boost::asio::awaitable<void> run_housekeeping();
  /// Graceful stop, after the carriers stopped: messages claimed but never written to a link
  /// (still in a buffer) go back to queued, committed before this returns, so a restart
  /// sends them normally instead of finding them "outcome unknown". Returns how many.
  /// Waits first until every submit result and receipt reported so far is committed.
  boost::asio::awaitable<std::size_t> release_unsent();

  /// The wall clock the peak-hour windows are read against (default system_clock::now);
  /// tests set their own, so no test waits for nine o'clock.
  using wall_clock = std::function<std::chrono::system_clock::time_point()>;
  /// The rules are looked at again at once (the next take or refresh_schedules()).
  void set_wall_clock(wall_clock clock) {
    wall_clock_ = std::move(clock);
    peak_.clear();
  }
  /// Called (on the executor) with a carrier's name and its new throughput cap whenever the
  /// peak-hour rules in force for it change, and once for each carrier at the first look:
  /// the daemon points it at carrier::set_throughput_cap.
  using cap_listener = std::function<void(std::string const& carrier, double cap)>;
  void on_cap_change(cap_listener listener) { cap_listener_ = std::move(listener); }
  /// The peak-hour rules in force for `carrier` now (by the wall clock), applying them first
  /// if they changed (cap listener, log line). For /healthz.
  peak_state current_peak(std::string const& carrier) { return schedule_for(carrier); }
  /// The peak-hour rules last applied for `carrier` (housekeeping looks every tick), without
  /// looking at the clock: the window's name ("" outside windows) and the cap. For metrics.
  struct peak_view {
    std::string window;
    double cap = 0;
  };
  peak_view peak_in_force(std::string_view carrier) const;
  /// Looks at every carrier's rules now (housekeeping does it every tick).
  void refresh_schedules();
  /// The rate (segments/s) `carrier`'s token bucket allows now, an SMSC throttle included:
  /// the daemon points it at carrier::current_rate. Without it, the cap of the peak-hour
  /// rules in force (the configured throughput outside windows).
  using rate_reader = std::function<double(std::string const& carrier)>;
  void set_rate_reader(rate_reader reader) { rate_reader_ = std::move(reader); }
  /// Deadline-aware routing (docs/dispatcher.md): how long a new OTP queued now for route
  /// `carrier` would take there: the OTPs queued for it (as last counted by housekeeping,
  /// less those claimed since) and in its buffer ahead of it, ÷ its effective rate, plus its
  /// learnt receipt latency. For /healthz and the enqueue refusal.
  route_estimate estimate(std::string const& carrier);
  /// OTPs of `carrier` waiting queued in the database, as last counted (housekeeping).
  std::int64_t queued_otps(std::string_view carrier) const;
  /// For an OTP of `carrier` with `validity` enqueued now: nullopt if a route of it (its home,
  /// or with deadline_routing one of its alternates) is estimated to deliver it in time with
  /// the margin, or if no route of it is up (nothing to estimate); else the best estimate
  /// (seconds) among the routes that are up.
  std::optional<double> would_expire(std::string_view carrier, std::chrono::seconds validity);
  /// Receipt latencies learnt per carrier.
  receipt_latency_learner const& receipt_latencies() const noexcept { return latency_; }
  /// Learns the latencies the queue's history kept from before a restart (oldest first,
  /// store::receipt_latencies), as if their receipts had just come: deadline-aware routing
  /// keeps each carrier's pace instead of starting again from the prior. Logs what it learnt.
  void learn_receipt_latencies(std::vector<queue::receipt_latency_sample> const& samples);
  /// Count submits, receipts, retries, re-routes, outcomes and latencies in `m` from now on
  /// (it must outlive the dispatcher). Without it nothing is counted but stats().
  void attach_metrics(metrics& m) noexcept { metrics_ = &m; }

  // --- operator control (issue #14; docs/dispatcher.md "Suspended carriers", "Cancel") ---
  /// DELETE /v1/messages/{id}: cancels message `id` if it was never written to a socket
  /// (queued, or claimed and still in a buffer: then it leaves the buffer too). Decided by
  /// the queue (store::cancel_unsent) in one transaction, so a link's sending mark and the
  /// cancel cannot both win. A DLR line "cancelled" for a cancelled one. `who` goes to the
  /// history ('' = not said).
  boost::asio::awaitable<queue::result<queue::cancel_outcome>> cancel(queue::message_id id,
                                                                      std::string who);
  /// POST /v1/carriers/{name}/suspend, /resume: records it in the queue (it survives a
  /// restart), then applies it (apply_suspension). invalid_argument for an unknown carrier.
  boost::asio::awaitable<queue::result<void>> set_suspended(std::string carrier, bool suspended,
                                                            std::string who);
  /// Applies a suspension without recording it (at start, from the queue's carrier_control):
  /// a suspended carrier counts as down for routing at once, its buffered OTPs go to its
  /// alternates, its other buffered messages go back to the queue, its source hands out
  /// nothing; its links stay bound (receipts still come in). false for an unknown carrier.
  bool apply_suspension(std::string const& carrier, bool suspended);
  bool suspended(std::string_view carrier) const override {
    return suspended_.find(carrier) != suspended_.end();
  }
  /// How a carrier is used for routing now.
  enum class route_state { up, down, failed_over, suspended };
  static std::string_view to_string(route_state s) noexcept;
  struct carrier_route_status {
    route_state state = route_state::down;
    std::size_t bound = 0;  ///< submitting binds bound now
    /// Since when it has had no bound submitting link (since the daemon started if never);
    /// nullopt while one is bound.
    std::optional<std::chrono::steady_clock::time_point> unbound_since;
    std::size_t buffered = 0;  ///< claimed messages in its source's buffer
  };
  carrier_route_status route_status(std::string_view carrier) const;

  dispatcher_stats const& stats() const noexcept { return stats_; }
  /// Why the queue is refusing the dispatcher's work (a claim, a sending mark, a submit
  /// result, a receipt or housekeeping failed, e.g. on a full disk) if the last failure is
  /// less than queue_problem_window before `now`; nullopt while healthy. For /healthz.
  std::optional<std::string> queue_problem(
      std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) const;
  static constexpr std::chrono::seconds queue_problem_window{30};
  /// How submit results and receipts were grouped into store transactions.
  transition_batcher_stats const& batch_stats() const noexcept { return transitions_.stats(); }
  /// True while no submit result or receipt waits for (or is in) a commit.
  bool transitions_idle() const noexcept { return transitions_.idle(); }

  // smpp_events
  void on_submit_result(link_identity const& link, std::uint64_t ref,
                        std::string_view message_id, smpp::command_status status) override;
  void on_outcome_unknown(link_identity const& link, std::uint64_t ref,
                          std::string_view why) override;
  void on_deliver(link_identity const& link, smpp::pdu const& p, deliver_ack ack) override;
  void on_link_state(link_identity const& link, link_state state,
                     std::string_view detail) override;

 private:
  // source_owner: what its sources may ask of it.
  boost::asio::any_io_executor executor() const override { return executor_; }
  queue::group_commit& queue_writer() override { return gc_; }
  bool stopping() const override { return stopping_; }
  void accept_claimed(std::vector<queue::message> msgs, dispatcher_source& claimer,
                      bool marked) override;
  bool still_sendable(outbound_message& m, queue::time_point now) override;
  void forget_unsent(std::uint64_t ref) override;
  void count_queue_error(std::string_view message) override { note_queue_error(message); }
  /// Counts a failed queue operation and remembers it for queue_problem().
  void note_queue_error(std::string_view message);
  peak_state const& schedule_for(std::string const& carrier) override;
  int claim_ceiling(std::string const& carrier) override;

  /// A source for every configured carrier (made, or its claim keys updated).
  void make_sources();
  dispatcher_source& source_of(queue::message const& m, dispatcher_source& claimer);
  /// A submitting bind is bound and no operator suspended it.
  bool is_up(std::string_view carrier) const;
  /// `carrier` came up for routing (bound or resumed): carriers down since long enough whose
  /// OTPs found no alternate up then may find it now.
  void came_up(std::string_view carrier, std::chrono::steady_clock::time_point now);
  /// The non-OTP messages in `carrier`'s buffer go back to the queue (suspension).
  void requeue_buffered_non_otp(std::string const& carrier);
  /// Waits `delay`; if `carrier` is still down since `since`, fail_over_buffered(carrier).
  boost::asio::awaitable<void> fail_over_after(std::string carrier,
                                               std::chrono::steady_clock::time_point since,
                                               std::chrono::milliseconds delay);
  /// The OTPs in the buffer of `carrier` (down for its failover_after) go to the first of its
  /// alternates with a bound link; they stay if none is up.
  void fail_over_buffered(std::string_view carrier, bool suspended = false);
  /// The rate `carrier` may send at now (0 while down): effective_rate of its cap and bucket.
  double route_rate(std::string const& carrier);
  /// The estimate on route `carrier` for an OTP with `ahead` OTPs before it.
  route_estimate estimate_with(std::string const& carrier, std::size_t ahead);
  /// Deadline-aware routing of a claimed OTP `m` about to go to `target`: the first other
  /// route of it (home, then alternates; not one that filtered it) whose estimate fits its
  /// validity left with the margin, if `target`'s does not; nullptr to keep `target`.
  /// Ahead of it: on `target`, the OTPs in its buffer; on another route, those buffered
  /// and its own OTPs still queued (they come first in its claims).
  dispatcher_source* deadline_route(queue::message const& m, dispatcher_source& target,
                                    queue::time_point now);
  /// Housekeeping: buffered OTPs whose place in their route's buffer cannot make their
  /// validity go to a route that can (deadline_route); the others stay.
  void reroute_buffered_by_deadline();
  /// Housekeeping's hourly purge, a bounded batch per writer task (store::purge).
  boost::asio::awaitable<void> purge_in_batches(queue::time_point older_than);
  void retry_or_fail(std::uint64_t ref, std::string const& used_route, std::string detail,
                     retry_cause why);
  /// One DLR log line; `carrier` defaults to the route the message last used.
  void log_final(queue::message const& m, std::string_view state, std::string_view err,
                 std::string_view detail, std::string_view carrier = {});
  /// The DLR line of message `m` as a receipt ("stat:X err:Y") left it: final, or queued
  /// again by the retry policy (then its plan is the detail, and its route is woken).
  /// `submitted_at`: when the attempt became submitted, if the store read it (the learner's
  /// fallback for a message submitted before a restart).
  void log_receipt_outcome(queue::message const& m, std::string_view receipt_detail,
                           std::string_view carrier = {},
                           std::optional<queue::time_point> submitted_at = std::nullopt);
  /// A message queued again by the retry policy, after it was last sent on `from_route`.
  void count_retry(std::string_view reason, std::string_view from_route,
                   std::string_view to_route);
  /// A final receipt applied to `m` (as stored after it), received on `route`.
  void count_receipt(queue::message const& m, std::string_view route, std::string_view detail,
                     std::optional<queue::time_point> submitted_at);

  boost::asio::any_io_executor executor_;
  queue::group_commit& gc_;
  daemon_config const* config_;                  // never null: the one in force
  std::shared_ptr<daemon_config const> config_holder_;  // set by apply_config()
  dlr_log& log_;
  std::map<std::string, std::unique_ptr<dispatcher_source>, std::less<>> sources_;
  std::unordered_map<std::uint64_t, queue::message> handed_out_;  // ref -> message, until answered
  std::map<std::string, std::set<std::string>, std::less<>> bound_;  // carrier -> binds bound now
  // carrier -> when its last submitting bind went down (absent while up or never up)
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> down_since_;
  std::set<std::string, std::less<>> suspended_;  // by an operator
  // carrier -> since when it has had no bound submitting link (from construction)
  std::map<std::string, std::chrono::steady_clock::time_point, std::less<>> unbound_since_;
  // messages whose cancel is being decided by the queue (see forget_unsent); a multiset: two
  // DELETEs of one id may be pending at once
  std::multiset<queue::message_id> cancelling_;
  route_table routes_;
  retry_settings retry_;
  wake_signal stop_signal_;
  bool stopping_ = false;
  dispatcher_stats stats_;
  wall_clock wall_clock_ = [] { return std::chrono::system_clock::now(); };
  cap_listener cap_listener_;
  struct peak_entry {
    peak_state rules;                           // last applied
    std::chrono::system_clock::time_point at;  // when computed (a test's clock may go back)
  };
  std::map<std::string, peak_entry, std::less<>> peak_;  // carrier -> rules last applied
  std::optional<std::chrono::steady_clock::time_point> last_queue_error_at_;
  std::chrono::steady_clock::time_point first_queue_error_at_{};  ///< of the current spell
  std::uint64_t queue_errors_in_window_ = 0;
  std::string last_queue_error_;
  metrics* metrics_ = nullptr;
  /// When each message's submit_sm_resp OK came, until its final receipt (the receipt
  /// latency, per carrier: metrics and deadline-aware routing); bounded, in memory only.
  receipt_latency_learner latency_;
  rate_reader rate_reader_;
  /// Carrier key -> OTPs queued in the database: counted by housekeeping, less claims since.
  std::map<std::string, std::int64_t, std::less<>> queued_otps_;
  transition_batcher transitions_;  // after gc_ and executor_: built from them
};

}  // namespace smsgw
