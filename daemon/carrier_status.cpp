// daemon/carrier_status.cpp: see carrier_status.hpp.
#include "daemon/carrier_status.hpp"

#include <cmath>

#include <boost/json/array.hpp>
#include <fmt/format.h>

#include "daemon/dispatch/dispatcher.hpp"
#include "daemon/link/carrier.hpp"

namespace smsgw {

namespace {

/// A whole number as a JSON integer (Boost.JSON writes every double as "6E1").
boost::json::value json_number(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return static_cast<std::int64_t>(v);
  return v;
}

std::int64_t ms_between(std::chrono::steady_clock::time_point from,
                        std::chrono::steady_clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

}  // namespace

boost::json::object carrier_status(daemon_config const& cfg, carrier const& c, dispatcher& disp) {
  auto const& name = c.config().name;
  auto const* rc = cfg.find_carrier(name);
  auto const route = disp.route_status(name);
  auto const now = std::chrono::steady_clock::now();
  boost::json::object o;
  o["name"] = name;
  o["state"] = dispatcher::to_string(route.state);
  o["suspended"] = disp.suspended(name);
  o["bound_links"] = c.bound_links();
  o["binds"] = c.config().binds;
  o["smpp_window"] = c.config().window;
  if (route.unbound_since) o["unbound_for_ms"] = ms_between(*route.unbound_since, now);
  else o["unbound_for_ms"] = nullptr;
  o["buffered"] = route.buffered;
  boost::json::array alternates;
  if (rc)
    for (auto const& a : rc->alternates) alternates.emplace_back(a);
  o["alternates"] = std::move(alternates);
  // The peak-hour window in force with its cap, and the token bucket's current rate (an SMSC
  // throttle lowers it below the cap).
  auto const st = disp.current_peak(name);
  boost::json::object p;
  if (st.window && rc) {
    auto const& w = rc->peak.windows[*st.window];
    p["window"] = w.name;
    p["window_wib"] = describe(w);
  } else {
    p["window"] = nullptr;
  }
  p["cap"] = json_number(st.cap);
  p["rate"] = json_number(c.current_rate());
  p["transactional_share"] = json_number(st.share[1]);
  p["bulk_share"] = json_number(st.share[2]);
  if (st.until != std::chrono::system_clock::time_point::max())
    p["until_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(st.until.time_since_epoch()).count();
  o["peak"] = std::move(p);
  return o;
}

boost::json::object carrier_health(daemon_config const& cfg,
                                   std::vector<std::unique_ptr<carrier>> const& carriers,
                                   dispatcher& disp) {
  boost::json::object all, links, peak;
  for (auto const& c : carriers) {
    auto const& name = c->config().name;
    auto st = carrier_status(cfg, *c, disp);
    links[name] = st["bound_links"];
    peak[name] = st["peak"];
    all[name] = std::move(st);
  }
  return {{"bound_links", std::move(links)}, {"peak", std::move(peak)}, {"carriers", std::move(all)}};
}

std::vector<std::string> no_bind_reasons(daemon_config const& cfg, dispatcher const& disp,
                                         std::chrono::steady_clock::time_point now) {
  std::vector<std::string> out;
  for (auto const& rc : cfg.carriers) {
    if (rc.no_bind_degraded.count() == 0) continue;
    auto const st = disp.route_status(rc.link.name);
    if (!st.unbound_since || now - *st.unbound_since <= rc.no_bind_degraded) continue;
    out.push_back(fmt::format("carrier {} has had no bound link for {} s (no_bind_degraded_seconds "
                              "= {})", rc.link.name,
                              std::chrono::duration_cast<std::chrono::seconds>(now - *st.unbound_since).count(),
                              rc.no_bind_degraded.count()));
  }
  return out;
}

}  // namespace smsgw
