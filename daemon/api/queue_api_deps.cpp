// daemon/api/queue_api_deps.cpp: see queue_api_deps.hpp.
#include "daemon/api/queue_api_deps.hpp"

#include <fmt/format.h>

#include "queue/store.hpp"

namespace smsgw {

queue_api_deps::queue_api_deps(api_settings settings, std::vector<route_config> const& carriers,
                               queue::group_commit& gc, boost::asio::any_io_executor ex,
                               api_hooks hooks, carrier_table const& routing)
    : api_deps(std::move(settings), carriers, routing), gc_(gc), enqueuer_(gc, std::move(ex)),
      hooks_(std::move(hooks)) {}

boost::asio::awaitable<queue::result<queue::enqueue_outcome>> queue_api_deps::enqueue(
    queue::enqueue_request req) {
  auto r = co_await enqueuer_.enqueue(std::move(req));
  if (!r && r.error().code != queue::errc::invalid_argument) {
    last_enqueue_error_at_ = std::chrono::steady_clock::now();
    last_enqueue_error_ = r.error().message;
  }
  co_return r;
}

boost::asio::awaitable<queue::result<message_view>> queue_api_deps::lookup(queue::message_id id) {
  co_return co_await queue_call(gc_, [id](queue::store& s) { return read_message_view(s, id); });
}

void queue_api_deps::enqueued(std::string_view carrier) {
  if (hooks_.enqueued) hooks_.enqueued(carrier);
}

boost::asio::awaitable<std::optional<queue::result<std::array<std::int64_t, 3>>>>
queue_api_deps::queue_waiting() {
  co_return co_await queue_call(gc_, [](queue::store& s) { return s.count_waiting(); });
}

std::optional<std::string> queue_api_deps::queue_problem() {
  if (hooks_.queue_problem) {
    if (auto why = hooks_.queue_problem()) return why;
  }
  if (last_enqueue_error_at_ &&
      std::chrono::steady_clock::now() - *last_enqueue_error_at_ < std::chrono::seconds(30)) {
    auto ago = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                *last_enqueue_error_at_);
    return fmt::format("the queue refused an enqueue {} s ago: {}", ago.count(), last_enqueue_error_);
  }
  return std::nullopt;
}

boost::json::object queue_api_deps::health() {
  return hooks_.health ? hooks_.health() : boost::json::object{};
}

boost::asio::awaitable<std::optional<std::string>> queue_api_deps::metrics_text() {
  if (!hooks_.metrics) co_return std::nullopt;
  co_return co_await hooks_.metrics();
}

std::vector<std::string> queue_api_deps::degraded_reasons() {
  return hooks_.degraded ? hooks_.degraded() : std::vector<std::string>{};
}

control_deps* queue_api_deps::control() { return hooks_.cancel ? this : nullptr; }

boost::asio::awaitable<queue::result<queue::cancel_outcome>> queue_api_deps::cancel(queue::message_id id,
                                                                                    std::string who) {
  co_return co_await hooks_.cancel(id, std::move(who));
}

boost::json::array queue_api_deps::carriers() {
  return hooks_.carriers ? hooks_.carriers() : boost::json::array{};
}

boost::asio::awaitable<queue::result<std::vector<queue::backlog_group>>> queue_api_deps::backlog() {
  co_return co_await queue_call(gc_, [](queue::store& s) { return s.queued_backlog(); });
}

boost::asio::awaitable<queue::result<void>> queue_api_deps::set_suspended(std::string carrier,
                                                                          bool suspended, std::string who) {
  if (!hooks_.set_suspended)
    co_return queue::error{queue::errc::invalid_argument, "carrier control is not wired"};
  co_return co_await hooks_.set_suspended(std::move(carrier), suspended, std::move(who));
}

void queue_api_deps::answered(std::string_view endpoint, int status,
                              std::chrono::steady_clock::duration took) {
  if (hooks_.answered) hooks_.answered(endpoint, status, took);
}

}  // namespace smsgw
