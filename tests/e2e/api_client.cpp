// tests/e2e/api_client.cpp: the Beast side of tests/e2e/api_client.hpp (one connection per
// request, driven by run_for so that a hung daemon fails the test instead of hanging it).
#include "tests/e2e/api_client.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace smsgw::e2e {

namespace {

api_reply& fail(api_reply& r, char const* what, boost::system::error_code ec) {
  r.error = std::string(what) + ": " + ec.message();
  return r;
}

}  // namespace

boost::json::value const& api_reply::at(std::string_view key) const {
  static boost::json::value const null;
  if (!body.is_object()) return null;
  auto const* v = body.as_object().if_contains(key);
  return v ? *v : null;
}

api_reply api_client::post(std::string const& target, boost::json::object const& body) const {
  return call(method::post, target, boost::json::serialize(body));
}

api_reply api_client::get(std::string const& target) const { return call(method::get, target, ""); }

api_reply api_client::del(std::string const& target, std::string const& operator_name) const {
  return call(method::delete_, target, "", operator_name);
}

api_reply api_client::post_control(std::string const& target, std::string const& operator_name) const {
  return call(method::post, target, "{}", operator_name);
}

bool api_client::connectable() const {
  boost::asio::io_context io;
  boost::asio::local::stream_protocol::socket s(io);
  boost::system::error_code ec;
  s.open(boost::asio::local::stream_protocol(), ec);
  if (!ec) s.non_blocking(true, ec);  // a full backlog answers EAGAIN instead of blocking
  if (!ec) s.connect(boost::asio::local::stream_protocol::endpoint(path_), ec);
  return !ec;
}

// Async operations driven by run_for(): a blocking Asio read ignores SO_RCVTIMEO (it polls
// without a timeout after EAGAIN), and a daemon whose loop hangs must fail the test, not
// hang it.
api_reply api_client::call(method m, std::string const& target, std::string body,
                           std::string const& operator_name) const {
  namespace http = boost::beast::http;
  using boost::system::error_code;
  http::verb const verb = m == method::get    ? http::verb::get
                          : m == method::post ? http::verb::post
                                              : http::verb::delete_;
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

}  // namespace smsgw::e2e
