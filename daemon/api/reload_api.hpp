// daemon/api/reload_api.hpp: POST /v1/reload, the handler: asks api_deps::reload() to re-read
// and apply the configuration and answers 200 {"status":"reloaded","changes":[...],
// "needs_restart":[...]} or 422 {"error":"invalid_config","message":"FILE:LINE: KEY: ..."}.
// The request has no body (or an empty JSON object). Routed from http_api.cpp.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "daemon/api/http_api.hpp"

namespace smsgw {

boost::asio::awaitable<http_response> handle_reload(http_request const& req, api_deps& deps);

}  // namespace smsgw
