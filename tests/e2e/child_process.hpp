// tests/e2e/child_process.hpp: a child process for end-to-end tests (fork + execve), its
// stdout/stderr appended to files, plus a temp dir and bounded polling helpers.
// Design decision: everything the child needs (argv, envp, open files) is prepared before
// fork(), so the child only calls async-signal-safe functions (tests have threads). The child
// gets PR_SET_PDEATHSIG=SIGKILL so a crashed test leaves no daemon behind; therefore fork
// only from a thread that outlives the child (the test's main thread).
// Ownership: the destructor stops only its own child, by PID: SIGTERM, then SIGKILL.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/temp_dir.hpp"

extern char** environ;

namespace smsgw::e2e {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using steady = std::chrono::steady_clock;

/// Polls `done` every `every` until it returns true or `timeout` passes; returns its last value.
template <class Pred>
bool wait_until(Pred&& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = 20ms) {
  auto deadline = steady::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (steady::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

inline std::string read_file(fs::path const& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(fs::path const& p, std::string const& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

using smsgw::test::temp_dir;

/// Environment changes for a child: {"NAME", "value"} sets, {"NAME", nullopt} removes.
using env_changes = std::vector<std::pair<std::string, std::optional<std::string>>>;

class child_process {
 public:
  /// Starts argv[0] (a path) with stdout/stderr appended to `out`/`err`.
  child_process(std::vector<std::string> argv, fs::path const& out, fs::path const& err,
                env_changes const& env = {}) {
    std::vector<std::string> env_s = make_env(env);
    std::vector<char*> av, ev;
    for (auto& a : argv) av.push_back(a.data());
    av.push_back(nullptr);
    for (auto& e : env_s) ev.push_back(e.data());
    ev.push_back(nullptr);
    int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int err_fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out_fd < 0 || err_fd < 0 || null_fd < 0) throw std::runtime_error("open output files failed");
    pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);  // the parent died before prctl
      ::dup2(null_fd, STDIN_FILENO);
      ::dup2(out_fd, STDOUT_FILENO);
      ::dup2(err_fd, STDERR_FILENO);
      ::execve(av[0], av.data(), ev.data());
      ::_exit(127);
    }
    ::close(out_fd);
    ::close(err_fd);
    ::close(null_fd);
    if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  ~child_process() { stop(); }
  child_process(child_process const&) = delete;
  child_process& operator=(child_process const&) = delete;

  pid_t pid() const noexcept { return pid_; }

  /// True while the child has not exited (reaps it when it has).
  bool running() {
    if (status_) return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) status_ = st;
    return !status_;
  }

  /// Waits up to `timeout` for the child to exit; its wait status, or nullopt if still running.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    wait_until([&] { return !running(); }, timeout, 10ms);
    return status_;
  }

  void signal(int sig) {
    if (running()) ::kill(pid_, sig);
  }

  /// SIGKILL and reap: the crash the durability tests want.
  void kill9() {
    signal(SIGKILL);
    wait_exit(30s);
  }

  /// SIGTERM, up to `grace` for a clean exit, then SIGKILL. Returns the wait status.
  int stop(std::chrono::milliseconds grace = 20s) {
    if (pid_ <= 0) return 0;
    signal(SIGTERM);
    if (!wait_exit(grace)) {
      ::kill(pid_, SIGKILL);
      wait_exit(30s);
    }
    return status_.value_or(-1);
  }

  std::optional<int> status() const noexcept { return status_; }

 private:
  static std::vector<std::string> make_env(env_changes const& changes) {
    std::vector<std::string> out;
    auto changed = [&](std::string_view entry) {
      for (auto const& [k, v] : changes)
        if (entry.starts_with(k + "=")) return true;
      return false;
    };
    for (char** e = environ; e && *e; ++e) {
      std::string_view entry(*e);
      // A test run under systemd must not make the daemon talk to the real manager.
      if (entry.starts_with("NOTIFY_SOCKET=") || entry.starts_with("WATCHDOG_")) continue;
      if (!changed(entry)) out.emplace_back(entry);
    }
    for (auto const& [k, v] : changes)
      if (v) out.push_back(k + "=" + *v);
    return out;
  }

  pid_t pid_ = -1;
  std::optional<int> status_;
};

/// "exit 0", "exit 2", "signal 9" for assertions that print well.
inline std::string describe_status(std::optional<int> st) {
  if (!st) return "still running";
  if (WIFEXITED(*st)) return "exit " + std::to_string(WEXITSTATUS(*st));
  if (WIFSIGNALED(*st)) return "signal " + std::to_string(WTERMSIG(*st));
  return "status " + std::to_string(*st);
}

}  // namespace smsgw::e2e
