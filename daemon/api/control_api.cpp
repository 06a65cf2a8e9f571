// daemon/api/control_api.cpp: routing of the operator endpoints (control_api.hpp) and
// DELETE /v1/messages/{id}: 200 with the message's state "cancelled"; 409 {"error":
// "conflict", "state": ...} once it may have been written to a socket (sending mark set,
// submitted, outcome_unknown) or is final; 404 for an unknown id. The cancel is decided by
// the queue thread (dispatcher::cancel), never here.
#include "daemon/api/control_api.hpp"

#include <charconv>

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "daemon/api/control_deps.hpp"
#include "queue/state.hpp"

namespace smsgw {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace control_detail {

std::optional<std::string> operator_of(http_request const& req) {
  auto const it = req.find("X-Operator");
  if (it == req.end()) return std::string();
  auto const v = std::string_view(it->value());
  if (v.empty() || v.size() > 64) return std::nullopt;
  for (char c : v) {
    bool const ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '-';
    if (!ok) return std::nullopt;
  }
  return std::string(v);
}

boost::asio::awaitable<http_response> delete_message(http_request const& req, api_deps& deps,
                                                     std::string_view id_text) {
  auto* control = deps.control();
  if (!control)
    co_return error_response(req.version(), req.keep_alive(), 404, "not_found", "no such endpoint");
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc{} || p != id_text.data() + id_text.size() || id <= 0)
    co_return error_response(req.version(), req.keep_alive(), 400, "invalid_request",
                             "message id must be a positive integer", "id");
  auto who = operator_of(req);
  if (!who)
    co_return error_response(req.version(), req.keep_alive(), 400, "invalid_request",
                             "X-Operator must be 1..64 of letters, digits, . _ @ -", "X-Operator");
  auto r = co_await control->cancel(id, std::move(*who));
  if (!r && r.error().code == queue::errc::not_found)
    co_return error_response(req.version(), req.keep_alive(), 404, "not_found", "no such message");
  if (!r)
    co_return error_response(req.version(), req.keep_alive(), 503, "queue_unavailable",
                             queue::to_string(r.error().code));
  auto const state = queue::to_string(r->msg.st);
  if (!r->cancelled) {
    auto const why = r->msg.st == queue::state::in_flight
                         ? "it is being written to the carrier (sending mark set)"
                         : queue::is_final(r->msg.st) ? "it is final"
                                                      : "it may have reached the carrier";
    json::object o{{"error", "conflict"}, {"id", id}, {"state", state},
                   {"message", fmt::format("message {} is {}: {}; not cancelled", id, state, why)}};
    co_return json_response(req, 409, o);
  }
  co_return json_response(req, 200, json::object{{"id", id}, {"state", state}});
}

}  // namespace control_detail

std::string_view control_route_of(std::string_view path) {
  constexpr std::string_view prefix = "/v1/carriers";
  if (path == prefix) return "/v1/carriers";
  if (!path.starts_with("/v1/carriers/")) return "";
  auto rest = path.substr(prefix.size() + 1);
  auto const slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) return "";
  auto const action = rest.substr(slash + 1);
  if (action == "suspend") return "/v1/carriers/{name}/suspend";
  if (action == "resume") return "/v1/carriers/{name}/resume";
  return "";
}

boost::asio::awaitable<std::optional<http_response>> route_control(http_request const& req, api_deps& deps,
                                                                   std::string_view path,
                                                                   std::string_view endpoint) {
  // Without control (a deps that cannot cancel), DELETE is a wrong method there: 405.
  if (endpoint == "/v1/messages/{id}" && req.method() == http::verb::delete_ && deps.control())
    co_return co_await control_detail::delete_message(
        req, deps, path.substr(std::string_view("/v1/messages/").size()));
  if (endpoint.starts_with("/v1/carriers"))
    co_return co_await control_detail::carriers_request(req, deps, path, endpoint);
  co_return std::nullopt;
}

}  // namespace smsgw
