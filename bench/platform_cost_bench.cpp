// bench/platform_cost_bench.cpp: what the machine itself charges, in CPU time of this process,
// for the operations every message of the daemon pays for at a low rate, whatever the code
// around them: an fdatasync of a small write (the durability of each 202), a wake-up from
// idle (each network event that finds the thread asleep: the request, submit_sm_resp,
// deliver_sm), and a hand-off to another thread that sleeps (a futex wake and the answer).
// On a virtual machine a wake-up from idle and a disk flush cost guest exits that are billed
// to the process, so these figures are the floor under the daemon's CPU per message
// (docs/performance.md, "The floor"). Bounded: N operations per case (default 2,000).
//
//   build/release/bench/platform_cost_bench DIR [N]     (DIR on the disk the queue uses)
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

double process_cpu_seconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

/// Runs op() n times; prints CPU and wall time per operation in µs.
template <class Op>
void measure(char const* what, int n, Op op) {
  double const cpu0 = process_cpu_seconds();
  auto const t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) op(i);
  double const wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double const cpu = process_cpu_seconds() - cpu0;
  std::printf("%-44s CPU %7.1f us   wall %8.1f us   (per operation, %d operations)\n", what,
              cpu / n * 1e6, wall / n * 1e6, n);
}

/// Two threads passing a turn back and forth, each sleeping on a condition variable in
/// between (a futex wait and wake, as a hand-off between the daemon's threads).
class ping_pong {
 public:
  ping_pong() : peer_([this] { serve(); }) {}
  ~ping_pong() {
    {
      std::lock_guard lock(m_);
      stop_ = true;
      turn_ = 1;
    }
    cv_.notify_all();
    peer_.join();
  }
  void round_trip() {
    std::unique_lock lock(m_);
    turn_ = 1;
    cv_.notify_all();
    cv_.wait(lock, [this] { return turn_ == 0; });
  }

 private:
  void serve() {
    std::unique_lock lock(m_);
    for (;;) {
      cv_.wait(lock, [this] { return turn_ == 1; });
      if (stop_) return;
      turn_ = 0;
      cv_.notify_all();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  int turn_ = 0;
  bool stop_ = false;
  std::thread peer_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [N]\n", argv[0]);
    return 2;
  }
  int const n = argc > 2 ? std::max(10, std::min(100000, std::atoi(argv[2]))) : 2000;
  auto const path = std::filesystem::path(argv[1]) / "platform_cost_bench.dat";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    std::perror(path.c_str());
    return 1;
  }
  // A file of 64 pages written and synced once: the writes below overwrite it (as the WAL is
  // overwritten after a checkpoint), so fdatasync has no size change to journal.
  std::vector<char> page(4096, 'x');
  constexpr int pages = 64;
  for (int i = 0; i < pages; ++i)
    if (::pwrite(fd, page.data(), page.size(), static_cast<off_t>(i) * 4096) < 0) return 1;
  ::fsync(fd);
  auto const write_page = [&](int i) {
    if (::pwrite(fd, page.data(), page.size(), static_cast<off_t>(i % pages) * 4096) < 0) std::abort();
  };

  measure("pwrite 4 KiB (page cache)", n, write_page);
  measure("pwrite 4 KiB + fdatasync", n, [&](int i) {
    write_page(i);
    if (::fdatasync(fd) != 0) std::abort();
  });
  measure("pwrite 6 x 4 KiB + fdatasync (one round)", n / 2, [&](int i) {
    for (int k = 0; k < 6; ++k) write_page(i * 6 + k);
    if (::fdatasync(fd) != 0) std::abort();
  });
  measure("sleep 1 ms, wake (one wake-up from idle)", n, [](int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  measure("sleep 5 ms, wake", n / 4, [](int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  {
    ping_pong pp;
    measure("hand-off to a sleeping thread and back", n, [&](int) { pp.round_trip(); });
  }
  ::close(fd);
  std::filesystem::remove(path);
  return 0;
}
