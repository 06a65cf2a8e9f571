// daemon/api/message_request.hpp: what POST /v1/otp, POST /v1/messages and the batch endpoint
// (daemon/api/batch_api.cpp) share: the request body checked as JSON (one object, no duplicate
// keys, bounded depth), one message object validated into an enqueue_request (every failure
// names its field), and an enqueue outcome turned into its status and JSON answer. Defined in
// daemon/api/http_api.cpp, the one place these rules are written; errors are values here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include "daemon/api/http_api.hpp"
#include "queue/error.hpp"
#include "queue/message.hpp"

namespace smsgw {

/// Why a request (or one item of a batch) is refused before it reaches the queue.
struct request_error {
  int status = 400;        ///< 400, or 415 for a wrong Content-Type
  std::string kind;        ///< "invalid_request" or "unsupported_media_type"
  std::string field;       ///< the field at fault ("" = the body as a whole)
  std::string message;     ///< what is wrong, never echoing a text or code
};

/// Lets result<T, request_error>::value() throw (std::runtime_error with the message).
[[noreturn]] void throw_exception_from_error(request_error const& e,
                                             boost::source_location const& loc);

template <class T>
using request_result = boost::system::result<T, request_error>;

/// The body as one JSON object: Content-Type application/json, valid JSON, depth <= `max_depth`,
/// no key given twice in any object.
request_result<boost::json::object> parse_json_object_body(http_request const& req,
                                                           int max_depth = 4);

/// One message, as POST /v1/otp (`otp`) or POST /v1/messages takes it, validated and routed:
/// unknown fields, a number no carrier serves, a bad priority or TTL ... are refused.
request_result<queue::enqueue_request> message_request_from(boost::json::object const& body,
                                                            api_deps& deps, bool otp,
                                                            peer_credentials const& peer = {});

/// An enqueue's answer: the HTTP status (202 accepted, 200 duplicate or resend suppressed, 429
/// refused, 400 invalid, 503 queue unavailable) and its JSON object; `retry_after_seconds` for
/// a 429's Retry-After header. Tells `deps.enqueued(carrier)` of an accepted message unless
/// `notify` is false (a batch tells each carrier once).
struct enqueue_answer {
  int status = 0;
  boost::json::object body;
  std::optional<std::int64_t> retry_after_seconds;
};
enqueue_answer enqueue_answer_of(api_deps& deps, queue::enqueue_request const& r,
                                 queue::result<queue::enqueue_outcome> const& out,
                                 bool notify = true);

}  // namespace smsgw
