// daemon/api/http_server.cpp: accept loop and per-connection request loop (keep-alive).
// Expected failures (peer closed, deadline, malformed or oversized request) are values:
// answered when possible (408 for a request begun but not finished in time, 413 for a body over
// body_limit, 431 for a request line + headers over 8 KiB, 400), then
// the connection closes after a bounded "lingering close" so the client can read the answer.
// Past max_connections, or past max_connections_per_uid for the caller's user id (read with
// SO_PEERCRED at accept and handed to every request), a new connection gets a 503 with
// Retry-After and the same bounded lingering close (at most 32 such at once, 1 s each; past
// that the 503 is written without waiting and the connection closed at once).
// Anything else is logged once per connection by the co_spawn completion handler and never
// stops the accept loop. A failed accept (EMFILE) pauses the loop, logged at most every 10 s.
#include "daemon/api/http_server.hpp"

#include "daemon/api/batch_api.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <array>
#include <string_view>
#include <tuple>
#include <filesystem>
#include <sstream>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/api/event_stream.hpp"
#include "daemon/api/event_wake.hpp"

namespace smsgw {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using local = asio::local::stream_protocol;

/// The request line and headers together (Beast's parser counts both): 431 beyond.
constexpr std::size_t header_limit = 8 * 1024;
/// The per-uid count of callers whose uid the kernel did not give.
constexpr std::uint32_t unknown_uid = 0xffffffff;
/// Refused connections whose request is read before the close (see linger_rejected), at
/// once; past this, a refusal closes at once. And how long each may take.
constexpr std::size_t max_lingering_rejects = 32;
constexpr std::chrono::milliseconds reject_linger{1000};

http_server::http_server(asio::any_io_executor ex, api_settings settings, api_deps& deps)
    : executor_(ex), settings_(std::move(settings)), deps_(deps), acceptor_(ex), accept_pause_(ex) {}

http_server::~http_server() = default;

std::optional<std::string> http_server::listen() {
  auto const& path = settings_.socket_path;
  struct stat st {};
  boost::system::error_code ec;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return fmt::format("{}: exists and is not a socket; not removing it", path);
    // A socket someone still accepts on belongs to a running daemon: never steal it.
    // Non-blocking: a listener with a full backlog makes connect() fail with EAGAIN, not hang.
    local::socket probe(executor_);
    probe.open(local(), ec);
    if (!ec) probe.non_blocking(true, ec);
    if (!ec) probe.connect(local::endpoint(path), ec);
    if (!ec || ec == asio::error::would_block || ec == asio::error::try_again)
      return fmt::format("{}: another process is listening on it", path);
    ::unlink(path.c_str());  // stale socket of a previous run
  }
  // Create it with no permissions for others from the first instant, then set the mode.
  auto old_mask = ::umask(0777 & ~settings_.socket_mode & 0777);
  acceptor_.open(local(), ec);
  if (!ec) acceptor_.bind(local::endpoint(path), ec);
  ::umask(old_mask);
  if (ec) return fmt::format("bind {}: {}", path, ec.message());
  if (::chmod(path.c_str(), static_cast<mode_t>(settings_.socket_mode)) != 0)
    return fmt::format("chmod {:o} {}: {}", settings_.socket_mode, path, std::strerror(errno));
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fmt::format("listen {}: {}", path, ec.message());
  return std::nullopt;
}

void http_server::stop() {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  accept_pause_.cancel();
  ::unlink(settings_.socket_path.c_str());
  if (auto* streams = deps_.event_streams()) streams->close();  // each sends `event: shutdown`
}

asio::awaitable<void> http_server::run() {
  // Out of file descriptors (EMFILE, ENFILE) or memory, accept() fails and leaves the
  // connection in the backlog, so the socket is readable again at once: retrying at once
  // spins a core and writes ~100,000 log lines a second. So: pause (10 ms, doubling to 1 s)
  // and report at most once per report_interval, with the count since the last report.
  constexpr auto first_pause = std::chrono::milliseconds(10), max_pause = std::chrono::milliseconds(1000);
  constexpr auto report_interval = std::chrono::seconds(10);
  std::chrono::milliseconds pause{0};
  std::uint64_t unreported = 0, failing = 0;
  std::optional<std::chrono::steady_clock::time_point> last_report;
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      ++stats_.accept_errors;
      ++unreported;
      ++failing;
      auto now = std::chrono::steady_clock::now();
      if (!last_report || now - *last_report >= report_interval) {
        spdlog::warn("accept {}: {} ({} failed accept(s) since the last report); pausing accepts, "
                     "next report in {} s at the earliest",
                     settings_.socket_path, ec.message(), unreported, report_interval.count());
        last_report = now;
        unreported = 0;
      }
      pause = pause.count() == 0 ? first_pause : std::min(pause * 2, max_pause);
      accept_pause_.expires_after(pause);
      co_await accept_pause_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (failing > 0) {
      spdlog::info("accept {}: accepting again after {} failed accept(s)", settings_.socket_path, failing);
      failing = 0;
      unreported = 0;
      pause = std::chrono::milliseconds(0);
    }
    ++stats_.connections;
    if (active_ >= settings_.max_connections) {
      reject(socket, fmt::format("more than {} open connections", settings_.max_connections));
      continue;
    }
    auto peer = read_peer_credentials(socket.native_handle());
    if (active_for(peer.uid.value_or(unknown_uid)) >= settings_.max_connections_per_uid) {
      ++stats_.rejected_per_uid;
      reject(socket, fmt::format("more than {} open connections from uid {} ([api] max_connections_per_uid)",
                                 settings_.max_connections_per_uid,
                                 peer.uid ? std::to_string(*peer.uid) : std::string("unknown")));
      continue;
    }
    // Counted now, not when serve() starts (co_spawn runs it later): the next accept, maybe
    // already waiting in the backlog, must see this one.
    ++active_;
    ++active_per_uid_[peer.uid.value_or(unknown_uid)];
    asio::co_spawn(executor_, serve(std::move(socket), std::move(peer)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (std::exception const& ex) {
        spdlog::error("http connection: {}", ex.what());
      }
    });
  }
}

std::size_t http_server::active_for(std::uint32_t uid) const noexcept {
  auto it = active_per_uid_.find(uid);
  return it == active_per_uid_.end() ? 0 : it->second;
}

void http_server::reject(local::socket& socket, std::string const& why) {
  ++stats_.rejected;
  auto res = error_response(11, false, 503, "too_many_connections", why);
  res.set(http::field::retry_after, "1");
  if (lingering_rejects_ < max_lingering_rejects) {
    ++lingering_rejects_;  // now, not when the coroutine starts: the next accept must see it
    asio::co_spawn(executor_, linger_rejected(std::move(socket), std::move(res)), asio::detached);
    return;
  }
  // Past the bound, written without waiting (a fresh socket's buffer takes ~200 bytes) and
  // closed: a flood of connections costs no coroutine each. Such a client may see the 503 or
  // just the close.
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  std::ostringstream out;
  out << res;
  auto text = out.str();
  socket.write_some(asio::buffer(text), ec);
  socket.shutdown(local::socket::shutdown_send, ec);
  socket.close(ec);
}

namespace {

/// Cancels a socket's pending operations when a deadline passes. Unlike beast::basic_stream's
/// expiry it does not close the socket, so a 408 can still be written. A generation number
/// ignores a stale expiry that was already queued when the watchdog was re-armed.
class watchdog {
 public:
  explicit watchdog(local::socket& s) : socket_(s), timer_(s.get_executor()) {}
  void arm(std::chrono::milliseconds d) {
    expired_ = false;
    timer_.expires_after(d);
    timer_.async_wait([this, gen = ++generation_](boost::system::error_code ec) {
      if (ec || gen != generation_) return;  // cancelled (maybe destroyed): touch nothing
      expired_ = true;
      socket_.cancel(ec);
    });
  }
  void disarm() {
    ++generation_;
    timer_.cancel();
  }
  bool expired() const noexcept { return expired_; }

 private:
  local::socket& socket_;
  asio::steady_timer timer_;
  std::uint64_t generation_ = 0;
  bool expired_ = false;
};

/// Sends an error answer then reads (and drops) what the client is still sending, bounded in
/// bytes and time: closing a Unix socket with unread input resets it and the client could
/// lose the answer (e.g. a 413 while it is still writing the body).
asio::awaitable<void> answer_and_close(local::socket& socket, watchdog& dog, http_response res,
                                       std::chrono::milliseconds deadline) {
  dog.arm(deadline);
  auto [wec, wn] = co_await http::async_write(socket, res, asio::as_tuple(asio::use_awaitable));
  if (wec) co_return;
  boost::system::error_code ec;
  socket.shutdown(local::socket::shutdown_send, ec);
  std::array<char, 4096> sink;
  for (std::size_t drained = 0; drained < (1u << 20);) {
    auto [rec, n] = co_await socket.async_read_some(asio::buffer(sink), asio::as_tuple(asio::use_awaitable));
    if (rec) break;
    drained += n;
  }
  dog.disarm();
}

}  // namespace

asio::awaitable<void> http_server::linger_rejected(local::socket socket, http_response res) {
  // The refused client has usually written its request already, or is writing it: the 503 is
  // sent, then its input read and dropped (bounded, as for any error answer) until it closes.
  // Closing at once with its request unread would reset the connection or fail its write
  // (EPIPE) before it reads the 503. reject() counted it in lingering_rejects_.
  struct release {
    std::size_t& count;
    ~release() { --count; }
  } on_exit{lingering_rejects_};
  watchdog dog(socket);
  co_await answer_and_close(socket, dog, std::move(res), reject_linger);
}

asio::awaitable<void> http_server::serve(local::socket socket, peer_credentials peer) {
  // run() counted this connection in active_ and active_per_uid_; the guard uncounts it.
  auto const uid = peer.uid.value_or(unknown_uid);
  struct guard {
    http_server& server;
    std::uint32_t uid;
    ~guard() {
      --server.active_;
      auto it = server.active_per_uid_.find(uid);
      if (it != server.active_per_uid_.end() && --it->second == 0) server.active_per_uid_.erase(it);
    }
  } g{*this, uid};
  watchdog dog(socket);
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    // The header is read with the larger limit of POST /v1/messages/batch (up to 1,000
    // messages, daemon/api/batch_api.hpp; Beast checks a Content-Length when the header ends),
    // then every other path gets [api] body_limit before its body is read.
    std::size_t body_limit = std::max(settings_.body_limit, batch_body_limit);
    parser.body_limit(body_limit);
    parser.header_limit(header_limit);
    dog.arm(settings_.read_timeout);
    auto [ec, n] = co_await http::async_read_header(socket, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (!ec) {
      auto const target = parser.get().target();
      if (std::string_view(target.data(), target.size()) != batch_path) {
        body_limit = settings_.body_limit;
        parser.body_limit(body_limit);  // chunked bodies: counted as they come
        if (parser.content_length() && *parser.content_length() > body_limit)
          ec = http::error::body_limit;
      }
      if (!ec && !parser.is_done())
        std::tie(ec, n) = co_await http::async_read(socket, buffer, parser, asio::as_tuple(asio::use_awaitable));
    }
    dog.disarm();
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == http::error::partial_message)
      break;  // the client closed, between requests or in the middle of one: no one to answer
    std::optional<http_response> early;
    if (ec && dog.expired()) {
      ++stats_.timeouts;
      // An idle keep-alive connection just closes; a request begun but not finished gets 408.
      if (!parser.got_some() && buffer.size() == 0) break;
      early = error_response(11, false, 408, "request_timeout",
                             fmt::format("request not complete within {} ms", settings_.read_timeout.count()));
    } else if (ec == http::error::header_limit) {
      ++stats_.too_large;
      early = error_response(11, false, 431, "headers_too_large",
                             fmt::format("request line and headers larger than {} bytes", header_limit));
    } else if (ec == http::error::body_limit) {
      ++stats_.too_large;
      early = error_response(11, false, 413, "too_large",
                             fmt::format("request body larger than {} bytes", body_limit));
    } else if (ec) {
      ++stats_.bad_requests;
      early = error_response(11, false, 400, "bad_http", ec.message());
    }
    if (early) {
      co_await answer_and_close(socket, dog, std::move(*early), settings_.read_timeout);
      break;
    }
    ++stats_.requests;
    if (is_event_stream_request(parser.get())) {
      // GET /v1/events: the connection carries the stream until it ends (no read deadline).
      co_await serve_event_stream(socket, parser.get(), deps_, event_streams_);
      break;
    }
    auto res = co_await handle_request(parser.get(), deps_, peer);
    if (stopping_) res.keep_alive(false);
    dog.arm(settings_.read_timeout);
    auto [wec, wn] = co_await http::async_write(socket, res, asio::as_tuple(asio::use_awaitable));
    dog.disarm();
    if (wec || !res.keep_alive()) break;
  }
  boost::system::error_code ignore;
  socket.shutdown(local::socket::shutdown_send, ignore);
}

}  // namespace smsgw
