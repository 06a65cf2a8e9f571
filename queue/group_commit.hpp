// queue/group_commit.hpp: the queue's writer thread, with group commit in front of it.
// Producers on any thread call enqueue() and get a future; the one writer thread takes
// everything waiting, commits all waiting enqueues in ONE transaction (one fsync) and then
// completes every future. A future holding success means the message is durable. run()
// posts any other store operation (claim, mark_*, receipts) to the same thread, in order.
// This is the only place in queue/ with threads: a mutex + condvar list and one std::thread.
#pragma once

#include "queue/store.hpp"

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace smsgw::queue {

class group_commit {
 public:
  /// Takes the store; the writer thread is the only user of it from now on.
  /// `max_batch` bounds one transaction (latency of the first caller in a big burst).
  explicit group_commit(store s, std::size_t max_batch = 4096);
  /// stop(): what was submitted before is still executed; then the thread is joined.
  ~group_commit();
  group_commit(group_commit const&) = delete;
  group_commit& operator=(group_commit const&) = delete;

  /// Queues `req`; the future becomes ready after the commit that stored it (or the error).
  std::future<result<enqueue_outcome>> enqueue(enqueue_request req);

  /// Runs `f(store&)` on the writer thread after everything submitted before it.
  template <class F>
  auto run(F f) -> std::future<std::invoke_result_t<F&, store&>> {
    using R = std::invoke_result_t<F&, store&>;
    auto task = std::make_shared<std::packaged_task<R(store&)>>(std::move(f));
    auto fut = task->get_future();
    post(item{{}, {}, [task](store& s) { (*task)(s); }});
    return fut;
  }

  /// Stops accepting work, finishes what was submitted, joins. Later calls get errc::stopped.
  void stop();

 private:
  struct item {
    enqueue_request req;                                  // enqueue: the request
    std::shared_ptr<std::promise<result<enqueue_outcome>>> done;  // enqueue: its completion
    std::function<void(store&)> task;                     // or else: a posted operation
  };
  void post(item it);
  void writer_loop();
  void commit_enqueues(std::vector<item>& batch);

  store store_;
  std::size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<item> waiting_;  // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  std::thread writer_;         // last: started after everything above exists
};

}  // namespace smsgw::queue
