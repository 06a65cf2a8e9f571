// bench/loadgen/request_maker.hpp: the requests of a run, one after another: which endpoint
// and priority (drawn by the mix's weights), which number (from the counter, by the prefixes'
// weights), and the JSON body. Pure and deterministic for a seed, so two runs send the same
// traffic. The OTP code is drawn too and only ever put in the body, never returned for logging.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "bench/loadgen/loadgen_options.hpp"

namespace smsgw::loadgen {

enum class priority { otp, transactional, bulk };

std::string_view priority_name(priority p) noexcept;

struct request {
  std::uint64_t index = 0;  ///< 0, 1, 2, ... in the order made
  priority prio = priority::otp;
  std::string target;       ///< "/v1/otp" or "/v1/messages"
  std::string to;           ///< the number, national form ("0812…")
  std::string body;         ///< the JSON body (holds the code or text: never log it)
};

class request_maker {
 public:
  explicit request_maker(options const& o);
  request next();

  /// The subscriber part of the k-th number (k counted from --first-number), `digits` long.
  /// scattered: k times an odd multiplier not divisible by 5, modulo 10^digits, a bijection on
  /// 0..10^digits-1, so consecutive requests land in different number ranges.
  static std::uint64_t subscriber(std::uint64_t k, unsigned digits, number_order order) noexcept;

 private:
  options const& o_;
  std::mt19937_64 rng_;
  std::uint64_t index_ = 0;
  std::uint64_t prefix_total_ = 0;
};

}  // namespace smsgw::loadgen
