// tools/smsgwctl/ctl_events.cpp: the events loop. Outcomes go to stdout (one readable line,
// or with --json the event's JSON as is, one object per line); gap, cutoff, shutdown and
// reconnect notices go to stderr so stdout stays a clean stream of outcomes.
#include "ctl_events.hpp"

#include <algorithm>
#include <iostream>
#include <thread>

#include <boost/json/parse.hpp>

#include "ctl_client.hpp"
#include "ctl_exit.hpp"
#include "ctl_format.hpp"

namespace smsgwctl {
namespace {

constexpr int max_failed_connects = 10;             // in a row, then give up (exit 3)
constexpr auto idle_limit = std::chrono::seconds(45);  // 3 missed heartbeats: a dead connection

std::string events_target(ctl_options const& o) {
  std::string q;
  if (!o.states.empty()) q += "state=" + o.states;
  if (!o.carriers.empty()) q += (q.empty() ? "" : "&") + std::string("carrier=") + o.carriers;
  return "/v1/events" + (q.empty() ? "" : "?" + q);
}

std::optional<long long> resume_after(boost::json::value const& d) {
  if (!d.is_object()) return std::nullopt;
  auto const* r = d.as_object().if_contains("resume_after");
  if (r && r->is_int64()) return r->as_int64();
  return std::nullopt;
}

}  // namespace

int follow_events(ctl_options const& o) {
  std::optional<long long> last = o.from;
  long long seen = 0;
  int failures = 0;
  auto backoff = std::chrono::milliseconds(200);
  std::string const target = events_target(o);
  sse_stream stream(o.socket);
  bool ever_connected = false;
  if (o.count && *o.count == 0) return exit_ok;
  for (;;) {
    http_reply head = stream.open(target, last);
    if (head.failed != http_reply::failure::none) {
      if (!ever_connected || ++failures >= max_failed_connects) {
        std::cerr << "smsgwctl: " << head.error << "\n";
        return head.failed == http_reply::failure::connect ? exit_cannot_connect : exit_server_error;
      }
      std::cerr << "smsgwctl: " << head.error << "; retrying in " << backoff.count() << " ms\n";
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    if (head.status != 200) {
      std::cerr << "smsgwctl: events: HTTP " << head.status << ": " << head.body << "\n";
      return head.status >= 500 ? exit_server_error : exit_refused;
    }
    ever_connected = true;
    failures = 0;
    backoff = std::chrono::milliseconds(200);
    bool reconnect = false;
    while (!reconnect) {
      auto ev = stream.next(idle_limit);
      if (!ev) {
        std::cerr << "smsgwctl: the event stream ended" << (stream.ended_error().empty() ? "" : ": " + stream.ended_error())
                  << "; reconnecting" << (last ? " after " + std::to_string(*last) : "") << "\n";
        break;
      }
      boost::system::error_code ec;
      auto data = boost::json::parse(ev->data, ec);
      if (ec) {
        std::cerr << "smsgwctl: a broken event (not JSON): " << ev->data << "\n";
        return exit_server_error;
      }
      if (ev->event == "outcome") {
        if (ev->id) last = std::stoll(*ev->id);
        std::cout << (o.json ? ev->data + "\n" : format_event(ev->event, data)) << std::flush;
        if (o.count && ++seen >= *o.count) return exit_ok;
        continue;
      }
      std::cerr << "smsgwctl: " << format_event(ev->event, data);
      if (ev->event == "gap") continue;
      if (auto r = resume_after(data)) last = *r;
      if (ev->event == "shutdown" && o.until_shutdown) return exit_ok;
      if (ev->event == "shutdown" || ev->event == "error") std::this_thread::sleep_for(backoff);
      reconnect = true;  // cutoff, shutdown, error: the server closes the stream
    }
    stream.close();
  }
}

}  // namespace smsgwctl
