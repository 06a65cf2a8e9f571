// daemon/dispatch/deadline_estimate.cpp: see deadline_estimate.hpp.
#include "daemon/dispatch/deadline_estimate.hpp"

#include <algorithm>
#include <cmath>

namespace smsgw {

double effective_rate(bool up, double cap, double bucket_rate) noexcept {
  if (!up) return 0;
  double const r = std::min(cap, bucket_rate);
  return std::isfinite(r) && r > 0 ? r : 0;
}

route_estimate estimate_route(std::size_t backlog_otp, double rate,
                              double receipt_latency_seconds) noexcept {
  route_estimate e;
  e.backlog_otp = backlog_otp;
  e.rate = rate > 0 && std::isfinite(rate) ? rate : 0;
  e.receipt_latency_seconds = std::max(0.0, receipt_latency_seconds);
  if (e.rate > 0) e.wait_seconds = static_cast<double>(backlog_otp) / e.rate;
  return e;
}

bool fits(route_estimate const& e, double seconds_left, double margin_seconds) noexcept {
  double const total = e.total_seconds();
  return std::isfinite(total) && total + margin_seconds <= seconds_left;
}

void receipt_latency_learner::submitted(std::int64_t id, time_point at) {
  pending_[id] = at;
  while (pending_.size() > max_pending_) pending_.erase(pending_.begin());
}

std::optional<double> receipt_latency_learner::receipt(std::int64_t id, std::string_view carrier,
                                                       time_point at,
                                                       std::optional<time_point> sent_at) {
  auto it = pending_.find(id);
  if (it == pending_.end() && !sent_at) return std::nullopt;
  auto const from = it != pending_.end() ? it->second : *sent_at;
  double const latency = std::max(0.0, std::chrono::duration<double>(at - from).count());
  if (it != pending_.end()) pending_.erase(it);
  learn(carrier, latency);
  return latency;
}

void receipt_latency_learner::learn(std::string_view carrier, double latency_seconds) {
  auto avg = per_carrier_.find(carrier);
  if (avg == per_carrier_.end()) avg = per_carrier_.emplace(std::string(carrier), average{}).first;
  double const sample = std::clamp(latency_seconds, 0.0, max_sample_seconds);
  auto& a = avg->second;
  a.seconds = a.samples == 0 ? sample : newest_weight * sample + (1 - newest_weight) * a.seconds;
  ++a.samples;
}

double receipt_latency_learner::seconds(std::string_view carrier) const {
  auto it = per_carrier_.find(carrier);
  return it == per_carrier_.end() ? prior_seconds : it->second.seconds;
}

std::uint64_t receipt_latency_learner::samples(std::string_view carrier) const {
  auto it = per_carrier_.find(carrier);
  return it == per_carrier_.end() ? 0 : it->second.samples;
}

}  // namespace smsgw
