// tests/daemon/api/api_fixture.hpp: shared by the HTTP API and server tests: a real queue store
// file in a temp dir behind the group-commit writer, the daemon's own api_deps
// (daemon/api/queue_api_deps.hpp) with fake time, and a
// spdlog sink that captures every log line so tests can assert what was (never) logged.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "daemon/config/config.hpp"
#include "daemon/api/http_api.hpp"
#include "daemon/api/queue_api_deps.hpp"
#include "queue/group_commit.hpp"
#include "queue/store.hpp"
#include "tests/support/temp_dir.hpp"

namespace smsgw::test {

/// 2026-01-01T00:00:00Z.
inline queue::time_point t0() { return queue::from_ms(1'767'225'600'000); }

/// The daemon's api_deps (daemon/api/queue_api_deps.hpp) with fake time, recording which
/// carriers it was told about instead of waking a dispatcher.
class store_deps final : public queue_api_deps {
 public:
  store_deps(api_settings s, std::vector<route_config> const& carriers, queue::group_commit& gc,
             boost::asio::any_io_executor ex)
      : queue_api_deps(std::move(s), carriers, gc, std::move(ex),
                       {.enqueued = [this](std::string_view c) { notified.emplace_back(c); },
                        .health = {},
                        .queue_problem = {},
                        .metrics = {}, .answered = {},
                        .cancel = {}, .carriers = {}, .set_suspended = {}, .degraded = {}}) {}

  queue::time_point now() override { return now_; }

  queue::time_point now_ = t0();
  std::vector<std::string> notified;
};

/// Captures every spdlog line (all levels) while alive; restores the previous default logger.
class log_capture {
 public:
  log_capture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(10000)) {
    previous_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~log_capture() { spdlog::set_default_logger(previous_); }
  std::vector<std::string> lines() { return sink_->last_formatted(); }
  /// Every captured line containing `s` (should be none for secrets).
  std::vector<std::string> lines_with(std::string const& s) {
    std::vector<std::string> out;
    for (auto& l : lines())
      if (l.find(s) != std::string::npos) out.push_back(l);
    return out;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

/// A daemon config's carriers (the embedded default: five simulators) and API settings,
/// a store file with the default per-number limits, and deps over it.
struct api_fixture {
  temp_dir dir;
  daemon_config cfg = parse_config(embedded_default_config(), "<embedded>").value();
  boost::asio::io_context io{1};
  std::optional<queue::group_commit> gc;
  std::unique_ptr<store_deps> deps;

  explicit api_fixture(queue::store_options opts = default_options(),
                       queue::group_commit_options writer = {}) {
    cfg.api.socket_path = dir.file("api.sock");
    auto s = queue::store::open(dir.file("queue.db"), opts, t0());
    REQUIRE(s.has_value());
    gc.emplace(std::move(*s), std::move(writer));
    deps = std::make_unique<store_deps>(cfg.api, cfg.carriers, *gc, io.get_executor());
  }

  /// Makes the deps again after a change to cfg.api.
  void rebuild_deps() { deps = std::make_unique<store_deps>(cfg.api, cfg.carriers, *gc, io.get_executor()); }

  static queue::store_options default_options() {
    queue::store_options o;
    o.sqlite.synchronous_full = false;  // no fsync per commit (the writer still pipelines)
    o.limits = queue::limits_config{};
    return o;
  }

  /// Runs an awaitable on io to completion (queue callbacks included).
  template <class T>
  T run(boost::asio::awaitable<T> a) {
    auto fut = boost::asio::co_spawn(io, std::move(a), boost::asio::use_future);
    io.restart();
    io.run();
    return fut.get();
  }

  http_response call(boost::beast::http::verb method, std::string target, std::string body = {},
                     std::string content_type = "application/json") {
    http_request req{method, target, 11};
    if (!content_type.empty()) req.set(boost::beast::http::field::content_type, content_type);
    req.body() = std::move(body);
    req.prepare_payload();
    return run(handle_request(req, *deps));
  }
  http_response post(std::string target, std::string body) {
    return call(boost::beast::http::verb::post, std::move(target), std::move(body));
  }
  http_response get(std::string target) { return call(boost::beast::http::verb::get, std::move(target), {}, {}); }

  /// Messages stored, all states.
  std::int64_t stored() {
    auto counts = gc->run([](queue::store& s) { return s.count_by_state(); }).get();
    REQUIRE(counts.has_value());
    std::int64_t n = 0;
    for (auto c : *counts) n += c;
    return n;
  }
  queue::message message(queue::message_id id) {
    auto m = gc->run([id](queue::store& s) { return s.get(id); }).get();
    REQUIRE(m.has_value());
    return *m;
  }
};

inline boost::json::object body_of(http_response const& res) {
  boost::system::error_code ec;
  auto v = boost::json::parse(res.body(), ec);
  INFO(res.body());
  REQUIRE_FALSE(ec);
  REQUIRE(v.is_object());
  return v.get_object();
}

}  // namespace smsgw::test
