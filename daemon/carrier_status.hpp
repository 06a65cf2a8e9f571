// daemon/carrier_status.hpp: what the daemon says about each carrier, built in ONE place for
// both GET /healthz (its carrier part) and GET /v1/carriers: binds, routing state (up, down,
// failed_over, suspended), the peak-hour window with the current rate and cap, alternates.
// Something added to carrier_status() shows in both. Also the carrier part of /healthz's
// "degraded" reasons (no bound link for longer than no_bind_degraded_seconds).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "daemon/config/config.hpp"

namespace smsgw {

class carrier;
class dispatcher;

/// One carrier's status object (docs/daemon.md "GET /v1/carriers" shows one).
boost::json::object carrier_status(daemon_config const& cfg, carrier const& c, dispatcher& disp);

/// /healthz's carrier part: "carriers" (each carrier's status object, keyed by name), and
/// the older "bound_links" {name: n} and "peak" {name: {...}}, read from the same objects.
boost::json::object carrier_health(daemon_config const& cfg,
                                   std::vector<std::unique_ptr<carrier>> const& carriers,
                                   dispatcher& disp);

/// A reason for each carrier with no bound submitting link for longer than its
/// no_bind_degraded_seconds (0 = never), as of `now`.
std::vector<std::string> no_bind_reasons(daemon_config const& cfg, dispatcher const& disp,
                                         std::chrono::steady_clock::time_point now =
                                             std::chrono::steady_clock::now());

}  // namespace smsgw
