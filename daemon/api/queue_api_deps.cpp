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

void queue_api_deps::answered(std::string_view endpoint, int status,
                              std::chrono::steady_clock::duration took) {
  if (hooks_.answered) hooks_.answered(endpoint, status, took);
}

std::optional<double> queue_api_deps::would_expire(std::string_view carrier,
                                                   std::chrono::seconds validity) {
  return hooks_.would_expire ? hooks_.would_expire(carrier, validity) : std::nullopt;
}

}  // namespace smsgw
