// tests/daemon/api/event_wake_test.cpp: the wake-up of GET /v1/events streams
// (daemon/api/event_wake.*): notifications from other threads are coalesced (however many
// come while one is on its way, the network thread sees at most that many generations, at
// least one), a subscribed timer is cancelled by each, close() wakes for good, and a wake-up
// posted before the wake object is gone does nothing.
#include <catch2/catch.hpp>

#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/api/event_wake.hpp"

using namespace smsgw;
using namespace std::chrono_literals;

TEST_CASE("notifications from other threads reach the network thread coalesced and cancel a sleeping stream's timer") {
  boost::asio::io_context io{1};
  event_wake wake(io.get_executor());
  boost::asio::steady_timer timer(io, 1h);
  bool cancelled = false;
  event_wake::subscription sub(wake, timer);
  timer.async_wait([&](boost::system::error_code ec) { cancelled = ec == boost::asio::error::operation_aborted; });

  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) wake.notify_from_any_thread();
    });
  for (auto& t : threads) t.join();
  CHECK(wake.generation() == 0);  // nothing runs before the network thread does
  io.run_for(10s);                // returns once the wake-up and the timer's handler ran
  CHECK(wake.generation() >= 1);
  CHECK(wake.generation() <= 4000);
  CHECK(cancelled);
  CHECK(!wake.closed());
  wake.close();
  CHECK(wake.closed());
  CHECK(wake.generation() >= 2);
}

TEST_CASE("a wake-up posted before the wake object went does nothing") {
  boost::asio::io_context io{1};
  {
    event_wake wake(io.get_executor());
    wake.notify_from_any_thread();
  }
  CHECK(io.run_for(1s) == 1);  // the posted handler ran, found nothing, touched nothing
}
