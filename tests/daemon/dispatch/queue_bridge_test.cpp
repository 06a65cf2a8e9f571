// tests/daemon/dispatch/queue_bridge_test.cpp: awaiting queue work from coroutines (daemon/dispatch/queue_bridge.hpp)
// on a real SQLite file behind the real group-commit writer: results come back on the network
// thread, enqueues arriving together are committed together (one transaction, counted with
// store::commits()) and answered only after their fsync, and once the writer is stopped every
// waiter gets errc::stopped instead of waiting forever (also for later enqueues). The answers of
// one writer round, and those one fsync made durable, reach the io_context as ONE handler
// (counted by io_context::run itself).
#include <catch2/catch.hpp>

#include <future>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "daemon/dispatch/queue_bridge.hpp"
#include "queue/sqlite.hpp"
#include "tests/daemon/dispatch/writer_gate.hpp"
#include "tests/queue/held_wal_sync.hpp"
#include "tests/support/temp_dir.hpp"

using namespace smsgw;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

queue::enqueue_request otp(int n) {
  queue::enqueue_request r;
  r.recipient = "62811300" + std::to_string(1000 + n);
  r.sender = "SMSGW";
  r.text = "Kode 000000";
  r.carrier = "telkomsel";
  r.now = queue::clock::now();
  return r;
}

queue::group_commit open_writer(test::temp_dir const& dir, queue::group_commit_options w = {}) {
  queue::store_options o;
  o.sqlite.synchronous_full = false;
  auto s = queue::store::open(dir.file("queue.db"), o);
  REQUIRE(s.has_value());
  return queue::group_commit(std::move(*s), std::move(w));
}

/// Runs `io` until `done` or a generous guard (a hang fails the test instead of blocking CI).
template <class Pred>
void run_until(asio::io_context& io, Pred done) {
  auto const guard = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done() && std::chrono::steady_clock::now() < guard) {
    io.restart();
    io.run_for(std::chrono::milliseconds(20));
  }
}

/// What one enqueue awaited through the adapter: its answer and the thread it resumed on.
struct answer {
  queue::result<queue::enqueue_outcome> outcome;
  std::thread::id thread;
};

void spawn_enqueue(asio::io_context& io, queue_enqueuer& enqueuer, int n,
                   std::vector<answer>& answers) {
  asio::co_spawn(io, [&, n]() -> asio::awaitable<void> {
    auto r = co_await enqueuer.enqueue(otp(n));
    answers.push_back({std::move(r), std::this_thread::get_id()});
  }, asio::detached);
}

}  // namespace

TEST_CASE("queue_call brings the store's answer back to the coroutine") {
  test::temp_dir dir;
  auto gc = open_writer(dir);
  asio::io_context io{1};
  std::optional<queue::result<std::array<std::int64_t, queue::k_state_count>>> counts;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    counts = co_await queue_call(gc, [](queue::store& s) { return s.count_by_state(); });
  }, asio::detached);
  run_until(io, [&] { return counts.has_value(); });
  REQUIRE(counts.has_value());
  REQUIRE(counts->has_value());
  CHECK((**counts)[0] == 0);
}

TEST_CASE("queue_enqueuer answers concurrent requests each, on the network thread") {
  test::temp_dir dir;
  auto gc = open_writer(dir);
  asio::io_context io{1};
  queue_enqueuer enqueuer(gc, io.get_executor());
  std::vector<answer> answers;
  for (int i = 0; i < 20; ++i) spawn_enqueue(io, enqueuer, i, answers);
  run_until(io, [&] { return answers.size() == 20; });
  REQUIRE(answers.size() == 20);
  std::set<queue::message_id> ids;
  for (auto const& a : answers) {
    REQUIRE(a.outcome.has_value());
    CHECK(a.outcome->what == queue::enqueue_outcome::kind::accepted);
    CHECK(a.thread == std::this_thread::get_id());  // the thread running io
    ids.insert(a.outcome->id);
  }
  CHECK(ids.size() == 20);
  auto counts = gc.run([](queue::store& s) { return s.count_by_state(); }).get();
  REQUIRE(counts.has_value());
  CHECK((*counts)[0] == 20);  // all 20 queued, durable
}

TEST_CASE("queue_enqueuer: requests waiting while the writer is busy commit in one transaction") {
  test::temp_dir dir;
  auto gc = open_writer(dir);
  asio::io_context io{1};
  queue_enqueuer enqueuer(gc, io.get_executor());
  // The writer is held busy by a task while the network thread issues every request.
  std::promise<void> started, gate;
  auto commits_before = gc.run([&started, opened = gate.get_future().share()](queue::store& s) {
    started.set_value();
    opened.wait();
    return s.commits();
  });
  started.get_future().wait();
  constexpr int n = 200;
  std::vector<answer> answers;
  for (int i = 0; i < n; ++i) spawn_enqueue(io, enqueuer, i, answers);
  io.poll();  // each coroutine runs up to its co_await: every request is handed to the queue
  CHECK(answers.empty());
  gate.set_value();
  run_until(io, [&] { return answers.size() == n; });
  REQUIRE(answers.size() == n);
  for (auto const& a : answers) {
    REQUIRE(a.outcome.has_value());
    CHECK(a.outcome->what == queue::enqueue_outcome::kind::accepted);
  }
  auto const before = commits_before.get();
  CHECK(gc.run([](queue::store& s) { return s.commits(); }).get() == before + 1);
}

TEST_CASE("queue_enqueuer answers only after the commit's fsync, and a failed fsync is an error") {
  test::temp_dir dir;
  queue::test::held_wal_sync sync(dir.file("queue.db"));
  queue::test::held_wal_sync::release_on_exit guard{sync};
  auto gc = open_writer(dir, {.sync = sync.fn()});
  REQUIRE(gc.pipelined());
  asio::io_context io{1};
  queue_enqueuer enqueuer(gc, io.get_executor());
  auto on_file = [&] {
    auto db = sqlite::database::open(dir.file("queue.db"));
    return db.query_int("SELECT count(*) FROM messages");
  };

  sync.hold();
  std::vector<answer> answers;
  spawn_enqueue(io, enqueuer, 1, answers);
  // Committed (another connection sees it), not answered while its fsync is held.
  run_until(io, [&] { return on_file() == 1; });
  CHECK(on_file() == 1);
  io.restart();
  io.run_for(200ms);
  CHECK(answers.empty());
  sync.release();
  run_until(io, [&] { return answers.size() == 1; });
  REQUIRE(answers.size() == 1);
  REQUIRE(answers[0].outcome.has_value());
  CHECK(answers[0].outcome->what == queue::enqueue_outcome::kind::accepted);

  // A failed fsync: the request was committed, but the answer is the error.
  sync.fail_from = sync.calls + 1;
  spawn_enqueue(io, enqueuer, 2, answers);
  run_until(io, [&] { return answers.size() == 2; });
  REQUIRE(answers.size() == 2);
  REQUIRE_FALSE(answers[1].outcome.has_value());
  CHECK(answers[1].outcome.error().code == queue::errc::io_error);
}

TEST_CASE("after the writer stopped, waiters get 'stopped' instead of hanging") {
  test::temp_dir dir;
  auto gc = open_writer(dir);
  asio::io_context io{1};
  queue_enqueuer enqueuer(gc, io.get_executor());
  gc.stop();

  std::optional<queue::result<std::array<std::int64_t, queue::k_state_count>>> call;
  std::vector<answer> answers;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    call = co_await queue_call(gc, [](queue::store& s) { return s.count_by_state(); });
  }, asio::detached);
  // Two rounds: refused requests leave nothing behind that would hold up the next ones.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 3; ++i) spawn_enqueue(io, enqueuer, i, answers);
    run_until(io, [&] { return answers.size() == static_cast<std::size_t>(3 * (round + 1)); });
  }
  run_until(io, [&] { return call.has_value(); });
  REQUIRE(call.has_value());
  REQUIRE_FALSE(call->has_value());
  CHECK(call->error().code == queue::errc::stopped);
  REQUIRE(answers.size() == 6);
  for (auto const& a : answers) {
    REQUIRE_FALSE(a.outcome.has_value());
    CHECK(a.outcome.error().code == queue::errc::stopped);
  }
}

TEST_CASE("the answers of one writer round reach the network thread in one posted handler") {
  test::temp_dir dir;
  auto gc = open_writer(dir);
  REQUIRE(gc.pipelined());
  asio::io_context io{1};
  constexpr int n = 8;
  std::vector<int> unsynced_answers, synced_answers;
  std::vector<std::thread::id> threads;
  {
    // Everything posted while the gate holds the writer is taken in one round.
    test::writer_gate gate(gc);
    for (int i = 0; i < n; ++i) {
      queue_post(gc, io.get_executor(), [i](queue::store&) { return queue::result<int>(i); },
                 [&](queue::result<int> r) {
                   REQUIRE(r.has_value());
                   unsynced_answers.push_back(*r);
                   threads.push_back(std::this_thread::get_id());
                 },
                 false);
    }
    gate.open();
    // The io_context runs until every answer came (each holds outstanding work until then);
    // run() returns how many handlers it ran: one per post.
    CHECK(io.run() == 1);
  }
  CHECK(unsynced_answers == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(std::set<std::thread::id>(threads.begin(), threads.end()) ==
        std::set<std::thread::id>{std::this_thread::get_id()});

  io.restart();
  {
    test::writer_gate gate(gc);
    for (int i = 0; i < n; ++i) {
      // Durable answers: each commits a row, and all of them wait for the round's one fsync.
      queue_post(gc, io.get_executor(),
                 [i](queue::store& s) -> queue::result<int> {
                   auto r = s.enqueue(otp(100 + i));
                   if (!r) return r.error();
                   return i;
                 },
                 [&](queue::result<int> r) {
                   REQUIRE(r.has_value());
                   synced_answers.push_back(*r);
                 });
    }
    gate.open();
    CHECK(io.run() == 1);
  }
  CHECK(synced_answers == std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7});
}
