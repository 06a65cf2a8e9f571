// daemon/api/access_policy.hpp: who may do what on the API. Each request is of one kind, by
// method and path: "read" (GET: healthz, metrics, a message, carriers, events) is open to
// everyone who can open the socket; "send" (POST /v1/otp, /v1/messages, /v1/messages/batch)
// and "control" (DELETE /v1/messages/{id}, POST /v1/carriers/{name}/suspend|resume,
// POST /v1/reload, and any other method that is not a GET: fail closed) are checked against
// [api] send_uids/send_gids and control_uids/control_gids. Both lists of a kind empty:
// everyone. No socket, no I/O: the caller's credentials come from peer_credentials.hpp.
#pragma once

#include <optional>
#include <string_view>

#include <boost/beast/http/verb.hpp>

#include "daemon/api/http_api.hpp"
#include "daemon/api/peer_credentials.hpp"
#include "daemon/config/config.hpp"

namespace smsgw {

enum class access_kind { read, send, control };

std::string_view to_string(access_kind k) noexcept;

/// The kind of a request by its method and path (no query string).
access_kind classify(boost::beast::http::verb method, std::string_view path) noexcept;

/// May `peer` make a request of kind `kind`? A caller whose credentials are unknown passes
/// only when the kind has no allow-list.
bool allowed(api_settings const& s, access_kind kind, peer_credentials const& peer) noexcept;

/// 403 {"error":"forbidden"} (logged at warn with the uid, pid and kind) when `peer` may not
/// make `req`; nullopt when it may. `path` without the query, `endpoint` as route_of names it.
std::optional<http_response> refuse_unless_allowed(http_request const& req, api_settings const& s,
                                                  std::string_view path, std::string_view endpoint,
                                                  peer_credentials const& peer);

}  // namespace smsgw
