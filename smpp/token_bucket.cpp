// smpp/token_bucket.cpp: refill and AIMD rate recovery, computed lazily from the time
// passed in. Within one call tokens refill at the rate in effect at the start of the
// elapsed span, then the rate recovers; the error is at most one recovery step over that span.
#include "smpp/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace smsgw::smpp {
namespace {
// Refill is floating point: 10 ms at 100/s may come out as 0.9999999999 tokens. A token
// counts as there when it is within this tolerance, so time_until() is exact in practice.
constexpr double epsilon = 1e-9;
}  // namespace

token_bucket::token_bucket(token_bucket_config config, time_point now)
    : config_(config), tokens_(0), rate_(0), last_(now) {
  if (!(config_.rate > 0)) config_.rate = 1.0;
  if (!(config_.burst >= 1)) config_.burst = 1.0;
  if (!(config_.throttle_factor > 0 && config_.throttle_factor < 1)) config_.throttle_factor = 0.5;
  config_.min_rate = std::clamp(config_.min_rate, 1e-3, config_.rate);
  derived_step_ = !(config_.recovery_step > 0);
  if (derived_step_) config_.recovery_step = config_.rate / 10.0;
  if (config_.recovery_interval.count() <= 0) config_.recovery_interval = std::chrono::seconds(1);
  tokens_ = config_.burst;
  rate_ = config_.rate;
}

token_bucket::snapshot token_bucket::advance(time_point now) const {
  snapshot s{tokens_, rate_, last_, next_recovery_};
  if (now <= s.last) return s;
  double const elapsed = std::chrono::duration<double>(now - s.last).count();
  s.tokens = std::min(config_.burst, s.tokens + elapsed * s.rate);
  s.last = now;
  if (s.next_recovery && now >= *s.next_recovery) {
    auto const interval = config_.recovery_interval;
    auto const steps = (now - *s.next_recovery) / interval + 1;
    s.rate = std::min(config_.rate, s.rate + static_cast<double>(steps) * config_.recovery_step);
    if (s.rate >= config_.rate)
      s.next_recovery.reset();
    else
      *s.next_recovery += steps * interval;
  }
  return s;
}

void token_bucket::commit(snapshot const& s) {
  tokens_ = s.tokens;
  rate_ = s.rate;
  last_ = s.last;
  next_recovery_ = s.next_recovery;
}

bool token_bucket::try_take(std::uint32_t n, time_point now) {
  snapshot s = advance(now);
  double const need = std::min(static_cast<double>(n), config_.burst);
  bool const ok = s.tokens + epsilon >= need;
  if (ok) s.tokens -= static_cast<double>(n);
  commit(s);
  return ok;
}

std::chrono::nanoseconds token_bucket::time_until(std::uint32_t n, time_point now) const {
  snapshot const s = advance(now);
  double const need = std::min(static_cast<double>(n), config_.burst);
  if (s.tokens + epsilon >= need) return std::chrono::nanoseconds(0);
  double const seconds = (need - s.tokens) / s.rate;
  return std::chrono::nanoseconds(static_cast<std::int64_t>(std::ceil(seconds * 1e9)));
}

bool token_bucket::on_throttled(time_point now) {
  snapshot s = advance(now);
  commit(s);
  if (last_cut_ && now - *last_cut_ < config_.throttle_holdoff) return false;
  last_cut_ = now;
  rate_ = std::max(config_.min_rate, rate_ * config_.throttle_factor);
  // A throttled SMSC also wants the burst we were about to send held back.
  tokens_ = std::min(tokens_, 0.0);
  next_recovery_ = now + config_.recovery_interval;
  return true;
}

void token_bucket::set_cap(double rate, time_point now) {
  if (!(rate > 0)) return;
  commit(advance(now));
  config_.rate = rate;
  config_.min_rate = std::min(config_.min_rate, rate);
  if (derived_step_) config_.recovery_step = rate / 10.0;
  if (!next_recovery_ || rate_ >= rate) {
    rate_ = rate;
    next_recovery_.reset();
  }
}

double token_bucket::rate(time_point now) const {
  return advance(now).rate;
}

double token_bucket::tokens(time_point now) const {
  return advance(now).tokens;
}

}  // namespace smsgw::smpp
