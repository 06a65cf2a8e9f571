// daemon/link/smsc_link_io.cpp: the four sibling coroutines of one connection (reader, writer,
// timer, feeder) and the execution of the session's actions.
// Design decision: a submit_sm is encoded BEFORE the session takes it (sequence_number 0,
// patched afterwards), so a message the codec refuses is rejected without occupying a window
// slot, and each message is encoded exactly once with no copy of it made.
#include <span>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "daemon/link/cancellation.hpp"
#include "daemon/redact/redact.hpp"
#include "daemon/link/smsc_link.hpp"
#include "daemon/link/smsc_link_connection.hpp"
#include "smpp/codec.hpp"

namespace smsgw {

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 64 * 1024;

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
// Spelled out for clang 14 (the fuzz build), which lacks C++20's aggregate deduction.
template <class... F>
overloaded(F...) -> overloaded<F...>;

std::string read_end_reason(error_code const& ec) {
  if (ec == asio::error::eof) return "peer closed the connection";
  if (ec == asio::ssl::error::stream_truncated) return "peer closed the TLS stream without close_notify";
  return fmt::format("read: {}", ec.message());
}

link_state link_state_of(smpp::session_state s) {
  switch (s) {
    case smpp::session_state::open:
    case smpp::session_state::binding: return link_state::binding;
    case smpp::session_state::bound_tx:
    case smpp::session_state::bound_rx:
    case smpp::session_state::bound_trx: return link_state::bound;
    case smpp::session_state::draining:
    case smpp::session_state::unbinding: return link_state::closing;
    case smpp::session_state::closed: break;
  }
  return link_state::disconnected;
}
}  // namespace

asio::awaitable<void> smsc_link::read_pdus(link_connection& c) {
  for (;;) {
    auto region = c.framer.prepare(read_chunk);
    auto [ec, n] = co_await c.stream.read_some(asio::buffer(region.data(), region.size()));
    if (ec) {
      c.finish(c.finished ? c.end_reason : read_end_reason(ec));
      co_return;
    }
    c.framer.commit(n);
    auto const now = std::chrono::steady_clock::now();
    for (;;) {
      auto frame = c.framer.next();
      if (!frame) {
        // Framing is lost for good: answer what we can, flush, close (docs/smpp.md §Malformed PDUs and generic_nack).
        auto const why = frame.error().message();
        spdlog::error("read {} {}: {}", config_.id.bind, config_.id.peer, why);
        (void)smpp::encode(smpp::make_generic_nack(frame.error()), c.pending);
        c.close_requested = true;
        c.end_reason = why;
        c.wake_writer();
        co_return;
      }
      if (frame->empty()) break;
      auto decoded = smpp::decode(*frame);
      if (decoded) {
        session_.on_pdu(*decoded, now, actions_);
      } else {
        spdlog::warn("decode {} {}: {}", config_.id.bind, config_.id.peer, decoded.error().message());
        session_.on_decode_error(decoded.error(), now, actions_);
      }
      process(c);
    }
  }
}

asio::awaitable<void> smsc_link::write_pdus(link_connection& c) {
  for (;;) {
    if (c.pending.empty()) {
      if (c.close_requested) {
        c.finish(c.end_reason.empty() ? "closed by us" : c.end_reason);
        co_return;
      }
      co_await c.writer_wake.wait();
      if (c.finished || was_cancelled(co_await asio::this_coro::cancellation_state)) co_return;
      continue;
    }
    // Everything queued since the last write goes out in one write (one syscall, one TLS
    // record): the batching that keeps a full window from waiting on delayed ACKs.
    std::swap(c.pending, c.writing);
    auto [ec, n] = co_await c.stream.write(asio::buffer(c.writing));
    c.writing.clear();
    ++stats_.write_batches;
    if (ec) {
      if (!c.finished) spdlog::warn("write {} {}: {}", config_.id.bind, config_.id.peer, ec.message());
      c.finish(c.finished ? c.end_reason : fmt::format("write: {}", ec.message()));
      co_return;
    }
  }
}

asio::awaitable<void> smsc_link::drive_timers(link_connection& c) {
  for (;;) {
    auto const deadline = session_.next_deadline();
    c.timer.expires_at(deadline.value_or(smpp::steady_time::max()));
    auto [ec] = co_await c.timer.async_wait(use_tuple);
    if (was_cancelled(co_await asio::this_coro::cancellation_state) || c.finished) co_return;
    if (ec) continue;  // re-armed earlier by process(): look at the new deadline
    session_.on_tick(std::chrono::steady_clock::now(), actions_);
    process(c);
  }
}

asio::awaitable<void> smsc_link::feed_submits(link_connection& c) {
  for (;;) {
    while (feed_ == nullptr || session_.window_free() == 0) {
      co_await c.room.wait();
      if (c.finished || was_cancelled(co_await asio::this_coro::cancellation_state)) co_return;
    }
    auto batch = co_await feed_->next(session_.window_free());
    if (was_cancelled(co_await asio::this_coro::cancellation_state)) {  // the connection ended while we waited: nothing was sent
      for (auto& m : batch) feed_->give_back(std::move(m));
      co_return;
    }
    auto const now = std::chrono::steady_clock::now();
    for (auto& m : batch) submit_one(c, std::move(m), now);
  }
}

void smsc_link::submit_one(link_connection& c, outbound_message m, smpp::steady_time now) {
  if (!session_.can_submit() || session_.window_free() == 0 || c.close_requested) {
    feed_->give_back(std::move(m));
    return;
  }
  auto const mark = c.pending.size();
  smpp::pdu p{smpp::command_status::ok, 0, std::move(m.submit), std::move(m.tlvs)};
  if (auto err = smpp::encode(p, c.pending)) {
    ++stats_.rejected;
    spdlog::warn("submit_sm {} {}: ref {} refused before sending: {}", config_.id.bind,
                 config_.id.peer, m.ref, err->message());
    events_.on_submit_result(config_.id, m.ref, "", err->status);
    return;
  }
  auto const refusal = session_.submit(m.ref, std::get<smpp::submit_sm>(std::move(p.body)),
                                       std::move(p.tlvs), now, actions_);
  if (refusal != smpp::submit_refusal::none) {  // cannot happen after the checks above
    c.pending.resize(mark);
    spdlog::error("submit_sm {}: session refused ref {}: {}", config_.id.bind, m.ref,
                  smpp::to_string(refusal));
    feed_->give_back(std::move(m));
    return;
  }
  // The session appended exactly one send_pdu for it: its bytes are already in the outbox,
  // so take the PDU back (for a throttled retry) and patch in the sequence_number.
  for (auto it = actions_.begin(); it != actions_.end(); ++it) {
    auto* send = std::get_if<smpp::send_pdu>(&*it);
    if (send == nullptr || send->p.id() != smpp::command_id::submit_sm) continue;
    smpp::patch_sequence_number(std::span(c.pending).subspan(mark), send->p.sequence_number);
    m.submit = std::get<smpp::submit_sm>(std::move(send->p.body));
    m.tlvs = std::move(send->p.tlvs);
    actions_.erase(it);
    break;
  }
  ++stats_.submitted;
  in_flight_.insert_or_assign(m.ref, std::move(m));
  process(c);
  c.wake_writer();
}

void smsc_link::process(link_connection& c) {
  auto const& id = config_.id;
  bool room = false;
  for (auto& a : actions_) {
    std::visit(
        overloaded{
            [&](smpp::send_pdu& s) {
              if (auto err = smpp::encode(s.p, c.pending)) {
                spdlog::error("encode {} {} {}: {}", smpp::command_name(s.p.id()), id.bind,
                              id.peer, err->message());
                return;
              }
              ++stats_.pdus_sent;
              c.wake_writer();
            },
            [&](smpp::close_connection const& cc) {
              c.close_requested = true;
              if (c.end_reason.empty()) c.end_reason = std::string(smpp::to_string(cc.reason));
              c.wake_writer();
            },
            [&](smpp::state_changed const& sc) {
              if (sc.to != smpp::session_state::closed) set_state(link_state_of(sc.to), "");
            },
            [&](smpp::bound const& b) {
              ++stats_.binds;
              c.bound = true;
              last_bind_error_.clear();
              set_state(link_state::bound,
                        fmt::format("{} to {}", smpp::to_string(b.mode), b.smsc_system_id));
              room = true;
            },
            [&](smpp::bind_failed const& f) { handle_bind_failed(f); },
            [&](smpp::submit_result& r) {
              room = true;
              auto node = in_flight_.extract(r.ref);
              bool const ok = r.status == smpp::command_status::ok;
              ++(ok ? stats_.accepted : stats_.rejected);
              if (!ok) {
                spdlog::info("submit_sm {} {}: ref {} refused: {}", id.bind, id.peer, r.ref,
                             make_error_code(r.status).message());
              }
              events_.on_submit_result(id, r.ref, r.message_id, r.status);
            },
            [&](smpp::submit_throttled& t) {
              room = true;
              ++stats_.throttled;
              auto node = in_flight_.extract(t.ref);
              if (!node.empty() && feed_ != nullptr) feed_->throttled(std::move(node.mapped()), t.status);
            },
            [&](smpp::submit_unknown& u) {
              room = true;
              ++stats_.unknown;
              in_flight_.erase(u.ref);
              spdlog::warn("submit_sm {} {}: ref {} outcome unknown: {}", id.bind, id.peer, u.ref,
                           smpp::to_string(u.reason));
              events_.on_outcome_unknown(id, u.ref, smpp::to_string(u.reason));
            },
            [&](smpp::deliver_received& d) {
              ++stats_.delivers;
              events_.on_deliver(id, d.p, deliver_ack(executor_, c.ack_sink, d.sequence_number));
            },
            [&](smpp::alert_received const&) {
              spdlog::info("alert_notification {} {}", id.bind, id.peer);
            },
            [&](smpp::outbind_received const&) {
              spdlog::warn("outbind {} {}: ignored (we bind on our own)", id.bind, id.peer);
            },
            [&](smpp::peer_unbound const&) {
              spdlog::info("unbind {} {}: the SMSC unbound", id.bind, id.peer);
            },
            [&](smpp::response_ignored const& r) {
              spdlog::debug("{} {} {}: seq {} matches nothing outstanding ({})",
                            smpp::command_name(r.id), id.bind, id.peer, r.sequence_number,
                            make_error_code(r.status).message());
            },
            [&](smpp::request_rejected const& r) {
              spdlog::warn("request 0x{:08x} {} {}: seq {} answered {}{}{}", r.command_id,
                           id.bind, id.peer, r.sequence_number,
                           smpp::command_status_name(r.answered), r.detail.empty() ? "" : ": ",
                           r.detail);
            },
        },
        a);
  }
  actions_.clear();
  if (room) c.signal_room();
  // The timer sleeps until the session's earliest deadline: wake it if that moved earlier.
  if (auto d = session_.next_deadline(); d && *d < c.timer.expiry()) c.timer.expires_at(*d);
}

}  // namespace smsgw
