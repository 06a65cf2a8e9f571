// daemon/api/queue_api_deps.cpp: see queue_api_deps.hpp.
#include "daemon/api/queue_api_deps.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "queue/store.hpp"

namespace smsgw {

namespace {

using batch_outcome = queue::result<std::vector<queue::result<queue::enqueue_outcome>>>;

/// The initiation of enqueue_batch (a named type: gcc 12 mishandles lambda temporaries inside
/// co_await expressions): the batch goes to the writer, the answer is posted back to `ex`.
struct enqueue_batch_init {
  queue::group_commit* gc;
  boost::asio::any_io_executor ex;
  template <class Handler>
  void operator()(Handler handler, std::vector<queue::enqueue_request> reqs) const {
    auto tracked = boost::asio::prefer(ex, boost::asio::execution::outstanding_work.tracked);
    auto h = std::make_shared<Handler>(std::move(handler));
    bool const accepted = gc->enqueue_batch_then(std::move(reqs), [h, tracked](batch_outcome o) {
      boost::asio::post(tracked, [h, o = std::move(o)]() mutable { std::move(*h)(std::move(o)); });
    });
    if (!accepted) {
      boost::asio::post(tracked, [h]() mutable {
        std::move(*h)(batch_outcome(queue::error{queue::errc::stopped, "the queue writer is stopped"}));
      });
    }
  }
};

}  // namespace

queue_api_deps::queue_api_deps(api_settings settings, std::vector<route_config> const& carriers,
                               queue::group_commit& gc, boost::asio::any_io_executor ex,
                               api_hooks hooks, carrier_table const& routing)
    : api_deps(std::move(settings), carriers, routing), gc_(gc), wake_(ex),
      executor_(ex), enqueuer_(gc, std::move(ex)), hooks_(std::move(hooks)) {
  // GET /v1/events streams sleep until the queue's next durable commit.
  gc_.set_durable_hook([w = &wake_] { w->notify_from_any_thread(); });
}

queue_api_deps::~queue_api_deps() { gc_.set_durable_hook({}); }

boost::asio::awaitable<queue::result<queue::outcome_page>> queue_api_deps::outcomes_after(
    queue::event_key after, std::size_t max_rows) {
  co_return co_await queue_call(gc_, [after, max_rows](queue::store& s) {
    return s.outcomes_after(after, max_rows);
  });
}

boost::asio::awaitable<queue::result<queue::enqueue_outcome>> queue_api_deps::enqueue(
    queue::enqueue_request req) {
  auto r = co_await enqueuer_.enqueue(std::move(req));
  if (!r) note_enqueue_error(r.error());
  co_return r;
}

boost::asio::awaitable<batch_outcome> queue_api_deps::enqueue_batch(
    std::vector<queue::enqueue_request> reqs) {
  enqueue_batch_init init{&gc_, executor_};
  auto r = co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                                void(batch_outcome)>(
      init, boost::asio::use_awaitable, std::move(reqs));
  if (!r) note_enqueue_error(r.error());
  co_return r;
}

void queue_api_deps::note_enqueue_error(queue::error const& e) {
  if (e.code == queue::errc::invalid_argument) return;
  last_enqueue_error_at_ = std::chrono::steady_clock::now();
  last_enqueue_error_ = e.message;
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

boost::asio::awaitable<std::optional<reload_answer>> queue_api_deps::reload() {
  if (!hooks_.reload) co_return std::nullopt;
  co_return co_await hooks_.reload();
}

void queue_api_deps::apply_config(std::shared_ptr<daemon_config const> config) {
  reconfigure(config->api, config->carriers, config->routing);
  config_ = std::move(config);  // after: the previous one stays alive until the base let go of it
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
