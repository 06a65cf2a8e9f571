// tests/daemon/queue_summary_reader_test.cpp: daemon/queue_summary_reader on a real SQLite file
// behind the real writer. It answers with the queue's groups; with the writer held (as behind
// a stalled disk) a read gives up at its bound instead of hanging GET /metrics, no second read
// is started while it is in flight, and its late answer is what a later read gets.
#include <catch2/catch.hpp>

#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "daemon/queue_summary_reader.hpp"
#include "queue/group_commit.hpp"
#include "tests/queue/queue_fixture.hpp"
#include "tests/daemon/dispatch/writer_gate.hpp"

using namespace smsgw;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

/// A valid OTP to number n, accepted now (live_summary counts it as queued).
queue::enqueue_request otp(int n) {
  return queue::test::otp("62811300" + std::to_string(1000 + n), "", queue::clock::now());
}

/// One read() run to its end on `io` (a hang fails the test instead of blocking CI).
std::optional<queue_summary_reader::summary> read_once(asio::io_context& io,
                                                       queue_summary_reader& reader,
                                                       queue::time_point now) {
  bool done = false;
  std::optional<queue_summary_reader::summary> got;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    got = co_await reader.read(now);
    done = true;
  }, asio::detached);
  auto const guard = std::chrono::steady_clock::now() + 30s;
  while (!done && std::chrono::steady_clock::now() < guard) {
    io.restart();
    io.run_for(20ms);
  }
  REQUIRE(done);
  return got;
}

}  // namespace

TEST_CASE("queue_summary_reader answers with the queue's groups") {
  test::temp_dir dir;
  asio::io_context io{1};  // before the writer: destroyed after it (its answers hold io's work)
  queue::group_commit gc(queue::test::open_store(dir.file("queue.db")));
  REQUIRE(gc.enqueue(otp(1)).get().has_value());
  REQUIRE(gc.enqueue(otp(2)).get().has_value());
  queue_summary_reader reader(gc, 10s);
  auto const now = queue::clock::now();
  auto got = read_once(io, reader, now);
  REQUIRE(got.has_value());
  REQUIRE(got->groups.has_value());
  CHECK(got->at == now);
  std::int64_t queued = 0;
  for (auto const& g : *got->groups)
    if (g.st == queue::state::queued && g.carrier == "telkomsel") queued += g.count;
  CHECK(queued == 2);
  CHECK_FALSE(reader.in_flight());
}

TEST_CASE("a held writer: the read gives up at its bound, no second read starts, its late answer comes later") {
  test::temp_dir dir;
  asio::io_context io{1};  // before the writer: destroyed after it
  queue::group_commit gc(queue::test::open_store(dir.file("queue.db")));
  REQUIRE(gc.enqueue(otp(3)).get().has_value());
  queue_summary_reader reader(gc, 50ms);
  std::optional<test::writer_gate> gate(std::in_place, gc);

  auto const first = queue::clock::now();
  CHECK_FALSE(read_once(io, reader, first).has_value());  // the writer never answered
  CHECK(reader.in_flight());
  CHECK_FALSE(read_once(io, reader, first + 1s).has_value());  // still nothing
  CHECK(reader.in_flight());

  gate.reset();  // the writer goes on
  std::optional<queue_summary_reader::summary> late;
  auto const guard = std::chrono::steady_clock::now() + 30s;
  int calls = 0;
  while (!late && std::chrono::steady_clock::now() < guard) {
    late = read_once(io, reader, first + std::chrono::seconds(2 + calls++));
  }
  REQUIRE(late.has_value());
  CHECK(late->at == first);  // the first read's answer: none of the later calls started one
  REQUIRE(late->groups.has_value());
  CHECK_FALSE(reader.in_flight());

  // Taken: the next call reads anew.
  auto const later = first + 1h;
  auto fresh = read_once(io, reader, later);
  REQUIRE(fresh.has_value());
  CHECK(fresh->at == later);
}
