// bench/loadgen/latency_summary.hpp: the figures of a run: answers counted by status, the
// accepted rate, and percentiles of the time to a 202. Pure; the percentile is the
// nearest-rank one (the smallest sample with at least p% of the samples at or below it), so
// p99 of 100 samples is the 99th smallest and p100 the largest.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace smsgw::loadgen {

/// Nearest-rank percentile of `sorted` (ascending), p in (0, 100]; 0 for no samples.
double percentile(std::vector<double> const& sorted, double p) noexcept;

struct run_summary {
  std::string label;
  std::string mode;                      ///< "closed" or "paced"
  double rate = 0;                       ///< asked-for rate (paced)
  unsigned clients = 0;
  std::uint64_t sent = 0;                ///< requests whose answer (or failure) was seen
  std::map<int, std::uint64_t> statuses; ///< HTTP status -> count
  std::uint64_t transport_errors = 0;    ///< connect/write/read failures and timeouts
  double elapsed_s = 0;                  ///< first request to last answer
  double max_lag_ms = 0;                 ///< paced: worst start after the planned time
  std::vector<double> accepted_latency_ms;  ///< one per 202, any order

  std::uint64_t accepted() const noexcept;   ///< 202s
  double accepted_per_s() const noexcept;    ///< 202s / elapsed_s
};

/// Human-readable, a few lines.
std::string format_text(run_summary s);
/// One JSON object (see bench/README.md for its fields).
std::string format_json(run_summary s);

}  // namespace smsgw::loadgen
