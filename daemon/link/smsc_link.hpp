// daemon/link/smsc_link.hpp: one SMSC link: one TCP or TLS connection carrying one bind, driven by
// the sans-I/O smpp::session, reconnecting forever with backoff until stopped.
// Design decision: per connection, four sibling coroutines share the session:
// `(read_pdus && write_pdus) || drive_timers || feed_submits`; the connection ends when the
// reader/writer pair ends (both end together: whichever fails closes the stream for the
// other), which cancels the timer and the feeder. Everything runs on one executor (no locks).
// Assumption: messages come from a carrier (submit_feed) that already paid their tokens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "daemon/link/link_stream.hpp"
#include "daemon/link/smpp_events.hpp"
#include "daemon/link/wake_signal.hpp"
#include "smpp/backoff.hpp"
#include "smpp/session.hpp"

namespace smsgw {

struct link_connection;  // daemon/link/smsc_link_connection.hpp: one connection's state

/// Everything one link needs to know (built by the carrier from carrier_config).
struct link_config {
  link_identity id;               ///< carrier + bind name for logs; peer filled in per connection
  stream_params stream;           ///< host, port, TLS, connect/handshake deadlines
  smpp::session_config session;   ///< bind identity and mode, window, session timers
  smpp::backoff_config reconnect;
};

/// What a transmitting link needs from its carrier: messages already cleared by the carrier's
/// token bucket, and a place to return those the SMSC throttled or that could not be sent.
class submit_feed {
 public:
  virtual ~submit_feed() = default;
  /// 1..max messages to submit now; waits while none may go. If cancelled while waiting it
  /// completes with nothing taken (an empty vector).
  virtual asio::awaitable<std::vector<outbound_message>> next(std::size_t max) = 0;
  /// The SMSC answered ESME_RTHROTTLED / ESME_RMSGQFUL: retry the message, slow the carrier.
  virtual void throttled(outbound_message msg, smpp::command_status status) = 0;
  /// Taken but never written (the bind went away meanwhile): offer it again.
  virtual void give_back(outbound_message msg) = 0;
};

/// Counters of one link since it was created (read on the link's executor, or after run()).
struct link_stats {
  std::uint64_t connects = 0;         ///< streams opened (TCP connected + TLS handshake done)
  std::uint64_t connect_failures = 0; ///< resolve/connect/handshake failures
  std::uint64_t binds = 0;            ///< successful binds
  std::uint64_t bind_failures = 0;    ///< refused or timed out binds
  std::uint64_t submitted = 0;        ///< submit_sm written to the outbox
  std::uint64_t accepted = 0;         ///< submit_sm_resp ESME_ROK
  std::uint64_t rejected = 0;         ///< submit_sm_resp with another status (not throttling)
  std::uint64_t throttled = 0;        ///< ESME_RTHROTTLED / ESME_RMSGQFUL (handed to the carrier)
  std::uint64_t unknown = 0;          ///< outcome unknown (timeout, disconnect, ...)
  std::uint64_t delivers = 0;         ///< deliver_sm / data_sm received
  std::uint64_t write_batches = 0;    ///< writes issued (PDUs per write = PDUs sent / this)
  std::uint64_t pdus_sent = 0;
};

class smsc_link : public std::enable_shared_from_this<smsc_link> {
 public:
  /// `feed` may be nullptr for a receiver-only link. `events` must outlive the link.
  smsc_link(asio::any_io_executor ex, link_config config, smpp_events& events, submit_feed* feed);
  ~smsc_link();

  /// Connects, binds, serves, and reconnects with backoff until stop() has completed; then
  /// returns. Exceptions from the session or a bug end one connection (logged, in-flight
  /// messages reported unknown), never the loop.
  asio::awaitable<void> run();

  /// Graceful close (call on the link's executor): take no new messages, wait (bounded by
  /// session drain_timeout) for outstanding responses and receipt acks, unbind, close.
  /// run() returns afterwards. Idempotent.
  void stop();

  link_identity const& identity() const noexcept { return config_.id; }
  link_state state() const noexcept { return state_; }
  link_stats const& stats() const noexcept { return stats_; }
  /// submit_sm outstanding on the current connection.
  std::size_t in_flight() const noexcept { return session_.in_flight(); }

 private:
  struct outcome {
    bool bound = false;             // the bind succeeded on this connection
    bool credential_error = false;  // the bind was refused for credentials
  };

  asio::awaitable<outcome> run_connection(link_stream stream);
  asio::awaitable<void> read_pdus(link_connection& c);
  asio::awaitable<void> write_pdus(link_connection& c);
  asio::awaitable<void> drive_timers(link_connection& c);
  asio::awaitable<void> feed_submits(link_connection& c);
  asio::awaitable<bool> sleep_unless_stopped(std::chrono::milliseconds delay);

  void submit_one(link_connection& c, outbound_message m, smpp::steady_time now);
  void ack_deliver(std::uint32_t sequence_number, smpp::command_status status);
  void process(link_connection& c);
  void set_state(link_state s, std::string_view detail);
  void handle_bind_failed(smpp::bind_failed const& f);

  asio::any_io_executor executor_;
  link_config config_;
  smpp_events& events_;
  submit_feed* feed_;
  smpp::session session_;
  smpp::actions actions_;        // reused: what the session asked for, processed at once
  link_connection* conn_ = nullptr;   // the live connection, if any (owned by run_connection)
  // In-flight submits by ref, kept whole so a throttled one can be handed back intact.
  std::unordered_map<std::uint64_t, outbound_message> in_flight_;
  wake_signal stop_signal_;
  bool stopping_ = false;
  link_state state_ = link_state::disconnected;
  std::string last_bind_error_;     // a repeated bind refusal is logged once
  std::string last_connect_error_;  // likewise a repeated connect/handshake failure
  link_stats stats_;
};

/// Runs `link` to completion (the coroutine to co_spawn for one link).
asio::awaitable<void> run_smsc_link(std::shared_ptr<smsc_link> link);

}  // namespace smsgw
