// smpp/token_bucket.hpp: a token bucket with time passed in, plus an adaptive rate for
// carrier throttling (ESME_RTHROTTLED / ESME_RMSGQFUL): multiplicative decrease on a throttle
// signal, additive recovery per interval back to the configured cap (AIMD).
// A token is one SMS segment: the CALLER passes the segment count (a 3-part message costs 3);
// the bucket knows nothing of messages. One bucket per carrier, shared by its binds.
// Pure: no clock of its own, no locking (one owner thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace smsgw::smpp {

struct token_bucket_config {
  /// Configured cap in tokens (SMS segments) per second. Must be > 0.
  double rate = 100.0;
  /// Bucket capacity in tokens: how many may go back to back after an idle spell. Default 10.
  double burst = 10.0;
  /// Rate multiplier applied by on_throttled() (0 < f < 1). Default 0.5.
  double throttle_factor = 0.5;
  /// The rate never drops below this (tokens/s). Default 1.
  double min_rate = 1.0;
  /// Additive recovery: tokens/s added back every recovery_interval after a throttle, until
  /// the rate is back at `rate`. 0 means rate / 10 (ten steps from zero to cap). Default 0.
  double recovery_step = 0.0;
  /// How often the rate recovers by one step. Default 1 s.
  std::chrono::milliseconds recovery_interval{std::chrono::seconds(1)};
  /// Throttle signals within this time of the last cut are ignored: a whole window of
  /// throttled responses is one signal, not ten halvings. Default 1 s.
  std::chrono::milliseconds throttle_holdoff{std::chrono::seconds(1)};
  friend bool operator==(token_bucket_config const&, token_bucket_config const&) = default;
};

class token_bucket {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  /// Starts full (burst tokens) at the configured rate.
  token_bucket(token_bucket_config config, time_point now);

  /// Takes n tokens if available and returns true; otherwise takes nothing. A request larger
  /// than burst is allowed once the bucket is full and leaves it in debt (negative), so a
  /// long message is never starved; the debt delays what follows.
  bool try_take(std::uint32_t n, time_point now);

  /// How long until try_take(n) would succeed at the current rate (zero if now). An upper
  /// bound if the rate is recovering meanwhile; the caller re-checks after waiting.
  std::chrono::nanoseconds time_until(std::uint32_t n, time_point now) const;

  /// The carrier said ESME_RTHROTTLED / ESME_RMSGQFUL: cut the rate by throttle_factor
  /// (floored at min_rate), unless already cut within throttle_holdoff. Returns true if cut.
  bool on_throttled(time_point now);

  /// A new cap (`rate`, tokens/s > 0), e.g. at a peak-hour window's edge. Not throttled: the
  /// rate becomes the new cap at once. Throttled (recovering): the rate is kept if below the
  /// new cap (it recovers up to it, by cap / 10 per step unless a step was configured), else
  /// cut to it. Tokens already in the bucket stay (at most burst).
  void set_cap(double rate, time_point now);
  /// The configured cap in tokens/s (the last set_cap(), or config.rate).
  double cap() const noexcept { return config_.rate; }

  /// Current effective rate in tokens/s (recovered up to `now`).
  double rate(time_point now) const;
  /// Tokens available at `now` (may be negative after an oversize take).
  double tokens(time_point now) const;

 private:
  struct snapshot {
    double tokens;
    double rate;
    time_point last;
    std::optional<time_point> next_recovery;
  };
  snapshot advance(time_point now) const;
  void commit(snapshot const& s);

  token_bucket_config config_;
  bool derived_step_ = false;  // recovery_step was 0: it follows the cap (cap / 10)
  double tokens_;
  double rate_;
  time_point last_;
  std::optional<time_point> next_recovery_;  // set while below the cap
  std::optional<time_point> last_cut_;
};

}  // namespace smsgw::smpp
