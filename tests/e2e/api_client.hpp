// tests/e2e/api_client.hpp: a blocking HTTP/1.1 client for smsgw's Unix-socket API (Beast),
// one connection per request. Transport failures are values (`ok == false`, `error` says
// why), because the durability tests kill the daemon mid-request on purpose.
// Every request is bounded by `timeout` (the io_context runs for that long at most).
// The Beast code lives in api_client.cpp, compiled once for every test that uses it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <boost/json.hpp>  // the tests build and read JSON with it

namespace smsgw::e2e {

struct api_reply {
  bool ok = false;         ///< a whole response arrived
  std::string error;       ///< transport failure, when !ok
  int status = 0;          ///< HTTP status
  boost::json::value body; ///< parsed JSON body (null if not JSON)
  std::string raw;         ///< the body as received

  /// body[key] as an object member, or null.
  boost::json::value const& at(std::string_view key) const;
};

class api_client {
 public:
  explicit api_client(std::string socket_path, std::chrono::seconds timeout = std::chrono::seconds(30))
      : path_(std::move(socket_path)), timeout_(timeout) {}

  api_reply post(std::string const& target, boost::json::object const& body) const;
  api_reply get(std::string const& target) const;
  /// DELETE; `operator_name` (not empty) is sent as the X-Operator header.
  api_reply del(std::string const& target, std::string const& operator_name = {}) const;
  /// POST with an empty JSON object; `operator_name` as for del().
  api_reply post_control(std::string const& target, std::string const& operator_name = {}) const;

  /// True if a connection to the socket succeeds now (the daemon is accepting).
  bool connectable() const;

 private:
  enum class method { get, post, delete_ };
  api_reply call(method m, std::string const& target, std::string body,
                 std::string const& operator_name = {}) const;

  std::string path_;
  std::chrono::seconds timeout_;
};

}  // namespace smsgw::e2e
