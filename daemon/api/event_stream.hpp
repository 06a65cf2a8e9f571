// daemon/api/event_stream.hpp: GET /v1/events served on its connection: validates the
// request (400, 404 without event streams, 503 past events_max_streams or when the queue
// cannot be read), then writes the Server-Sent Events stream until the consumer goes, stops
// reading (cutoff), the queue fails (error) or the daemon stops (shutdown). Text:
// daemon/api/event_format.hpp; format: docs/daemon.md, "GET /v1/events".
//
// One loop serves resuming and following live: read the outcomes after the last key sent,
// a page at a time, through the queue writer (api_deps::outcomes_after, completed once
// durable), write them, and when caught up sleep until the queue's next durable commit
// (event_wake) or the heartbeat. A page is read only once the socket has taken the last one
// and is writable again, so a consumer that does not read costs the daemon one page and the
// socket's buffer, whatever the load; the kernel never holds more than a quarter of the
// buffer plus one chunk when a chunk is written, which leaves room for the last event.
#pragma once

#include <cstddef>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "daemon/api/http_api.hpp"

namespace smsgw {

/// Whether the request is for the event stream (GET /v1/events, any query): the transport
/// hands those to serve_event_stream() instead of handle_request().
bool is_event_stream_request(http_request const& req);

/// Serves one GET /v1/events on `socket` (the connection ends with it). `open_streams`
/// counts the streams open now (checked against events_max_streams, kept up to date).
boost::asio::awaitable<void> serve_event_stream(boost::asio::local::stream_protocol::socket& socket,
                                                http_request const& req, api_deps& deps,
                                                std::size_t& open_streams);

/// History rows read per queue call, and text bytes written per chunk (a chunk is written
/// only when the socket is writable; see above).
inline constexpr std::size_t k_event_page_rows = 256;
inline constexpr std::size_t k_event_chunk_bytes = 16 * 1024;
/// SO_SNDBUF asked for a stream's socket (Linux doubles it).
inline constexpr int k_event_socket_buffer = 128 * 1024;

}  // namespace smsgw
