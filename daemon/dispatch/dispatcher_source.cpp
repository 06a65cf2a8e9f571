// daemon/dispatch/dispatcher_source.cpp: the dispatcher's per-carrier message_source and make_outbound.
// A source keeps a small in-memory buffer (messages claimed, in_flight) in (priority, ref)
// order; when it is empty, take() claims from the queue on the queue thread: from its own
// carrier's messages and from those of carriers naming it as an alternate route. A claimed
// message whose route names another carrier goes to that carrier's buffer.
// Design decision: the claim does not set the sending mark (and needs no fsync: a claim lost
// in a crash leaves the message queued); before_send() sets it for the batch a link is about
// to write, durably, so after a crash "outcome unknown" means "may have reached the SMSC".
// Except when the link can write at once what it takes (take_writable: window room, tokens)
// and nothing claimed can wait in memory (own carrier only, no peak-hour share holding a
// class back): then the claim sets the mark in the same transaction (claim_for_sending) and
// the link writes only after its fsync, one queue round instead of two. And while such a link
// waits for work, that claim stands by with the queue writer (stand_by): it runs in the round
// that commits the next enqueue for this carrier, so at a low rate the enqueue, the claim and
// its mark share one transaction round, one fsync and one post back to the network thread.
#include "daemon/dispatch/dispatcher.hpp"
#include "daemon/dispatch/dispatcher_source.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <spdlog/spdlog.h>

#include "daemon/dispatch/queue_bridge.hpp"
#include "smpp/text.hpp"
#include "smpp/validity.hpp"

namespace smsgw {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

void set_sender(smpp::submit_sm& sm, std::string const& sender) {
  bool alpha = sender.find_first_not_of("+0123456789") != std::string::npos;
  sm.source_addr = sender;
  sm.source_addr_ton = alpha ? 5 : 1;  // alphanumeric : international
  sm.source_addr_npi = alpha ? 0 : 1;
}

boost::system::result<outbound_message, std::string> make_outbound(queue::message const& m,
                                                                   queue::time_point now) {
  outbound_message out;
  out.ref = static_cast<std::uint64_t>(m.id);
  out.priority = static_cast<int>(m.prio);
  auto counted = smpp::encode_text(m.text);  // udh8 parts: what the SMSC bills
  if (!counted) return std::string("text cannot be encoded: ") + counted.error().message();
  out.segments = static_cast<unsigned>(counted->segments.size());
  auto& sm = out.submit;
  set_sender(sm, m.sender);
  sm.destination_addr = m.recipient;
  sm.dest_addr_ton = 1;
  sm.dest_addr_npi = 1;
  sm.registered_delivery = 1;  // receipt on success and failure
  refresh_validity(out, m.expires_at, now);  // set again when a link takes it (pop)
  if (counted->segments.size() == 1) {
    sm.data_coding = counted->data_coding;
    sm.short_message = std::move(counted->segments.front());
    return out;
  }
  // Several parts: one PDU with the whole text in message_payload (the SMSC splits it).
  smpp::text_options opt;
  opt.split = smpp::split_mode::payload;
  auto whole = smpp::encode_text(m.text, opt);
  if (!whole) return std::string("text cannot be encoded: ") + whole.error().message();
  sm.data_coding = whole->data_coding;
  out.tlvs.push_back({0x0424, std::move(whole->segments.front())});
  return out;
}

bool refresh_validity(outbound_message& m, queue::time_point expires_at, queue::time_point now) {
  auto const left = std::chrono::floor<std::chrono::seconds>(expires_at - now);
  if (left.count() < 1) return false;
  if (auto v = smpp::encode_relative_time(left)) m.submit.validity_period = *v;
  return true;
}

dispatcher_source::dispatcher_source(source_owner& owner, std::string carrier,
                                     std::vector<std::string> keys)
    : owner_(owner), carrier_(std::move(carrier)), keys_(std::move(keys)),
      wake_(owner.executor()) {}

dispatcher_source::~dispatcher_source() {
  if (standing_id_ != 0) owner_.queue_writer().withdraw(standing_id_);
}

void dispatcher_source::push(outbound_message m) {
  bool const otp = m.priority == 0;
  if (buffer_.emplace(std::pair{m.priority, m.ref}, std::move(m)).second && otp) ++otps_;
  // Our own claim's messages need no wake-up: take() pops them right after. (Waking would
  // make the next take() ask the queue again for nothing.)
  if (!accepting_own_claim_) wake();
}

std::map<std::pair<int, std::uint64_t>, outbound_message>::iterator dispatcher_source::erase(
    std::map<std::pair<int, std::uint64_t>, outbound_message>::iterator it) {
  if (it->first.first == 0) --otps_;
  return buffer_.erase(it);
}

void dispatcher_source::wake() { wake_.notify(); }

namespace {
constexpr auto poll_interval = std::chrono::milliseconds(250);
std::size_t class_of(int priority) noexcept {
  return static_cast<std::size_t>(std::clamp(priority, 0, static_cast<int>(traffic_classes) - 1));
}
}  // namespace

asio::awaitable<std::vector<outbound_message>> dispatcher_source::take_for(std::size_t max,
                                                                           bool writable) {
  auto cs = co_await asio::this_coro::cancellation_state;
  asio::steady_timer poll(owner_.executor());
  while (cs.cancelled() == asio::cancellation_type::none) {
    // After stop_dequeuing() nothing is handed out: the caller waits here until its link
    // closes and cancels it. (Returning empty at once would let a link's feeder spin
    // without ever yielding to the event loop.)
    // Suspended by an operator: its traffic goes to its alternates (docs/dispatcher.md).
    if (!owner_.stopping() && !owner_.suspended(carrier_)) {
      apply_schedule();  // a window's edge may have passed since the last look
      if (auto out = pop(max); !out.empty()) co_return out;
      // Nothing in the buffer may go now: claim (only the classes the window lets go), unless
      // the last claim came back short and nothing woke us since: the queue had no more then.
      if (!claimed_all_ && !standing_ran_ && drained_at_) {
        // The standing claim that brought the last messages took all there was, and nothing
        // was enqueued since: stand by again at once. (An enqueue racing with that is caught
        // by the counter or, if after this look, by its notification's wake-up.)
        claimed_all_ = writable && *drained_at_ == owner_.queue_writer().enqueue_commits() &&
                       may_mark_at_claim();
      }
      drained_at_.reset();
      if (!claimed_all_ && !standing_ran_) {
        bool const mark = writable && may_mark_at_claim();
        auto claimed = co_await claim(max, mark);
        claimed_all_ = claimed.size() < max;
        backlog_ = !claimed_all_;
        accepting_own_claim_ = true;  // what lands in our buffer now is popped just below
        owner_.accept_claimed(std::move(claimed), *this, mark);
        accepting_own_claim_ = false;
        // (Suspended while the claim was in the queue: accept_claimed moved its messages on.)
        if (owner_.suspended(carrier_)) continue;
        if (auto out = pop(max); !out.empty()) co_return out;
      }
    }
    // Nothing due: wait for an enqueue for this carrier, or poll (a retry's not_before may
    // pass, a peak-hour window may end, another process may not notify us). Cancellation
    // ends both waits. A link that can write at once leaves a claim standing by meanwhile.
    if (writable && claimed_all_ && !standing_ran_ && !owner_.stopping() &&
        !owner_.suspended(carrier_) && may_mark_at_claim()) {
      stand_by(max);
    }
    struct withdraw_on_exit {
      dispatcher_source& s;
      ~withdraw_on_exit() { s.withdraw_standing(); }
    } guard{*this};
    poll.expires_after(class_wait());
    co_await (wake_.wait() ||
              poll.async_wait(asio::as_tuple(asio::use_awaitable)));
    claimed_all_ = false;  // an enqueue, or time passed (a retry may be due): claim again
  }
  co_return std::vector<outbound_message>{};
}

void dispatcher_source::apply_schedule() {
  auto const& st = owner_.schedule_for(carrier_);
  if (have_rules_ && st.same_rules(rules_)) {
    rules_.until = st.until;
    return;
  }
  rules_ = st;
  have_rules_ = true;
  auto const now = std::chrono::steady_clock::now();
  for (std::size_t c = 0; c < traffic_classes; ++c) {
    double const share = rules_.share[c];
    class_bucket_[c].reset();
    if (share > 0 && share < 1) {
      smpp::token_bucket_config bc;
      bc.rate = share * rules_.cap;
      bc.burst = std::max(1.0, bc.rate);  // one second's worth
      bc.min_rate = bc.rate;
      class_bucket_[c].emplace(bc, now);
    }
  }
}

int dispatcher_source::ceiling() {
  apply_schedule();
  int c = 0;
  while (c + 1 < static_cast<int>(traffic_classes) && rules_.share[static_cast<std::size_t>(c + 1)] > 0) ++c;
  // A capped class still buffered: claim no more of it (nor of what is less urgent) until it
  // went, so the buffer holds at most one claim of held-back messages.
  for (auto const& [key, m] : buffer_) {
    auto const k = class_of(m.priority);
    if (k > 0 && rules_.share[k] < 1) c = std::min(c, static_cast<int>(k) - 1);
  }
  return c;
}

std::chrono::nanoseconds dispatcher_source::class_wait() const {
  std::chrono::nanoseconds wait = poll_interval;
  auto const now = std::chrono::steady_clock::now();
  for (auto const& [key, m] : buffer_) {
    auto const& b = class_bucket_[class_of(m.priority)];
    if (b) wait = std::min(wait, std::max<std::chrono::nanoseconds>(b->time_until(1, now), std::chrono::milliseconds(1)));
  }
  return wait;
}

std::vector<outbound_message> dispatcher_source::drain() {
  std::vector<outbound_message> out;
  for (auto& [key, m] : buffer_) out.push_back(std::move(m));
  buffer_.clear();
  otps_ = 0;
  return out;
}

std::vector<outbound_message> dispatcher_source::drain_priority(int priority) {
  std::vector<outbound_message> out;
  auto first = buffer_.lower_bound({priority, 0});
  auto last = buffer_.lower_bound({priority + 1, 0});
  for (auto it = first; it != last; ++it) out.push_back(std::move(it->second));
  buffer_.erase(first, last);
  if (priority == 0) otps_ = 0;
  return out;
}

std::vector<outbound_message> dispatcher_source::pop(std::size_t max) {
  std::vector<outbound_message> out;
  auto const now = queue::clock::now();
  auto const steady = std::chrono::steady_clock::now();
  for (auto it = buffer_.begin(); it != buffer_.end() && out.size() < std::max<std::size_t>(max, 1);) {
    auto const k = class_of(it->second.priority);
    double const share = rules_.share[k];
    bool const go = share >= 1 || (share > 0 && class_bucket_[k] &&
                                   class_bucket_[k]->try_take(std::max(1u, it->second.segments), steady));
    if (!go) {
      // Held back by a peak-hour window: it waits here, but never past its validity.
      if (owner_.still_sendable(it->second, now)) ++it;
      else it = erase(it);
      continue;
    }
    auto m = std::move(it->second);
    it = erase(it);
    // It may have waited here (tokens, throttling, a reconnect) past its expiry.
    if (owner_.still_sendable(m, now)) out.push_back(std::move(m));
  }
  return out;
}

bool dispatcher_source::may_mark_at_claim() {
  // A backlog (the last claim filled its max): claim without the mark, so the carrier's gate
  // is released before the mark's fsync and its other binds claim meanwhile (a flood).
  if (backlog_) return false;
  if (keys_.size() != 1 || keys_.front() != carrier_) return false;
  int const c = ceiling();
  for (int k = 0; k <= c; ++k)
    if (class_bucket_[static_cast<std::size_t>(k)]) return false;
  return true;
}

asio::awaitable<std::vector<queue::message>> dispatcher_source::claim(std::size_t max, bool mark) {
  if (mark) {
    auto const upto = static_cast<queue::priority>(ceiling());
    auto work = [carrier = carrier_, max, upto](queue::store& s) {
      return s.claim_for_sending(carrier, max, queue::clock::now(), upto);
    };
    // Durable: the sending mark must be on disk before any of these is written.
    auto r = co_await queue_call(owner_.queue_writer(), std::move(work));
    if (!r) {
      owner_.count_queue_error(r.error().message);
      spdlog::error("claim for sending for {}: {}", carrier_, r.error().message);
      co_return std::vector<queue::message>{};
    }
    co_return std::move(*r);
  }
  // Each key up to the least urgent class both this source and the key's own carrier (the
  // usual route of its messages) may send now under their peak-hour windows.
  std::vector<std::pair<std::string, queue::priority>> keys;
  int const own = ceiling();
  for (auto const& k : keys_) {
    int const c = k == carrier_ ? own : std::min(own, owner_.claim_ceiling(k));
    keys.emplace_back(k, static_cast<queue::priority>(c));
  }
  // A named callable: gcc 12 destroys lambda temporaries inside co_await expressions twice.
  auto work = [keys, max](queue::store& s) -> queue::result<std::vector<queue::message>> {
    auto const now = queue::clock::now();
    std::vector<queue::message> all;
    // OTPs of every key first: an alternate serves the OTPs of the carriers it backs up
    // before its own transactional and bulk traffic. Then the rest, key by key.
    for (bool otps_only : {true, false}) {
      for (auto const& [k, least_urgent] : keys) {
        if (all.size() >= max) return all;
        auto const upto = otps_only ? queue::priority::otp : least_urgent;
        if (!otps_only && upto == queue::priority::otp) continue;  // claimed in the first pass
        auto got = s.claim(k, max - all.size(), now, upto);
        if (!got) return got.error();
        for (auto& m : *got) all.push_back(std::move(m));
      }
    }
    return all;
  };
  // Not durable: nothing is sent on the strength of a claim alone (before_send is).
  auto r = co_await queue_call(owner_.queue_writer(), std::move(work), false);
  if (!r) {
    owner_.count_queue_error(r.error().message);
    spdlog::error("claim for {}: {}", carrier_, r.error().message);
    co_return std::vector<queue::message>{};
  }
  co_return std::move(*r);
}

void dispatcher_source::stand_by(std::size_t max) {
  auto const upto = static_cast<queue::priority>(ceiling());
  auto* gc = &owner_.queue_writer();
  auto work = [carrier = carrier_, max, upto, gc](queue::store& s) -> queue::result<standing_answer> {
    auto got = s.claim_for_sending(carrier, max, queue::clock::now(), upto);
    if (!got) return got.error();
    return standing_answer{std::move(*got), gc->enqueue_commits()};
  };
  auto tracked = asio::prefer(owner_.executor(), asio::execution::outstanding_work.tracked);
  std::weak_ptr<dispatcher_source*> self = self_;
  standing_max_ = max;
  using R = queue::result<standing_answer>;
  // Durable like claim(mark): the answer comes once the round's fsync covered the mark.
  standing_id_ = owner_.queue_writer().run_then_after_enqueue(
      carrier_, std::move(work), [self, tracked](R r) {
        auto value = std::make_shared<R>(std::move(r));
        detail::post_from_queue(tracked, [self, value] {
          if (auto p = self.lock()) (*p)->standing_claimed(std::move(*value));
        });
      });
}

void dispatcher_source::withdraw_standing() {
  if (standing_id_ == 0) return;
  if (!owner_.queue_writer().withdraw(standing_id_)) standing_ran_ = true;  // its answer comes
  standing_id_ = 0;
}

void dispatcher_source::standing_claimed(queue::result<standing_answer> r) {
  // Its answer may come before the wait ended (the usual case: the enqueue's notification
  // and this arrive in one post), while take() still counts it as standing.
  standing_id_ = 0;
  standing_ran_ = false;
  if (!r) {
    owner_.count_queue_error(r.error().message);
    spdlog::error("standing claim for sending for {}: {}", carrier_, r.error().message);
  } else {
    if (r->messages.size() < standing_max_) drained_at_ = r->enqueue_commits;
    if (!r->messages.empty()) {
      claimed_all_ = false;
      owner_.accept_claimed(std::move(r->messages), *this, true);
    }
  }
  wake();  // take() claims again or pops what came (it may wait for this answer)
}

asio::awaitable<void> dispatcher_source::before_send(std::vector<outbound_message>& batch) {
  std::vector<queue::message_id> ids;
  for (auto const& m : batch)
    if (!m.sending_marked) ids.push_back(static_cast<queue::message_id>(m.ref));
  if (ids.empty()) co_return;
  auto work = [ids](queue::store& s) -> queue::result<std::vector<queue::message_id>> {
    auto const now = queue::clock::now();
    auto all = s.mark_sending(ids, now);
    if (all || (all.error().code != queue::errc::invalid_state &&
                all.error().code != queue::errc::not_found)) {
      return all;
    }
    // One of them is not ours to send any more (never expected): mark the others one by one.
    std::vector<queue::message_id> ok;
    for (auto id : ids) {
      if (auto one = s.mark_sending(std::span(&id, 1), now); one && !one->empty()) ok.push_back(id);
    }
    return ok;
  };
  auto r = co_await queue_call(owner_.queue_writer(), std::move(work));
  if (!r) {
    // Not recorded (the queue failed, e.g. a failed fsync): not sent either. They wait in
    // the buffer; /healthz reports the queue's error.
    owner_.count_queue_error(r.error().message);
    spdlog::error("mark sending for {}: {}", carrier_, r.error().message);
    for (auto& m : batch) push(std::move(m));
    batch.clear();
    co_return;
  }
  std::vector<outbound_message> sendable;
  sendable.reserve(batch.size());
  std::size_t next_ok = 0;  // mark_sending answers in the order it was asked
  for (auto& m : batch) {
    if (!m.sending_marked) {
      if (next_ok < r->size() && (*r)[next_ok] == static_cast<queue::message_id>(m.ref)) {
        ++next_ok;
      } else {
        owner_.forget_unsent(m.ref);
        continue;
      }
    }
    m.sending_marked = true;
    sendable.push_back(std::move(m));
  }
  batch = std::move(sendable);
}

}  // namespace smsgw
