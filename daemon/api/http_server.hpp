// daemon/api/http_server.hpp: HTTP/1.1 over a Unix stream socket (Boost.Beast), feeding
// handle_request(). Removes a stale socket path before bind, chmods the socket (0660 by
// default: never world-writable), refuses to remove a non-socket file or a socket another
// process still listens on, bounds every request (parser body/header limits, a read deadline)
// and answers 413 (body), 431 (headers over 8 KiB), 400 or 408 before closing; at most
// max_connections at once (503 past it), and at most max_connections_per_uid of one user id
// (the caller's credentials, SO_PEERCRED, are read at accept: one client cannot hold them all).
// A failed accept (out of file descriptors) pauses the accept loop (10 ms doubling to 1 s)
// and is logged at most once per 10 s, instead of spinning a core and flooding the log.
// One coroutine per connection. GET /v1/events is handed to serve_event_stream()
// (daemon/api/event_stream.hpp): the connection then carries that stream, without the read
// deadline; stop() ends the streams (event: shutdown).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/config/config.hpp"
#include "daemon/api/http_api.hpp"
#include "daemon/api/peer_credentials.hpp"

namespace smsgw {

struct http_server_stats {
  std::uint64_t connections = 0, requests = 0, bad_requests = 0, too_large = 0, timeouts = 0;
  std::uint64_t rejected = 0;  ///< connections refused (503) past api_settings::max_connections
  std::uint64_t rejected_per_uid = 0;  ///< of those, refused past max_connections_per_uid
  std::uint64_t accept_errors = 0;  ///< failed accepts (EMFILE...): each followed by a pause
};

class http_server {
 public:
  /// `deps` must outlive the server. Call everything on `ex`.
  http_server(boost::asio::any_io_executor ex, api_settings settings, api_deps& deps);
  ~http_server();

  /// Binds and listens on settings.socket_path; returns what went wrong, or nullopt.
  std::optional<std::string> listen();
  /// Accepts until stop(); each connection runs as its own coroutine.
  boost::asio::awaitable<void> run();
  /// Stops accepting and removes the socket path; connections end after their current request,
  /// event streams at once (after their `shutdown` event).
  void stop();
  /// Connections still open.
  std::size_t active() const noexcept { return active_; }
  /// GET /v1/events streams open (counted in active() too).
  std::size_t event_streams() const noexcept { return event_streams_; }
  /// Connections open from user id `uid`.
  std::size_t active_for(std::uint32_t uid) const noexcept;
  http_server_stats const& stats() const noexcept { return stats_; }

 private:
  boost::asio::awaitable<void> serve(boost::asio::local::stream_protocol::socket socket,
                                     peer_credentials peer);
  void reject(boost::asio::local::stream_protocol::socket& socket, std::string const& why);
  boost::asio::awaitable<void> linger_rejected(boost::asio::local::stream_protocol::socket socket,
                                               http_response res);

  boost::asio::any_io_executor executor_;
  api_settings settings_;
  api_deps& deps_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  /// After a failed accept (out of descriptors: the connection stays in the backlog and the
  /// next accept would fail at once), the loop waits on this before trying again.
  boost::asio::steady_timer accept_pause_;
  bool stopping_ = false;
  std::size_t active_ = 0;
  std::size_t event_streams_ = 0;
  std::size_t lingering_rejects_ = 0;  ///< refused connections still being read before the close
  /// Open connections per user id (callers whose uid is unknown count under uint32 max).
  std::unordered_map<std::uint32_t, std::size_t> active_per_uid_;
  http_server_stats stats_;
};

}  // namespace smsgw
