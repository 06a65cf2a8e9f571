// tools/smsc-sim/simulator.cpp: the simulator's core (acceptor, receipt scheduler, routing
// of receipts to receiver binds) and the thread-safe public facade. Receipts owed to an
// account with no receiver bound are parked and handed over when one binds, as a real
// SMSC stores them; one scheduler coroutine with a min-heap runs every timed job.
#include "tools/smsc-sim/simulator.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "tools/smsc-sim/sim_core.hpp"
#include "tools/smsc-sim/sim_session.hpp"

namespace smsgw::sim {
namespace asio = boost::asio;

namespace detail {
namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

/// co_spawn completion: a coroutine that escapes with an exception is a bug; say which.
auto log_exception(std::string what) {
  return [what = std::move(what)](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (std::exception const& ex) {
      spdlog::error("{}: {}", what, ex.what());
    }
  };
}

asio::ip::tcp::acceptor open_acceptor(asio::any_io_executor ex, sim_config const& cfg) {
  asio::ip::tcp::acceptor acceptor(ex);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(cfg.bind_address, ec);
  if (ec) throw std::system_error(ec, "smsc-sim " + cfg.name + ": bad bind address '" + cfg.bind_address + "'");
  asio::ip::tcp::endpoint ep(address, cfg.port);
  acceptor.open(ep.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(ep, ec);
  if (ec)
    throw std::system_error(ec, fmt::format("smsc-sim {}: bind {}:{}", cfg.name, cfg.bind_address, cfg.port));
  acceptor.listen();
  return acceptor;
}

}  // namespace

sim_core::sim_core(asio::any_io_executor ex, sim_config cfg)
    : ex_(ex), cfg_(std::move(cfg)), acceptor_(open_acceptor(ex, cfg_)),
      port_(acceptor_.local_endpoint().port()), next_message_number_(cfg_.first_message_id),
      rng_(cfg_.seed), timer_(ex), submit_times_timer_(ex) {
  if (!cfg_.submit_times_path.empty())
    submit_times_ = std::make_unique<submit_times_file>(cfg_.submit_times_path);
  observed_.current = cfg_.initial_faults;
  observed_.fault_closes_left = cfg_.initial_faults.close_max_times;
}

void sim_core::start() {
  asio::co_spawn(ex_, accept_loop(), log_exception("smsc-sim " + cfg_.name + " accept"));
  asio::co_spawn(ex_, run_scheduler(), log_exception("smsc-sim " + cfg_.name + " receipts"));
  if (submit_times_)
    asio::co_spawn(ex_, flush_submit_times(), log_exception("smsc-sim " + cfg_.name + " submit times"));
}

void sim_core::stop() {
  if (stopped_) return;
  stopped_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  auto sessions = sessions_;
  for (auto const& s : sessions) s->close();
  timer_.cancel();
  submit_times_timer_.cancel();
  if (submit_times_) submit_times_->flush();
  parked_.clear();
  events_.clear();
  spdlog::info("[{}] stopped", cfg_.name);
}

asio::awaitable<void> sim_core::accept_loop() {
  auto self = shared_from_this();
  while (!stopped_) {
    auto [ec, socket] = co_await acceptor_.async_accept(tuple_awaitable);
    if (stopped_) co_return;
    if (ec) {
      // e.g. EMFILE: say so and pause briefly instead of spinning.
      spdlog::warn("[{}] accept: {}", cfg_.name, ec.message());
      asio::steady_timer pause(ex_, std::chrono::milliseconds(100));
      co_await pause.async_wait(tuple_awaitable);
      continue;
    }
    socket.set_option(asio::ip::tcp::no_delay(true), ec);
    auto id = next_connection_id_++;
    with_observed([](observed& o) { ++o.counters.connections_accepted; });
    auto session = std::make_shared<sim_session>(std::move(socket), self, id);
    sessions_.insert(session);
    asio::co_spawn(ex_, session->run(), log_exception(fmt::format("smsc-sim {} #{}", cfg_.name, id)));
  }
}

asio::awaitable<void> sim_core::run_scheduler() {
  auto self = shared_from_this();
  while (!stopped_) {
    if (events_.empty() || events_.front().due > std::chrono::steady_clock::now()) {
      // Sleep until the earliest job; push_event() moves the expiry earlier (which ends this
      // wait) and stop() cancels it.
      timer_.expires_at(events_.empty() ? std::chrono::steady_clock::time_point::max()
                                        : events_.front().due);
      co_await timer_.async_wait(tuple_awaitable);
      continue;
    }
    std::pop_heap(events_.begin(), events_.end(), later_first{});
    timed_event ev = std::move(events_.back());
    events_.pop_back();
    if (!ev.check_ack) {
      route_receipt(std::move(ev.job));
      continue;
    }
    if (auto s = ev.session.lock()) {
      if (auto job = s->take_outstanding(ev.sequence_number)) {
        with_observed([](observed& o) { ++o.counters.receipts_timed_out; });
        redeliver(std::move(*job), "no deliver_sm_resp in time");
      }
    }
  }
}

// The --submit-times lines reach the file within submit_times_flush of their submit_sm: one
// write per period, not one per message.
asio::awaitable<void> sim_core::flush_submit_times() {
  auto self = shared_from_this();
  while (!stopped_) {
    submit_times_timer_.expires_after(cfg_.submit_times_flush);
    co_await submit_times_timer_.async_wait(tuple_awaitable);
    submit_times_->flush();
  }
}

void sim_core::push_event(timed_event ev) {
  if (stopped_) return;
  ev.order = event_order_++;
  bool earliest = events_.empty() || ev.due < events_.front().due;
  auto const due = ev.due;
  events_.push_back(std::move(ev));
  std::push_heap(events_.begin(), events_.end(), later_first{});
  if (earliest) timer_.expires_at(due);  // wakes the scheduler if it sleeps for a later one
}

outcome sim_core::draw_outcome() {
  auto const& m = cfg_.outcomes;
  auto total = m.total();
  if (total == 0) return outcome::delivrd;
  auto r = static_cast<unsigned>(rng_() % total);
  if (r < m.delivrd) return outcome::delivrd;
  r -= m.delivrd;
  if (r < m.undeliv) return outcome::undeliv;
  r -= m.undeliv;
  if (r < m.rejectd) return outcome::rejectd;
  r -= m.rejectd;
  if (r < m.expired) return outcome::expired;
  return outcome::none;
}

bool sim_core::draw_throttle(faults const& f) {
  bool every = f.throttle_every != 0 && with_observed([&](observed& o) {
    return ++o.throttle_count % f.throttle_every == 0;
  });
  bool random = f.throttle_rate > 0.0 &&
                std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < f.throttle_rate;
  if (every || random) return true;
  if (cfg_.max_submits_per_s <= 0) return false;
  // The contract cap: a token bucket refilled at max_submits_per_s; a throttled submit
  // costs nothing, as on a real SMSC.
  auto depth = cfg_.max_submits_burst > 0 ? cfg_.max_submits_burst : std::max(1.0, cfg_.max_submits_per_s);
  auto now = std::chrono::steady_clock::now();
  if (cap_refilled_ == std::chrono::steady_clock::time_point{}) cap_tokens_ = depth;
  else cap_tokens_ = std::min(depth, cap_tokens_ + std::chrono::duration<double>(now - cap_refilled_).count() *
                                                       cfg_.max_submits_per_s);
  cap_refilled_ = now;
  if (cap_tokens_ >= 1.0) {
    cap_tokens_ -= 1.0;
    return false;
  }
  with_observed([](observed& o) { ++o.counters.submits_over_cap; });
  return true;
}

void sim_core::schedule_receipt(receipt_job job, std::chrono::milliseconds delay) {
  timed_event ev;
  ev.due = std::chrono::steady_clock::now() + delay;
  ev.job = std::move(job);
  push_event(std::move(ev));
}

void sim_core::watch_ack(std::shared_ptr<sim_session> const& s, std::uint32_t sequence_number) {
  timed_event ev;
  ev.due = std::chrono::steady_clock::now() + cfg_.deliver_resp_timeout;
  ev.check_ack = true;
  ev.session = s;
  ev.sequence_number = sequence_number;
  push_event(std::move(ev));
}

void sim_core::route_receipt(receipt_job job) {
  if (stopped_) return;
  bool stalled = with_observed([](observed& o) { return o.current.stall; });
  std::vector<std::shared_ptr<sim_session>> receivers;
  if (!stalled)
    for (auto const& s : sessions_)
      if (s->receives() && s->system_id() == job.system_id) receivers.push_back(s);
  if (receivers.empty()) {
    with_observed([](observed& o) { ++o.counters.receipts_parked; });
    parked_[job.system_id].push_back(std::move(job));
    return;
  }
  // Sessions live in a set ordered by address: sort by connection id so the rotation is stable.
  std::sort(receivers.begin(), receivers.end(),
            [](auto const& a, auto const& b) { return a->connection_id() < b->connection_id(); });
  auto& next = round_robin_[job.system_id];
  receivers[next++ % receivers.size()]->deliver(std::move(job));
}

void sim_core::redeliver(receipt_job job, std::string_view why) {
  if (stopped_) return;
  if (job.attempts >= cfg_.max_deliveries) {
    with_observed([](observed& o) { ++o.counters.receipts_dropped; });
    spdlog::warn("[{}] receipt {} dropped after {} attempts ({})", cfg_.name,
                 format_message_id(job.message_number, cfg_.receipt_id_format), job.attempts, why);
    return;
  }
  spdlog::info("[{}] receipt {} will be redelivered ({})", cfg_.name,
               format_message_id(job.message_number, cfg_.receipt_id_format), why);
  schedule_receipt(std::move(job), cfg_.redelivery_delay);
}

void sim_core::flush_parked(std::string const& system_id) {
  auto it = parked_.find(system_id);
  if (it == parked_.end()) return;
  auto jobs = std::move(it->second);
  parked_.erase(it);
  for (auto& job : jobs) route_receipt(std::move(job));
}

void sim_core::forget(std::shared_ptr<sim_session> const& s) { sessions_.erase(s); }

void sim_core::unbind_all() {
  auto sessions = sessions_;
  for (auto const& s : sessions) s->unbind();
}

void sim_core::drop_binds(std::chrono::milliseconds how_long) {
  auto until = std::chrono::steady_clock::now() + how_long;
  with_observed([&](observed& o) {
    o.binds_down_until = until;
    if (how_long.count() > 0) ++o.counters.bind_drops;
  });
  if (how_long.count() <= 0) {
    spdlog::warn("[{}] fault: binds accepted again", cfg_.name);
    return;
  }
  spdlog::warn("[{}] fault: dropping {} connection(s), binds refused for {} ms", cfg_.name, sessions_.size(),
               how_long.count());
  auto sessions = sessions_;
  for (auto const& s : sessions) s->close();
}

void sim_core::enquire_link_all() {
  auto sessions = sessions_;
  for (auto const& s : sessions)
    if (s->bound()) s->enquire_link();
}

void sim_core::set_faults(faults f) {
  bool stall_cleared = with_observed([&](observed& o) {
    bool was_stalled = o.current.stall;
    o.current = f;
    o.fault_closes_left = f.close_max_times;
    o.throttle_count = 0;
    return was_stalled && !f.stall;
  });
  if (!stall_cleared) return;
  // Receipts parked while stalled go out now.
  asio::post(ex_, [self = shared_from_this()] {
    std::vector<std::string> ids;
    for (auto const& [id, jobs] : self->parked_) ids.push_back(id);
    for (auto const& id : ids) self->flush_parked(id);
  });
}

}  // namespace detail

simulator::simulator(asio::any_io_executor ex, sim_config cfg)
    : core_(std::make_shared<detail::sim_core>(ex, std::move(cfg))) {}

simulator::~simulator() { stop(); }

void simulator::start() {
  asio::post(core_->executor(), [core = core_] { core->start(); });
}

void simulator::stop() {
  asio::post(core_->executor(), [core = core_] { core->stop(); });
}

std::uint16_t simulator::port() const noexcept { return core_->port(); }
sim_config const& simulator::config() const noexcept { return core_->config(); }

void simulator::set_faults(faults f) { core_->set_faults(std::move(f)); }

faults simulator::current_faults() const {
  return core_->with_observed([](detail::observed& o) { return o.current; });
}

stats simulator::counters() const {
  return core_->with_observed([](detail::observed& o) { return o.counters; });
}

std::vector<received_submit> simulator::submits() const {
  return core_->with_observed([](detail::observed& o) { return o.submits; });
}

std::uint32_t simulator::active_binds(std::string_view system_id) const {
  return core_->with_observed([&](detail::observed& o) {
    auto it = o.binds.find(system_id);
    return it == o.binds.end() ? 0u : it->second.active;
  });
}

std::uint32_t simulator::max_concurrent_binds(std::string_view system_id) const {
  return core_->with_observed([&](detail::observed& o) {
    auto it = o.binds.find(system_id);
    return it == o.binds.end() ? 0u : it->second.max;
  });
}

void simulator::unbind_all() {
  asio::post(core_->executor(), [core = core_] { core->unbind_all(); });
}

void simulator::drop_binds(std::chrono::milliseconds how_long) {
  asio::post(core_->executor(), [core = core_, how_long] { core->drop_binds(how_long); });
}

void simulator::enquire_link_all() {
  asio::post(core_->executor(), [core = core_] { core->enquire_link_all(); });
}

simulator_thread::simulator_thread(sim_config cfg)
    : sim_(std::make_unique<simulator>(io_.get_executor(), std::move(cfg))) {
  sim_->start();
  thread_ = std::thread([this] { io_.run(); });
}

simulator_thread::~simulator_thread() {
  // Stop on the simulator's thread and let its coroutines unwind: run() returns once no work
  // is left. Only if that hangs (a bug) are the remaining handlers abandoned.
  sim_->stop();
  for (int i = 0; i < 200 && !io_.stopped(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  io_.stop();
  thread_.join();
}

}  // namespace smsgw::sim
