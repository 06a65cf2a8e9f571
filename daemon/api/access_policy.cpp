// daemon/api/access_policy.cpp: the request kinds (by method and path), the allow-list check and
// the 403 answer (logged with the caller's uid and pid; never the body nor the raw target).
#include "daemon/api/access_policy.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace smsgw {

namespace http = boost::beast::http;

std::string_view to_string(access_kind k) noexcept {
  switch (k) {
    case access_kind::read: return "read";
    case access_kind::send: return "send";
    case access_kind::control: return "control";
  }
  return "control";
}

access_kind classify(http::verb method, std::string_view path) noexcept {
  if (method == http::verb::get || method == http::verb::head) return access_kind::read;
  if (method == http::verb::post &&
      (path == "/v1/otp" || path == "/v1/messages" || path == "/v1/messages/batch"))
    return access_kind::send;
  // DELETE /v1/messages/{id}, POST /v1/carriers/{name}/suspend|resume, POST /v1/reload, and
  // whatever other change a future endpoint makes: control unless listed above.
  return access_kind::control;
}

namespace {

bool contains(std::vector<std::uint32_t> const& ids, std::uint32_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

}  // namespace

bool allowed(api_settings const& s, access_kind kind, peer_credentials const& peer) noexcept {
  if (kind == access_kind::read) return true;
  auto const& uids = kind == access_kind::send ? s.send_uids : s.control_uids;
  auto const& gids = kind == access_kind::send ? s.send_gids : s.control_gids;
  if (uids.empty() && gids.empty()) return true;
  if (!peer.uid) return false;
  if (contains(uids, *peer.uid)) return true;
  if (peer.gid && contains(gids, *peer.gid)) return true;
  return std::any_of(peer.groups.begin(), peer.groups.end(),
                     [&](std::uint32_t g) { return contains(gids, g); });
}

std::optional<http_response> refuse_unless_allowed(http_request const& req, api_settings const& s,
                                                  std::string_view path, std::string_view endpoint,
                                                  peer_credentials const& peer) {
  auto kind = classify(req.method(), path);
  if (allowed(s, kind, peer)) return std::nullopt;
  auto const k = to_string(kind);
  spdlog::warn("api {} {} refused: {} may not {} ([api] {}_uids / {}_gids)",
               std::string_view(req.method_string()), endpoint.empty() ? "(unknown path)" : endpoint,
               peer.describe(), k, k, k);
  return error_response(req.version(), req.keep_alive(), 403, "forbidden",
                        fmt::format("{} may not {} here: not in [api] {}_uids or {}_gids",
                                    peer.uid ? fmt::format("uid {}", *peer.uid) : std::string("this caller"),
                                    k, k, k));
}

}  // namespace smsgw
