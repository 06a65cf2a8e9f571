// tools/smsgwctl/ctl_format.hpp: smsgwctl's human-readable output: aligned tables and
// local ISO-8601 times, from the API's JSON answers (pure: JSON in, text out).
#pragma once

#include <string>

#include <boost/json/value.hpp>

namespace smsgwctl {

std::string local_time(long long ms_since_epoch);  ///< "2026-12-03T17:47:05.489+0700"
std::string format_status(boost::json::value const& healthz);
std::string format_carriers(boost::json::value const& carriers_answer);
std::string format_carrier(boost::json::value const& carrier);  ///< suspend/resume answer
std::string format_message(boost::json::value const& message);  ///< show: fields then history
std::string format_event(std::string const& event, boost::json::value const& data);
std::string format_object(boost::json::value const& v);  ///< key: value lines, any object

}  // namespace smsgwctl
