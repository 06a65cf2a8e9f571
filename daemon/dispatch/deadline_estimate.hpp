// daemon/dispatch/deadline_estimate.hpp: how long an OTP would take through one carrier (issue #13
// §7, deadline-aware routing), as pure arithmetic the dispatcher feeds: the OTPs ahead of it ÷
// the carrier's effective rate, plus how long that carrier usually takes to return a final
// receipt (learned per carrier from submit -> receipt latencies). No clock is read here: every
// time is passed in, so tests inject theirs.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace smsgw {

/// One carrier's estimate for an OTP queued behind `backlog_otp` others.
struct route_estimate {
  std::size_t backlog_otp = 0;  ///< OTPs ahead of it on this route
  double rate = 0;              ///< effective rate, segments/s (0: down, nothing goes)
  double wait_seconds = std::numeric_limits<double>::infinity();  ///< backlog ÷ rate
  double receipt_latency_seconds = 0;  ///< learned submit -> final receipt time
  /// Wait + receipt latency: when the handset would have it (infinite while down).
  double total_seconds() const noexcept { return wait_seconds + receipt_latency_seconds; }
};

/// What a carrier may send now: the smaller of its cap (throughput or peak-hour cap) and its
/// token bucket's rate (an SMSC throttle lowers it); 0 while it has no bound submitting link.
double effective_rate(bool up, double cap, double bucket_rate) noexcept;

/// The estimate for an OTP with `backlog_otp` OTPs ahead of it (OTPs go first: bulk and
/// transactional traffic behind them does not count). A rate of 0 gives an infinite wait.
route_estimate estimate_route(std::size_t backlog_otp, double rate,
                              double receipt_latency_seconds) noexcept;

/// True if the estimate plus `margin_seconds` fits in the `seconds_left` of validity.
bool fits(route_estimate const& e, double seconds_left, double margin_seconds) noexcept;

/// Per carrier, how long its SMSC takes to return a final receipt after accepting a submit:
/// an exponentially weighted moving average of recent latencies (weight 0.2 for the newest),
/// `prior_seconds` until the first receipt, whose latency replaces the prior outright.
/// Memory is bounded: one average per carrier, and at most `max_pending` submit times (the
/// oldest message ids are forgotten first).
class receipt_latency_learner {
 public:
  using time_point = std::chrono::system_clock::time_point;
  static constexpr double prior_seconds = 5.0;
  static constexpr double newest_weight = 0.2;
  /// A latency longer than this counts as this (one lost receipt must not poison the average).
  static constexpr double max_sample_seconds = 600.0;
  static constexpr std::size_t default_max_pending = 200000;

  explicit receipt_latency_learner(std::size_t max_pending = default_max_pending)
      : max_pending_(max_pending) {}

  /// Message `id` was accepted by an SMSC at `at`.
  void submitted(std::int64_t id, time_point at);
  /// A final receipt for message `id` came from `carrier` at `at`: its latency (also learnt),
  /// or nullopt if its submit time is not known (forgotten, never submitted). `sent_at`: when
  /// the store recorded its acceptance (queue::recorded_receipt::submitted_at), used when this
  /// run never saw it accepted (submitted before a restart).
  std::optional<double> receipt(std::int64_t id, std::string_view carrier, time_point at,
                                std::optional<time_point> sent_at = std::nullopt);
  /// Learns one latency of `carrier` directly (the history of the last run, read at start:
  /// queue::store::receipt_latencies), as receipt() would have.
  void learn(std::string_view carrier, double latency_seconds);
  /// Forgets `id`'s submit time without learning anything.
  void forget(std::int64_t id) { pending_.erase(id); }
  /// The learnt latency of `carrier` (prior_seconds before its first receipt).
  double seconds(std::string_view carrier) const;
  /// Receipts learnt from for `carrier`.
  std::uint64_t samples(std::string_view carrier) const;
  std::size_t pending() const noexcept { return pending_.size(); }

 private:
  struct average {
    double seconds = prior_seconds;
    std::uint64_t samples = 0;
  };
  std::size_t max_pending_;
  std::map<std::int64_t, time_point> pending_;  // message id -> accepted at
  std::map<std::string, average, std::less<>> per_carrier_;
};

}  // namespace smsgw
