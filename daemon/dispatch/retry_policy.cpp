// daemon/dispatch/retry_policy.cpp: see retry_policy.hpp. The rules in one place, so the three callers
// (submit refusals and lost responses in the dispatcher, failed receipts and crash recovery
// inside the store's transaction) can never disagree.
#include "daemon/dispatch/retry_policy.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "daemon/config/config.hpp"

namespace smsgw {

std::string_view to_string(retry_cause c) noexcept {
  switch (c) {
    case retry_cause::refused: return "submit refused";
    case retry_cause::outcome_unknown: return "outcome unknown";
    case retry_cause::failed_receipt: return "failed receipt";
    case retry_cause::recovered_unknown: return "outcome unknown after restart";
    case retry_cause::no_receipt: return "no receipt";
    case retry_cause::filtered: return "filtered";
  }
  return "?";
}

route_table make_route_table(daemon_config const& cfg) {
  route_table t;
  for (auto const& c : cfg.carriers) {
    std::vector<std::string> routes{c.link.name};
    routes.insert(routes.end(), c.alternates.begin(), c.alternates.end());
    t.emplace(c.link.name, std::move(routes));
  }
  return t;
}

namespace {

bool listed(std::string_view routes, std::string_view route) {
  std::string_view rest = routes;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    if (rest.substr(0, comma) == route) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

bool is_filtered_route(queue::message const& m, std::string_view route) {
  return listed(m.filtered_routes, route);
}

/// Submits allowed for this priority after this cause (0 = never retried).
int attempt_cap(queue::priority p, retry_cause why, retry_settings const& s) {
  // No receipt: maybe delivered too, but the rule retries transactional messages
  // after their own (longer) receipt timeout, within their cap.
  bool maybe_delivered = why == retry_cause::outcome_unknown || why == retry_cause::recovered_unknown;
  switch (p) {
    case queue::priority::otp: return s.max_otp_attempts;
    case queue::priority::transactional: return maybe_delivered ? 0 : s.max_transactional_attempts;
    case queue::priority::bulk: return 0;
  }
  return 0;
}

}  // namespace

std::optional<queue::retry_plan> plan_retry(queue::message const& m, retry_cause why,
                                            route_table const& routes, retry_settings const& s,
                                            queue::time_point now) {
  if (m.attempts >= attempt_cap(m.prio, why, s)) return std::nullopt;
  if (now >= m.expires_at) return std::nullopt;
  auto it = routes.find(m.carrier);
  std::vector<std::string> const own{m.carrier};
  auto const& rotation = it != routes.end() && !it->second.empty() ? it->second : own;
  auto const& last = m.route.empty() ? m.carrier : m.route;
  bool const leave_last = why == retry_cause::filtered || why == retry_cause::no_receipt;
  // The rotation from attempt k on, skipping routes that filtered it (never again) and, after
  // a filtered or missing receipt, the route just used. Routes that gave this message no
  // receipt before are taken only when no other is left (a second pass).
  std::string const* pick = nullptr;
  auto const n = rotation.size();
  for (int pass = 0; pass < 2 && !pick; ++pass) {
    for (std::size_t i = 0; i < n && !pick; ++i) {
      auto const& r = rotation[(static_cast<std::size_t>(std::max(m.attempts, 0)) + i) % n];
      if (is_filtered_route(m, r) || (leave_last && r == last)) continue;
      if (pass == 0 && listed(m.silent_routes, r)) continue;
      pick = &r;
    }
  }
  if (!pick) return std::nullopt;
  auto const& next = *pick;
  queue::retry_plan d;
  d.route = next;
  d.not_before = next == last ? now + s.same_route_delay : now;
  if (d.not_before >= m.expires_at) return std::nullopt;
  d.detail = fmt::format("{} on {}: retry {}/{} via {}", to_string(why), last, m.attempts + 1,
                         attempt_cap(m.prio, why, s), next);
  return d;
}

queue::store_options with_retry_policy(queue::store_options opts, daemon_config const& cfg,
                                       retry_settings const& s) {
  opts.retry = [routes = make_route_table(cfg), s](queue::message const& m,
                                                   queue::retry_reason why) {
    auto cause = retry_cause::recovered_unknown;
    switch (why) {
      case queue::retry_reason::failed_receipt: cause = retry_cause::failed_receipt; break;
      case queue::retry_reason::recovered_unknown: cause = retry_cause::recovered_unknown; break;
      case queue::retry_reason::no_receipt: cause = retry_cause::no_receipt; break;
      case queue::retry_reason::filtered_receipt: cause = retry_cause::filtered; break;
    }
    return plan_retry(m, cause, routes, s, queue::clock::now());
  };
  return opts;
}

}  // namespace smsgw
