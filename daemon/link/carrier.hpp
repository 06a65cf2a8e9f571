// daemon/link/carrier.hpp: one carrier account = N links (transceivers, or transmitter+receiver
// pairs) sharing ONE token bucket that counts SMS segments, fed from a priority-ordered
// message_source. ESME_RTHROTTLED / ESME_RMSGQFUL cut the whole carrier's rate (AIMD in
// smpp::token_bucket) and the message goes back to the source in its (priority, ref) place,
// so a throttled OTP is retried before any bulk message and is never failed for it.
// Design decision: links pull (submit_feed::next) when their window has room; one link at
// a time takes from the source and pays tokens, so the bucket is honoured across binds; the
// durable sending mark (source.before_send) runs after the next link may take, so under a
// flood the binds' marks overlap and share fsyncs.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "daemon/link/carrier_config.hpp"
#include "daemon/link/smpp_events.hpp"
#include "daemon/link/smsc_link.hpp"
#include "daemon/link/wake_signal.hpp"
#include "smpp/token_bucket.hpp"

namespace smsgw {

/// Carrier-wide counters (the links' own are in link_stats).
struct carrier_stats {
  std::uint64_t taken = 0;           ///< messages taken from the source
  std::uint64_t given_back = 0;      ///< returned to the source unsent (not paid / link gone)
  std::uint64_t throttled = 0;       ///< throttled by the SMSC and returned for retry
  std::uint64_t rate_cuts = 0;       ///< times the bucket's rate was cut
};

class carrier final : public submit_feed {
 public:
  /// Nothing runs until start(). `events` and `source` must outlive the carrier.
  carrier(asio::any_io_executor ex, carrier_config config, smpp_events& events,
          message_source& source);
  ~carrier() override;
  carrier(carrier const&) = delete;
  carrier& operator=(carrier const&) = delete;

  /// Validates the config, loads TLS material, spawns every link. Returns why it could not
  /// start ("carrier tsel: tls.ca_file /x.pem: No such file or directory"), or nullopt.
  std::optional<std::string> start();

  /// Graceful close of every link (stop taking messages, drain within timeouts.drain, unbind,
  /// close); completes when all links have ended. Call on the carrier's executor.
  asio::awaitable<void> stop();

  carrier_config const& config() const noexcept { return config_; }
  std::vector<std::shared_ptr<smsc_link>> const& links() const noexcept { return links_; }
  carrier_stats const& stats() const noexcept { return stats_; }
  /// The bucket's current rate in segments/s (below the cap after throttling).
  double current_rate() const;
  /// The cap of the token bucket in segments/s: the configured `throughput`, or what a
  /// peak-hour window set (set_throughput_cap).
  double throughput_cap() const noexcept { return bucket_.cap(); }
  /// A new cap for the whole carrier (a peak-hour window's edge): the bucket's rate follows at
  /// once (or, if an SMSC throttle cut it, recovers up to the new cap). Call on the executor.
  void set_throughput_cap(double rate);
  /// New token bucket settings from a configuration reload; the links stay bound. The rate
  /// (`throughput`) becomes the cap at once; other changes (burst, throttle factor...) give a
  /// new bucket, full, at the new rate. Call on the executor.
  void retune(throttle_config const& throttle);
  /// Links currently bound.
  std::size_t bound_links() const;

  // submit_feed (called by the links)
  asio::awaitable<std::vector<outbound_message>> next(std::size_t max) override;
  void throttled(outbound_message msg, smpp::command_status status) override;
  void give_back(outbound_message msg) override;

 private:
  void spawn(std::shared_ptr<smsc_link> link);
  link_config make_link_config(std::string bind_name, smpp::bind_mode mode) const;
  asio::awaitable<std::size_t> pay_tokens(std::vector<outbound_message>& batch);

  asio::any_io_executor executor_;
  carrier_config config_;
  smpp_events& events_;
  message_source& source_;
  std::shared_ptr<asio::ssl::context> tls_context_;
  smpp::token_bucket bucket_;
  std::vector<std::shared_ptr<smsc_link>> links_;
  async_gate gate_;          // one taker at a time
  wake_signal link_ended_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  carrier_stats stats_;
};

}  // namespace smsgw
