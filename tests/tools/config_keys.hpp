// tests/tools/config_keys.hpp: the configuration keys and their defaults, as the config code
// knows them, for the tests that keep the operator files in step with it: conf/smsgw.toml and
// docs/daemon.md (ops_conf_test.cpp), man/smsgw.toml.5 (ops_man_test.cpp).
#pragma once

#include <map>
#include <regex>
#include <set>
#include <string>

#include <fmt/format.h>

#include "daemon/config/config.hpp"
#include "tests/tools/ops_util.hpp"

namespace smsgw::ops_test {

inline void add_matches(std::set<std::string>& out, std::string const& text, std::string const& re) {
  std::regex r(re);
  for (std::sregex_iterator it(text.begin(), text.end(), r), end; it != end; ++it)
    out.insert((*it)[1].str());
}

/// Every key daemon/config/config.cpp reads (the authority: an unread key is refused as unknown) and
/// every `key` / `[table]` daemon/config/config.hpp documents in backquotes.
inline std::set<std::string> config_keys(fs::path const& source_dir) {
  std::set<std::string> keys;
  auto cpp = slurp(source_dir / "daemon/config/config.cpp");
  add_matches(keys, cpp, R"re(\b(?:get|get_int|get_number|get_duration|get_strings|get_ints|node|require)\("([a-z][a-z0-9_]*)")re");
  add_matches(keys, cpp, R"re(\bread_enum<[^(]*>\(\s*\w+,\s*"([a-z][a-z0-9_]*)")re");
  add_matches(keys, cpp, R"re(\bread_limits\(\s*\w+,\s*"([a-z][a-z0-9_]*)")re");
  add_matches(keys, cpp, R"re(\bsub\(\s*top,\s*"([a-z][a-z0-9_]*)")re");
  // config.hpp documents each field as "///< `key`..." or "key `name`"; tables as `[name]`.
  auto hpp = slurp(source_dir / "daemon/config/config.hpp");
  add_matches(keys, hpp, R"re((?:///<\s*|\bkey\s+|,\s+)`([a-z][a-z0-9_]*)`)re");
  add_matches(keys, hpp, R"re(`\[\[?([a-z][a-z0-9_]*)\]\]?`)re");
  return keys;
}

/// Key -> its default as docs/daemon.md and man/smsgw.toml.5 write it, from the parser: a
/// config with only the required keys, everything else left to the defaults.
inline std::map<std::string, std::string> parser_defaults() {
  auto cfg = parse_config(R"([[carrier]]
name = "telkomsel"
host = "127.0.0.1"
system_id = "smsgw"
throughput = 10
[carrier.tls]
enabled = true
ca_file = "system"
)", "minimal");
  if (!cfg) throw std::runtime_error("the minimal config is refused: " + cfg.error().message());
  auto const& c = cfg->carriers.at(0);
  auto const& l = c.link;
  auto q = [](std::string const& s) { return "\"" + s + "\""; };
  auto n = [](auto v) { return fmt::format("{}", v); };
  return {
      {"stop_timeout_ms", n(cfg->stop_timeout.count())},
      {"port", n(l.port)}, {"password", q(l.password)}, {"system_type", q(l.system_type)},
      {"address_range", q(l.address_range)}, {"bind_mode", q("transceiver")}, {"binds", n(l.binds)},
      {"window", n(l.window)}, {"burst", n(l.throttle.burst)},
      {"connect_timeout_ms", n(l.timeouts.connect.count())},
      {"tls_handshake_timeout_ms", n(l.timeouts.tls_handshake.count())},
      {"bind_timeout_ms", n(l.timeouts.bind_response.count())},
      {"response_timeout_ms", n(l.timeouts.response.count())},
      {"enquire_link_interval_ms", n(l.timeouts.enquire_link_interval.count())},
      {"enquire_link_timeout_ms", n(l.timeouts.enquire_link_response.count())},
      {"unbind_timeout_ms", n(l.timeouts.unbind_response.count())},
      {"drain_timeout_ms", n(l.timeouts.drain.count())},
      {"reconnect_initial_ms", n(l.reconnect.initial.count())},
      {"reconnect_max_ms", n(l.reconnect.max.count())},
      {"message_id_format", q("same")}, {"sender", q(c.sender)}, {"alternates", "[]"},
      {"failover_after_ms", n(c.failover_after.count())},
      {"no_bind_degraded_seconds", n(c.no_bind_degraded.count())},
      {"receipt_timeout_ms", n(c.receipt_timeout.count())},
      {"transactional_receipt_timeout_ms", n(c.transactional_receipt_timeout.count())},
      {"filtered_errors", "[]"}, {"filtered_submit_statuses", "[]"},
      {"no_receipt_grace_seconds", n(cfg->queue.no_receipt_grace.count())},
      {"cert_file", q(l.tls.cert_file)}, {"key_file", q(l.tls.key_file)},
      {"verify", l.tls.verify ? "true" : "false"},
      {"db_path", q(cfg->queue.db_path)}, {"synchronous", q(cfg->queue.synchronous_full ? "full" : "normal")},
      {"retention_hours", n(cfg->queue.retention.count())},
      {"housekeeping_ms", n(cfg->queue.housekeeping_interval.count())},
      {"min_free_mb", n(cfg->queue.min_free_mb)},
      {"prefix_hidden_digits", n(cfg->limits.limits.prefix_hidden_digits)},
      {"resend_interval_seconds",
       n(std::chrono::duration_cast<std::chrono::seconds>(cfg->limits.limits.resend_interval).count())},
      {"resend_mode", q(std::string(smsgw::queue::to_string(cfg->limits.limits.on_resend)))},
      {"socket_path", q(cfg->api.socket_path)}, {"socket_mode", q(fmt::format("0{:o}", cfg->api.socket_mode))},
      {"body_limit", n(cfg->api.body_limit)}, {"read_timeout_ms", n(cfg->api.read_timeout.count())},
      {"otp_max_segments", n(cfg->api.otp_max_segments)},
      {"refuse_would_expire", cfg->api.refuse_would_expire ? "true" : "false"},
      {"deadline_routing", cfg->deadline.enabled ? "true" : "false"},
      {"deadline_margin_seconds", n(cfg->deadline.margin.count())},
      {"max_connections", n(cfg->api.max_connections)},
      {"events_max_streams", n(cfg->api.events_max_streams)},
      {"events_heartbeat_ms", n(cfg->api.events_heartbeat.count())},
      {"events_stall_timeout_ms", n(cfg->api.events_stall_timeout.count())},
      {"max_connections_per_uid", n(cfg->api.max_connections_per_uid)},
      {"send_uids", "[]"}, {"send_gids", "[]"}, {"control_uids", "[]"}, {"control_gids", "[]"},
      {"default_ttl_seconds", n(cfg->api.default_ttl.count())},
      {"max_ttl_seconds", n(cfg->api.max_ttl.count())},
      {"level", q(cfg->logging.level)}, {"dlr_log", q(cfg->logging.dlr_log)}};
}

}  // namespace smsgw::ops_test
