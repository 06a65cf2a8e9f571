// tools/smsgwctl/ctl_format.cpp: the tables and lines smsgwctl prints for people.
#include "ctl_format.hpp"

#include <algorithm>
#include <ctime>
#include <cstdio>
#include <vector>

#include <boost/json/serialize.hpp>

namespace smsgwctl {
namespace json = boost::json;

namespace {

json::value const& member(json::value const& v, std::string_view key) {
  static json::value const null;
  if (!v.is_object()) return null;
  auto const* m = v.as_object().if_contains(key);
  return m ? *m : null;
}

std::string text(json::value const& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_double()) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", v.as_double());
    return b;
  }
  return json::serialize(v);
}

std::string time_of(json::value const& ms) {
  if (ms.is_int64()) return local_time(ms.as_int64());
  if (ms.is_uint64()) return local_time(static_cast<long long>(ms.as_uint64()));
  return "-";
}

using table = std::vector<std::vector<std::string>>;

std::string render(table const& rows) {
  std::vector<std::size_t> width;
  for (auto const& r : rows)
    for (std::size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  std::string out;
  for (auto const& r : rows) {
    std::string line;
    for (std::size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string local_time(long long ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char date[32], zone[8];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  std::strftime(zone, sizeof zone, "%z", &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%s.%03lld%s", date, ms % 1000, zone);
  return out;
}

std::string format_object(json::value const& v) {
  if (!v.is_object()) return text(v) + "\n";
  table rows;
  for (auto const& [k, val] : v.as_object()) {
    std::string key(k);
    std::string shown = key.ends_with("_ms") && !key.ends_with("for_ms") ? time_of(val) : text(val);
    rows.push_back({key + ":", shown});
  }
  return render(rows);
}

std::string format_status(json::value const& h) {
  std::string out = "status: " + text(member(h, "status")) + "\n";
  if (auto const& reasons = member(h, "reasons"); reasons.is_array())
    for (auto const& r : reasons.as_array()) out += "  reason: " + text(r) + "\n";
  auto const& q = member(h, "queue");
  if (q.is_object()) {
    if (member(q, "error").is_null())
      out += "queue: queued " + text(member(q, "queued")) + ", in_flight " + text(member(q, "in_flight")) +
             ", outcome_unknown " + text(member(q, "outcome_unknown")) + "\n";
    else
      out += "queue: " + text(member(q, "error")) + ": " + text(member(q, "message")) + "\n";
  }
  auto const& carriers = member(h, "carriers");
  if (carriers.is_object()) {
    table rows{{"CARRIER", "STATE", "BOUND"}};
    for (auto const& [name, c] : carriers.as_object())
      rows.push_back({std::string(name), text(member(c, "state")),
                      text(member(c, "bound_links")) + "/" + text(member(c, "binds"))});
    out += render(rows);
  }
  return out;
}

namespace {
std::vector<std::string> carrier_row(json::value const& c) {
  auto const& peak = member(c, "peak");
  auto const& backlog = member(c, "backlog");
  std::string window = member(peak, "window").is_null() ? "-" : text(member(peak, "window"));
  std::string bl = backlog.is_object() ? text(member(backlog, "otp")) + "/" + text(member(backlog, "transactional")) +
                                             "/" + text(member(backlog, "bulk"))
                                       : "-";
  return {text(member(c, "name")), text(member(c, "state")),
          text(member(c, "bound_links")) + "/" + text(member(c, "binds")),
          text(member(peak, "rate")) + "/" + text(member(peak, "cap")), window, text(member(c, "buffered")), bl};
}
table carrier_header() { return {{"NAME", "STATE", "BINDS", "RATE/CAP", "WINDOW", "BUFFERED", "BACKLOG otp/trx/bulk"}}; }
}  // namespace

std::string format_carriers(json::value const& answer) {
  table rows = carrier_header();
  if (auto const& list = member(answer, "carriers"); list.is_array())
    for (auto const& c : list.as_array()) rows.push_back(carrier_row(c));
  return render(rows);
}

std::string format_carrier(json::value const& c) {
  table rows = carrier_header();
  rows.push_back(carrier_row(c));
  return render(rows);
}

std::string format_message(json::value const& m) {
  table fields;
  for (auto key : {"id", "state", "to", "carrier", "route", "priority", "purpose", "attempts", "smsc_message_id",
                   "detail"})
    if (auto const& v = member(m, key); !v.is_null()) fields.push_back({std::string(key) + ":", text(v)});
  for (auto key : {"created_at_ms", "expires_at_ms", "updated_at_ms"})
    if (auto const& v = member(m, key); !v.is_null())
      fields.push_back({std::string(key).substr(0, std::string(key).size() - 3) + ":", time_of(v)});
  std::string out = render(fields);
  table hist{{"AT", "FROM", "TO", "ATTEMPT", "ROUTE", "SMSC ID", "DETAIL"}};
  if (auto const& h = member(m, "history"); h.is_array())
    for (auto const& r : h.as_array())
      hist.push_back({time_of(member(r, "at_ms")), text(member(r, "from")), text(member(r, "to")),
                      text(member(r, "attempt")),
                      text(member(r, "route")).empty() ? "-" : text(member(r, "route")),
                      text(member(r, "smsc_message_id")).empty() ? "-" : text(member(r, "smsc_message_id")),
                      text(member(r, "detail"))});
  return out + "\nhistory:\n" + render(hist);
}

std::string format_event(std::string const& event, json::value const& d) {
  if (event == "outcome")
    return time_of(member(d, "at_ms")) + "  #" + text(member(d, "id")) + "  message " + text(member(d, "message_id")) +
           "  " + text(member(d, "from")) + " -> " + text(member(d, "state")) + (member(d, "final").is_bool() &&
           member(d, "final").as_bool() ? " (final)" : "") + "  carrier " + text(member(d, "carrier")) + " route " +
           text(member(d, "route")) + "  " + text(member(d, "detail")) + "\n";
  auto const& msg = member(d, "message");
  return event + ": " + (msg.is_null() ? text(d) : text(msg)) + "\n";
}

}  // namespace smsgwctl
