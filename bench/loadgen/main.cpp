// bench/loadgen/main.cpp: the load generator: N clients on smsgw's Unix-socket API, keep-alive
// HTTP/1.1 (Beast), closed-loop or paced, bounded by --count and --duration-s. One thread, one
// io_context: the clients are coroutines sharing the request maker and the counters, so no
// locks. Paced mode plans request i at start + i/rate; a client that is late sends at once and
// the lag is reported (the clients are the bound on concurrency, not the plan).
// SIGINT/SIGTERM end the run early with the summary of what was done.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "bench/loadgen/latency_summary.hpp"
#include "bench/loadgen/loadgen_options.hpp"
#include "bench/loadgen/request_maker.hpp"

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
using local = asio::local::stream_protocol;
using steady = std::chrono::steady_clock;
using boost::system::error_code;
using namespace smsgw::loadgen;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

/// What all clients share (one thread: plain members).
struct run_state {
  options const& opt;
  request_maker maker;
  steady::time_point start;
  steady::time_point end;
  std::uint64_t planned = 0;  ///< requests handed out so far
  bool stopping = false;
  run_summary summary;
  std::ostream* jsonl = nullptr;
  std::ostream* ids = nullptr;
  steady::time_point last_answer;
  std::vector<asio::steady_timer*> timers;  ///< the clients' pacing timers, cancelled on a signal

  explicit run_state(options const& o) : opt(o), maker(o) {}
};

struct answer {
  int status = 0;
  std::string body;
  std::string error;  ///< transport failure
};

/// One request on `sock` (connecting it first if closed), bounded by the per-request timeout.
asio::awaitable<answer> exchange(local::socket& sock, run_state& st, request const& r) {
  answer a;
  asio::steady_timer deadline(sock.get_executor());
  deadline.expires_after(std::chrono::milliseconds(st.opt.timeout_ms));
  auto io = [&]() -> asio::awaitable<void> {
    if (!sock.is_open()) {
      auto [ec] = co_await sock.async_connect(local::endpoint(st.opt.socket_path), use_tuple);
      if (ec) { a.error = "connect: " + ec.message(); co_return; }
    }
    http::request<http::string_body> req{http::verb::post, r.target, 11};
    req.set(http::field::host, "smsgw");
    req.set(http::field::content_type, "application/json");
    req.keep_alive(st.opt.keep_alive);
    req.body() = r.body;
    req.prepare_payload();
    if (auto [ec, n] = co_await http::async_write(sock, req, use_tuple); ec) {
      a.error = "write: " + ec.message();
      co_return;
    }
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    if (auto [ec, n] = co_await http::async_read(sock, buf, res, use_tuple); ec) {
      a.error = "read: " + ec.message();
      co_return;
    }
    a.status = static_cast<int>(res.result_int());
    a.body = std::move(res.body());
    if (!res.keep_alive() || !st.opt.keep_alive) {
      error_code ignored;
      sock.shutdown(local::socket::shutdown_both, ignored);
      sock.close(ignored);
    }
  };
  auto result = co_await (io() || deadline.async_wait(use_tuple));
  if (result.index() == 1) a.error = "timeout";
  if (!a.error.empty()) {
    error_code ignored;
    sock.close(ignored);
  }
  co_return a;
}

void record(run_state& st, request const& r, answer const& a, std::int64_t sent_wall_ms, double latency_ms) {
  auto& s = st.summary;
  ++s.sent;
  st.last_answer = steady::now();
  if (!a.error.empty()) ++s.transport_errors;
  else ++s.statuses[a.status];
  json::value body;
  if (a.error.empty()) {
    error_code ec;
    body = json::parse(a.body, ec);
  }
  auto const* obj = body.if_object();
  auto field = [&](char const* k) -> json::value const* { return obj ? obj->if_contains(k) : nullptr; };
  if (a.status == 202) {
    s.accepted_latency_ms.push_back(latency_ms);
    if (st.ids)
      if (auto const* id = field("id")) *st.ids << json::serialize(*id) << '\n';
  }
  if (!st.jsonl) return;
  json::object line{{"i", r.index}, {"t_ms", sent_wall_ms}, {"endpoint", r.target},
                    {"priority", priority_name(r.prio)}, {"to", r.to}, {"status", a.status},
                    {"latency_us", static_cast<std::int64_t>(latency_ms * 1000)}};
  if (!st.opt.label.empty()) line["label"] = st.opt.label;
  for (char const* k : {"id", "carrier", "expires_at_ms", "error"})
    if (auto const* v = field(k)) line[k] = *v;
  if (!a.error.empty()) line["error"] = a.error;
  *st.jsonl << json::serialize(line) << '\n';
}

asio::awaitable<void> client(run_state& st) {
  auto ex = co_await asio::this_coro::executor;
  local::socket sock(ex);
  asio::steady_timer wait(ex);
  st.timers.push_back(&wait);
  unsigned connect_failures = 0;
  for (;;) {
    if (st.stopping || st.planned >= st.opt.count || steady::now() >= st.end) break;
    auto index = st.planned++;
    auto r = st.maker.next();
    if (st.opt.rate > 0) {
      auto due = st.start + std::chrono::duration_cast<steady::duration>(
                                std::chrono::duration<double>(static_cast<double>(index) / st.opt.rate));
      if (due >= st.end) break;
      if (due > steady::now()) {
        wait.expires_at(due);
        co_await wait.async_wait(use_tuple);
        if (st.stopping) break;
      } else {
        st.summary.max_lag_ms = std::max(
            st.summary.max_lag_ms, std::chrono::duration<double, std::milli>(steady::now() - due).count());
      }
    }
    auto sent_wall = wall_ms();
    auto t0 = steady::now();
    auto a = co_await exchange(sock, st, r);
    record(st, r, a, sent_wall, std::chrono::duration<double, std::milli>(steady::now() - t0).count());
    // A daemon that is not there: do not spin on connect, the run is bounded by time anyway.
    if (a.error.starts_with("connect")) {
      wait.expires_after(std::chrono::milliseconds(std::min(1000u, 10u << std::min(connect_failures++, 6u))));
      co_await wait.async_wait(use_tuple);
    } else {
      connect_failures = 0;
    }
  }
  error_code ignored;
  sock.close(ignored);
  std::erase(st.timers, &wait);
}

std::ostream* open_output(std::string const& path, std::optional<std::ofstream>& file) {
  if (path.empty()) return nullptr;
  if (path == "-") return &std::cout;
  file.emplace(path, std::ios::out | std::ios::trunc);
  if (!*file) {
    std::fprintf(stderr, "loadgen: cannot write %s\n", path.c_str());
    std::exit(2);
  }
  return &*file;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto parsed = parse_options(args);
  if (!parsed) {
    if (parsed.error() == usage()) {
      std::fwrite(usage().data(), 1, usage().size(), stdout);
      return 0;
    }
    std::fprintf(stderr, "loadgen: %s\n%.*s", parsed.error().c_str(), static_cast<int>(usage().size()),
                 usage().data());
    return 2;
  }
  options const opt = std::move(*parsed);
  run_state st(opt);
  std::optional<std::ofstream> jsonl_file, ids_file;
  st.jsonl = open_output(opt.jsonl_path, jsonl_file);
  st.ids = open_output(opt.ids_path, ids_file);
  st.summary.label = opt.label;
  st.summary.mode = opt.rate > 0 ? "paced" : "closed";
  st.summary.rate = opt.rate;
  st.summary.clients = opt.clients;

  asio::io_context io(1);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](error_code ec, int) {
    if (ec) return;
    st.stopping = true;
    for (auto* t : st.timers) t->cancel();
  });
  st.start = steady::now();
  st.last_answer = st.start;
  st.end = st.start + std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(opt.duration_s));
  unsigned running = opt.clients;
  for (unsigned i = 0; i < opt.clients; ++i)
    asio::co_spawn(io, client(st), [&](std::exception_ptr e) {
      if (e) {
        try { std::rethrow_exception(e); } catch (std::exception const& x) { std::fprintf(stderr, "loadgen: client failed: %s\n", x.what()); }
      }
      if (--running == 0) signals.cancel();
    });
  io.run();
  st.summary.elapsed_s = std::chrono::duration<double>(st.last_answer - st.start).count();
  if (st.jsonl) st.jsonl->flush();
  if (st.ids) st.ids->flush();
  auto text = opt.summary_json ? format_json(st.summary) + "\n" : format_text(st.summary);
  // The summary goes to stderr when the JSON lines take stdout.
  std::fputs(text.c_str(), opt.jsonl_path == "-" ? stderr : stdout);
  return 0;
}
