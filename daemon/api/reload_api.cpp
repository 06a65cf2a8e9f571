// daemon/api/reload_api.cpp: see reload_api.hpp.
#include "daemon/api/reload_api.hpp"

#include <boost/json.hpp>

namespace smsgw {

namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

json::array strings(std::vector<std::string> const& v) {
  json::array a;
  for (auto const& s : v) a.emplace_back(s);
  return a;
}

/// No body, or an empty JSON object: a reload takes no parameters.
bool body_is_empty(std::string const& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return true;
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  return !ec && v.is_object() && v.as_object().empty();
}

}  // namespace

boost::asio::awaitable<http_response> handle_reload(http_request const& req, api_deps& deps) {
  if (!body_is_empty(req.body()))
    co_return error_response(req.version(), req.keep_alive(), 400, "invalid_request",
                             "POST /v1/reload takes no body (or {})");
  auto answer = co_await deps.reload();
  if (!answer)
    co_return error_response(req.version(), req.keep_alive(), 404, "not_found",
                             "this daemon has no configuration file to reload");
  if (!answer->applied)
    co_return error_response(req.version(), req.keep_alive(), 422, "invalid_config", answer->message);
  co_return json_response(req, http::status::ok,
                        {{"status", "reloaded"},
                         {"changes", strings(answer->changes)},
                         {"needs_restart", strings(answer->needs_restart)}});
}

}  // namespace smsgw
