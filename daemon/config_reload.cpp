// daemon/config_reload.cpp: see config_reload.hpp.
#include "daemon/config_reload.hpp"

#include <algorithm>
#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/config/config_diff.hpp"
#include "daemon/dispatch/queue_bridge.hpp"
#include "daemon/dispatch/retry_policy.hpp"
#include "daemon/link/link_stream.hpp"
#include "daemon/logging.hpp"
#include "queue/store.hpp"

namespace smsgw {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {

/// Releases the gate however the holder ends.
struct gate_hold {
  async_gate& gate;
  ~gate_hold() { gate.release(); }
};

/// Why `link` could not start (a carrier's start() would say the same), checked before
/// anything is changed: a reload that cannot bind a new carrier is refused whole.
std::optional<std::string> start_problem(carrier_config const& link) {
  if (auto problems = validate(link); !problems.empty()) return problems.front();
  if (link.tls.enabled) {
    std::string error;
    if (!make_tls_context(link.tls, error)) return fmt::format("carrier {}: {}", link.name, error);
  }
  return std::nullopt;
}

}  // namespace

config_reloader::config_reloader(asio::any_io_executor ex, std::shared_ptr<daemon_config const> initial,
                                 config_loader load, std::string source, reload_targets parts)
    : executor_(ex), load_(std::move(load)), source_(std::move(source)), parts_(parts),
      file_(initial), running_(std::move(initial)), gate_(ex), retiring_signal_(ex) {}

void config_reloader::stop() {
  stopping_ = true;
  retiring_signal_.notify();
}

reload_answer config_reloader::refuse(std::string const& trigger, std::string message) const {
  spdlog::error("reload ({}) refused: {}; the running configuration stays in force", trigger, message);
  return reload_answer{.applied = false, .changes = {}, .needs_restart = {}, .message = std::move(message)};
}

std::shared_ptr<daemon_config const> config_reloader::compose(
    std::shared_ptr<daemon_config const> const& file, std::vector<route_config> const& retiring) const {
  if (retiring.empty()) return file;
  auto running = std::make_shared<daemon_config>(*file);
  for (auto const& r : retiring) running->carriers.push_back(r);
  for (auto& c : running->carriers) {
    std::erase_if(c.alternates, [&](std::string const& alt) { return !running->find_carrier(alt); });
  }
  return running;
}

carrier* config_reloader::find(std::string_view name) const {
  for (auto const& c : parts_.carriers)
    if (c->config().name == name) return c.get();
  return nullptr;
}

asio::awaitable<reload_answer> config_reloader::reload(std::string trigger) {
  if (!co_await gate_.acquire()) co_return refuse(trigger, "cancelled");
  gate_hold hold{gate_};
  if (stopping_) co_return refuse(trigger, "the daemon is stopping");
  if (!load_) co_return refuse(trigger, "no configuration to read again");
  auto loaded = load_();
  if (!loaded) co_return refuse(trigger, loaded.error().message());

  // The file's new configuration, restart-only settings kept at their running values.
  auto needs_restart = restart_only_changes(*file_, *loaded);
  auto next_file = std::make_shared<daemon_config const>(with_restart_only_kept(std::move(*loaded), *file_));
  // Carriers out of the file are retired (kept running until nothing needs them); one that
  // comes back is simply configured again.
  std::vector<route_config> retiring;
  std::vector<std::string> newly_retired, back;
  for (auto const& r : retiring_) {
    if (next_file->find_carrier(r.link.name)) back.push_back(r.link.name);
    else retiring.push_back(r);
  }
  for (auto const& rc : file_->carriers) {
    if (next_file->find_carrier(rc.link.name)) continue;
    if (auto const* now = running_->find_carrier(rc.link.name)) retiring.push_back(*now);
    newly_retired.push_back(rc.link.name);
  }
  auto next = compose(next_file, retiring);
  auto plan = plan_reload(*running_, *next);
  for (auto const& name : newly_retired) {
    plan.changes.push_back(fmt::format("carrier {}: removed: no new message goes to it; its links "
                                       "unbind once nothing in the queue needs it", name));
  }
  for (auto const& name : back) plan.changes.push_back(fmt::format("carrier {}: configured again", name));

  for (auto const& name : plan.added) {
    if (auto why = start_problem(next->find_carrier(name)->link)) co_return refuse(trigger, *why);
  }
  for (auto const& name : plan.rebind) {
    if (auto why = start_problem(next->find_carrier(name)->link)) co_return refuse(trigger, *why);
  }

  // The queue's part first (the only step that may still fail): limits and retry policy.
  std::optional<queue::limits_config> limits;
  if (next->limits.enabled) limits = next->limits.limits;
  auto policy = with_retry_policy({}, *next).retry;
  // A named callable: gcc 12 destroys lambda temporaries inside co_await expressions twice.
  auto apply_to_queue = [limits, policy](queue::store& s) -> queue::result<void> {
    if (auto r = s.set_limits(limits); !r) return r.error();
    s.set_retry_policy(policy);
    return {};
  };
  auto queued = co_await queue_call(parts_.gc, std::move(apply_to_queue));
  if (!queued) co_return refuse(trigger, fmt::format("queue: {}", queued.error().message));
  if (stopping_) co_return refuse(trigger, "the daemon is stopping");

  // From here on nothing fails: the new snapshot is in force, part by part, with no wait
  // in between.
  file_ = next_file;
  running_ = next;
  retiring_ = std::move(retiring);
  apply_log_level(running_->logging.level);
  for (auto const& name : plan.retune) {
    if (auto* c = find(name)) c->retune(running_->find_carrier(name)->link.throttle);
  }
  parts_.disp.apply_config(running_);  // new sources, caps heard by the carriers (cap listener)
  parts_.deps.apply_config(file_);     // requests route by the file: never to a retired carrier
  for (auto const& name : plan.added) {
    auto const& rc = *running_->find_carrier(name);
    parts_.carriers.push_back(
        std::make_unique<carrier>(executor_, rc.link, parts_.disp, parts_.disp.source_for(name)));
    if (auto err = parts_.carriers.back()->start()) spdlog::error("reload: {}", *err);
    parts_.carriers.back()->set_throughput_cap(parts_.disp.current_peak(name).cap);
  }
  if (plan.changes.empty() && needs_restart.empty()) {
    spdlog::info("reload ({}): {}: no change", trigger, source_);
  } else {
    spdlog::info("reload ({}): {}: {} change(s)", trigger, source_, plan.changes.size() + needs_restart.size());
    for (auto const& c : plan.changes) spdlog::info("reload: {}", c);
    for (auto const& c : needs_restart) spdlog::warn("reload: {}", c);
  }
  for (auto const& name : plan.rebind) co_await rebind(*running_->find_carrier(name));
  if (!retiring_.empty()) retiring_signal_.notify();
  co_return reload_answer{.applied = true, .changes = std::move(plan.changes),
                          .needs_restart = std::move(needs_restart), .message = {}};
}

asio::awaitable<void> config_reloader::rebind(route_config rc) {
  auto it = std::find_if(parts_.carriers.begin(), parts_.carriers.end(),
                         [&](auto const& c) { return c->config().name == rc.link.name; });
  if (it == parts_.carriers.end()) co_return;
  spdlog::info("carrier {}: connection settings changed: unbinding its links to bind again", rc.link.name);
  carrier* old = it->get();
  co_await old->stop();
  if (stopping_) co_return;  // the graceful stop is walking the list: leave it as it is
  it = std::find_if(parts_.carriers.begin(), parts_.carriers.end(),
                    [&](auto const& c) { return c.get() == old; });
  if (it == parts_.carriers.end()) co_return;
  *it = std::make_unique<carrier>(executor_, rc.link, parts_.disp, parts_.disp.source_for(rc.link.name));
  if (auto err = (*it)->start()) spdlog::error("reload: {}", *err);
  (*it)->set_throughput_cap(parts_.disp.current_peak(rc.link.name).cap);  // the window in force
}

asio::awaitable<void> config_reloader::run_retirements() {
  asio::steady_timer timer(executor_);
  while (!stopping_) {
    if (retiring_.empty()) {
      co_await retiring_signal_.wait();
      continue;
    }
    timer.expires_after(std::chrono::seconds(1));
    co_await (timer.async_wait(asio::as_tuple(asio::use_awaitable)) || retiring_signal_.wait());
    std::vector<std::string> names;
    for (auto const& r : retiring_) names.push_back(r.link.name);
    for (auto const& name : names) {
      if (stopping_) co_return;
      co_await retire_if_done(name);
    }
  }
}

asio::awaitable<void> config_reloader::retire_if_done(std::string name) {
  if (!co_await gate_.acquire()) co_return;
  gate_hold hold{gate_};
  auto it = std::find_if(retiring_.begin(), retiring_.end(),
                         [&](route_config const& r) { return r.link.name == name; });
  if (it == retiring_.end() || stopping_) co_return;  // configured again meanwhile
  auto count = [name](queue::store& s) { return s.count_unfinished_for(name); };  // named: see reload()
  auto left = co_await queue_call(parts_.gc, std::move(count));
  if (!left) {
    spdlog::warn("carrier {}: retiring: cannot count what the queue holds for it: {}", name, left.error().message);
    co_return;
  }
  if (*left > 0 || parts_.disp.holding(name) > 0) co_return;
  spdlog::info("carrier {}: removed from the configuration and nothing in the queue needs it: unbinding", name);
  if (auto* c = find(name)) co_await c->stop();
  if (stopping_) co_return;
  std::erase_if(parts_.carriers, [&](auto const& c) { return c->config().name == name; });
  std::erase_if(retiring_, [&](route_config const& r) { return r.link.name == name; });
  running_ = compose(file_, retiring_);
  parts_.disp.apply_config(running_);
  spdlog::info("carrier {}: retired", name);
}

}  // namespace smsgw
