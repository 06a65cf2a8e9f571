// daemon/link/smpp_events.hpp: the seam between the SMPP links (daemon/smsc_link, daemon/carrier)
// and whoever owns the messages (the daemon's queue dispatcher, or a test). Links know nothing
// of SQLite: they take messages from a `message_source` and report through `smpp_events`.
// Design decision: every callback runs on the link's executor (the one network thread) and
// must not block; durable work is posted elsewhere and confirmed later through `deliver_ack`,
// which may be invoked from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "smpp/command_status.hpp"
#include "smpp/pdu.hpp"

namespace smsgw {

/// One submit_sm to send, as the dispatcher prepared it (text encoded, addresses set).
struct outbound_message {
  std::uint64_t ref = 0;     ///< the owner's id (e.g. queue row id); ALSO the age order: older = smaller
  int priority = 0;          ///< smaller = more urgent (OTP 0, bulk higher); taken in (priority, ref) order
  unsigned segments = 1;     ///< SMS segments this submit costs at the SMSC (token bucket units)
  smpp::submit_sm submit;    ///< sequence_number is the link's business, not the owner's
  smpp::tlv_list tlvs;
  /// The owner recorded that this message may reach the SMSC (message_source::before_send);
  /// set on the way out, kept when it comes back (throttled, link gone), so it is not asked twice.
  bool sending_marked = false;
};

/// Names one bind for logs and callbacks: carrier "tsel", bind "tsel-1" (or "tsel-1-rx").
struct link_identity {
  std::string carrier;
  std::string bind;
  std::string peer;  ///< "127.0.0.1:2775" once resolved; the configured host:port before
};

/// Coarse state of one link, reported on every change (for health, metrics and logs).
enum class link_state : std::uint8_t {
  connecting,    ///< resolving / TCP connect / TLS handshake
  binding,       ///< bind_* sent
  bound,         ///< bind_*_resp ok: submits flow (TX/TRX), receipts flow (RX/TRX)
  closing,       ///< graceful close: draining, unbind sent
  disconnected,  ///< connection gone; a reconnect follows after backoff unless stopping
  stopped,       ///< the link ended for good (carrier stopped)
};
std::string_view to_string(link_state s) noexcept;

/// Answers one deliver_sm/data_sm. Call it exactly once, from any thread, after the receipt
/// or MO is durably recorded: ok -> deliver_sm_resp ESME_ROK; ESME_RX_T_APPN asks the SMSC to
/// redeliver later. If the connection is gone by then, nothing is sent (the SMSC redelivers
/// on the next bind: consumers must treat receipts idempotently). Dropping it unanswered
/// leaves the SMSC waiting (it will time out and redeliver); graceful close waits for it
/// up to the drain timeout.
class deliver_ack {
 public:
  using sink = std::function<void(std::uint32_t sequence_number, smpp::command_status)>;
  deliver_ack() = default;
  deliver_ack(boost::asio::any_io_executor ex, std::weak_ptr<sink> target,
              std::uint32_t sequence_number)
      : executor_(std::move(ex)), target_(std::move(target)), sequence_number_(sequence_number) {}

  /// Sends the response (posted to the link's executor). Further calls do nothing.
  void operator()(smpp::command_status status = smpp::command_status::ok);
  std::uint32_t sequence_number() const noexcept { return sequence_number_; }

 private:
  boost::asio::any_io_executor executor_;
  std::weak_ptr<sink> target_;
  std::uint32_t sequence_number_ = 0;
};

/// What the links report. Called on the network thread; implementations must not block.
class smpp_events {
 public:
  virtual ~smpp_events() = default;

  /// The SMSC answered a submit_sm: ok -> accepted under `message_id`; any other status is its
  /// verdict (throttling never reaches here: the carrier retries those itself).
  virtual void on_submit_result(link_identity const& link, std::uint64_t ref,
                                std::string_view message_id, smpp::command_status status) = 0;

  /// The submit_sm went out but its fate is unknown (connection lost, response timeout, peer
  /// dead): the SMSC may or may not have accepted it. `why` is a short reason for the log.
  virtual void on_outcome_unknown(link_identity const& link, std::uint64_t ref,
                                  std::string_view why) = 0;

  /// deliver_sm (receipt or MO) or data_sm arrived; `p` is the whole PDU. Record it, then
  /// call `ack` (see deliver_ack).
  virtual void on_deliver(link_identity const& link, smpp::pdu const& p, deliver_ack ack) = 0;

  /// The link changed state; `detail` says why ("bind refused: invalid password (0x0000000e)").
  virtual void on_link_state(link_identity const& link, link_state state,
                             std::string_view detail) = 0;
};

/// Where a carrier takes its messages from: "give me up to N messages for this carrier".
/// The daemon backs it with the queue (tools/memory-source/priority_source.hpp is an in-memory one).
class message_source {
 public:
  virtual ~message_source() = default;

  /// Completes with 1..max messages, most urgent first ((priority, ref) order); waits while
  /// none is ready. If cancelled while waiting it completes with nothing taken.
  virtual boost::asio::awaitable<std::vector<outbound_message>> take(std::size_t max) = 0;

  /// take() for a caller that can write what it gets at once: a bound link with window room
  /// for `max` and tokens for `max` one-part messages. The source may then record the
  /// sending mark as it takes them (the queue's claim and mark in one transaction) and hand
  /// them out sending_marked, leaving before_send() nothing to record. Default: take().
  virtual boost::asio::awaitable<std::vector<outbound_message>> take_writable(std::size_t max) {
    return take(max);
  }

  /// Gives back a message taken but not accepted by the SMSC (throttled, or not sent at all):
  /// it is offered again in its (priority, ref) place, so a throttled OTP never ends up
  /// behind bulk. Never fails.
  virtual void put_back(outbound_message msg) = 0;

  /// Called right before `batch` (taken and paid for) is handed to a link to be written. The
  /// owner records, durably, that these may now reach the SMSC (after a crash they are
  /// "outcome unknown", not "queued") and marks them sending_marked. It removes from `batch`
  /// those that must not be sent after all (expired meanwhile, or the record failed: then
  /// it keeps or settles them itself). Default: nothing to record.
  virtual boost::asio::awaitable<void> before_send(std::vector<outbound_message>& batch) {
    for (auto& m : batch) m.sending_marked = true;
    co_return;
  }
};

}  // namespace smsgw
