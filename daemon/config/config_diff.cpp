// daemon/config/config_diff.cpp: see config_diff.hpp.
#include "daemon/config/config_diff.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace smsgw {

namespace {

using lines = std::vector<std::string>;

template <class T>
void changed(lines& out, std::string_view what, T const& a, T const& b) {
  if (a != b) out.push_back(fmt::format("{} {} -> {}", what, a, b));
}

void changed_ms(lines& out, std::string_view what, std::chrono::milliseconds a,
                std::chrono::milliseconds b) {
  changed(out, what, a.count(), b.count());
}

/// A setting whose value is not shown (a password) or too long to show.
template <class T>
void changed_quietly(lines& out, std::string_view what, T const& a, T const& b) {
  if (!(a == b)) out.push_back(std::string(what));
}

std::string list_text(std::vector<std::string> const& v) {
  return fmt::format("[{}]", fmt::join(v, ", "));
}

std::string_view mode_name(bind_layout m) {
  return m == bind_layout::transceiver ? "transceiver" : "transmitter_receiver";
}

std::string_view id_format_name(smpp::message_id_format f) {
  switch (f) {
    case smpp::message_id_format::same: return "same";
    case smpp::message_id_format::resp_hex_dlr_dec: return "resp_hex_dlr_dec";
    case smpp::message_id_format::resp_dec_dlr_hex: return "resp_dec_dlr_hex";
  }
  return "?";
}

/// Per-row differences of two routing tables ("prefix 62895: tri -> indosat").
void routing_changes(lines& out, carrier_table const& a, carrier_table const& b) {
  auto rows = [](std::span<carrier_prefix const> r) {
    std::map<std::string, std::string> m;
    for (auto const& p : r) m[p.prefix] = p.carrier;
    return m;
  };
  auto compare = [&](std::string_view kind, std::map<std::string, std::string> const& x,
                     std::map<std::string, std::string> const& y) {
    std::map<std::string, std::pair<std::string, std::string>> diff;
    for (auto const& [k, v] : x) diff[k].first = v;
    for (auto const& [k, v] : y) diff[k].second = v;
    for (auto const& [k, v] : diff) {
      if (v.first == v.second) continue;
      out.push_back(fmt::format("[routing] {} {}: {} -> {}", kind, k,
                                v.first.empty() ? "(none)" : v.first,
                                v.second.empty() ? "(none)" : v.second));
    }
  };
  compare("prefix", rows(a.rows()), rows(b.rows()));
  compare("number", rows(a.numbers()), rows(b.numbers()));
}

/// What the dispatcher and the bucket read: changes that keep the links bound.
void carrier_changes(lines& out, route_config const& a, route_config const& b) {
  lines l;
  changed(l, "throughput", a.link.throttle.rate, b.link.throttle.rate);
  auto ta = a.link.throttle, tb = b.link.throttle;
  ta.rate = tb.rate = 0;
  changed_quietly(l, "throttle settings (burst, throttle factor, recovery)", ta, tb);
  changed_quietly(l, "peak windows", a.peak, b.peak);
  if (a.alternates != b.alternates)
    l.push_back(fmt::format("alternates {} -> {}", list_text(a.alternates), list_text(b.alternates)));
  changed(l, "sender", a.sender, b.sender);
  changed_ms(l, "failover_after_ms", a.failover_after, b.failover_after);
  changed_ms(l, "receipt_timeout_ms", a.receipt_timeout, b.receipt_timeout);
  changed_ms(l, "transactional_receipt_timeout_ms", a.transactional_receipt_timeout,
             b.transactional_receipt_timeout);
  if (a.filtered_errors != b.filtered_errors)
    l.push_back(fmt::format("filtered_errors {} -> {}", list_text(a.filtered_errors),
                            list_text(b.filtered_errors)));
  changed_quietly(l, "filtered_submit_statuses", a.filtered_submit_statuses, b.filtered_submit_statuses);
  changed(l, "message_id_format", id_format_name(a.id_format), id_format_name(b.id_format));
  for (auto& x : l) out.push_back(fmt::format("carrier {}: {}", a.link.name, x));
}

void limits_changes(lines& out, limits_settings const& a, limits_settings const& b) {
  lines l;
  changed(l, "enabled", a.enabled, b.enabled);
  changed_quietly(l, "per_number", a.limits.per_number, b.limits.per_number);
  changed_quietly(l, "per_prefix", a.limits.per_prefix, b.limits.per_prefix);
  changed(l, "prefix_hidden_digits", a.limits.prefix_hidden_digits, b.limits.prefix_hidden_digits);
  changed(l, "resend_interval_seconds",
          std::chrono::duration_cast<std::chrono::seconds>(a.limits.resend_interval).count(),
          std::chrono::duration_cast<std::chrono::seconds>(b.limits.resend_interval).count());
  changed(l, "resend_mode", queue::to_string(a.limits.on_resend), queue::to_string(b.limits.on_resend));
  for (auto& x : l) out.push_back("[limits] " + x);
}

}  // namespace

std::vector<std::string> connection_changes(carrier_config const& a, carrier_config const& b) {
  lines l;
  changed(l, "host", a.host, b.host);
  changed(l, "port", a.port, b.port);
  changed(l, "tls.enabled", a.tls.enabled, b.tls.enabled);
  changed(l, "tls.ca_file", a.tls.ca_file, b.tls.ca_file);
  changed(l, "tls.cert_file", a.tls.cert_file, b.tls.cert_file);
  changed(l, "tls.key_file", a.tls.key_file, b.tls.key_file);
  changed(l, "tls.server_name", a.tls.server_name, b.tls.server_name);
  changed(l, "tls.verify", a.tls.verify, b.tls.verify);
  changed(l, "system_id", a.system_id, b.system_id);
  changed_quietly(l, "password", a.password, b.password);
  changed(l, "system_type", a.system_type, b.system_type);
  changed(l, "interface_version", a.interface_version, b.interface_version);
  changed(l, "addr_ton", a.addr_ton, b.addr_ton);
  changed(l, "addr_npi", a.addr_npi, b.addr_npi);
  changed(l, "address_range", a.address_range, b.address_range);
  changed(l, "bind_mode", mode_name(a.mode), mode_name(b.mode));
  changed(l, "binds", a.binds, b.binds);
  changed(l, "window", a.window, b.window);
  changed_quietly(l, "link timeouts", a.timeouts, b.timeouts);
  changed_quietly(l, "reconnect delays", a.reconnect, b.reconnect);
  // Anything the binds were made with that the lines above do not name (a new field).
  auto x = a, y = b;
  x.throttle = y.throttle = {};
  if (l.empty() && !(x == y)) l.push_back("connection settings");
  return l;
}

std::vector<std::string> restart_only_changes(daemon_config const& a, daemon_config const& b) {
  lines l;
  changed(l, "[queue] db_path", a.queue.db_path, b.queue.db_path);
  changed(l, "[queue] synchronous", a.queue.synchronous_full ? "full" : "normal",
          b.queue.synchronous_full ? "full" : "normal");
  changed(l, "[api] socket_path", a.api.socket_path, b.api.socket_path);
  if (a.api.socket_mode != b.api.socket_mode)
    l.push_back(fmt::format("[api] socket_mode {:04o} -> {:04o}", a.api.socket_mode, b.api.socket_mode));
  changed(l, "[api] body_limit", a.api.body_limit, b.api.body_limit);
  changed_ms(l, "[api] read_timeout_ms", a.api.read_timeout, b.api.read_timeout);
  changed(l, "[api] max_connections", a.api.max_connections, b.api.max_connections);
  changed(l, "[logging] dlr_log", a.logging.dlr_log, b.logging.dlr_log);
  for (auto& x : l) x += " (needs a restart; the running value stays)";
  return l;
}

daemon_config with_restart_only_kept(daemon_config next, daemon_config const& running) {
  next.queue.db_path = running.queue.db_path;
  next.queue.synchronous_full = running.queue.synchronous_full;
  next.api.socket_path = running.api.socket_path;
  next.api.socket_mode = running.api.socket_mode;
  next.api.body_limit = running.api.body_limit;
  next.api.read_timeout = running.api.read_timeout;
  next.api.max_connections = running.api.max_connections;
  next.logging.dlr_log = running.logging.dlr_log;
  return next;
}

config_plan plan_reload(daemon_config const& running, daemon_config const& next) {
  config_plan p;
  auto& out = p.changes;
  for (auto const& rc : running.carriers) {
    auto const* nc = next.find_carrier(rc.link.name);
    if (!nc) {
      p.removed.push_back(rc.link.name);
      out.push_back(fmt::format("carrier {}: removed", rc.link.name));
      continue;
    }
    if (auto conn = connection_changes(rc.link, nc->link); !conn.empty()) {
      p.rebind.push_back(rc.link.name);
      out.push_back(fmt::format("carrier {}: {}: links bind again", rc.link.name, fmt::join(conn, ", ")));
    } else if (!(rc.link.throttle == nc->link.throttle)) {
      p.retune.push_back(rc.link.name);
    }
    carrier_changes(out, rc, *nc);
  }
  for (auto const& nc : next.carriers) {
    if (running.find_carrier(nc.link.name)) continue;
    p.added.push_back(nc.link.name);
    out.push_back(fmt::format("carrier {}: added ({}:{}, {} link(s), throughput {})", nc.link.name,
                              nc.link.host, nc.link.port, nc.link.max_connections(),
                              nc.link.throttle.rate));
  }
  routing_changes(out, running.routing, next.routing);
  limits_changes(out, running.limits, next.limits);
  changed(out, "[retry] max_otp_attempts", running.retry.max_otp_attempts, next.retry.max_otp_attempts);
  changed(out, "[retry] max_transactional_attempts", running.retry.max_transactional_attempts,
          next.retry.max_transactional_attempts);
  changed_ms(out, "[retry] same_route_delay_ms", running.retry.same_route_delay, next.retry.same_route_delay);
  changed(out, "[api] default_ttl_seconds", running.api.default_ttl.count(), next.api.default_ttl.count());
  changed(out, "[api] max_ttl_seconds", running.api.max_ttl.count(), next.api.max_ttl.count());
  changed(out, "[api] otp_max_segments", running.api.otp_max_segments, next.api.otp_max_segments);
  changed(out, "[queue] retention_hours", running.queue.retention.count(), next.queue.retention.count());
  changed_ms(out, "[queue] housekeeping_ms", running.queue.housekeeping_interval, next.queue.housekeeping_interval);
  changed(out, "[queue] no_receipt_grace_seconds", running.queue.no_receipt_grace.count(),
          next.queue.no_receipt_grace.count());
  changed(out, "[logging] level", running.logging.level, next.logging.level);
  changed_ms(out, "stop_timeout_ms", running.stop_timeout, next.stop_timeout);
  return p;
}

}  // namespace smsgw
