// daemon/api/event_stream.cpp: see event_stream.hpp. The consumer's side of the connection is
// watched by a read kept pending for the stream's whole life (a callback holding a shared
// state, not a coroutine): when the consumer closes (or sends more than a few KiB, which a
// stream request has no use for), the stream's sleep is cut short and it ends.
#include "daemon/api/event_stream.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <limits>
#include <memory>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/api/event_format.hpp"
#include "daemon/api/event_wake.hpp"

namespace smsgw {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using local = asio::local::stream_protocol;
using namespace asio::experimental::awaitable_operators;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::string_view k_endpoint = "/v1/events";

/// The pending read on the consumer's side and what it found.
struct peer_watch {
  explicit peer_watch(asio::any_io_executor ex) : wait(ex) {}
  asio::steady_timer wait;   ///< the stream sleeps on it; cancelled when the consumer goes
  bool gone = false;         ///< the consumer closed its side (or misbehaved)
  bool finished = false;     ///< the stream is over: the socket may be gone, touch nothing
  std::size_t ignored = 0;   ///< bytes the consumer sent after its request
  std::array<char, 512> sink{};
};

void watch_peer(local::socket& socket, std::shared_ptr<peer_watch> w) {
  socket.async_read_some(asio::buffer(w->sink), [&socket, w](boost::system::error_code ec, std::size_t n) {
    if (w->finished) return;
    w->ignored += n;
    if (ec || w->ignored > 8 * 1024) {
      w->gone = true;
      w->wait.cancel();
      return;
    }
    watch_peer(socket, w);
  });
}

/// ok; stalled: nothing was written (the socket did not become writable in time, the stream
/// is still whole: a last event can follow); failed: a write error, or a write cut short in
/// the middle of an event (nothing more can be written after it).
enum class sent { ok, stalled, failed };

/// Writes `text` within `limit`; failed if it did not all go.
asio::awaitable<sent> write_within(local::socket& socket, asio::steady_timer& timer,
                                   std::string const& text, std::chrono::milliseconds limit) {
  timer.expires_after(limit);
  auto r = co_await (asio::async_write(socket, asio::buffer(text), asio::as_tuple(asio::use_awaitable)) ||
                     timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (r.index() == 1) co_return sent::failed;
  auto [ec, n] = std::get<0>(r);
  co_return ec ? sent::failed : sent::ok;
}

/// Waits until the socket is writable (the kernel holds at most a quarter of its buffer for
/// a Unix socket), then writes `text`. Stalled: not writable within `limit`.
asio::awaitable<sent> send_when_writable(local::socket& socket, asio::steady_timer& timer,
                                         std::string const& text, std::chrono::milliseconds limit) {
  timer.expires_after(limit);
  auto r = co_await (socket.async_wait(local::socket::wait_write, asio::as_tuple(asio::use_awaitable)) ||
                     timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (r.index() == 1) co_return sent::stalled;
  if (std::get<0>(std::get<0>(r))) co_return sent::failed;
  co_return co_await write_within(socket, timer, text, limit);
}

/// An answer instead of a stream (400, 404, 503), then the connection closes.
asio::awaitable<void> refuse(local::socket& socket, http_request const& req, api_deps& deps,
                             clock_type::time_point started, int status, std::string_view kind,
                             std::string_view message, std::string_view field = {}) {
  auto res = error_response(req.version(), false, status, kind, message, field);
  asio::steady_timer timer(socket.get_executor());
  timer.expires_after(deps.settings().read_timeout);
  co_await (http::async_write(socket, res, asio::as_tuple(asio::use_awaitable)) ||
            timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  spdlog::debug("api GET {} -> {}", k_endpoint, status);
  deps.answered(k_endpoint, status, clock_type::now() - started);
}

}  // namespace

bool is_event_stream_request(http_request const& req) {
  if (req.method() != http::verb::get) return false;
  auto target = std::string_view(req.target().data(), req.target().size());
  return target.substr(0, target.find('?')) == k_endpoint;
}

asio::awaitable<void> serve_event_stream(local::socket& socket, http_request const& req,
                                         api_deps& deps, std::size_t& open_streams) {
  auto const started = clock_type::now();
  auto const& settings = deps.settings();
  auto* wake = deps.event_streams();
  if (!wake) {
    co_await refuse(socket, req, deps, started, 404, "not_found", "no event streams here");
    co_return;
  }
  auto const target = std::string_view(req.target().data(), req.target().size());
  std::optional<std::string_view> last_event_id;
  if (auto it = req.find("Last-Event-ID"); it != req.end())
    last_event_id = std::string_view(it->value().data(), it->value().size());
  auto parsed = parse_event_request(target, last_event_id,
                                    [&deps](std::string_view c) { return deps.carrier(c) != nullptr; });
  if (auto const* bad = std::get_if<event_request_error>(&parsed)) {
    co_await refuse(socket, req, deps, started, 400, "invalid_request", bad->message, bad->field);
    co_return;
  }
  auto const request = std::get<event_request>(std::move(parsed));
  if (open_streams >= settings.events_max_streams) {
    co_await refuse(socket, req, deps, started, 503, "too_many_streams",
                    fmt::format("more than {} open event streams ([api] events_max_streams)",
                                settings.events_max_streams));
    co_return;
  }
  ++open_streams;
  struct count_guard {
    std::size_t& n;
    ~count_guard() { --n; }
  } counted{open_streams};

  // Where it starts: the position asked for, else the current end. The first read also
  // says whether the queue answers (503 now rather than a stream that ends at once).
  auto generation = wake->generation();  // before every read: no wake-up is lost
  auto first = co_await deps.outcomes_after(
      request.after.value_or(std::numeric_limits<queue::event_key>::max()), k_event_page_rows);
  if (!first) {
    co_await refuse(socket, req, deps, started, 503, "queue_unavailable",
                    queue::to_string(first.error().code));
    co_return;
  }
  if (request.after && *request.after > first->head) {
    // Never sent by this queue: its file was replaced (restored, recreated). Said, not skipped.
    co_await refuse(socket, req, deps, started, 400, "invalid_request",
                    fmt::format("{} is past the newest event of this queue ({}): was the queue file "
                                "replaced? Reconnect with after=0 (or without a position)",
                                *request.after, first->head),
                    last_event_id ? "Last-Event-ID" : "after");
    co_return;
  }
  queue::event_key position = request.after.value_or(first->head);  // everything up to it is sent
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
      "X-Accel-Buffering: no\r\nConnection: close\r\n\r\n" + stream_preamble(position);
  if (request.after && *request.after < first->purged_through)
    head += gap_event(*request.after, first->purged_through);

  boost::system::error_code ignore;
  socket.set_option(local::socket::send_buffer_size(k_event_socket_buffer), ignore);
  auto ex = co_await asio::this_coro::executor;
  auto watch = std::make_shared<peer_watch>(ex);
  struct finish_guard {
    peer_watch& w;
    ~finish_guard() { w.finished = true; }  // before the socket can go (also if destroyed)
  } finishing{*watch};
  event_wake::subscription woken(*wake, watch->wait);
  asio::steady_timer deadline(ex);
  auto const stall = settings.events_stall_timeout;

  if (co_await write_within(socket, deadline, head, settings.read_timeout) != sent::ok) co_return;
  deps.answered(k_endpoint, 200, clock_type::now() - started);
  spdlog::debug("api GET {} -> 200: stream open after {}", k_endpoint, position);
  watch_peer(socket, watch);
  auto last_write = clock_type::now();

  std::optional<queue::result<queue::outcome_page>> page;
  if (request.after) page = std::move(first);  // the first page is already read
  std::string final_event, why;
  for (;;) {
    if (wake->closed()) {
      final_event = shutdown_event(position);
      why = "smsgw is stopping";
      break;
    }
    if (watch->gone) break;
    if (!page) {
      generation = wake->generation();
      page = co_await deps.outcomes_after(position, k_event_page_rows);
    }
    if (!*page) {
      auto const& e = page->error();
      final_event = error_event(position, "queue_unavailable",
                                fmt::format("{}: {}", queue::to_string(e.code), e.message));
      why = "the queue cannot be read";
      break;
    }
    auto const& p = **page;
    // Write the page's matching outcomes, a chunk at a time, each when the socket has room.
    std::string chunk;
    queue::event_key chunk_last = position;
    sent status = sent::ok;
    for (auto const& o : p.outcomes) {
      if (!request.filter.matches(o)) continue;
      append_outcome_event(chunk, o);
      chunk_last = o.key;
      if (chunk.size() < k_event_chunk_bytes) continue;
      status = co_await send_when_writable(socket, deadline, chunk, stall);
      if (status != sent::ok) break;
      position = chunk_last;
      last_write = clock_type::now();
      chunk.clear();
    }
    if (status == sent::ok && !chunk.empty()) {
      status = co_await send_when_writable(socket, deadline, chunk, stall);
      if (status == sent::ok) last_write = clock_type::now();
    }
    if (status == sent::stalled) {
      final_event = cutoff_event(position, stall);
      why = fmt::format("the consumer took nothing for {} ms", stall.count());
      break;
    }
    if (status == sent::failed) break;
    position = p.scanned_through;  // the rows up to it are sent or did not match
    bool const caught_up = p.scanned_through >= p.head;
    page.reset();
    if (!caught_up) continue;
    // Caught up: sleep until the queue's next durable commit, the heartbeat, the stop or the
    // consumer's close.
    if (wake->generation() != generation || wake->closed() || watch->gone) continue;
    watch->wait.expires_at(last_write + settings.events_heartbeat);
    co_await watch->wait.async_wait(asio::as_tuple(asio::use_awaitable));
    if (clock_type::now() >= last_write + settings.events_heartbeat && !wake->closed() && !watch->gone) {
      auto hb = co_await send_when_writable(socket, deadline, heartbeat_comment(), stall);
      if (hb == sent::stalled) {
        final_event = cutoff_event(position, stall);
        why = fmt::format("the consumer took nothing for {} ms", stall.count());
        break;
      }
      if (hb == sent::failed) break;
      last_write = clock_type::now();
    }
  }
  if (!final_event.empty() && !watch->gone) {
    // The kernel holds at most a quarter of the buffer plus a chunk: the last event fits.
    auto r = co_await write_within(socket, deadline, final_event, std::min(stall, settings.read_timeout));
    spdlog::info("event stream closed after {}: {}{}", position, why,
                 r == sent::ok ? "" : " (the last event could not be written)");
  } else {
    spdlog::debug("event stream closed after {}: {}", position,
                  watch->gone ? "the consumer went" : "write failed");
  }
  socket.shutdown(local::socket::shutdown_send, ignore);
}

}  // namespace smsgw
