// tests/queue/group_commit_test.cpp: the writer thread in front of the store: many producer
// threads enqueue concurrently; every future that holds success names a stored message; work
// posted with run() executes in order after earlier enqueues; stop() finishes what was queued.
// enqueue_then(), the callback form: enqueues waiting together (either form) share one
// transaction; refused after stop() without calling back. The completions of one round run in
// one completion_round, and the round's durable work waits for one fsync. Lazy work waits for
// the next eager work (or a kick) and shares its round; a claim standing by for an enqueue runs in the
// round that commits one for its carrier, inside that round's fsync.
#include "queue/group_commit.hpp"
#include "queue/completion_round.hpp"

#include "queue_fixture.hpp"

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

TEST_CASE("concurrent producers: every acknowledged enqueue is stored, once") {
  temp_dir dir;
  constexpr int producers = 8, each = 250;
  std::vector<std::vector<message_id>> ids(producers);
  {
    group_commit q(open_store(dir.file()));
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        std::vector<std::future<result<enqueue_outcome>>> futures;
        for (int i = 0; i < each; ++i) {
          auto r = otp("628" + std::to_string(1100000000 + p * 1000 + i), "");
          r.idempotency_key = "p" + std::to_string(p) + "-" + std::to_string(i);
          futures.push_back(q.enqueue(std::move(r)));
        }
        auto& mine = ids[static_cast<std::size_t>(p)];
        for (auto& f : futures) {
          auto r = f.get();
          if (r && r->what == enqueue_outcome::kind::accepted) mine.push_back(r->id);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  std::set<message_id> all;
  for (auto& v : ids) {
    CHECK(v.size() == each);
    all.insert(v.begin(), v.end());
  }
  CHECK(all.size() == producers * each);
  auto s = open_store(dir.file());
  CHECK(s.count_by_state()->at(0) == producers * each);
  for (auto id : all) REQUIRE(s.get(id).has_value());
}

TEST_CASE("run() executes on the writer after the enqueues submitted before it") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  auto a = q.enqueue(otp("6281111111111", ""));
  auto b = q.enqueue(otp("6282222222222", ""));
  auto claimed = q.run([](store& s) { return s.claim("telkomsel", 10, t0() + 1s); });
  auto c = q.enqueue(otp("6283333333333", ""));
  auto got = claimed.get();
  REQUIRE(got.has_value());
  CHECK(got->size() == 2);
  CHECK((*got)[0].id == a.get()->id);
  CHECK((*got)[1].id == b.get()->id);
  auto cid = c.get()->id;
  CHECK(q.run([cid](store& s) { return s.get(cid)->st; }).get() == state::queued);
}

TEST_CASE("an invalid request fails alone, the batch around it commits") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  auto good = q.enqueue(otp("6281111111111", ""));
  auto bad = q.enqueue(otp("12", ""));
  auto r = bad.get();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(good.get().has_value());
}

TEST_CASE("after stop(), what was submitted is done and new work is refused") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  std::vector<std::future<result<enqueue_outcome>>> fs;
  for (int i = 0; i < 50; ++i) {
    fs.push_back(q.enqueue(otp("62811" + std::to_string(10000000 + i), "")));
  }
  q.stop();
  for (auto& f : fs) CHECK(f.get().has_value());
  auto late = q.enqueue(otp()).get();
  REQUIRE_FALSE(late.has_value());
  CHECK(late.error().code == errc::stopped);
}

TEST_CASE("enqueue_then: enqueues waiting together share one transaction, callbacks and futures") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  // The writer is held busy by a task until every enqueue below is waiting.
  std::promise<void> started, gate;
  auto commits_before = q.run([&started, opened = gate.get_future().share()](store& s) {
    started.set_value();
    opened.wait();
    return s.commits();
  });
  started.get_future().wait();
  constexpr int n = 40;
  std::mutex m;
  std::condition_variable cv;
  std::vector<result<enqueue_outcome>> answers;
  std::vector<std::future<result<enqueue_outcome>>> futures;
  for (int i = 0; i < n; ++i) {
    auto r = otp("62811" + std::to_string(20000000 + i), "");
    if (i % 4 == 3) {
      futures.push_back(q.enqueue(std::move(r)));
      continue;
    }
    REQUIRE(q.enqueue_then(std::move(r), [&](result<enqueue_outcome> a) {
      std::lock_guard lock(m);
      answers.push_back(std::move(a));
      cv.notify_all();
    }));
  }
  gate.set_value();
  for (auto& f : futures) {
    auto a = f.get();
    REQUIRE(a.has_value());
    CHECK(a->what == enqueue_outcome::kind::accepted);
  }
  {
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, 30s, [&] { return answers.size() == n - futures.size(); }));
  }
  std::set<message_id> ids;
  for (auto& a : answers) {
    REQUIRE(a.has_value());
    CHECK(a->what == enqueue_outcome::kind::accepted);
    ids.insert(a->id);
  }
  CHECK(ids.size() == answers.size());
  auto const before = commits_before.get();
  CHECK(q.run([](store& s) { return s.commits(); }).get() == before + 1);
  CHECK(q.run([](store& s) { return s.count_by_state(); }).get()->at(0) == n);
}

TEST_CASE("enqueue_then: an invalid request fails alone, and after stop() it is refused") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  std::promise<result<enqueue_outcome>> good, bad;
  REQUIRE(q.enqueue_then(otp("6281111111111", ""),
                         [&](result<enqueue_outcome> r) { good.set_value(std::move(r)); }));
  REQUIRE(q.enqueue_then(otp("12", ""),
                         [&](result<enqueue_outcome> r) { bad.set_value(std::move(r)); }));
  auto b = bad.get_future().get();
  REQUIRE_FALSE(b.has_value());
  CHECK(b.error().code == errc::invalid_argument);
  CHECK(good.get_future().get().has_value());
  q.stop();
  bool called = false;
  CHECK_FALSE(q.enqueue_then(otp(), [&](result<enqueue_outcome>) { called = true; }));
  CHECK_FALSE(called);
}

TEST_CASE("the completions of one writer round run in one completion_round, and one fsync covers the round") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  REQUIRE(q.pipelined());
  constexpr int n = 6;
  std::mutex m;
  std::vector<completion_round const*> unsynced_rounds, synced_rounds;
  std::vector<int> unsynced_order, synced_order;
  std::promise<void> open, started;
  auto opened = open.get_future().share();
  auto held = q.run([opened, &started](store&) {  // holds the writer: one round next
    started.set_value();
    opened.wait();
  });
  started.get_future().get();  // its round runs: nothing below can join it
  std::atomic<int> left{2 * n};
  std::promise<void> all_done;
  for (int i = 0; i < n; ++i) {
    REQUIRE(q.run_then_unsynced([i](store&) { return result<int>(i); }, [&](result<int> r) {
      std::lock_guard lock(m);
      unsynced_rounds.push_back(completion_round::current());
      unsynced_order.push_back(r ? *r : -1);
      if (--left == 0) all_done.set_value();
    }));
    REQUIRE(q.run_then(
        [i](store& s) -> result<int> {
          auto e = s.enqueue(otp("628" + std::to_string(1300000000 + i), ""));
          if (!e) return e.error();
          return i;
        },
        [&](result<int> r) {
          std::lock_guard lock(m);
          synced_rounds.push_back(completion_round::current());
          synced_order.push_back(r ? *r : -1);
          if (--left == 0) all_done.set_value();
        }));
  }
  auto const syncs_before = q.stats().syncs;
  open.set_value();
  held.get();
  all_done.get_future().get();
  CHECK(unsynced_order == std::vector<int>{0, 1, 2, 3, 4, 5});
  CHECK(synced_order == std::vector<int>{0, 1, 2, 3, 4, 5});
  // Each kind ran inside one round (a round is open while they run, the same for all).
  REQUIRE(unsynced_rounds.front() != nullptr);
  CHECK(std::set<completion_round const*>(unsynced_rounds.begin(), unsynced_rounds.end()).size() == 1);
  REQUIRE(synced_rounds.front() != nullptr);
  CHECK(std::set<completion_round const*>(synced_rounds.begin(), synced_rounds.end()).size() == 1);
  // The six commits of the round were handed to the syncer together: one fsync (beside the
  // one the holding task's round may have needed, which committed nothing: none).
  CHECK(q.stats().syncs - syncs_before == 1);
  CHECK(completion_round::current() == nullptr);  // none open on this thread
}

TEST_CASE("lazy work waits for the next eager work and shares its round and fsync") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  REQUIRE(q.pipelined());
  std::mutex m;
  std::vector<std::string> ran;               // writer-side order of the tasks
  std::vector<completion_round const*> rounds;  // where their completions ran
  std::promise<void> lazy_done;
  auto const syncs_before = q.stats().syncs;
  // Nobody kicks: only other work (or stop) starts its round.
  REQUIRE(q.run_then_lazy(
      [&](store& s) -> result<int> {
        { std::lock_guard lock(m); ran.push_back("lazy"); }
        auto e = s.enqueue(otp("6281300000101", ""));
        if (!e) return e.error();
        return 1;
      },
      [&](result<int> r) {
        CHECK(r.has_value());
        std::lock_guard lock(m);
        rounds.push_back(completion_round::current());
        lazy_done.set_value();
      },
      true));
  // An eager writer would have run it by now (it is not timed: a slow machine could only make
  // this pass without laziness, never fail with it).
  std::this_thread::sleep_for(50ms);
  {
    std::lock_guard lock(m);
    CHECK(ran.empty());
  }
  std::promise<void> eager_done;
  REQUIRE(q.enqueue_then(otp("6281300000102", ""), [&](result<enqueue_outcome> r) {
    CHECK(r.has_value());
    std::lock_guard lock(m);
    ran.push_back("enqueue answered");
    rounds.push_back(completion_round::current());
    eager_done.set_value();
  }));
  lazy_done.get_future().get();
  eager_done.get_future().get();
  std::lock_guard lock(m);
  CHECK(ran == std::vector<std::string>{"lazy", "enqueue answered"});
  REQUIRE(rounds.size() == 2);
  REQUIRE(rounds[0] != nullptr);
  CHECK(rounds[0] == rounds[1]);                    // one round of completions, one post
  CHECK(q.stats().syncs - syncs_before == 1);       // one fsync for both commits
}

TEST_CASE("lazy work runs at kick() without company, and at stop() at once") {
  temp_dir dir;
  std::promise<void> kicked_done;
  bool at_stop_ran = false;
  {
    group_commit q(open_store(dir.file()));
    q.kick();  // nothing waiting: nothing happens
    REQUIRE(q.run_then_lazy([](store&) { return result<int>(1); },
                            [&](result<int> r) {
                              CHECK(r.has_value());
                              kicked_done.set_value();
                            },
                            false));
    q.kick();
    kicked_done.get_future().get();  // no other work came: the kick started the round
    REQUIRE(q.run_then_lazy([](store&) { return result<int>(2); },
                            [&](result<int> r) { at_stop_ran = r.has_value(); }, true));
    q.stop();  // runs it without a kick
  }
  CHECK(at_stop_ran);
}

TEST_CASE("a claim standing by for an enqueue runs in the round that commits one for its carrier") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  REQUIRE(q.pipelined());
  std::mutex m;
  std::vector<std::string> events;
  std::vector<completion_round const*> rounds;
  std::promise<void> claim_done;
  auto const id = q.run_then_after_enqueue(
      "telkomsel",
      [](store& s) { return s.claim_for_sending("telkomsel", 10, t0() + 1s); },
      [&](result<std::vector<message>> r) {
        REQUIRE(r.has_value());
        std::lock_guard lock(m);
        events.push_back("claimed " + std::to_string(r->size()));
        if (!r->empty()) CHECK(r->front().sending_at.has_value());  // marked in that commit
        rounds.push_back(completion_round::current());
        claim_done.set_value();
      });
  REQUIRE(id != 0);
  // Another carrier's enqueue does not start it.
  auto xl = otp("6281700000001", "");
  xl.carrier = "xl";
  REQUIRE(q.enqueue(std::move(xl)).get().has_value());
  {
    std::lock_guard lock(m);
    CHECK(events.empty());
  }
  auto const syncs_before = q.stats().syncs;
  REQUIRE(q.enqueue_then(otp("6281300000201", ""), [&](result<enqueue_outcome> r) {
    REQUIRE(r.has_value());
    std::lock_guard lock(m);
    events.push_back("accepted");
    rounds.push_back(completion_round::current());
  }));
  claim_done.get_future().get();
  {
    std::lock_guard lock(m);
    CHECK(events == std::vector<std::string>{"accepted", "claimed 1"});
    REQUIRE(rounds.size() == 2);
    REQUIRE(rounds[0] != nullptr);
    CHECK(rounds[0] == rounds[1]);               // answered together: one post
  }
  CHECK(q.stats().syncs - syncs_before == 1);    // the enqueue and the claim: one fsync
  CHECK_FALSE(q.withdraw(id));                   // it ran: nothing to withdraw

  // Withdrawn before an enqueue came: it never runs.
  bool second_ran = false;
  auto const second = q.run_then_after_enqueue(
      "telkomsel", [](store&) { return result<int>(1); }, [&](result<int>) { second_ran = true; });
  REQUIRE(second != 0);
  CHECK(q.withdraw(second));
  CHECK_FALSE(q.withdraw(second));
  REQUIRE(q.enqueue(otp("6281300000202", "")).get().has_value());
  q.run([](store&) {}).get();  // a round after the enqueue's: the claim would have run by now
  CHECK_FALSE(second_ran);

  // One still standing at stop() never runs, and its caller can still withdraw it (so it
  // does not wait for an answer that cannot come).
  bool third_ran = false;
  auto const third = q.run_then_after_enqueue(
      "telkomsel", [](store&) { return result<int>(1); }, [&](result<int>) { third_ran = true; });
  REQUIRE(third != 0);
  q.stop();
  CHECK_FALSE(third_ran);
  CHECK(q.withdraw(third));
  CHECK_FALSE(q.withdraw(third));
  CHECK(q.run_then_after_enqueue("telkomsel", [](store&) { return result<int>(1); },
                                 [](result<int>) {}) == 0);
}

TEST_CASE("enqueue_commits counts every enqueue commit, and a standing claim reads its own round's") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  auto const start = q.enqueue_commits();
  auto const rounds_before = q.rounds();
  // A round with no enqueue leaves it alone.
  q.run([](store&) {}).get();
  CHECK(q.enqueue_commits() == start);
  CHECK(q.rounds() > rounds_before);
  // A single enqueue and a batch each move it.
  REQUIRE(q.enqueue(otp("6281300000301", "")).get().has_value());
  auto const after_single = q.enqueue_commits();
  CHECK(after_single > start);
  std::promise<void> batch_done;
  REQUIRE(q.enqueue_batch_then({otp("6281300000302", ""), otp("6281300000303", "")},
                               [&](auto r) {
                                 CHECK(r.has_value());
                                 batch_done.set_value();
                               }));
  batch_done.get_future().get();
  auto const after_batch = q.enqueue_commits();
  CHECK(after_batch > after_single);

  // A claim standing by runs after its round's enqueues: what it reads already counts them,
  // so a later look that finds the same value knows nothing was enqueued since it ran.
  std::promise<std::uint64_t> seen;
  REQUIRE(q.run_then_after_enqueue(
              "telkomsel", [&q](store&) { return result<std::uint64_t>(q.enqueue_commits()); },
              [&](result<std::uint64_t> r) { seen.set_value(r ? *r : 0); }) != 0);
  REQUIRE(q.enqueue(otp("6281300000304", "")).get().has_value());
  auto const at_claim = seen.get_future().get();
  CHECK(at_claim > after_batch);
  CHECK(q.enqueue_commits() == at_claim);
  q.run([](store&) {}).get();
  CHECK(q.enqueue_commits() == at_claim);
  REQUIRE(q.enqueue(otp("6281300000305", "")).get().has_value());
  CHECK(q.enqueue_commits() > at_claim);
}

TEST_CASE("completion_round runs what was gathered at its end, in order, and only then") {
  std::vector<int> ran;
  {
    completion_round r;
    CHECK(completion_round::current() == &r);
    int key_a = 0, key_b = 0;
    CHECK(r.find(&key_a) == nullptr);
    auto state = std::make_shared<int>(7);
    r.add(&key_a, state, [&] { ran.push_back(1); });
    r.add(&key_b, nullptr, [&] {
      ran.push_back(2);
      throw std::runtime_error("one at-end failing does not stop the others");
    });
    r.add(&key_b, nullptr, [&] { ran.push_back(3); });
    CHECK(r.find(&key_a) == state);
    CHECK(ran.empty());
  }
  CHECK(ran == std::vector<int>{1, 2, 3});
  CHECK(completion_round::current() == nullptr);
}
