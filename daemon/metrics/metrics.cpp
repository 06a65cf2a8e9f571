// daemon/metrics/metrics.cpp: the families, their help texts and buckets, and how scrape-time
// totals become counters (raised to the total, never lowered: the totals only grow). The events
// find their series through series_cache.hpp (no Family::Add per event).
#include "daemon/metrics/metrics.hpp"

#include <algorithm>
#include <map>
#include <array>
#include <charconv>
#include <mutex>
#include <set>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "daemon/metrics/series_cache.hpp"

namespace smsgw {

namespace pm = prometheus;

std::string_view to_string(receipt_kind k) noexcept {
  switch (k) {
    case receipt_kind::delivered: return "delivered";
    case receipt_kind::undeliverable: return "undeliverable";
    case receipt_kind::rejected: return "rejected";
    case receipt_kind::filtered: return "filtered";
    case receipt_kind::no_receipt: return "no_receipt";
  }
  return "unknown";
}

namespace {

std::string s(std::string_view v) { return std::string(v); }

/// Accepted -> submit_sm_resp: a queue commit, a claim, tokens, a round trip; seconds when
/// throttled or waiting for a bind.
pm::Histogram::BucketBoundaries const submit_buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                     1, 2.5, 5, 10, 30, 60, 300};
/// submit_sm_resp -> final receipt: the handset's network; minutes when it is off.
pm::Histogram::BucketBoundaries const receipt_buckets{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
                                                      120, 300, 600, 1800, 3600};
/// The API's handling: a durable commit (an fsync) for a POST.
pm::Histogram::BucketBoundaries const api_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                  0.05, 0.1, 0.25, 0.5, 1, 2.5};

constexpr std::array<std::string_view, 3> submit_results{"accepted", "refused", "unknown"};
constexpr std::array<std::string_view, 5> retry_reasons{"refused", "outcome_unknown",
                                                        "failed_receipt", "filtered", "no_receipt"};
constexpr std::array<std::string_view, 5> outcome_states{"delivered", "undeliverable", "rejected",
                                                         "expired", "outcome_unknown"};
constexpr std::array<std::string_view, 3> waiting_states{"queued", "in_flight", "outcome_unknown"};
constexpr std::array<std::string_view, 3> priorities{"otp", "transactional", "bulk"};
constexpr std::array<receipt_kind, 5> receipt_kinds{receipt_kind::delivered,
                                                    receipt_kind::undeliverable,
                                                    receipt_kind::rejected, receipt_kind::filtered,
                                                    receipt_kind::no_receipt};

/// A counter raised to a total kept elsewhere.
void raise_to(pm::Counter& c, double total) {
  double const now = c.Value();
  if (total > now) c.Increment(total - now);
}

}  // namespace

struct metrics::impl {
  pm::Registry registry;
  pm::Family<pm::Counter>& submits = pm::BuildCounter().Name("smsgw_submits_total")
      .Help("submit_sm answered, by the message's carrier, the route (carrier) that sent it and "
            "the result: accepted (submit_sm_resp OK), refused (another status; throttling is "
            "not counted here), unknown (no answer)").Register(registry);
  pm::Family<pm::Histogram>& submit_latency = pm::BuildHistogram()
      .Name("smsgw_submit_latency_seconds")
      .Help("From acceptance by the API to the SMSC's submit_sm_resp OK, per route (carrier)")
      .Register(registry);
  pm::Family<pm::Counter>& receipts = pm::BuildCounter().Name("smsgw_receipt_outcomes_total")
      .Help("Final delivery receipts matched to a message, by the message's carrier, the route "
            "whose SMSC sent it and the outcome (filtered: classed so by the route's "
            "filtered_errors; no_receipt: none came by the attempt's receipt deadline)")
      .Register(registry);
  pm::Family<pm::Histogram>& receipt_latency = pm::BuildHistogram()
      .Name("smsgw_receipt_latency_seconds")
      .Help("From the submit_sm_resp OK to the final receipt, per route (carrier)")
      .Register(registry);
  pm::Family<pm::Counter>& unmatched = pm::BuildCounter()
      .Name("smsgw_receipts_unmatched_total")
      .Help("Receipts that matched no message (orphans, id=0 in the DLR log), per route")
      .Register(registry);
  pm::Family<pm::Counter>& retries = pm::BuildCounter().Name("smsgw_retries_total")
      .Help("Messages queued again for another attempt, by reason").Register(registry);
  pm::Family<pm::Counter>& reroutes = pm::BuildCounter().Name("smsgw_reroutes_total")
      .Help("Attempts sent through another carrier than the one before, by reason")
      .Register(registry);
  pm::Family<pm::Counter>& outcomes = pm::BuildCounter().Name("smsgw_message_outcomes_total")
      .Help("Messages that ended (DLR log lines), by state, carrier and priority")
      .Register(registry);
  pm::Family<pm::Counter>& api_responses = pm::BuildCounter().Name("smsgw_api_responses_total")
      .Help("API answers by endpoint and HTTP status (endpoint none: an unknown path; "
            "transport: 400 bad_http, 413, 503 too_many_connections)").Register(registry);
  pm::Family<pm::Histogram>& api_latency = pm::BuildHistogram()
      .Name("smsgw_api_request_duration_seconds")
      .Help("Time to handle an API request, from its complete arrival to its answer, by "
            "endpoint").Register(registry);

  pm::Family<pm::Gauge>& queue_up = pm::BuildGauge().Name("smsgw_queue_up")
      .Help("1 if the queue answered this scrape's read through its writer, else 0")
      .Register(registry);
  pm::Family<pm::Gauge>& queue_messages = pm::BuildGauge().Name("smsgw_queue_messages")
      .Help("Messages not yet accepted by an SMSC, by state, carrier and priority")
      .Register(registry);
  pm::Family<pm::Gauge>& oldest_otp = pm::BuildGauge()
      .Name("smsgw_queue_oldest_otp_age_seconds")
      .Help("Age of the oldest queued OTP (0 if none)").Register(registry);
  pm::Family<pm::Gauge>& otp_validity = pm::BuildGauge()
      .Name("smsgw_queue_otp_validity_used_ratio")
      .Help("Largest share of its validity a queued OTP has used waiting (0..1; 0 if none)")
      .Register(registry);
  pm::Family<pm::Histogram>& fsync = pm::BuildHistogram()
      .Name("smsgw_queue_fsync_duration_seconds")
      .Help("fsync of the queue's WAL (pipelined commits, synchronous = full)")
      .Register(registry);
  pm::Family<pm::Counter>& fsync_failures = pm::BuildCounter()
      .Name("smsgw_queue_fsync_failures_total")
      .Help("Failed fsyncs of the queue's WAL (after one, nothing is acknowledged: restart)")
      .Register(registry);
  pm::Family<pm::Counter>& commit_failures = pm::BuildCounter()
      .Name("smsgw_queue_commit_failures_total")
      .Help("Enqueue transactions that did not commit (every request in them got 503)")
      .Register(registry);
  pm::Family<pm::Counter>& hosted_rounds = pm::BuildCounter()
      .Name("smsgw_queue_hosted_rounds_total")
      .Help("Rounds of queue work the network thread ran itself (low rates: no writer wake-up)")
      .Register(registry);
  pm::Family<pm::Counter>& checkpoints = pm::BuildCounter()
      .Name("smsgw_queue_checkpoints_total")
      .Help("Checkpoints of the queue's WAL into its database file (the writer's, after a round)")
      .Register(registry);
  pm::Family<pm::Counter>& dispatch_errors = pm::BuildCounter()
      .Name("smsgw_dispatch_queue_errors_total")
      .Help("Queue operations of the dispatcher that failed (claims, submit results, receipts)")
      .Register(registry);
  pm::Family<pm::Counter>& claimed = pm::BuildCounter().Name("smsgw_messages_claimed_total")
      .Help("Messages claimed from the queue for sending (every attempt)").Register(registry);
  pm::Family<pm::Counter>& held = pm::BuildCounter().Name("smsgw_receipts_held_total")
      .Help("Receipts held because they overtook their submit_sm_resp").Register(registry);
  pm::Family<pm::Counter>& ignored = pm::BuildCounter().Name("smsgw_delivers_ignored_total")
      .Help("deliver_sm/data_sm that were no readable receipt (MO messages, garbage)")
      .Register(registry);
  pm::Family<pm::Counter>& expired_unsent = pm::BuildCounter()
      .Name("smsgw_expired_unsent_total")
      .Help("Claimed messages whose validity ran out before they could be written to a link")
      .Register(registry);

  pm::Family<pm::Gauge>& bound = pm::BuildGauge().Name("smsgw_carrier_bound_links")
      .Help("Links of the carrier bound now").Register(registry);
  pm::Family<pm::Gauge>& links = pm::BuildGauge().Name("smsgw_carrier_links")
      .Help("Links (connections) configured for the carrier").Register(registry);
  pm::Family<pm::Gauge>& cap = pm::BuildGauge()
      .Name("smsgw_carrier_throughput_cap_segments_per_second")
      .Help("The carrier's throughput cap in force (the peak-hour window's, else its throughput), in SMS segments per second")
      .Register(registry);
  pm::Family<pm::Gauge>& window = pm::BuildGauge()
      .Name("smsgw_carrier_peak_window")
      .Help("1 for the carrier's peak-hour window in force (label window; \"none\" outside windows)")
      .Register(registry);
  std::map<std::string, pm::Gauge*, std::less<>> window_in_force;  // carrier -> its series
  std::set<std::string, std::less<>> state_carriers;  // carriers with state series (keep_carriers)
  pm::Family<pm::Gauge>& rate = pm::BuildGauge()
      .Name("smsgw_carrier_throughput_segments_per_second")
      .Help("The rate the carrier's token bucket allows now (below the cap after throttling)")
      .Register(registry);
  pm::Family<pm::Counter>& throttled = pm::BuildCounter()
      .Name("smsgw_throttle_responses_total")
      .Help("ESME_RTHROTTLED / ESME_RMSGQFUL answers of the carrier's SMSC (retried, not failed)")
      .Register(registry);
  pm::Family<pm::Counter>& rate_cuts = pm::BuildCounter().Name("smsgw_carrier_rate_cuts_total")
      .Help("Times the carrier's rate was cut after throttling").Register(registry);

  std::mutex commit_mutex;  // last_* below
  std::vector<std::uint64_t> last_sync_buckets;
  double last_sync_seconds = 0;

  // The series the events hit (per message, per API answer), found without Family::Add.
  series_cache<pm::Counter, 3> submits_by{submits, {"carrier", "route", "result"}};
  series_cache<pm::Histogram, 1> submit_latency_by{submit_latency, {"route"}};
  series_cache<pm::Counter, 3> receipts_by{receipts, {"carrier", "route", "outcome"}};
  series_cache<pm::Histogram, 1> receipt_latency_by{receipt_latency, {"route"}};
  series_cache<pm::Counter, 1> unmatched_by{unmatched, {"route"}};
  series_cache<pm::Counter, 1> retries_by{retries, {"reason"}};
  series_cache<pm::Counter, 1> reroutes_by{reroutes, {"reason"}};
  series_cache<pm::Counter, 3> outcomes_by{outcomes, {"state", "carrier", "priority"}};
  series_cache<pm::Counter, 2> api_responses_by{api_responses, {"endpoint", "status"}};
  series_cache<pm::Histogram, 1> api_latency_by{api_latency, {"endpoint"}};
};

metrics::metrics(std::vector<std::string> const& carriers) : impl_(std::make_unique<impl>()) {
  auto& m = *impl_;
  for (auto r : retry_reasons) {
    m.retries.Add({{"reason", s(r)}});
    m.reroutes.Add({{"reason", s(r)}});
  }
  m.reroutes.Add({{"reason", "route_down"}});
  m.reroutes.Add({{"reason", "deadline"}});
  m.queue_up.Add({});
  m.oldest_otp.Add({});
  m.otp_validity.Add({});
  // smsgw_queue_fsync_duration_seconds: created by the first set_commits(), with the queue's
  // bucket bounds (every scrape calls it before text()).
  m.fsync_failures.Add({});
  m.commit_failures.Add({});
  m.hosted_rounds.Add({});
  m.checkpoints.Add({});
  m.dispatch_errors.Add({});
  m.claimed.Add({});
  m.held.Add({});
  m.ignored.Add({});
  m.expired_unsent.Add({});
  for (auto const& c : carriers) {
    for (auto r : submit_results) m.submits.Add({{"carrier", c}, {"route", c}, {"result", s(r)}});
    for (auto k : receipt_kinds)
      m.receipts.Add({{"carrier", c}, {"route", c}, {"outcome", s(to_string(k))}});
    m.submit_latency.Add({{"route", c}}, submit_buckets);
    m.receipt_latency.Add({{"route", c}}, receipt_buckets);
    m.unmatched.Add({{"route", c}});
    for (auto st : outcome_states)
      for (auto p : priorities)
        m.outcomes.Add({{"state", s(st)}, {"carrier", c}, {"priority", s(p)}});
    for (auto st : waiting_states)
      for (auto p : priorities)
        m.queue_messages.Add({{"state", s(st)}, {"carrier", c}, {"priority", s(p)}});
    m.bound.Add({{"carrier", c}});
    m.links.Add({{"carrier", c}});
    m.cap.Add({{"carrier", c}});
    m.rate.Add({{"carrier", c}});
    m.throttled.Add({{"carrier", c}});
    m.rate_cuts.Add({{"carrier", c}});
    m.state_carriers.insert(c);
  }
}

metrics::~metrics() = default;

void metrics::submit(std::string_view carrier, std::string_view route, std::string_view result) {
  impl_->submits_by.get({carrier, route, result}).Increment();
}

void metrics::submit_latency(std::string_view route, double seconds) {
  impl_->submit_latency_by.get({route}, submit_buckets).Observe(std::max(seconds, 0.0));
}

void metrics::receipt(std::string_view carrier, std::string_view route, receipt_kind kind) {
  impl_->receipts_by.get({carrier, route, to_string(kind)}).Increment();
}

void metrics::receipt_latency(std::string_view route, double seconds) {
  impl_->receipt_latency_by.get({route}, receipt_buckets).Observe(std::max(seconds, 0.0));
}

void metrics::receipt_unmatched(std::string_view route) {
  impl_->unmatched_by.get({route}).Increment();
}

void metrics::retry(std::string_view reason) { impl_->retries_by.get({reason}).Increment(); }

void metrics::reroute(std::string_view reason) { impl_->reroutes_by.get({reason}).Increment(); }

void metrics::outcome(std::string_view state, std::string_view carrier, std::string_view priority) {
  impl_->outcomes_by.get({state, carrier, priority}).Increment();
}

void metrics::api_response(std::string_view endpoint, int status, double seconds) {
  std::string_view const ep = endpoint.empty() ? std::string_view("none") : endpoint;
  char digits[16];
  auto const end = std::to_chars(digits, digits + sizeof digits, status).ptr;
  std::string_view const code(digits, static_cast<std::size_t>(end - digits));
  impl_->api_responses_by.get({ep, code}).Increment();
  impl_->api_latency_by.get({ep}, api_buckets).Observe(std::max(seconds, 0.0));
}

void metrics::set_queue(queue_view const& q) {
  auto& m = *impl_;
  m.queue_up.Add({}).Set(q.up ? 1 : 0);
  if (!q.up) return;  // the last values stay: better than zeros that look like an empty queue
  // Every series seen so far goes to 0 unless a group names it: a group that emptied is 0.
  for (auto const& f : m.queue_messages.Collect())
    for (auto const& cm : f.metric) {
      pm::Labels l;
      for (auto const& lp : cm.label) l.emplace(lp.name, lp.value);
      m.queue_messages.Add(l).Set(0);
    }
  for (auto const& g : q.groups)
    m.queue_messages.Add({{"state", s(g.state)}, {"carrier", s(g.carrier)},
                          {"priority", s(g.priority)}}).Set(static_cast<double>(g.count));
  m.oldest_otp.Add({}).Set(q.oldest_queued_otp_age_seconds);
  m.otp_validity.Add({}).Set(q.max_otp_validity_used);
}

void metrics::set_carrier(carrier_view const& c) {
  auto& m = *impl_;
  pm::Labels const l{{"carrier", s(c.name)}};
  if (m.state_carriers.find(c.name) == m.state_carriers.end()) m.state_carriers.insert(s(c.name));
  m.bound.Add(l).Set(static_cast<double>(c.bound_links));
  m.links.Add(l).Set(static_cast<double>(c.links));
  m.cap.Add(l).Set(c.cap);
  m.rate.Add(l).Set(c.current_rate);
  // One series per carrier: the one of the window that ended goes.
  auto& series = m.window.Add({{"carrier", s(c.name)}, {"window", c.window.empty() ? "none" : s(c.window)}});
  auto [at, added] = m.window_in_force.try_emplace(s(c.name), &series);
  if (!added && at->second != &series) {
    m.window.Remove(at->second);
    at->second = &series;
  }
  series.Set(1);
  raise_to(m.throttled.Add(l), static_cast<double>(c.throttled));
  raise_to(m.rate_cuts.Add(l), static_cast<double>(c.rate_cuts));
}

void metrics::keep_carriers(std::span<std::string const> configured) {
  auto& m = *impl_;
  for (auto it = m.state_carriers.begin(); it != m.state_carriers.end();) {
    if (std::find(configured.begin(), configured.end(), *it) != configured.end()) {
      ++it;
      continue;
    }
    pm::Labels const l{{"carrier", *it}};
    // (Add() finds the series; Remove() drops it.)
    for (auto* family : {&m.bound, &m.links, &m.cap, &m.rate}) family->Remove(&family->Add(l));
    if (auto at = m.window_in_force.find(*it); at != m.window_in_force.end()) {
      m.window.Remove(at->second);
      m.window_in_force.erase(at);
    }
    it = m.state_carriers.erase(it);
  }
}

void metrics::set_commits(commit_view const& c) {
  auto& m = *impl_;
  raise_to(m.fsync_failures.Add({}), static_cast<double>(c.sync_failures));
  raise_to(m.commit_failures.Add({}), static_cast<double>(c.enqueue_commit_failures));
  raise_to(m.hosted_rounds.Add({}), static_cast<double>(c.hosted_rounds));
  raise_to(m.checkpoints.Add({}), static_cast<double>(c.checkpoints));
  if (c.buckets.size() != c.bounds.size() + 1) return;
  std::lock_guard lock(m.commit_mutex);
  pm::Histogram::BucketBoundaries bounds(c.bounds.begin(), c.bounds.end());
  auto& h = m.fsync.Add({}, bounds);
  m.last_sync_buckets.resize(c.buckets.size(), 0);
  std::vector<double> increments(c.buckets.size(), 0);
  bool any = false;
  for (std::size_t i = 0; i < c.buckets.size(); ++i) {
    auto const before = m.last_sync_buckets[i];
    if (c.buckets[i] > before) {
      increments[i] = static_cast<double>(c.buckets[i] - before);
      any = true;
    }
    m.last_sync_buckets[i] = std::max(before, c.buckets[i]);
  }
  double const sum = std::max(c.sync_seconds - m.last_sync_seconds, 0.0);
  m.last_sync_seconds = std::max(m.last_sync_seconds, c.sync_seconds);
  if (any) h.ObserveMultiple(increments, sum);
}

void metrics::set_totals(totals_view const& t) {
  auto& m = *impl_;
  raise_to(m.claimed.Add({}), static_cast<double>(t.claimed));
  raise_to(m.held.Add({}), static_cast<double>(t.receipts_held));
  raise_to(m.ignored.Add({}), static_cast<double>(t.delivers_ignored));
  raise_to(m.expired_unsent.Add({}), static_cast<double>(t.expired_unsent));
  raise_to(m.dispatch_errors.Add({}), static_cast<double>(t.dispatch_queue_errors));
  auto transport = [&](int status, std::uint64_t total) {
    if (total == 0) return;  // no series for answers never given
    raise_to(m.api_responses.Add({{"endpoint", "transport"}, {"status", std::to_string(status)}}),
             static_cast<double>(total));
  };
  transport(503, t.api_rejected);
  transport(413, t.api_too_large);
  transport(400, t.api_bad_http);
}

std::string metrics::text() const {
  return pm::TextSerializer().Serialize(impl_->registry.Collect());
}

}  // namespace smsgw
