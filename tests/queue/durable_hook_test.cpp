// tests/queue/durable_hook_test.cpp: group_commit::set_durable_hook(), what wakes the daemon's
// event streams: called once commits became durable (pipelined: after the WAL's fsync, before
// the completions of that work, so a caller that sees its enqueue acknowledged has seen the
// hook), not for work that committed nothing, and never again once cleared.
#include "queue/group_commit.hpp"

#include "queue_fixture.hpp"

#include <atomic>

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

TEST_CASE("the durable hook runs after commits became durable, not for reads, and not once cleared") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  REQUIRE(q.pipelined());
  std::atomic<int> calls{0};
  q.set_durable_hook([&] { ++calls; });

  auto a = q.enqueue(otp("6281111111111", "")).get();
  REQUIRE(a);
  CHECK(calls.load() >= 1);  // before the acknowledgement: the hook ran after its fsync

  auto const before_read = calls.load();
  auto got = q.run([id = a->id](store& s) { return s.get(id); }).get();
  REQUIRE(got);
  CHECK(calls.load() == before_read);  // a read commits nothing: no fsync, no hook

  auto claimed = q.run([](store& s) { return s.claim("telkomsel", 10, t0() + 1s); }).get();
  REQUIRE(claimed);
  CHECK(calls.load() > before_read);

  q.set_durable_hook({});
  auto const cleared = calls.load();
  REQUIRE(q.enqueue(otp("6282222222222", "")).get());
  REQUIRE(q.run([](store& s) { return s.claim("telkomsel", 10, t0() + 2s); }).get());
  CHECK(calls.load() == cleared);
}

TEST_CASE("without pipelining the durable hook runs after each round of work that committed") {
  temp_dir dir;
  group_commit q(open_store(dir.file()), group_commit_options{.pipelined = false, .sync = {}});
  REQUIRE(!q.pipelined());
  std::atomic<int> calls{0};
  q.set_durable_hook([&] { ++calls; });
  REQUIRE(q.enqueue(otp("6281111111111", "")).get());
  // The hook follows the round on the writer thread: a later round's completion comes after it.
  REQUIRE(q.run([](store& s) { return s.count_waiting(); }).get());
  CHECK(calls.load() >= 1);
  auto const after = calls.load();
  REQUIRE(q.run([](store& s) { return s.count_waiting(); }).get());
  CHECK(calls.load() == after);
}
