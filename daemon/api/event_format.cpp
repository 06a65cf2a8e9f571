// daemon/api/event_format.cpp: see event_format.hpp.
#include "daemon/api/event_format.hpp"

#include <algorithm>
#include <charconv>

#include <boost/json.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "queue/state.hpp"

namespace smsgw {

namespace json = boost::json;

namespace {

constexpr queue::state k_all_states[] = {
    queue::state::queued,     queue::state::in_flight, queue::state::outcome_unknown,
    queue::state::submitted,  queue::state::delivered, queue::state::undeliverable,
    queue::state::expired,    queue::state::cancelled, queue::state::superseded,
    queue::state::rejected,   queue::state::no_receipt};

std::optional<queue::state> state_named(std::string_view name) {
  for (auto s : k_all_states)
    if (queue::to_string(s) == name) return s;
  return std::nullopt;
}

/// %XX escapes decoded ('+' is left as is: no state or carrier name has one). nullopt: a bad
/// escape.
std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
    if (ec != std::errc{} || p != in.data() + i + 3) return std::nullopt;
    out.push_back(static_cast<char>(v));
    i += 2;
  }
  return out;
}

/// A key: a whole number >= 0 (the form an id is sent in).
std::optional<queue::event_key> parse_key(std::string_view text) {
  std::int64_t v = 0;
  if (text.empty() || text.size() > 19) return std::nullopt;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || p != text.data() + text.size() || v < 0) return std::nullopt;
  return v;
}

/// Printable for an error message (a client may put anything in a query).
std::string shown(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
  if (s.size() > 40) out += "...";
  return out;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    auto pos = s.find(sep);
    parts.push_back(s.substr(0, pos));
    if (pos == std::string_view::npos) return parts;
    s.remove_prefix(pos + 1);
  }
}

std::string event_text(std::optional<queue::event_key> id, std::string_view kind, json::object const& data) {
  std::string out;
  if (id) out += fmt::format("id: {}\n", *id);
  out += fmt::format("event: {}\ndata: {}\n\n", kind, json::serialize(data));
  return out;
}

}  // namespace

bool streamable_state(queue::state s) noexcept { return s != queue::state::in_flight; }

bool event_filter::matches(queue::outcome const& o) const noexcept {
  if (!states.empty() && std::find(states.begin(), states.end(), o.to) == states.end()) return false;
  if (!carriers.empty() && std::find(carriers.begin(), carriers.end(), o.carrier) == carriers.end())
    return false;
  return true;
}

std::variant<event_request, event_request_error> parse_event_request(
    std::string_view target, std::optional<std::string_view> last_event_id,
    std::function<bool(std::string_view)> const& known_carrier) {
  event_request r;
  auto q = target.find('?');
  std::string_view query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
  if (!query.empty()) {
    for (auto pair : split(query, '&')) {
      if (pair.empty()) continue;
      auto eq = pair.find('=');
      auto key = pair.substr(0, eq);
      auto raw = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
      auto value = percent_decode(raw);
      if (!value) return event_request_error{std::string(shown(key)), "bad %-escape in the value"};
      if (key == "after") {
        auto k = parse_key(*value);
        if (!k) return event_request_error{"after", "must be a whole number >= 0 (an event id)"};
        r.after = *k;
      } else if (key == "state") {
        for (auto name : split(*value, ',')) {
          auto s = state_named(name);
          if (!s)
            return event_request_error{"state", fmt::format("unknown state \"{}\"", shown(name))};
          if (!streamable_state(*s))
            return event_request_error{"state", "in_flight (a claim) is never streamed"};
          if (std::find(r.filter.states.begin(), r.filter.states.end(), *s) == r.filter.states.end())
            r.filter.states.push_back(*s);
        }
      } else if (key == "carrier") {
        for (auto name : split(*value, ',')) {
          if (!known_carrier(name))
            return event_request_error{"carrier", fmt::format("no carrier \"{}\" is configured", shown(name))};
          if (std::find(r.filter.carriers.begin(), r.filter.carriers.end(), name) == r.filter.carriers.end())
            r.filter.carriers.emplace_back(name);
        }
      } else {
        return event_request_error{std::string(shown(key)), "unknown query parameter (after, state, carrier)"};
      }
    }
  }
  if (last_event_id) {
    auto k = parse_key(*last_event_id);
    if (!k) return event_request_error{"Last-Event-ID", "must be a whole number >= 0 (an event id)"};
    r.after = *k;
  }
  return r;
}

std::string iso_utc_ms(queue::time_point t) {
  auto ms = std::chrono::time_point_cast<std::chrono::milliseconds>(t);
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(ms);
  if (ms < secs) secs -= std::chrono::seconds(1);  // before 1970: floor, not truncate
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", secs, (ms - secs).count());
}

std::string stream_preamble(queue::event_key after) {
  return fmt::format("retry: 2000\n: smsgw events after {}\n\n", after);
}

void append_outcome_event(std::string& out, queue::outcome const& o) {
  json::object d{{"id", o.key},
                 {"message_id", o.id},
                 {"state", queue::to_string(o.to)},
                 {"from", queue::to_string(o.from)},
                 {"final", queue::is_final(o.to)},
                 {"carrier", o.carrier},
                 {"route", o.route.empty() ? o.carrier : o.route},
                 {"attempt", o.attempt},
                 {"priority", queue::to_string(o.prio)},
                 {"purpose", o.purpose},
                 {"at_ms", queue::to_ms(o.at)},
                 {"at", iso_utc_ms(o.at)},
                 {"detail", o.detail}};
  out += event_text(o.key, "outcome", d);
}

std::string heartbeat_comment() { return ": keepalive\n\n"; }

std::string gap_event(queue::event_key after, queue::event_key purged_through) {
  return event_text(std::nullopt, "gap",
                    {{"after", after}, {"purged_through", purged_through},
                     {"message", fmt::format("outcomes after {} up to {} may have been purged ([queue] "
                                             "retention_hours); continuing with the oldest retained",
                                             after, purged_through)}});
}

std::string cutoff_event(queue::event_key resume_after, std::chrono::milliseconds stall) {
  return event_text(resume_after, "cutoff",
                    {{"reason", "slow_consumer"}, {"resume_after", resume_after},
                     {"message", fmt::format("the stream did not drain within {} ms "
                                             "(events_stall_timeout_ms); reconnect with "
                                             "Last-Event-ID: {}", stall.count(), resume_after)}});
}

std::string shutdown_event(queue::event_key resume_after) {
  return event_text(resume_after, "shutdown",
                    {{"resume_after", resume_after},
                     {"message", fmt::format("smsgw is stopping; reconnect with Last-Event-ID: {}",
                                             resume_after)}});
}

std::string error_event(queue::event_key resume_after, std::string_view kind, std::string_view message) {
  return event_text(resume_after, "error",
                    {{"error", kind}, {"resume_after", resume_after}, {"message", message}});
}

}  // namespace smsgw
