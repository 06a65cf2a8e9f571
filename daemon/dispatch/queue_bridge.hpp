// daemon/dispatch/queue_bridge.hpp: awaiting queue work from a coroutine without blocking the network
// thread. queue_call() runs `f(store&)` on the queue's writer thread (group_commit::run_then)
// and, once what it committed is durable, posts its result back to the awaiting coroutine's
// executor (asio::async_initiate).
// enqueue_batcher gives HTTP requests group commit: requests arriving while a commit runs are
// gathered on the network thread and committed together in ONE transaction next; two batches
// may be in the queue at once, so one commits while the one before waits for its fsync.
// Assumption: one network thread; the batcher is used only from it (no locks).
#pragma once

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "queue/group_commit.hpp"

namespace smsgw {

/// Runs `f` on the queue thread; `callback(result)` is then invoked on `ex`, once what `f`
/// committed is durable (group_commit::run_then: after the WAL's fsync when pipelined). The
/// outstanding work keeps `ex`'s io_context running until it is delivered. If the writer is
/// stopped (run_then refuses the task), `callback` gets errc::stopped instead: a waiting
/// coroutine or the enqueue batcher must never wait for an answer that cannot come.
/// `durable` = false: the callback does not wait for the fsync (run_then_unsynced), for work
/// whose loss in a crash is harmless (a claim).
template <class F, class Callback>
void queue_post(queue::group_commit& gc, boost::asio::any_io_executor ex, F f, Callback callback,
                bool durable = true) {
  using R = std::invoke_result_t<F&, queue::store&>;
  auto tracked = boost::asio::prefer(ex, boost::asio::execution::outstanding_work.tracked);
  auto cb = std::make_shared<Callback>(std::move(callback));
  auto deliver = [cb, tracked](R r) {
    boost::asio::post(tracked, [cb, r = std::move(r)]() mutable { (*cb)(std::move(r)); });
  };
  bool const accepted = durable ? gc.run_then(std::move(f), std::move(deliver))
                                : gc.run_then_unsynced(std::move(f), std::move(deliver));
  if (!accepted) {
    boost::asio::post(tracked, [cb]() mutable {
      (*cb)(R(queue::error{queue::errc::stopped, "the queue writer is stopped"}));
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

/// Group commit for enqueues issued by coroutines on one executor.
class enqueue_batcher {
 public:
  using outcome = queue::result<queue::enqueue_outcome>;
  enqueue_batcher(queue::group_commit& gc, boost::asio::any_io_executor ex)
      : gc_(gc), executor_(std::move(ex)) {}

  /// Completes after the request was committed and synced (or refused/failed).
  boost::asio::awaitable<outcome> enqueue(queue::enqueue_request req) {
    co_return co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                   void(outcome)>(
        [this](auto handler, queue::enqueue_request r) {
          // std::function needs a copyable target: share the move-only handler.
          auto h = std::make_shared<std::decay_t<decltype(handler)>>(std::move(handler));
          pending_.push_back({std::move(r), [h](outcome o) { std::move(*h)(std::move(o)); }});
          if (in_queue_ < k_max_in_queue) flush();
        },
        boost::asio::use_awaitable, std::move(req));
  }

 private:
  struct waiting {
    queue::enqueue_request req;
    std::function<void(outcome)> done;
  };
  struct batch {
    std::vector<queue::enqueue_request> reqs;
    std::vector<std::function<void(outcome)>> done;
  };

  void flush() {
    if (pending_.empty()) return;
    ++in_queue_;
    auto b = std::make_shared<batch>();
    for (auto& w : pending_) {
      b->reqs.push_back(std::move(w.req));
      b->done.push_back(std::move(w.done));
    }
    pending_.clear();
    queue_post(
        gc_, executor_, [b](queue::store& s) { return s.enqueue_batch(b->reqs); },
        [this, b](queue::result<std::vector<outcome>> r) {
          for (std::size_t i = 0; i < b->done.size(); ++i)
            b->done[i](r ? std::move((*r)[i]) : outcome(r.error()));
          --in_queue_;
          flush();
        });
  }

  queue::group_commit& gc_;
  boost::asio::any_io_executor executor_;
  std::vector<waiting> pending_;
  // Batches handed to the queue and not yet completed: with 2, the next batch commits while
  // the one before waits for its fsync (pipelined group_commit); more would only split the
  // requests into smaller transactions.
  static constexpr int k_max_in_queue = 2;
  int in_queue_ = 0;
};

}  // namespace smsgw
