// daemon/metrics/metrics.hpp: the daemon's metrics, served as Prometheus text on GET /metrics.
// Two kinds of value:
//   - events, counted by the room where they happen as they happen (dispatch: submits,
//     receipts, retries, outcomes, latencies; the daemon's API hook: answers by status);
//   - state, read at scrape time by the daemon's wiring (daemon/metrics_scrape.cpp) from the
//     queue (through its writer), the carriers and the stats structs, and set here just
//     before text().
// Labels are carrier names, routes, states, priorities, reasons, endpoints and statuses: never
// a number, a text or an id. Every call is thread-safe (prometheus-cpp's own locking), though
// the daemon makes them all on its network thread. docs/daemon.md, "Metrics", lists them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace smsgw {

/// What a final delivery receipt said (smsgw_receipt_outcomes_total{outcome}, per attempt and
/// route): `filtered` is a failed receipt the route's `filtered_errors` class as spam-filtered
/// (not counted as `rejected` too); `no_receipt` is an attempt whose receipt did not come by
/// its deadline (retried elsewhere, or the message's final no_receipt).
enum class receipt_kind : std::uint8_t { delivered, undeliverable, rejected, filtered, no_receipt };
std::string_view to_string(receipt_kind k) noexcept;

class metrics {
 public:
  /// `carriers`: the configured carrier names; their series are created at 0 at once, so a
  /// rate() or an alert sees them before the first event.
  explicit metrics(std::vector<std::string> const& carriers);
  ~metrics();
  metrics(metrics const&) = delete;
  metrics& operator=(metrics const&) = delete;

  // --- events ----------------------------------------------------------------------------
  /// A submit_sm answered: `result` accepted | refused | unknown (no answer). `carrier` the
  /// message's own carrier, `route` the carrier whose link sent it.
  void submit(std::string_view carrier, std::string_view route, std::string_view result);
  /// From acceptance (the API's 202) to the SMSC's submit_sm_resp OK, per carrier (route).
  void submit_latency(std::string_view route, double seconds);
  /// A final receipt matched a message.
  void receipt(std::string_view carrier, std::string_view route, receipt_kind kind);
  /// From submit_sm_resp OK to the final receipt, per carrier (route).
  void receipt_latency(std::string_view route, double seconds);
  /// A receipt that matched no message (an orphan), on the route whose bind delivered it.
  void receipt_unmatched(std::string_view route);
  /// A message queued again for another attempt: `reason` refused | outcome_unknown |
  /// failed_receipt.
  void retry(std::string_view reason);
  /// An attempt sent through another carrier than the previous one: `reason` as retry(), or
  /// route_down (its route had no bound link, it went with the carrier that claimed it),
  /// deadline (its route could not deliver it within its validity: docs/dispatcher.md).
  void reroute(std::string_view reason);
  /// A message ended (a DLR log outcome): `state` delivered | undeliverable | rejected |
  /// expired | outcome_unknown.
  void outcome(std::string_view state, std::string_view carrier, std::string_view priority);
  /// An API answer: `endpoint` as the API names it ("/v1/otp", ...; "none" for an unknown
  /// path), its HTTP status and how long the request took to handle.
  void api_response(std::string_view endpoint, int status, double seconds);

  // --- state, set at scrape time -----------------------------------------------------------
  struct queue_group {
    std::string_view state, carrier, priority;
    std::int64_t count = 0;
  };
  struct queue_view {
    bool up = false;  ///< the queue answered; if not, the other fields are not used
    std::vector<queue_group> groups;
    double oldest_queued_otp_age_seconds = 0;  ///< 0 when no OTP is queued
    double max_otp_validity_used = 0;          ///< 0..1: the queued OTP closest to expiry
  };
  void set_queue(queue_view const& q);

  struct carrier_view {
    std::string_view name;
    std::size_t bound_links = 0, links = 0;
    double cap = 0, current_rate = 0;  ///< SMS segments per second
    std::string_view window;  ///< the peak-hour window in force ("" outside windows)
    std::uint64_t throttled = 0, rate_cuts = 0;  ///< totals since start
  };
  void set_carrier(carrier_view const& c);
  /// The carriers configured now (each scrape): the state series (bound and configured links,
  /// cap, rate, peak window) of any other one, retired after a reload, go, so no stale value
  /// is left to alert on. Their counters stay (what they did since the start); set_carrier()
  /// brings a carrier's state back.
  void keep_carriers(std::span<std::string const> configured);

  /// The queue writer's totals since start (queue::commit_stats): fsync durations as
  /// histogram buckets (non-cumulative, one more than `bounds`), their sum in seconds.
  struct commit_view {
    std::span<double const> bounds;
    std::span<std::uint64_t const> buckets;
    double sync_seconds = 0;
    std::uint64_t sync_failures = 0, enqueue_commit_failures = 0;
    std::uint64_t hosted_rounds = 0;  ///< rounds the network thread ran (set_round_host)
    std::uint64_t checkpoints = 0;    ///< WAL checkpoints into the database file
  };
  void set_commits(commit_view const& c);

  /// Totals since start kept elsewhere (dispatcher_stats, http_server_stats).
  struct totals_view {
    std::uint64_t claimed = 0, receipts_held = 0, delivers_ignored = 0, expired_unsent = 0;
    std::uint64_t dispatch_queue_errors = 0;
    /// Answers the API's transport gives without a handler (endpoint "transport"): 503
    /// too_many_connections, 413 too_large, 400 bad_http.
    std::uint64_t api_rejected = 0, api_too_large = 0, api_bad_http = 0;
  };
  void set_totals(totals_view const& t);

  /// The Prometheus text exposition format (version 0.0.4) of everything.
  std::string text() const;
  /// Its Content-Type.
  static constexpr std::string_view content_type = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace smsgw
