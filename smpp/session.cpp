// smpp/session.cpp: the ESME session state machine (see session.hpp for the contract).
// Every request we send is remembered in outstanding_ by sequence_number until its response
// (or generic_nack) arrives, its deadline passes, or the session terminates; terminate() is
// the single place that hands outstanding submits back as "outcome unknown", so no exit
// path can leak a window slot.
#include "smpp/session.hpp"

#include <algorithm>

namespace smsgw::smpp {
namespace {

constexpr std::uint32_t max_sequence_number = 0x7FFFFFFF;

bool is_bound(session_state s) noexcept {
  return s == session_state::bound_tx || s == session_state::bound_rx ||
         s == session_state::bound_trx;
}

session_state bound_state(bind_mode m) noexcept {
  switch (m) {
    case bind_mode::transmitter:
      return session_state::bound_tx;
    case bind_mode::receiver:
      return session_state::bound_rx;
    case bind_mode::transceiver:
      break;
  }
  return session_state::bound_trx;
}

bool is_bind_resp(command_id id) noexcept {
  return id == command_id::bind_transmitter_resp || id == command_id::bind_receiver_resp ||
         id == command_id::bind_transceiver_resp;
}

void earliest(std::optional<steady_time>& acc, std::optional<steady_time> t) {
  if (t && (!acc || *t < *acc)) acc = t;
}

bool due(std::optional<steady_time> const& t, steady_time now) {
  return t && *t <= now;
}

std::optional<std::uint8_t> find_sc_interface_version(tlv_list const& tlvs) {
  for (auto const& t : tlvs)
    if (t.tag == tag::sc_interface_version && t.value.size() == 1) return t.value[0];
  return std::nullopt;
}

}  // namespace

session::session(session_config config) : config_(std::move(config)) {
  if (config_.window == 0) config_.window = 1;
  auto const first = config_.first_sequence_number;
  next_seq_ = (first == 0 || first > max_sequence_number) ? 1 : first;
}

// 1..0x7FFFFFFF, wrapping to 1, skipping any number still awaiting its response.
// Terminates because outstanding_ is far smaller than the number space.
std::uint32_t session::next_sequence_number() {
  for (;;) {
    std::uint32_t const s = next_seq_;
    next_seq_ = s >= max_sequence_number ? 1 : s + 1;
    if (!outstanding_.contains(s)) return s;
  }
}

void session::set_next_sequence_number(std::uint32_t seq) noexcept {
  if (seq != 0 && seq <= max_sequence_number) next_seq_ = seq;
}

void session::set_state(session_state to, actions& out) {
  if (to == state_) return;
  out.push_back(state_changed{state_, to});
  state_ = to;
}

void session::send_request(request_kind kind, std::uint32_t seq, pdu p, actions& out) {
  outstanding_[seq] = outstanding{kind, 0, {}};
  p.sequence_number = seq;
  out.push_back(send_pdu{std::move(p)});
}

void session::start(steady_time now, actions& out) {
  last_now_ = std::max(last_now_, now);
  if (state_ != session_state::open && state_ != session_state::closed) return;
  // A fresh connection: nothing of the old one may survive (terminate() emptied the
  // window already; pending acks of a lost connection cannot be answered any more).
  pending_delivers_.clear();
  enquire_link_due_.reset();
  enquire_link_deadline_.reset();
  enquire_link_seq_.reset();
  drain_deadline_.reset();
  unbind_deadline_.reset();

  pdu p;
  auto fill = [this](auto b) {
    b.system_id = config_.system_id;
    b.password = config_.password;
    b.system_type = config_.system_type;
    b.interface_version = config_.interface_version;
    b.addr_ton = config_.addr_ton;
    b.addr_npi = config_.addr_npi;
    b.address_range = config_.address_range;
    return b;
  };
  switch (config_.mode) {
    case bind_mode::transmitter:
      p.body = fill(bind_transmitter{});
      break;
    case bind_mode::receiver:
      p.body = fill(bind_receiver{});
      break;
    case bind_mode::transceiver:
      p.body = fill(bind_transceiver{});
      break;
  }
  bind_deadline_ = now + config_.bind_timeout;
  set_state(session_state::binding, out);
  send_request(request_kind::bind, next_sequence_number(), std::move(p), out);
}

void session::on_pdu(pdu p, steady_time now, actions& out) {
  last_now_ = std::max(last_now_, now);
  if (state_ == session_state::closed) {
    // The I/O side is closing the socket; answer nothing, but do not drop it silently.
    if (is_response(p.id()))
      out.push_back(response_ignored{p.id(), p.sequence_number, p.status});
    else
      out.push_back(request_rejected{static_cast<std::uint32_t>(p.id()), p.sequence_number,
                                     command_status::ok, "session closed"});
    return;
  }
  note_peer_alive(now);
  if (is_response(p.id()))
    handle_response(p, now, out);
  else
    handle_request(p, out);
}

// Anything from the peer proves it alive: the enquire_link probe is only needed when idle.
void session::note_peer_alive(steady_time now) {
  enquire_link_deadline_.reset();
  if (is_bound(state_) || state_ == session_state::draining)
    enquire_link_due_ = now + config_.enquire_link_interval;
}

void session::handle_request(pdu& p, actions& out) {
  switch (p.id()) {
    case command_id::enquire_link:
      // Answered in every state, also before the bind completes (be liberal).
      reply(p, enquire_link_resp{}, command_status::ok, out);
      return;
    case command_id::unbind:
      reply(p, unbind_resp{}, command_status::ok, out);
      out.push_back(peer_unbound{});
      terminate(close_reason::peer_unbound, unknown_reason::peer_unbound, true, out);
      return;
    case command_id::deliver_sm:
    case command_id::data_sm:
      handle_deliver(p, out);
      return;
    case command_id::alert_notification:
      out.push_back(alert_received{std::move(p)});
      return;
    case command_id::outbind:
      out.push_back(outbind_received{std::move(p)});
      return;
    default:
      // bind_*, submit_sm, query_sm, cancel_sm, replace_sm: SMSC-side operations an ESME
      // does not serve.
      nack(p.sequence_number, static_cast<std::uint32_t>(p.id()), command_status::invcmdid,
           "request an ESME does not serve", out);
      return;
  }
}

// deliver_sm / data_sm: reported with its sequence_number; the response waits for
// ack_deliver(). Refused with ESME_RINVBNDSTS in its own response type when this bind cannot
// receive (spec: a well-framed request in the wrong state gets a response with that status;
// generic_nack is for PDUs that cannot be answered otherwise).
void session::handle_deliver(pdu& p, actions& out) {
  bool const is_deliver = p.id() == command_id::deliver_sm;
  if (!receive_allowed()) {
    if (is_deliver)
      reply(p, deliver_sm_resp{}, command_status::invbndsts, out);
    else
      reply(p, data_sm_resp{}, command_status::invbndsts, out);
    out.push_back(request_rejected{static_cast<std::uint32_t>(p.id()), p.sequence_number,
                                   command_status::invbndsts,
                                   "not allowed in state " + std::string(to_string(state_))});
    return;
  }
  std::uint32_t const seq = p.sequence_number;
  pending_delivers_[seq] = is_deliver ? command_id::deliver_sm_resp : command_id::data_sm_resp;
  out.push_back(deliver_received{seq, std::move(p)});
}

void session::handle_response(pdu const& p, steady_time now, actions& out) {
  auto it = outstanding_.find(p.sequence_number);
  bool const nacked = p.id() == command_id::generic_nack;
  auto matches = [&](request_kind k) {
    if (nacked) return true;
    switch (k) {
      case request_kind::bind:
        return is_bind_resp(p.id());
      case request_kind::submit:
        return p.id() == command_id::submit_sm_resp;
      case request_kind::enquire_link:
        return p.id() == command_id::enquire_link_resp;
      case request_kind::unbind:
        return p.id() == command_id::unbind_resp;
    }
    return false;
  };
  if (it == outstanding_.end() || !matches(it->second.kind)) {
    out.push_back(response_ignored{p.id(), p.sequence_number, p.status});
    return;
  }
  outstanding const o = it->second;
  std::uint32_t const seq = it->first;
  erase_outstanding(it);
  switch (o.kind) {
    case request_kind::bind:
      handle_bind_resp(p, now, out);
      return;
    case request_kind::submit:
      handle_submit_resp(seq, o, p, out);
      maybe_finish_drain(now, out);
      return;
    case request_kind::enquire_link:
      if (enquire_link_seq_ == seq) enquire_link_seq_.reset();
      return;
    case request_kind::unbind:
      terminate(close_reason::unbound, unknown_reason::session_closed, true, out);
      return;
  }
}

void session::handle_bind_resp(pdu const& p, steady_time now, actions& out) {
  bind_deadline_.reset();
  bool const nacked = p.id() == command_id::generic_nack;
  if (p.status == command_status::ok && !nacked) {
    bound b{config_.mode, {}, find_sc_interface_version(p.tlvs)};
    std::visit(
        [&b](auto const& body) {
          if constexpr (requires { body.system_id; }) b.smsc_system_id = body.system_id;
        },
        p.body);
    set_state(bound_state(config_.mode), out);
    out.push_back(std::move(b));
    enquire_link_due_ = now + config_.enquire_link_interval;
    return;
  }
  command_status const status =
      p.status == command_status::ok ? command_status::bindfail : p.status;
  out.push_back(bind_failed{status, is_credential_error(status), false, nacked});
  terminate(close_reason::bind_failed, unknown_reason::session_closed, true, out);
}

void session::handle_submit_resp(std::uint32_t seq, outstanding const& o, pdu const& p,
                                 actions& out) {
  if (p.status == command_status::throttled || p.status == command_status::msgqful) {
    out.push_back(submit_throttled{o.ref, seq, p.status});
    return;
  }
  submit_result r{o.ref, seq, p.status, {}, p.id() == command_id::generic_nack};
  if (p.status == command_status::ok) {
    if (auto const* resp = std::get_if<submit_sm_resp>(&p.body)) r.message_id = resp->message_id;
  }
  out.push_back(std::move(r));
}

void session::reply(pdu const& request, pdu_body body, command_status status, actions& out) {
  out.push_back(send_pdu{pdu{status, request.sequence_number, std::move(body), {}}});
}

void session::nack(std::uint32_t seq, std::uint32_t raw_id, command_status status,
                   std::string detail, actions& out) {
  out.push_back(send_pdu{pdu{status, seq, generic_nack{}, {}}});
  out.push_back(request_rejected{raw_id, seq, status, std::move(detail)});
}

// deliver_sm/data_sm are legal for a receiver or transceiver, and tolerated before the
// bind_resp arrives (some SMSCs send a queued receipt first) and while closing.
bool session::receive_allowed() const noexcept {
  if (config_.mode == bind_mode::transmitter) return false;
  switch (state_) {
    case session_state::binding:
    case session_state::bound_rx:
    case session_state::bound_trx:
    case session_state::draining:
    case session_state::unbinding:
      return true;
    default:
      return false;
  }
}

void session::on_decode_error(codec_error const& e, steady_time now, actions& out) {
  last_now_ = std::max(last_now_, now);
  if (state_ == session_state::closed) return;
  note_peer_alive(now);
  std::string detail = e.field.empty() ? e.what : e.field + ": " + e.what;
  if ((e.command_id & 0x80000000u) == 0) {
    nack(e.sequence_number, e.command_id, e.status, std::move(detail), out);
    return;
  }
  // A response never gets an answer. If it is the response to one of our submits we
  // cannot tell what the SMSC said, so the outcome is unknown; resolve it now rather
  // than holding the slot until the timeout.
  out.push_back(request_rejected{e.command_id, e.sequence_number, command_status::ok, detail});
  auto it = outstanding_.find(e.sequence_number);
  if (it == outstanding_.end() || it->second.kind != request_kind::submit) return;
  submit_ref const ref = it->second.ref;
  erase_outstanding(it);
  out.push_back(submit_unknown{ref, e.sequence_number, unknown_reason::undecodable_response});
  maybe_finish_drain(now, out);
}

void session::on_tick(steady_time now, actions& out) {
  last_now_ = std::max(last_now_, now);
  if (state_ == session_state::closed || state_ == session_state::open) return;
  if (due(bind_deadline_, now)) {
    out.push_back(bind_failed{command_status::ok, false, true, false});
    terminate(close_reason::bind_timeout, unknown_reason::session_closed, true, out);
    return;
  }
  bool freed = false;
  while (!submit_deadlines_.empty() && submit_deadlines_.begin()->first <= now) {
    std::uint32_t const seq = submit_deadlines_.begin()->second;
    auto it = outstanding_.find(seq);
    submit_ref const ref = it->second.ref;
    erase_outstanding(it);
    out.push_back(submit_unknown{ref, seq, unknown_reason::response_timeout});
    freed = true;
  }
  if (due(enquire_link_deadline_, now)) {
    terminate(close_reason::enquire_link_timeout, unknown_reason::peer_dead, true, out);
    return;
  }
  if (due(unbind_deadline_, now)) {
    terminate(close_reason::unbind_timeout, unknown_reason::session_closed, true, out);
    return;
  }
  if (state_ == session_state::draining && due(drain_deadline_, now)) {
    send_unbind(now, out);
    return;
  }
  if (freed) maybe_finish_drain(now, out);
  if (state_ != session_state::unbinding && due(enquire_link_due_, now))
    send_enquire_link(now, out);
}

void session::send_enquire_link(steady_time now, actions& out) {
  // At most one probe in flight: an older unanswered one (the peer proved alive otherwise)
  // is forgotten, so its late response is merely reported as ignored.
  if (enquire_link_seq_) outstanding_.erase(*enquire_link_seq_);
  std::uint32_t const seq = next_sequence_number();
  enquire_link_seq_ = seq;
  enquire_link_due_.reset();
  enquire_link_deadline_ = now + config_.enquire_link_timeout;
  send_request(request_kind::enquire_link, seq, pdu{command_status::ok, 0, enquire_link{}, {}},
               out);
}

submit_refusal session::submit(submit_ref ref, submit_sm sm, tlv_list tlvs, steady_time now,
                               actions& out) {
  last_now_ = std::max(last_now_, now);
  if (state_ == session_state::draining || state_ == session_state::unbinding)
    return submit_refusal::closing;
  if (state_ != session_state::bound_tx && state_ != session_state::bound_trx)
    return submit_refusal::not_bound;
  if (submits_outstanding_ >= config_.window) return submit_refusal::window_full;
  std::uint32_t const seq = next_sequence_number();
  steady_time const deadline = now + config_.response_timeout;
  outstanding_[seq] = outstanding{request_kind::submit, ref, deadline};
  submit_deadlines_.emplace(deadline, seq);
  ++submits_outstanding_;
  out.push_back(send_pdu{pdu{command_status::ok, seq, std::move(sm), std::move(tlvs)}});
  return submit_refusal::none;
}

bool session::ack_deliver(std::uint32_t sequence_number, command_status status, actions& out) {
  return ack_deliver(sequence_number, status, last_now_, out);
}

bool session::ack_deliver(std::uint32_t sequence_number, command_status status, steady_time now,
                          actions& out) {
  last_now_ = std::max(last_now_, now);
  auto it = pending_delivers_.find(sequence_number);
  if (it == pending_delivers_.end() || state_ == session_state::closed) return false;
  pdu p{status, sequence_number, deliver_sm_resp{}, {}};
  if (it->second == command_id::data_sm_resp) p.body = data_sm_resp{};
  pending_delivers_.erase(it);
  out.push_back(send_pdu{std::move(p)});
  maybe_finish_drain(now, out);
  return true;
}

void session::close(steady_time now, actions& out) {
  last_now_ = std::max(last_now_, now);
  switch (state_) {
    case session_state::open:
    case session_state::binding:
      terminate(close_reason::closed_unbound, unknown_reason::session_closed, true, out);
      return;
    case session_state::bound_tx:
    case session_state::bound_rx:
    case session_state::bound_trx:
      set_state(session_state::draining, out);
      drain_deadline_ = now + config_.drain_timeout;
      maybe_finish_drain(now, out);
      return;
    case session_state::draining:
    case session_state::unbinding:
    case session_state::closed:
      return;
  }
}

void session::maybe_finish_drain(steady_time now, actions& out) {
  if (state_ == session_state::draining && submits_outstanding_ == 0 && pending_delivers_.empty())
    send_unbind(now, out);
}

// Submits still outstanding stay in the window: their responses may still arrive before
// the unbind_resp, and terminate() hands back whatever did not.
void session::send_unbind(steady_time now, actions& out) {
  drain_deadline_.reset();
  enquire_link_due_.reset();
  enquire_link_deadline_.reset();
  unbind_deadline_ = now + config_.unbind_timeout;
  set_state(session_state::unbinding, out);
  send_request(request_kind::unbind, next_sequence_number(),
               pdu{command_status::ok, 0, unbind{}, {}}, out);
}

void session::on_disconnect(steady_time now, actions& out) {
  last_now_ = std::max(last_now_, now);
  if (state_ == session_state::closed) return;
  terminate(close_reason::unbound, unknown_reason::disconnected, false, out);
}

void session::terminate(close_reason reason, unknown_reason why, bool emit_close, actions& out) {
  // Hand back in send order (deadline order equals send order: one fixed timeout).
  for (auto const& [deadline, seq] : submit_deadlines_)
    out.push_back(submit_unknown{outstanding_.at(seq).ref, seq, why});
  submit_deadlines_.clear();
  outstanding_.clear();
  submits_outstanding_ = 0;
  pending_delivers_.clear();
  bind_deadline_.reset();
  enquire_link_due_.reset();
  enquire_link_deadline_.reset();
  enquire_link_seq_.reset();
  drain_deadline_.reset();
  unbind_deadline_.reset();
  set_state(session_state::closed, out);
  if (emit_close) out.push_back(close_connection{reason});
}

void session::erase_outstanding(std::map<std::uint32_t, outstanding>::iterator it) {
  if (it->second.kind == request_kind::submit) {
    submit_deadlines_.erase({it->second.deadline, it->first});
    --submits_outstanding_;
  }
  outstanding_.erase(it);
}

std::optional<steady_time> session::next_deadline() const {
  if (state_ == session_state::closed) return std::nullopt;
  std::optional<steady_time> t;
  earliest(t, bind_deadline_);
  earliest(t, enquire_link_deadline_);
  if (state_ != session_state::unbinding) earliest(t, enquire_link_due_);
  earliest(t, drain_deadline_);
  earliest(t, unbind_deadline_);
  if (!submit_deadlines_.empty()) earliest(t, submit_deadlines_.begin()->first);
  return t;
}

bool session::can_submit() const noexcept {
  return state_ == session_state::bound_tx || state_ == session_state::bound_trx;
}

std::size_t session::window_free() const noexcept {
  if (!can_submit() || submits_outstanding_ >= config_.window) return 0;
  return config_.window - submits_outstanding_;
}

std::string_view to_string(session_state s) noexcept {
  switch (s) {
    case session_state::open:
      return "open";
    case session_state::binding:
      return "binding";
    case session_state::bound_tx:
      return "bound_tx";
    case session_state::bound_rx:
      return "bound_rx";
    case session_state::bound_trx:
      return "bound_trx";
    case session_state::draining:
      return "draining";
    case session_state::unbinding:
      return "unbinding";
    case session_state::closed:
      return "closed";
  }
  return "unknown";
}

std::string_view to_string(close_reason r) noexcept {
  switch (r) {
    case close_reason::unbound:
      return "unbound";
    case close_reason::unbind_timeout:
      return "unbind_timeout";
    case close_reason::peer_unbound:
      return "peer_unbound";
    case close_reason::enquire_link_timeout:
      return "enquire_link_timeout";
    case close_reason::bind_failed:
      return "bind_failed";
    case close_reason::bind_timeout:
      return "bind_timeout";
    case close_reason::closed_unbound:
      return "closed_unbound";
  }
  return "unknown";
}

std::string_view to_string(unknown_reason r) noexcept {
  switch (r) {
    case unknown_reason::response_timeout:
      return "response_timeout";
    case unknown_reason::disconnected:
      return "disconnected";
    case unknown_reason::peer_dead:
      return "peer_dead";
    case unknown_reason::peer_unbound:
      return "peer_unbound";
    case unknown_reason::session_closed:
      return "session_closed";
    case unknown_reason::undecodable_response:
      return "undecodable_response";
  }
  return "unknown";
}

std::string_view to_string(bind_mode m) noexcept {
  switch (m) {
    case bind_mode::transmitter:
      return "transmitter";
    case bind_mode::receiver:
      return "receiver";
    case bind_mode::transceiver:
      return "transceiver";
  }
  return "unknown";
}

std::string_view to_string(submit_refusal r) noexcept {
  switch (r) {
    case submit_refusal::none:
      return "accepted";
    case submit_refusal::not_bound:
      return "not_bound";
    case submit_refusal::window_full:
      return "window_full";
    case submit_refusal::closing:
      return "closing";
  }
  return "unknown";
}

}  // namespace smsgw::smpp
