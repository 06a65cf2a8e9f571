// tools/smsgwctl/render.hpp: smsgwctl's human output: times (local and ISO 8601 UTC), aligned
// tables, and the views of the API's answers (status, carriers, a message, an event, a
// reload). Pure: JSON in, text out; --json bypasses all of it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace smsgw::ctl {

/// "2026-12-03 17:47:05 +0700 (2026-12-03T10:47:05.489Z)": local time, then UTC ISO 8601.
std::string format_time(std::int64_t unix_ms);

/// Rows under a header, columns padded to the widest cell, two spaces apart.
std::string table(std::vector<std::string> const& header, std::vector<std::vector<std::string>> const& rows);

/// A JSON scalar as text ("-" for null, strings unquoted).
std::string scalar(boost::json::value const& v);

std::string render_status(boost::json::value const& health);
std::string render_carriers(boost::json::value const& carriers);
std::string render_carrier(boost::json::value const& carrier);
std::string render_message(boost::json::value const& view);
std::string render_event(boost::json::value const& event);
std::string render_reload(boost::json::value const& answer);

}  // namespace smsgw::ctl
