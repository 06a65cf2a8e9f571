// queue/group_commit.hpp: the queue's writer thread, with group commit in front of it and a
// syncer thread behind it. Producers on any thread call enqueue() and get a future (or
// enqueue_then() and get a callback); the writer
// takes everything waiting, commits all waiting enqueues in ONE transaction and runs posted
// operations (claim, mark_*, receipts) in order. Pipelined (the default): commits do not wait
// for the disk; the syncer fsyncs the WAL once for everything committed so far and only then
// completes the futures and callbacks of that work, while the writer is already on the next.
// A completion holding success therefore always means durable. The only threads in queue/.
// Wake-ups are per round, not per piece of work: the writer hands a round's durable work to the
// syncer at the round's end (one wake-up, one fsync for all of it), the completions of a round
// (and of one fsync) run inside one completion_round (queue/completion_round.hpp), and a
// producer or the writer wakes the other thread only if it was idle.
// At low rates two kinds of work wait for company instead of paying for a round of their own:
// lazy work (run_then_lazy: a submit result, a receipt) waits up to its delay for other work,
// and a claim may stand by for an enqueue of its carrier (run_then_after_enqueue), so that
// the enqueue, the claim and what lingered share one round, one fsync and one post back.
// A round host (set_round_host: the daemon's network thread) may run a round itself while
// the writer is idle and fsyncs are quick, saving the writer's wake-up and the post back.
#pragma once

#include "queue/store.hpp"
#include "queue/wal_sync.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <optional>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <vector>

namespace smsgw::queue {

/// What the syncer's fsyncs of the WAL took, and the commits that failed: plain numbers for
/// the daemon's metrics (queue/ knows nothing of how they are exported). Durations in
/// seconds; `buckets[i]` counts the fsyncs that took at most sync_bucket_bounds[i] and more
/// than the bound before (the last one: longer than every bound).
struct commit_stats {
  static constexpr std::array<double, 12> sync_bucket_bounds{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};
  std::array<std::uint64_t, sync_bucket_bounds.size() + 1> buckets{};
  std::uint64_t syncs = 0;          ///< fsyncs of the WAL done (failed ones included)
  double sync_seconds = 0;          ///< their total duration
  std::uint64_t sync_failures = 0;  ///< failed fsyncs (after the first, none is tried again)
  std::uint64_t enqueue_commit_failures = 0;  ///< enqueue transactions that did not commit
};

struct group_commit_options {
  /// Bounds one enqueue transaction (latency of the first caller in a big burst).
  std::size_t max_batch = 4096;
  /// true: the connection commits with synchronous=NORMAL and the syncer thread fsyncs the
  /// WAL (queue/wal_sync.hpp) before completing anything, so the fsync of one commit overlaps
  /// the next one's work. false: every COMMIT waits for its own fsync (the store as opened,
  /// synchronous=FULL by default) and completions run on the writer thread.
  /// Falls back to false if the WAL cannot be opened for syncing (see pipelined()).
  bool pipelined = true;
  /// Pipelined: when a round ends with no other work waiting and the syncer idle, the writer
  /// fsyncs it itself and runs its completions (on the writer thread): at a low rate that
  /// saves a hand-off to the syncer and its wake-up per round, and no commit could overlap
  /// that fsync anyway. Work arriving meanwhile waits for it (at most one fsync). false: the
  /// syncer always syncs (tests of the overlap).
  bool idle_writer_syncs = true;
  /// Test seam: replaces the WAL fsync when pipelined. Empty = wal_sync of the store's file.
  std::function<result<void>()> sync;
};

class group_commit {
 public:
  /// Takes the store; the writer thread is the only user of it from now on.
  explicit group_commit(store s, group_commit_options opts = {});
  /// stop(): what was submitted before is still executed and completed; then both threads
  /// are joined.
  ~group_commit();
  group_commit(group_commit const&) = delete;
  group_commit& operator=(group_commit const&) = delete;

  /// Queues `req`; the future becomes ready once the commit that stored it is durable (or
  /// with the error). After stop(): ready at once with errc::stopped.
  std::future<result<enqueue_outcome>> enqueue(enqueue_request req);

  /// Callback form of enqueue(): `done` (not empty; it must not throw) gets the outcome once
  /// the commit that stored `req` is durable, or the error (io_error if that fsync failed),
  /// on the syncer thread in submission order like run_then() (on the writer thread when not
  /// pipelined). Enqueues waiting together, whichever form, share one transaction. Returns
  /// false after stop(): `done` is not called.
  bool enqueue_then(enqueue_request req, std::function<void(result<enqueue_outcome>)> done);

  /// Many enqueues committed together in ONE transaction of their own (store::enqueue_batch),
  /// however many: `done` gets a result per request (an invalid one fails alone) once that
  /// commit is durable, or the error that stored none of them; on the syncer thread like
  /// enqueue_then(). Returns false after stop(): `done` is not called.
  bool enqueue_batch_then(std::vector<enqueue_request> reqs,
                          std::function<void(result<std::vector<result<enqueue_outcome>>>)> done);

  /// Runs `f(store&)` on the writer thread after everything submitted before it. The future
  /// becomes ready once everything committed up to then is durable. If that fsync failed it
  /// holds R(io_error) when R can be made from an error, else a std::runtime_error. Refused
  /// after stop(): the future is broken (std::future_error, broken_promise).
  template <class F>
  auto run(F f) -> std::future<std::invoke_result_t<F&, store&>>;

  /// (Completions said to run "on the syncer thread" run on the writer thread instead for a
  /// round the idle writer synced itself, see idle_writer_syncs, and those said to run on the
  /// writer thread run on the round host's for a round it ran, see set_round_host: a
  /// completion must never wait for later queue work.)
  /// Runs `f(store&)` on the writer thread, then `then(R)` on the syncer thread (in
  /// submission order) once everything committed up to then is durable; `then` gets
  /// R(io_error) instead if that fsync failed, R(internal) if `f` threw. R must be
  /// constructible from queue::error (a result<T>). Returns false after stop(): neither runs.
  template <class F, class Then>
  bool run_then(F f, Then then) { return run_then(std::move(f), std::move(then), true); }

  /// run_then() for work whose result needs no durability (a claim: if it is lost in a
  /// crash, the message is simply still queued): `then` runs on the writer thread at the end
  /// of `f`'s round (with the round's other such completions, in one completion_round),
  /// without waiting for an fsync. Anything that must survive a crash (the
  /// sending mark, a submit result) is acknowledged only through run_then().
  template <class F, class Then>
  bool run_then_unsynced(F f, Then then);

  /// run_then() (needs_sync) or run_then_unsynced() for work nothing waits for urgently (a
  /// submit result, a receipt whose deliver_sm_resp may wait a few milliseconds): posting it
  /// wakes nobody; it runs in the writer's next round, started by other (eager) work, by
  /// kick(), or by stop(). At a low rate it so shares the round, the fsync and the post back
  /// of the next enqueue instead of paying for its own; under load there is always other work.
  /// The caller bounds the wait: it calls kick() when it has waited long enough (a timer on
  /// its own thread: no thread is woken for the wait itself). Order is kept: it runs in its
  /// round in submission order.
  template <class F, class Then>
  bool run_then_lazy(F f, Then then, bool needs_sync);

  /// Starts a round for lazy work waiting (if any and none is about to start anyway).
  void kick();

  /// A claim standing by for an enqueue: `f(store&)` runs on the writer thread in the round
  /// that next commits an enqueue (enqueue()/enqueue_then(), not a batch) accepted for
  /// `carrier` (enqueue_request::carrier), right after that round's other work, and
  /// `then(R)` runs like run_then()'s once that round is durable: the enqueue's answer and
  /// the claim's arrive together, after one fsync. At most it runs once. Returns an id for
  /// withdraw(); 0 after stop() (neither runs). One not run by stop() never runs.
  template <class F, class Then>
  std::uint64_t run_then_after_enqueue(std::string carrier, F f, Then then);

  /// Withdraws a run_then_after_enqueue() task that has not started: true (neither `f` nor
  /// `then` runs), also for one that stop() dropped unrun. false: it has run or is running
  /// (its `then` comes) or the id is unknown.
  bool withdraw(std::uint64_t id);

  /// The run_then_after_enqueue() tasks standing by for `carrier` now (any thread).
  std::size_t standing_for(std::string_view carrier) const;

  /// Stops accepting work, finishes and completes what was submitted, joins. Later calls get
  /// errc::stopped.
  void stop();

  /// `hook` is called each time commits became durable: after an fsync of the WAL that
  /// covered new commits (syncer thread; with `normal` sync, or not pipelined, after each
  /// round of work that committed, on the writer thread), inside the completion_round of the
  /// completions that work released, before them. It must be quick, not throw, and not call this object (the daemon posts a wake-up of its
  /// event streams). Replaces the previous hook; once set_durable_hook({}) returned, no call
  /// of the old one is running or will run.
  void set_durable_hook(std::function<void()> hook);

  /// When set_round_host's host may take a round (every limit must hold).
  struct round_host_limits {
    /// The last fsync took at most this long: the host's thread is blocked for the round's.
    std::chrono::microseconds max_sync{2000};
    /// No round had more than kBurstItems pieces for at least this long: big rounds are a
    /// flood's (at 1,000 msg/s they hold a few pieces), and a flood's short pauses are not
    /// low rates; a hosted round's fsync would stall the thread its clients wait on.
    std::chrono::microseconds burst_quiet{100'000};
  };

  /// Lets the caller's thread run rounds instead of the writer at low rates. When eager work
  /// (or kick()) would wake an idle writer, `schedule(fn)` is called instead: it must arrange
  /// for fn() to run soon on the host's thread (the daemon posts it to its network thread,
  /// which wakes nobody when the work came from that thread). fn() runs the round there with
  /// everything waiting by then (other requests of the same turn included), fsyncs it if the
  /// syncer is idle, and runs its completions there; what is posted while it runs goes to the
  /// writer afterwards, so under load the writer runs the rounds and the host stays free.
  /// The host's thread is blocked for the round and its fsync: rounds are hosted only while
  /// the syncer is idle, no checkpoint is due, the round has at most kMaxHostedItems pieces
  /// (else the writer is woken for it), and `limits` hold. If fn is destroyed unrun, or
  /// stop() comes first, the writer takes the work. Empty `schedule`: the writer runs every
  /// round (the default). What `schedule` was given must be run or destroyed before this
  /// object is destroyed.
  void set_round_host(std::function<void(std::function<void()>)> schedule,
                      round_host_limits limits);

  /// Checkpoints of the WAL into the database file so far: the writer's, after a round that
  /// left the WAL at kWalCheckpointFrames frames or more (never inside a round: its answers
  /// do not wait for one, and never on the round host's thread).
  std::uint64_t checkpoints() const noexcept {
    return checkpoints_.load(std::memory_order_relaxed);
  }
  /// SQLite's own automatic checkpoint threshold, which this replaces.
  static constexpr int kWalCheckpointFrames = 1000;
  /// A round host runs a round of at most this many pieces of work; a bigger one (a burst)
  /// goes to the writer.
  static constexpr std::size_t kMaxHostedItems = 8;
  /// A round of more than this many pieces is a burst (round_host_limits::burst_quiet).
  static constexpr std::size_t kBurstItems = 32;

  /// Rounds run by the round host so far (set_round_host).
  std::uint64_t hosted_rounds() const noexcept {
    return hosted_rounds_.load(std::memory_order_relaxed);
  }

  /// Rounds run so far, by the writer or the round host.
  std::uint64_t rounds() const noexcept { return rounds_.load(std::memory_order_relaxed); }

  /// Counts the enqueue commits tried so far (single or batch, committed or not). Read in a
  /// round's work (on its thread), it includes that round's enqueues, which run before any
  /// standing claim. If it has not moved since a standing claim read it, nothing was
  /// enqueued after that claim ran: a claim that came back short has still taken everything
  /// claimable (dispatcher_source relies on this to skip a claim that would find nothing).
  std::uint64_t enqueue_commits() const noexcept {
    return enqueue_commits_.load(std::memory_order_acquire);
  }

  /// Whether commits are pipelined (the option, unless the WAL could not be opened).
  bool pipelined() const noexcept { return pipelined_; }

  /// fsync durations and commit failures so far (any thread; each field read atomically).
  /// Not pipelined: no fsync of ours to time (each COMMIT syncs inside SQLite), syncs = 0.
  commit_stats stats() const noexcept;

 private:
  /// Completes one piece of work: nullptr = durable; else the failure of the sync.
  using completion = std::function<void(error const*)>;
  using enqueue_done = std::function<void(result<enqueue_outcome>)>;
  using clock = std::chrono::steady_clock;
  struct item {
    enqueue_request req;                     // enqueue: the request
    enqueue_done done;                       // enqueue: its completion
    std::function<completion(store&)> task;  // or else: a posted operation and its completion
    bool needs_sync = true;                  // false: completed without waiting for an fsync
    bool lazy = false;                       // run_then_lazy: wakes nobody
  };
  struct standing_task {
    std::uint64_t id;
    std::string carrier;
    std::function<completion(store&)> task;
  };
  bool post(item it);
  bool post_task(std::function<completion(store&)> task, bool needs_sync = true,
                 bool lazy = false);
  template <class F, class Then>
  static std::function<completion(store&)> make_task(F f, Then then);
  template <class F, class Then>
  bool run_then(F f, Then then, bool needs_sync);
  /// Writer thread, `mutex_` held: waits until a round should start (eager work, kick(),
  /// or stop()).
  void wait_for_round(std::unique_lock<std::mutex>& lock);
  /// `mutex_` held, a round is wanted (eager work or a kick came to an idle writer): whether
  /// the round host takes it (then host_ is `scheduled`; call schedule_hosted() unlocked).
  bool host_takes_round_locked();
  void schedule_hosted();
  /// The round host's round (the function set_round_host's schedule gets).
  void run_hosted_round();
  /// One round taken from waiting_: run, committed, completed or handed to the syncer.
  void round(std::vector<item>& work, std::vector<completion>& unsynced);
  /// At the round's end: the standing claims of the carriers whose enqueues it committed.
  void run_standing(std::vector<item>& batch);
  /// One round's work in ONE transaction (each store call a savepoint of it).
  void run_round(std::vector<item>& work, std::vector<completion>& unsynced);
  void writer_loop();
  void commit_enqueues(std::vector<item>& batch);
  /// After durable work on the writer: kept until the round ends (round_synced_).
  void finish(completion c);
  /// At the round's end: the round's durable work to the syncer, with one wake-up.
  void hand_to_syncer();
  void syncer_loop();
  void record_sync(std::chrono::steady_clock::duration took, bool ok);
  static std::runtime_error sync_exception(error const& e);

  store store_;
  std::size_t max_batch_;
  bool pipelined_;
  bool idle_writer_syncs_;
  std::optional<wal_sync> wal_;
  std::function<result<void>()> sync_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<item> waiting_;  // guarded by mutex_
  bool stopping_ = false;      // guarded by mutex_
  std::size_t eager_waiting_ = 0;  // guarded by mutex_: items of waiting_ that are not lazy
  bool kicked_ = false;            // guarded by mutex_: kick() asked for a round
  std::vector<standing_task> standing_;  // guarded by mutex_
  // The ids of the standing tasks stop() dropped unrun (their functions are destroyed: they
  // may hold the caller's executor work): withdraw() answers true for them.
  std::vector<std::uint64_t> dropped_standing_;  // guarded by mutex_
  std::uint64_t next_standing_id_ = 1;   // guarded by mutex_
  // Whoever runs the round (the writer, or the round host while host_ is running):
  std::vector<std::string> round_carriers_;  // the carriers this round enqueued for
  bool round_enqueued_ = false;  // the round has enqueues (single or batch)
  std::uint64_t round_enqueue_failures_ = 0;  // its enqueue batches that failed on their own

  enum class host_state { none, scheduled, running };
  std::function<void(std::function<void()>)> host_schedule_;  // guarded by mutex_
  round_host_limits host_limits_;                             // guarded by mutex_
  // guarded by mutex_: when the last round of more than kBurstItems pieces started, if any
  std::optional<std::chrono::steady_clock::time_point> last_burst_;
  host_state host_ = host_state::none;                        // guarded by mutex_
  bool writer_busy_ = false;  // guarded by mutex_: the writer took work and is not waiting
  std::atomic<std::int64_t> last_sync_ns_{0};
  int wal_frames_ = 0;          // the round's thread: the WAL's frames after the last commit
  bool checkpoint_due_ = false;  // guarded by mutex_: a hosted round left the WAL long
  std::atomic<std::uint64_t> checkpoints_{0};
  /// sqlite3_wal_hook: notes the WAL's length after each commit (no checkpoint there).
  static int on_wal_commit(void* self, struct sqlite3*, char const*, int frames);
  /// The writer thread: copies the WAL into the database file (PASSIVE: nothing waits).
  void checkpoint();
  std::atomic<std::uint64_t> hosted_rounds_{0};
  std::atomic<std::uint64_t> rounds_{0};
  std::atomic<std::uint64_t> enqueue_commits_{0};  // bumped before the store is written

  struct synced_work {
    std::uint64_t commits;  // store_.commits() after the work
    completion done;
  };
  std::mutex sync_mutex_;
  std::condition_variable sync_wake_;
  std::vector<synced_work> to_sync_;   // guarded by sync_mutex_
  bool writer_done_ = false;           // guarded by sync_mutex_
  bool syncing_ = false;               // guarded by sync_mutex_: sync_and_complete() running
  // Used by whoever runs sync_and_complete() (syncing_ makes that one thread at a time).
  std::uint64_t synced_commits_ = 0;
  std::optional<error> sync_failed_;   // once set, every completion fails
  std::vector<synced_work> round_synced_;  // whoever runs the round: its durable work
  /// One fsync for `work` (unless already covered), then its completions, in one
  /// completion_round; empties `work`. The syncer's, or the writer's for a round it syncs
  /// itself.
  void sync_and_complete(std::vector<synced_work>& work);

  // commit_stats, written by the writer (commit failures) and the syncer (fsyncs).
  std::array<std::atomic<std::uint64_t>, commit_stats::sync_bucket_bounds.size() + 1> sync_buckets_{};
  std::atomic<std::uint64_t> syncs_{0}, sync_nanoseconds_{0}, sync_failures_{0};
  std::atomic<std::uint64_t> enqueue_commit_failures_{0};

  std::mutex hook_mutex_;
  std::function<void()> durable_hook_;  // guarded by hook_mutex_
  void call_durable_hook();

  std::thread syncer_;  // last: started after everything above exists
  std::thread writer_;
};

template <class F>
auto group_commit::run(F f) -> std::future<std::invoke_result_t<F&, store&>> {
  using R = std::invoke_result_t<F&, store&>;
  auto promise = std::make_shared<std::promise<R>>();
  auto fut = promise->get_future();
  post_task([f = std::move(f), promise](store& s) mutable -> completion {
    try {
      if constexpr (std::is_void_v<R>) {
        f(s);
        return [promise](error const* e) {
          if (e) promise->set_exception(std::make_exception_ptr(sync_exception(*e)));
          else promise->set_value();
        };
      } else {
        auto value = std::make_shared<R>(f(s));
        return [promise, value](error const* e) {
          if (e == nullptr) promise->set_value(std::move(*value));
          else if constexpr (std::is_constructible_v<R, error>) promise->set_value(R(*e));
          else promise->set_exception(std::make_exception_ptr(sync_exception(*e)));
        };
      }
    } catch (...) {
      return [promise, ex = std::current_exception()](error const*) { promise->set_exception(ex); };
    }
  });
  return fut;
}

template <class F, class Then>
bool group_commit::run_then_unsynced(F f, Then then) {
  return run_then(std::move(f), std::move(then), false);
}

template <class F, class Then>
bool group_commit::run_then(F f, Then then, bool needs_sync) {
  return post_task(make_task(std::move(f), std::move(then)), needs_sync);
}

template <class F, class Then>
bool group_commit::run_then_lazy(F f, Then then, bool needs_sync) {
  return post_task(make_task(std::move(f), std::move(then)), needs_sync, true);
}

template <class F, class Then>
std::uint64_t group_commit::run_then_after_enqueue(std::string carrier, F f, Then then) {
  auto task = make_task(std::move(f), std::move(then));
  std::lock_guard lock(mutex_);
  if (stopping_) return 0;
  auto const id = next_standing_id_++;
  standing_.push_back({id, std::move(carrier), std::move(task)});
  return id;
}

template <class F, class Then>
std::function<group_commit::completion(store&)> group_commit::make_task(F f, Then then) {
  using R = std::invoke_result_t<F&, store&>;
  static_assert(std::is_constructible_v<R, error>, "run_then: R must be a result<T>");
  return [f = std::move(f), then = std::move(then)](store& s) mutable {
    std::shared_ptr<R> value;
    try {
      value = std::make_shared<R>(f(s));
    } catch (std::exception const& ex) {
      value = std::make_shared<R>(error{errc::internal, ex.what()});
    } catch (...) {
      value = std::make_shared<R>(error{errc::internal, "run_then: unknown exception"});
    }
    return completion([value, then](error const* e) mutable {
      then(e ? R(*e) : std::move(*value));
    });
  };
}

}  // namespace smsgw::queue
