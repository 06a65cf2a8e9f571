// smpp/session.hpp: the sans-I/O ESME session state machine: bind state, per-session
// sequence_number, the submit_sm window (seq -> deadline + caller's reference), enquire_link
// and every response/drain/unbind deadline. The I/O side (daemon/) feeds it PDUs, decode
// errors, ticks and disconnects, and executes the actions it appends to an `actions` vector.
// Design decision: time is passed in (steady_clock::time_point), so tests drive it with fake
// time; nothing here blocks, logs, allocates sockets or reads a clock.
// Assumption: the window is modest (<= a few hundred); the I/O loop calls on_tick() whenever
// next_deadline() passes.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "smpp/codec.hpp"
#include "smpp/command_status.hpp"
#include "smpp/pdu.hpp"

namespace smsgw::smpp {

using steady_time = std::chrono::steady_clock::time_point;

/// The caller's opaque handle for one submitted message (e.g. the queue row id). The session
/// never interprets it; it only hands it back in submit_result / submit_throttled / submit_unknown.
using submit_ref = std::uint64_t;

/// Which bind PDU the session sends. A TX+RX pair is two sessions (daemon/ pairs them).
enum class bind_mode : std::uint8_t { transmitter, receiver, transceiver };

/// Session configuration: one bind's identity plus its window and timers. Validation of the
/// values (non-zero window, string lengths) is the config loader's job; the session clamps a
/// zero window to 1 rather than deadlocking.
struct session_config {
  bind_mode mode = bind_mode::transceiver;
  std::string system_id;                  ///< bind system_id (C-string, max 15 chars)
  std::string password;                   ///< bind password (max 8 chars); never log it
  std::string system_type;                ///< bind system_type (max 12 chars), often empty
  std::uint8_t interface_version = 0x34;  ///< 0x34 = SMPP 3.4
  std::uint8_t addr_ton = 0;              ///< bind addr_ton
  std::uint8_t addr_npi = 0;              ///< bind addr_npi
  std::string address_range;              ///< bind address_range (max 40 chars), usually empty

  /// Maximum submit_sm outstanding (sent, no response yet). Default 10 (spec guideline).
  std::size_t window = 10;
  /// submit_sm -> submit_sm_resp deadline; on expiry the message's outcome is UNKNOWN and its
  /// window slot is freed. Default 60 s (Kannel wait-ack, Jasmin res_to).
  std::chrono::milliseconds response_timeout{std::chrono::seconds(60)};
  /// Idle time (nothing received from the SMSC) after which we send enquire_link. Default 30 s.
  std::chrono::milliseconds enquire_link_interval{std::chrono::seconds(30)};
  /// enquire_link -> any PDU from the peer; on expiry the peer is declared dead and the
  /// connection is closed (no unbind: it would not be answered). Default 30 s.
  std::chrono::milliseconds enquire_link_timeout{std::chrono::seconds(30)};
  /// bind_* -> bind_*_resp deadline; on expiry: bind_failed (timed_out) and close. Default 30 s.
  std::chrono::milliseconds bind_timeout{std::chrono::seconds(30)};
  /// unbind -> unbind_resp deadline; on expiry close anyway. Default 5 s.
  std::chrono::milliseconds unbind_timeout{std::chrono::seconds(5)};
  /// close(): how long to wait for outstanding submit_sm_resp and unacknowledged receipts
  /// before sending unbind regardless. Default 10 s.
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(10)};
  /// First sequence_number this session uses (1..0x7FFFFFFF). Tests start near the wrap.
  std::uint32_t first_sequence_number = 1;
};

/// Bind states (docs/smpp.md §Bind states) plus our own draining/unbinding phases of a
/// graceful close.
enum class session_state : std::uint8_t {
  open,       ///< connected (or about to be), no bind sent yet: call start()
  binding,    ///< bind_* sent, waiting for bind_*_resp
  bound_tx,   ///< bound as transmitter
  bound_rx,   ///< bound as receiver
  bound_trx,  ///< bound as transceiver
  draining,   ///< close() while bound: no new submits; awaiting responses and acks
  unbinding,  ///< unbind sent, waiting for unbind_resp
  closed,     ///< terminal for this connection: the I/O side closes the socket
};

/// Why the session asks for the connection to be closed (close_connection action).
enum class close_reason : std::uint8_t {
  unbound,               ///< our graceful close completed (unbind_resp received)
  unbind_timeout,        ///< we sent unbind and no unbind_resp came in time
  peer_unbound,          ///< the SMSC sent unbind; we answered unbind_resp
  enquire_link_timeout,  ///< the peer stopped answering: declared dead
  bind_failed,           ///< the SMSC refused the bind (see bind_failed action)
  bind_timeout,          ///< no bind_*_resp in time
  closed_unbound,        ///< close() before the bind completed: nothing to unbind
};

/// Why a submitted message's outcome is unknown (it may or may not have been accepted).
enum class unknown_reason : std::uint8_t {
  response_timeout,  ///< no submit_sm_resp within response_timeout
  disconnected,      ///< on_disconnect() with the message outstanding
  peer_dead,         ///< enquire_link timed out with the message outstanding
  peer_unbound,      ///< the SMSC unbound with the message outstanding
  session_closed,    ///< our close()/unbind finished (or timed out) with the message outstanding
  undecodable_response,  ///< a response with its sequence_number arrived but failed to decode
};

// ---- actions: what the I/O side must do / may log, in order -----------------------------
// The I/O side must write every send_pdu in the order given, and must write all send_pdu
// appended before a close_connection before closing (e.g. the unbind_resp). Every action
// carries the sequence_number/status needed for a log line; the carrier and bind name are
// known to the caller.

/// Write this PDU to the SMSC (encode with smpp::encode).
struct send_pdu {
  pdu p;
};

/// Close the TCP/TLS connection now (after flushing earlier send_pdu actions).
struct close_connection {
  close_reason reason;
};

/// The state changed (for logging; the session already acted on it).
struct state_changed {
  session_state from;
  session_state to;
};

/// bind_*_resp with ESME_ROK: the session is bound; submits are accepted (unless receiver).
struct bound {
  bind_mode mode;
  std::string smsc_system_id;                        ///< system_id from bind_*_resp
  std::optional<std::uint8_t> sc_interface_version;  ///< TLV 0x0210 if the SMSC sent it
};

/// The bind did not succeed. A close_connection follows. Retry with backoff; if
/// credential_error, log once and retry slowly (smpp::is_credential_error).
struct bind_failed {
  command_status status = command_status::ok;  ///< SMSC's status; ok when timed_out
  bool credential_error = false;               ///< RINVPASWD / RINVSYSID / RINVSYSTYP
  bool timed_out = false;                      ///< no bind_*_resp within bind_timeout
  bool generic_nack = false;                   ///< the SMSC answered with generic_nack
};

/// A submit_sm got its definitive answer. status ok: accepted under message_id. Any other
/// status except throttling (see submit_throttled) is the SMSC's verdict: apply the retry
/// policy (smpp::is_temporary) to it.
struct submit_result {
  submit_ref ref;
  std::uint32_t sequence_number;
  command_status status;
  std::string message_id;     ///< empty unless status == ok
  bool generic_nack = false;  ///< answered with generic_nack instead of submit_sm_resp
};

/// ESME_RTHROTTLED or ESME_RMSGQFUL: the message was NOT accepted; retry it (do not fail it)
/// and slow the whole carrier down (token_bucket::on_throttled).
struct submit_throttled {
  submit_ref ref;
  std::uint32_t sequence_number;
  command_status status;
};

/// The outcome of this submit is unknown (the SMSC may have accepted it). Its window slot
/// is free. The retry policy decides (a duplicate OTP is better than none, usually).
struct submit_unknown {
  submit_ref ref;
  std::uint32_t sequence_number;
  unknown_reason reason;
};

/// deliver_sm or data_sm from the SMSC (MO message or delivery receipt; p.id() tells which).
/// No response has been sent: call ack_deliver(sequence_number, ...) once it is durably recorded.
struct deliver_received {
  std::uint32_t sequence_number;
  pdu p;
};

/// alert_notification from the SMSC (no response exists for it).
struct alert_received {
  pdu p;
};

/// outbind from the SMSC: it asks us to bind (as receiver). Reported only; the I/O side
/// decides whether to call start().
struct outbind_received {
  pdu p;
};

/// The SMSC sent unbind; unbind_resp is queued and close_connection follows.
struct peer_unbound {};

/// A response that matches nothing outstanding (late after a timeout, duplicate, or for a
/// request we never sent). Ignored; reported for the log.
struct response_ignored {
  command_id id;
  std::uint32_t sequence_number;
  command_status status;
};

/// An incoming PDU we refused: an unsupported/unknown request (answered generic_nack
/// ESME_RINVCMDID), a request illegal in this state (answered with ESME_RINVBNDSTS), or a
/// PDU that failed to decode (answered generic_nack with the codec's status; `detail` holds
/// codec_error::message()). answered == ok means nothing was sent (e.g. a bad response).
struct request_rejected {
  std::uint32_t command_id;  ///< raw, may be an id the codec does not know
  std::uint32_t sequence_number;
  command_status answered;
  std::string detail;
};

using action =
    std::variant<send_pdu, close_connection, state_changed, bound, bind_failed, submit_result,
                 submit_throttled, submit_unknown, deliver_received, alert_received,
                 outbind_received, peer_unbound, response_ignored, request_rejected>;
using actions = std::vector<action>;

/// Why submit() did not take a message. Backpressure, not an error: keep the message queued.
enum class submit_refusal : std::uint8_t {
  none,         ///< accepted: a send_pdu was appended
  not_bound,    ///< not bound (open/binding/closed), or bound as receiver
  window_full,  ///< `window` submit_sm already outstanding
  closing,      ///< draining/unbinding after close()
};

/// One ESME bind over one connection. Call start() when the connection is up; after the
/// session reaches `closed`, start() may be called again for a fresh connection (sequence
/// numbers carry on). Not thread-safe: one owner (the link coroutine) calls it.
class session {
 public:
  explicit session(session_config config);

  /// Connection is up: send bind_transmitter/receiver/transceiver. Valid in open or closed
  /// (reset for a new connection); ignored in other states.
  void start(steady_time now, actions& out);

  /// A decoded PDU arrived from the SMSC. Taken by value: a deliver_sm is moved into the
  /// deliver_received action (pass std::move(p) to avoid the copy).
  void on_pdu(pdu p, steady_time now, actions& out);

  /// A PDU arrived but failed to decode: answer generic_nack with e.status and the
  /// sequence_number (never for a response, which gets no answer; a response that matches
  /// an outstanding submit_sm resolves it as submit_unknown{undecodable_response}).
  void on_decode_error(codec_error const& e, steady_time now, actions& out);

  /// Time passed: fire every deadline <= now (response timeouts, enquire_link,
  /// bind/drain/unbind deadlines).
  void on_tick(steady_time now, actions& out);

  /// Send one submit_sm (+ TLVs), remembering `ref`. Refused (nothing appended) when not
  /// bound as TX/TRX, when the window is full, or when closing. On success appends send_pdu.
  submit_refusal submit(submit_ref ref, submit_sm sm, tlv_list tlvs, steady_time now, actions& out);

  /// The consumer durably recorded the deliver_sm/data_sm with this sequence_number: send
  /// its deliver_sm_resp/data_sm_resp with `status` (ok, or e.g. ESME_RX_T_APPN to ask for
  /// redelivery). Returns false (nothing sent) if no such PDU awaits an answer on this
  /// connection (already acked, or the connection was lost: the SMSC will redeliver).
  /// Acking the last pending receipt while draining lets the unbind go out (hence `now`).
  bool ack_deliver(std::uint32_t sequence_number, command_status status, steady_time now,
                   actions& out);
  /// Same, using the latest time passed to any other call as `now` (acks come from the
  /// consumer's completion handler, which has no reason to read the clock).
  bool ack_deliver(std::uint32_t sequence_number, command_status status, actions& out);

  /// Graceful close: stop taking submits; when every outstanding submit_sm has its response
  /// and every received deliver_sm is acked (or drain_timeout passes) send unbind; on
  /// unbind_resp (or unbind_timeout) -> closed + close_connection. Before the bind
  /// completes it closes at once. Idempotent.
  void close(steady_time now, actions& out);

  /// The connection is gone (read/write error, EOF). Every outstanding submit is handed
  /// back as submit_unknown{disconnected}; pending acks are forgotten; state -> closed.
  /// No close_connection is appended (there is nothing left to close).
  void on_disconnect(steady_time now, actions& out);

  /// Earliest time on_tick() has work to do, or nullopt when no timer runs.
  std::optional<steady_time> next_deadline() const;

  /// Sets the sequence_number the next request will try (1..0x7FFFFFFF; others are
  /// ignored). For tests of the wrap-around, and to spread numbering across reconnects.
  void set_next_sequence_number(std::uint32_t seq) noexcept;

  session_state state() const noexcept { return state_; }
  session_config const& config() const noexcept { return config_; }
  /// True when bound (TX or TRX) and not closing: submit() may succeed if the window has room.
  bool can_submit() const noexcept;
  /// Number of submit_sm outstanding (sent, no response yet).
  std::size_t in_flight() const noexcept { return submits_outstanding_; }
  /// Free window slots (0 when not able to submit at all).
  std::size_t window_free() const noexcept;
  /// Number of deliver_sm/data_sm received and not yet acked.
  std::size_t pending_acks() const noexcept { return pending_delivers_.size(); }

 private:
  // What an outstanding request of ours is, so its response can be matched by seq.
  enum class request_kind : std::uint8_t { bind, submit, enquire_link, unbind };
  struct outstanding {
    request_kind kind;
    submit_ref ref = 0;      // submit only
    steady_time deadline{};  // submit only (others use the timers below)
  };

  std::uint32_t next_sequence_number();
  void set_state(session_state to, actions& out);
  void send_request(request_kind kind, std::uint32_t seq, pdu p, actions& out);
  void handle_request(pdu& p, actions& out);
  void handle_deliver(pdu& p, actions& out);
  void handle_response(pdu const& p, steady_time now, actions& out);
  void handle_bind_resp(pdu const& p, steady_time now, actions& out);
  void handle_submit_resp(std::uint32_t seq, outstanding const& o, pdu const& p, actions& out);
  void reply(pdu const& request, pdu_body body, command_status status, actions& out);
  void nack(std::uint32_t seq, std::uint32_t raw_id, command_status status, std::string detail,
            actions& out);
  void note_peer_alive(steady_time now);
  void send_enquire_link(steady_time now, actions& out);
  bool receive_allowed() const noexcept;
  void maybe_finish_drain(steady_time now, actions& out);
  void send_unbind(steady_time now, actions& out);
  void terminate(close_reason reason, unknown_reason why, bool emit_close, actions& out);
  void erase_outstanding(std::map<std::uint32_t, outstanding>::iterator it);

  session_config config_;
  session_state state_ = session_state::open;
  std::uint32_t next_seq_;
  // Every request of ours awaiting a response, by sequence_number.
  std::map<std::uint32_t, outstanding> outstanding_;
  // Submit deadlines in time order (deadline, seq), for on_tick/next_deadline.
  std::set<std::pair<steady_time, std::uint32_t>> submit_deadlines_;
  std::size_t submits_outstanding_ = 0;
  // deliver_sm/data_sm received and not yet acked: seq -> which response to send.
  std::map<std::uint32_t, command_id> pending_delivers_;

  steady_time last_now_{};  // latest `now` passed in (for the ack_deliver overload)
  std::optional<steady_time> bind_deadline_;
  std::optional<steady_time> enquire_link_due_;       // when to send the next enquire_link
  std::optional<steady_time> enquire_link_deadline_;  // when an unanswered one declares death
  std::optional<std::uint32_t> enquire_link_seq_;     // our probe awaiting enquire_link_resp
  std::optional<steady_time> drain_deadline_;
  std::optional<steady_time> unbind_deadline_;
};

/// Names for logs: "bound_trx", "enquire_link_timeout", "response_timeout", "transceiver".
std::string_view to_string(session_state s) noexcept;
std::string_view to_string(close_reason r) noexcept;
std::string_view to_string(unknown_reason r) noexcept;
std::string_view to_string(bind_mode m) noexcept;
std::string_view to_string(submit_refusal r) noexcept;

}  // namespace smsgw::smpp
