// bench/loadgen/latency_summary.cpp: the run's figures (see the header).
#include "bench/loadgen/latency_summary.hpp"

#include <algorithm>
#include <cmath>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace smsgw::loadgen {

double percentile(std::vector<double> const& sorted, double p) noexcept {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

std::uint64_t run_summary::accepted() const noexcept {
  auto it = statuses.find(202);
  return it == statuses.end() ? 0 : it->second;
}

double run_summary::accepted_per_s() const noexcept {
  return elapsed_s > 0 ? static_cast<double>(accepted()) / elapsed_s : 0;
}

namespace {
constexpr double shown_percentiles[] = {50, 90, 99, 99.9};
}

std::string format_text(run_summary s) {
  std::sort(s.accepted_latency_ms.begin(), s.accepted_latency_ms.end());
  std::string statuses;
  for (auto [code, n] : s.statuses) statuses += fmt::format(" {}:{}", code, n);
  std::string out = fmt::format(
      "loadgen{}: {} mode{}, {} clients: {} requests in {:.2f} s, {} accepted (202) = {:.1f} msg/s\n"
      "  statuses:{}{}, transport errors: {}\n",
      s.label.empty() ? "" : " " + s.label, s.mode,
      s.mode == "paced" ? fmt::format(" at {:g}/s", s.rate) : "", s.clients, s.sent, s.elapsed_s,
      s.accepted(), s.accepted_per_s(), statuses.empty() ? " none" : "", statuses, s.transport_errors);
  if (s.mode == "paced") out += fmt::format("  worst start behind schedule: {:.1f} ms\n", s.max_lag_ms);
  auto const& l = s.accepted_latency_ms;
  out += fmt::format("  202 latency ms: p50 {:.2f}  p90 {:.2f}  p99 {:.2f}  p99.9 {:.2f}  max {:.2f}\n",
                     percentile(l, 50), percentile(l, 90), percentile(l, 99), percentile(l, 99.9),
                     l.empty() ? 0.0 : l.back());
  return out;
}

std::string format_json(run_summary s) {
  std::sort(s.accepted_latency_ms.begin(), s.accepted_latency_ms.end());
  boost::json::object statuses;
  for (auto [code, n] : s.statuses) statuses[std::to_string(code)] = n;
  boost::json::object latency;
  for (double p : shown_percentiles) latency[fmt::format("p{:g}", p)] = percentile(s.accepted_latency_ms, p);
  latency["max"] = s.accepted_latency_ms.empty() ? 0.0 : s.accepted_latency_ms.back();
  boost::json::object o{{"label", s.label},
                        {"mode", s.mode},
                        {"rate", s.rate},
                        {"clients", s.clients},
                        {"sent", s.sent},
                        {"accepted", s.accepted()},
                        {"accepted_per_s", s.accepted_per_s()},
                        {"elapsed_s", s.elapsed_s},
                        {"statuses", std::move(statuses)},
                        {"transport_errors", s.transport_errors},
                        {"max_lag_ms", s.max_lag_ms},
                        {"latency_ms", std::move(latency)}};
  return boost::json::serialize(o);
}

}  // namespace smsgw::loadgen
