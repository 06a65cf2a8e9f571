// bench/api_bench.cpp: a bounded load generator for the daemon's HTTP API on its Unix socket
// (keep-alive, one connection per client, the clients coroutines on --threads threads). Modes:
//   paced  --rate R: the clients together send R requests per second on a fixed schedule
//          (open loop: a late answer does not delay the next send), N messages in all;
//   flood  closed loop: each client sends its next request as soon as the last is answered;
//   batch  closed loop of POST /v1/messages/batch with --batch B messages each.
// Every message goes to a distinct number (the five carriers' prefixes in turn), so the
// simulators' logs show losses and duplicates. Prints what was accepted, msg/s and the
// latency percentiles of the answers. Bounded: N messages and --max-seconds, whichever first.
// --accept-times FILE writes "RECIPIENT REALTIME_US" per message answered 202 (CLOCK_REALTIME,
// µs, when the answer was read; in batch mode every accepted item gets its batch's time), for
// e2e_bench.sh to join with smsc-sim --submit-times: the latency from 202 to submit_sm.
// Used by bench/e2e_bench.sh (docs/performance.md); not a test.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using local = boost::asio::local::stream_protocol;
using clock_type = std::chrono::steady_clock;

struct options {
  std::string socket = "/tmp/smsgw-bench/api.sock";
  std::string mode = "paced";
  double rate = 200;
  long count = 2000;
  int clients = 1;
  int batch = 1000;
  double max_seconds = 120;
  long first_number = 0;  // numbers are unique across runs against one daemon
  int threads = 2;        // event-loop threads the clients are spread over
  std::string accept_times;  // --accept-times FILE; empty = not written
};

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: api_bench [--socket P] [--mode paced|flood|batch] [--rate R] [--count N]\n"
               "                 [--clients C] [--batch B] [--max-seconds S] [--first-number K]\n"
               "                 [--threads T] [--accept-times FILE]\n");
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (i + 1 >= argc) usage();
    std::string v = argv[++i];
    if (a == "--socket") o.socket = v;
    else if (a == "--mode") o.mode = v;
    else if (a == "--rate") o.rate = std::stod(v);
    else if (a == "--count") o.count = std::stol(v);
    else if (a == "--clients") o.clients = std::stoi(v);
    else if (a == "--batch") o.batch = std::stoi(v);
    else if (a == "--max-seconds") o.max_seconds = std::stod(v);
    else if (a == "--first-number") o.first_number = std::stol(v);
    else if (a == "--threads") o.threads = std::stoi(v);
    else if (a == "--accept-times") o.accept_times = v;
    else usage();
  }
  if ((o.mode != "paced" && o.mode != "flood" && o.mode != "batch") || o.count <= 0 ||
      o.clients <= 0 || o.batch <= 0 || o.rate <= 0 || o.threads <= 0)
    usage();
  return o;
}

std::string number_of(long n) {
  static constexpr char const* prefixes[] = {"0812", "0857", "0817", "0896", "0881"};
  return fmt::format("{}{:08}", prefixes[n % 5], 10000000 + n / 5);
}

std::string message_json(long n) {
  return fmt::format(R"({{"to":"{}","text":"Pesanan {} sudah dikirim","ttl_seconds":600}})",
                     number_of(n), n);
}

/// A message answered 202: its number (relative to --first-number) and when the answer was
/// read, CLOCK_REALTIME µs (for --accept-times).
struct accept_time {
  long number;
  std::int64_t realtime_us;
};

struct totals {
  std::vector<double> latency_ms;  // per request
  std::vector<accept_time> accepts;  // only with --accept-times
  long accepted = 0, other = 0, failed_requests = 0;
};

long count_202(std::string const& body) {
  long n = 0;
  for (auto pos = body.find("\"status\":202"); pos != std::string::npos;
       pos = body.find("\"status\":202", pos + 1))
    ++n;
  return n;
}

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// One keep-alive connection, a coroutine on the one thread; reconnects once if the daemon
/// closed it. Status and body, or status 0 on a transport failure.
class client {
 public:
  client(asio::any_io_executor ex, std::string path) : path_(std::move(path)), socket_(ex) {}

  asio::awaitable<std::pair<int, std::string>> post(std::string const& target, std::string body) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      boost::system::error_code ec;
      if (!socket_.is_open()) {
        std::tie(ec) = co_await socket_.async_connect(local::endpoint(path_), use_tuple);
        if (ec) {
          socket_.close(ec);
          continue;
        }
      }
      http::request<http::string_body> req{http::verb::post, target, 11};
      req.set(http::field::host, "smsgw");
      req.set(http::field::content_type, "application/json");
      req.keep_alive(true);
      req.body() = body;
      req.prepare_payload();
      std::tie(ec, std::ignore) = co_await http::async_write(socket_, req, use_tuple);
      http::response<http::string_body> res;
      if (!ec) std::tie(ec, std::ignore) = co_await http::async_read(socket_, buffer_, res, use_tuple);
      if (ec) {
        socket_.close(ec);
        buffer_.clear();
        continue;
      }
      if (!res.keep_alive()) socket_.close(ec);
      co_return std::pair{static_cast<int>(res.result_int()), std::move(res.body())};
    }
    co_return std::pair{0, std::string{}};
  }

 private:
  std::string path_;
  local::socket socket_;
  boost::beast::flat_buffer buffer_;
};

/// Client c's requests: paced, c, c+C, c+2C ... at start + k / rate; else the next free number.
asio::awaitable<void> run_client(options const& o, int c, clock_type::time_point start,
                                 clock_type::time_point deadline, std::atomic<long>& next,
                                 totals& t) {
  auto ex = co_await asio::this_coro::executor;
  client cl(ex, o.socket);
  asio::steady_timer timer(ex);
  long const per_request = o.mode == "batch" ? o.batch : 1;
  for (long k = c;; k += o.clients) {
    long first;
    if (o.mode == "paced") {
      first = k;
      if (first >= o.count) break;
      auto due = start + std::chrono::duration_cast<clock_type::duration>(
                             std::chrono::duration<double>(static_cast<double>(k) / o.rate));
      if (due > deadline) break;
      timer.expires_at(due);
      co_await timer.async_wait(use_tuple);
    } else {
      first = next.fetch_add(per_request);
      if (first >= o.count || clock_type::now() > deadline) break;
    }
    long const n = std::min(per_request, o.count - first);
    std::string target = "/v1/messages", body;
    if (o.mode == "batch") {
      target = "/v1/messages/batch";
      body = R"({"messages":[)";
      for (long i = 0; i < n; ++i)
        body += (i ? "," : "") + message_json(o.first_number + first + i);
      body += "]}";
    } else {
      body = message_json(o.first_number + first);
    }
    auto const sent = clock_type::now();
    auto [status, answer] = co_await cl.post(target, std::move(body));
    auto const answered = clock_type::now();
    auto const answered_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    t.latency_ms.push_back(std::chrono::duration<double, std::milli>(answered - sent).count());
    bool const timing = !o.accept_times.empty();
    if (status == 0) {
      ++t.failed_requests;
    } else if (o.mode == "batch" && status == 200) {
      auto ok = count_202(answer);
      t.accepted += ok;
      t.other += n - ok;
      if (timing) {  // results[i] = {"index":i,"status":...}: the items answered 202
        boost::system::error_code ec;
        auto doc = boost::json::parse(answer, ec);
        auto const* results = ec || !doc.is_object() ? nullptr : doc.as_object().if_contains("results");
        if (results && results->is_array())
          for (auto const& r : results->as_array())
            if (auto const* item = r.if_object(); item && item->contains("index") &&
                                                   item->contains("status") &&
                                                   item->at("status") == 202)
              t.accepts.push_back({first + item->at("index").to_number<long>(), answered_us});
      }
    } else if (status == 202) {
      ++t.accepted;
      if (timing) t.accepts.push_back({first, answered_us});
    } else {
      t.other += n;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  auto const o = parse(argc, argv);
  std::FILE* accept_file = nullptr;  // opened before the load, so a bad path costs no run
  if (!o.accept_times.empty() && (accept_file = std::fopen(o.accept_times.c_str(), "w")) == nullptr) {
    std::perror(("api_bench: --accept-times " + o.accept_times).c_str());
    return 2;
  }
  auto const start = clock_type::now();
  auto const deadline = start + std::chrono::duration_cast<clock_type::duration>(
                                    std::chrono::duration<double>(o.max_seconds));
  std::atomic<long> next{0};  // next message number to send (relative), flood and batch
  // A few threads (--threads, default 2), every client a coroutine on one of them: no thread
  // per client (200 threads context-switching cost the shared cores more CPU than the
  // requests), yet one descheduled thread does not stall every client on a loaded machine.
  int const nthreads = std::min(o.threads, o.clients);
  std::vector<asio::io_context> loops(static_cast<std::size_t>(nthreads));
  std::vector<totals> per_loop(static_cast<std::size_t>(nthreads));
  for (int c = 0; c < o.clients; ++c) {
    auto const l = static_cast<std::size_t>(c % nthreads);
    asio::co_spawn(loops[l], run_client(o, c, start, deadline, next, per_loop[l]),
                   [](std::exception_ptr e) {
                     if (e) std::rethrow_exception(e);
                   });
  }
  std::vector<std::thread> threads;
  for (auto& loop : loops) threads.emplace_back([&loop] { loop.run(); });
  for (auto& th : threads) th.join();
  totals t;
  for (auto const& p : per_loop) {
    t.latency_ms.insert(t.latency_ms.end(), p.latency_ms.begin(), p.latency_ms.end());
    t.accepted += p.accepted;
    t.other += p.other;
    t.failed_requests += p.failed_requests;
    t.accepts.insert(t.accepts.end(), p.accepts.begin(), p.accepts.end());
  }
  if (accept_file != nullptr) {
    for (auto const& a : t.accepts)
      fmt::print(accept_file, "{} {}\n", number_of(o.first_number + a.number), a.realtime_us);
    if (std::fclose(accept_file) != 0) {
      std::perror(("api_bench: --accept-times " + o.accept_times).c_str());
      return 1;
    }
  }
  double const secs = std::chrono::duration<double>(clock_type::now() - start).count();
  std::sort(t.latency_ms.begin(), t.latency_ms.end());
  auto pct = [&](double p) {
    if (t.latency_ms.empty()) return 0.0;
    auto i = static_cast<std::size_t>(p * static_cast<double>(t.latency_ms.size() - 1));
    return t.latency_ms[i];
  };
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  auto const cpu_s = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                     static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  std::printf("mode=%s clients=%d requests=%zu accepted=%ld refused_or_invalid=%ld "
              "transport_failures=%ld seconds=%.3f accepted_per_s=%.0f "
              "latency_ms_p50=%.2f p99=%.2f max=%.2f cpu_s=%.3f\n",
              o.mode.c_str(), o.clients, t.latency_ms.size(), t.accepted, t.other,
              t.failed_requests, secs, static_cast<double>(t.accepted) / secs, pct(0.5), pct(0.99),
              t.latency_ms.empty() ? 0.0 : t.latency_ms.back(), cpu_s);
  return t.failed_requests == 0 && t.other == 0 ? 0 : 1;
}
