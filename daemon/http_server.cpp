// daemon/http_server.cpp: accept loop and per-connection request loop (keep-alive).
// Expected failures (peer closed, deadline, malformed or oversized request) are values:
// answered when possible, then the connection closes. Anything else is logged once per
// connection by the co_spawn completion handler and never stops the accept loop.
#include "daemon/http_server.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace smsgw {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using local = asio::local::stream_protocol;

http_server::http_server(asio::any_io_executor ex, api_settings settings, api_deps& deps)
    : executor_(ex), settings_(std::move(settings)), deps_(deps), acceptor_(ex) {}

http_server::~http_server() = default;

std::optional<std::string> http_server::listen() {
  auto const& path = settings_.socket_path;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return fmt::format("{}: exists and is not a socket; not removing it", path);
    ::unlink(path.c_str());  // stale socket of a previous run
  }
  boost::system::error_code ec;
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
  ::unlink(settings_.socket_path.c_str());
}

asio::awaitable<void> http_server::run() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      spdlog::warn("accept {}: {}", settings_.socket_path, ec.message());
      continue;
    }
    ++stats_.connections;
    asio::co_spawn(executor_, serve(std::move(socket)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (std::exception const& ex) {
        spdlog::error("http connection: {}", ex.what());
      }
    });
  }
}

asio::awaitable<void> http_server::serve(local::socket socket) {
  ++active_;
  struct guard {
    std::size_t& n;
    ~guard() { --n; }
  } g{active_};
  beast::basic_stream<local, asio::any_io_executor> stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(settings_.body_limit);
    parser.header_limit(8 * 1024);
    stream.expires_after(settings_.read_timeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) break;
    std::optional<http_response> early;
    if (ec == beast::error::timeout) {
      ++stats_.timeouts;
      break;  // the peer is too slow or gone: nothing useful to answer
    } else if (ec == http::error::body_limit || ec == http::error::header_limit) {
      ++stats_.too_large;
      early = error_response(11, false, 413, "too_large",
                             fmt::format("request larger than {} bytes", settings_.body_limit));
    } else if (ec) {
      ++stats_.bad_requests;
      early = error_response(11, false, 400, "bad_http", ec.message());
    }
    if (early) {
      stream.expires_after(settings_.read_timeout);
      co_await http::async_write(stream, *early, asio::as_tuple(asio::use_awaitable));
      break;
    }
    ++stats_.requests;
    stream.expires_never();
    auto res = co_await handle_request(parser.get(), deps_);
    if (stopping_) res.keep_alive(false);
    stream.expires_after(settings_.read_timeout);
    auto [wec, wn] = co_await http::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
    if (wec || !res.keep_alive()) break;
  }
  boost::system::error_code ignore;
  stream.socket().shutdown(local::socket::shutdown_send, ignore);
}

}  // namespace smsgw
