// tests/daemon/dispatch/dispatch_fixture.hpp: the daemon's message path for integration tests, all real:
// a SQLite file in a temporary directory behind group_commit, the dispatcher, one
// daemon/carrier per configured carrier, each talking to its own simulator (sim::simulator_thread)
// on 127.0.0.1, and the DLR log file. The world can be stopped and started again on the same
// file and simulators (a daemon restart). `tap` sits between the links and the dispatcher so a
// test can hold a receipt back or act just before the dispatcher sees it.
// Assumption: the test thread runs the io_context; queue reads from the test block on futures
// (the queue has its own thread), and every wait is bounded by run_until's guard.
#pragma once

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "daemon/config/config.hpp"
#include "daemon/dispatch/dispatcher.hpp"
#include "daemon/dispatch/dlr_log.hpp"
#include "daemon/dispatch/retry_policy.hpp"
#include "queue/group_commit.hpp"
#include "queue/state.hpp"
#include "tests/daemon/link/link_fixture.hpp"
#include "tests/support/temp_dir.hpp"

namespace smsgw::test {

/// Forwards every link report to the dispatcher; `on_deliver_hook` (if set) sees each
/// deliver_sm first and returns false to swallow it (never answered: the SMSC redelivers
/// after its timeout or on the next bind). `on_submit_hook` (if set) sees each submit result
/// and returns false to lose it (the dispatcher never hears of it: a kill -9 between the
/// SMSC's answer and its record).
class tap_events final : public smpp_events {
 public:
  smpp_events* target = nullptr;
  std::function<bool(smpp::pdu const&)> on_deliver_hook;
  std::function<bool(std::uint64_t ref)> on_submit_hook;
  std::vector<deliver_ack> swallowed;
  std::size_t submits_lost = 0;

  void on_submit_result(link_identity const& l, std::uint64_t ref, std::string_view id,
                        smpp::command_status st) override {
    if (on_submit_hook && !on_submit_hook(ref)) {
      ++submits_lost;
      return;
    }
    target->on_submit_result(l, ref, id, st);
  }
  void on_outcome_unknown(link_identity const& l, std::uint64_t ref, std::string_view why) override {
    target->on_outcome_unknown(l, ref, why);
  }
  void on_deliver(link_identity const& l, smpp::pdu const& p, deliver_ack ack) override {
    if (on_deliver_hook && !on_deliver_hook(p)) {
      swallowed.push_back(std::move(ack));
      return;
    }
    target->on_deliver(l, p, std::move(ack));
  }
  void on_link_state(link_identity const& l, link_state s, std::string_view d) override {
    target->on_link_state(l, s, d);
  }
};

/// True if some DLR log line names message `id` with "state=<st>".
inline bool dlr_has(std::vector<std::string> const& lines, queue::message_id id, std::string_view st) {
  auto const want_id = "id=" + std::to_string(id) + " ";
  auto const want_st = "state=" + std::string(st);
  for (auto const& l : lines)
    if (l.find(want_id) != std::string::npos && l.find(want_st) != std::string::npos) return true;
  return false;
}

/// One simulated carrier of the world.
struct sim_spec {
  std::string name;
  std::vector<std::string> alternates;
  sim::sim_config sim = sim_config_for_tests();
};

class dispatch_world {
 public:
  explicit dispatch_world(std::vector<sim_spec> specs) {
    db_path = (dir.path() / "queue.db").string();
    dlr_path = (dir.path() / "dlr.log").string();
    cfg.queue.db_path = db_path;
    cfg.queue.synchronous_full = false;
    cfg.queue.housekeeping_interval = std::chrono::milliseconds(50);
    cfg.logging.dlr_log = dlr_path;
    cfg.limits.enabled = false;
    for (auto& s : specs) {
      s.sim.name = s.name;
      sims.push_back(std::make_unique<sim::simulator_thread>(s.sim));
      route_config rc;
      rc.link = carrier_config_for(sims.back()->port());
      rc.link.name = s.name;
      rc.link.timeouts.drain = std::chrono::milliseconds(300);
      rc.alternates = s.alternates;
      cfg.carriers.push_back(rc);
    }
  }
  ~dispatch_world() { stop(); }

  /// Opens the store (crash recovery asks the retry policy), then the dispatcher and carriers.
  void start(queue::store_options opts = {}) {
    opts.sqlite.synchronous_full = cfg.queue.synchronous_full;
    opts = with_retry_policy(std::move(opts), cfg, retry);
    auto s = queue::store::open(db_path, opts);
    if (!s) throw std::runtime_error("open " + db_path + ": " + s.error().message);
    recovery = s->last_recovery();
    gc_.emplace(std::move(*s), writer);
    dlr_.emplace(dlr_path);
    if (auto err = dlr_->reopen(); !err.empty()) throw std::runtime_error(err);
    disp_ = std::make_unique<dispatcher>(io.get_executor(), *gc_, cfg, *dlr_, retry);
    tap.target = disp_.get();
    for (auto const& rc : cfg.carriers) {
      carriers.push_back(
          std::make_unique<carrier>(io.get_executor(), rc.link, tap, disp_->source_for(rc.link.name)));
      if (auto err = carriers.back()->start()) throw std::runtime_error(*err);
    }
    // Every carrier whose simulator accepts binds is bound before the test goes on: otherwise
    // an alternate that binds first takes the home carrier's OTPs (it backs it up), and a test
    // expecting "tried on A, then B" races the binds (seen in CI).
    auto all_bound = [&] {
      for (std::size_t i = 0; i < carriers.size(); ++i) {
        if (sims[i]->sim().current_faults().refuse_binds) continue;
        if (carriers[i]->bound_links() == 0) return false;
      }
      return true;
    };
    if (!wait_until(all_bound)) throw std::runtime_error("carriers did not bind");
  }

  /// Graceful stop: no more claims, links unbound, the queue writer drained, then everything
  /// posted back to the network thread run, so nothing refers to what is destroyed next.
  void stop() {
    if (!disp_) return;
    disp_->stop_dequeuing();
    for (auto& c : carriers) stop_carrier(io, *c);
    // Submit results and receipts still waiting in the batcher are committed first.
    run_until(io, [&] { return disp_->transitions_idle(); });
    gc_->stop();
    io.restart();
    io.poll();
    carriers.clear();
    disp_.reset();
    gc_.reset();
    dlr_.reset();
  }

  sim::simulator& sim(std::string_view name) {
    for (std::size_t i = 0; i < cfg.carriers.size(); ++i)
      if (cfg.carriers[i].link.name == name) return sims[i]->sim();
    throw std::runtime_error("no simulator " + std::string(name));
  }
  dispatcher& disp() { return *disp_; }
  queue::group_commit& gc() { return *gc_; }

  /// Runs `f(store&)` on the queue thread and waits for its result (the network thread does
  /// not run meanwhile; nothing on it is needed for a queue operation).
  template <class F>
  auto on_queue(F f) {
    return gc_->run(std::move(f)).get();
  }

  queue::message_id enqueue(queue::enqueue_request r) {
    auto carrier = r.carrier;
    auto out = gc_->enqueue(std::move(r)).get();
    if (!out) throw std::runtime_error("enqueue: " + out.error().message);
    disp_->notify(carrier);
    return out->id;
  }
  queue::message get(queue::message_id id) {
    auto m = on_queue([id](queue::store& s) { return s.get(id); });
    if (!m) throw std::runtime_error("get: " + m.error().message);
    return *m;
  }
  std::vector<queue::event> history(queue::message_id id) {
    auto h = on_queue([id](queue::store& s) { return s.history(id); });
    if (!h) throw std::runtime_error("history: " + h.error().message);
    return *h;
  }

  /// Runs the network thread until `done()` (false after the hang guard).
  template <class Pred>
  bool wait_until(Pred done, std::chrono::milliseconds guard = std::chrono::seconds(30)) {
    return run_until(io, done, guard);
  }
  bool wait_state(queue::message_id id, queue::state st,
                  std::chrono::milliseconds guard = std::chrono::seconds(30)) {
    return wait_until([&] { return get(id).st == st; }, guard);
  }

  std::vector<std::string> dlr_lines() const {
    std::ifstream in(dlr_path);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  /// Waits for the DLR line of `id` in state `st` (written on the network thread just after
  /// the commit, so a state seen in the store may not be logged yet).
  bool wait_dlr(queue::message_id id, std::string_view st) {
    return wait_until([&] { return dlr_has(dlr_lines(), id, st); });
  }
  /// The submit_sm the simulator of `carrier` received for `recipient`, in arrival order.
  std::vector<sim::received_submit> submits_to(std::string_view carrier, std::string_view recipient) {
    std::vector<sim::received_submit> out;
    for (auto& s : sim(carrier).submits())
      if (s.sm.destination_addr == recipient) out.push_back(std::move(s));
    return out;
  }

  temp_dir dir;
  std::string db_path, dlr_path;
  daemon_config cfg;
  retry_settings retry;
  queue::group_commit_options writer;  ///< for the queue writer made by start() (pipelined)
  std::vector<std::unique_ptr<sim::simulator_thread>> sims;
  boost::asio::io_context io{1};
  tap_events tap;
  queue::recovery_report recovery;
  std::vector<std::unique_ptr<carrier>> carriers;

 private:
  std::optional<queue::group_commit> gc_;
  std::optional<dlr_log> dlr_;
  std::unique_ptr<dispatcher> disp_;
};

/// An OTP request for `recipient` (normalised 62...) through `carrier`.
inline queue::enqueue_request otp_request(std::string recipient, std::string carrier,
                                          std::chrono::milliseconds validity = std::chrono::minutes(5)) {
  queue::enqueue_request r;
  r.recipient = std::move(recipient);
  r.sender = "SMSGW";
  r.text = "Kode OTP 123456";
  r.prio = queue::priority::otp;
  r.carrier = std::move(carrier);
  r.validity = validity;
  r.now = queue::clock::now();
  return r;
}

/// The recipient number of test message `n` (unique per n).
inline std::string number(int n) { return "62811" + std::to_string(2000000 + n); }

/// Position of the first submit_sm to `recipient` in `all` (all.size() if none).
inline std::size_t position(std::vector<sim::received_submit> const& all,
                            std::string_view recipient) {
  auto it = std::find_if(all.begin(), all.end(), [&](sim::received_submit const& s) {
    return s.sm.destination_addr == recipient;
  });
  return static_cast<std::size_t>(it - all.begin());
}

}  // namespace smsgw::test
