// tests/tools/ops_util.hpp: small helpers for the ops_* tests (conf/, systemd/, logging): a
// temp directory, whole-file read/write, running a command to completion with its output,
// and one background child (the daemon) with stderr in a file and a chosen environment.
// Every wait is bounded; only our own child is signalled, by PID.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace smsgw::ops_test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline std::string slurp(fs::path const& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void spit(fs::path const& p, std::string const& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

/// Replaces every occurrence of `from` in `s` by `to`.
inline std::string replace_all(std::string s, std::string const& from, std::string const& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

class temp_dir {
 public:
  temp_dir() {
    std::string tmpl = fs::temp_directory_path() / "smsgw-ops-XXXXXX";
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  temp_dir(temp_dir const&) = delete;
  temp_dir& operator=(temp_dir const&) = delete;
  fs::path operator/(std::string const& name) const { return path_ / name; }
  fs::path const& path() const noexcept { return path_; }

 private:
  fs::path path_;
};

struct command_result {
  int exit_code = -1;  ///< -1 if it did not exit normally
  std::string output;  ///< stdout and stderr together
};

/// Runs `command` through /bin/sh (callers quote nothing: our paths have no spaces) and waits.
inline command_result run_command(std::string const& command) {
  command_result r;
  std::FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) throw std::runtime_error("popen failed: " + command);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.output.append(buf, n);
  int status = ::pclose(p);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  return r;
}

inline bool have_command(std::string const& name) {
  return run_command("command -v " + name + " >/dev/null").exit_code == 0;
}

template <class Pred>
bool wait_until(Pred&& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

/// One background process: stdout and stderr appended to `log`, `env` ("NAME=value") added
/// to our environment. The destructor stops it (SIGTERM, then SIGKILL after 30 s).
class background_process {
 public:
  background_process(std::vector<std::string> argv, fs::path const& log,
                     std::vector<std::string> env) {
    std::vector<char*> av, ev;
    for (auto& a : argv) av.push_back(a.data());
    av.push_back(nullptr);
    for (char** e = environ; *e; ++e) ev.push_back(*e);
    for (auto& e : env) ev.push_back(e.data());
    ev.push_back(nullptr);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot open " + log.string());
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fd, STDOUT_FILENO);
      ::dup2(fd, STDERR_FILENO);
      ::execve(av[0], av.data(), ev.data());
      ::_exit(127);
    }
    ::close(fd);
    if (pid_ < 0) throw std::runtime_error("fork failed");
  }
  ~background_process() { stop(); }
  background_process(background_process const&) = delete;
  background_process& operator=(background_process const&) = delete;

  pid_t pid() const noexcept { return pid_; }

  /// SIGTERM and wait (bounded); returns the exit code, or -1 if it had to be killed.
  int stop() {
    if (pid_ <= 0) return exit_code_;
    ::kill(pid_, SIGTERM);
    int status = 0;
    bool done = wait_until([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; }, 30s);
    if (!done) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    exit_code_ = done && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    pid_ = -1;
    return exit_code_;
  }

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

}  // namespace smsgw::ops_test
