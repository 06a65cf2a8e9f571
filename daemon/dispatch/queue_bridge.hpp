// daemon/dispatch/queue_bridge.hpp: awaiting queue work from a coroutine without blocking the network
// thread. queue_call() runs `f(store&)` on the queue's writer thread (group_commit::run_then)
// and, once what it committed is durable, posts its result back to the awaiting coroutine's
// executor (asio::async_initiate).
// queue_enqueuer does the same for enqueues (group_commit::enqueue_then), so HTTP requests get
// the queue's group commit: those arriving while the writer is busy are committed together in
// ONE transaction next, and one commits while the one before waits for its fsync.
// The answers of one queue round (a writer round's unsynced ones, those one fsync made
// durable) reach the network thread in one post, so one wake-up (detail::post_from_queue).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "queue/completion_round.hpp"
#include "queue/group_commit.hpp"

namespace smsgw {

namespace detail {
/// What the completions of one queue round (queue::completion_round) send to one io_context:
/// run there as ONE posted handler, in the order they came.
struct round_posts {
  boost::asio::any_io_executor tracked;
  std::vector<std::function<void()>> handlers;

  /// Runs them, and destroys them here: the queue thread's copy of this state (the round's)
  /// may outlive this call, and what a handler captured belongs to this thread.
  void run_all() {
    auto ready = std::move(handlers);
    handlers.clear();
    for (std::size_t i = 0; i < ready.size(); ++i) {
      try {
        ready[i]();
      } catch (...) {
        // The rest still get their answer (each its own post, as without a round).
        for (auto j = i + 1; j < ready.size(); ++j) boost::asio::post(tracked, std::move(ready[j]));
        throw;
      }
    }
  }
};

/// Runs the callback held in `slot` with `value`, then destroys it here (the calling thread):
/// the slot, shared with the queue's copies of the task, is left empty.
template <class Callback, class R>
void run_once(std::optional<Callback>& slot, R value) {
  if (!slot) return;
  Callback callback = std::move(*slot);
  slot.reset();
  callback(std::move(value));
}

/// Posts `fn` to `tracked` (an executor with outstanding work tracked) from a queue thread.
/// Inside a completion round, the round's posts to one io_context are gathered and posted
/// once when it ends: one wake-up of the network thread per writer round or fsync, not per
/// completion. Outside a round (or called elsewhere): an ordinary post.
template <class Executor>
void post_from_queue(Executor const& tracked, std::function<void()> fn) {
  auto* round = queue::completion_round::current();
  if (round == nullptr) {
    boost::asio::post(tracked, std::move(fn));
    return;
  }
  void const* key = &boost::asio::query(tracked, boost::asio::execution::context);
  auto state = std::static_pointer_cast<round_posts>(round->find(key));
  if (!state) {
    state = std::make_shared<round_posts>();
    state->tracked = tracked;
    round->add(key, state, [state] {
      boost::asio::post(state->tracked, [state] { state->run_all(); });
    });
  }
  state->handlers.push_back(std::move(fn));
}
}  // namespace detail

/// Runs `f` on the queue thread; `callback(result)` is then invoked on `ex`, once what `f`
/// committed is durable (group_commit::run_then: after the WAL's fsync when pipelined). The
/// outstanding work keeps `ex`'s io_context running until it is delivered. If the writer is
/// stopped (run_then refuses the task), `callback` gets errc::stopped instead: a waiting
/// coroutine must never wait for an answer that cannot come.
/// `durable` = false: the callback does not wait for the fsync (run_then_unsynced), for work
/// whose loss in a crash is harmless (a claim).
/// `lazy`: the work waits for other work to share its writer round and fsync, or for the
/// caller's group_commit::kick() (group_commit::run_then_lazy), for answers nothing waits for
/// urgently.
/// The callback is destroyed on `ex` once it has run, never on the queue's threads, which
/// keep copies of the task a while longer: what it captured (a timer, a coroutine's state)
/// belongs to the network thread and may need its io_context alive to be destroyed.
template <class F, class Callback>
void queue_post(queue::group_commit& gc, boost::asio::any_io_executor ex, F f, Callback callback,
                bool durable = true, bool lazy = false) {
  using R = std::invoke_result_t<F&, queue::store&>;
  auto tracked = boost::asio::prefer(ex, boost::asio::execution::outstanding_work.tracked);
  auto cb = std::make_shared<std::optional<Callback>>(std::move(callback));
  auto deliver = [cb, tracked](R r) {
    auto value = std::make_shared<R>(std::move(r));
    detail::post_from_queue(tracked, [cb, value] { detail::run_once(*cb, std::move(*value)); });
  };
  bool const accepted =
      lazy      ? gc.run_then_lazy(std::move(f), std::move(deliver), durable)
      : durable          ? gc.run_then(std::move(f), std::move(deliver))
                         : gc.run_then_unsynced(std::move(f), std::move(deliver));
  if (!accepted) {
    boost::asio::post(tracked, [cb] {
      detail::run_once(*cb, R(queue::error{queue::errc::stopped, "the queue writer is stopped"}));
    });
  }
}

namespace detail {
/// The initiation of queue_call (a named type, not a lambda: gcc 12 mishandles lambda
/// temporaries inside co_await expressions).
struct queue_call_init {
  queue::group_commit* gc;
  boost::asio::any_io_executor ex;
  bool durable;
  template <class Handler, class F>
  void operator()(Handler handler, F fn) const {
    using R = std::invoke_result_t<F&, queue::store&>;
    auto h = std::make_shared<Handler>(std::move(handler));
    queue_post(*gc, ex, std::move(fn), [h](R r) { std::move(*h)(std::move(r)); }, durable);
  }
};
}  // namespace detail

/// co_await queue_call(gc, f) -> f(store&)'s result, computed on the queue thread, once what
/// it committed is durable (`durable` = false: without waiting for that; see queue_post).
template <class F>
auto queue_call(queue::group_commit& gc, F f, bool durable = true)
    -> boost::asio::awaitable<std::invoke_result_t<F&, queue::store&>> {
  using R = std::invoke_result_t<F&, queue::store&>;
  auto ex = co_await boost::asio::this_coro::executor;
  detail::queue_call_init init{&gc, ex, durable};
  auto r = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(R)>(
      init, boost::asio::use_awaitable, std::move(f));
  co_return r;
}

namespace detail {
/// The initiation of queue_enqueuer::enqueue (a named type: see queue_call_init).
struct queue_enqueue_init {
  queue::group_commit* gc;
  boost::asio::any_io_executor ex;
  template <class Handler>
  void operator()(Handler handler, queue::enqueue_request req) const {
    using outcome = queue::result<queue::enqueue_outcome>;
    auto tracked = boost::asio::prefer(ex, boost::asio::execution::outstanding_work.tracked);
    // std::function needs a copyable target: share the move-only handler.
    auto h = std::make_shared<Handler>(std::move(handler));
    bool const accepted = gc->enqueue_then(std::move(req), [h, tracked](outcome o) {
      auto value = std::make_shared<outcome>(std::move(o));
      detail::post_from_queue(tracked, [h, value] { std::move(*h)(std::move(*value)); });
    });
    if (!accepted) {
      boost::asio::post(tracked, [h]() mutable {
        std::move(*h)(outcome(queue::error{queue::errc::stopped, "the queue writer is stopped"}));
      });
    }
  }
};
}  // namespace detail

/// Enqueues from coroutines running on `ex` (the network thread) through the queue's group
/// commit (group_commit::enqueue_then). The answer comes once the commit that stored the
/// request is durable (after the WAL's fsync when pipelined), posted to `ex`; the outstanding
/// work keeps its io_context running until it is delivered. Refused or failed: the error
/// (errc::stopped once the writer is stopped).
class queue_enqueuer {
 public:
  using outcome = queue::result<queue::enqueue_outcome>;
  queue_enqueuer(queue::group_commit& gc, boost::asio::any_io_executor ex)
      : gc_(gc), executor_(std::move(ex)) {}

  boost::asio::awaitable<outcome> enqueue(queue::enqueue_request req) {
    detail::queue_enqueue_init init{&gc_, executor_};
    co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                   void(outcome)>(
        init, boost::asio::use_awaitable, std::move(req));
  }

 private:
  queue::group_commit& gc_;
  boost::asio::any_io_executor executor_;
};

}  // namespace smsgw
