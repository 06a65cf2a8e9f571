// daemon/link/carrier.cpp: the carrier's links, its shared token bucket and the hand-over of
// messages from the source to whichever link has window room (see carrier.hpp).
// Invariant: a message taken from the source is, at every moment, in exactly one place: a
// batch being paid for here, a link's outbox/window, or back in the source.
#include "daemon/link/carrier.hpp"
#include "daemon/link/cancellation.hpp"

#include <algorithm>
#include <cmath>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace smsgw {

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

/// Releases the gate however next() ends (return, cancellation, exception), or earlier.
struct gate_token {
  async_gate& gate;
  bool held = true;
  void release() {
    if (held) gate.release();
    held = false;
  }
  ~gate_token() { release(); }
};
}  // namespace

carrier::carrier(asio::any_io_executor ex, carrier_config config, smpp_events& events,
                 message_source& source)
    : executor_(ex),
      config_(std::move(config)),
      events_(events),
      source_(source),
      bucket_(config_.throttle, std::chrono::steady_clock::now()),
      gate_(ex),
      link_ended_(ex) {}

carrier::~carrier() = default;

std::optional<std::string> carrier::start() {
  if (auto problems = validate(config_); !problems.empty()) return problems.front();
  if (config_.tls.enabled) {
    std::string error;
    tls_context_ = make_tls_context(config_.tls, error);
    if (!tls_context_) return fmt::format("carrier {}: {}", config_.name, error);
  }
  for (unsigned i = 1; i <= config_.binds; ++i) {
    if (config_.mode == bind_layout::transceiver) {
      links_.push_back(std::make_shared<smsc_link>(
          executor_, make_link_config(fmt::format("{}-{}", config_.name, i), smpp::bind_mode::transceiver),
          events_, this));
    } else {
      links_.push_back(std::make_shared<smsc_link>(
          executor_, make_link_config(fmt::format("{}-{}-tx", config_.name, i), smpp::bind_mode::transmitter),
          events_, this));
      links_.push_back(std::make_shared<smsc_link>(
          executor_, make_link_config(fmt::format("{}-{}-rx", config_.name, i), smpp::bind_mode::receiver),
          events_, nullptr));
    }
  }
  spdlog::info("carrier {}: {} link(s) to {}:{}{}, window {}, {} segments/s", config_.name,
               links_.size(), config_.host, config_.port, config_.tls.enabled ? " (TLS)" : "",
               config_.window, config_.throttle.rate);
  for (auto const& link : links_) spawn(link);
  return std::nullopt;
}

link_config carrier::make_link_config(std::string bind_name, smpp::bind_mode mode) const {
  link_config lc;
  lc.id = link_identity{config_.name, std::move(bind_name), {}};
  lc.stream.host = config_.host;
  lc.stream.port = config_.port;
  lc.stream.tls = &config_.tls;
  lc.stream.tls_context = tls_context_;
  lc.stream.connect_timeout = config_.timeouts.connect;
  lc.stream.handshake_timeout = config_.timeouts.tls_handshake;
  auto& s = lc.session;
  s.mode = mode;
  s.system_id = config_.system_id;
  s.password = config_.password;
  s.system_type = config_.system_type;
  s.interface_version = config_.interface_version;
  s.addr_ton = config_.addr_ton;
  s.addr_npi = config_.addr_npi;
  s.address_range = config_.address_range;
  s.window = config_.window;
  s.response_timeout = config_.timeouts.response;
  s.enquire_link_interval = config_.timeouts.enquire_link_interval;
  s.enquire_link_timeout = config_.timeouts.enquire_link_response;
  s.bind_timeout = config_.timeouts.bind_response;
  s.unbind_timeout = config_.timeouts.unbind_response;
  s.drain_timeout = config_.timeouts.drain;
  lc.reconnect = config_.reconnect;
  return lc;
}

void carrier::spawn(std::shared_ptr<smsc_link> link) {
  ++running_;
  asio::co_spawn(executor_, run_smsc_link(link), [this, link](std::exception_ptr e) {
    --running_;
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (std::exception const& ex) {
        spdlog::error("{}: link ended by an exception: {}", link->identity().bind, ex.what());
      }
      if (!stopping_) spawn(link);  // a surprise exception is logged once and the link restarted
    }
    link_ended_.notify();
  });
}

asio::awaitable<void> carrier::stop() {
  stopping_ = true;
  for (auto const& link : links_) link->stop();
  while (running_ > 0) co_await link_ended_.wait();
  spdlog::info("carrier {}: stopped", config_.name);
}

double carrier::current_rate() const {
  return bucket_.rate(std::chrono::steady_clock::now());
}

void carrier::set_throughput_cap(double rate) {
  if (rate == bucket_.cap()) return;
  spdlog::info("carrier {}: throughput cap {:.2f} -> {:.2f} segments/s", config_.name, bucket_.cap(), rate);
  bucket_.set_cap(rate, std::chrono::steady_clock::now());
}

void carrier::retune(throttle_config const& throttle) {
  auto const now = std::chrono::steady_clock::now();
  auto const old_rate = config_.throttle.rate;
  auto rest_old = config_.throttle, rest_new = throttle;
  rest_old.rate = rest_new.rate = 0;
  config_.throttle = throttle;
  if (!(rest_old == rest_new)) {
    bucket_ = smpp::token_bucket(throttle, now);
    spdlog::info("carrier {}: new token bucket: {:.2f} segments/s, burst {:.0f}", config_.name,
                 throttle.rate, throttle.burst);
  } else if (old_rate != throttle.rate) {
    set_throughput_cap(throttle.rate);
  }
}

std::size_t carrier::bound_links() const {
  return static_cast<std::size_t>(std::count_if(links_.begin(), links_.end(), [](auto const& l) {
    return l->state() == link_state::bound;
  }));
}

asio::awaitable<std::vector<outbound_message>> carrier::next(std::size_t max) {
  if (!co_await gate_.acquire()) co_return std::vector<outbound_message>{};  // cancelled
  gate_token token{gate_};
  // Take no more than the bucket can pay now (at least one, which we then wait for), so
  // messages are not pulled out of priority order only to be handed back.
  auto const tokens = bucket_.tokens(std::chrono::steady_clock::now());
  auto const affordable = tokens >= 1 ? static_cast<std::size_t>(std::floor(tokens)) : 1;
  auto const want = std::clamp<std::size_t>(affordable, 1, std::max<std::size_t>(max, 1));
  // Tokens for all of them (one part each) and window room: they can be written at once.
  // (Then the source may claim and mark in one durable commit inside take(): this link holds
  // the gate across that fsync, where a separate mark waits for it after the release below.)
  bool const writable = tokens >= static_cast<double>(want);
  std::vector<outbound_message> batch;
  if (writable) batch = co_await source_.take_writable(want);
  else batch = co_await source_.take(want);
  stats_.taken += batch.size();
  if (was_cancelled(co_await asio::this_coro::cancellation_state)) {
    for (auto& m : batch) give_back(std::move(m));
    co_return std::vector<outbound_message>{};
  }
  std::size_t paid = 0;
  try {
    paid = co_await pay_tokens(batch);
  } catch (...) {
    // Cancelled on the way (asio throws operation_aborted at a co_await after a cancellation):
    // nothing of the batch was sent; it goes back in its place before the exception goes on.
    for (auto& m : batch) give_back(std::move(m));
    throw;
  }
  for (auto i = paid; i < batch.size(); ++i) give_back(std::move(batch[i]));
  batch.resize(paid);
  // Taken in order and paid for: the next link may take now. The sending mark below waits
  // for an fsync; under a flood the carrier's other binds claim and mark meanwhile (their
  // marks share that fsync) instead of queueing behind it (docs/performance.md).
  token.release();
  // Recorded as "may reach the SMSC" only now, right before the link writes them: messages
  // that waited here for tokens and were never written go back to the queue after a crash.
  try {
    if (!was_cancelled(co_await asio::this_coro::cancellation_state)) co_await source_.before_send(batch);
  } catch (...) {
    for (auto& m : batch) give_back(std::move(m));
    throw;
  }
  if (was_cancelled(co_await asio::this_coro::cancellation_state)) {
    for (auto& m : batch) give_back(std::move(m));
    co_return std::vector<outbound_message>{};
  }
  co_return batch;
}

/// Takes tokens for batch[0..k) in order; waits only for the first message. Returns k
/// (0 if cancelled while waiting).
asio::awaitable<std::size_t> carrier::pay_tokens(std::vector<outbound_message>& batch) {
  std::size_t paid = 0;
  asio::steady_timer timer(executor_);
  while (paid < batch.size()) {
    auto const now = std::chrono::steady_clock::now();
    auto const n = std::max(1u, batch[paid].segments);
    if (bucket_.try_take(n, now)) {
      ++paid;
      continue;
    }
    if (paid > 0) break;  // send what is paid for; the rest goes back in its place
    timer.expires_after(std::max(bucket_.time_until(n, now), std::chrono::nanoseconds(1000)));
    co_await timer.async_wait(use_tuple);
    if (was_cancelled(co_await asio::this_coro::cancellation_state)) co_return 0;
  }
  co_return paid;
}

void carrier::throttled(outbound_message msg, smpp::command_status status) {
  ++stats_.throttled;
  auto const now = std::chrono::steady_clock::now();
  if (bucket_.on_throttled(now)) {
    ++stats_.rate_cuts;
    spdlog::warn("carrier {}: SMSC answered {}: rate cut to {:.1f} segments/s", config_.name,
                 smpp::command_status_name(status), bucket_.rate(now));
  }
  source_.put_back(std::move(msg));
}

void carrier::give_back(outbound_message msg) {
  ++stats_.given_back;
  source_.put_back(std::move(msg));
}

}  // namespace smsgw
