// tools/smsgwctl/ctl_client.hpp: smsgwctl's HTTP/1.1 client over smsgw's Unix socket: one
// connection per request (Beast), and an SSE reader for GET /v1/events. Transport failures
// are values: a failed connect (exit 3) is told apart from a broken answer (exit 4).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

namespace smsgwctl {

struct http_reply {
  enum class failure { none, connect, transport };
  failure failed = failure::none;
  std::string error;        ///< when failed: what went wrong, for the user
  int status = 0;
  std::string body;
  boost::json::value json;  ///< the body parsed, null if it is not JSON
};

/// "cannot connect to PATH: no such file or directory (is smsgw running? see --socket)".
std::string connect_error_text(std::string const& path, std::string const& why);

class ctl_client {
 public:
  explicit ctl_client(std::string socket_path, std::chrono::seconds timeout = std::chrono::seconds(60))
      : path_(std::move(socket_path)), timeout_(timeout) {}

  /// One request; `body` is sent as JSON when not empty; `operator_name` as X-Operator.
  http_reply request(std::string const& method, std::string const& target, std::string const& body = {},
                     std::string const& operator_name = {}) const;

  std::string const& path() const { return path_; }

 private:
  std::string path_;
  std::chrono::seconds timeout_;
};

/// One Server-Sent Event (a block of `id:`, `event:`, `data:` lines).
struct sse_event {
  std::optional<std::string> id;
  std::string event = "message";
  std::string data;
};

/// A GET /v1/events stream read line by line from a blocking socket.
class sse_stream {
 public:
  explicit sse_stream(std::string socket_path) : path_(std::move(socket_path)) {}
  ~sse_stream();
  sse_stream(sse_stream const&) = delete;
  sse_stream& operator=(sse_stream const&) = delete;

  /// Connects and reads the response head. A non-200 answer is returned whole (status, body)
  /// and the stream is closed; 200 leaves it open for next().
  http_reply open(std::string const& target, std::optional<long long> last_event_id);

  /// The next event; nullopt when the stream ended or failed (`ended_error()` says why,
  /// empty on a clean end) or when nothing at all came for `idle` (a dead connection).
  std::optional<sse_event> next(std::chrono::seconds idle);
  std::string const& ended_error() const { return end_error_; }
  void close();

 private:
  bool read_more(std::chrono::seconds idle);
  std::string path_;
  int fd_ = -1;
  std::string buf_;
  std::string end_error_;
};

}  // namespace smsgwctl
