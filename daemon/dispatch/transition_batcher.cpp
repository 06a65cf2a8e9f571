// daemon/dispatch/transition_batcher.cpp: the flush loop of transition_batcher (one writer task at a
// time; its completion starts the next with whatever arrived meanwhile) and the writer task
// itself: mark_submitted_batch, then apply_receipts, which return what tells the dispatcher
// what to log (a message made final, the message a receipt matched) with no read of their
// own; and the retry of submit results whose transaction failed.
#include "daemon/dispatch/transition_batcher.hpp"

#include <algorithm>
#include <memory>
#include <span>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "daemon/dispatch/queue_bridge.hpp"

namespace smsgw {

namespace asio = boost::asio;

namespace {

using answers = transition_batcher::answers;

/// Each kind in its own savepoint. The store's answers carry what the dispatcher logs (a
/// submit result's state, the message a receipt or a held receipt changed, as stored after):
/// no read per message here.
answers commit_parts(queue::store& s, std::span<queue::submission const> subs,
                     std::span<queue::receipt const> rcpts) {
  answers a;
  if (!subs.empty()) {
    auto r = s.mark_submitted_batch(subs, queue::clock::now());
    if (r) {
      a.submits = std::move(*r);
    } else {
      a.submit_batch_error = r.error();
      a.submits.assign(subs.size(), transition_batcher::submit_answer(r.error()));
    }
  }
  if (!rcpts.empty()) {
    auto r = s.apply_receipts(rcpts, queue::clock::now());
    a.receipts.reserve(rcpts.size());
    for (std::size_t i = 0; i < rcpts.size(); ++i) {
      if (r) a.receipts.emplace_back(std::move((*r)[i]));
      else a.receipts.emplace_back(r.error());
    }
  }
  return a;
}

/// On the writer thread: submit results and receipts in ONE transaction (each kind a savepoint
/// of it: a failure of one leaves the other's work), so the pages both touch are written once.
/// If the transaction itself failed (BEGIN or COMMIT), nothing of it was kept: every answer is
/// that error, and the submit results' is marked for a retry.
answers commit(queue::store& s, std::span<queue::submission const> subs,
               std::span<queue::receipt const> rcpts) {
  if (subs.empty() || rcpts.empty()) return commit_parts(s, subs, rcpts);
  answers a;
  auto tx = s.in_one_transaction([&] { a = commit_parts(s, subs, rcpts); });
  if (tx) return a;
  answers failed;
  // The submit results' own error if they had one: after a full disk SQLite may have rolled
  // the whole transaction back inside mark_submitted_batch, and the COMMIT then fails only
  // with "no transaction is active" (errc::internal, which is not retried).
  failed.submit_batch_error = a.submit_batch_error ? *a.submit_batch_error : tx.error();
  failed.submits.assign(subs.size(), transition_batcher::submit_answer(*failed.submit_batch_error));
  failed.receipts.assign(rcpts.size(), transition_batcher::receipt_answer(tx.error()));
  return failed;
}

/// A failure of the whole transaction that a later try may not meet: the file made writable
/// again, space freed, a passing I/O error or lock. Not a corrupt file or a bug.
bool worth_retrying(queue::errc e) noexcept {
  return e == queue::errc::read_only || e == queue::errc::disk_full || e == queue::errc::busy ||
         e == queue::errc::io_error;
}

/// The initiation of drained() (a named type, not a lambda: see queue_bridge.hpp).
struct drained_init {
  std::vector<std::function<void()>>* waiters;
  template <class Handler>
  void operator()(Handler handler) const {
    auto h = std::make_shared<Handler>(std::move(handler));
    waiters->push_back([h] { std::move(*h)(); });
  }
};

}  // namespace

struct transition_batcher::batch {
  std::vector<queue::submission> subs;
  std::vector<std::function<void(submit_answer)>> sub_done;
  std::vector<queue::receipt> rcpts;
  std::vector<std::function<void(receipt_answer)>> rcpt_done;
};

transition_batcher::transition_batcher(queue::group_commit& gc, asio::any_io_executor ex,
                                       std::size_t max_batch,
                                       std::chrono::milliseconds submit_linger,
                                       std::chrono::milliseconds writer_linger)
    : gc_(gc), executor_(ex), max_batch_(std::max<std::size_t>(max_batch, 1)),
      submit_linger_(submit_linger), writer_linger_(writer_linger), linger_timer_(ex),
      retry_timer_(ex), kick_timer_(ex) {}

void transition_batcher::submitted(queue::submission sub, std::function<void(submit_answer)> done) {
  push(pending_submit{std::move(sub), std::move(done)});
}

void transition_batcher::receipt(queue::receipt rcpt, std::function<void(receipt_answer)> done) {
  push(pending_receipt{std::move(rcpt), std::move(done)});
}

void transition_batcher::push(pending p) {
  bool const is_receipt = std::holds_alternative<pending_receipt>(p);
  pending_.push_back(std::move(p));
  if (is_receipt) ++receipts_pending_;
  if (busy_) return;  // the running flush's completion takes it
  // A lone submit result at a low rate: wait a little for company (nothing waits for it).
  if (submit_linger_.count() > 0 && receipts_pending_ == 0 && drain_waiters_.empty() &&
      pending_.size() < max_batch_) {
    if (!lingering_) {
      lingering_ = true;
      linger_timer_.expires_after(submit_linger_);
      linger_timer_.async_wait([this](boost::system::error_code ec) {
        // Cancelled (flushed early, or the batcher is being destroyed): `this` untouched.
        if (ec) return;
        flush_now();
      });
    }
    return;
  }
  flush_now();
}

void transition_batcher::flush_now() {
  if (lingering_) {
    lingering_ = false;
    linger_timer_.cancel();
  }
  if (!busy_) flush();
}

asio::awaitable<void> transition_batcher::drained() {
  if (lingering_) flush_now();  // a graceful stop does not wait out the linger
  if (busy_ && !retrying_) gc_.kick();  // nor a lazy flush's wait for company
  if (retrying_) {
    // Nor a retry's pause: one more try now; if it fails too, its error is the answer.
    retrying_ = false;
    retry_timer_.cancel();
    retried_flush_ = true;
    flush();
  }
  if (idle()) co_return;
  co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
      drained_init{&drain_waiters_}, asio::use_awaitable);
}

// Takes up to max_batch_ of the oldest reports. Within the flush, submit results go first: a
// receipt that arrived before its own submit_sm_resp (the SMSC was that fast) then matches at
// once instead of being held, which is what the store would do with it anyway.
void transition_batcher::flush() {
  if (pending_.empty()) {
    busy_ = false;
    for (auto& w : drain_waiters_) asio::post(executor_, std::move(w));
    drain_waiters_.clear();
    return;
  }
  busy_ = true;
  auto b = std::make_shared<batch>();
  auto const n = std::min(pending_.size(), max_batch_);
  for (std::size_t i = 0; i < n; ++i) {
    if (auto* s = std::get_if<pending_submit>(&pending_[i])) {
      b->subs.push_back(std::move(s->sub));
      b->sub_done.push_back(std::move(s->done));
    } else {
      auto& r = std::get<pending_receipt>(pending_[i]);
      b->rcpts.push_back(std::move(r.rcpt));
      b->rcpt_done.push_back(std::move(r.done));
    }
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
  receipts_pending_ -= b->rcpts.size();
  ++stats_.flushes;
  stats_.submit_batches += b->subs.empty() ? 0 : 1;
  stats_.receipt_batches += b->rcpts.empty() ? 0 : 1;
  stats_.submits += b->subs.size();
  stats_.receipts += b->rcpts.size();
  stats_.largest = std::max(stats_.largest, n);
  // A receipt is answered (deliver_sm_resp OK) only once durable: a flush with receipts waits
  // for the fsync that covers it. Submit results alone do not: nothing outside the queue acts
  // on a plain "submitted" (a crash that loses it leaves the message in_flight with its
  // sending mark, i.e. outcome_unknown, as if the submit_sm_resp had not come), and the next
  // durable work (a receipt, a sending mark, an enqueue) syncs it anyway. So no fsync waits
  // for nothing (issue #15). Only a held receipt applied by mark_submitted makes a message
  // final with a DLR line to write: that flush is answered after an fsync (durable_then).
  bool const durable = !b->rcpts.empty();
  // At a low rate the flush waits in the writer for an enqueue's round (one fsync and one
  // post for both); the timer bounds that wait. A graceful stop does not wait.
  // (A retry has waited its pause already: it goes at once.)
  bool const lazy = writer_linger_.count() > 0 && drain_waiters_.empty() && !retried_flush_;
  retried_flush_ = false;
  if (lazy) {
    kick_timer_.expires_after(writer_linger_);
    kick_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) gc_.kick();  // cancelled: the flush came back first (or the batcher is gone)
    });
  }
  queue_post(
      gc_, executor_,
      [b](queue::store& s) -> queue::result<answers> { return commit(s, b->subs, b->rcpts); },
      [this, b, durable, lazy](queue::result<answers> r) {
        if (lazy) kick_timer_.cancel();
        if (!durable && r && std::any_of(r->submits.begin(), r->submits.end(), [](auto const& a) {
              return a && a->st != queue::state::submitted;
            })) {
          durable_then(b, std::move(r));
          return;
        }
        settle(*b, std::move(r));
      },
      durable, lazy);
}

void transition_batcher::durable_then(std::shared_ptr<batch> b, queue::result<answers> r) {
  auto held = std::make_shared<queue::result<answers>>(std::move(r));
  // An empty task: its completion comes after an fsync covering everything committed before.
  queue_post(
      gc_, executor_, [](queue::store&) -> queue::result<bool> { return true; },
      [this, b, held](queue::result<bool> synced) {
        // The empty task's round did not commit (other work in it filled the disk): the
        // flush itself committed earlier, only its fsync is still to be waited for. Ask
        // again (alone, the empty task cannot fail so): never settle() it as a failure, which
        // would commit its submit results a second time. A failed fsync (io_error) or a
        // stopped writer is final.
        if (!synced && synced.error().code != queue::errc::io_error &&
            synced.error().code != queue::errc::stopped) {
          durable_then(b, std::move(*held));
          return;
        }
        settle(*b, synced ? std::move(*held) : queue::result<answers>(synced.error()));
      });
}

// The SMSC accepted these messages and will not say so again: a failed transaction is not
// their end. Receipts are answered either way (a failed one asks its SMSC to redeliver it);
// a receipt of the same message committed meanwhile is held until the retried submit result
// applies it (as when a receipt overtakes its submit_sm_resp).
void transition_batcher::settle(batch& b, queue::result<answers> r) {
  // Either the flush's own transaction failed (submit_batch_error) or the writer round it ran
  // in did not commit (the whole answer is the error: nothing of the flush was kept).
  // (Not an io_error of the whole: that is also how a failed fsync answers everything after
  // it, for good, and no later try can succeed.)
  std::optional<queue::error> const whole = r ? r->submit_batch_error : std::optional(r.error());
  bool const retry = whole && worth_retrying(whole->code) &&
                     (r || whole->code != queue::errc::io_error) && !b.subs.empty() &&
                     drain_waiters_.empty();
  if (!retry) {
    if (r && !b.subs.empty() && !r->submit_batch_error) next_retry_pause_ = retry_pause;
    answer(b, std::move(r));
    flush();
    return;
  }
  for (std::size_t i = 0; i < b.rcpt_done.size(); ++i)
    b.rcpt_done[i](r ? std::move(r->receipts[i]) : receipt_answer(r.error()));
  // Back to the head, in their order, ahead of whatever arrived meanwhile (also during the
  // callbacks above: busy_ is still set, so push() only appended).
  for (std::size_t i = b.subs.size(); i-- > 0;)
    pending_.push_front(pending_submit{std::move(b.subs[i]), std::move(b.sub_done[i])});
  ++stats_.submit_retries;
  spdlog::warn("{} submit result(s) not recorded ({}): trying again in {} ms", b.subs.size(),
               whole->message, next_retry_pause_.count());
  retry_later();
}

// busy_ stays set: reports arriving meanwhile wait behind the retried ones.
void transition_batcher::retry_later() {
  retrying_ = true;
  retry_timer_.expires_after(next_retry_pause_);
  next_retry_pause_ = std::min(next_retry_pause_ * 2, max_retry_pause);
  retry_timer_.async_wait([this](boost::system::error_code ec) {
    // Cancelled (drained() cut the pause short, or the batcher is being destroyed).
    if (ec) return;
    retrying_ = false;
    retried_flush_ = true;
    flush();
  });
}

// In commit order: submit results, then receipts. A refused writer task (stopped) answers
// every item with its error.
void transition_batcher::answer(batch& b, queue::result<answers> r) {
  for (std::size_t i = 0; i < b.sub_done.size(); ++i)
    b.sub_done[i](r ? std::move(r->submits[i]) : submit_answer(r.error()));
  for (std::size_t i = 0; i < b.rcpt_done.size(); ++i)
    b.rcpt_done[i](r ? std::move(r->receipts[i]) : receipt_answer(r.error()));
}

}  // namespace smsgw
