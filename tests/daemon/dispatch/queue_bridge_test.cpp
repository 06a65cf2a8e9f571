// tests/daemon/dispatch/queue_bridge_test.cpp: awaiting queue work from coroutines (daemon/dispatch/queue_bridge.hpp)
// on a real SQLite file behind the real group-commit writer: results come back on the network
// thread, enqueues arriving together are committed together, and once the writer is stopped
// every waiter gets errc::stopped instead of waiting forever (and the batcher keeps answering).
#include <catch2/catch.hpp>

#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "daemon/dispatch/queue_bridge.hpp"
#include "tests/support/temp_dir.hpp"

using namespace smsgw;
namespace asio = boost::asio;

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

queue::group_commit open_writer(test::temp_dir const& dir) {
  queue::store_options o;
  o.sqlite.synchronous_full = false;
  auto s = queue::store::open(dir.file("queue.db"), o);
  REQUIRE(s.has_value());
  return queue::group_commit(std::move(*s));
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

}  // namespace

TEST_CASE("queue_call brings the store's answer back to the coroutine") {
  test::temp_dir dir;
  auto gc = open_writer(dir);
  asio::io_context io{1};
  std::optional<queue::result<std::array<std::int64_t, 10>>> counts;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    counts = co_await queue_call(gc, [](queue::store& s) { return s.count_by_state(); });
  }, asio::detached);
  run_until(io, [&] { return counts.has_value(); });
  REQUIRE(counts.has_value());
  REQUIRE(counts->has_value());
  CHECK((**counts)[0] == 0);
}

TEST_CASE("enqueue_batcher commits concurrent requests and answers each") {
  test::temp_dir dir;
  auto gc = open_writer(dir);
  asio::io_context io{1};
  enqueue_batcher batcher(gc, io.get_executor());
  std::vector<queue::result<queue::enqueue_outcome>> answers;
  for (int i = 0; i < 20; ++i) {
    asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
      answers.push_back(co_await batcher.enqueue(otp(i)));
    }, asio::detached);
  }
  run_until(io, [&] { return answers.size() == 20; });
  REQUIRE(answers.size() == 20);
  for (auto const& a : answers) CHECK(a.has_value());
  auto counts = gc.run([](queue::store& s) { return s.count_by_state(); }).get();
  REQUIRE(counts.has_value());
  CHECK((*counts)[0] == 20);  // all 20 queued, durable
}

TEST_CASE("after the writer stopped, waiters get 'stopped' instead of hanging") {
  test::temp_dir dir;
  auto gc = open_writer(dir);
  asio::io_context io{1};
  enqueue_batcher batcher(gc, io.get_executor());
  gc.stop();

  std::optional<queue::result<std::array<std::int64_t, 10>>> call;
  std::vector<queue::result<queue::enqueue_outcome>> answers;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    call = co_await queue_call(gc, [](queue::store& s) { return s.count_by_state(); });
  }, asio::detached);
  // Two rounds: the batcher must not stay busy after a refused batch.
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 3; ++i) {
      asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
        answers.push_back(co_await batcher.enqueue(otp(i)));
      }, asio::detached);
    }
    run_until(io, [&] { return answers.size() == static_cast<std::size_t>(3 * (round + 1)); });
  }
  run_until(io, [&] { return call.has_value(); });
  REQUIRE(call.has_value());
  REQUIRE_FALSE(call->has_value());
  CHECK(call->error().code == queue::errc::stopped);
  REQUIRE(answers.size() == 6);
  for (auto const& a : answers) {
    REQUIRE_FALSE(a.has_value());
    CHECK(a.error().code == queue::errc::stopped);
  }
}
