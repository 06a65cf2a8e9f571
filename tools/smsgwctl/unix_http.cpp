// tools/smsgwctl/unix_http.cpp: the Beast client. A plain request runs asynchronously under
// io_context::run_for (a blocking Asio read ignores socket timeouts, and a hung daemon must not
// hang the tool); a stream reads the header, then the raw body, splitting lines.
#include "tools/smsgwctl/unix_http.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace smsgw::ctl {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using local = asio::local::stream_protocol;
using boost::system::error_code;

namespace {

std::string connect_message(error_code ec) {
  if (ec == asio::error::not_found || ec == boost::system::errc::no_such_file_or_directory)
    return "no such file";
  if (ec == asio::error::connection_refused) return "connection refused";
  if (ec == boost::system::errc::permission_denied) return "permission denied";
  return ec.message();
}

http::request<http::string_body> make_request(http::verb method, std::string const& target,
                                              std::string const& body, header_list const& headers) {
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "smsgw");
  req.set(http::field::user_agent, "smsgwctl");
  req.keep_alive(false);
  for (auto const& [k, v] : headers) req.set(k, v);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  return req;
}

}  // namespace

std::variant<http_reply, transport_error> call(std::string const& socket_path, http::verb method,
                                               std::string const& target, std::string const& body,
                                               header_list const& headers, std::chrono::seconds timeout) {
  asio::io_context io;
  local::socket s(io);
  auto req = make_request(method, target, body, headers);
  boost::beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  std::string step = "connect";
  error_code result = asio::error::timed_out;
  s.async_connect(local::endpoint(socket_path), [&](error_code ec) {
    if (ec) return void(result = ec);
    step = "write";
    http::async_write(s, req, [&](error_code ec, std::size_t) {
      if (ec) return void(result = ec);
      step = "read";
      http::async_read(s, buf, parser, [&](error_code ec, std::size_t) { result = ec; });
    });
  });
  io.run_for(timeout);
  if (result) {
    if (step == "connect") return transport_error{true, connect_message(result)};
    return transport_error{false, step + ": " + (result == asio::error::timed_out ? "no answer in time" : result.message())};
  }
  return http_reply{static_cast<int>(parser.get().result_int()), parser.get().body()};
}

std::variant<http_reply, transport_error> stream(std::string const& socket_path, std::string const& target,
                                                 header_list const& headers,
                                                 std::function<bool(std::string const&)> const& on_line) {
  asio::io_context io;
  local::socket s(io);
  error_code ec;
  s.connect(local::endpoint(socket_path), ec);
  if (ec) return transport_error{true, connect_message(ec)};
  auto req = make_request(http::verb::get, target, "", headers);
  http::write(s, req, ec);
  if (ec) return transport_error{false, "write: " + ec.message()};
  boost::beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  http::read_header(s, buf, parser, ec);
  if (ec) return transport_error{false, "read: " + ec.message()};
  http_reply reply{static_cast<int>(parser.get().result_int()), {}};
  if (reply.status != 200) {
    http::read(s, buf, parser, ec);
    reply.body = parser.get().body();
    return reply;
  }
  // The stream's body is delimited by the connection's end: read it raw, line by line.
  std::string pending(static_cast<char const*>(buf.data().data()), buf.size());
  std::array<char, 4096> chunk;
  for (;;) {
    for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
      auto line = pending.substr(0, nl);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      pending.erase(0, nl + 1);
      if (!on_line(line)) return reply;
    }
    auto n = s.read_some(asio::buffer(chunk), ec);
    if (ec) break;  // closed by the server (shutdown, restart): the caller may reconnect
    pending.append(chunk.data(), n);
  }
  return reply;
}

}  // namespace smsgw::ctl
