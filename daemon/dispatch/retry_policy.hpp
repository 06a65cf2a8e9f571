// daemon/dispatch/retry_policy.hpp: whether and where a message that did not get through is tried again,
// as one pure function of (message, routes, settings, cause, now): no I/O, no clock reads.
// Design decision: what may be retried depends on whether the SMSC may already have the
// message. "Certainly not delivered" (a submit refusal, an UNDELIV/REJECTD/EXPIRED receipt)
// retries OTP and transactional messages; "maybe delivered" (no submit_sm_resp, or in flight at
// a crash) retries only OTPs, where a duplicate code is harmless and a missing one is not
// (docs/queue.md "Crash recovery"). Bulk is never retried: a campaign accepts the loss, and
// its failures are mostly dead numbers that would only cost a second submit.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config/config.hpp"
#include "queue/store.hpp"

namespace smsgw {

/// Why a retry is considered.
enum class retry_cause {
  refused,            ///< submit_sm_resp with a (non-throttling) error: not accepted
  outcome_unknown,    ///< no submit_sm_resp (timeout, link lost): maybe accepted
  failed_receipt,     ///< a receipt said UNDELIV/REJECTD/EXPIRED: accepted, not delivered
  recovered_unknown,  ///< in flight with its sending mark when smsgw stopped: maybe accepted
  no_receipt,         ///< accepted, but no final receipt within the route's receipt_timeout
  filtered,           ///< a receipt or refusal the carrier's config classes "filtered" (spam)
};
std::string_view to_string(retry_cause c) noexcept;

/// carrier -> [carrier, its alternates...] (the rotation an OTP's attempts follow).
using route_table = std::map<std::string, std::vector<std::string>, std::less<>>;
route_table make_route_table(daemon_config const& cfg);

/// The retry of `m` (as claimed: `attempts` counts its submits so far, `route` the last one
/// used, '' = its home carrier) after `why`, or nullopt when it must not be retried (priority,
/// cause, attempts used up, or it would not go out before `expires_at`). Attempt k (1-based)
/// goes through routes[(k-1) % n], so the second attempt takes the first alternate; a route
/// in m.filtered_routes is skipped (the next one in the rotation is taken), and for a
/// filtered or no_receipt cause so is the route just used: no plan if no route is left. A
/// route in m.silent_routes (an earlier attempt got no receipt there) is taken only when no
/// other route is left.
/// no_receipt retries OTP and transactional messages (each within its attempt cap), and
/// filtered counts as "certainly not delivered" (like a refusal).
std::optional<queue::retry_plan> plan_retry(queue::message const& m, retry_cause why,
                                            route_table const& routes, retry_settings const& s,
                                            queue::time_point now);

/// `opts` with store_options::retry set to plan_retry over `cfg`'s routes (wall clock), so
/// failed receipts and messages recovered as outcome_unknown at open() follow the same rules.
/// daemon/run_daemon.cpp: `auto store = queue::store::open(path, with_retry_policy(opts, cfg));`
queue::store_options with_retry_policy(queue::store_options opts, daemon_config const& cfg,
                                       retry_settings const& s);
/// The same with the configured `[retry]` settings (cfg.retry).
inline queue::store_options with_retry_policy(queue::store_options opts, daemon_config const& cfg) {
  return with_retry_policy(std::move(opts), cfg, cfg.retry);
}

}  // namespace smsgw
