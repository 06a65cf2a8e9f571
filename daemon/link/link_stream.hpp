// daemon/link/link_stream.hpp: the byte stream under one SMPP link: plain TCP or TLS over TCP,
// opened with every step under a deadline (resolve + connect, TLS handshake) and
// TCP_NODELAY set, plus the TLS client context built from a carrier's tls_config.
// Design decision: a small variant wrapper instead of templating the whole link on the
// stream type, so smsc_link.cpp is compiled once; the per-call dispatch costs nothing visible.
// TLS defaults are strict: verify_peer, SNI, host-name verification.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <variant>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/system/error_code.hpp>

#include "daemon/link/carrier_config.hpp"

namespace smsgw {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

/// Builds the TLS client context for one carrier: TLS >= 1.2, the CA file (or the system
/// store), the optional client certificate + key. nullptr and `error` set ("tls.ca_file
/// /etc/x.pem: No such file or directory") when a file cannot be loaded.
std::shared_ptr<asio::ssl::context> make_tls_context(tls_config const& tls, std::string& error);

/// A connected TCP or TLS stream. One read and one write may be outstanding at a time.
class link_stream {
 public:
  explicit link_stream(tcp::socket socket) : stream_(std::move(socket)) {}
  explicit link_stream(asio::ssl::stream<tcp::socket> tls) : stream_(std::move(tls)) {}

  /// Reads at least one byte; errors (EOF, reset, cancellation) are returned, never thrown.
  asio::awaitable<std::tuple<error_code, std::size_t>> read_some(asio::mutable_buffer buf);
  /// Writes the whole buffer; errors are returned, never thrown.
  asio::awaitable<std::tuple<error_code, std::size_t>> write(asio::const_buffer buf);
  /// Closes the TCP socket at once (pending operations complete with operation_aborted).
  void close() noexcept;
  bool is_open() const noexcept;
  bool is_tls() const noexcept { return stream_.index() == 1; }

 private:
  tcp::socket& socket() noexcept;
  tcp::socket const& socket() const noexcept;
  std::variant<tcp::socket, asio::ssl::stream<tcp::socket>> stream_;
};

/// Where and how to open one link's stream.
struct stream_params {
  std::string host;
  std::uint16_t port = 0;
  tls_config const* tls = nullptr;                        ///< nullptr or !enabled: plain TCP
  std::shared_ptr<asio::ssl::context> tls_context;        ///< required when TLS is enabled
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds handshake_timeout{10000};
};

/// The outcome of open_stream: a stream, or the failed operation and its error.
struct open_result {
  std::optional<link_stream> stream;
  std::string peer;  ///< "127.0.0.1:2775" once connected, else "host:port"
  std::string op;    ///< "resolve", "connect", "tls_handshake" when it failed
  error_code ec;     ///< asio::error::timed_out when a deadline passed
};

/// Resolves, connects (trying each address), sets TCP_NODELAY and, for TLS, sets SNI and
/// host-name verification and performs the handshake, each step under its deadline.
asio::awaitable<open_result> open_stream(stream_params const& params);

}  // namespace smsgw
