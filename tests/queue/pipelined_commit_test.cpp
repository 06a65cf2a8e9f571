// tests/queue/pipelined_commit_test.cpp: group_commit's pipelined commit. Commits run with
// synchronous=NORMAL and a syncer thread fsyncs the WAL; nothing is completed before the
// fsync that covers it has returned. The sync is wrapped (group_commit_options::sync) around
// the real wal_sync so a test can hold it, count it or make it fail; the data is always a real
// file, read back through a second connection.
#include "queue/group_commit.hpp"
#include "queue/wal_sync.hpp"

#include "held_wal_sync.hpp"
#include "queue_fixture.hpp"

#include <future>
#include <mutex>
#include <thread>

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {

/// Messages in the file, counted through a connection of its own.
std::int64_t stored_messages(std::string const& path) {
  auto db = smsgw::sqlite::database::open(path);
  return db.query_int("SELECT count(*) FROM messages");
}

/// With the WAL's fsync held: enqueues one OTP and checks that it is committed (another
/// connection sees the row) but not answered; then releases the fsync and returns the answer,
/// the thread that gave it, and the sync's call count just before the release.
struct held_answer {
  result<enqueue_outcome> r;
  std::thread::id thread;
  int calls_at_release;
};
held_answer enqueue_with_sync_held(group_commit& q, held_wal_sync& sync, std::string const& path) {
  sync.hold();
  std::promise<std::pair<result<enqueue_outcome>, std::thread::id>> answered;
  REQUIRE(q.enqueue_then(otp("6281111111111", ""), [&](result<enqueue_outcome> r) {
    answered.set_value({std::move(r), std::this_thread::get_id()});
  }));
  auto a = answered.get_future();
  for (int i = 0; i < 500 && stored_messages(path) == 0; ++i) std::this_thread::sleep_for(10ms);
  CHECK(stored_messages(path) == 1);
  CHECK(a.wait_for(100ms) == std::future_status::timeout);
  int const calls = sync.calls;
  sync.release();
  REQUIRE(a.wait_for(30s) == std::future_status::ready);
  auto [r, thread] = a.get();
  return {std::move(r), thread, calls};
}

}  // namespace

TEST_CASE("pipelined: a commit is on file before its fsync, acknowledged only after it") {
  temp_dir dir;
  auto s = open_store(dir.file());
  held_wal_sync sync(dir.file());
  // The syncer syncs every round: the writer goes on while it is held.
  group_commit q(std::move(s), {.idle_writer_syncs = false, .sync = sync.fn()});
  REQUIRE(q.pipelined());
  CHECK(q.run([](store& st) { return st.database().query_int("PRAGMA synchronous"); }).get() ==
        1);  // NORMAL: the syncer does the fsync

  sync.hold();
  auto first = q.enqueue(otp("6281111111111", ""));
  // The writer committed it (another connection sees the row) ...
  for (int i = 0; i < 500 && stored_messages(dir.file()) == 0; ++i) std::this_thread::sleep_for(10ms);
  CHECK(stored_messages(dir.file()) == 1);
  // ... and goes on with the next work while the fsync is held ...
  auto second = q.enqueue(otp("6282222222222", ""));
  for (int i = 0; i < 500 && stored_messages(dir.file()) < 2; ++i) std::this_thread::sleep_for(10ms);
  CHECK(stored_messages(dir.file()) == 2);
  // ... but acknowledges neither before an fsync has returned.
  CHECK(first.wait_for(50ms) == std::future_status::timeout);
  CHECK(second.wait_for(0ms) == std::future_status::timeout);
  sync.release();
  auto a = first.get();
  auto b = second.get();
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(a->what == enqueue_outcome::kind::accepted);
  CHECK(b->what == enqueue_outcome::kind::accepted);
  CHECK(sync.calls >= 1);
  CHECK(sync.calls <= 2);  // one fsync may cover both commits
}

TEST_CASE("pipelined: enqueue_then calls back only after the fsync, on the syncer thread") {
  temp_dir dir;
  auto s = open_store(dir.file());
  held_wal_sync sync(dir.file());
  group_commit q(std::move(s), {.idle_writer_syncs = false, .sync = sync.fn()});
  REQUIRE(q.pipelined());
  auto [r, thread, calls] = enqueue_with_sync_held(q, sync, dir.file());
  REQUIRE(r.has_value());
  CHECK(r->what == enqueue_outcome::kind::accepted);
  CHECK(thread != std::this_thread::get_id());
  // The writer thread is not the one that called back: a task run there reports its id.
  CHECK(q.run([](store&) { return std::this_thread::get_id(); }).get() != thread);
}

TEST_CASE("pipelined: an idle writer fsyncs its round itself, and completes it only after") {
  temp_dir dir;
  auto s = open_store(dir.file());
  held_wal_sync sync(dir.file());
  group_commit q(std::move(s), {.sync = sync.fn()});  // idle_writer_syncs: the default
  REQUIRE(q.pipelined());
  auto const writer = q.run([](store&) { return std::this_thread::get_id(); }).get();
  auto [r, thread, calls] = enqueue_with_sync_held(q, sync, dir.file());
  REQUIRE(r.has_value());
  CHECK(thread == writer);  // nothing else waited: no hand-off to the syncer
  CHECK(sync.calls == calls + 1);  // the one held fsync (counted when it returns) covered it
}

TEST_CASE("pipelined: work that commits nothing completes without an fsync") {
  temp_dir dir;
  auto s = open_store(dir.file());
  held_wal_sync sync(dir.file());
  group_commit q(std::move(s), {.sync = sync.fn()});
  auto id = q.enqueue(otp("6281111111111", "")).get()->id;
  int const after_enqueue = sync.calls;
  CHECK(after_enqueue == 1);
  // Reads: nothing new to sync, they complete without one (even with the sync held).
  sync.hold();
  CHECK(q.run([id](store& st) { return st.get(id); }).get()->st == state::queued);
  CHECK(q.run([](store& st) { return st.count_by_state(); }).get()->at(0) == 1);
  CHECK(sync.calls == after_enqueue);
  sync.release();
  // A write transaction that changed nothing (a claim that found nothing, an expiry round with
  // nothing due) wrote nothing to the WAL: no fsync either (issue #15: none that nothing
  // waits for). Counted with the sync released, so that a wrong fsync fails, not hangs.
  CHECK(q.run([](store& st) { return st.claim("indosat", 5, t0() + 1s); }).get()->empty());
  CHECK(q.run([](store& st) { return st.expire_due(t0() + 1s); }).get().has_value());
  CHECK(sync.calls == after_enqueue);
  // A write needs one again.
  CHECK(q.run([](store& st) { return st.claim("telkomsel", 5, t0() + 1s); }).get()->size() == 1);
  CHECK(sync.calls == after_enqueue + 1);
}

TEST_CASE("pipelined: run_then_unsynced answers a claim before its fsync, run_then does not") {
  temp_dir dir;
  auto s = open_store(dir.file());
  held_wal_sync sync(dir.file());
  group_commit q(std::move(s), {.sync = sync.fn()});
  REQUIRE(q.enqueue(otp("6281111111111", "")).get().has_value());
  REQUIRE(q.enqueue(otp("6282222222222", "")).get().has_value());
  sync.hold();
  // A claim needs no durability (lost in a crash, the message is still queued): answered
  // while the fsync is held.
  std::promise<result<std::vector<message>>> claimed;
  REQUIRE(q.run_then_unsynced([](store& st) { return st.claim("telkomsel", 1, t0() + 1s); },
                              [&](result<std::vector<message>> r) { claimed.set_value(std::move(r)); }));
  auto c = claimed.get_future();
  REQUIRE(c.wait_for(5s) == std::future_status::ready);
  auto batch = c.get();
  REQUIRE(batch.has_value());
  REQUIRE(batch->size() == 1);
  // The sending mark must be durable before the submit_sm is written: held with the fsync.
  std::promise<result<std::vector<message_id>>> marked;
  std::vector<message_id> ids{batch->front().id};
  REQUIRE(q.run_then([ids](store& st) { return st.mark_sending(ids, t0() + 2s); },
                     [&](result<std::vector<message_id>> r) { marked.set_value(std::move(r)); }));
  auto m = marked.get_future();
  CHECK(m.wait_for(100ms) == std::future_status::timeout);
  sync.release();
  REQUIRE(m.wait_for(5s) == std::future_status::ready);
  CHECK(m.get().value() == ids);
}

TEST_CASE("pipelined: a failed fsync fails its work and everything after it") {
  temp_dir dir;
  auto s = open_store(dir.file());
  held_wal_sync sync(dir.file());
  sync.fail_from = 2;
  group_commit q(std::move(s), {.sync = sync.fn()});
  auto ok = q.enqueue(otp("6281111111111", "")).get();
  REQUIRE(ok.has_value());

  auto failed = q.enqueue(otp("6282222222222", "")).get();
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().code == errc::io_error);
  CHECK_THAT(failed.error().message, Catch::Contains("injected EIO"));
  // From then on nothing is acknowledged, not even a read that needs no fsync of its own...
  auto counted = q.run([](store& st) { return st.count_by_state(); }).get();
  REQUIRE_FALSE(counted.has_value());
  CHECK(counted.error().code == errc::io_error);
  // ... nor an enqueue's callback ...
  std::promise<result<enqueue_outcome>> enqueued;
  CHECK(q.enqueue_then(otp("6283333333333", ""),
                       [&enqueued](result<enqueue_outcome> r) { enqueued.set_value(std::move(r)); }));
  auto via_enqueue_then = enqueued.get_future().get();
  REQUIRE_FALSE(via_enqueue_then.has_value());
  CHECK(via_enqueue_then.error().code == errc::io_error);
  // ... nor a callback, nor a task whose result cannot hold an error.
  std::promise<result<message>> then_got;
  CHECK(q.run_then([id = ok->id](store& st) { return st.get(id); },
                   [&then_got](result<message> r) { then_got.set_value(std::move(r)); }));
  auto via_then = then_got.get_future().get();
  REQUIRE_FALSE(via_then.has_value());
  CHECK(via_then.error().code == errc::io_error);
  auto plain = q.run([](store&) { return 42; });
  CHECK_THROWS_WITH(plain.get(), Catch::Contains("injected EIO"));
  CHECK(sync.calls == 2);  // no fsync is tried again: its failure may have dropped pages
}

TEST_CASE("pipelined: completions run in submission order") {
  temp_dir dir;
  auto s = open_store(dir.file());
  group_commit q(std::move(s));
  REQUIRE(q.pipelined());
  std::mutex m;
  std::vector<int> order;
  std::vector<std::future<result<enqueue_outcome>>> enqueues;
  std::promise<void> last;
  constexpr int n = 300;
  for (int i = 0; i < n; ++i) {
    if (i % 3 == 0) {
      enqueues.push_back(q.enqueue(otp("62811" + std::to_string(10000000 + i), "")));
      CHECK(q.run_then([](store& st) { return st.count_by_state(); },
                       [&, i](result<std::array<std::int64_t, smsgw::queue::k_state_count>> r) {
                         std::lock_guard lock(m);
                         if (r) order.push_back(i);
                         if (i == n - 3) last.set_value();
                       }));
    } else {
      CHECK(q.run_then([i](store& st) { return st.claim("telkomsel", 1, t0() + 1s); },
                       [&, i](result<std::vector<message>> r) {
                         std::lock_guard lock(m);
                         if (r) order.push_back(i);
                       }));
    }
  }
  last.get_future().get();
  q.stop();
  for (auto& f : enqueues) CHECK(f.get().has_value());
  REQUIRE(order.size() == n);
  CHECK(std::is_sorted(order.begin(), order.end()));
}

TEST_CASE("not pipelined: every commit keeps its own fsync (synchronous=FULL)") {
  temp_dir dir;
  bool sync_called = false;
  group_commit q(open_store(dir.file()), {.pipelined = false, .sync = [&]() -> result<void> {
    sync_called = true;
    return {};
  }});
  CHECK_FALSE(q.pipelined());
  CHECK(q.enqueue(otp()).get().has_value());
  CHECK(q.run([](store& st) { return st.database().query_int("PRAGMA synchronous"); }).get() ==
        2);
  CHECK_FALSE(sync_called);
}

TEST_CASE("a database not in WAL mode is not pipelined: it keeps its own fsyncs") {
  temp_dir dir;
  store_options opts;
  opts.sqlite.wal = false;
  auto s = open_store(dir.file(), t0(), opts);
  auto w = wal_sync::open(dir.file());
  REQUIRE_FALSE(w.has_value());
  CHECK(w.error().code == errc::io_error);
  CHECK_THAT(w.error().message, Catch::Contains(dir.file() + "-wal"));

  group_commit q(std::move(s));
  CHECK_FALSE(q.pipelined());
  CHECK(q.enqueue(otp()).get().has_value());
  CHECK(q.run([](store& st) { return st.database().query_int("PRAGMA synchronous"); }).get() ==
        2);
}

TEST_CASE("run_then: an operation that throws reaches its callback as an internal error") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  std::promise<result<int>> got;
  CHECK(q.run_then([](store&) -> result<int> { throw std::runtime_error("boom"); },
                   [&got](result<int> r) { got.set_value(std::move(r)); }));
  auto r = got.get_future().get();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::internal);
  CHECK(r.error().message == "boom");
  // The writer goes on.
  CHECK(q.enqueue(otp()).get().has_value());
  q.stop();
  CHECK_FALSE(q.run_then([](store&) -> result<int> { return 1; }, [](result<int>) {}));
}
