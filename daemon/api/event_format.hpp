// daemon/api/event_format.hpp: the text of GET /v1/events, pure (no I/O, no clock): what a
// stream request asks for (parse_event_request: query string and Last-Event-ID, every
// failure naming its field), which outcomes it wants (event_filter), and the Server-Sent
// Events lines written for it (docs/daemon.md, "GET /v1/events"). Every `data:` is one line of
// JSON (JSON escapes line breaks), every event ends with an empty line.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "queue/outcome_feed.hpp"

namespace smsgw {

/// Which outcomes a stream wants: empty lists = all.
struct event_filter {
  std::vector<queue::state> states;
  std::vector<std::string> carriers;
  bool matches(queue::outcome const& o) const noexcept;
};

/// A valid GET /v1/events request.
struct event_request {
  /// Resume after this key (Last-Event-ID, else `after=`); nullopt = from the current end.
  std::optional<queue::event_key> after;
  event_filter filter;
};

/// Why a request is refused (400 invalid_request with this field and message).
struct event_request_error {
  std::string field, message;
};

/// Parses the request target's query (`after`, `state`, `carrier`; anything else is refused)
/// and the Last-Event-ID header (nullopt: absent), which wins over `after`. `known_carrier`
/// says whether a carrier name is configured.
std::variant<event_request, event_request_error> parse_event_request(
    std::string_view target, std::optional<std::string_view> last_event_id,
    std::function<bool(std::string_view)> const& known_carrier);

/// The state names a filter may give (every state but in_flight, which is never streamed).
bool streamable_state(queue::state s) noexcept;

/// "2026-12-03T10:37:47.512Z".
std::string iso_utc_ms(queue::time_point t);

/// What the stream starts with: the reconnection delay and a comment naming its position.
std::string stream_preamble(queue::event_key after);
/// An outcome event: `id:`, `event: outcome`, `data: {...}`, empty line; appended to `out`.
void append_outcome_event(std::string& out, queue::outcome const& o);
/// ": keepalive" and an empty line.
std::string heartbeat_comment();
/// Outcomes after `after` up to `purged_through` may have been purged (no id).
std::string gap_event(queue::event_key after, queue::event_key purged_through);
/// The consumer did not read for `stall`: resume after `resume_after`.
std::string cutoff_event(queue::event_key resume_after, std::chrono::milliseconds stall);
/// smsgw is stopping: resume after `resume_after`.
std::string shutdown_event(queue::event_key resume_after);
/// The queue could not be read (`kind`: queue::to_string of its errc).
std::string error_event(queue::event_key resume_after, std::string_view kind,
                        std::string_view message);

}  // namespace smsgw
