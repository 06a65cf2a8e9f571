// tools/smsgwctl/unix_http.hpp: HTTP/1.1 to smsgw's Unix socket (Boost.Beast), for smsgwctl: one
// request and its whole answer (bounded by a timeout), or a Server-Sent Events stream read
// line by line. A socket that cannot be reached is a value saying why (missing, refused,
// permission denied), which smsgwctl turns into its "cannot connect" exit code.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <boost/beast/http/verb.hpp>

namespace smsgw::ctl {

struct http_reply {
  int status = 0;
  std::string body;
};

/// Why nothing could be asked: `connect` true if the socket could not be reached at all.
struct transport_error {
  bool connect = false;
  std::string message;  ///< "no such file", "connection refused", "timed out reading", ...
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/// One request (JSON body if not empty); the answer, or what went wrong.
std::variant<http_reply, transport_error> call(std::string const& socket_path,
                                               boost::beast::http::verb method,
                                               std::string const& target, std::string const& body,
                                               header_list const& headers,
                                               std::chrono::seconds timeout);

/// GET `target` as an event stream: the status and, if it is 200, each line of the body as it
/// comes (`on_line` returns false to stop); an error answer's body is in the reply. Returns
/// when the server closes or on_line says stop.
std::variant<http_reply, transport_error> stream(std::string const& socket_path, std::string const& target,
                                                 header_list const& headers,
                                                 std::function<bool(std::string const&)> const& on_line);

}  // namespace smsgw::ctl
