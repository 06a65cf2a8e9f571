// tests/support/sse_client.hpp: a client of GET /v1/events for the API and end-to-end tests: one Unix-socket
// connection, the request written at once, then the response read on demand with poll()
// (every read bounded by a deadline) and parsed as Server-Sent Events (fields id, event,
// data; comments and retry: skipped). It can also leave the stream unread (a slow consumer)
// and wait for the daemon to close its side (POLLRDHUP) without reading.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace smsgw::test {

struct sse_event {
  std::string id;     ///< "" if the event had no id: line
  std::string event;  ///< "message" if it had no event: line
  std::string data;
  /// data as JSON (null if it is not).
  boost::json::value json() const {
    boost::system::error_code ec;
    auto v = boost::json::parse(data, ec);
    return ec ? boost::json::value(nullptr) : v;
  }
};

class sse_client {
 public:
  /// Connects and sends `GET target` with `headers` (each "Name: value").
  sse_client(std::string const& socket_path, std::string const& target,
             std::vector<std::string> const& headers = {}) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect " + socket_path + ": " + std::strerror(errno));
    }
    std::string req = "GET " + target + " HTTP/1.1\r\nHost: smsgw\r\nAccept: text/event-stream\r\n";
    for (auto const& h : headers) req += h + "\r\n";
    req += "\r\n";
    if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
      throw std::runtime_error("send: short write");
  }
  ~sse_client() { close(); }
  sse_client(sse_client const&) = delete;
  sse_client& operator=(sse_client const&) = delete;

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  /// Reads until the response head is complete; its status (0 if the connection ended or
  /// the deadline passed first).
  int status(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    auto const deadline = std::chrono::steady_clock::now() + timeout;
    while (!head_done_ && !eof_ && read_some(deadline)) {
    }
    return status_;
  }
  /// The response head (status line and headers), once read.
  std::string const& head() const noexcept { return head_; }
  /// The body after the head, as far as read (for non-stream answers: the JSON error).
  std::string const& body() const noexcept { return buf_; }

  /// The next event, or nullopt at the end of the stream or when `timeout` passes first.
  std::optional<sse_event> next(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    auto const deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (head_done_) {
        if (auto e = parse_one()) return e;
      }
      if (eof_) return std::nullopt;
      if (!read_some(deadline)) return std::nullopt;
    }
  }
  /// Reads (bounded) until the raw text after the head contains `text` (e.g. a comment line,
  /// which next() skips); call it before next() has consumed that part.
  bool read_until_text(std::string const& text, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    auto const deadline = std::chrono::steady_clock::now() + timeout;
    while (!(head_done_ && buf_.find(text) != std::string::npos)) {
      if (eof_ || !read_some(deadline)) return false;
    }
    return true;
  }
  /// Whether the daemon ended the connection (read to its end).
  bool ended() const noexcept { return eof_; }

  /// Waits, reading nothing, until the daemon closed its side (POLLRDHUP), at most `timeout`.
  bool wait_closed_unread(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLRDHUP, 0};
    int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
    return n == 1 && (p.revents & (POLLRDHUP | POLLHUP)) != 0;
  }

 private:
  /// One recv() once readable before the deadline; false on timeout.
  bool read_some(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) != 1) return false;
    char chunk[65536];
    auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      eof_ = true;
      return true;
    }
    buf_.append(chunk, static_cast<std::size_t>(n));
    if (!head_done_) {
      auto end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        head_ = buf_.substr(0, end + 4);
        buf_.erase(0, end + 4);
        head_done_ = true;
        if (head_.size() > 12) status_ = std::stoi(head_.substr(9, 3));
      }
    }
    return true;
  }

  /// One complete event from the buffer (skipping comment-only and retry-only blocks).
  std::optional<sse_event> parse_one() {
    for (;;) {
      auto end = buf_.find("\n\n");
      if (end == std::string::npos) return std::nullopt;
      std::string block = buf_.substr(0, end + 1);
      buf_.erase(0, end + 2);
      sse_event e;
      e.event = "message";
      bool any = false;
      std::size_t pos = 0;
      while (pos < block.size()) {
        auto nl = block.find('\n', pos);
        std::string line = block.substr(pos, nl - pos);
        pos = nl + 1;
        if (line.empty() || line[0] == ':') continue;
        auto colon = line.find(':');
        std::string field = line.substr(0, colon);
        std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
        if (!value.empty() && value[0] == ' ') value.erase(0, 1);
        if (field == "id") e.id = value, any = true;
        else if (field == "event") e.event = value, any = true;
        else if (field == "data") e.data += (e.data.empty() ? "" : "\n") + value, any = true;
      }
      if (any) return e;
    }
  }

  int fd_ = -1;
  std::string buf_, head_;
  bool head_done_ = false, eof_ = false;
  int status_ = 0;
};

}  // namespace smsgw::test
