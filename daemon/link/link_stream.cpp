// daemon/link/link_stream.cpp: opening a link's TCP/TLS stream under deadlines (see link_stream.hpp).
// Deadlines use the awaitable `||` operator against a timer: the loser is cancelled through
// its cancellation slot (connect and the TLS handshake support it). A numeric host skips the
// resolver, whose getaddrinfo cannot be interrupted.
#include "daemon/link/link_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace smsgw {

using namespace asio::experimental::awaitable_operators;
namespace ssl = asio::ssl;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::shared_ptr<ssl::context> make_tls_context(tls_config const& tls, std::string& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  error_code ec;
  std::string_view what;
  if (!tls.ca_file.empty()) {
    ctx->load_verify_file(tls.ca_file, ec);
    what = "tls.ca_file";
  } else {
    ctx->set_default_verify_paths(ec);
    what = "default CA store";
  }
  if (!ec && !tls.cert_file.empty()) {
    ctx->use_certificate_chain_file(tls.cert_file, ec);
    what = "tls.cert_file";
    if (!ec) {
      ctx->use_private_key_file(tls.key_file, ssl::context::pem, ec);
      what = "tls.key_file";
    }
  }
  if (ec) {
    std::string_view file = what == "tls.ca_file"     ? tls.ca_file
                            : what == "tls.cert_file" ? tls.cert_file
                            : what == "tls.key_file"  ? tls.key_file
                                                      : std::string_view{};
    error = fmt::format("{} {}: {}", what, file, ec.message());
    return nullptr;
  }
  return ctx;
}

asio::awaitable<std::tuple<error_code, std::size_t>> link_stream::read_some(
    asio::mutable_buffer buf) {
  if (auto* tls = std::get_if<1>(&stream_)) co_return co_await tls->async_read_some(buf, use_tuple);
  co_return co_await std::get<0>(stream_).async_read_some(buf, use_tuple);
}

asio::awaitable<std::tuple<error_code, std::size_t>> link_stream::write(asio::const_buffer buf) {
  if (auto* tls = std::get_if<1>(&stream_)) co_return co_await asio::async_write(*tls, buf, use_tuple);
  co_return co_await asio::async_write(std::get<0>(stream_), buf, use_tuple);
}

tcp::socket& link_stream::socket() noexcept {
  if (auto* tls = std::get_if<1>(&stream_)) return tls->next_layer();
  return std::get<0>(stream_);
}
tcp::socket const& link_stream::socket() const noexcept {
  if (auto const* tls = std::get_if<1>(&stream_)) return tls->next_layer();
  return std::get<0>(stream_);
}

void link_stream::close() noexcept {
  error_code ignored;
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

bool link_stream::is_open() const noexcept { return socket().is_open(); }

namespace {

/// Runs `op` unless `timeout` passes first; nullopt on timeout (op is then cancelled).
template <typename T>
asio::awaitable<std::optional<T>> within(std::chrono::milliseconds timeout, asio::awaitable<T> op) {
  asio::steady_timer timer(co_await asio::this_coro::executor, timeout);
  auto r = co_await (std::move(op) || timer.async_wait(use_tuple));
  if (r.index() == 0) co_return std::get<0>(std::move(r));
  co_return std::nullopt;
}

std::string endpoint_text(tcp::endpoint const& ep) {
  if (ep.address().is_v6()) return fmt::format("[{}]:{}", ep.address().to_string(), ep.port());
  return fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

asio::awaitable<std::tuple<error_code, tcp::resolver::results_type>> resolve(
    std::string const& host, std::uint16_t port) {
  auto ex = co_await asio::this_coro::executor;
  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (!ec) {  // numeric: no resolver thread, nothing that cannot be cancelled
    co_return std::tuple{error_code{}, tcp::resolver::results_type::create(
                                           tcp::endpoint(address, port), host, std::to_string(port))};
  }
  tcp::resolver resolver(ex);
  co_return co_await resolver.async_resolve(host, std::to_string(port), use_tuple);
}

/// TLS on top of a connected socket: SNI (host names only, never IP literals, RFC 6066),
/// verify_peer + host-name verification unless verify is off, handshake under a deadline.
asio::awaitable<open_result> handshake(tcp::socket socket, stream_params const& p,
                                       open_result result) {
  ssl::stream<tcp::socket> tls(std::move(socket), *p.tls_context);
  std::string const& name = p.tls->server_name.empty() ? p.host : p.tls->server_name;
  error_code not_ip;
  asio::ip::make_address(name, not_ip);
  if (not_ip && !SSL_set_tlsext_host_name(tls.native_handle(), name.c_str())) {
    result.op = "tls_sni";
    result.ec = error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
    co_return result;
  }
  if (p.tls->verify) {
    tls.set_verify_mode(ssl::verify_peer);
    tls.set_verify_callback(ssl::host_name_verification(name));
  } else {
    tls.set_verify_mode(ssl::verify_none);
  }
  auto hs = co_await within(p.handshake_timeout,
                            tls.async_handshake(ssl::stream_base::client, use_tuple));
  result.op = "tls_handshake";
  if (!hs) {
    result.ec = asio::error::timed_out;
  } else if (auto [ec] = *hs; ec) {
    result.ec = ec;
  } else {
    result.op.clear();
    result.stream.emplace(std::move(tls));
  }
  co_return result;
}

}  // namespace

asio::awaitable<open_result> open_stream(stream_params const& p) {
  auto ex = co_await asio::this_coro::executor;
  open_result result;
  result.peer = fmt::format("{}:{}", p.host, p.port);
  auto resolved = co_await within(p.connect_timeout, resolve(p.host, p.port));
  result.op = "resolve";
  if (!resolved || std::get<0>(*resolved)) {
    result.ec = resolved ? std::get<0>(*resolved) : error_code(asio::error::timed_out);
    co_return result;
  }
  tcp::socket socket(ex);
  auto connected = co_await within(
      p.connect_timeout, asio::async_connect(socket, std::get<1>(*resolved), use_tuple));
  result.op = "connect";
  if (!connected || std::get<0>(*connected)) {
    result.ec = connected ? std::get<0>(*connected) : error_code(asio::error::timed_out);
    co_return result;
  }
  result.peer = endpoint_text(std::get<1>(*connected));
  // Small PDUs must leave at once: Nagle + the peer's delayed ACK stall a window ~40 ms.
  socket.set_option(tcp::no_delay(true), result.ec);
  if (result.ec) {
    result.op = "set_option(TCP_NODELAY)";
    co_return result;
  }
  if (p.tls != nullptr && p.tls->enabled) co_return co_await handshake(std::move(socket), p, std::move(result));
  result.op.clear();
  result.stream.emplace(std::move(socket));
  co_return result;
}

}  // namespace smsgw
