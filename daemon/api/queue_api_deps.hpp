// daemon/api/queue_api_deps.hpp: the api_deps the daemon runs the API with: queue work through
// the group-commit writer (enqueues batched, lookups and counts as queue calls), completing on
// the network thread. What the API needs of the rest of the daemon comes in as two hooks, so
// this room knows nothing of carriers or links.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "daemon/api/control_deps.hpp"
#include "daemon/api/http_api.hpp"
#include "daemon/dispatch/queue_bridge.hpp"
#include "queue/group_commit.hpp"

namespace smsgw {

struct api_hooks {
  /// After an accepted enqueue: the carrier's source should claim it now.
  std::function<void(std::string_view carrier)> enqueued;
  /// Extra fields for GET /healthz (links bound per carrier, ...).
  std::function<boost::json::object()> health;
  /// Why the dispatcher's queue work (claims, commits of results and receipts) is failing,
  /// nullopt if it is not: /healthz is then 503 "degraded".
  std::function<std::optional<std::string>()> queue_problem;
  /// GET /metrics: the text, read now (empty function: no metrics, 404).
  std::function<boost::asio::awaitable<std::string>()> metrics;
  /// Every answer of the API (api_deps::answered).
  std::function<void(std::string_view endpoint, int status,
                     std::chrono::steady_clock::duration took)> answered;
  // Operator control (daemon/api/control_deps.hpp); with `cancel` empty, control() is nullptr.
  std::function<boost::asio::awaitable<queue::result<queue::cancel_outcome>>(queue::message_id,
                                                                             std::string who)> cancel;
  /// Every carrier's status object, in config order.
  std::function<boost::json::array()> carriers;
  std::function<boost::asio::awaitable<queue::result<void>>(std::string carrier, bool suspended,
                                                            std::string who)> set_suspended;
  /// More reasons for /healthz to say "degraded" (no bound link for too long, low disk).
  std::function<std::vector<std::string>()> degraded;
};

class queue_api_deps : public api_deps, private control_deps {
 public:
  queue_api_deps(api_settings settings, std::vector<route_config> const& carriers,
                 queue::group_commit& gc, boost::asio::any_io_executor ex, api_hooks hooks = {},
                 carrier_table const& routing = carrier_table::indonesia_default());

  boost::asio::awaitable<queue::result<queue::enqueue_outcome>> enqueue(
      queue::enqueue_request req) override;
  boost::asio::awaitable<queue::result<message_view>> lookup(queue::message_id id) override;
  void enqueued(std::string_view carrier) override;
  boost::asio::awaitable<std::optional<queue::result<std::array<std::int64_t, 3>>>>
  queue_waiting() override;
  boost::json::object health() override;
  /// The dispatcher's problem (hooks.queue_problem), else a failed enqueue commit less than
  /// 30 s ago.
  std::optional<std::string> queue_problem() override;
  boost::asio::awaitable<std::optional<std::string>> metrics_text() override;
  std::vector<std::string> degraded_reasons() override;
  control_deps* control() override;
  void answered(std::string_view endpoint, int status,
                std::chrono::steady_clock::duration took) override;

 private:
  // control_deps, from the hooks (backlog: a queue call of its own).
  boost::asio::awaitable<queue::result<queue::cancel_outcome>> cancel(queue::message_id id,
                                                                      std::string who) override;
  boost::json::array carriers() override;
  boost::asio::awaitable<queue::result<std::vector<queue::backlog_group>>> backlog() override;
  boost::asio::awaitable<queue::result<void>> set_suspended(std::string carrier, bool suspended,
                                                            std::string who) override;

  queue::group_commit& gc_;
  queue_enqueuer enqueuer_;
  api_hooks hooks_;
  std::optional<std::chrono::steady_clock::time_point> last_enqueue_error_at_;
  std::string last_enqueue_error_;
};

}  // namespace smsgw
