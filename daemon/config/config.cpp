// daemon/config/config.cpp: TOML -> daemon_config. A `table_reader` wraps one TOML table, reads typed
// keys with their allowed range (remembering which it saw, so leftovers are reported as
// unknown keys) and throws a config_error naming the key's own line; parse_config() catches it
// once and returns it. No error text ever contains a password: values are echoed only for
// enumerations and numbers, and a TOML syntax error on a line holding a password is reported
// without the parser's text (which may quote the line).
#include "daemon/config/config.hpp"

#include <grp.h>
#include <pwd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "daemon/config/embedded_config.hpp"

namespace smsgw {

namespace {

struct config_failure {
  config_error error;
};

class table_reader {
 public:
  table_reader(toml::table const& t, std::string prefix, std::string const& file)
      : table_(t), prefix_(std::move(prefix)), file_(file) {}

  [[noreturn]] void fail(std::string_view key, std::string what, toml::node const* at = nullptr) const {
    auto const* n = at ? at : table_.get(key);
    std::size_t line = n ? n->source().begin.line : table_.source().begin.line;
    throw config_failure{{file_, line, prefix_ + std::string(key), std::move(what)}};
  }

  toml::node const* node(std::string_view key) {
    seen_.insert(std::string(key));
    return table_.get(key);
  }
  bool has(std::string_view key) const { return table_.get(key) != nullptr; }

  /// A key without a default: missing is an error on the table's own line.
  void require(std::string_view key, std::string_view what) const {
    if (!has(key)) fail(key, fmt::format("required ({})", what));
  }

  void get(std::string_view key, bool& out) {
    auto const* n = node(key);
    if (!n) return;
    if (!n->is_boolean()) fail(key, "expected true or false");
    out = *n->value<bool>();
  }

  /// A string of at most `max_len` bytes (min_len 1 = must not be empty). Never echoes it.
  void get(std::string_view key, std::string& out, std::size_t min_len = 0,
           std::size_t max_len = 4096) {
    auto const* n = node(key);
    if (!n) return;
    if (!n->is_string()) fail(key, "expected a string");
    auto v = *n->value<std::string>();
    if (v.size() < min_len || v.size() > max_len)
      fail(key, min_len ? fmt::format("must be {}..{} characters", min_len, max_len)
                        : fmt::format("longer than {} characters", max_len));
    out = std::move(v);
  }

  template <class T>
  void get_int(std::string_view key, T& out, std::int64_t lo, std::int64_t hi) {
    auto const* n = node(key);
    if (!n) return;
    if (!n->is_integer()) fail(key, "expected an integer");
    auto v = *n->value<std::int64_t>();
    if (v < lo || v > hi) fail(key, fmt::format("{} is out of range ({}..{})", v, lo, hi));
    out = static_cast<T>(v);
  }

  void get_number(std::string_view key, double& out, double lo, double hi) {
    auto const* n = node(key);
    if (!n) return;
    if (!n->is_number()) fail(key, "expected a number");
    auto v = *n->value<double>();
    if (!std::isfinite(v) || v < lo || v > hi)
      fail(key, fmt::format("{} is out of range ({}..{})", v, lo, hi));
    out = v;
  }

  template <class Rep, class Period>
  void get_duration(std::string_view key, std::chrono::duration<Rep, Period>& out,
                    std::int64_t lo, std::int64_t hi) {
    std::int64_t v = out.count();
    get_int(key, v, lo, hi);
    out = std::chrono::duration<Rep, Period>(v);
  }

  std::vector<std::string> get_strings(std::string_view key) {
    std::vector<std::string> out;
    auto const* n = node(key);
    if (!n) return out;
    auto const* arr = n->as_array();
    if (!arr) fail(key, "expected an array of strings");
    for (auto const& e : *arr) {
      if (!e.is_string()) fail(key, "expected an array of strings", &e);
      out.push_back(*e.value<std::string>());
    }
    return out;
  }

  /// An array of integers in lo..hi (TOML allows 0x45).
  std::vector<std::int64_t> get_ints(std::string_view key, std::int64_t lo, std::int64_t hi) {
    std::vector<std::int64_t> out;
    auto const* n = node(key);
    if (!n) return out;
    auto const* arr = n->as_array();
    if (!arr) fail(key, "expected an array of integers");
    for (auto const& e : *arr) {
      if (!e.is_integer()) fail(key, "expected an array of integers", &e);
      auto v = *e.value<std::int64_t>();
      if (v < lo || v > hi) fail(key, fmt::format("{} is out of range {}..{}", v, lo, hi), &e);
      out.push_back(v);
    }
    return out;
  }

  /// Reports the first key not read (a typo or an unsupported directive).
  void check_unknown() const {
    for (auto const& [k, v] : table_) {
      if (!seen_.count(std::string(k.str())))
        fail(k.str(), "unknown key (see conf/smsgw.toml for the directives)", &v);
    }
  }

  std::string const& prefix() const { return prefix_; }
  std::string const& file() const { return file_; }

 private:
  toml::table const& table_;
  std::string prefix_;
  std::string const& file_;
  std::set<std::string> seen_;
};

constexpr std::int64_t day_ms = 86'400'000;

void read_tls(table_reader& r, tls_config& tls) {
  r.get("enabled", tls.enabled);
  r.get("ca_file", tls.ca_file);
  r.get("cert_file", tls.cert_file);
  r.get("key_file", tls.key_file);
  r.get("server_name", tls.server_name, 0, 253);
  r.get("verify", tls.verify);
  r.check_unknown();
  if (!tls.enabled) {
    // A [tls] table with settings but without enabled = true would silently mean plain TCP.
    for (auto key : {"ca_file", "cert_file", "key_file", "server_name", "verify"})
      if (r.has(key)) r.fail("enabled", fmt::format("TLS settings given ({}) but enabled is not true", key));
    return;
  }
  if (tls.ca_file.empty() && tls.verify)
    r.fail("ca_file", "required when TLS is enabled: a PEM file of the CAs to trust, or \"system\" "
                      "for the system's default store");
  if (tls.ca_file == "system") tls.ca_file.clear();  // carrier_config: empty = default store
  if (!tls.cert_file.empty() && tls.key_file.empty()) r.fail("key_file", "required with cert_file");
  if (tls.cert_file.empty() && !tls.key_file.empty()) r.fail("cert_file", "required with key_file");
}

void read_link_timeouts(table_reader& r, carrier_config& c) {
  auto& t = c.timeouts;
  r.get_duration("connect_timeout_ms", t.connect, 100, day_ms);
  r.get_duration("tls_handshake_timeout_ms", t.tls_handshake, 100, day_ms);
  r.get_duration("bind_timeout_ms", t.bind_response, 100, day_ms);
  r.get_duration("response_timeout_ms", t.response, 100, day_ms);
  r.get_duration("enquire_link_interval_ms", t.enquire_link_interval, 100, day_ms);
  r.get_duration("enquire_link_timeout_ms", t.enquire_link_response, 100, day_ms);
  r.get_duration("unbind_timeout_ms", t.unbind_response, 100, day_ms);
  r.get_duration("drain_timeout_ms", t.drain, 0, day_ms);
  r.get_duration("reconnect_initial_ms", c.reconnect.initial, 10, day_ms);
  r.get_duration("reconnect_max_ms", c.reconnect.max, 10, day_ms);
  if (c.reconnect.max < c.reconnect.initial) r.fail("reconnect_max_ms", "less than reconnect_initial_ms");
}

template <class E>
E read_enum(table_reader& r, std::string_view key, std::string def,
            std::initializer_list<std::pair<std::string_view, E>> choices) {
  r.get(key, def);
  std::string names;
  for (auto const& [name, value] : choices) {
    if (name == def) return value;
    names += names.empty() ? std::string(name) : ", " + std::string(name);
  }
  r.fail(key, fmt::format("\"{}\": expected one of {}", def, names));
}

/// `[[carrier.peak]]`: the carrier's peak-hour windows (absent = the default schedule).
peak_schedule read_peak(table_reader& r) {
  auto const* n = r.node("peak");
  if (!n) return default_peak_schedule();
  auto const* arr = n->as_array();
  if (!arr) r.fail("peak", "expected [[carrier.peak]] tables (or [] for no windows)");
  peak_schedule s;
  std::vector<table_reader> readers;
  std::size_t i = 0;
  for (auto const& e : *arr) {
    if (!e.is_table()) r.fail("peak", "expected a table", &e);
    readers.emplace_back(*e.as_table(), fmt::format("{}peak[{}].", r.prefix(), i++), r.file());
    auto& wr = readers.back();
    peak_window w;
    wr.require("days", "the days of the week it applies to, e.g. [\"mon\", \"tue\"]");
    wr.require("start", "\"HH:MM\" WIB");
    wr.require("end", "\"HH:MM\" WIB");
    for (auto const& d : wr.get_strings("days")) {
      auto bit = parse_weekday(d);
      if (!bit) wr.fail("days", fmt::format("\"{}\": expected mon, tue, wed, thu, fri, sat or sun", d));
      if (w.days & (1u << *bit)) wr.fail("days", fmt::format("\"{}\" listed twice", d));
      w.days = static_cast<std::uint8_t>(w.days | (1u << *bit));
    }
    for (auto [key, out, allow_24] : {std::tuple{"start", &w.start, false}, std::tuple{"end", &w.end, true}}) {
      std::string text;
      wr.get(key, text, 1, 5);
      auto m = parse_hhmm(text, allow_24);
      if (!m) wr.fail(key, fmt::format("\"{}\": expected \"HH:MM\" WIB, 00:00..{}", text, allow_24 ? "24:00" : "23:59"));
      *out = *m;
    }
    if (wr.has("throughput")) {
      double cap = 0;
      wr.get_number("throughput", cap, 0.01, 100000);
      w.throughput = cap;
    }
    wr.get_number("transactional_share", w.transactional_share, 0, 1);
    wr.get_number("bulk_share", w.bulk_share, 0, 1);
    wr.get("name", w.name, 0, 64);
    wr.check_unknown();
    s.windows.push_back(std::move(w));
  }
  // Inverted, overlapping, a bulk share without transactional: named at the key at fault.
  if (auto p = validate(s)) readers.at(p->index).fail(p->key, p->what);
  for (auto& w : s.windows)
    if (w.name.empty()) w.name = describe(w);
  return s;
}

route_config read_carrier(table_reader& r) {
  route_config rc;
  auto& c = rc.link;
  r.require("name", "a short id used in logs and routing");
  r.require("host", "the SMSC's host name or address");
  r.require("system_id", "the bind's system_id");
  r.require("throughput", "the contract's cap in SMS segments per second");
  r.get("name", c.name, 1, 32);
  r.get("host", c.host, 1, 253);
  r.get_int("port", c.port, 1, 65535);
  r.get("system_id", c.system_id, 1, 15);
  r.get("password", c.password, 0, 8);
  r.get("system_type", c.system_type, 0, 12);
  r.get("address_range", c.address_range, 0, 40);
  c.mode = read_enum<bind_layout>(r, "bind_mode", "transceiver",
                                  {{"transceiver", bind_layout::transceiver},
                                   {"transmitter_receiver", bind_layout::transmitter_receiver}});
  r.get_int("binds", c.binds, 1, 64);
  r.get_int("window", c.window, 1, 1000);
  r.get_number("throughput", c.throttle.rate, 0.01, 100000);
  c.throttle.min_rate = std::min(c.throttle.min_rate, c.throttle.rate);
  r.get_number("burst", c.throttle.burst, 1, 100000);
  read_link_timeouts(r, c);
  rc.id_format = read_enum<smpp::message_id_format>(
      r, "message_id_format", "same",
      {{"same", smpp::message_id_format::same},
       {"resp_hex_dlr_dec", smpp::message_id_format::resp_hex_dlr_dec},
       {"resp_dec_dlr_hex", smpp::message_id_format::resp_dec_dlr_hex}});
  rc.alternates = r.get_strings("alternates");
  r.get("sender", rc.sender, 1, 20);
  r.get_duration("failover_after_ms", rc.failover_after, 0, day_ms);
  r.get_duration("no_bind_degraded_seconds", rc.no_bind_degraded, 0, 86'400);
  rc.peak = read_peak(r);
  r.get_duration("receipt_timeout_ms", rc.receipt_timeout, 0, 86'400'000);
  r.get_duration("transactional_receipt_timeout_ms", rc.transactional_receipt_timeout, 0,
                 86'400'000);
  for (auto& code : r.get_strings("filtered_errors")) {
    std::string_view v = code;
    if (v.size() >= 4 && (v.substr(0, 4) == "err:" || v.substr(0, 4) == "ERR:")) v.remove_prefix(4);
    if (v.empty() || v.size() > 16 || v.find_first_of(" \t") != std::string_view::npos)
      r.fail("filtered_errors", fmt::format("\"{}\": expected a receipt err: code like \"069\"", code));
    rc.filtered_errors.emplace_back(v);
  }
  for (auto v : r.get_ints("filtered_submit_statuses", 1, 0xFFFFFFFF))
    rc.filtered_submit_statuses.push_back(static_cast<std::uint32_t>(v));
  if (auto const* t = r.node("tls")) {
    if (!t->is_table()) r.fail("tls", "expected a table");
    table_reader tr(*t->as_table(), r.prefix() + "tls.", r.file());
    read_tls(tr, c.tls);
  }
  r.check_unknown();
  // Everything validate() checks has been checked per key above; this is the safety net.
  if (auto problems = validate(c); !problems.empty()) r.fail("name", problems.front());
  return rc;
}

std::vector<queue::window_limit> read_limits(table_reader& r, std::string_view key,
                                             std::vector<queue::window_limit> def) {
  auto const* n = r.node(key);
  if (!n) return def;
  auto const* arr = n->as_array();
  if (!arr) r.fail(key, "expected an array of {max, window_seconds, cooldown_seconds} tables");
  std::vector<queue::window_limit> out;
  std::size_t i = 0;
  for (auto const& e : *arr) {
    if (!e.is_table()) r.fail(key, "expected a table", &e);
    table_reader lr(*e.as_table(), fmt::format("{}{}[{}].", r.prefix(), key, i++), r.file());
    queue::window_limit l;
    std::chrono::seconds window{0}, cooldown{0};
    lr.require("max", "requests allowed per window");
    lr.require("window_seconds", "the sliding window's length");
    lr.get_int("max", l.max_count, 1, 10000);
    lr.get_duration("window_seconds", window, 1, 30 * 86400);
    lr.get_duration("cooldown_seconds", cooldown, 0, 30 * 86400);
    lr.get("name", l.name, 0, 64);
    lr.check_unknown();
    l.window = window;
    l.cooldown = cooldown;
    out.push_back(std::move(l));
  }
  return out;
}

table_reader sub(table_reader& top, std::string_view key, toml::table const& empty) {
  auto const* n = top.node(key);
  if (n && !n->is_table()) top.fail(key, "expected a table");
  return table_reader(n ? *n->as_table() : empty, std::string(key) + ".", top.file());
}

/// An array of user (or group) ids, each a number or a name looked up now (getpwnam/getgrnam):
/// an unknown name is an error on its line.
std::vector<std::uint32_t> read_ids(table_reader& r, std::string_view key, bool groups) {
  std::vector<std::uint32_t> out;
  auto const* n = r.node(key);
  if (!n) return out;
  auto const* arr = n->as_array();
  if (!arr) r.fail(key, fmt::format("expected an array of {} names or numbers", groups ? "group" : "user"));
  for (auto const& e : *arr) {
    if (auto v = e.value<std::int64_t>(); v && e.is_integer()) {
      if (*v < 0 || *v > 4294967294) r.fail(key, fmt::format("{} is out of range 0..4294967294", *v), &e);
      out.push_back(static_cast<std::uint32_t>(*v));
      continue;
    }
    if (!e.is_string()) r.fail(key, fmt::format("expected {} names or numbers", groups ? "group" : "user"), &e);
    auto name = *e.value<std::string>();
    std::vector<char> buf(16384);
    int rc = 0;
    if (groups) {
      struct group g {}, *found = nullptr;
      rc = ::getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &found);
      if (found) out.push_back(static_cast<std::uint32_t>(found->gr_gid));
      else r.fail(key, fmt::format("no group \"{}\"{}", name.substr(0, 64), rc ? std::string(": ") + std::strerror(rc) : ""), &e);
    } else {
      struct passwd p {}, *found = nullptr;
      rc = ::getpwnam_r(name.c_str(), &p, buf.data(), buf.size(), &found);
      if (found) out.push_back(static_cast<std::uint32_t>(found->pw_uid));
      else r.fail(key, fmt::format("no user \"{}\"{}", name.substr(0, 64), rc ? std::string(": ") + std::strerror(rc) : ""), &e);
    }
  }
  return out;
}

void read_api(table_reader& a, api_settings& api) {
  a.get("socket_path", api.socket_path, 1, 100);  // sun_path holds 108 bytes
  std::string mode = "0660";
  a.get("socket_mode", mode, 1, 4);
  std::size_t used = 0;
  unsigned long m = 01000;
  try {
    m = std::stoul(mode, &used, 8);
  } catch (std::exception const&) {
  }
  if (used != mode.size() || m > 0777)
    a.fail("socket_mode", fmt::format("\"{}\": expected an octal mode like \"0660\"", mode));
  api.socket_mode = static_cast<std::uint32_t>(m);
  if (api.socket_mode & 0002) a.fail("socket_mode", "must not be world-writable");
  if ((api.socket_mode & 0600) != 0600) a.fail("socket_mode", "the owner needs read and write (0600)");
  a.get_int("body_limit", api.body_limit, 256, 1 << 20);
  a.get_duration("read_timeout_ms", api.read_timeout, 10, 600'000);
  a.get_int("max_connections", api.max_connections, 1, 10000);
  a.get_duration("default_ttl_seconds", api.default_ttl, 1, max_ttl_limit.count());
  a.get_duration("max_ttl_seconds", api.max_ttl, 1, max_ttl_limit.count());
  if (api.default_ttl > api.max_ttl) a.fail("default_ttl_seconds", "exceeds max_ttl_seconds");
  a.get_int("otp_max_segments", api.otp_max_segments, 1, 10);
  a.get_int("events_max_streams", api.events_max_streams, 1, 1000);
  a.get_duration("events_heartbeat_ms", api.events_heartbeat, 1000, 300'000);
  a.get_duration("events_stall_timeout_ms", api.events_stall_timeout, 100, 600'000);
  a.get("refuse_would_expire", api.refuse_would_expire);
  api.max_connections_per_uid = default_connections_per_uid(api.max_connections);
  a.get_int("max_connections_per_uid", api.max_connections_per_uid, 1, 10000);
  api.send_uids = read_ids(a, "send_uids", false);
  api.send_gids = read_ids(a, "send_gids", true);
  api.control_uids = read_ids(a, "control_uids", false);
  api.control_gids = read_ids(a, "control_gids", true);
  a.check_unknown();
}

void read_sections(table_reader& top, daemon_config& cfg) {
  static toml::table const empty;
  top.get_duration("stop_timeout_ms", cfg.stop_timeout, 0, 600'000);
  {
    auto q = sub(top, "queue", empty);
    q.get("db_path", cfg.queue.db_path, 1, 4096);
    cfg.queue.synchronous_full = read_enum<bool>(q, "synchronous", "full", {{"full", true}, {"normal", false}});
    q.get_duration("retention_hours", cfg.queue.retention, 1, 24 * 366);
    q.get_duration("housekeeping_ms", cfg.queue.housekeeping_interval, 10, 3'600'000);
    q.get_duration("no_receipt_grace_seconds", cfg.queue.no_receipt_grace, 0, 7 * 86400);
    q.get_int("min_free_mb", cfg.queue.min_free_mb, 0, 1'048'576);
    q.check_unknown();
  }
  {
    auto l = sub(top, "limits", empty);
    l.get("enabled", cfg.limits.enabled);
    cfg.limits.limits.per_number = read_limits(l, "per_number", cfg.limits.limits.per_number);
    cfg.limits.limits.per_prefix = read_limits(l, "per_prefix", cfg.limits.limits.per_prefix);
    l.get_int("prefix_hidden_digits", cfg.limits.limits.prefix_hidden_digits, 1,
              queue::max_prefix_hidden_digits);
    auto resend = std::chrono::duration_cast<std::chrono::seconds>(cfg.limits.limits.resend_interval);
    l.get_duration("resend_interval_seconds", resend, 0,
                   std::chrono::duration_cast<std::chrono::seconds>(queue::max_resend_interval).count());
    cfg.limits.limits.resend_interval = resend;
    cfg.limits.limits.on_resend = read_enum<queue::resend_mode>(
        l, "resend_mode", "refuse",
        {{"refuse", queue::resend_mode::refuse}, {"suppress", queue::resend_mode::suppress}});
    l.check_unknown();
    // The safety net: every bound validate() checks was checked per key above. Should one
    // slip through, name the key its message starts with ("per_prefix[0]: ...").
    if (auto why = queue::validate(cfg.limits.limits)) {
      std::string_view key = "per_number";
      for (std::string_view k : {"per_prefix", "prefix_hidden_digits", "resend_interval", "resend_mode"})
        if (why->starts_with(k)) key = k;
      l.fail(key, *why);
    }
  }
  {
    auto a = sub(top, "api", empty);
    read_api(a, cfg.api);
  }
  {
    auto r = sub(top, "retry", empty);
    r.get_int("max_otp_attempts", cfg.retry.max_otp_attempts, 1, 10);
    r.get_int("max_transactional_attempts", cfg.retry.max_transactional_attempts, 1, 10);
    r.get_duration("same_route_delay_ms", cfg.retry.same_route_delay, 0, 600'000);
    r.check_unknown();
  }
  {
    auto g = sub(top, "logging", empty);
    cfg.logging.level = read_enum<std::string_view>(
        g, "level", "info",
        {{"trace", "trace"}, {"debug", "debug"}, {"info", "info"}, {"warn", "warn"},
         {"error", "error"}, {"off", "off"}});
    g.get("dlr_log", cfg.logging.dlr_log);
    g.check_unknown();
  }
}

void read_carriers(table_reader& top, daemon_config& cfg) {
  auto const* n = top.node("carrier");
  if (!n) top.fail("carrier", "at least one [[carrier]] is required");
  auto const* arr = n->as_array();
  if (!arr || arr->empty() || !arr->is_array_of_tables()) top.fail("carrier", "expected [[carrier]] tables");
  std::size_t i = 0;
  for (auto const& e : *arr) {
    table_reader cr(*e.as_table(), fmt::format("carrier[{}].", i++), top.file());
    auto rc = read_carrier(cr);
    if (cfg.find_carrier(rc.link.name)) cr.fail("name", fmt::format("duplicate carrier \"{}\"", rc.link.name));
    cfg.carriers.push_back(std::move(rc));
  }
  i = 0;
  for (auto const& e : *arr) {
    table_reader cr(*e.as_table(), fmt::format("carrier[{}].", i), top.file());
    for (auto const& alt : cfg.carriers[i].alternates) {
      if (!cfg.find_carrier(alt) || alt == cfg.carriers[i].link.name)
        cr.fail("alternates", fmt::format("\"{}\" is not another configured carrier", alt));
    }
    ++i;
  }
}

/// `[routing]`: prefix and per-number overrides of the built-in table, each naming a
/// configured carrier.
void read_routing(table_reader& top, daemon_config& cfg) {
  static toml::table const empty;
  auto r = sub(top, "routing", empty);
  std::vector<carrier_prefix> prefixes;
  std::vector<carrier_number> numbers;
  std::vector<std::pair<std::string, toml::node const*>> where;  // key and node of each row
  for (auto key : {"prefixes", "numbers"}) {
    auto const* n = r.node(key);
    if (!n) continue;
    auto const* t = n->as_table();
    if (!t) r.fail(key, fmt::format("expected a table of \"{}\" = \"carrier\" lines",
                                    std::string_view(key) == "prefixes" ? "0812" : "081211110001"));
    for (auto const& [k, v] : *t) {
      auto const full = fmt::format("{}.{}", key, k.str());
      if (!v.is_string()) r.fail(full, "expected a carrier name (a string)", &v);
      auto carrier = *v.value<std::string>();
      if (!cfg.find_carrier(carrier))
        r.fail(full, fmt::format("\"{}\" is not a configured carrier", carrier), &v);
      if (std::string_view(key) == "prefixes")
        prefixes.push_back({std::string(k.str()), carrier});
      else
        numbers.push_back({std::string(k.str()), carrier});
      where.emplace_back(full, &v);
    }
  }
  r.get("deadline_routing", cfg.deadline.enabled);
  r.get_duration("deadline_margin_seconds", cfg.deadline.margin, 0, 3600);
  r.check_unknown();
  // Rows in the order overridden() indexes them: prefixes, then numbers.
  std::stable_partition(where.begin(), where.end(),
                        [](auto const& w) { return w.first.rfind("prefixes.", 0) == 0; });
  auto table = cfg.routing.overridden(prefixes, numbers);
  if (!table) {
    auto const& [key, node] = where.at(table.error().index);
    auto what = table.error().what;
    r.fail(key, what.substr(what.find(": ") == std::string::npos ? 0 : what.find(": ") + 2), node);
  }
  cfg.routing = std::move(*table);
}

/// Every carrier must be reachable: something routes to it, or it is some carrier's alternate
/// (a typo in a name must not leave a carrier configured and silently unused). Checked last.
void check_reachable(table_reader const& top, daemon_config const& cfg, toml::table const& root) {
  auto const* carriers = root.get("carrier")->as_array();
  for (std::size_t i = 0; i < cfg.carriers.size(); ++i) {
    auto const& name = cfg.carriers[i].link.name;
    if (cfg.routing.routes_to(name)) continue;
    bool alternate = false;
    for (auto const& c : cfg.carriers)
      alternate = alternate || std::find(c.alternates.begin(), c.alternates.end(), name) != c.alternates.end();
    if (alternate) continue;
    table_reader cr(*carriers->at(i).as_table(), fmt::format("carrier[{}].", i), top.file());
    cr.fail("name", fmt::format("\"{}\": no prefix or number routes to it and it is no carrier's "
                                "alternate (a typo? the built-in prefix table names telkomsel, "
                                "indosat, xl, tri, smartfren; see [routing])", name));
  }
}

/// toml++'s syntax errors may quote the offending text: on a line that holds a password the
/// description is replaced, so a malformed password line never echoes the password.
std::string syntax_error_text(std::string_view text, std::size_t line, std::string_view description) {
  std::size_t begin = 0;
  for (std::size_t l = 1; l < line && begin != std::string_view::npos; ++l) {
    begin = text.find('\n', begin);
    if (begin != std::string_view::npos) ++begin;
  }
  if (begin == std::string_view::npos) return std::string(description);
  auto line_text = text.substr(begin, text.find('\n', begin) - begin);
  if (line_text.find("password") != std::string_view::npos)
    return "invalid TOML on a line holding a password (the parser's text is hidden)";
  return std::string(description);
}

}  // namespace

route_config const* daemon_config::find_carrier(std::string_view name) const noexcept {
  for (auto const& c : carriers)
    if (c.link.name == name) return &c;
  return nullptr;
}

std::string config_error::message() const {
  if (key.empty()) return fmt::format("{}:{}: {}", file, line, what);
  return fmt::format("{}:{}: {}: {}", file, line, key, what);
}

config_result parse_config(std::string_view toml_text, std::string const& file) {
  toml::table root;
  try {
    root = toml::parse(toml_text, file);
  } catch (toml::parse_error const& e) {
    auto line = static_cast<std::size_t>(e.source().begin.line);
    return config_error{file, line, "", syntax_error_text(toml_text, line, e.description())};
  }
  try {
    daemon_config cfg;
    table_reader top(root, "", file);
    read_carriers(top, cfg);
    read_sections(top, cfg);
    read_routing(top, cfg);
    top.check_unknown();
    check_reachable(top, cfg, root);
    return cfg;
  } catch (config_failure const& f) {
    return f.error;
  }
}

config_result load_config_file(std::string const& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return config_error{path, 0, "", "is a directory, not a file"};
  std::ifstream in(path, std::ios::binary);
  if (!in) return config_error{path, 0, "", fmt::format("cannot open: {}", std::strerror(errno))};
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return config_error{path, 0, "", fmt::format("cannot read: {}", std::strerror(errno))};
  return parse_config(ss.str(), path);
}

std::string_view embedded_default_config() noexcept { return detail::embedded_config_text; }

void throw_exception_from_error(config_error const& e, boost::source_location const&) {
  throw std::invalid_argument(e.message());
}

}  // namespace smsgw
