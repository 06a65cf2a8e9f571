// queue/outcome_feed.hpp: the history read as a feed of outcomes, for event streams
// (GET /v1/events). A history row's key (events.id) is its position: keys grow with every
// commit and are never reused (schema step 14), so "every outcome with a key above N" is the
// same question whether a consumer follows live or resumes after a reconnect.
// Which rows are outcomes (is_outcome()) is decided here; the paging query is
// store::outcomes_after() (queue/outcome_feed.cpp).
#pragma once

#include "queue/message.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace smsgw::queue {

/// A history key (events.id).
using event_key = std::int64_t;

/// Whether a history row is an outcome a consumer is told of: a change of state, other than
/// the enqueue (no `from`) and the claim (to in_flight). Rows that record something with the
/// state kept (a duplicate or late receipt, the failed receipt before its retry) are not.
constexpr bool is_outcome(std::optional<state> from, state to) noexcept {
  return from.has_value() && *from != to && to != state::in_flight;
}

/// One outcome: a history row with the message's fields a consumer needs.
struct outcome {
  event_key key = 0;
  message_id id = 0;
  time_point at{};
  state from = state::queued;
  state to = state::queued;
  int attempt = 0;
  std::string route;     ///< as in the history ('' = the carrier's own)
  std::string detail;
  std::string carrier;   ///< the message's own carrier
  priority prio = priority::otp;
  std::string purpose;
};

/// One page of the feed.
struct outcome_page {
  std::vector<outcome> outcomes;  ///< in key order
  /// The key of the last history row looked at (outcome or not); `after` if none was. The
  /// next page starts after it.
  event_key scanned_through = 0;
  /// The newest key handed out so far (max of the history and of what purge deleted): the
  /// feed is caught up when scanned_through reaches it.
  event_key head = 0;
  /// The largest key purge has deleted (events_purged): outcomes after a position below it
  /// may be gone.
  event_key purged_through = 0;
};

}  // namespace smsgw::queue
