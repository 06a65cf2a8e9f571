// daemon/api/health_api.cpp: GET /healthz. The daemon's carrier part (api_deps::health: each
// carrier's status, daemon/carrier_status.hpp), the queue's counts, and a verdict:
//   200 "ok";
//   503 "error" with "queue": {error, message} when the queue answers with an error;
//   503 "degraded" with "reasons" (every reason, a list) and "reason" (the first) when the
//   queue does not answer within healthz_queue_wait (its thread is stuck: /healthz must not
//   hang with it), refuses work (claims or commits failing), or api_deps::degraded_reasons()
//   says so (a carrier with no bound link for too long, low disk space).
#include "daemon/api/control_api.hpp"

#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

namespace smsgw {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

using waiting_answer = std::optional<queue::result<std::array<std::int64_t, 3>>>;

/// The queue's answer, shared between the request and the task that asks the queue (which may
/// finish long after the request gave up on it).
struct pending_count {
  explicit pending_count(asio::any_io_executor ex) : done(std::move(ex)) {}
  std::optional<waiting_answer> answer;
  asio::steady_timer done;
};

/// deps.queue_waiting(), or nullopt if it did not answer within `limit`. The queue call
/// cannot be cancelled (it is queued on the writer thread): it runs on in its own task and
/// its late answer is dropped.
asio::awaitable<std::optional<waiting_answer>> queue_waiting_within(api_deps& deps,
                                                                    std::chrono::milliseconds limit) {
  auto ex = co_await asio::this_coro::executor;
  auto state = std::make_shared<pending_count>(ex);
  state->done.expires_after(limit);
  asio::co_spawn(ex, [state, &deps]() -> asio::awaitable<void> {
    auto r = co_await deps.queue_waiting();
    state->answer = std::move(r);
    state->done.cancel();
  }, asio::detached);
  if (!state->answer) co_await state->done.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return std::move(state->answer);
}

}  // namespace

asio::awaitable<http_response> get_healthz(http_request const& req, api_deps& deps) {
  auto waiting = co_await queue_waiting_within(deps, healthz_queue_wait);
  // The reasons are read before the carriers' figures, both after the wait for the queue: a
  // figure is then never older than the reason it explains (a body read before the wait said
  // "unbound_for_ms": 999 beside a reason "no bound link for 1 s").
  auto degraded = deps.degraded_reasons();
  auto o = deps.health();
  json::array reasons;
  if (!waiting) {
    reasons.emplace_back(fmt::format("the queue did not answer within {} s (its thread may be stuck)",
                                     healthz_queue_wait.count()));
  } else if (*waiting && !**waiting) {
    // The queue cannot answer (e.g. after a failed fsync nothing is acknowledged any more):
    // not healthy, whatever the links say. The message names the file and the failure.
    auto const& e = (*waiting)->error();
    o["queue"] = {{"error", queue::to_string(e.code)}, {"message", e.message}};
    o["status"] = "error";
    co_return json_response(req, 503, o);
  } else if (*waiting) {
    auto const& n = ***waiting;
    o["queue"] = {{"queued", n[0]}, {"in_flight", n[1]}, {"outcome_unknown", n[2]}};
  }
  // The queue still answers reads, but its writes fail (a full disk: every claim or enqueue
  // refused): nothing goes out, so not healthy either.
  if (auto why = deps.queue_problem()) reasons.emplace_back(*why);
  for (auto& why : degraded) reasons.emplace_back(why);
  if (!reasons.empty()) {
    o["status"] = "degraded";
    o["reason"] = reasons.front();
    o["reasons"] = std::move(reasons);
    co_return json_response(req, 503, o);
  }
  o["status"] = "ok";
  co_return json_response(req, 200, o);
}

}  // namespace smsgw
