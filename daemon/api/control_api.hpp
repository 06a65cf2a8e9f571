// daemon/api/control_api.hpp: the operator endpoints of issue #14, routed from http_api.cpp:
//   DELETE /v1/messages/{id}              cancel a message not yet written to a socket
//   GET    /v1/carriers                   each carrier's status and queued backlog
//   POST   /v1/carriers/{name}/suspend    its traffic goes to its alternates (survives a restart)
//   POST   /v1/carriers/{name}/resume
// Handlers: control_api.cpp (DELETE), carriers_api.cpp (carriers). Who asked comes from the
// optional X-Operator header (letters, digits, . _ @ -; at most 64), for the log and history.
#pragma once

#include <optional>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "daemon/api/http_api.hpp"

namespace smsgw {

/// The endpoint name of a control path other than /v1/messages/{id} ("" if none):
/// "/v1/carriers", "/v1/carriers/{name}/suspend", "/v1/carriers/{name}/resume".
std::string_view control_route_of(std::string_view path);

/// The answer if (endpoint, method) is a control request (DELETE /v1/messages/{id}, the
/// carrier endpoints with any method: 405 for a wrong one), nullopt otherwise.
boost::asio::awaitable<std::optional<http_response>> route_control(http_request const& req, api_deps& deps,
                                                                   std::string_view path,
                                                                   std::string_view endpoint);

/// GET /healthz (health_api.cpp): 200 "ok"; 503 "error" when the queue fails to answer;
/// 503 "degraded" with "reasons" (a list; "reason" = the first) when the queue does not
/// answer within healthz_queue_wait, refuses work, a carrier has had no bound link too long,
/// or the queue's disk is low.
boost::asio::awaitable<http_response> get_healthz(http_request const& req, api_deps& deps);
inline constexpr std::chrono::seconds healthz_queue_wait{2};

namespace control_detail {
/// The X-Operator header if valid, "" if absent; nullopt if malformed.
std::optional<std::string> operator_of(http_request const& req);
boost::asio::awaitable<http_response> delete_message(http_request const& req, api_deps& deps,
                                                     std::string_view id_text);
boost::asio::awaitable<http_response> carriers_request(http_request const& req, api_deps& deps,
                                                       std::string_view path, std::string_view endpoint);
}  // namespace control_detail

}  // namespace smsgw
