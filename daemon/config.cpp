// daemon/config.cpp: TOML -> daemon_config. A `table_reader` wraps one TOML table, reads typed
// keys (remembering which it saw, so leftovers are reported as unknown keys) and throws a
// config_error naming the key's own line; parse_config() catches it once and returns it.
#include "daemon/config.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "daemon/embedded_config.hpp"

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

  template <class T>
  void get(std::string_view key, T& out) {
    auto const* n = node(key);
    if (!n) return;
    if constexpr (std::is_same_v<T, bool>) {
      if (!n->is_boolean()) fail(key, "expected true or false");
      out = *n->value<bool>();
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!n->is_string()) fail(key, "expected a string");
      out = *n->value<std::string>();
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!n->is_number()) fail(key, "expected a number");
      out = *n->value<double>();
      if (!(out > 0)) fail(key, "must be > 0");
    } else {
      if (!n->is_integer()) fail(key, "expected an integer");
      auto v = *n->value<std::int64_t>();
      if (v < 0 || static_cast<std::uint64_t>(v) > std::numeric_limits<T>::max())
        fail(key, fmt::format("{} is out of range (0..{})", v, std::numeric_limits<T>::max()));
      out = static_cast<T>(v);
    }
  }

  template <class Rep, class Period>
  void get_duration(std::string_view key, std::chrono::duration<Rep, Period>& out,
                    std::int64_t min = 1) {
    std::int64_t v = out.count();
    auto const* n = node(key);
    if (!n) return;
    if (!n->is_integer()) fail(key, "expected an integer");
    v = *n->value<std::int64_t>();
    if (v < min || v > 100'000'000) fail(key, fmt::format("{} is out of range ({}..100000000)", v, min));
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

  /// Reports the first key not read (a typo or an unsupported directive).
  void check_unknown() const {
    for (auto const& [k, v] : table_) {
      if (!seen_.count(std::string(k.str())))
        fail(k.str(), "unknown key (see conf/smsgw.toml for the directives)", &v);
    }
  }

  toml::table const& table() const { return table_; }
  std::string const& prefix() const { return prefix_; }

 private:
  toml::table const& table_;
  std::string prefix_;
  std::string const& file_;
  std::set<std::string> seen_;
};

void read_tls(table_reader& r, tls_config& tls) {
  r.get("enabled", tls.enabled);
  r.get("ca_file", tls.ca_file);
  r.get("cert_file", tls.cert_file);
  r.get("key_file", tls.key_file);
  r.get("server_name", tls.server_name);
  r.get("verify", tls.verify);
  r.check_unknown();
}

route_config read_carrier(table_reader& r, std::string const& file) {
  route_config rc;
  auto& c = rc.link;
  r.get("name", c.name);
  if (c.name.empty()) r.fail("name", "every [[carrier]] needs a name");
  r.get("host", c.host);
  r.get("port", c.port);
  r.get("system_id", c.system_id);
  r.get("password", c.password);
  r.get("system_type", c.system_type);
  r.get("address_range", c.address_range);
  std::string mode = "transceiver";
  r.get("bind_mode", mode);
  if (mode == "transceiver") c.mode = bind_layout::transceiver;
  else if (mode == "transmitter_receiver") c.mode = bind_layout::transmitter_receiver;
  else r.fail("bind_mode", fmt::format("\"{}\": expected transceiver or transmitter_receiver", mode));
  r.get("binds", c.binds);
  r.get("window", c.window);
  r.get("throughput", c.throttle.rate);
  r.get("burst", c.throttle.burst);
  r.get_duration("connect_timeout_ms", c.timeouts.connect);
  r.get_duration("bind_timeout_ms", c.timeouts.bind_response);
  r.get_duration("response_timeout_ms", c.timeouts.response);
  r.get_duration("enquire_link_interval_ms", c.timeouts.enquire_link_interval);
  r.get_duration("enquire_link_timeout_ms", c.timeouts.enquire_link_response);
  r.get_duration("drain_timeout_ms", c.timeouts.drain);
  r.get_duration("reconnect_initial_ms", c.reconnect.initial);
  r.get_duration("reconnect_max_ms", c.reconnect.max);
  std::string idf = "same";
  r.get("message_id_format", idf);
  if (idf == "same") rc.id_format = smpp::message_id_format::same;
  else if (idf == "resp_hex_dlr_dec") rc.id_format = smpp::message_id_format::resp_hex_dlr_dec;
  else if (idf == "resp_dec_dlr_hex") rc.id_format = smpp::message_id_format::resp_dec_dlr_hex;
  else r.fail("message_id_format", fmt::format("\"{}\": expected same, resp_hex_dlr_dec or resp_dec_dlr_hex", idf));
  rc.alternates = r.get_strings("alternates");
  r.get("sender", rc.sender);
  if (rc.sender.empty() || rc.sender.size() > 20) r.fail("sender", "must be 1..20 characters");
  if (auto const* t = r.node("tls")) {
    if (!t->is_table()) r.fail("tls", "expected a table");
    table_reader tr(*t->as_table(), r.prefix() + "tls.", file);
    read_tls(tr, c.tls);
  }
  r.check_unknown();
  if (auto problems = validate(c); !problems.empty()) r.fail("name", problems.front());
  return rc;
}

std::vector<queue::window_limit> read_limits(table_reader& r, std::string_view key,
                                             std::vector<queue::window_limit> def,
                                             std::string const& file) {
  auto const* n = r.node(key);
  if (!n) return def;
  auto const* arr = n->as_array();
  if (!arr) r.fail(key, "expected an array of {max, window_seconds, cooldown_seconds} tables");
  std::vector<queue::window_limit> out;
  std::size_t i = 0;
  for (auto const& e : *arr) {
    if (!e.is_table()) r.fail(key, "expected a table", &e);
    table_reader lr(*e.as_table(), fmt::format("{}{}[{}].", r.prefix(), key, i++), file);
    queue::window_limit l;
    std::chrono::seconds window{0}, cooldown{0};
    lr.get("max", l.max_count);
    lr.get_duration("window_seconds", window);
    lr.get_duration("cooldown_seconds", cooldown, 0);
    lr.get("name", l.name);
    lr.check_unknown();
    l.window = window;
    l.cooldown = cooldown;
    out.push_back(std::move(l));
  }
  return out;
}

table_reader sub(table_reader& top, std::string_view key, std::string const& file,
                 toml::table const& empty) {
  auto const* n = top.node(key);
  if (n && !n->is_table()) top.fail(key, "expected a table");
  return table_reader(n ? *n->as_table() : empty, std::string(key) + ".", file);
}

void read_sections(table_reader& top, daemon_config& cfg, std::string const& file) {
  static toml::table const empty;
  top.get_duration("stop_timeout_ms", cfg.stop_timeout);
  {
    auto q = sub(top, "queue", file, empty);
    q.get("db_path", cfg.queue.db_path);
    std::string sync = "full";
    q.get("synchronous", sync);
    if (sync != "full" && sync != "normal") q.fail("synchronous", "expected \"full\" or \"normal\"");
    cfg.queue.synchronous_full = sync == "full";
    q.get_duration("retention_hours", cfg.queue.retention);
    q.get_duration("housekeeping_ms", cfg.queue.housekeeping_interval);
    q.check_unknown();
  }
  {
    auto l = sub(top, "limits", file, empty);
    l.get("enabled", cfg.limits.enabled);
    cfg.limits.limits.per_number = read_limits(l, "per_number", cfg.limits.limits.per_number, file);
    cfg.limits.limits.per_prefix = read_limits(l, "per_prefix", cfg.limits.limits.per_prefix, file);
    l.get("prefix_hidden_digits", cfg.limits.limits.prefix_hidden_digits);
    l.check_unknown();
    if (auto why = queue::validate(cfg.limits.limits)) l.fail("per_number", *why);
  }
  {
    auto a = sub(top, "api", file, empty);
    a.get("socket_path", cfg.api.socket_path);
    if (cfg.api.socket_path.empty() || cfg.api.socket_path.size() > 100)
      a.fail("socket_path", "must be 1..100 characters (sun_path limit)");
    std::string mode = "0660";
    a.get("socket_mode", mode);
    try {
      std::size_t used = 0;
      auto m = std::stoul(mode, &used, 8);
      if (used != mode.size() || m > 0777) throw std::invalid_argument(mode);
      cfg.api.socket_mode = static_cast<std::uint32_t>(m);
    } catch (std::exception const&) {
      a.fail("socket_mode", fmt::format("\"{}\": expected an octal mode like \"0660\"", mode));
    }
    if (cfg.api.socket_mode & 0002) a.fail("socket_mode", "must not be world-writable");
    a.get("body_limit", cfg.api.body_limit);
    if (cfg.api.body_limit < 256 || cfg.api.body_limit > (1u << 20))
      a.fail("body_limit", "must be 256..1048576 bytes");
    a.get_duration("read_timeout_ms", cfg.api.read_timeout);
    a.get_duration("default_ttl_seconds", cfg.api.default_ttl);
    a.get_duration("max_ttl_seconds", cfg.api.max_ttl);
    if (cfg.api.default_ttl > cfg.api.max_ttl) a.fail("default_ttl_seconds", "exceeds max_ttl_seconds");
    a.check_unknown();
  }
  {
    auto g = sub(top, "logging", file, empty);
    g.get("level", cfg.logging.level);
    static std::set<std::string> const levels{"trace", "debug", "info", "warn", "error", "off"};
    if (!levels.count(cfg.logging.level)) g.fail("level", "expected trace|debug|info|warn|error|off");
    g.get("dlr_log", cfg.logging.dlr_log);
    g.check_unknown();
  }
}

void read_carriers(table_reader& top, daemon_config& cfg, std::string const& file) {
  auto const* n = top.node("carrier");
  if (!n) top.fail("carrier", "at least one [[carrier]] is required");
  auto const* arr = n->as_array();
  if (!arr || !arr->is_array_of_tables()) top.fail("carrier", "expected [[carrier]] tables");
  std::size_t i = 0;
  for (auto const& e : *arr) {
    table_reader cr(*e.as_table(), fmt::format("carrier[{}].", i++), file);
    auto rc = read_carrier(cr, file);
    if (cfg.find_carrier(rc.link.name)) cr.fail("name", fmt::format("duplicate carrier \"{}\"", rc.link.name));
    cfg.carriers.push_back(std::move(rc));
  }
  i = 0;
  for (auto const& e : *arr) {
    table_reader cr(*e.as_table(), fmt::format("carrier[{}].", i), file);
    for (auto const& alt : cfg.carriers[i].alternates) {
      if (!cfg.find_carrier(alt) || alt == cfg.carriers[i].link.name)
        cr.fail("alternates", fmt::format("\"{}\" is not another configured carrier", alt));
    }
    ++i;
  }
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
    return config_error{file, e.source().begin.line, "", std::string(e.description())};
  }
  try {
    daemon_config cfg;
    table_reader top(root, "", file);
    read_carriers(top, cfg, file);
    read_sections(top, cfg, file);
    top.check_unknown();
    return cfg;
  } catch (config_failure const& f) {
    return f.error;
  }
}

config_result load_config_file(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return config_error{path, 0, "", "cannot open the file"};
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

std::string_view embedded_default_config() noexcept { return detail::embedded_config_text; }

void throw_exception_from_error(config_error const& e, boost::source_location const&) {
  throw std::invalid_argument(e.message());
}

}  // namespace smsgw
