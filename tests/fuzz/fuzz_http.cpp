// tests/fuzz/fuzz_http.cpp: libFuzzer target for the HTTP API: arbitrary bytes, as they would
// arrive on the Unix socket, through Beast's request parser with the server's limits (8 KiB of
// header, [api] body_limit of body), and every complete request (several per input, as on a
// keep-alive connection) through handle_request (daemon/api/http_api.hpp) with an api_deps
// over a real queue store (SQLite in memory, the embedded default's five carriers and the
// default per-number limits). The store is reopened every 2,000 inputs so it stays small.
// Properties checked (a violation aborts, which libFuzzer reports as a crash):
//   - handle_request never throws, for any request (its promise);
//   - the status is a real one (200..599) and the response's version is the request's;
//   - every body is one JSON object; an error (>= 400) has a string "error", a 202 an "id";
//   - an accepted message's answer never echoes its text (16 bytes or more).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/json/parse.hpp>
#include <spdlog/spdlog.h>

#include "daemon/api/http_api.hpp"
#include "daemon/config/config.hpp"
#include "queue/store.hpp"

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace smsgw;

namespace {

/// 2026-01-01T00:00:00Z.
queue::time_point const t0 = queue::from_ms(1'767'225'600'000);

[[noreturn]] void fail(char const* property, std::string_view detail) {
  std::fprintf(stderr, "fuzz_http: %s\n  %.*s\n", property, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

daemon_config const& config() {
  static daemon_config const cfg = [] {
    auto c = parse_config(embedded_default_config(), "<embedded>");
    if (!c) fail("the embedded default config does not parse", c.error().message());
    return *c;
  }();
  return cfg;
}

/// The store, reopened every `reuse` inputs.
class world {
 public:
  queue::store& store() {
    if (!store_ || ++uses_ > reuse) {
      store_.reset();
      queue::store_options o;
      o.sqlite.synchronous_full = false;
      o.sqlite.wal = false;  // in memory
      o.limits = queue::limits_config{};
      auto s = queue::store::open(":memory:", o, t0);
      if (!s) fail("cannot open the in-memory store", s.error().message);
      store_.emplace(std::move(*s));
      uses_ = 0;
    }
    return *store_;
  }

 private:
  static constexpr int reuse = 2000;
  std::optional<queue::store> store_;
  int uses_ = 0;
};

/// api_deps over the store, inline (no writer thread); the clock moves 1 s per request.
class store_deps final : public api_deps {
 public:
  explicit store_deps(world& w) : api_deps(config().api, config().carriers), w_(w) {}
  asio::awaitable<queue::result<queue::enqueue_outcome>> enqueue(queue::enqueue_request req) override {
    co_return w_.store().enqueue(req);
  }
  asio::awaitable<queue::result<message_view>> lookup(queue::message_id id) override {
    co_return read_message_view(w_.store(), id);
  }
  asio::awaitable<std::optional<queue::result<std::array<std::int64_t, 3>>>> queue_waiting() override {
    auto counts = w_.store().count_by_state();
    if (!counts) co_return queue::result<std::array<std::int64_t, 3>>(counts.error());
    co_return std::array<std::int64_t, 3>{(*counts)[0], (*counts)[1], (*counts)[2]};
  }
  queue::time_point now() override { return now_ += std::chrono::seconds(1); }

 private:
  world& w_;
  queue::time_point now_ = t0;
};

world& the_world() {
  static world w;
  return w;
}

http_response run(asio::io_context& io, asio::awaitable<http_response> a) {
  std::optional<http_response> out;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, http_response r) {
    error = e;
    if (!e) out = std::move(r);
  });
  io.restart();
  io.run();
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (std::exception const& e) {
      fail("handle_request threw", e.what());
    } catch (...) {
      fail("handle_request threw", "a non-std exception");
    }
  }
  if (!out) fail("handle_request did not complete", "");
  return std::move(*out);
}

/// The request body's "text", if it is a JSON object with a long enough one.
std::string secret_text(std::string const& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  auto const* t = v.as_object().if_contains("text");
  if (!t || !t->is_string() || t->as_string().size() < 16) return {};
  return std::string(t->as_string());
}

void check_response(http_request const& req, http_response const& res) {
  auto const status = res.result_int();
  if (status < 200 || status > 599) fail("status out of range", std::to_string(status));
  if (res.version() != req.version()) fail("response version differs from the request's", res.body());
  boost::system::error_code ec;
  auto v = boost::json::parse(res.body(), ec);
  if (ec || !v.is_object()) fail("body is not one JSON object", res.body());
  auto const& o = v.as_object();
  if (status >= 400) {
    auto const* e = o.if_contains("error");
    if (!e || !e->is_string() || e->as_string().empty()) fail("error without a string \"error\"", res.body());
  }
  if (status == 202 && !o.contains("id")) fail("202 without an id", res.body());
  // An accepted message's answer (ids, state, carrier, times) never holds its text. (Error
  // answers are not checked: they name the method, the path or a field, which a request can
  // make equal to its own text.)
  auto text = secret_text(req.body());
  if (status < 300 && !text.empty() && res.body().find(text) != std::string::npos)
    fail("message text echoed back", res.body());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  (void)config();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  asio::io_context io(1);
  store_deps deps(the_world());
  std::string_view rest(reinterpret_cast<char const*>(data), size);
  for (int n = 0; n < 8 && !rest.empty(); ++n) {  // keep-alive: up to 8 requests per input
    http::request_parser<http::string_body> parser;
    parser.body_limit(config().api.body_limit);
    parser.header_limit(8 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!parser.is_done()) {
      if (rest.empty()) {  // the client closed: complete only if the message says so
        parser.put_eof(ec);
        if (ec || !parser.is_done()) return 0;
        break;
      }
      auto used = parser.put(asio::buffer(rest.data(), rest.size()), ec);
      rest.remove_prefix(used);
      if (ec == http::error::need_more) {
        if (used == 0) return 0;  // given everything left and still short: cut off
        ec = {};
        continue;
      }
      if (ec) return 0;  // malformed or over a limit: the transport answers 400/413
      if (used == 0 && !parser.is_done()) return 0;  // never loop without progress
    }
    auto const& req = parser.get();
    auto res = run(io, handle_request(req, deps));
    check_response(req, res);
    if (!req.keep_alive()) break;
  }
  return 0;
}
