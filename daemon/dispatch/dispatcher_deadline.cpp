// daemon/dispatch/dispatcher_deadline.cpp: deadline-aware routing (issue #13 §7), the dispatcher's
// part: per route, the OTPs ahead (queued in the database as housekeeping last counted them,
// and buffered), the effective rate (cap and throttled bucket, 0 while down) and the receipt
// latency learnt from receipts, put together by the pure daemon/dispatch/deadline_estimate.hpp.
// A claimed OTP its route cannot deliver within its validity (less the margin) goes to the
// first other route of it that can; housekeeping does the same for OTPs already buffered.
// Nothing here sends: an OTP past its validity is still dropped at hand-out (still_sendable).
#include "daemon/dispatch/dispatcher.hpp"

#include <cmath>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace smsgw {

namespace {
double seconds_left(queue::time_point expires_at, queue::time_point now) {
  return std::chrono::duration<double>(expires_at - now).count();
}
std::string seconds_text(double s) {
  return std::isfinite(s) ? fmt::format("{:.1f} s", s) : std::string("never (no bound link)");
}
}  // namespace

double dispatcher::route_rate(std::string const& carrier) {
  double const cap = schedule_for(carrier).cap;
  double const bucket = rate_reader_ ? rate_reader_(carrier) : cap;
  return effective_rate(is_up(carrier), cap, bucket);
}

route_estimate dispatcher::estimate_with(std::string const& carrier, std::size_t ahead) {
  return estimate_route(ahead, route_rate(carrier), latency_.seconds(carrier));
}

void dispatcher::learn_receipt_latencies(std::vector<queue::receipt_latency_sample> const& samples) {
  std::map<std::string, std::size_t, std::less<>> per_carrier;
  for (auto const& s : samples) {
    latency_.learn(s.carrier, std::chrono::duration<double>(s.latency).count());
    ++per_carrier[s.carrier];
  }
  for (auto const& [carrier, n] : per_carrier)
    spdlog::info("carrier {}: receipt latency {:.1f} s, from {} receipt(s) of the last run "
                 "(deadline-aware routing)", carrier, latency_.seconds(carrier), n);
}

std::int64_t dispatcher::queued_otps(std::string_view carrier) const {
  auto it = queued_otps_.find(carrier);
  return it == queued_otps_.end() ? 0 : it->second;
}

route_estimate dispatcher::estimate(std::string const& carrier) {
  std::size_t ahead = static_cast<std::size_t>(std::max<std::int64_t>(0, queued_otps(carrier)));
  if (auto it = sources_.find(carrier); it != sources_.end()) ahead += it->second->buffered_otps();
  return estimate_with(carrier, ahead);
}

std::optional<double> dispatcher::would_expire(std::string_view carrier,
                                               std::chrono::seconds validity) {
  std::vector<std::string> routes{std::string(carrier)};
  if (config_->deadline.enabled) {
    if (auto it = routes_.find(carrier); it != routes_.end()) routes = it->second;
  }
  double const margin = static_cast<double>(config_->deadline.margin.count());
  std::optional<double> best;
  for (auto const& r : routes) {
    if (!is_up(r)) continue;  // no estimate: when it binds again is not known
    auto const e = estimate(r);
    if (fits(e, static_cast<double>(validity.count()), margin)) return std::nullopt;
    if (!best || e.total_seconds() < *best) best = e.total_seconds();
  }
  return best;
}

dispatcher_source* dispatcher::deadline_route(queue::message const& m, dispatcher_source& target,
                                              queue::time_point now) {
  double const left = seconds_left(m.expires_at, now);
  double const margin = static_cast<double>(config_->deadline.margin.count());
  auto const here = estimate_with(target.carrier(), target.buffered_otps());
  if (fits(here, left, margin)) return nullptr;
  auto routes = routes_.find(m.carrier);
  if (routes == routes_.end()) return nullptr;
  for (auto const& r : routes->second) {
    if (r == target.carrier() || route_listed(m.filtered_routes, r)) continue;
    if (retry_left_route(m, r)) continue;  // not back where a retry moved it away from
    auto src = sources_.find(r);
    if (src == sources_.end()) continue;
    // The alternate's own queued OTPs come first in its claims: ahead of this one too.
    auto const queued = static_cast<std::size_t>(std::max<std::int64_t>(0, queued_otps(r)));
    auto const there = estimate_with(r, src->second->buffered_otps() + queued);
    if (!fits(there, left, margin)) continue;
    ++stats_.deadline_reroutes;
    if (metrics_) metrics_->reroute("deadline");
    spdlog::info("message {}: {} would take {} ({} OTP(s) ahead at {:.2f}/s, receipts in {:.1f} s) "
                 "with {:.0f} s of validity left; via {} ({})", m.id, target.carrier(),
                 seconds_text(here.total_seconds()), here.backlog_otp, here.rate,
                 here.receipt_latency_seconds, left, r, seconds_text(there.total_seconds()));
    return src->second.get();
  }
  return nullptr;
}

void dispatcher::reroute_buffered_by_deadline() {
  auto const now = queue::clock::now();
  for (auto& [name, source] : sources_) {
    if (source->buffered_otps() == 0) continue;
    auto otps = source->drain_priority(static_cast<int>(queue::priority::otp));
    // In hand-out order, pushed back one by one: each is judged behind those before it that
    // stayed (the buffer's OTP count is then exactly the OTPs ahead of it).
    for (auto& out : otps) {
      auto h = handed_out_.find(out.ref);
      auto* target = h == handed_out_.end() ? nullptr : deadline_route(h->second, *source, now);
      if (target == nullptr) {
        source->push(std::move(out));
        continue;
      }
      // Built for this route: with the new route's registered sender unless one was named.
      auto const* alt = config_->find_carrier(target->carrier());
      if (h->second.sender.empty() && alt) set_sender(out.submit, alt->sender);
      target->push(std::move(out));
    }
  }
}

}  // namespace smsgw
