// daemon/api/carriers_api.cpp: GET /v1/carriers ({"carriers": [status, ...]} in config order,
// each status object as /healthz's "carriers" has it plus "backlog": queued messages by
// priority, read by one grouped query) and POST /v1/carriers/{name}/suspend | resume
// (idempotent; 404 for an unknown carrier; answers that carrier's status object).
#include "daemon/api/control_api.hpp"

#include <map>

#include <boost/beast/http/verb.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "daemon/api/control_deps.hpp"
#include "queue/state.hpp"

namespace smsgw {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

http_response wrong_method(http_request const& req, std::string_view endpoint, http::verb wanted) {
  auto res = error_response(req.version(), req.keep_alive(), 405, "method_not_allowed",
                            fmt::format("{} is not allowed on {}; use {}",
                                        std::string_view(req.method_string()), endpoint,
                                        std::string_view(http::to_string(wanted))));
  res.set(http::field::allow, http::to_string(wanted));
  return res;
}

/// The status object of `name` in `all`, null if none.
json::object const* find_status(json::array const& all, std::string_view name) {
  for (auto const& v : all) {
    auto const* o = v.if_object();
    if (!o) continue;
    auto const* n = o->if_contains("name");
    if (n && n->is_string() && n->get_string() == name) return o;
  }
  return nullptr;
}

boost::asio::awaitable<http_response> list_carriers(http_request const& req, control_deps& control) {
  auto backlog = co_await control.backlog();
  if (!backlog)
    co_return error_response(req.version(), req.keep_alive(), 503, "queue_unavailable",
                             queue::to_string(backlog.error().code));
  std::map<std::string, json::object, std::less<>> by_carrier;
  for (auto const& g : *backlog) by_carrier[g.carrier][queue::to_string(g.prio)] = g.count;
  auto all = control.carriers();
  for (auto& v : all) {
    auto& o = v.as_object();
    json::object b{{"otp", 0}, {"transactional", 0}, {"bulk", 0}};
    if (auto it = by_carrier.find(std::string_view(o["name"].as_string())); it != by_carrier.end())
      for (auto const& kv : it->second) b[kv.key()] = kv.value();
    o["backlog"] = std::move(b);
  }
  co_return json_response(req, 200, json::object{{"carriers", std::move(all)}});
}

boost::asio::awaitable<http_response> suspend_or_resume(http_request const& req, control_deps& control,
                                                        std::string_view path, bool suspend) {
  auto name = path.substr(std::string_view("/v1/carriers/").size());
  name = name.substr(0, name.find('/'));
  auto const all = control.carriers();
  if (!find_status(all, name))
    co_return error_response(req.version(), req.keep_alive(), 404, "not_found", "no such carrier");
  auto who = control_detail::operator_of(req);
  if (!who)
    co_return error_response(req.version(), req.keep_alive(), 400, "invalid_request",
                             "X-Operator must be 1..64 of letters, digits, . _ @ -", "X-Operator");
  auto r = co_await control.set_suspended(std::string(name), suspend, std::move(*who));
  if (!r && r.error().code == queue::errc::invalid_argument)
    co_return error_response(req.version(), req.keep_alive(), 404, "not_found", "no such carrier");
  if (!r)
    co_return error_response(req.version(), req.keep_alive(), 503, "queue_unavailable",
                             queue::to_string(r.error().code));
  auto const now = control.carriers();
  co_return json_response(req, 200, *find_status(now, name));
}

}  // namespace

namespace control_detail {

boost::asio::awaitable<http_response> carriers_request(http_request const& req, api_deps& deps,
                                                       std::string_view path, std::string_view endpoint) {
  auto const wanted = endpoint == "/v1/carriers" ? http::verb::get : http::verb::post;
  if (req.method() != wanted) co_return wrong_method(req, endpoint, wanted);
  auto* control = deps.control();
  if (!control)
    co_return error_response(req.version(), req.keep_alive(), 404, "not_found", "no such endpoint");
  if (endpoint == "/v1/carriers") co_return co_await list_carriers(req, *control);
  co_return co_await suspend_or_resume(req, *control, path, endpoint.ends_with("/suspend"));
}

}  // namespace control_detail

}  // namespace smsgw
