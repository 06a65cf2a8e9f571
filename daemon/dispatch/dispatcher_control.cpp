// daemon/dispatch/dispatcher_control.cpp: what an operator asks of the dispatcher (issue #14):
// cancel a message not yet written to a socket, suspend or resume a carrier, and how each
// carrier is used for routing now (for GET /v1/carriers and /healthz).
// Cancel: the queue decides (store::cancel_unsent, on the queue thread), against the sending
// mark a link's before_send sets there: whichever commits first wins, so a message is either
// cancelled and never written, or written and not cancelled. The answer then drops it from the
// buffer it waits in (network thread, where every buffer lives).
// Suspension: the failover path of issue #13 §5. A suspended carrier counts as down for
// routing at once (is_up), its buffered OTPs go to its alternates (fail_over_buffered), its
// other buffered messages back to the queue, where they wait for the resume like the queued
// ones (claim_ceiling lets others claim only its OTPs while it is down).
#include "daemon/dispatch/dispatcher.hpp"
#include "daemon/dispatch/dispatcher_source.hpp"

#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/dispatch/queue_bridge.hpp"
#include "queue/state.hpp"
#include "queue/store.hpp"

namespace smsgw {

std::string_view dispatcher::to_string(route_state s) noexcept {
  switch (s) {
    case route_state::up: return "up";
    case route_state::down: return "down";
    case route_state::failed_over: return "failed_over";
    case route_state::suspended: return "suspended";
  }
  return "unknown";
}

boost::asio::awaitable<queue::result<queue::cancel_outcome>> dispatcher::cancel(queue::message_id id,
                                                                                std::string who) {
  auto const detail = who.empty() ? std::string("cancelled through the API")
                                  : fmt::format("cancelled through the API by {}", who);
  cancelling_.insert(id);
  auto work = [id, detail](queue::store& s) {
    return s.cancel_unsent(id, detail, queue::clock::now());
  };
  auto r = co_await queue_call(gc_, std::move(work));
  cancelling_.erase(cancelling_.find(id));
  if (!r) {
    if (r.error().code != queue::errc::not_found) note_queue_error(r.error().message);
    co_return r;
  }
  auto const ref = static_cast<std::uint64_t>(id);
  auto held = handed_out_.find(ref);
  if (r->cancelled) {
    // Claimed and still in a buffer: out of it, so no link takes it. (A link that popped it
    // already finds it refused by mark_sending: forget_unsent.)
    if (held != handed_out_.end()) {
      for (auto& [name, source] : sources_) source->remove(static_cast<int>(held->second.prio), ref);
      handed_out_.erase(held);
    }
    spdlog::warn("message {}: {}", id, detail);
    log_final(r->msg, queue::to_string(queue::state::cancelled), "", detail);
  } else if (held != handed_out_.end() && queue::is_final(r->msg.st)) {
    // mark_sending refused it meanwhile for its expiry, while this cancel was pending
    // (forget_unsent left it to us): recorded as it ended.
    handed_out_.erase(held);
    ++stats_.expired_unsent;
    log_final(r->msg, queue::to_string(r->msg.st), "", r->msg.detail);
  }
  co_return r;
}

boost::asio::awaitable<queue::result<void>> dispatcher::set_suspended(std::string carrier,
                                                                      bool suspend, std::string who) {
  if (sources_.find(carrier) == sources_.end())
    co_return queue::error{queue::errc::invalid_argument, fmt::format("no carrier {}", carrier)};
  auto work = [carrier, suspend, who](queue::store& s) {
    return s.set_carrier_suspended(carrier, suspend, who, queue::clock::now());
  };
  auto r = co_await queue_call(gc_, std::move(work));
  if (!r) {
    note_queue_error(r.error().message);
    co_return r;
  }
  bool const changed = suspended(carrier) != suspend;
  apply_suspension(carrier, suspend);
  spdlog::warn("carrier {}: {} by an operator{}{}", carrier, suspend ? "suspended" : "resumed",
               who.empty() ? "" : ": ", who, changed ? "" : " (it already was)");
  co_return r;
}

bool dispatcher::apply_suspension(std::string const& carrier, bool suspend) {
  if (sources_.find(carrier) == sources_.end()) return false;
  auto const now = std::chrono::steady_clock::now();
  bool const was_up = is_up(carrier);
  if (suspend) {
    if (!suspended_.insert(carrier).second) return true;  // already
    sources_.at(carrier)->withdraw_standing();  // it claims nothing while suspended
    down_since_.try_emplace(carrier, now);
    fail_over_buffered(carrier, true);  // at once: no failover_after wait for an operator
    requeue_buffered_non_otp(carrier);
  } else {
    if (suspended_.erase(carrier) == 0) return true;  // already
    if (!was_up && is_up(carrier)) came_up(carrier, now);
  }
  // Its queued OTPs are claimed by its alternates now (claim_ceiling), or by itself again.
  for (auto& [name, source] : sources_) source->wake();
  return true;
}

void dispatcher::requeue_buffered_non_otp(std::string const& carrier) {
  auto it = sources_.find(carrier);
  if (it == sources_.end()) return;
  std::vector<std::pair<queue::message_id, std::string>> back;
  for (int prio = static_cast<int>(queue::priority::transactional);
       prio <= static_cast<int>(queue::priority::bulk); ++prio) {
    for (auto& out : it->second->drain_priority(prio)) {
      auto h = handed_out_.find(out.ref);
      if (h == handed_out_.end()) continue;
      if (out.sending_marked) {  // marked, then put back by a link: may be written; keep it
        it->second->push(std::move(out));
        continue;
      }
      back.emplace_back(h->second.id, h->second.route.empty() ? h->second.carrier : h->second.route);
      handed_out_.erase(h);
    }
  }
  if (back.empty()) return;
  auto const detail = fmt::format("carrier {} suspended: back to the queue until it is resumed", carrier);
  queue_post(gc_, executor_,
      [back, detail](queue::store& s) -> queue::result<std::size_t> {
        auto const now = queue::clock::now();
        std::size_t n = 0;
        // Never written to a link: not an attempt that may have reached the SMSC.
        for (auto const& [id, route] : back)
          if (s.requeue(id, route, now, detail, now)) ++n;
        return n;
      },
      [this, carrier, total = back.size()](queue::result<std::size_t> r) {
        if (!r) {
          note_queue_error(r.error().message);
          spdlog::error("carrier {} suspended: returning {} buffered message(s) to the queue: {}",
                        carrier, total, r.error().message);
          return;
        }
        spdlog::info("carrier {} suspended: {} buffered non-OTP message(s) back to the queue",
                     carrier, *r);
      });
}

dispatcher::carrier_route_status dispatcher::route_status(std::string_view carrier) const {
  carrier_route_status st;
  if (auto b = bound_.find(carrier); b != bound_.end()) st.bound = b->second.size();
  if (auto u = unbound_since_.find(carrier); u != unbound_since_.end()) st.unbound_since = u->second;
  if (auto s = sources_.find(carrier); s != sources_.end()) st.buffered = s->second->buffered();
  if (suspended(carrier)) {
    st.state = route_state::suspended;
  } else if (is_up(carrier)) {
    st.state = route_state::up;
  } else {
    auto const* rc = config_->find_carrier(carrier);
    auto const failover = rc ? rc->failover_after : std::chrono::milliseconds(5000);
    auto d = down_since_.find(carrier);
    // Never up since the start: its OTPs go with their claimer at once (source_of).
    bool const failed = d == down_since_.end() || std::chrono::steady_clock::now() - d->second >= failover;
    st.state = failed ? route_state::failed_over : route_state::down;
  }
  return st;
}

}  // namespace smsgw
