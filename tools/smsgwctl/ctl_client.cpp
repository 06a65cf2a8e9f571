// tools/smsgwctl/ctl_client.cpp: the blocking HTTP client (Beast over a Unix stream socket,
// bounded by a timeout through run_for) and the SSE reader (plain POSIX reads with poll()).
#include "ctl_client.hpp"

#include <cctype>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <sstream>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

namespace smsgwctl {
namespace http = boost::beast::http;

namespace {

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

boost::json::value parse_json(std::string const& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  return ec ? boost::json::value(nullptr) : v;
}

http::request<http::string_body> make_request(std::string const& method, std::string const& target,
                                              std::string const& body, std::string const& operator_name) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "smsgw");
  req.set(http::field::user_agent, "smsgwctl");
  req.keep_alive(false);
  if (!operator_name.empty()) req.set("X-Operator", operator_name);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
  }
  req.prepare_payload();
  return req;
}

}  // namespace

std::string connect_error_text(std::string const& path, std::string const& why) {
  return "cannot connect to " + path + ": " + lower_first(why) + " (is smsgw running? see --socket)";
}

http_reply ctl_client::request(std::string const& method, std::string const& target, std::string const& body,
                               std::string const& operator_name) const {
  using boost::system::error_code;
  http_reply out;
  boost::asio::io_context io;
  boost::asio::local::stream_protocol::socket s(io);
  auto req = make_request(method, target, body, operator_name);
  boost::beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  bool connected = false;
  error_code result = boost::asio::error::timed_out;
  s.async_connect(boost::asio::local::stream_protocol::endpoint(path_), [&](error_code ec) {
    if (ec) return void(result = ec);
    connected = true;
    http::async_write(s, req, [&](error_code ec, std::size_t) {
      if (ec) return void(result = ec);
      http::async_read(s, buf, parser, [&](error_code ec, std::size_t) { result = ec; });
    });
  });
  io.run_for(timeout_);
  if (result) {
    out.failed = connected ? http_reply::failure::transport : http_reply::failure::connect;
    out.error = connected ? "no complete answer from " + path_ + ": " + lower_first(result.message())
                          : connect_error_text(path_, result.message());
    return out;
  }
  auto& res = parser.get();
  out.status = static_cast<int>(res.result_int());
  out.body = res.body();
  out.json = parse_json(out.body);
  return out;
}

sse_stream::~sse_stream() { close(); }

void sse_stream::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool sse_stream::read_more(std::chrono::seconds idle) {
  pollfd p{fd_, POLLIN, 0};
  int r;
  do r = ::poll(&p, 1, static_cast<int>(idle.count() * 1000)); while (r < 0 && errno == EINTR);
  if (r < 0) { end_error_ = std::strerror(errno); return false; }
  if (r == 0) { end_error_ = "nothing received for " + std::to_string(idle.count()) + " s"; return false; }
  char chunk[16384];
  ssize_t n;
  do n = ::read(fd_, chunk, sizeof chunk); while (n < 0 && errno == EINTR);
  if (n < 0) { end_error_ = lower_first(std::strerror(errno)); return false; }
  if (n == 0) return false;  // the server closed the stream
  buf_.append(chunk, static_cast<std::size_t>(n));
  return true;
}

http_reply sse_stream::open(std::string const& target, std::optional<long long> last_event_id) {
  http_reply out;
  close();
  buf_.clear();
  end_error_.clear();
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) {
    out.failed = http_reply::failure::connect;
    out.error = connect_error_text(path_, "path too long");
    return out;
  }
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    out.failed = http_reply::failure::connect;
    out.error = connect_error_text(path_, std::strerror(errno));
    close();
    return out;
  }
  auto req = make_request("GET", target, {}, {});
  req.set(http::field::accept, "text/event-stream");
  if (last_event_id) req.set("Last-Event-ID", std::to_string(*last_event_id));
  std::ostringstream os;
  os << req;
  std::string wire = os.str();
  for (std::size_t sent = 0; sent < wire.size();) {
    ssize_t n = ::write(fd_, wire.data() + sent, wire.size() - sent);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      out.failed = http_reply::failure::transport;
      out.error = "cannot write to " + path_ + ": " + lower_first(std::strerror(errno));
      close();
      return out;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::size_t head_end;
  while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!read_more(std::chrono::seconds(60))) {
      out.failed = http_reply::failure::transport;
      out.error = "no answer from " + path_ + (end_error_.empty() ? "" : ": " + end_error_);
      close();
      return out;
    }
  }
  std::string head = buf_.substr(0, head_end);
  buf_.erase(0, head_end + 4);
  // "HTTP/1.1 200 OK"
  auto sp = head.find(' ');
  out.status = sp == std::string::npos ? 0 : std::atoi(head.c_str() + sp + 1);
  if (out.status != 200) {
    while (read_more(std::chrono::seconds(60))) {}
    out.body = buf_;
    out.json = parse_json(out.body);
    close();
  }
  return out;
}

std::optional<sse_event> sse_stream::next(std::chrono::seconds idle) {
  sse_event ev;
  bool any = false;
  while (fd_ >= 0) {
    auto nl = buf_.find('\n');
    if (nl == std::string::npos) {
      if (!read_more(idle)) { close(); return std::nullopt; }
      continue;
    }
    std::string line = buf_.substr(0, nl);
    buf_.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (any) return ev;
      continue;
    }
    if (line[0] == ':') continue;  // a comment (keepalive, the starting position)
    auto colon = line.find(':');
    std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (field == "id") { ev.id = value; any = true; }
    else if (field == "event") { ev.event = value; any = true; }
    else if (field == "data") { ev.data += ev.data.empty() ? value : "\n" + value; any = true; }
  }
  return std::nullopt;
}

}  // namespace smsgwctl
