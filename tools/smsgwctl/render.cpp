// tools/smsgwctl/render.cpp: the human views. Fields missing from an answer (an older or newer
// daemon) print as "-" rather than failing.
#include "tools/smsgwctl/render.hpp"

#include <ctime>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace smsgw::ctl {

namespace json = boost::json;

namespace {

json::value const& field(json::value const& v, std::string_view key) {
  static json::value const null;
  if (!v.is_object()) return null;
  auto const* f = v.as_object().if_contains(key);
  return f ? *f : null;
}

std::string text(json::value const& v, std::string_view key) { return scalar(field(v, key)); }

std::string time_field(json::value const& v, std::string_view key) {
  auto const& f = field(v, key);
  if (!f.is_int64() && !f.is_uint64()) return "-";
  return format_time(f.to_number<std::int64_t>());
}

/// Every field of an object, nested ones as "a.b", one "key: value" line each.
void flatten(json::value const& v, std::string const& prefix, std::vector<std::vector<std::string>>& rows) {
  if (v.is_object()) {
    for (auto const& kv : v.as_object())
      flatten(kv.value(), prefix.empty() ? std::string(kv.key()) : prefix + "." + std::string(kv.key()), rows);
    return;
  }
  if (v.is_array()) {
    std::string joined;
    for (auto const& e : v.as_array()) joined += (joined.empty() ? "" : ", ") + (e.is_object() ? json::serialize(e) : scalar(e));
    rows.push_back({prefix + ":", joined.empty() ? "[]" : joined});
    return;
  }
  rows.push_back({prefix + ":", scalar(v)});
}

std::string strip_trailing(std::string s) {
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

std::string format_time(std::int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  auto ms = static_cast<int>(unix_ms % 1000);
  std::tm local{}, utc{};
  ::localtime_r(&secs, &local);
  ::gmtime_r(&secs, &utc);
  char l[64], u[64];
  std::strftime(l, sizeof l, "%Y-%m-%d %H:%M:%S %z", &local);
  std::strftime(u, sizeof u, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{} ({}.{:03}Z)", l, u, ms);
}

std::string scalar(json::value const& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return std::string(v.as_string());
  if (v.is_bool()) return v.as_bool() ? "yes" : "no";
  return json::serialize(v);
}

std::string table(std::vector<std::string> const& header, std::vector<std::vector<std::string>> const& rows) {
  std::size_t columns = header.size();
  for (auto const& r : rows) columns = std::max(columns, r.size());
  std::vector<std::size_t> width(columns);
  for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (auto const& r : rows)
    for (std::size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], r[c].size());
  auto line = [&](std::vector<std::string> const& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size() && c < width.size(); ++c)
      out += c + 1 == cells.size() ? cells[c] : fmt::format("{:<{}}  ", cells[c], width[c]);
    return strip_trailing(out) + "\n";
  };
  std::string out = header.empty() || header[0].empty() ? "" : line(header);  // {""}: no header
  for (auto const& r : rows) out += line(r);
  return out;
}

std::string render_status(json::value const& health) {
  std::vector<std::vector<std::string>> rows;
  flatten(health, "", rows);
  return table({""}, rows);
}

std::string render_carriers(json::value const& answer) {
  std::vector<std::vector<std::string>> rows;
  auto const& list = field(answer, "carriers");
  if (list.is_array()) {
    for (auto const& c : list.as_array()) {
      auto const& backlog = field(c, "backlog");
      std::string alternates;
      if (field(c, "alternates").is_array())
        for (auto const& a : field(c, "alternates").as_array()) alternates += (alternates.empty() ? "" : ",") + scalar(a);
      rows.push_back({text(c, "name"), text(c, "state"), text(c, "suspended"),
                      fmt::format("{}/{}", text(c, "bound_links"), text(c, "binds")), text(c, "buffered"),
                      fmt::format("{}/{}/{}", text(backlog, "otp"), text(backlog, "transactional"), text(backlog, "bulk")),
                      alternates.empty() ? "-" : alternates});
    }
  }
  return table({"CARRIER", "STATE", "SUSPENDED", "BOUND/BINDS", "BUFFERED", "QUEUED OTP/TRANS/BULK", "ALTERNATES"}, rows);
}

std::string render_carrier(json::value const& c) {
  return fmt::format("carrier {}: {} (suspended: {}, bound links {}/{}, buffered {})\n", text(c, "name"),
                     text(c, "state"), text(c, "suspended"), text(c, "bound_links"), text(c, "binds"),
                     text(c, "buffered"));
}

std::string render_message(json::value const& v) {
  std::vector<std::vector<std::string>> head{
      {"id:", text(v, "id")},          {"state:", text(v, "state")},
      {"to:", text(v, "to")},          {"carrier:", text(v, "carrier")},
      {"route:", text(v, "route")},    {"priority:", text(v, "priority")},
      {"purpose:", text(v, "purpose")}, {"attempts:", text(v, "attempts")},
      {"created:", time_field(v, "created_at_ms")}, {"updated:", time_field(v, "updated_at_ms")},
      {"expires:", time_field(v, "expires_at_ms")}, {"smsc id:", text(v, "smsc_message_id")},
      {"detail:", text(v, "detail")}};
  std::vector<std::vector<std::string>> rows;
  auto const& h = field(v, "history");
  if (h.is_array()) {
    for (auto const& e : h.as_array()) {
      auto const& by = field(e, "requested_by");
      std::string who = by.is_object() ? fmt::format("uid {} pid {}", text(by, "uid"), text(by, "pid")) : "";
      rows.push_back({time_field(e, "at_ms"), text(e, "from") + " -> " + text(e, "to"), text(e, "attempt"),
                      text(e, "route").empty() ? "-" : text(e, "route"), text(e, "detail"), who});
    }
  }
  return table({""}, head) + "\nhistory:\n" + table({"TIME", "TRANSITION", "ATTEMPT", "ROUTE", "DETAIL", "BY"}, rows);
}

std::string render_event(json::value const& e) {
  auto const route = text(e, "route");
  return fmt::format("{}  #{}  message {}  {} -> {}  {}{}  attempt {}  {}\n", time_field(e, "at_ms"), text(e, "id"),
                     text(e, "message_id"), text(e, "from"), text(e, "state"), text(e, "carrier"),
                     route != "-" && route != text(e, "carrier") && !route.empty() ? " via " + route : "",
                     text(e, "attempt"), text(e, "detail"));
}

std::string render_reload(json::value const& answer) {
  std::string out = "reloaded\n";
  auto const& changes = field(answer, "changes");
  if (changes.is_array()) {
    if (changes.as_array().empty()) out += "  (no changes)\n";
    for (auto const& c : changes.as_array()) out += "  " + (c.is_string() ? std::string(c.as_string()) : json::serialize(c)) + "\n";
  }
  return out;
}

}  // namespace smsgw::ctl
