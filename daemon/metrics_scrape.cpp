// daemon/metrics_scrape.cpp: see metrics_scrape.hpp.
#include "daemon/metrics_scrape.hpp"

#include <algorithm>

#include "daemon/api/http_server.hpp"
#include "daemon/dispatch/dispatcher.hpp"
#include "daemon/link/carrier.hpp"
#include "queue/group_commit.hpp"

namespace smsgw {

namespace {

/// The queue's part: messages waiting by state, carrier and priority, the oldest queued OTP.
metrics::queue_view queue_view_of(queue::result<std::vector<queue::live_group>> const& r,
                                  queue::time_point now) {
  metrics::queue_view v;
  if (!r) return v;  // up = false
  v.up = true;
  std::optional<queue::time_point> oldest;
  for (auto const& g : *r) {
    v.groups.push_back({queue::to_string(g.st), g.carrier, queue::to_string(g.prio), g.count});
    if (g.st != queue::state::queued || g.prio != queue::priority::otp) continue;
    if (!oldest || g.oldest_created < *oldest) oldest = g.oldest_created;
    v.max_otp_validity_used = std::max(v.max_otp_validity_used, g.max_validity_used);
  }
  if (oldest) v.oldest_queued_otp_age_seconds =
      std::max(0.0, std::chrono::duration<double>(now - *oldest).count());
  return v;
}

}  // namespace

boost::asio::awaitable<std::string> metrics_scrape::scrape() {
  auto const tick = std::chrono::steady_clock::now();
  if (queue_reader_.in_flight() || !last_queue_read_ ||
      tick - *last_queue_read_ >= std::chrono::seconds(1)) {
    if (!queue_reader_.in_flight()) last_queue_read_ = tick;
    auto r = co_await queue_reader_.read(queue::clock::now());
    // (group names point into r: used right here)
    metrics_.set_queue(r ? queue_view_of(r->groups, r->at) : metrics::queue_view{});
  }
  std::vector<std::string> shown;
  for (auto const& c : carriers_) {
    auto const& cfg = c->config();
    shown.push_back(cfg.name);
    auto const peak = disp_.peak_in_force(cfg.name);
    metrics_.set_carrier({.name = cfg.name,
                          .bound_links = c->bound_links(),
                          .links = c->links().size(),
                          .cap = peak.cap,
                          .current_rate = c->current_rate(),
                          .window = peak.window,
                          .throttled = c->stats().throttled,
                          .rate_cuts = c->stats().rate_cuts});
  }
  metrics_.keep_carriers(shown);  // a carrier retired after a reload: its state series go
  auto const commits = gc_.stats();
  metrics_.set_commits({.bounds = queue::commit_stats::sync_bucket_bounds,
                        .buckets = commits.buckets,
                        .sync_seconds = commits.sync_seconds,
                        .sync_failures = commits.sync_failures,
                        .enqueue_commit_failures = commits.enqueue_commit_failures,
                        .hosted_rounds = gc_.hosted_rounds(),
                        .checkpoints = gc_.checkpoints()});
  auto const& d = disp_.stats();
  auto const& h = api_.stats();
  metrics_.set_totals({.claimed = d.claimed,
                       .receipts_held = d.receipts_held,
                       .delivers_ignored = d.mo_ignored,
                       .expired_unsent = d.expired_unsent,
                       .dispatch_queue_errors = d.queue_errors,
                       .api_rejected = h.rejected,
                       .api_too_large = h.too_large,
                       .api_bad_http = h.bad_requests});
  co_return metrics_.text();
}

}  // namespace smsgw
