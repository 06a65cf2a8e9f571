// tests/daemon/signals_test.cpp: daemon/signals.*: real signals raised in this process reach
// the coroutine: each SIGHUP runs the handler, SIGTERM runs the stop once and ends run(), and
// a stop that throws is logged (not dropped) and still ends run().
#include <catch2/catch.hpp>

#include <csignal>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "daemon/signals.hpp"

namespace asio = boost::asio;
using namespace smsgw;

namespace {

struct captured_log {
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();
  captured_log() { spdlog::set_default_logger(std::make_shared<spdlog::logger>("t", sink)); }
  ~captured_log() { spdlog::set_default_logger(previous); }
  bool contains(std::string const& s) {
    for (auto& l : sink->last_formatted())
      if (l.find(s) != std::string::npos) return true;
    return false;
  }
};

/// Runs signals.run() with the given stop; raises SIGHUP twice, then SIGTERM, from the loop.
struct signal_run {
  int hups = 0, stops = 0;
  bool ended = false;
  std::exception_ptr error;

  void go(std::function<asio::awaitable<void>()> stop) {
    asio::io_context io(1);
    daemon_signals signals(io.get_executor());
    asio::co_spawn(io, signals.run([this] { ++hups; }, std::move(stop)),
                   [this](std::exception_ptr e) { ended = true, error = e; });
    asio::co_spawn(io, raise_signals(), asio::detached);
    io.run_for(std::chrono::seconds(20));  // bounded: a lost signal fails below, not hangs
  }

  /// SIGHUP, SIGHUP, then SIGTERM, each after the one before was handled (at most ~10 s).
  asio::awaitable<void> raise_signals() {
    asio::steady_timer t(co_await asio::this_coro::executor);
    for (int want : {1, 2}) {
      std::raise(SIGHUP);
      for (int i = 0; i < 1000 && hups < want; ++i) {
        t.expires_after(std::chrono::milliseconds(10));
        co_await t.async_wait(asio::use_awaitable);
      }
    }
    std::raise(SIGTERM);
  }
};

}  // namespace

TEST_CASE("SIGHUP runs the handler each time, SIGTERM runs the stop once and ends run()") {
  captured_log log;
  signal_run r;
  r.go([&r]() -> asio::awaitable<void> {
    ++r.stops;
    co_return;
  });
  CHECK(r.hups == 2);
  CHECK(r.stops == 1);
  CHECK(r.ended);
  CHECK_FALSE(r.error);
  CHECK(log.contains("graceful stop"));
}

TEST_CASE("a stop that throws is logged and run() still ends") {
  captured_log log;
  signal_run r;
  r.go([&r]() -> asio::awaitable<void> {
    ++r.stops;
    throw std::runtime_error("unbind exploded");
    co_return;
  });
  CHECK(r.stops == 1);
  CHECK(r.ended);
  CHECK_FALSE(r.error);
  CHECK(log.contains("graceful stop failed: unbind exploded"));
}
