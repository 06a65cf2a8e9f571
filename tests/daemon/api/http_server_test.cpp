// Tests for daemon/api/http_server.*: the API over a real Unix socket in a temp dir, served by the
// daemon's http_server on its own io_context thread, driven by a plain POSIX client. Asserts
// statuses and effects (files, stored messages, log lines), never durations: the configured
// timeouts are short only so that the slow-client cases finish quickly.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "daemon/api/http_server.hpp"
#include "tests/daemon/api/api_fixture.hpp"

using namespace smsgw;
using namespace smsgw::test;
namespace asio = boost::asio;

namespace {

constexpr char code[] = "736251";

sockaddr_un address_of(std::string const& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
  return a;
}

struct response {
  int status = 0;
  std::string head, body;
  std::string header(std::string name) const {
    auto lower = [](std::string s) {
      for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    auto h = lower(head);
    auto at = h.find("\r\n" + lower(name) + ":");
    if (at == std::string::npos) return {};
    auto begin = at + 3 + name.size();
    auto end = head.find("\r\n", begin);
    auto v = head.substr(begin, end - begin);
    return v.substr(v.find_first_not_of(' '));
  }
};

/// A blocking POSIX client; every wait bounded (10 s) so a server bug fails instead of hanging.
class client {
 public:
  explicit client(std::string const& path) : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    auto a = address_of(path);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~client() { close(); }
  client(client&& o) noexcept : fd_(std::exchange(o.fd_, -1)), connected_(o.connected_), in_(std::move(o.in_)) {}
  bool connected() const { return connected_; }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  /// Writes everything it can; false if the server closed (EPIPE/ECONNRESET), never SIGPIPE.
  bool send(std::string_view s) {
    while (!s.empty()) {
      auto n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  /// The next response, or nullopt if the connection ended first.
  std::optional<response> read_response() {
    std::size_t end;
    while ((end = in_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return std::nullopt;
    response r;
    r.head = in_.substr(0, end + 2);
    in_.erase(0, end + 4);
    r.status = std::atoi(r.head.c_str() + 9);  // "HTTP/1.1 200 OK"
    auto len = static_cast<std::size_t>(std::atol(r.header("Content-Length").c_str()));
    while (in_.size() < len)
      if (!fill()) return std::nullopt;
    r.body = in_.substr(0, len);
    in_.erase(0, len);
    return r;
  }
  /// True if the server closes the connection (EOF or reset) with nothing more to read.
  bool closed_by_server() { return !fill() && in_.empty(); }

 private:
  bool fill() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10'000) <= 0) return false;
    char buf[4096];
    auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  int fd_;
  bool connected_ = false;
  std::string in_;
};

std::string post_request(std::string const& target, std::string const& body, bool close = false) {
  return "POST " + target + " HTTP/1.1\r\nHost: smsgw\r\nContent-Type: application/json\r\n" +
         (close ? "Connection: close\r\n" : "") + "Content-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}
std::string get_request(std::string const& target) { return "GET " + target + " HTTP/1.1\r\nHost: smsgw\r\n\r\n"; }

std::string otp_body(std::string const& to = "081234567890") {
  return R"({"to":")" + to + R"(","code":")" + code + R"(","purpose":"login"})";
}

/// The daemon's server on its own thread, over the api_fixture's store.
struct server_fixture : api_fixture {
  std::unique_ptr<http_server> server;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::thread thread;

  server_fixture() {
    cfg.api.read_timeout = std::chrono::milliseconds(300);
    cfg.api.body_limit = 1024;
  }
  std::string const& path() const { return cfg.api.socket_path; }

  std::optional<std::string> start() {
    server = std::make_unique<http_server>(io.get_executor(), cfg.api, *deps);
    if (auto err = server->listen()) return err;
    asio::co_spawn(io, server->run(), asio::detached);
    guard.emplace(io.get_executor());
    thread = std::thread([this] { io.run(); });
    return std::nullopt;
  }
  /// Runs f on the server's thread (its state is single-threaded) and returns its result.
  template <class F>
  auto on_io(F f) {
    std::promise<decltype(f())> p;
    asio::post(io, [&] { p.set_value(f()); });
    return p.get_future().get();
  }
  http_server_stats stats() { return on_io([this] { return server->stats(); }); }
  std::size_t active() { return on_io([this] { return server->active(); }); }
  /// Stops accepting; returns when every connection coroutine has ended (clients closed first).
  void finish() {
    if (!thread.joinable()) return;
    asio::post(io, [this] { server->stop(); });
    guard.reset();
    thread.join();
  }
  ~server_fixture() { finish(); }
};

void make_unix_socket_file(std::string const& path, bool keep_listening, int& fd) {
  fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  auto a = address_of(path);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  if (keep_listening) {
    REQUIRE(::listen(fd, 4) == 0);
  } else {
    ::close(fd);  // the file stays behind: a stale socket, as after a crash
    fd = -1;
  }
}

}  // namespace

TEST_CASE("the socket is created 0660 (never world-writable) and removed on stop") {
  server_fixture f;
  REQUIRE_FALSE(f.start());
  struct stat st {};
  REQUIRE(::lstat(f.path().c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
  CHECK((st.st_mode & 0777) == 0660);
  CHECK((st.st_mode & 0002) == 0);
  f.finish();
  CHECK_FALSE(std::filesystem::exists(f.path()));
}

TEST_CASE("a stale socket file is replaced, a live socket or a regular file is left alone") {
  SECTION("stale socket from a previous run") {
    server_fixture f;
    int fd = -1;
    make_unix_socket_file(f.path(), false, fd);
    REQUIRE(std::filesystem::is_socket(f.path()));
    REQUIRE_FALSE(f.start());
    client c(f.path());
    REQUIRE(c.send(get_request("/healthz")));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  SECTION("a regular file at the path is not deleted") {
    server_fixture f;
    std::ofstream(f.path()) << "precious";
    auto err = f.start();
    REQUIRE(err);
    CHECK(err->find("not a socket") != std::string::npos);
    CHECK(err->find(f.path()) != std::string::npos);
    std::ifstream in(f.path());
    std::string text;
    in >> text;
    CHECK(text == "precious");
  }
  SECTION("a socket another process listens on is not stolen") {
    server_fixture f;
    int fd = -1;
    make_unix_socket_file(f.path(), true, fd);
    auto err = f.start();
    ::close(fd);
    REQUIRE(err);
    CHECK(err->find("another process is listening") != std::string::npos);
    CHECK(std::filesystem::is_socket(f.path()));
  }
  SECTION("a listener whose backlog is full is detected, not waited on") {
    server_fixture f;
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    auto a = address_of(f.path());
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 0) == 0);
    std::vector<int> pending;  // fill the backlog: never accepted
    for (int i = 0; i < 4; ++i) {
      int c = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
      ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
      pending.push_back(c);
    }
    auto err = f.start();
    for (int c : pending) ::close(c);
    ::close(fd);
    REQUIRE(err);
    CHECK(err->find("another process is listening") != std::string::npos);
  }
}

TEST_CASE("keep-alive: two requests on one connection, stored once") {
  server_fixture f;
  REQUIRE_FALSE(f.start());
  client c(f.path());
  REQUIRE(c.send(post_request("/v1/otp", otp_body())));
  auto first = c.read_response();
  REQUIRE(first);
  INFO(first->body);
  CHECK(first->status == 202);
  auto id = boost::json::parse(first->body).at("id").as_int64();
  REQUIRE(c.send(get_request("/v1/messages/" + std::to_string(id))));
  auto second = c.read_response();
  REQUIRE(second);
  CHECK(second->status == 200);
  CHECK(second->body.find(code) == std::string::npos);
  // Both requests in one write (pipelined): both answered, in order.
  REQUIRE(c.send(get_request("/healthz") + get_request("/v1/messages/999")));
  auto third = c.read_response();
  auto fourth = c.read_response();
  REQUIRE(third);
  REQUIRE(fourth);
  CHECK(third->status == 200);
  CHECK(fourth->status == 404);
  CHECK(f.stats().connections == 1);
  CHECK(f.stats().requests == 4);
  CHECK(f.stored() == 1);
}

TEST_CASE("a body over the limit gets 413 and nothing is stored") {
  server_fixture f;
  REQUIRE_FALSE(f.start());
  SECTION("Content-Length over the limit") {
    client c(f.path());
    std::string big = R"({"to":"081234567890","text":")" + std::string(5000, 'a') + "\"}";
    c.send(post_request("/v1/messages", big));  // the server may stop reading midway
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(r->body.find("too_large") != std::string::npos);
  }
  SECTION("chunked, growing past the limit") {
    client c(f.path());
    std::string req = "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 8; ++i) req += "200\r\n" + std::string(512, 'a') + "\r\n";
    c.send(req);
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 413);
  }
  SECTION("headers over the limit: 431 naming the header limit, not the body's") {
    client c(f.path());
    // 100 KB of header (issue 16: answered 413 "request larger than 16384 bytes").
    c.send("GET /healthz HTTP/1.1\r\nX-Big: " + std::string(100'000, 'h') + "\r\n\r\n");
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 431);
    CHECK(r->body.find("headers_too_large") != std::string::npos);
    CHECK(r->body.find("8192 bytes") != std::string::npos);
    CHECK(r->body.find(std::to_string(f.cfg.api.body_limit)) == std::string::npos);
  }
  CHECK(f.stored() == 0);
  CHECK(f.stats().too_large == 1);
}

TEST_CASE("a slow client gets 408, an idle keep-alive connection is just closed") {
  server_fixture f;
  REQUIRE_FALSE(f.start());
  SECTION("request begun, never finished") {
    client c(f.path());
    REQUIRE(c.send("POST /v1/otp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"to\":"));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 408);
    CHECK(r->header("Connection") == "close");
    CHECK(c.closed_by_server());
  }
  SECTION("headers trickling") {
    client c(f.path());
    REQUIRE(c.send("GET /healthz HTTP/1.1\r\nHo"));
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 408);
  }
  SECTION("idle after a complete request") {
    client c(f.path());
    REQUIRE(c.send(get_request("/healthz")));
    REQUIRE(c.read_response());
    CHECK(c.closed_by_server());  // after read_timeout, without a 408
  }
  CHECK(f.stored() == 0);
}

TEST_CASE("bad HTTP gets 400, clients closing mid-request never hurt the server") {
  server_fixture f;
  REQUIRE_FALSE(f.start());
  {
    client c(f.path());
    c.send("GARBAGE\r\n\r\n");
    auto r = c.read_response();
    REQUIRE(r);
    CHECK(r->status == 400);
  }
  auto const full = post_request("/v1/otp", otp_body());
  for (std::size_t cut : {std::size_t{0}, std::size_t{5}, std::size_t{30}, full.size() - 10, full.size()}) {
    for (int i = 0; i < 10; ++i) {
      client c(f.path());
      REQUIRE(c.connected());
      c.send(std::string_view(full).substr(0, cut));
      c.close();  // mid-request (or, at full size, before reading the answer)
    }
  }
  // Still serving.
  client c(f.path());
  REQUIRE(c.send(get_request("/healthz")));
  auto r = c.read_response();
  REQUIRE(r);
  CHECK(r->status == 200);
  // A request sent whole was stored whole or not at all (never a partial message).
  auto n = f.stored();
  CHECK(n <= 10);
}

TEST_CASE("connections are capped: past max_connections a new one gets 503, later ones work again") {
  server_fixture f;
  f.cfg.api.max_connections = 4;
  f.cfg.api.read_timeout = std::chrono::milliseconds(10'000);  // the held connections stay open
  REQUIRE_FALSE(f.start());
  std::vector<client> held;
  for (int i = 0; i < 4; ++i) {
    held.emplace_back(f.path());
    REQUIRE(held.back().send(get_request("/healthz")));  // answered = being served
    REQUIRE(held.back().read_response());
  }
  CHECK(f.active() == 4);
  client extra(f.path());
  auto r = extra.read_response();
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->body.find("too_many_connections") != std::string::npos);
  CHECK(extra.closed_by_server());
  CHECK(f.stats().rejected == 1);
  // Free the slots; the server sees the closes at once (EOF), then accepts again.
  for (auto& c : held) c.close();
  bool served = false;
  for (int attempt = 0; attempt < 100 && !served; ++attempt) {
    client c(f.path());
    c.send(get_request("/healthz"));
    auto again = c.read_response();
    served = again && again->status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(served);
}

TEST_CASE("a refused client that writes its request after the 503 arrived still writes it whole, then sees the close") {
  // The refused connection is read until the client closes: closing it with the request
  // unread would fail the client's write (EPIPE) or reset it before it reads the 503.
  server_fixture f;
  f.cfg.api.max_connections = 1;
  f.cfg.api.read_timeout = std::chrono::milliseconds(10'000);
  REQUIRE_FALSE(f.start());
  client held(f.path());
  REQUIRE(held.send(get_request("/healthz")));
  REQUIRE(held.read_response());
  client late(f.path());
  auto r = late.read_response();  // the 503 came before any request was written
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(late.send(post_request("/v1/otp", std::string(20'000, 'x'))));
  CHECK(late.closed_by_server());
  CHECK(f.stats().rejected == 1);
}

TEST_CASE("one uid is capped at max_connections_per_uid: its next connection gets 503 with Retry-After") {
  server_fixture f;
  f.cfg.api.max_connections = 8;
  f.cfg.api.max_connections_per_uid = 2;
  f.cfg.api.read_timeout = std::chrono::milliseconds(10'000);  // the held connections stay open
  REQUIRE_FALSE(f.start());
  std::vector<client> held;
  for (int i = 0; i < 2; ++i) {
    held.emplace_back(f.path());
    REQUIRE(held.back().send(get_request("/healthz")));
    auto r = held.back().read_response();
    REQUIRE(r);
    CHECK(r->status == 200);
  }
  CHECK(f.on_io([&] { return f.server->active_for(::getuid()); }) == 2);
  client extra(f.path());
  auto r = extra.read_response();
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(r->header("Retry-After") == "1");
  CHECK(r->body.find("too_many_connections") != std::string::npos);
  CHECK(r->body.find(fmt::format("from uid {}", ::getuid())) != std::string::npos);
  CHECK(r->body.find("max_connections_per_uid") != std::string::npos);
  CHECK(extra.closed_by_server());
  auto st = f.stats();
  CHECK(st.rejected == 1);
  CHECK(st.rejected_per_uid == 1);
  CHECK(f.active() == 2);  // below max_connections: only this uid was refused
  held.front().close();
  bool served = false;
  for (int attempt = 0; attempt < 100 && !served; ++attempt) {
    client c(f.path());
    c.send(get_request("/healthz"));
    auto again = c.read_response();
    served = again && again->status == 200;
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(served);
}

namespace {

/// Polls `done` every 20 ms for at most 10 s.
template <class F>
bool wait_for(F done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

/// This process out of file descriptors: RLIMIT_NOFILE's soft limit just above the highest
/// descriptor open, and every free one below it taken (by /dev/null duplicates), so the next
/// socket(), accept() or open() fails with EMFILE. Restored (limit and descriptors) by lift().
class out_of_descriptors {
 public:
  out_of_descriptors() {
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    int highest = 0;
    for (auto const& e : std::filesystem::directory_iterator("/proc/self/fd"))
      highest = std::max(highest, std::stoi(e.path().filename().string()));
    rlimit low = saved_;
    low.rlim_cur = static_cast<rlim_t>(highest + 1);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    for (int i = 0; i <= highest; ++i) {  // bounded: at most one per descriptor number
      int fd = ::dup(0);
      if (fd < 0) break;
      fillers_.push_back(fd);
    }
    int probe = ::dup(0);
    REQUIRE(probe < 0);
    REQUIRE(errno == EMFILE);
  }
  ~out_of_descriptors() { lift(); }
  void lift() {
    for (int fd : fillers_) ::close(fd);
    fillers_.clear();
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }

 private:
  rlimit saved_{};
  std::vector<int> fillers_;
};

}  // namespace

TEST_CASE("out of file descriptors: the accept loop pauses and reports once, then serves again") {
  // Issue 16: with more connections than descriptors the loop retried accept() at once, spun
  // at ~0.9 of a core and logged ~100,000 "Too many open files" lines a second. What is
  // counted here is accept attempts and log lines over a bounded second, not speed.
#if defined(__SANITIZE_ADDRESS__)
  // The sanitizers' runtime needs free descriptors itself (it probes memory through a pipe):
  // with none left, UBSan reports every virtual call as a bad vptr. The release stage runs
  // this test; e2e/fd_limit runs the real daemon against a low limit under the sanitizers too.
  WARN("not run under the sanitizers: they need free file descriptors themselves");
  return;
#endif
  log_capture logs;
  server_fixture f;
  REQUIRE_FALSE(f.start());
  constexpr int clients = 3;
  std::vector<int> fds;  // made before the limit is lowered: connect() needs no new descriptor
  for (int i = 0; i < clients; ++i) fds.push_back(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  for (int fd : fds) REQUIRE(fd >= 0);
  {
    out_of_descriptors emfile;
    auto a = address_of(f.path());
    for (int fd : fds) REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    // The connections wait in the backlog; the server cannot accept them for a second.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    auto st = f.stats();
    CHECK(st.accept_errors >= 1);
    CHECK(st.accept_errors <= 50);  // paused between attempts (spinning made tens of thousands)
    CHECK(st.connections == 0);
    emfile.lift();
  }
  // Descriptors again: the connections waiting in the backlog are accepted and served.
  REQUIRE(wait_for([&] { return f.stats().connections == clients; }));
  for (int fd : fds) {
    auto req = get_request("/healthz");
    REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
    pollfd p{fd, POLLIN, 0};
    REQUIRE(::poll(&p, 1, 10'000) == 1);
    char buf[64] = {};
    REQUIRE(::recv(fd, buf, sizeof buf - 1, 0) > 12);
    CHECK(std::string(buf).rfind("HTTP/1.1 200", 0) == 0);
    ::close(fd);
  }
  f.finish();
  std::size_t reports = 0, resumed = 0;
  for (auto const& l : logs.lines()) {
    if (l.find("Too many open files") != std::string::npos) ++reports;
    if (l.find("accepting again") != std::string::npos) ++resumed;
  }
  CHECK(reports == 1);  // one report per 10 s, with the count
  CHECK(resumed == 1);
}

TEST_CASE("no log line of the server holds the OTP code") {
  log_capture logs;
  server_fixture f;
  REQUIRE_FALSE(f.start());
  {
    client c(f.path());
    c.send(post_request("/v1/otp", otp_body()));
    REQUIRE(c.read_response());
    c.send(post_request("/v1/otp?code=" + std::string(code), otp_body()));
    REQUIRE(c.read_response());
    c.send(post_request("/v1/otp/" + std::string(code), otp_body()));
    REQUIRE(c.read_response());
    c.send("POST /v1/otp HTTP/1.1\r\nContent-Length: 3\r\nX-Code: " + std::string(code) + "\r\n\r\nabc");
    REQUIRE(c.read_response());
    c.send("BAD " + std::string(code) + "\r\n\r\n");
    c.read_response();
  }
  f.finish();
  CHECK(logs.lines().size() >= 3);
  CHECK(logs.lines_with(code).empty());
}
