// daemon/api/batch_api.hpp: POST /v1/messages/batch, for bulk senders: up to
// max_batch_messages messages of POST /v1/messages in one request, stored in ONE transaction
// with one durable commit, answered with a result per item (daemon/api/batch_api.cpp).
#pragma once

#include <cstddef>

#include <boost/asio/awaitable.hpp>

#include "daemon/api/http_api.hpp"

namespace smsgw {

/// The most messages one batch request may hold (more: 400, nothing stored).
inline constexpr std::size_t max_batch_messages = 1000;

/// The body limit of POST /v1/messages/batch (the server reads the request line first and
/// raises [api] body_limit to this for this path only; beyond it 413): 1,000 messages of up to
/// ~4 KiB each.
inline constexpr std::size_t batch_body_limit = 4 * 1024 * 1024;

/// The path whose body may be up to batch_body_limit.
inline constexpr char const* batch_path = "/v1/messages/batch";

/// Handles POST /v1/messages/batch. Body `{"messages": [ {POST /v1/messages fields}, ... ]}`.
/// Per item, not all-or-nothing: an invalid item (the same checks as POST /v1/messages) gets
/// its 400 result and is not stored, the others are stored; limits, idempotency keys and
/// supersede act per item as for single requests. The valid items are enqueued together in
/// one transaction and the answer (200 with "results" in item order) comes once it is durable.
/// A malformed body (not an object, no "messages" array, more than max_batch_messages, an
/// unknown top-level field) is 400 for the whole request; a queue failure 503, nothing stored.
boost::asio::awaitable<http_response> post_message_batch(http_request const& req, api_deps& deps,
                                                         peer_credentials const& peer = {});

}  // namespace smsgw
