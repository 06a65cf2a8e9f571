// smpp/backoff.cpp: the ceiling grows in floating point and is capped before converting
// back, so any number of failures neither overflows nor wraps.
#include "smpp/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

namespace smsgw::smpp {
namespace {

backoff::random_source default_random() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

std::chrono::milliseconds scale(std::chrono::milliseconds d, double f) {
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(
      std::llround(static_cast<double>(d.count()) * f)));
}

}  // namespace

backoff::backoff(backoff_config config, random_source random)
    : config_(config), random_(random ? std::move(random) : default_random()) {
  if (config_.multiplier < 1.0) config_.multiplier = 1.0;
  config_.min_delay = std::max(config_.min_delay, std::chrono::milliseconds(0));
  config_.initial = std::max(config_.initial, config_.min_delay);
  config_.max = std::max(config_.max, config_.initial);
}

std::chrono::milliseconds backoff::ceiling() const noexcept {
  double const grown = static_cast<double>(config_.initial.count()) *
                       std::pow(config_.multiplier, static_cast<double>(attempt_));
  double const capped = std::min(grown, static_cast<double>(config_.max.count()));
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(capped));
}

std::chrono::milliseconds backoff::next(bool credential_error) {
  double const r = std::clamp(random_(), 0.0, 1.0);
  if (credential_error) return scale(config_.credential_delay, 0.5 + 0.5 * r);
  auto const ceil = ceiling();
  if (attempt_ < 64) ++attempt_;
  return std::max(config_.min_delay, scale(ceil, r));
}

}  // namespace smsgw::smpp
