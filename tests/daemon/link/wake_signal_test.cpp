// tests/daemon/link/wake_signal_test.cpp: daemon/link/wake_signal.hpp on a real io_context. The case
// that matters: a waiter cancelled while it waits must not break the primitive for the next
// one (Boost 1.81's buffered channel lost every later try_send after that, which wedged a
// two-bind carrier after its SMSC restarted).
#include <catch2/catch.hpp>

#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/link/wake_signal.hpp"

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using smsgw::async_gate;
using smsgw::wake_signal;

namespace {

/// Runs the context until `done` or nothing is left to run.
template <class Pred>
void run_until(asio::io_context& io, Pred done) {
  io.restart();
  while (!done() && io.run_one() > 0) {
  }
}

asio::awaitable<void> short_sleep() {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(1));
  co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace

TEST_CASE("async_gate: one holder, a waiter cancelled while waiting does not lose the gate",
          "[wake_signal]") {
  asio::io_context io;
  async_gate gate(io.get_executor());
  std::optional<bool> first, cancelled_waiter, next;
  // First holder takes the gate at once.
  asio::co_spawn(io, gate.acquire(), [&](std::exception_ptr, bool ok) { first = ok; });
  run_until(io, [&] { return first.has_value(); });
  REQUIRE(first == true);
  REQUIRE(gate.held());

  // A second waiter is cancelled while it waits (as a link's feeder is when its connection
  // ends): it gets nothing.
  asio::co_spawn(io, gate.acquire() || short_sleep(), [&](std::exception_ptr, auto r) {
    cancelled_waiter = r.index() == 0 ? std::get<0>(r) : false;
  });
  run_until(io, [&] { return cancelled_waiter.has_value(); });
  CHECK(cancelled_waiter == false);
  CHECK(gate.held());

  // The holder releases; a new taker gets the gate.
  gate.release();
  asio::co_spawn(io, gate.acquire(), [&](std::exception_ptr, bool ok) { next = ok; });
  run_until(io, [&] { return next.has_value(); });
  CHECK(next == true);
}

TEST_CASE("async_gate: release wakes a waiting taker", "[wake_signal]") {
  asio::io_context io;
  async_gate gate(io.get_executor());
  std::optional<bool> a, b;
  asio::co_spawn(io, gate.acquire(), [&](std::exception_ptr, bool ok) { a = ok; });
  asio::co_spawn(io, gate.acquire(), [&](std::exception_ptr, bool ok) { b = ok; });
  io.poll();
  REQUIRE(a == true);
  CHECK_FALSE(b.has_value());  // waits for the holder
  gate.release();
  run_until(io, [&] { return b.has_value(); });
  CHECK(b == true);
  CHECK(gate.held());
}

TEST_CASE("wake_signal: a notification is kept until a wait takes it, also after a cancelled wait",
          "[wake_signal]") {
  asio::io_context io;
  wake_signal signal(io.get_executor());
  // A wait that is cancelled (the other branch of || wins), as the dispatcher's source polls.
  std::optional<std::size_t> first;
  asio::co_spawn(io, signal.wait() || short_sleep(),
                 [&](std::exception_ptr, auto r) { first = r.index(); });
  run_until(io, [&] { return first.has_value(); });
  REQUIRE(first == 1u);

  // Notified while nobody waits: the next wait completes at once, before any timer.
  signal.notify();
  std::optional<std::size_t> second;
  asio::co_spawn(io, signal.wait() || short_sleep(),
                 [&](std::exception_ptr, auto r) { second = r.index(); });
  run_until(io, [&] { return second.has_value(); });
  CHECK(second == 0u);

  // Taken: a later wait waits again.
  std::optional<std::size_t> third;
  asio::co_spawn(io, signal.wait() || short_sleep(),
                 [&](std::exception_ptr, auto r) { third = r.index(); });
  run_until(io, [&] { return third.has_value(); });
  CHECK(third == 1u);
}
