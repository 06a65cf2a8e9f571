// queue/group_commit.cpp: the writer loop. Invariants: only the writer thread touches store_;
// items run in submission order; consecutive enqueues (up to max_batch) share a transaction,
// and their promises are fulfilled only after enqueue_batch() returned, i.e. after COMMIT.
// If the commit fails, every enqueue in that batch gets the error: none was acknowledged.
#include "queue/group_commit.hpp"

#include <utility>

namespace smsgw::queue {

group_commit::group_commit(store s, std::size_t max_batch)
    : store_(std::move(s)), max_batch_(max_batch == 0 ? 1 : max_batch),
      writer_([this] { writer_loop(); }) {}

group_commit::~group_commit() { stop(); }

void group_commit::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
}

std::future<result<enqueue_outcome>> group_commit::enqueue(enqueue_request req) {
  auto done = std::make_shared<std::promise<result<enqueue_outcome>>>();
  auto fut = done->get_future();
  post(item{std::move(req), std::move(done), {}});
  return fut;
}

void group_commit::post(item it) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      waiting_.push_back(std::move(it));
      it.done.reset();
      it.task = nullptr;
    }
  }
  // Refused after stop(): complete the caller at once (a task's future gets broken_promise).
  if (it.done) it.done->set_value(error{errc::stopped, "enqueue: the queue writer is stopped"});
  wake_.notify_one();
}

void group_commit::writer_loop() {
  std::vector<item> work;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping, and everything before it is done
      work.swap(waiting_);
    }
    std::vector<item> batch;
    for (auto& it : work) {
      if (it.done) {
        batch.push_back(std::move(it));
        if (batch.size() >= max_batch_) commit_enqueues(batch);
      } else {
        commit_enqueues(batch);  // keep order: earlier enqueues commit before the task runs
        it.task(store_);
      }
    }
    commit_enqueues(batch);
    work.clear();
  }
}

void group_commit::commit_enqueues(std::vector<item>& batch) {
  if (batch.empty()) return;
  std::vector<enqueue_request> reqs;
  reqs.reserve(batch.size());
  for (auto& it : batch) reqs.push_back(std::move(it.req));
  auto results = store_.enqueue_batch(reqs);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (results) batch[i].done->set_value(std::move((*results)[i]));
    else batch[i].done->set_value(results.error());
  }
  batch.clear();
}

}  // namespace smsgw::queue
