// bench/queue_bench.cpp: figures for docs/queue.md, printed, never asserted. A plain main (not
// Google Benchmark) because the cases are multi-threaded and measure RSS. On a real file in
// $TMPDIR (or argv[1]) with synchronous=FULL unless said otherwise:
//   1. durable enqueue rate through group_commit (pipelined commit, and once not pipelined),
//      P producer threads x W outstanding each (also once with the default per-number limits
//      on, as the daemon runs);
//   2. the daemon's dispatch cycle: claim_for_sending + mark_submitted + apply_receipt, batched,
//      state transitions/s (3 per message: queued -> in_flight -> submitted -> delivered):
//      store calls in one thread (each commit its own fsync), and through a pipelined
//      group_commit from 1, 2 and 4 lanes; also with the two-commit claim + mark_sending;
//   3. RSS before/after 1,000,000 queued messages (and a claim from that queue).
// Every loop is bounded in count.
// Usage: queue_bench [dir] [messages for case 3] [cases, e.g. "123"; "h" = only case 2's
//        headline run] [messages for case 2 (100,000)] [batch of the "h" run (500)]
//        [runs of the "h" case (1): with more, min/median/max are printed]
//        [lanes of the "h" case (2): through a pipelined group_commit; 0 = store calls, FULL]
//        "c" as cases: FULL, pipelined and NORMAL alternately, [runs] times each (default 5)
#include "queue/group_commit.hpp"
#include "queue/store.hpp"

#include <fmt/format.h>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace smsgw::queue;
using steady = std::chrono::steady_clock;

namespace {

double seconds_since(steady::time_point t) {
  return std::chrono::duration<double>(steady::now() - t).count();
}

// User + system CPU seconds of the whole process so far: the machine is shared, so a rate
// per CPU-second says more about the code than a rate per wall-clock second.
double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto tv = [](timeval t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return tv(ru.ru_utime) + tv(ru.ru_stime);
}

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

enqueue_request request(int i) {
  enqueue_request r;
  r.recipient = "628" + std::to_string(1100000000 + i % 900000000);
  r.sender = "ACME";
  r.text = "Your ACME code is 123456. Do not share it with anyone.";
  r.prio = priority::otp;
  r.purpose = "login";
  r.idempotency_key = "k" + std::to_string(i);
  r.carrier = "telkomsel";
  r.now = clock::now();
  return r;
}

// `limits`: the per-number limits with their defaults (docs/limits.md), as the daemon runs.
store open_fresh(std::filesystem::path const& path, bool full_sync = true, bool limits = false) {
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
  store_options opts;
  opts.sqlite.synchronous_full = full_sync;
  if (limits) opts.limits = limits_config{};
  auto s = store::open(path.string(), opts);
  if (!s) {
    fmt::print(stderr, "{}\n", s.error().message);
    std::exit(1);
  }
  return std::move(*s);
}

// Case 1: P threads, each keeping W enqueues outstanding, `per_thread` each. `limits`: with the
// default per-number limits, and every request for a number of its own range (prefix), so
// each is checked and recorded and none is refused.
void durable_enqueue(std::filesystem::path const& path, int threads, int window, int per_thread,
                     bool limits = false, bool pipelined = true) {
  group_commit q(open_fresh(path, true, limits), {.pipelined = pipelined, .sync = {}});
  std::atomic<long> ok{0}, failed{0}, refused{0};
  auto tally = [&](std::future<result<enqueue_outcome>>& f) {
    auto r = f.get();
    if (!r) ++failed;
    else if (r->what == enqueue_outcome::kind::refused) ++refused;
    else ++ok;
  };
  auto start = steady::now();
  double cpu0 = cpu_seconds();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      std::deque<std::future<result<enqueue_outcome>>> pending;
      for (int i = 0; i < per_thread; ++i) {
        auto req = request(t * per_thread + i);
        if (limits) {
          req.recipient = fmt::format("628{:06}{:04}", 110000 + t * per_thread + i, i % 10000);
        }
        pending.push_back(q.enqueue(std::move(req)));
        if (static_cast<int>(pending.size()) >= window) {
          tally(pending.front());
          pending.pop_front();
        }
      }
      for (auto& f : pending) tally(f);
    });
  }
  for (auto& t : ts) t.join();
  double s = seconds_since(start);
  double cpu = cpu_seconds() - cpu0;
  fmt::print("  {:3} producers x {:4} outstanding{}{}: {:8} enqueues in {:6.2f} s = {:9.0f}/s"
             " ({:.2f} CPU s, {:.0f} per CPU s; failed {}, refused {})\n", threads, window,
             limits ? ", per-number limits on" : "",
             q.pipelined() ? "" : ", commits not pipelined", ok.load(), s,
             static_cast<double>(ok) / s, cpu, static_cast<double>(ok) / cpu, failed.load(),
             refused.load());
}

// Queues `total` messages (no purpose: none supersedes another) for case 2, 5,000 a commit.
void load_queue(store& s, int total) {
  std::vector<enqueue_request> reqs;
  for (int i = 0; i < total; ++i) {
    auto r = request(i);
    r.purpose.clear();
    reqs.push_back(std::move(r));
  }
  for (std::size_t i = 0; i < reqs.size(); i += 5000) {
    auto n = std::min<std::size_t>(5000, reqs.size() - i);
    (void)s.enqueue_batch(std::span(reqs).subspan(i, n)).value();
  }
}

// Case 2: the dispatch cycle over `total` messages in batches of `batch`. `one_step_claim`:
// claim_for_sending (the daemon's way: claim and sending mark in one commit) instead of
// claim + mark_sending (two commits).
// Returns the rate (transitions per wall-clock second).
double transitions(std::filesystem::path const& path, int total, int batch, bool full_sync,
                   bool one_step_claim = true) {
  auto s = open_fresh(path, full_sync);
  load_queue(s, total);
  long moved = 0;
  double phase[3] = {};  // wall seconds in claim, mark_submitted, apply_receipts
  auto start = steady::now();
  double cpu0 = cpu_seconds();
  for (int round = 0; round < total / batch + 1; ++round) {
    auto now = clock::now();
    auto t0 = steady::now();
    auto claimed = one_step_claim
                       ? s.claim_for_sending("telkomsel", static_cast<std::size_t>(batch), now)
                             .value()
                       : s.claim("telkomsel", static_cast<std::size_t>(batch), now).value();
    if (claimed.empty()) break;
    std::vector<message_id> may_send;
    for (auto& m : claimed) may_send.push_back(m.id);
    if (!one_step_claim) may_send = s.mark_sending(may_send, now).value();
    phase[0] += seconds_since(t0);
    std::vector<submission> subs;
    std::vector<receipt> rcpts;
    for (auto id : may_send) {
      subs.push_back({id, "tsel-a", fmt::format("{:x}", id)});
      rcpts.push_back({"telkomsel", fmt::format("{:x}", id), receipt_outcome::delivered,
                       "stat:DELIVRD err:000"});
    }
    auto t1 = steady::now();
    (void)s.mark_submitted_batch(subs, now).value();
    auto t2 = steady::now();
    phase[1] += seconds_since(t1);
    (void)s.apply_receipts(rcpts, now).value();
    phase[2] += seconds_since(t2);
    moved += static_cast<long>(claimed.size() + may_send.size() * 2);  // 3 transitions each
  }
  double secs = seconds_since(start);
  double cpu = cpu_seconds() - cpu0;
  fmt::print("  batch {:4}, synchronous={}{}: {:8} transitions in {:6.2f} s = {:9.0f}/s"
             " ({:.2f} CPU s, {:.0f} per CPU s)\n", batch, full_sync ? "FULL  " : "NORMAL",
             one_step_claim ? "" : ", claim + mark_sending", moved, secs,
             static_cast<double>(moved) / secs, cpu, static_cast<double>(moved) / cpu);
  fmt::print("    of which claim {:.2f} s, mark_submitted {:.2f} s, apply_receipts {:.2f} s\n",
             phase[0], phase[1], phase[2]);
  return static_cast<double>(moved) / secs;
}

// Case 2, pipelined: the same cycle through group_commit as the daemon runs it (commits with
// synchronous=NORMAL, every step acknowledged only after the syncer's fsync of the WAL), with
// `lanes` threads each driving its own batches (as links do): a lane waits for each step's
// acknowledgement before the next, so the writer works on one lane's step while another's
// fsync runs. Transitions are counted once acknowledged (durable).
double transitions_pipelined(std::filesystem::path const& path, int total, int batch, int lanes) {
  auto s = open_fresh(path, true);
  load_queue(s, total);
  group_commit q(std::move(s));
  std::atomic<long> moved{0};
  auto writer_cpu = [&q] {  // CPU seconds of the writer thread so far
    return q.run([](store&) {
      rusage ru{};
      ::getrusage(RUSAGE_THREAD, &ru);
      return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
             static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    }).get();
  };
  double const writer0 = writer_cpu();
  auto start = steady::now();
  double cpu0 = cpu_seconds();
  std::vector<std::thread> ts;
  for (int l = 0; l < lanes; ++l) {
    ts.emplace_back([&] {
      for (int round = 0; round < total / batch + 1; ++round) {  // bounded
        auto now = clock::now();
        auto claimed = q.run([&](store& st) {
          return st.claim_for_sending("telkomsel", static_cast<std::size_t>(batch), now);
        }).get().value();
        if (claimed.empty()) break;
        auto subs = std::make_shared<std::vector<submission>>();
        auto rcpts = std::make_shared<std::vector<receipt>>();
        for (auto& m : claimed) {
          subs->push_back({m.id, "tsel-a", fmt::format("{:x}", m.id)});
          rcpts->push_back({"telkomsel", fmt::format("{:x}", m.id), receipt_outcome::delivered,
                            "stat:DELIVRD err:000"});
        }
        (void)q.run([subs, now](store& st) { return st.mark_submitted_batch(*subs, now); })
            .get().value();
        (void)q.run([rcpts, now](store& st) { return st.apply_receipts(*rcpts, now); })
            .get().value();
        moved += static_cast<long>(claimed.size() * 3);
      }
    });
  }
  for (auto& t : ts) t.join();
  double secs = seconds_since(start);
  double cpu = cpu_seconds() - cpu0;
  double writer = writer_cpu() - writer0;
  fmt::print("  batch {:4}, pipelined commit, {} lane{}: {:8} transitions in {:6.2f} s = {:9.0f}/s"
             " ({:.2f} CPU s, {:.0f} per CPU s; writer thread {:.2f} CPU s)\n", batch, lanes,
             lanes == 1 ? " " : "s", moved.load(), secs, static_cast<double>(moved) / secs, cpu,
             static_cast<double>(moved) / cpu, writer);
  return static_cast<double>(moved) / secs;
}

// Case 2b: the same cycle with one transaction per message and per step (no batching).
void transitions_unbatched(std::filesystem::path const& path, int total) {
  auto s = open_fresh(path);
  for (int i = 0; i < total; ++i) (void)s.enqueue(request(i)).value();
  long moved = 0;
  auto start = steady::now();
  for (int i = 0; i < total; ++i) {
    auto now = clock::now();
    auto claimed = s.claim("telkomsel", 1, now).value();
    if (claimed.empty()) break;
    auto id = claimed[0].id;
    (void)s.mark_sending(std::span(&id, 1), now).value();
    (void)s.mark_submitted(id, "tsel-a", fmt::format("{:x}", id), now).value();
    (void)s.apply_receipt("telkomsel", fmt::format("{:x}", id), receipt_outcome::delivered, "",
                          now).value();
    moved += 3;
  }
  double secs = seconds_since(start);
  fmt::print("  one transaction per step:     {:8} transitions in {:6.2f} s = {:9.0f}/s\n",
             moved, secs, static_cast<double>(moved) / secs);
}

// Case 3: RSS with `count` queued messages.
void memory(std::filesystem::path const& path, int count) {
  long before = rss_kib();
  auto s = open_fresh(path, false);
  std::vector<enqueue_request> reqs;
  auto start = steady::now();
  long peak = before;
  for (int i = 0; i < count; i += 10000) {
    reqs.clear();
    for (int k = i; k < std::min(count, i + 10000); ++k) {
      auto r = request(k);
      r.purpose.clear();
      reqs.push_back(std::move(r));
    }
    (void)s.enqueue_batch(reqs).value();
    peak = std::max(peak, rss_kib());
  }
  reqs = {};
  double secs = seconds_since(start);
  long after = rss_kib();
  auto claim_start = steady::now();
  auto claimed = s.claim("telkomsel", 500, clock::now()).value();
  double claim_ms = seconds_since(claim_start) * 1000;
  auto queued = s.count_by_state().value()[0];
  fmt::print("  {} queued (loaded in {:.1f} s): RSS {} MiB before, {} MiB after, peak {} MiB;"
             " file {} MiB; claim of {} from it: {:.2f} ms\n",
             queued, secs, before / 1024, after / 1024, peak / 1024,
             std::filesystem::file_size(path) / (1024 * 1024), claimed.size(), claim_ms);
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path dir = argc > 1 ? argv[1] : std::filesystem::temp_directory_path();
  int million = argc > 2 ? std::atoi(argv[2]) : 1'000'000;
  std::string cases = argc > 3 ? argv[3] : "123";  // which of the three cases to run
  int cycle = argc > 4 ? std::atoi(argv[4]) : 100'000;  // messages through case 2
  int headline_batch = argc > 5 ? std::atoi(argv[5]) : 500;  // batch of the "h" run
  auto path = dir / "queue_bench.db";
  double load[3] = {};
  ::getloadavg(load, 3);
  fmt::print("queue_bench on {} ({} hardware threads, load average {:.1f})\n", path.string(),
             std::thread::hardware_concurrency(), load[0]);

  if (cases.find('1') != std::string::npos) {
    fmt::print("1. durable enqueue (group commit, synchronous=FULL, WAL)\n");
    durable_enqueue(path, 1, 1, 300);
    durable_enqueue(path, 64, 1, 300);
    durable_enqueue(path, 16, 64, 10000);
    durable_enqueue(path, 16, 64, 10000, false, false);
    durable_enqueue(path, 64, 64, 4000);
    durable_enqueue(path, 64, 64, 4000, false, false);
    durable_enqueue(path, 16, 64, 10000, true);
  }
  if (cases.find('2') != std::string::npos) {
    fmt::print("2. claim_for_sending + mark_submitted + apply_receipt\n");
    transitions(path, cycle, 500, true);
    transitions_pipelined(path, cycle, 500, 1);
    transitions_pipelined(path, cycle, 500, 2);
    transitions_pipelined(path, cycle, 500, 4);
    transitions(path, cycle, 2000, true);
    transitions(path, cycle, 100, true);
    transitions(path, cycle, 500, false);
    transitions(path, cycle, 500, true, false);
    transitions_unbatched(path, 2000);
  } else if (cases.find('h') != std::string::npos) {
    // The machine is shared and noisy: the headline case several times, and its spread.
    int const runs = argc > 6 ? std::max(1, std::atoi(argv[6])) : 1;
    fmt::print("2. claim_for_sending + mark_submitted + apply_receipt (headline run only)\n");
    std::vector<double> rates;
    int const lanes = argc > 7 ? std::atoi(argv[7]) : 2;  // 0: store calls without group_commit
    for (int i = 0; i < runs; ++i) {
      rates.push_back(lanes > 0 ? transitions_pipelined(path, cycle, headline_batch, lanes)
                                : transitions(path, cycle, headline_batch, true));
    }
    std::sort(rates.begin(), rates.end());
    if (runs > 1) {
      fmt::print("  {} runs: min {:.0f}/s, median {:.0f}/s, max {:.0f}/s; {} of {} at 100,000/s "
                 "or more\n", runs, rates.front(), rates[rates.size() / 2], rates.back(),
                 std::count_if(rates.begin(), rates.end(), [](double r) { return r >= 100000; }),
                 runs);
    }
  }
  if (cases.find('c') != std::string::npos) {
    // The machine's speed drifts from minute to minute: the three ways of committing, run
    // alternately, each `runs` times, so each comparison is made under the same conditions.
    int const runs = argc > 6 ? std::max(1, std::atoi(argv[6])) : 5;
    fmt::print("2c. the dispatch cycle, batch {}: store calls with synchronous=FULL, a pipelined "
               "group_commit (2 lanes), store calls with synchronous=NORMAL (not durable), "
               "alternating, {} runs each\n", headline_batch, runs);
    std::vector<double> full, pipelined, normal;
    for (int i = 0; i < runs; ++i) {
      full.push_back(transitions(path, cycle, headline_batch, true));
      pipelined.push_back(transitions_pipelined(path, cycle, headline_batch, 2));
      normal.push_back(transitions(path, cycle, headline_batch, false));
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    auto at_target = [](std::vector<double> const& v) {
      return std::count_if(v.begin(), v.end(), [](double r) { return r >= 100000; });
    };
    fmt::print("  medians: FULL {:.0f}/s ({} of {} at 100,000/s or more), pipelined {:.0f}/s "
               "({} of {}), NORMAL {:.0f}/s\n", median(full), at_target(full), runs,
               median(pipelined), at_target(pipelined), runs, median(normal));
  }
  if (cases.find('3') != std::string::npos) {
    fmt::print("3. memory\n");
    memory(path, million);
  }

  for (auto ext : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + ext);
  return 0;
}
