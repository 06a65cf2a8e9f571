// queue/group_commit.cpp: the writer loop, the syncer loop and hosted rounds. Invariants: only
// the thread running the round (the writer, or the round host while host_ is running: never
// both) touches store_; items run in submission order; consecutive enqueues (up to
// max_batch) share a transaction. Every completion runs after the commit of its work and, when
// pipelined, after an fsync of the WAL that began after that commit (the syncer compares
// store_.commits() recorded with the work against what it has synced); completions run in
// submission order. If a commit fails, every enqueue in that batch gets the error: none was
// acknowledged. If an fsync fails, that completion and every later one get io_error: after a
// failed write-back Linux may have dropped the dirty pages, so nothing is acknowledged again
// (restart the process; the file is consistent, SQLite's recovery decides what survived).
// Each round is one transaction (store calls inside it are savepoints); a round whose COMMIT
// fails completes all of its work with that error. A round starts when eager work waits (anything not posted lazily), when the oldest lazy
// item's delay is over, or at stop(); claims standing by for an enqueue run at the end of the
// round that committed one for their carrier, inside that round's fsync.
#include "queue/group_commit.hpp"

#include "queue/completion_round.hpp"
#include "queue/sqlite.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>
#include <utility>

namespace smsgw::queue {

group_commit::group_commit(store s, group_commit_options opts)
    : store_(std::move(s)), max_batch_(opts.max_batch == 0 ? 1 : opts.max_batch),
      pipelined_(opts.pipelined), idle_writer_syncs_(opts.idle_writer_syncs),
      sync_(std::move(opts.sync)) {
  if (pipelined_ && !sync_) {
    auto w = wal_sync::open(store_.database().path());
    if (w) {
      wal_.emplace(std::move(*w));
      sync_ = [this] { return wal_->sync(); };
    } else {
      pipelined_ = false;  // e.g. not in WAL mode: every COMMIT keeps its own fsync
    }
  }
  // Checkpoints move out of COMMIT (where SQLite runs them every 1,000 WAL frames, making
  // that round's answers wait for a copy of the WAL and two fsyncs) to the writer, after the
  // round's completions.
  sqlite3_wal_hook(store_.database().handle(), &group_commit::on_wal_commit, this);
  if (pipelined_) {
    // What was committed so far (migrations, recovery) had its own fsync.
    synced_commits_ = store_.commits();
    store_.database().exec("PRAGMA synchronous=NORMAL");  // the syncer fsyncs instead
    syncer_ = std::thread([this] { syncer_loop(); });
  }
  writer_ = std::thread([this] { writer_loop(); });
}

group_commit::~group_commit() { stop(); }

void group_commit::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
  {
    std::lock_guard lock(sync_mutex_);
    writer_done_ = true;
  }
  sync_wake_.notify_one();
  if (syncer_.joinable()) syncer_.join();
}

std::runtime_error group_commit::sync_exception(error const& e) {
  return std::runtime_error(e.message);
}

std::future<result<enqueue_outcome>> group_commit::enqueue(enqueue_request req) {
  auto promise = std::make_shared<std::promise<result<enqueue_outcome>>>();
  auto fut = promise->get_future();
  if (!enqueue_then(std::move(req), [promise](result<enqueue_outcome> r) {
        promise->set_value(std::move(r));
      })) {
    promise->set_value(error{errc::stopped, "enqueue: the queue writer is stopped"});
  }
  return fut;
}

bool group_commit::enqueue_then(enqueue_request req, enqueue_done done) {
  if (!done) throw std::invalid_argument("group_commit::enqueue_then: no callback");
  return post(item{std::move(req), std::move(done), {}});
}

bool group_commit::enqueue_batch_then(
    std::vector<enqueue_request> reqs,
    std::function<void(result<std::vector<result<enqueue_outcome>>>)> done) {
  if (!done) throw std::invalid_argument("group_commit::enqueue_batch_then: no callback");
  return run_then(
      [this, reqs = std::move(reqs)](store& s) {  // (on the round's thread, in its round)
        enqueue_commits_.fetch_add(1, std::memory_order_release);
        auto r = s.enqueue_batch(reqs);
        round_enqueued_ = true;
        if (!r) ++round_enqueue_failures_;
        return r;
      },
      std::move(done));
}

bool group_commit::post_task(std::function<completion(store&)> task, bool needs_sync,
                             bool lazy) {
  item it;
  it.task = std::move(task);
  it.needs_sync = needs_sync;
  it.lazy = lazy;
  return post(std::move(it));
}

bool group_commit::post(item it) {
  bool accepted = false, wake = false, host = false;
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      // Lazy work wakes nobody: it goes with the next round, or when kick() is called. The
      // first eager work starts a round: the round host's (if it takes it) or the writer's.
      // Eager work already waiting: that round is coming (a running hosted round hands what
      // came meanwhile to the writer when it ends).
      if (!it.lazy && eager_waiting_++ == 0 && host_ == host_state::none) {
        host = host_takes_round_locked();
        wake = !host;
      }
      waiting_.push_back(std::move(it));
      accepted = true;
    }
  }
  if (accepted) {
    if (host) schedule_hosted();
    else if (wake) wake_.notify_one();
    return true;
  }
  // Refused after stop(): destroyed unrun, the caller is told (false). A task's future, if
  // any, gets broken_promise; enqueue() completes its own with errc::stopped.
  return false;
}

bool group_commit::host_takes_round_locked() {
  // (A checkpoint due: the writer is about to run it, and the rounds are its until then.)
  if (!host_schedule_ || writer_busy_ || stopping_ || checkpoint_due_ ||
      last_sync_ns_.load(std::memory_order_relaxed) >
          std::chrono::nanoseconds(host_limits_.max_sync).count())
    return false;
  // A big round lately (a flood): the writer keeps the rounds, the host's thread serves the
  // network.
  if (last_burst_ && std::chrono::steady_clock::now() - *last_burst_ < host_limits_.burst_quiet)
    return false;
  {
    // The syncer busy means rounds are coming faster than fsyncs (a flood): the writer
    // overlaps them, and the host's thread stays free for the network.
    std::lock_guard sync_lock(sync_mutex_);  // (mutex_ before sync_mutex_, as elsewhere)
    if (syncing_ || !to_sync_.empty()) return false;
  }
  host_ = host_state::scheduled;
  return true;
}

void group_commit::set_round_host(std::function<void(std::function<void()>)> schedule,
                                  round_host_limits limits) {
  std::lock_guard lock(mutex_);
  host_schedule_ = std::move(schedule);
  host_limits_ = limits;
}

void group_commit::schedule_hosted() {
  // Run, or handed back to the writer if the host destroys it unrun (its loop stopped).
  struct ticket {
    explicit ticket(group_commit* g) : gc(g) {}
    ticket(ticket const&) = delete;
    ticket& operator=(ticket const&) = delete;
    group_commit* gc;
    bool ran = false;
    ~ticket() {
      if (ran) return;
      bool wake = false;
      {
        std::lock_guard lock(gc->mutex_);
        if (gc->host_ == host_state::scheduled) {
          gc->host_ = host_state::none;  // eager work or a kick waits: the writer's now
          wake = !gc->waiting_.empty();
        }
      }
      if (wake) gc->wake_.notify_one();
    }
  };
  std::function<void(std::function<void()>)> schedule;
  {
    std::lock_guard lock(mutex_);
    schedule = host_schedule_;
  }
  auto t = std::make_shared<ticket>(this);
  schedule([t] {
    t->ran = true;
    t->gc->run_hosted_round();
  });
}

void group_commit::run_hosted_round() {
  std::vector<item> work;
  std::vector<completion> unsynced;
  bool to_writer = false;
  {
    std::lock_guard lock(mutex_);
    if (host_ != host_state::scheduled) return;  // stop() gave it to the writer
    host_ = host_state::none;
    if (waiting_.empty()) return;
    if (waiting_.size() > kMaxHostedItems) {
      // A burst came in the host's turn (a flood): the writer takes it, so that the host's
      // thread, the one the network waits on, does not do the queue's work as well.
      to_writer = true;
      if (waiting_.size() > kBurstItems) last_burst_ = std::chrono::steady_clock::now();
    } else {
      host_ = host_state::running;
      work.swap(waiting_);
      eager_waiting_ = 0;
      kicked_ = false;
    }
  }
  if (to_writer) {
    wake_.notify_one();
    return;
  }
  hosted_rounds_.fetch_add(1, std::memory_order_relaxed);
  round(work, unsynced);
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    host_ = host_state::none;
    if (wal_frames_ >= kWalCheckpointFrames) checkpoint_due_ = true;  // the writer's job
    // What came meanwhile goes to the writer: a busy host is the sign of load.
    wake = stopping_ || eager_waiting_ > 0 || (kicked_ && !waiting_.empty()) || checkpoint_due_;
  }
  if (wake) wake_.notify_one();
}

bool group_commit::withdraw(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(standing_.begin(), standing_.end(),
                         [id](standing_task const& t) { return t.id == id; });
  if (it != standing_.end()) {
    standing_.erase(it);
    return true;
  }
  auto dropped = std::find(dropped_standing_.begin(), dropped_standing_.end(), id);
  if (dropped == dropped_standing_.end()) return false;
  dropped_standing_.erase(dropped);
  return true;
}

std::size_t group_commit::standing_for(std::string_view carrier) const {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(std::count_if(
      standing_.begin(), standing_.end(),
      [carrier](standing_task const& t) { return t.carrier == carrier; }));
}

void group_commit::kick() {
  bool host = false;
  {
    std::lock_guard lock(mutex_);
    if (waiting_.empty() || eager_waiting_ > 0 || kicked_) return;  // nothing to hurry
    kicked_ = true;
    if (host_ != host_state::none) return;  // a hosted round takes it, or hands it on
    host = host_takes_round_locked();
  }
  if (host) schedule_hosted();
  else wake_.notify_one();
}

void group_commit::wait_for_round(std::unique_lock<std::mutex>& lock) {
  writer_busy_ = false;
  // Only lazy work waiting: it waits for company (eager work) or a kick(). A round the host
  // runs is waited for; one scheduled for it is the writer's only at stop().
  wake_.wait(lock, [&] {
    return host_ != host_state::running &&
           (stopping_ || (host_ == host_state::none &&
                          (eager_waiting_ > 0 || (kicked_ && !waiting_.empty()) ||
                           checkpoint_due_)));
  });
  host_ = host_state::none;  // stopping: a hosted round not started yet is the writer's
  writer_busy_ = true;
}

void group_commit::run_standing(std::vector<item>& batch) {
  commit_enqueues(batch);
  if (round_carriers_.empty()) return;
  std::vector<standing_task> due;
  {
    std::lock_guard lock(mutex_);
    for (auto it = standing_.begin(); it != standing_.end();) {
      if (std::find(round_carriers_.begin(), round_carriers_.end(), it->carrier) !=
          round_carriers_.end()) {
        due.push_back(std::move(*it));
        it = standing_.erase(it);
      } else {
        ++it;
      }
    }
  }
  round_carriers_.clear();
  for (auto& t : due) finish(t.task(store_));  // durable with the enqueues: one fsync
}

void group_commit::writer_loop() {
  std::vector<item> work;
  std::vector<completion> unsynced;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wait_for_round(lock);
      if (checkpoint_due_ && !stopping_ && eager_waiting_ == 0) {
        checkpoint_due_ = false;
        lock.unlock();
        checkpoint();
        continue;
      }
      if (waiting_.empty()) {  // stopping, and everything before it is done
        // Never run: their carriers get no more enqueues. Their callers may still withdraw.
        for (auto const& t : standing_) dropped_standing_.push_back(t.id);
        standing_.clear();
        return;
      }
      work.swap(waiting_);
      eager_waiting_ = 0;
      kicked_ = false;
      checkpoint_due_ = false;  // a due checkpoint runs after this round (wal_frames_)
      if (work.size() > kBurstItems) last_burst_ = std::chrono::steady_clock::now();
    }
    round(work, unsynced);
    if (wal_frames_ >= kWalCheckpointFrames) checkpoint();  // after the round's answers
  }
}

int group_commit::on_wal_commit(void* self, sqlite3*, char const*, int frames) {
  static_cast<group_commit*>(self)->wal_frames_ = frames;
  return SQLITE_OK;
}

void group_commit::checkpoint() {
  // PASSIVE, as SQLite's automatic one: this connection is the file's only one (exclusive
  // locking), so it copies every frame and the next commit starts the WAL over. A failure
  // (I/O) leaves the WAL as it is: the next round's end tries again, and nothing committed
  // depends on it.
  int log = 0, copied = 0;
  int const rc = sqlite3_wal_checkpoint_v2(store_.database().handle(), nullptr,
                                           SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  if (rc == SQLITE_OK) {
    wal_frames_ = 0;
    checkpoints_.fetch_add(1, std::memory_order_relaxed);
  }
}

void group_commit::round(std::vector<item>& work, std::vector<completion>& unsynced) {
  auto const commits_before = store_.commits();
  run_round(work, unsynced);
  work.clear();
  // Not pipelined: each COMMIT was durable when it returned (or synchronous=NORMAL: never
  // waited for), so the round's commits are as durable as they will be.
  bool const durable = !pipelined_ && store_.commits() != commits_before;
  // The completions that need no fsync (and, not pipelined, all of them) run together: what
  // they post to another thread goes as one post (completion_round). First: a round synced
  // by whoever ran it (below) must not hold them back.
  if (durable || !unsynced.empty() || (!pipelined_ && !round_synced_.empty())) {
    completion_round round;
    if (durable) call_durable_hook();
    if (!pipelined_) {
      for (auto& s : round_synced_) s.done(nullptr);
      round_synced_.clear();
    }
    for (auto& c : unsynced) c(nullptr);
  }
  unsynced.clear();
  hand_to_syncer();  // the round's durable work: one fsync covers all of it
  round_synced_.clear();
}

void group_commit::run_round(std::vector<item>& work, std::vector<completion>& unsynced) {
  rounds_.fetch_add(1, std::memory_order_relaxed);
  // One transaction for the whole round: every store call inside is a savepoint of it (still
  // all-or-nothing on its own), and the pages the round's work shares (a message enqueued,
  // claimed and marked in it, the newest history page, index pages) go to the WAL once.
  std::optional<sqlite::transaction> tx;
  try {
    tx.emplace(store_.database());
  } catch (sqlite::error const&) {
    // No write transaction now (a read-only file, a full disk): each piece of work on its
    // own, as its store call decides (reads still answer; writes give their own error).
  }
  auto const first_synced = round_synced_.size(), first_unsynced = unsynced.size();
  std::vector<item> batch;
  round_enqueued_ = false;
  round_enqueue_failures_ = 0;
  for (auto& it : work) {
    if (!it.task) {  // an enqueue
      batch.push_back(std::move(it));
      if (batch.size() >= max_batch_) commit_enqueues(batch);
    } else {
      commit_enqueues(batch);  // keep order: earlier enqueues commit before the task runs
      auto done = it.task(store_);
      if (it.needs_sync) finish(std::move(done));
      else unsynced.push_back(std::move(done));  // run_then_unsynced: nothing waits for the disk
    }
  }
  run_standing(batch);  // the round's last enqueues, then the claims standing by for them
  if (!tx) {  // each enqueue batch was a transaction of its own
    enqueue_commit_failures_.fetch_add(round_enqueue_failures_, std::memory_order_relaxed);
    return;
  }
  std::optional<error> failed;
  try {
    tx->commit();
  } catch (sqlite::error const& e) {
    failed = from_sqlite(e, "commit of the writer's round");
  }
  tx.reset();  // a failed COMMIT: rolled back here (unless SQLite already did)
  // The round was the enqueues' transaction: it counts once, however many of them failed.
  if (round_enqueue_failures_ > 0 || (failed && round_enqueued_))
    enqueue_commit_failures_.fetch_add(1, std::memory_order_relaxed);
  if (failed) {
    // Nothing of the round was kept, whatever its calls returned: every completion of it
    // (a claim too: its messages are still queued) gets the error.
    auto fail_with = [err = *failed](completion& c) {
      c = [err, inner = std::move(c)](error const*) { inner(&err); };
    };
    for (auto i = first_synced; i < round_synced_.size(); ++i) fail_with(round_synced_[i].done);
    for (auto i = first_unsynced; i < unsynced.size(); ++i) fail_with(unsynced[i]);
    return;
  }
  // The round's commit is the one its durable work waits for.
  for (auto i = first_synced; i < round_synced_.size(); ++i)
    round_synced_[i].commits = store_.commits();
}

void group_commit::set_durable_hook(std::function<void()> hook) {
  std::lock_guard lock(hook_mutex_);
  durable_hook_ = std::move(hook);
}

void group_commit::call_durable_hook() {
  std::lock_guard lock(hook_mutex_);
  if (durable_hook_) durable_hook_();
}

void group_commit::commit_enqueues(std::vector<item>& batch) {
  if (batch.empty()) return;
  std::vector<enqueue_request> reqs;
  reqs.reserve(batch.size());
  auto done = std::make_shared<std::vector<enqueue_done>>();
  done->reserve(batch.size());
  for (auto& it : batch) {
    reqs.push_back(std::move(it.req));
    done->push_back(std::move(it.done));
  }
  batch.clear();
  enqueue_commits_.fetch_add(1, std::memory_order_release);
  auto results = std::make_shared<result<std::vector<result<enqueue_outcome>>>>(
      store_.enqueue_batch(reqs));
  round_enqueued_ = true;
  if (!*results) {
    ++round_enqueue_failures_;
  } else {
    for (std::size_t i = 0; i < reqs.size(); ++i) {
      auto const& r = (**results)[i];
      if (r && r->what == enqueue_outcome::kind::accepted &&
          std::find(round_carriers_.begin(), round_carriers_.end(), reqs[i].carrier) ==
              round_carriers_.end()) {
        round_carriers_.push_back(reqs[i].carrier);
      }
    }
  }
  finish([done, results](error const* sync_error) {
    for (std::size_t i = 0; i < done->size(); ++i) {
      if (sync_error) (*done)[i](*sync_error);
      else if (*results) (*done)[i](std::move((**results)[i]));
      else (*done)[i](results->error());
    }
  });
}

void group_commit::finish(completion c) {
  // Kept until the round ends (the round's thread only): handed to the syncer in one go, or, not
  // pipelined, run with the round's other completions.
  round_synced_.push_back({store_.commits(), std::move(c)});
}

void group_commit::hand_to_syncer() {
  if (!pipelined_ || round_synced_.empty()) return;
  if (idle_writer_syncs_) {
    // Nothing else for the writer to do and the syncer idle: the writer syncs this round
    // itself (no hand-off, no wake-up of another thread: a low rate's usual case). With work
    // waiting, the syncer takes it so the next round overlaps the fsync.
    std::unique_lock lock(mutex_);
    bool const more_work = eager_waiting_ > 0 || stopping_;
    lock.unlock();
    std::unique_lock sync_lock(sync_mutex_);
    if (!more_work && to_sync_.empty() && !syncing_) {
      syncing_ = true;  // the syncer stays away (it only runs on what we hand it anyway)
      sync_lock.unlock();
      sync_and_complete(round_synced_);
      sync_lock.lock();
      syncing_ = false;
      return;
    }
  }
  bool was_idle = false;
  {
    std::lock_guard lock(sync_mutex_);
    was_idle = to_sync_.empty();
    for (auto& w : round_synced_) to_sync_.push_back(std::move(w));
  }
  round_synced_.clear();
  // A syncer with work already waiting was woken for it and takes these too.
  if (was_idle) sync_wake_.notify_one();
}

void group_commit::record_sync(std::chrono::steady_clock::duration took, bool ok) {
  auto const ns = std::chrono::duration_cast<std::chrono::nanoseconds>(took).count();
  double const seconds = static_cast<double>(ns) / 1e9;
  auto const& bounds = commit_stats::sync_bucket_bounds;
  auto const bucket = static_cast<std::size_t>(
      std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin());
  sync_buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sync_nanoseconds_.fetch_add(static_cast<std::uint64_t>(std::max<std::int64_t>(ns, 0)),
                              std::memory_order_relaxed);
  if (!ok) sync_failures_.fetch_add(1, std::memory_order_relaxed);
  last_sync_ns_.store(ok ? ns : std::numeric_limits<std::int64_t>::max(),
                      std::memory_order_relaxed);
  syncs_.fetch_add(1, std::memory_order_relaxed);
}

commit_stats group_commit::stats() const noexcept {
  commit_stats s;
  for (std::size_t i = 0; i < s.buckets.size(); ++i)
    s.buckets[i] = sync_buckets_[i].load(std::memory_order_relaxed);
  s.syncs = syncs_.load(std::memory_order_relaxed);
  s.sync_seconds = static_cast<double>(sync_nanoseconds_.load(std::memory_order_relaxed)) / 1e9;
  s.sync_failures = sync_failures_.load(std::memory_order_relaxed);
  s.enqueue_commit_failures = enqueue_commit_failures_.load(std::memory_order_relaxed);
  return s;
}

void group_commit::syncer_loop() {
  std::vector<synced_work> work;
  for (;;) {
    {
      std::unique_lock lock(sync_mutex_);
      sync_wake_.wait(lock, [&] { return writer_done_ || !to_sync_.empty(); });
      if (to_sync_.empty()) return;  // the writer is done and everything is completed
      work.swap(to_sync_);
      syncing_ = true;
    }
    sync_and_complete(work);
    {
      std::lock_guard lock(sync_mutex_);
      syncing_ = false;
    }
  }
}

void group_commit::sync_and_complete(std::vector<synced_work>& work) {
  // One fsync covers every commit made before it starts: the newest count recorded.
  std::uint64_t const newest = work.back().commits;
  bool durable = false;
  if (!sync_failed_ && newest > synced_commits_) {
    auto const started = std::chrono::steady_clock::now();
    auto synced = sync_();
    record_sync(std::chrono::steady_clock::now() - started, synced.has_value());
    if (synced) {
      synced_commits_ = newest;
      durable = true;
    } else {
      sync_failed_ = error{errc::io_error, "sync of the queue's WAL failed, nothing is "
                                           "acknowledged any more: " + synced.error().message};
    }
  }
  {
    completion_round round;  // what the hook and the completions post elsewhere: one post
    if (durable) call_durable_hook();
    for (auto& w : work) w.done(sync_failed_ ? &*sync_failed_ : nullptr);
  }
  work.clear();
}

}  // namespace smsgw::queue
