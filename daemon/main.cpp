// daemon/main.cpp: the smsgw daemon: config, the instance lock (daemon/instance_lock.hpp), queue
// thread (group commit), one io_context(1) network thread running the carriers, the
// dispatcher, the HTTP API and signals.
// SIGTERM/SIGINT: stop accepting, stop dequeuing, unbind every link (bounded by
// stop_timeout), stop the queue writer after everything submitted is committed. SIGHUP:
// reopen the DLR log (logrotate).
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "daemon/link/carrier.hpp"
#include "daemon/config/config.hpp"
#include "daemon/dispatch/dispatcher.hpp"
#include "daemon/dispatch/dlr_log.hpp"
#include "daemon/api/http_api.hpp"
#include "daemon/api/http_server.hpp"
#include "daemon/instance_lock.hpp"
#include "daemon/logging.hpp"
#include "daemon/dispatch/queue_bridge.hpp"
#include "daemon/systemd_notify.hpp"

namespace asio = boost::asio;
using namespace smsgw;
using namespace asio::experimental::awaitable_operators;

namespace {

constexpr char usage[] = R"(usage: smsgw [--config FILE] [--check-config] [--print-default-config] [--help]
  --config FILE            TOML configuration (default: the embedded one: five simulators on
                           127.0.0.1:2775..2779, state under /tmp/smsgw)
  --check-config           parse and validate the configuration, then exit (0 = valid)
  --print-default-config   print the embedded default configuration
)";

/// The API's view of the running daemon: queue work through the group-commit writer.
class daemon_deps final : public api_deps {
 public:
  daemon_deps(daemon_config const& cfg, queue::group_commit& gc, asio::any_io_executor ex,
              dispatcher& d, std::vector<std::unique_ptr<smsgw::carrier>>& links)
      : api_deps(cfg.api, cfg.carriers), gc_(gc), batcher_(gc, ex), dispatcher_(d),
        links_(links) {}

  asio::awaitable<queue::result<queue::enqueue_outcome>> enqueue(queue::enqueue_request r) override {
    co_return co_await batcher_.enqueue(std::move(r));
  }
  asio::awaitable<queue::result<message_view>> lookup(queue::message_id id) override {
    auto work = [id](queue::store& s) -> queue::result<message_view> {
      auto m = s.get(id);
      if (!m) return m.error();
      auto h = s.history(id);
      if (!h) return h.error();
      return message_view{std::move(*m), std::move(*h)};
    };
    co_return co_await queue_call(gc_, std::move(work));
  }
  void enqueued(std::string_view carrier) override { dispatcher_.notify(carrier); }
  asio::awaitable<std::optional<queue::result<std::array<std::int64_t, 3>>>> queue_waiting()
      override {
    co_return co_await queue_call(gc_, [](queue::store& s) { return s.count_waiting(); });
  }
  boost::json::object health() override {
    boost::json::object links;
    for (auto const& c : links_) links[c->config().name] = c->bound_links();
    return {{"bound_links", std::move(links)}};
  }

 private:
  queue::group_commit& gc_;
  queue_enqueuer batcher_;
  dispatcher& dispatcher_;
  std::vector<std::unique_ptr<smsgw::carrier>>& links_;
};

void make_parent_dir(std::string const& path) {
  auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
}

struct args {
  std::string config;
  bool check = false;
};

int run_daemon(daemon_config const& cfg);

/// The network thread's io_context. ~io_context destroys the handlers still pending (suspended
/// coroutine frames of links, HTTP connections...), and those frames refer to the carriers,
/// dispatcher and server declared after it, so already destroyed: destroy_pending() runs that
/// shutdown first, while everything they refer to is alive.
class daemon_io final : public asio::io_context {
 public:
  using asio::io_context::io_context;
  void destroy_pending() { shutdown(); }
};

}  // namespace

int main(int argc, char** argv) {
  args a;
  for (int i = 1; i < argc; ++i) {
    std::string_view s = argv[i];
    if (s == "--help" || s == "-h") {
      std::fputs(usage, stdout);
      return 0;
    } else if (s == "--print-default-config") {
      std::fwrite(embedded_default_config().data(), 1, embedded_default_config().size(), stdout);
      return 0;
    } else if (s == "--check-config") {
      a.check = true;
    } else if (s == "--config" && i + 1 < argc) {
      a.config = argv[++i];
    } else {
      std::fprintf(stderr, "smsgw: unknown argument %s\n%s", argv[i], usage);
      return 2;
    }
  }
  auto cfg = a.config.empty() ? parse_config(embedded_default_config(), "<embedded default>")
                              : load_config_file(a.config);
  if (!cfg) {
    std::fprintf(stderr, "smsgw: %s\n", cfg.error().message().c_str());
    return 2;
  }
  if (a.check) {
    std::printf("%s: configuration OK (%zu carriers)\n",
                a.config.empty() ? "<embedded default>" : a.config.c_str(), cfg->carriers.size());
    return 0;
  }
  try {
    return run_daemon(*cfg);
  } catch (std::exception const& e) {
    spdlog::critical("smsgw: {}", e.what());
    return 1;
  }
}

namespace {

asio::awaitable<void> stop_carriers(std::vector<std::unique_ptr<smsgw::carrier>>& carriers) {
  for (auto& c : carriers) co_await c->stop();
}

asio::awaitable<void> stop_all(daemon_config const& cfg, http_server& api, dispatcher& disp,
                               std::vector<std::unique_ptr<smsgw::carrier>>& carriers) {
  notify_stopping("draining: unbinding links");
  spdlog::info("stopping: no new requests, no new claims, unbinding {} carrier(s)", carriers.size());
  api.stop();
  disp.stop_dequeuing();
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer deadline(ex);
  deadline.expires_after(cfg.stop_timeout);
  auto r = co_await (stop_carriers(carriers) || deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (r.index() == 1) spdlog::warn("stopping: links did not finish within {} ms", cfg.stop_timeout.count());
  co_await disp.release_unsent();  // claimed, never written: queued again, not "outcome unknown"
}

int run_daemon(daemon_config const& cfg) {
  spdlog::set_level(spdlog::level::from_str(cfg.logging.level));
  setup_logging(cfg.logging.level);  // stderr: journal "<N>" lines under systemd, else timestamped
  // The queue holds OTP texts and the DLR log numbers: nothing we create is for others
  // (the API socket sets its own mode, socket_mode).
  ::umask(027);
  make_parent_dir(cfg.queue.db_path);
  // One instance per queue file, decided before anything opens it: a second smsgw's crash
  // recovery would mark this one's in-flight messages outcome_unknown and they would be sent
  // twice. Declared first, so released last, when the process is done with the queue.
  auto lock = instance_lock::acquire(instance_lock_path(cfg.queue.db_path));
  if (!lock) {
    spdlog::critical("{}", lock.error().message);
    return 1;
  }
  make_parent_dir(cfg.api.socket_path);
  if (!cfg.logging.dlr_log.empty()) make_parent_dir(cfg.logging.dlr_log);

  queue::store_options opts;
  opts.sqlite.synchronous_full = cfg.queue.synchronous_full;
  if (cfg.limits.enabled) opts.limits = cfg.limits.limits;
  auto store = queue::store::open(cfg.queue.db_path, with_retry_policy(opts, cfg));
  if (!store) {
    spdlog::critical("queue {}: {}", cfg.queue.db_path, store.error().message);
    return 1;
  }
  auto const& rec = store->last_recovery();
  spdlog::info("queue {} open (recovered: {} requeued, {} outcome unknown)", cfg.queue.db_path,
               rec.requeued, rec.outcome_unknown);
  // synchronous = "full": commits are pipelined (queue/group_commit.hpp): every answer waits
  // for the syncer's fsync of the WAL, which overlaps the writer's next commit. "normal": the
  // operator chose no fsync per commit; nothing is synced before answering.
  queue::group_commit gc(std::move(*store),
                         {.pipelined = cfg.queue.synchronous_full, .sync = {}});
  if (cfg.queue.synchronous_full && !gc.pipelined()) {
    spdlog::warn("queue {}: WAL not found for pipelined commits; every commit waits for its own "
                 "fsync", cfg.queue.db_path);
  }

  dlr_log dlr(cfg.logging.dlr_log);
  if (auto err = dlr.reopen(); !err.empty()) {
    spdlog::critical("dlr log: {}", err);
    return 1;
  }

  daemon_io io(1);
  auto ex = io.get_executor();
  dispatcher disp(ex, gc, cfg, dlr);
  std::vector<std::unique_ptr<carrier>> carriers;
  for (auto const& rc : cfg.carriers)
    carriers.push_back(std::make_unique<carrier>(ex, rc.link, disp, disp.source_for(rc.link.name)));
  daemon_deps deps(cfg, gc, ex, disp, carriers);
  http_server api(ex, cfg.api, deps);
  if (auto err = api.listen()) {
    spdlog::critical("api: {}", *err);
    return 1;
  }
  for (auto& c : carriers) {
    if (auto err = c->start()) {
      spdlog::critical("{}", *err);
      api.stop();
      io.destroy_pending();  // links of the carriers started before this one
      return 1;
    }
  }
  asio::co_spawn(ex, api.run(), asio::detached);
  asio::co_spawn(ex, disp.run_housekeeping(), asio::detached);
  // A default-constructed timer has already expired: without the expiry set, the || below
  // would end the watchdog right after its first ping.
  asio::steady_timer watchdog_stop(ex, asio::steady_timer::time_point::max());
  asio::co_spawn(ex, run_watchdog() || watchdog_stop.async_wait(asio::as_tuple(asio::use_awaitable)),
                 asio::detached);

  asio::signal_set hup(io, SIGHUP);
  std::function<void()> wait_hup = [&] {
    hup.async_wait([&](boost::system::error_code ec, int) {
      if (ec) return;
      if (auto err = dlr.reopen(); !err.empty()) spdlog::error("SIGHUP: dlr log: {}", err);
      else spdlog::info("SIGHUP: dlr log reopened");
      wait_hup();
    });
  };
  wait_hup();
  asio::signal_set term(io, SIGTERM, SIGINT);
  term.async_wait([&](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: graceful stop", sig);
    asio::co_spawn(ex, stop_all(cfg, api, disp, carriers), [&](std::exception_ptr) {
      hup.cancel();
      watchdog_stop.cancel();
      io.stop();
    });
  });

  spdlog::info("smsgw listening on {} ({} carriers)", cfg.api.socket_path, cfg.carriers.size());
  notify_ready(fmt::format("listening on {}", cfg.api.socket_path));
  io.run();
  gc.stop();  // everything acknowledged is committed; later work is refused
  io.destroy_pending();
  spdlog::info("smsgw stopped");
  return 0;
}

}  // namespace
