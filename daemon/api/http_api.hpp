// daemon/api/http_api.hpp: the HTTP API as one function of (request, deps) -> response, with no
// sockets; daemon/api/http_server.* is the transport. Queue work goes
// through `api_deps`, whose awaitables complete off the network thread's back (the daemon
// uses the group-commit writer; tests may run a store inline).
//   POST /v1/otp            OTP: to, text | code (+template), purpose, ttl_seconds, idempotency_key
//   POST /v1/messages       transactional/bulk: to, text, priority, ttl_seconds, idempotency_key
//   POST /v1/messages/batch up to 1,000 such messages, one durable commit, a result per item
//                           (daemon/api/batch_api.cpp)
//   GET  /v1/messages/{id}  state and attempt history (never the text)
//   GET  /healthz           liveness, link summary, messages waiting (503 if the queue fails,
//                           or refuses claims or commits: "degraded" with the reason)
//   GET  /metrics           Prometheus text exposition (api_deps::metrics_text)
//   DELETE /v1/messages/{id}, GET /v1/carriers, POST /v1/carriers/{name}/suspend|resume:
//                           operator control (daemon/api/control_api.hpp)
//   POST /v1/reload         re-read the configuration (api_deps::reload, reload_api.cpp)
//   GET  /v1/events         Server-Sent Events of outcomes: served by the transport
//                           (daemon/api/event_stream.hpp), not by handle_request()
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/object.hpp>

#include "daemon/api/peer_credentials.hpp"
#include "daemon/config/carrier_routing.hpp"
#include "daemon/config/config.hpp"
#include "queue/error.hpp"
#include "queue/message.hpp"
#include "queue/msisdn.hpp"
#include "queue/outcome_feed.hpp"

namespace smsgw::queue {
class store;
}

namespace smsgw {

class control_deps;
class event_wake;

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

/// A message and its history, for GET /v1/messages/{id}.
struct message_view {
  queue::message msg;
  std::vector<queue::event> history;
};

/// The store work behind api_deps::lookup (run it on the queue thread): the message and its
/// whole history, or the store's error (not_found for an unknown id).
queue::result<message_view> read_message_view(queue::store& s, queue::message_id id);

/// The outcome of a configuration reload (POST /v1/reload, daemon/api/reload_api.cpp).
struct reload_answer {
  bool applied = false;                    ///< false: refused, `message` says why
  std::vector<std::string> changes;        ///< what changed, in words
  std::vector<std::string> needs_restart;  ///< changed settings only a restart applies
  std::string message;                     ///< "FILE:LINE: KEY: what" when refused
};

/// What the API needs from the daemon.
class api_deps {
 public:
  /// `carriers` and `routing` must outlive the deps (they live in the daemon's config).
  api_deps(api_settings settings, std::vector<route_config> const& carriers,
           carrier_table const& routing = carrier_table::indonesia_default())
      : settings_(std::move(settings)), carriers_(&carriers), routing_(&routing) {}
  virtual ~api_deps() = default;

  virtual boost::asio::awaitable<queue::result<queue::enqueue_outcome>> enqueue(
      queue::enqueue_request req) = 0;
  /// Many enqueues in ONE transaction and one durable commit (POST /v1/messages/batch): a
  /// result per request (an invalid one fails alone), or the error that stored none of them.
  /// This default enqueues them one by one (deps without a queue writer); the daemon's deps
  /// override it.
  virtual boost::asio::awaitable<queue::result<std::vector<queue::result<queue::enqueue_outcome>>>>
  enqueue_batch(std::vector<queue::enqueue_request> reqs);
  virtual boost::asio::awaitable<queue::result<message_view>> lookup(queue::message_id id) = 0;
  /// Called after an accepted enqueue so the carrier's source claims it at once.
  virtual void enqueued(std::string_view /*carrier*/) {}
  /// Extra fields for GET /healthz (links bound, ...).
  virtual boost::json::object health() { return {}; }
  /// The queue's part of GET /healthz: messages waiting (queued, in_flight, outcome_unknown),
  /// read through the queue writer, or why the queue cannot answer (then /healthz is 503).
  /// nullopt: no queue to ask (then /healthz has no "queue" field).
  virtual boost::asio::awaitable<std::optional<queue::result<std::array<std::int64_t, 3>>>>
  queue_waiting() {
    co_return std::nullopt;
  }
  /// Why the queue is refusing work right now although it still answers reads (claims or
  /// commits failing, e.g. on a full disk); nullopt while healthy. GET /healthz is then 503
  /// "degraded" with this as its "reason".
  virtual std::optional<std::string> queue_problem() { return std::nullopt; }
  /// More reasons for GET /healthz to say "degraded" (a carrier with no bound link for too
  /// long, low disk space where the queue lives); empty while healthy.
  virtual std::vector<std::string> degraded_reasons() { return {}; }
  /// The operator endpoints' needs (daemon/api/control_deps.hpp); nullptr: they answer 404.
  virtual control_deps* control() { return nullptr; }
  virtual queue::time_point now() { return queue::clock::now(); }
  /// GET /metrics: the metrics in Prometheus text format, read now. nullopt: the daemon has
  /// no metrics (404).
  virtual boost::asio::awaitable<std::optional<std::string>> metrics_text() {
    co_return std::nullopt;
  }
  /// GET /v1/events: the outcomes after `after` (queue/outcome_feed.hpp), read through the
  /// queue writer, completed once what was committed before is durable.
  virtual boost::asio::awaitable<queue::result<queue::outcome_page>> outcomes_after(
      queue::event_key /*after*/, std::size_t /*max_rows*/) {
    co_return queue::error{queue::errc::internal, "no queue to read outcomes from"};
  }
  /// What wakes the event streams when the queue made commits durable; nullptr: no event
  /// streams (GET /v1/events answers 404).
  virtual event_wake* event_streams() { return nullptr; }
  /// Told of every answer handle_request gives: the endpoint ("" for an unknown path), the
  /// status and how long the handling took.
  virtual void answered(std::string_view /*endpoint*/, int /*status*/,
                        std::chrono::steady_clock::duration /*took*/) {}
  /// With `refuse_would_expire`, asked before an OTP is stored: the best estimate (seconds)
  /// of how long its carrier's routes would take if none can deliver it within `validity`
  /// (then it is refused, 503 would_expire); nullopt to accept it.
  virtual std::optional<double> would_expire(std::string_view /*carrier*/,
                                             std::chrono::seconds /*validity*/) {
    return std::nullopt;
  }

  api_settings const& settings() const noexcept { return settings_; }
  route_config const* carrier(std::string_view name) const noexcept;
  /// Which carrier serves a number.
  carrier_table const& routing() const noexcept { return *routing_; }
  /// A reloaded configuration, from the next request on; the same lifetime rule as the
  /// constructor's (until the next reconfigure()).
  void reconfigure(api_settings settings, std::vector<route_config> const& carriers,
                   carrier_table const& routing) {
    settings_ = std::move(settings);
    carriers_ = &carriers;
    routing_ = &routing;
  }
  /// POST /v1/reload: re-reads the configuration and answers what changed; nullopt: this
  /// daemon cannot reload (404).
  virtual boost::asio::awaitable<std::optional<reload_answer>> reload() { co_return std::nullopt; }

 private:
  api_settings settings_;
  std::vector<route_config> const* carriers_;
  carrier_table const* routing_;
};

/// Answers one request. Never throws for any input: bad requests get a 4xx with a JSON body
/// {"error": kind, "field": name?, "message": text} (400 invalid field or body, 404 unknown
/// path or id, 405 + Allow, 415 unless Content-Type is application/json, 429 + Retry-After with
/// "limit", "retry_after_seconds", "retry_at", "retry_at_ms"); an OTP no route can deliver in
/// time (refuse_would_expire) 503 would_expire with "estimate_seconds" and "validity_seconds",
/// nothing stored; queue failures get 503 and an
/// exception from `deps` 500, both with nothing acknowledged. Logs (debug) the endpoint and
/// status only: never the body, the raw target, the text or the code.
/// `peer`: who is calling (the transport reads it from the socket); checked against the
/// allow-lists (403 "forbidden", daemon/api/access_policy.hpp) and recorded with an enqueue.
boost::asio::awaitable<http_response> handle_request(http_request const& req, api_deps& deps,
                                                     peer_credentials peer = {});

/// A JSON answer with `o` as its body (every endpoint's handler answers through it).
http_response json_response(http_request const& req, int status, boost::json::object const& o);
inline http_response json_response(http_request const& req, boost::beast::http::status st,
                                   boost::json::object const& o) {
  return json_response(req, static_cast<int>(st), o);
}

/// A JSON error response (also used by the transport for 413/408).
http_response error_response(unsigned version, bool keep_alive, int status,
                             std::string_view kind, std::string_view message,
                             std::string_view field = {});

}  // namespace smsgw
