// daemon/run_daemon.cpp: see run_daemon.hpp. Threads: the queue's writer and syncer
// (queue::group_commit) and one io_context(1) network thread for everything else.
// SIGTERM/SIGINT: stop accepting, stop dequeuing, unbind every link (bounded by stop_timeout),
// give back what was claimed and never written, stop the queue writer after everything
// submitted is committed. SIGHUP: reopen the DLR log (logrotate).
#include "daemon/run_daemon.hpp"

#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/api/http_server.hpp"
#include "daemon/api/queue_api_deps.hpp"
#include "daemon/carrier_status.hpp"
#include "daemon/config_reload.hpp"
#include "daemon/dispatch/dispatcher.hpp"
#include "daemon/dispatch/dlr_log.hpp"
#include "daemon/dispatch/retry_policy.hpp"
#include "daemon/fd_limit.hpp"
#include "daemon/free_space.hpp"
#include "daemon/instance_lock.hpp"
#include "daemon/link/carrier.hpp"
#include "daemon/logging.hpp"
#include "daemon/metrics/metrics.hpp"
#include "daemon/metrics_scrape.hpp"
#include "daemon/signals.hpp"
#include "daemon/systemd_notify.hpp"
#include "queue/group_commit.hpp"

namespace smsgw {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

using carrier_list = std::vector<std::unique_ptr<carrier>>;

/// The network thread's io_context. ~io_context destroys the handlers still pending (suspended
/// coroutine frames of links, HTTP connections...), and those frames refer to the carriers,
/// dispatcher and server declared after it, so already destroyed: destroy_pending() runs that
/// shutdown first, while everything they refer to is alive.
class daemon_io final : public asio::io_context {
 public:
  using asio::io_context::io_context;
  void destroy_pending() { shutdown(); }
};

void make_parent_dir(std::string const& path) {
  auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
}

void prepare_process(daemon_config const& cfg) {
  spdlog::set_level(spdlog::level::from_str(cfg.logging.level));
  setup_logging(cfg.logging.level);  // stderr: journal "<N>" lines under systemd, else timestamped
  // The queue holds OTP texts and the DLR log numbers: nothing we create is for others
  // (directories 0700; queue files and the DLR log are also created 0600 explicitly; the
  // API socket sets its own mode, socket_mode).
  ::umask(077);
  // A write past RLIMIT_FSIZE (a quota, a limit set by the service manager) raises SIGXFSZ,
  // whose default action kills the process mid-transaction. Ignored, the write fails with
  // EFBIG like any failed write: the queue refuses work (503, /healthz degraded) and stays up.
  ::signal(SIGXFSZ, SIG_IGN);
  make_parent_dir(cfg.queue.db_path);
  make_parent_dir(cfg.api.socket_path);
  if (!cfg.logging.dlr_log.empty()) make_parent_dir(cfg.logging.dlr_log);
}

/// What the queue kept from the last run that the network side picks up at start.
struct kept_state {
  std::vector<std::string> suspended;  ///< carriers an operator left suspended
  /// The newest submit -> receipt latencies, for deadline-aware routing (oldest first).
  std::vector<queue::receipt_latency_sample> receipt_latencies;
};

/// How much of the history a start reads back for the receipt latency learner: its average
/// weighs the newest receipt 0.2, so the last few dozen per carrier are all it would keep.
constexpr std::size_t kept_latency_samples = 500;
constexpr std::size_t kept_latency_rows = 20'000;

/// Opens the queue file (running crash recovery) and starts its writer; nullptr (logged) if
/// the file cannot be opened. `kept`: what the last run left for the network side.
std::unique_ptr<queue::group_commit> open_queue(daemon_config const& cfg, kept_state& kept) {
  queue::store_options opts;
  opts.sqlite.synchronous_full = cfg.queue.synchronous_full;
  // One writer process (the instance lock says so): SQLite's per-transaction fcntl() locks
  // buy nothing and cost two to four system calls per transaction. The file is the daemon's
  // alone while it runs: operators read it through the API (GET /v1/messages/{id}, /healthz).
  opts.sqlite.exclusive_lock = true;
  if (cfg.limits.enabled) opts.limits = cfg.limits.limits;
  auto store = queue::store::open(cfg.queue.db_path, with_retry_policy(opts, cfg));
  if (!store) {
    spdlog::critical("queue {}: {}", cfg.queue.db_path, store.error().message);
    return nullptr;
  }
  auto controls = store->carrier_controls();
  if (!controls) {
    spdlog::critical("queue {}: {}", cfg.queue.db_path, controls.error().message);
    return nullptr;
  }
  for (auto const& c : *controls)
    if (c.suspended) kept.suspended.push_back(c.carrier);
  // Not fatal: routing then starts from its prior, as on a first start.
  if (auto lat = store->receipt_latencies(kept_latency_samples, kept_latency_rows))
    kept.receipt_latencies = std::move(*lat);
  else
    spdlog::warn("queue {}: receipt latencies of the last run not read ({}); deadline-aware "
                 "routing starts from its prior", cfg.queue.db_path, lat.error().message);
  auto const& rec = store->last_recovery();
  spdlog::info("queue {} open (recovered: {} requeued, {} outcome unknown)", cfg.queue.db_path,
               rec.requeued, rec.outcome_unknown);
  // synchronous = "full": commits are pipelined (queue/group_commit.hpp): every answer waits
  // for the syncer's fsync of the WAL, which overlaps the writer's next commit. "normal": the
  // operator chose no fsync per commit; nothing is synced before answering.
  auto gc = std::make_unique<queue::group_commit>(
      std::move(*store),
      queue::group_commit_options{.pipelined = cfg.queue.synchronous_full, .sync = {}});
  if (cfg.queue.synchronous_full && !gc->pipelined()) {
    spdlog::warn("queue {}: WAL not found for pipelined commits; every commit waits for its own "
                 "fsync", cfg.queue.db_path);
  }
  return gc;
}

asio::awaitable<void> stop_carriers(carrier_list& carriers) {
  for (auto& c : carriers) co_await c->stop();
}

asio::awaitable<void> stop_all(config_reloader& reloader, http_server& api, dispatcher& disp,
                               carrier_list& carriers) {
  notify_stopping("draining: unbinding links");
  spdlog::info("stopping: no new requests, no new claims, unbinding {} carrier(s)", carriers.size());
  reloader.stop();  // the carrier list stays as it is from here on
  api.stop();
  disp.stop_dequeuing();
  auto const stop_timeout = reloader.current()->stop_timeout;
  asio::steady_timer deadline(co_await asio::this_coro::executor);
  deadline.expires_after(stop_timeout);
  auto r = co_await (stop_carriers(carriers) ||
                     deadline.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (r.index() == 1)
    spdlog::warn("stopping: links did not finish within {} ms", stop_timeout.count());
  co_await disp.release_unsent();  // claimed, never written: queued again, not "outcome unknown"
}

void reopen_dlr_log(dlr_log& dlr) {
  if (auto err = dlr.reopen(); !err.empty()) spdlog::error("SIGHUP: dlr log: {}", err);
  else spdlog::info("SIGHUP: dlr log reopened");
}

std::vector<std::string> carrier_names(daemon_config const& cfg) {
  std::vector<std::string> names;
  for (auto const& rc : cfg.carriers) names.push_back(rc.link.name);
  return names;
}

/// One carrier object per configured carrier, fed by the dispatcher (not started yet).
carrier_list make_carriers(asio::any_io_executor ex, daemon_config const& cfg, dispatcher& disp) {
  carrier_list carriers;
  for (auto const& rc : cfg.carriers)
    carriers.push_back(std::make_unique<carrier>(ex, rc.link, disp, disp.source_for(rc.link.name)));
  return carriers;
}

/// Peak-hour windows: the dispatcher reads them against the clock, the carrier's bucket
/// follows their cap (set here once for the window in force at start, then at each edge and
/// after each reload). The dispatcher reads each bucket's rate for its deadline estimates.
void follow_peak_caps(dispatcher& disp, carrier_list& carriers) {
  disp.on_cap_change([&carriers](std::string const& name, double cap) {
    for (auto& c : carriers)
      if (c->config().name == name) c->set_throughput_cap(cap);
  });
  disp.refresh_schedules();
  // Deadline-aware routing reads each carrier's bucket rate (an SMSC throttle lowers it).
  disp.set_rate_reader([&carriers](std::string const& name) {
    for (auto& c : carriers)
      if (c->config().name == name) return c->current_rate();
    return 0.0;
  });
}

/// The API socket listening and every carrier's links started; false (logged) if not.
bool start_serving(http_server& api, carrier_list& carriers, daemon_io& io) {
  if (auto err = api.listen()) {
    spdlog::critical("api: {}", *err);
    return false;
  }
  for (auto& c : carriers) {
    if (auto err = c->start()) {
      spdlog::critical("{}", *err);
      api.stop();
      io.destroy_pending();  // links of the carriers started before this one
      return false;
    }
  }
  return true;
}

/// Suspensions survive a restart (POST /v1/carriers/{name}/suspend, kept in the queue).
void apply_kept_suspensions(dispatcher& disp, std::vector<std::string> const& suspended) {
  for (auto const& name : suspended) {
    if (disp.apply_suspension(name, true))
      spdlog::warn("carrier {}: suspended by an operator (kept from before the restart); its "
                   "traffic goes to its alternates until POST /v1/carriers/{}/resume", name, name);
    else
      spdlog::warn("carrier {} was suspended but is not configured any more: ignored", name);
  }
}

/// /healthz's "degraded" reasons beside the queue's: carriers without a bound link for too
/// long, and low free space where the queue lives.
std::vector<std::string> degraded_reasons(daemon_config const& cfg, dispatcher const& disp) {
  auto reasons = no_bind_reasons(cfg, disp);
  if (auto low = low_disk_reason(cfg.queue.db_path, cfg.queue.min_free_mb))
    reasons.push_back(std::move(*low));
  return reasons;
}

/// SIGHUP: the DLR log reopened (logrotate), then the configuration read again.
void on_sighup(asio::any_io_executor ex, dlr_log& dlr, config_reloader& reloader) {
  reopen_dlr_log(dlr);
  asio::co_spawn(ex, reloader.reload("SIGHUP"), asio::detached);  // it logs its outcome
}

/// The network thread: everything but the queue, from start to graceful stop.
int serve(std::shared_ptr<daemon_config const> cfg, config_loader load, std::string const& source,
          queue::group_commit& gc, dlr_log& dlr, kept_state const& kept) {
  daemon_io io(1);
  auto ex = io.get_executor();
  // At low rates this thread runs the queue's rounds itself when the writer is idle: no
  // wake-up of the writer and none of this thread for the answer (docs/queue.md, "Low
  // rates"). It then blocks for the round's fsync, hence only while fsyncs take ≤ 2 ms, and
  // not within 100 ms of a round of more than 32 pieces (a flood's: the writer's).
  gc.set_round_host([ex](std::function<void()> round) { asio::post(ex, std::move(round)); },
                    {.max_sync = std::chrono::milliseconds(2),
                     .burst_quiet = std::chrono::milliseconds(100)});
  daemon_signals signals(ex);
  metrics counters(carrier_names(*cfg));  // GET /metrics; before everything that counts in it
  dispatcher disp(ex, gc, *cfg, dlr);
  dlr.coalesce_on(ex);  // a turn's DLR lines in one write(2) (docs/performance.md)
  disp.attach_metrics(counters);
  carrier_list carriers = make_carriers(ex, *cfg, disp);
  follow_peak_caps(disp, carriers);
  apply_kept_suspensions(disp, kept.suspended);
  disp.learn_receipt_latencies(kept.receipt_latencies);
  std::optional<metrics_scrape> scraper;     // needs the server, which needs deps: set below
  std::optional<config_reloader> reloader;   // needs deps: set below
  queue_api_deps deps(cfg->api, cfg->carriers, gc, ex,
                      {.enqueued = [&disp](std::string_view c) { disp.notify(c); },
                       .health = [&] { return carrier_health(*reloader->current(), carriers, disp); },
                       .queue_problem = [&disp] { return disp.queue_problem(); },
                       .metrics = [&scraper] { return scraper->scrape(); },
                       .answered = [&counters](std::string_view endpoint, int status,
                                               std::chrono::steady_clock::duration took) {
                         counters.api_response(endpoint, status,
                                               std::chrono::duration<double>(took).count());
                       },
                       .cancel = [&disp](queue::message_id id, std::string who) {
                         return disp.cancel(id, std::move(who));
                       },
                       .carriers = [&] {
                         boost::json::array all;
                         for (auto const& c : carriers)
                           all.push_back(carrier_status(*reloader->current(), *c, disp));
                         return all;
                       },
                       .set_suspended = [&disp](std::string name, bool on, std::string who) {
                         return disp.set_suspended(std::move(name), on, std::move(who));
                       },
                       .degraded = [&] { return degraded_reasons(*reloader->current(), disp); },
                       .reload = [&reloader] { return reloader->reload("POST /v1/reload"); },
                       .would_expire = [&disp](std::string_view c, std::chrono::seconds validity) {
                         return disp.would_expire(c, validity);
                       }},
                      cfg->routing);
  http_server api(ex, cfg->api, deps);
  scraper.emplace(counters, gc, carriers, disp, api);
  reloader.emplace(ex, cfg, std::move(load), source, reload_targets{gc, disp, carriers, deps});
  if (!start_serving(api, carriers, io)) return 1;
  asio::co_spawn(ex, api.run(), asio::detached);
  asio::co_spawn(ex, disp.run_housekeeping(), asio::detached);
  asio::co_spawn(ex, reloader->run_retirements(), asio::detached);
  // A default-constructed timer has already expired: without the expiry set, the || below
  // would end the watchdog right after its first ping.
  asio::steady_timer watchdog_stop(ex, asio::steady_timer::time_point::max());
  asio::co_spawn(ex, run_watchdog() || watchdog_stop.async_wait(asio::as_tuple(asio::use_awaitable)),
                 asio::detached);
  asio::co_spawn(
      ex,
      signals.run([&] { on_sighup(ex, dlr, *reloader); },
                  [&]() { return stop_all(*reloader, api, disp, carriers); }),
      [&](std::exception_ptr e) {
        if (e) spdlog::error("signal handling ended with an exception: stopping");
        watchdog_stop.cancel();
        io.stop();
      });

  spdlog::info("smsgw listening on {} ({} carriers)", cfg->api.socket_path, cfg->carriers.size());
  notify_ready(fmt::format("listening on {}", cfg->api.socket_path));
  io.run();
  gc.stop();  // everything acknowledged is committed; later work is refused
  io.destroy_pending();
  return 0;
}

}  // namespace

int run_daemon(daemon_config const& cfg, config_loader reload, std::string const& source) {
  prepare_process(cfg);
  if (auto err = ensure_fd_limit(cfg)) {
    spdlog::critical("{}", *err);
    return 1;
  }
  // One instance per queue file, decided before anything opens it: a second smsgw's crash
  // recovery would mark this one's in-flight messages outcome_unknown and they would be sent
  // twice. Declared first, so released last, when the process is done with the queue.
  auto lock = instance_lock::acquire(instance_lock_path(cfg.queue.db_path));
  if (!lock) {
    spdlog::critical("{}", lock.error().message);
    return 1;
  }
  kept_state kept;
  auto gc = open_queue(cfg, kept);
  if (!gc) return 1;
  dlr_log dlr(cfg.logging.dlr_log);
  if (auto err = dlr.reopen(); !err.empty()) {
    spdlog::critical("dlr log: {}", err);
    return 1;
  }
  int status = serve(std::make_shared<daemon_config const>(cfg), std::move(reload), source, *gc, dlr,
                     kept);
  if (status == 0) spdlog::info("smsgw stopped");
  return status;
}

}  // namespace smsgw
