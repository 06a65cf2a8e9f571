// tests/e2e/api_client.hpp: a blocking HTTP/1.1 client for smsgw's Unix-socket API (Beast),
// one connection per request. Transport failures are values (`ok == false`, `error` says
// why), because the durability tests kill the daemon mid-request on purpose.
// Every request is bounded by `timeout` (the io_context runs for that long at most).
#pragma once

#include <chrono>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>

namespace smsgw::e2e {

struct api_reply {
  bool ok = false;         ///< a whole response arrived
  std::string error;       ///< transport failure, when !ok
  int status = 0;          ///< HTTP status
  boost::json::value body; ///< parsed JSON body (null if not JSON)
  std::string raw;         ///< the body as received

  /// body[key] as an object member, or null.
  boost::json::value const& at(std::string_view key) const {
    static boost::json::value const null;
    if (!body.is_object()) return null;
    auto const* v = body.as_object().if_contains(key);
    return v ? *v : null;
  }
};

class api_client {
 public:
  explicit api_client(std::string socket_path, std::chrono::seconds timeout = std::chrono::seconds(30))
      : path_(std::move(socket_path)), timeout_(timeout) {}

  api_reply post(std::string const& target, boost::json::object const& body) const {
    return call(boost::beast::http::verb::post, target, boost::json::serialize(body));
  }
  api_reply get(std::string const& target) const {
    return call(boost::beast::http::verb::get, target, "");
  }
  /// DELETE; `operator_name` (not empty) is sent as the X-Operator header.
  api_reply del(std::string const& target, std::string const& operator_name = {}) const {
    return call(boost::beast::http::verb::delete_, target, "", operator_name);
  }
  /// POST with an empty JSON object; `operator_name` as for del().
  api_reply post_control(std::string const& target, std::string const& operator_name = {}) const {
    return call(boost::beast::http::verb::post, target, "{}", operator_name);
  }

  /// True if a connection to the socket succeeds now (the daemon is accepting).
  bool connectable() const {
    boost::asio::io_context io;
    boost::asio::local::stream_protocol::socket s(io);
    boost::system::error_code ec;
    s.open(boost::asio::local::stream_protocol(), ec);
    if (!ec) s.non_blocking(true, ec);  // a full backlog answers EAGAIN instead of blocking
    if (!ec) s.connect(boost::asio::local::stream_protocol::endpoint(path_), ec);
    return !ec;
  }

 private:
  // Async operations driven by run_for(): a blocking Asio read ignores SO_RCVTIMEO (it
  // polls without a timeout after EAGAIN), and a daemon whose loop hangs must fail the
  // test, not hang it.
  api_reply call(boost::beast::http::verb verb, std::string const& target, std::string body,
                 std::string const& operator_name = {}) const {
    namespace http = boost::beast::http;
    using boost::system::error_code;
    api_reply out;
    boost::asio::io_context io;
    boost::asio::local::stream_protocol::socket s(io);
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "smsgw");
    req.keep_alive(false);
    if (!operator_name.empty()) req.set("X-Operator", operator_name);
    if (verb == http::verb::post) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::move(body);
    }
    req.prepare_payload();
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    std::string step = "connect";
    error_code result = boost::asio::error::timed_out;
    s.async_connect(boost::asio::local::stream_protocol::endpoint(path_), [&](error_code ec) {
      if (ec) return void(result = ec);
      step = "write";
      http::async_write(s, req, [&](error_code ec, std::size_t) {
        // A server that answers before reading (a 503 at its connection cap) may have closed
        // already: its answer can still be waiting to be read, as a browser or curl reads it.
        if (ec && ec != boost::asio::error::broken_pipe && ec != boost::asio::error::connection_reset)
          return void(result = ec);
        step = ec ? "read (after write: " + ec.message() + ")" : "read";
        http::async_read(s, buf, res, [&](error_code ec, std::size_t) { result = ec; });
      });
    });
    io.run_for(timeout_);
    if (result) return fail(out, step.c_str(), result);
    out.ok = true;
    out.status = static_cast<int>(res.result_int());
    out.raw = res.body();
    error_code jec;
    out.body = boost::json::parse(out.raw, jec);
    if (jec) out.body = nullptr;
    return out;
  }

  static api_reply& fail(api_reply& r, char const* what, boost::system::error_code ec) {
    r.error = std::string(what) + ": " + ec.message();
    return r;
  }

  std::string path_;
  std::chrono::seconds timeout_;
};

}  // namespace smsgw::e2e
