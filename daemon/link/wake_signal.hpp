// daemon/link/wake_signal.hpp: two tiny coroutine synchronisation primitives for one executor:
// wake_signal (a sticky "something changed" flag a coroutine waits on) and async_gate (one
// holder at a time, for any number of waiters).
// Design decision: both are built on a steady_timer that never expires (notify = cancel the
// wait), not on a buffered asio::experimental::channel used as a semaphore. Boost 1.81's
// channel forgets that it has buffer room once the last waiting receiver is cancelled
// (asio issue #1241, fixed in later Asio): every try_send after that fails, so a token or a
// wake-up put back with try_send was silently lost. A waiter here may be cancelled at any
// time (awaitable operators, parallel groups) without losing anything.
// Assumption: everything runs on one executor (no locks).
#pragma once

#include <chrono>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace smsgw {

/// A notification that stays set until a wait consumes it. notify() wakes every current
/// waiter; a waiter that returns without a notification was cancelled (or woken with another
/// waiter): callers re-check their own condition after every wait, as with a condition variable.
class wake_signal {
 public:
  explicit wake_signal(boost::asio::any_io_executor ex)
      : timer_(std::move(ex), std::chrono::steady_clock::time_point::max()) {}

  void notify() {
    set_ = true;
    timer_.cancel();
  }

  /// Completes at once if notified since the last wait, else at the next notify() or when
  /// the caller's wait is cancelled. Clears the notification. Never throws for a cancellation
  /// that happens while it waits.
  boost::asio::awaitable<void> wait() {
    if (!set_) co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    set_ = false;
  }

 private:
  boost::asio::steady_timer timer_;
  bool set_ = false;
};

/// One holder at a time (e.g. one link at a time takes messages and pays a carrier's tokens).
/// release() wakes every waiter; the first to run takes the gate, the others wait again.
class async_gate {
 public:
  explicit async_gate(boost::asio::any_io_executor ex)
      : free_(std::move(ex), std::chrono::steady_clock::time_point::max()) {}

  /// Waits for the gate and takes it: true. false if the calling coroutine was cancelled
  /// before it got the gate (then it holds nothing).
  boost::asio::awaitable<bool> acquire() {
    auto cs = co_await boost::asio::this_coro::cancellation_state;
    while (held_) {
      if (cs.cancelled() != boost::asio::cancellation_type::none) co_return false;
      co_await free_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    if (cs.cancelled() != boost::asio::cancellation_type::none) co_return false;
    held_ = true;
    co_return true;
  }

  void release() {
    held_ = false;
    free_.cancel();
  }

  bool held() const noexcept { return held_; }

 private:
  boost::asio::steady_timer free_;
  bool held_ = false;
};

}  // namespace smsgw
