// tests/interop/node_process.hpp: runs a node script as a child process for a C++ interop test
// and talks to it line by line: waits for "listening on ADDR:PORT", then sends control commands
// on its stdin and reads one JSON line back per command. The child is ours: it is told to quit,
// and killed by its PID if it does not exit within a few seconds.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace smsgw::test {

class node_process {
 public:
  /// Starts `node script args...` and waits (hang guard `startup`) for its listening line.
  node_process(std::string node, std::string script, std::vector<std::string> args = {},
               std::chrono::milliseconds startup = std::chrono::seconds(20)) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
      throw std::runtime_error("pipe2 failed");
    std::vector<std::string> argv_s{node, script};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(in[0], STDIN_FILENO);
      ::dup2(out[1], STDOUT_FILENO);
      std::vector<char*> argv;
      for (auto& a : argv_s) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    to_child_ = in[1];
    from_child_ = out[0];
    std::regex listening(R"(^listening on ([\d.]+):(\d+)$)");
    auto line = read_line(startup);
    std::smatch m;
    if (!line || !std::regex_match(*line, m, listening))
      throw std::runtime_error("node " + script + " did not start: " + line.value_or("<no output>"));
    port_ = static_cast<std::uint16_t>(std::stoi(m[2]));
  }

  ~node_process() {
    if (to_child_ >= 0) {
      std::string quit = "quit\n";
      [[maybe_unused]] auto n = ::write(to_child_, quit.data(), quit.size());
      ::close(to_child_);
    }
    bool exited = false;
    for (int i = 0; i < 300 && !exited; ++i) {
      exited = ::waitpid(pid_, &status_, WNOHANG) == pid_;
      if (!exited) ::usleep(10000);
    }
    if (!exited) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
    }
    ::close(from_child_);
  }
  node_process(node_process const&) = delete;
  node_process& operator=(node_process const&) = delete;

  std::uint16_t port() const noexcept { return port_; }

  /// Sends one command line; returns the JSON object it answers with.
  boost::json::object command(std::string const& cmd) {
    auto line = cmd + "\n";
    if (::write(to_child_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      throw std::runtime_error("write to node failed");
    auto reply = read_line(std::chrono::seconds(10));
    if (!reply) throw std::runtime_error("node did not answer '" + cmd + "'");
    return boost::json::parse(*reply).as_object();
  }

 private:
  std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto nl = pending_.find('\n'); nl != std::string::npos) {
        auto line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{from_child_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      auto n = ::read(from_child_, buf, sizeof buf);
      if (n <= 0) return std::nullopt;
      pending_.append(buf, static_cast<std::size_t>(n));
    }
  }

  pid_t pid_ = -1;
  int to_child_ = -1;
  int from_child_ = -1;
  int status_ = 0;
  std::uint16_t port_ = 0;
  std::string pending_;
};

}  // namespace smsgw::test
