// tests/queue/round_host_test.cpp: group_commit::set_round_host. While the writer is idle and
// fsyncs are quick, the host's thread runs the round, its fsync and its completions (the
// writer is not woken); work posted while a hosted round runs goes to the writer; a slow fsync
// ends hosting, and so does a big round lately (burst_quiet);
// a hosted round that its host destroys unrun, or that stop() overtakes, is run by the writer,
// so no work is ever left waiting.
#include "queue/group_commit.hpp"

#include "queue_fixture.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <latch>
#include <mutex>
#include <thread>

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {

/// A thread that runs what it is given, in order (the daemon's network thread in miniature).
/// hold(): keeps what it is given without running it, until release() or drop().
class host_thread {
 public:
  host_thread() : thread_([this] { loop(); }) {}
  ~host_thread() {
    {
      std::lock_guard lock(m_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void schedule(std::function<void()> fn) {
    {
      std::lock_guard lock(m_);
      tasks_.push_back(std::move(fn));
    }
    cv_.notify_one();
  }
  void hold() {
    std::lock_guard lock(m_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard lock(m_);
      held_ = false;
    }
    cv_.notify_one();
  }
  /// Destroys what it holds, unrun.
  void drop() {
    std::deque<std::function<void()>> gone;
    {
      std::lock_guard lock(m_);
      gone.swap(tasks_);
    }
  }
  std::size_t waiting() {
    std::lock_guard lock(m_);
    return tasks_.size();
  }
  std::thread::id id() const { return thread_.get_id(); }

 private:
  void loop() {
    std::unique_lock lock(m_);
    for (;;) {
      cv_.wait(lock, [&] { return done_ || (!held_ && !tasks_.empty()); });
      if (done_) return;
      auto fn = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool held_ = false, done_ = false;
  std::thread thread_;  // last: started after the rest exists
};

void host_rounds_on(group_commit& q, host_thread& host,
                    std::chrono::microseconds max_sync = std::chrono::seconds(10),
                    std::chrono::microseconds burst_quiet = std::chrono::microseconds(0)) {
  q.set_round_host([&host](std::function<void()> fn) { host.schedule(std::move(fn)); },
                   {.max_sync = max_sync, .burst_quiet = burst_quiet});
}

/// Enqueues from the host's thread (as the daemon's network thread does, once the round
/// before has ended there) and waits for the answer.
result<enqueue_outcome> enqueue_from(host_thread& host, group_commit& q, enqueue_request req) {
  std::promise<std::future<result<enqueue_outcome>>> posted;
  host.schedule([&] { posted.set_value(q.enqueue(std::move(req))); });
  return posted.get_future().get().get();
}

}  // namespace

TEST_CASE("an idle writer's round runs on the round host: the work, its fsync and the answer") {
  temp_dir dir;
  std::mutex m;
  std::vector<std::thread::id> synced_on;
  group_commit q(open_store(dir.file()), {.sync = [&]() -> result<void> {
                                             std::lock_guard lock(m);
                                             synced_on.push_back(std::this_thread::get_id());
                                             return {};
                                           }});
  REQUIRE(q.pipelined());
  host_thread host;
  host_rounds_on(q, host);

  std::promise<std::thread::id> answered_on;
  std::promise<std::thread::id> ran_on;
  REQUIRE(q.run_then(
      [&](store& s) -> result<message_id> {
        ran_on.set_value(std::this_thread::get_id());
        auto e = s.enqueue(otp("6281300000201", ""));
        if (!e) return e.error();
        return e->id;
      },
      [&](result<message_id> r) {
        CHECK(r.has_value());
        answered_on.set_value(std::this_thread::get_id());
      }));
  CHECK(ran_on.get_future().get() == host.id());
  CHECK(answered_on.get_future().get() == host.id());
  CHECK(host.id() != std::this_thread::get_id());
  CHECK(q.hosted_rounds() == 1);
  {
    std::lock_guard lock(m);
    REQUIRE(synced_on.size() == 1);  // the answer came after the round's own fsync
    CHECK(synced_on[0] == host.id());
  }

  // An enqueue too, and the message is in the file.
  auto stored = enqueue_from(host, q, otp("6281300000202", ""));
  REQUIRE(stored.has_value());
  CHECK(q.hosted_rounds() == 2);
  q.stop();
  auto s = open_store(dir.file());
  CHECK(s.count_by_state()->at(0) == 2);
}

TEST_CASE("work posted while a hosted round runs goes to the writer afterwards") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  host_thread host;
  host_rounds_on(q, host);

  std::promise<std::thread::id> hosted_started;
  std::promise<void> go_on, first_answered;
  auto go = go_on.get_future().share();
  std::promise<std::thread::id> second_on;
  REQUIRE(q.run_then(
      [&](store&) -> result<int> {
        hosted_started.set_value(std::this_thread::get_id());
        go.wait();  // the host's round is running now
        return 1;
      },
      [&](result<int> r) {
        CHECK(r.has_value());
        first_answered.set_value();  // by the syncer: other work was waiting by then
      }));
  CHECK(hosted_started.get_future().get() == host.id());
  REQUIRE(q.run_then([](store&) { return result<std::thread::id>(std::this_thread::get_id()); },
                     [&](result<std::thread::id> r) {
                       REQUIRE(r.has_value());
                       second_on.set_value(*r);
                     }));
  go_on.set_value();
  first_answered.get_future().get();
  auto const second = second_on.get_future().get();  // the writer's (tasks run on it)
  CHECK(second != host.id());
  CHECK(second != std::this_thread::get_id());
  CHECK(q.hosted_rounds() == 1);
}

TEST_CASE("a slow fsync ends hosting: the writer runs the rounds again") {
  temp_dir dir;
  group_commit q(open_store(dir.file()), {.sync = []() -> result<void> {
                                             std::this_thread::sleep_for(5ms);
                                             return {};
                                           }});
  host_thread host;
  host_rounds_on(q, host, 1ms);  // before any fsync: hosted
  REQUIRE(enqueue_from(host, q, otp("6281300000211", "")).has_value());
  CHECK(q.hosted_rounds() == 1);
  // That fsync took 5 ms, more than the 1 ms allowed: the host is spared from now on.
  REQUIRE(enqueue_from(host, q, otp("6281300000212", "")).has_value());
  REQUIRE(enqueue_from(host, q, otp("6281300000213", "")).has_value());
  CHECK(q.hosted_rounds() == 1);
}

TEST_CASE("after a round of more than kBurstItems pieces the writer keeps the rounds for burst_quiet") {
  temp_dir dir;
  group_commit q(open_store(dir.file()), {.sync = []() -> result<void> { return {}; }});
  host_thread host;
  host_rounds_on(q, host, std::chrono::seconds(10), std::chrono::hours(1));
  REQUIRE(enqueue_from(host, q, otp("6281300000217", "")).has_value());
  CHECK(q.hosted_rounds() == 1);  // no burst yet: hosted

  // A burst: work piles up while a hosted round runs, and the writer takes it in one round.
  std::promise<void> started, go_on;
  auto go = go_on.get_future().share();
  REQUIRE(q.run_then(
      [&](store&) -> result<int> {
        started.set_value();
        go.wait();
        return 1;
      },
      [](result<int>) {}));
  started.get_future().get();
  constexpr std::ptrdiff_t pieces = group_commit::kBurstItems + 1;
  std::latch answered(pieces);
  for (std::ptrdiff_t i = 0; i < pieces; ++i)
    REQUIRE(q.run_then([](store&) -> result<int> { return 1; },
                       [&](result<int>) { answered.count_down(); }));
  go_on.set_value();
  answered.wait();
  // (The held round ran on the host, or on the writer: posted from this thread, it can come
  // while the hosted round before, whose answer is already out, is still ending on the host.
  // Either way the pieces posted meanwhile were the writer's, together.)
  auto const after_burst = q.hosted_rounds();
  std::this_thread::sleep_for(20ms);  // the writer and the syncer are idle again

  REQUIRE(enqueue_from(host, q, otp("6281300000218", "")).has_value());
  CHECK(q.hosted_rounds() == after_burst);  // within burst_quiet of the burst: the writer's
  // Once burst_quiet has passed, the host takes the rounds again.
  host_rounds_on(q, host, std::chrono::seconds(10), 1ms);
  std::this_thread::sleep_for(5ms);
  REQUIRE(enqueue_from(host, q, otp("6281300000219", "")).has_value());
  CHECK(q.hosted_rounds() == after_burst + 1);
}

TEST_CASE("a hosted round destroyed unrun is run by the writer") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  host_thread host;
  host_rounds_on(q, host);
  host.hold();
  auto answer = q.enqueue(otp("6281300000221", ""));
  REQUIRE(host.waiting() == 1);
  // Not run while the host holds it (the writer is not woken for it)...
  CHECK(answer.wait_for(100ms) == std::future_status::timeout);
  host.drop();  // ...and handed to the writer when the host lets it go unrun
  REQUIRE(answer.wait_for(30s) == std::future_status::ready);
  CHECK(answer.get().has_value());
  CHECK(q.hosted_rounds() == 0);
}

TEST_CASE("stop() does not wait for a hosted round that has not started: the writer runs it") {
  temp_dir dir;
  host_thread host;
  std::future<result<enqueue_outcome>> answer;
  {
    group_commit q(open_store(dir.file()));
    host_rounds_on(q, host);
    host.hold();
    answer = q.enqueue(otp("6281300000231", ""));
    REQUIRE(host.waiting() == 1);
    q.stop();
    REQUIRE(answer.wait_for(0s) == std::future_status::ready);
    CHECK(answer.get().has_value());
    std::promise<void> flushed;
    host.schedule([&] { flushed.set_value(); });
    host.release();  // runs the stale round first: it finds nothing to do
    flushed.get_future().get();
    CHECK(q.hosted_rounds() == 0);
  }
  auto s = open_store(dir.file());
  CHECK(s.count_by_state()->at(0) == 1);
}

TEST_CASE("kicked lazy work runs on the round host") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  host_thread host;
  host_rounds_on(q, host);
  std::promise<std::thread::id> ran_on;
  REQUIRE(q.run_then_lazy(
      [](store&) { return result<std::thread::id>(std::this_thread::get_id()); },
      [&](result<std::thread::id> r) {
        REQUIRE(r.has_value());
        ran_on.set_value(*r);
      },
      true));
  CHECK(host.waiting() == 0);  // lazy work schedules nothing
  q.kick();
  CHECK(ran_on.get_future().get() == host.id());
  CHECK(q.hosted_rounds() == 1);
}

TEST_CASE("the WAL is checkpointed by the writer after rounds, hosted ones included, and stays bounded") {
  temp_dir dir;
  host_thread host;
  constexpr int messages = 600;
  {
    group_commit q(open_store(dir.file()));
    host_rounds_on(q, host);
    for (int i = 0; i < messages; ++i) {
      // Distinct numbers: each is its own round on the host (nothing else is waiting).
      REQUIRE(enqueue_from(host, q, otp("62813" + std::to_string(10000000 + i), "")).has_value());
    }
    // Most on the host; those that came while the writer was checkpointing went to it.
    CHECK(q.hosted_rounds() > messages / 2);
    // Each hosted round that passed the threshold left the copy to the writer (woken for it).
    for (int i = 0; i < 3000 && q.checkpoints() == 0; ++i) std::this_thread::sleep_for(10ms);
    CHECK(q.checkpoints() >= 1);
    // SQLite's automatic checkpoint is replaced, not lost: the WAL restarts after each copy,
    // so it never holds much more than the threshold's frames (600 rounds of several pages
    // each would be far more).
    auto const wal_bytes = std::filesystem::file_size(dir.file() + "-wal");
    constexpr std::uintmax_t page_bytes = 4096;  // SQLite's default; the queue keeps it
    CHECK(wal_bytes < (group_commit::kWalCheckpointFrames + 200) * (page_bytes + 24));
  }
  auto s = open_store(dir.file());
  CHECK(s.count_by_state()->at(0) == messages);
}
