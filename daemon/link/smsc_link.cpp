// daemon/link/smsc_link.cpp: the life of one link: connect under deadlines, run one connection
// (smsc_link_io.cpp), hand back what was in flight, back off, reconnect, until stop().
// Invariant: at most one stream per link exists at any time; a connection's stream is closed
// before the backoff sleep starts, so a carrier never holds more connections than links.
#include "daemon/link/smsc_link.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/chrono.h>
#include <spdlog/spdlog.h>

#include "daemon/link/smsc_link_connection.hpp"

// g++ 12 reports a false -Wmismatched-new-delete on coroutine frames that hold a try/catch
// (asio's awaitable_frame_base pairs its own operator new/delete correctly).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace smsgw {

using namespace asio::experimental::awaitable_operators;
namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

smsc_link::smsc_link(asio::any_io_executor ex, link_config config, smpp_events& events,
                     submit_feed* feed)
    : executor_(std::move(ex)),
      config_(std::move(config)),
      events_(events),
      feed_(feed),
      session_(config_.session),
      stop_signal_(executor_) {
  config_.id.peer = fmt::format("{}:{}", config_.stream.host, config_.stream.port);
}

smsc_link::~smsc_link() = default;

asio::awaitable<void> run_smsc_link(std::shared_ptr<smsc_link> link) { co_await link->run(); }

asio::awaitable<void> smsc_link::run() {
  smpp::backoff backoff(config_.reconnect);
  while (!stopping_) {
    set_state(link_state::connecting, "");
    auto opened = co_await (open_stream(config_.stream) || stop_signal_.wait());
    if (opened.index() == 1) break;  // stop() while connecting: nothing to unbind
    auto& r = std::get<0>(opened);
    outcome result;
    if (!r.stream) {
      ++stats_.connect_failures;
      // The same failure on every retry is said once; a change (or success) resets it.
      auto line = fmt::format("{} {} {}: {}", r.op, config_.id.bind, r.peer, r.ec.message());
      if (line != last_connect_error_) spdlog::warn("{}", line);
      last_connect_error_ = std::move(line);
      set_state(link_state::disconnected, fmt::format("{} failed: {}", r.op, r.ec.message()));
    } else {
      ++stats_.connects;
      last_connect_error_.clear();
      config_.id.peer = r.peer;
      result = co_await run_connection(std::move(*r.stream));
    }
    if (stopping_) break;
    if (result.bound) backoff.reset();
    auto delay = backoff.next(result.credential_error);
    spdlog::debug("{} {}: reconnecting in {}", config_.id.bind, config_.id.peer, delay);
    if (!co_await sleep_unless_stopped(delay)) break;
  }
  set_state(link_state::stopped, "stopped");
}

asio::awaitable<smsc_link::outcome> smsc_link::run_connection(link_stream stream) {
  link_connection c(executor_, std::move(stream));
  conn_ = &c;
  c.ack_sink = std::make_shared<deliver_ack::sink>(
      [this](std::uint32_t seq, smpp::command_status status) { ack_deliver(seq, status); });
  auto const now = std::chrono::steady_clock::now();
  session_.start(now, actions_);
  process(c);
  try {
    co_await ((read_pdus(c) && write_pdus(c)) || drive_timers(c) || feed_submits(c));
  } catch (std::exception const& e) {
    // Not an expected network outcome (those are values): a bug. Drop this connection only.
    spdlog::error("{} {}: internal error, dropping the connection: {}", config_.id.bind,
                  config_.id.peer, e.what());
    c.finish(fmt::format("internal error: {}", e.what()));
  }
  conn_ = nullptr;
  c.ack_sink.reset();  // acks still on their way are dropped: the SMSC redelivers
  c.finish(c.end_reason.empty() ? "closed" : c.end_reason);
  if (session_.state() != smpp::session_state::closed) {
    session_.on_disconnect(std::chrono::steady_clock::now(), actions_);
  }
  process(c);  // reports every submit still outstanding as outcome unknown
  set_state(link_state::disconnected, c.end_reason);
  co_return outcome{c.bound, c.credential_error};
}

asio::awaitable<bool> smsc_link::sleep_unless_stopped(std::chrono::milliseconds delay) {
  asio::steady_timer timer(executor_, delay);
  auto r = co_await (timer.async_wait(use_tuple) || stop_signal_.wait());
  co_return r.index() == 0 && !stopping_;
}

void smsc_link::stop() {
  if (stopping_) return;
  stopping_ = true;
  spdlog::info("{} {}: stopping", config_.id.bind, config_.id.peer);
  if (conn_ != nullptr) {
    session_.close(std::chrono::steady_clock::now(), actions_);
    process(*conn_);
  }
  stop_signal_.notify();
}

void smsc_link::ack_deliver(std::uint32_t sequence_number, smpp::command_status status) {
  if (conn_ == nullptr) return;
  if (!session_.ack_deliver(sequence_number, status, actions_)) {
    spdlog::debug("{} {}: ack for deliver_sm seq {} dropped: nothing awaits it",
                  config_.id.bind, config_.id.peer, sequence_number);
  }
  process(*conn_);
}

void smsc_link::set_state(link_state s, std::string_view detail) {
  if (s == state_) return;
  state_ = s;
  if (detail.empty()) {
    spdlog::info("{} {}: {}", config_.id.bind, config_.id.peer, to_string(s));
  } else {
    spdlog::info("{} {}: {} ({})", config_.id.bind, config_.id.peer, to_string(s), detail);
  }
  events_.on_link_state(config_.id, s, detail);
}

void smsc_link::handle_bind_failed(smpp::bind_failed const& f) {
  ++stats_.bind_failures;
  auto const op = fmt::format("bind_{}", smpp::to_string(config_.session.mode));
  std::string why = f.timed_out      ? std::string("no bind response in time")
                    : f.generic_nack ? fmt::format("generic_nack {}", make_error_code(f.status).message())
                                     : make_error_code(f.status).message();
  auto line = fmt::format("{} {} {}: {}", op, config_.id.bind, config_.id.peer, why);
  if (f.credential_error) {
    conn_->credential_error = true;
    // A wrong password does not fix itself: say it once, loudly, until it changes.
    if (line != last_bind_error_) spdlog::error("{} (retrying slowly)", line);
  } else {
    spdlog::warn("{}", line);
  }
  last_bind_error_ = std::move(line);
  set_state(link_state::disconnected, why);
}

}  // namespace smsgw
