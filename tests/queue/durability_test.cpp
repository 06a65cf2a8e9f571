// tests/queue/durability_test.cpp: what the queue promises when things go wrong, on real files
// and real processes: a child killed with SIGKILL mid-way through enqueues and claims loses no
// acknowledged message and leaves nothing in flight; a corrupt file, a read-only file and a
// full disk (RLIMIT_FSIZE in a forked child) give a clear error and lose nothing acknowledged.
// Children report over a pipe, writing an id only AFTER the call that stored it returned
// (through group_commit: after its future became ready, i.e. after the syncer's fsync).
#include "queue/group_commit.hpp"
#include "queue/state.hpp"
#include "queue/store.hpp"

#include "queue_fixture.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <deque>
#include <fstream>
#include <set>
#include <thread>

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {

// One forked child; reads 8-byte values it writes to a pipe.
struct child {
  pid_t pid = -1;
  int fd = -1;

  template <class F>
  static child spawn(F body) {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    child c;
    c.pid = ::fork();
    REQUIRE(c.pid >= 0);
    if (c.pid == 0) {
      ::close(p[0]);
      int code = 0;
      try {
        code = body(p[1]);
      } catch (...) {
        code = 99;
      }
      ::_exit(code);  // no Catch or static destructors in the child
    }
    ::close(p[1]);
    c.fd = p[0];
    return c;
  }
  // Next value, or nullopt at EOF.
  std::optional<std::int64_t> read() {
    std::int64_t v = 0;
    std::size_t got = 0;
    while (got < sizeof v) {
      auto n = ::read(fd, reinterpret_cast<char*>(&v) + got, sizeof v - got);
      if (n <= 0) return std::nullopt;
      got += static_cast<std::size_t>(n);
    }
    return v;
  }
  int wait() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(fd);
    return status;
  }
};

void send(int fd, std::int64_t v) {
  // An 8-byte write to a pipe is atomic; a failed write just ends the child's report.
  if (::write(fd, &v, sizeof v) != static_cast<ssize_t>(sizeof v)) ::_exit(3);
}

// The child's workload: batches of enqueues, claims, sending marks, some submits, forever
// (until killed; bounded by `rounds`). Each id is reported after its commit returned.
int enqueue_and_claim(std::string const& path, int fd, int rounds) {
  auto s = store::open(path, {}, clock::now());
  if (!s) return 10;
  for (int i = 0; i < rounds; ++i) {
    std::vector<enqueue_request> reqs;
    for (int k = 0; k < 8; ++k) {
      auto r = otp("62812" + std::to_string(10000000 + (i * 8 + k) % 9000000), "",
                   clock::now());
      reqs.push_back(std::move(r));
    }
    auto res = s->enqueue_batch(reqs);
    if (!res) return 11;
    for (auto& r : *res) {
      if (!r) return 12;
      send(fd, r->id);
    }
    auto claimed = s->claim("telkomsel", 6, clock::now());
    if (!claimed) return 13;
    std::vector<message_id> ids;
    for (auto& m : *claimed) ids.push_back(m.id);
    if (ids.size() > 2) ids.resize(ids.size() - 2);  // two stay merely claimed
    auto sending = s->mark_sending(ids, clock::now());
    if (!sending) return 14;
    for (std::size_t k = 0; k + 1 < sending->size(); ++k) {
      auto id = (*sending)[k];
      if (!s->mark_submitted(id, "r", "m" + std::to_string(id), clock::now())) return 15;
    }
  }
  return 0;
}

}  // namespace

// Rounds of: `workload(fd)` in a child, ids read until it reported `first + round * step`
// (a different point each round), SIGKILL, then the file reopened: every reported id is there,
// nothing is in flight, the file is intact. Returns every id reported.
template <class Workload>
std::set<std::int64_t> kill_and_check(std::string const& path, int rounds, std::size_t first,
                                      std::size_t step, Workload workload) {
  std::set<std::int64_t> acked;
  for (int round = 0; round < rounds; ++round) {
    auto c = child::spawn(workload);
    std::size_t want = first + static_cast<std::size_t>(round) * step;
    std::size_t got = 0;
    while (got < want) {
      auto id = c.read();
      if (!id) break;
      acked.insert(*id);
      ++got;
    }
    ::kill(c.pid, SIGKILL);
    while (auto id = c.read()) acked.insert(*id);  // what it wrote before dying
    auto status = c.wait();
    INFO("round " << round << " child status " << status);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(got == want);

    auto s = open_store(path, clock::now());
    auto counts = s.count_by_state();
    REQUIRE(counts.has_value());
    CHECK((*counts)[static_cast<std::size_t>(state::in_flight)] == 0);
    std::size_t missing = 0;
    for (auto id : acked) {
      if (!s.get(id)) ++missing;
    }
    CHECK(missing == 0);
    CHECK(s.database().query_int("PRAGMA integrity_check") == 0);  // "ok" reads as 0
  }
  return acked;
}

TEST_CASE("SIGKILL in the middle of enqueues and claims loses no acknowledged message") {
  temp_dir dir;
  auto path = dir.file();
  auto acked = kill_and_check(path, 4, 200, 173,
                              [&](int fd) { return enqueue_and_claim(path, fd, 20000); });
  CHECK(acked.size() >= 200);
}

// Producers on 4 threads enqueue through a pipelined group_commit (commits with
// synchronous=NORMAL, acknowledged after the syncer's fsync), and the writer claims in
// between; each id is reported after its future became ready.
static int enqueue_through_group_commit(std::string const& path, int fd, int per_thread) {
  auto s = store::open(path, {}, clock::now());
  if (!s) return 20;
  group_commit q(std::move(*s));
  if (!q.pipelined()) return 21;
  std::atomic<int> failed{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t) {
    producers.emplace_back([&, t] {
      std::deque<std::future<result<enqueue_outcome>>> window;
      auto report = [&] {
        auto r = window.front().get();
        window.pop_front();
        if (r) send(fd, r->id);
        else ++failed;
      };
      for (int i = 0; i < per_thread; ++i) {
        auto n = t * per_thread + i;
        window.push_back(q.enqueue(otp("62813" + std::to_string(10000000 + n % 9000000), "",
                                       clock::now())));
        if (i % 50 == 0) (void)q.run([](store& st) { return st.claim("telkomsel", 10, clock::now()); });
        if (window.size() >= 16) report();
      }
      while (!window.empty()) report();
    });
  }
  for (auto& p : producers) p.join();
  return failed == 0 ? 0 : 22;
}

TEST_CASE("SIGKILL during pipelined group commit loses no acknowledged message") {
  temp_dir dir;
  auto path = dir.file();
  kill_and_check(path, 3, 300, 211,
                 [&](int fd) { return enqueue_through_group_commit(path, fd, 50000); });
}

TEST_CASE("a file of garbage is reported as corrupt") {
  temp_dir dir;
  {
    std::ofstream f(dir.file(), std::ios::binary);
    for (int i = 0; i < 8192; ++i) f.put(static_cast<char>((i * 7919 + 13) % 251));
  }
  auto s = store::open(dir.file());
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().code == errc::corrupt);
  CHECK(s.error().message.find(dir.file()) != std::string::npos);
}

TEST_CASE("a database with a damaged page gives a clear corrupt error, not a crash") {
  temp_dir dir;
  {
    auto s = open_store(dir.file());
    for (int i = 0; i < 200; ++i) enqueue_ok(s, otp("62812" + std::to_string(10000000 + i), ""));
  }
  {
    // Overwrite everything after the 100-byte header of page 1 (the schema) and page 2.
    std::fstream f(dir.file(), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    for (int i = 0; i < 8000; ++i) f.put(static_cast<char>(0xA5 ^ i));
  }
  auto s = store::open(dir.file());
  if (s) {
    auto r = s->claim("telkomsel", 100, t0());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::corrupt);
  } else {
    CHECK(s.error().code == errc::corrupt);
  }
}

TEST_CASE("a read-only database gives a clear error and keeps what was acknowledged") {
  temp_dir dir;
  message_id kept = 0;
  {
    auto s = open_store(dir.file());
    kept = enqueue_ok(s, otp());
  }
  SECTION("opened read-only") {
    store_options opts;
    opts.sqlite.read_only = true;
    auto s = store::open(dir.file(), opts);
    REQUIRE(s.has_value());
    CHECK(s->get(kept)->st == state::queued);
    auto r = s->enqueue(otp("6289999999999"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::read_only);
  }
  SECTION("a file this user may not write (a child drops root privileges)") {
    ::chmod(dir.path().c_str(), 0755);
    for (auto name : {"queue.db", "queue.db-wal", "queue.db-shm"}) {
      ::chmod(dir.file(name).c_str(), 0444);
    }
    auto c = child::spawn([&](int fd) {
      if (::getuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) return 20;
      auto s = store::open(dir.file());
      if (!s) {
        send(fd, static_cast<std::int64_t>(s.error().code));
        return 0;
      }
      auto r = s->enqueue(otp("6289999999999"));
      send(fd, r ? 0 : static_cast<std::int64_t>(r.error().code));
      return 0;
    });
    auto code = c.read();
    REQUIRE(WEXITSTATUS(c.wait()) == 0);
    REQUIRE(code.has_value());
    CHECK(static_cast<errc>(*code) == errc::read_only);
    for (auto name : {"queue.db", "queue.db-wal", "queue.db-shm"}) {
      ::chmod(dir.file(name).c_str(), 0644);
    }
  }
  auto s = open_store(dir.file());
  CHECK(s.get(kept)->st == state::queued);
  CHECK(s.count_by_state()->at(0) == 1);
}

TEST_CASE("a full disk fails the enqueue with disk_full and loses nothing acknowledged") {
  temp_dir dir;
  auto path = dir.file();
  { open_store(path); }
  auto c = child::spawn([&](int fd) {
    ::signal(SIGXFSZ, SIG_IGN);  // a write past the limit fails with EFBIG instead
    group_commit q(*store::open(path));
    // A few acknowledged before the limit...
    for (int i = 0; i < 5; ++i) {
      auto r = q.enqueue(otp("62812" + std::to_string(20000000 + i), "")).get();
      if (!r) return 30;
      send(fd, r->id);
    }
    // ...then a file-size limit a little above what the files hold now.
    struct stat st {};
    off_t biggest = 0;
    for (auto name : {path, path + "-wal"}) {
      if (::stat(name.c_str(), &st) == 0) biggest = std::max(biggest, st.st_size);
    }
    rlimit lim{static_cast<rlim_t>(biggest + 256 * 1024), RLIM_INFINITY};
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return 31;
    for (int i = 0; i < 10000; ++i) {
      auto req = otp("62813" + std::to_string(20000000 + i), "");
      req.text = std::string(30000, 'x');
      auto r = q.enqueue(req).get();
      if (!r) {
        send(fd, -static_cast<std::int64_t>(r.error().code));
        return 0;
      }
      send(fd, r->id);
    }
    return 32;  // the limit never hit
  });
  std::vector<std::int64_t> acked;
  std::optional<errc> failure;
  while (auto v = c.read()) {
    if (*v < 0) failure = static_cast<errc>(-*v);
    else acked.push_back(*v);
  }
  auto status = c.wait();
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(failure.has_value());
  CHECK(*failure == errc::disk_full);
  CHECK(acked.size() > 5);

  auto s = open_store(path, clock::now());
  for (auto id : acked) CHECK(s.get(id).has_value());
  CHECK(s.count_by_state()->at(0) == static_cast<std::int64_t>(acked.size()));
  // And the store works again once there is room.
  enqueue_ok(s, otp("6289999999999", "", clock::now()));
}
