// smpp/backoff.hpp: reconnect/rebind delays: capped exponential backoff with full jitter
// (delay uniform in [min_delay, min(max, initial * multiplier^attempt)]), and a slow,
// fixed schedule for credential errors (retrying a wrong password fast only gets the
// address banned). The random source is injected so tests are deterministic.
// Pure: the caller sleeps; this only computes how long.
#pragma once

#include <chrono>
#include <functional>

namespace smsgw::smpp {

struct backoff_config {
  /// Ceiling of the first delay. Default 1 s.
  std::chrono::milliseconds initial{std::chrono::seconds(1)};
  /// Cap of the ceiling. Default 60 s.
  std::chrono::milliseconds max{std::chrono::seconds(60)};
  /// Growth of the ceiling per consecutive failure. Default 2.
  double multiplier = 2.0;
  /// Lower bound of any delay, so a jitter draw near 0 never reconnects in a tight loop.
  /// Default 100 ms.
  std::chrono::milliseconds min_delay{std::chrono::milliseconds(100)};
  /// Delay after a credential error (RINVPASWD, RINVSYSID, RINVSYSTYP): drawn uniformly from
  /// [credential_delay / 2, credential_delay]. Default 10 min.
  std::chrono::milliseconds credential_delay{std::chrono::minutes(10)};
  friend bool operator==(backoff_config const&, backoff_config const&) = default;
};

class backoff {
 public:
  /// Returns a uniform draw in [0, 1).
  using random_source = std::function<double()>;

  /// With no random source, uses a std::mt19937_64 seeded from std::random_device.
  explicit backoff(backoff_config config = {}, random_source random = {});

  /// Delay before the next attempt after a failure; each call counts one more failure.
  /// credential_error selects the slow schedule (and does not grow the fast one).
  std::chrono::milliseconds next(bool credential_error = false);

  /// A bind succeeded: the next failure starts from `initial` again.
  void reset() noexcept { attempt_ = 0; }

  /// Consecutive failures counted since the last reset() (fast schedule only).
  unsigned attempts() const noexcept { return attempt_; }

  /// The ceiling the next fast-schedule draw would use (for logs and tests).
  std::chrono::milliseconds ceiling() const noexcept;

 private:
  backoff_config config_;
  random_source random_;
  unsigned attempt_ = 0;
};

}  // namespace smsgw::smpp
