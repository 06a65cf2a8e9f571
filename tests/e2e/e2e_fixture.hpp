// tests/e2e/e2e_fixture.hpp: the whole gateway as real processes for end-to-end tests: a temp
// dir, N `smsc-sim` carriers on 127.0.0.1 ephemeral ports, a config file pointing smsgw at
// them (db, API socket and DLR log in the temp dir), the `smsgw` daemon started on it, and an
// HTTP client on its socket. Every wait is bounded by a deadline and polls; nothing sleeps
// for a fixed time to "let things happen". Only our own children are stopped, by PID.
// Executables come from the build (SMSGW_DAEMON_EXE, SMSGW_SIM_EXE compile definitions).
#pragma once

#include <sys/stat.h>

#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/e2e/api_client.hpp"
#include "tests/e2e/child_process.hpp"

namespace smsgw::e2e {

/// Bind password used by every simulator and carrier in the config: the security test
/// checks it never shows up in the daemon's output.
inline constexpr char smpp_password[] = "Xq9#Lm2v";

/// Generous, because CI machines are loaded; normally things take well under a second.
inline constexpr auto startup_deadline = std::chrono::milliseconds(30000);
inline constexpr auto delivery_deadline = std::chrono::milliseconds(60000);

inline std::set<std::string> const& final_states() {
  static std::set<std::string> const s{"delivered", "undeliverable", "expired",
                                       "cancelled", "superseded", "rejected", "no_receipt"};
  return s;
}

/// One simulated carrier and how the daemon's config names it.
struct carrier_spec {
  std::string name;                     ///< carrier name = routing key (queue/msisdn.cpp)
  std::vector<std::string> sim_args;    ///< extra smsc-sim options (quirks)
  std::string id_format = "same";       ///< message_id_format in the daemon's config
  std::vector<std::string> alternates;  ///< alternates in the daemon's config
  std::string extra_toml = {};          ///< more keys of its [[carrier]] table ("binds = 2\n")
  int throughput = 200;                 ///< its throughput (SMS segments per second)
};

/// The five Indonesian carriers, each simulator with its own quirks (as in tools/demo.sh).
inline std::vector<carrier_spec> five_carriers() {
  return {
      {"telkomsel", {"--id-format", "hex", "--receipt-id-format", "dec"}, "resp_hex_dlr_dec", {"indosat"}},
      {"indosat", {"--id-format", "dec", "--receipt-form", "tlv"}, "same", {"xl"}},
      {"xl", {"--id-format", "hex"}, "same", {"telkomsel"}},
      {"tri", {"--id-format", "hex", "--fault-throttle-every", "3"}, "same", {"telkomsel"}},
      {"smartfren", {"--id-format", "dec", "--receipt-form", "text"}, "same", {"telkomsel"}},
  };
}

/// One smsc-sim process. Its port is read from its "listening on 127.0.0.1:PORT" line.
class smsc_sim {
 public:
  smsc_sim(fs::path dir, carrier_spec spec) : dir_(std::move(dir)), spec_(std::move(spec)) {
    start(0);
  }
  ~smsc_sim() { proc_.reset(); }

  std::uint16_t port() const noexcept { return port_; }
  carrier_spec const& spec() const noexcept { return spec_; }
  child_process& proc() { return *proc_; }
  fs::path log_path() const { return dir_ / (spec_.name + ".sim.log"); }

  /// One submit_sm the simulator accepted, as its log records it.
  struct accepted_submit {
    std::string sender;  ///< source_addr
    std::string number;  ///< destination_addr
  };
  /// Every submit_sm it accepted, in order (read from its own log).
  std::vector<accepted_submit> accepted_submits() const {
    std::regex accepted(R"(submit_sm smsgw (\S+) -> (\d+) dc=)");
    std::vector<accepted_submit> out;
    auto const text = read_file(log_path());
    for (std::sregex_iterator it(text.begin(), text.end(), accepted), end; it != end; ++it)
      out.push_back({(*it)[1].str(), (*it)[2].str()});
    return out;
  }
  /// How many submit_sm it accepted, per destination number.
  std::map<std::string, int> accepted_per_number() const {
    std::map<std::string, int> out;
    for (auto const& a : accepted_submits()) ++out[a.number];
    return out;
  }

  void kill9() { proc_->kill9(); }
  /// Starts it again on the same port, with the same options plus `extra`. Its message ids
  /// start from a new base, as a real SMSC's would not repeat the ids it gave before.
  void restart(std::vector<std::string> const& extra = {}) {
    proc_.reset();
    ++restarts_;
    auto args = extra;
    args.insert(args.end(), {"--first-message-id", std::to_string(0x2A000000u + restarts_ * 0x01000000u)});
    start(port_, args);
  }

 private:
  void start(std::uint16_t port, std::vector<std::string> const& extra = {}) {
    auto out = dir_ / (spec_.name + ".sim.out");
    std::error_code ec;
    fs::remove(out, ec);
    std::vector<std::string> argv{SMSGW_SIM_EXE, "--port", std::to_string(port), "--name", spec_.name,
                                  "--system-id", "smsgw", "--password", smpp_password,
                                  "--receipt-delay-ms", "100"};
    argv.insert(argv.end(), spec_.sim_args.begin(), spec_.sim_args.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<child_process>(argv, out, log_path());
    std::regex listening(R"(listening on 127\.0\.0\.1:(\d+))");
    std::smatch m;
    std::string text;
    bool up = wait_until([&] {
      text = read_file(out);
      return std::regex_search(text, m, listening) || !proc_->running();
    }, startup_deadline);
    if (!up || m.empty())
      throw std::runtime_error("smsc-sim " + spec_.name + " did not start (" +
                               describe_status(proc_->status()) + "): " + read_file(log_path()));
    port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
  }

  fs::path dir_;
  carrier_spec spec_;
  std::uint16_t port_ = 0;
  unsigned restarts_ = 0;
  std::unique_ptr<child_process> proc_;
};

inline std::string toml_strings(std::vector<std::string> const& v) {
  std::string out = "[";
  for (auto const& s : v) out += (out.size() > 1 ? ", \"" : "\"") + s + "\"";
  return out + "]";
}

/// The daemon's config for these simulators; `extra_toml` is appended (top-level keys must
/// not be given there: it lands after the [logging] table).
inline std::string make_config(fs::path const& dir, std::vector<std::unique_ptr<smsc_sim>> const& sims,
                               std::string const& extra_toml = {}) {
  std::string t = "stop_timeout_ms = 10000\n";
  for (auto const& s : sims) {
    auto const& c = s->spec();
    t += fmt::format(
        "\n[[carrier]]\nname = \"{}\"\nhost = \"127.0.0.1\"\nport = {}\nsystem_id = \"smsgw\"\n"
        "password = \"{}\"\nthroughput = {}\nreconnect_initial_ms = 100\nreconnect_max_ms = 500\n"
        "message_id_format = \"{}\"\nalternates = {}\n",
        c.name, s->port(), smpp_password, c.throughput, c.id_format, toml_strings(c.alternates));
    t += c.extra_toml;
  }
  t += fmt::format(
      "\n[queue]\ndb_path = \"{0}/queue.db\"\nhousekeeping_ms = 200\n"
      "\n[limits]\nenabled = false\n"
      "\n[api]\nsocket_path = \"{0}/api.sock\"\n"
      "\n[logging]\ndlr_log = \"{0}/dlr.log\"\n",
      dir.string());
  return t + extra_toml;
}

/// The smsgw daemon as a child process; stdout/stderr appended to daemon.out/daemon.err
/// across restarts.
class smsgw_process {
 public:
  smsgw_process(fs::path dir, fs::path config, fs::path socket)
      : dir_(std::move(dir)), config_(std::move(config)), socket_(std::move(socket)) {}

  /// Starts it and (if `wait`) waits until its API socket accepts connections. `wrapper`
  /// runs first and must exec smsgw (e.g. {"prlimit", "--nofile=32:32"}).
  void start(env_changes const& env = {}, bool wait = true, std::vector<std::string> wrapper = {}) {
    proc_.reset();
    wrapper.insert(wrapper.end(), {SMSGW_DAEMON_EXE, "--config", config_.string()});
    proc_ = std::make_unique<child_process>(wrapper, dir_ / "daemon.out", dir_ / "daemon.err", env);
    if (!wait) return;
    api_client probe(socket_.string());
    bool up = wait_until([&] { return probe.connectable() || !proc_->running(); }, startup_deadline);
    if (!up || !proc_->running())
      throw std::runtime_error("smsgw did not start (" + describe_status(proc_->status()) + "): " + logs());
  }
  child_process& proc() { return *proc_; }
  bool started() const noexcept { return proc_ != nullptr; }
  void kill9() { proc_->kill9(); }
  /// SIGTERM and wait (bounded); the wait status.
  int stop() { return proc_->stop(std::chrono::milliseconds(30000)); }
  /// Everything the daemon wrote to stdout and stderr so far.
  std::string logs() const { return read_file(dir_ / "daemon.out") + read_file(dir_ / "daemon.err"); }

 private:
  fs::path dir_, config_, socket_;
  std::unique_ptr<child_process> proc_;
};

/// A temp dir, the simulators, the config and the daemon, started in that order and
/// stopped daemon first (members are destroyed in reverse order).
class gateway {
 public:
  explicit gateway(std::vector<carrier_spec> carriers = five_carriers(), std::string extra_toml = {},
                   bool start_daemon = true)
      : socket_path(dir / "api.sock"), config_path(dir / "smsgw.toml"), dlr_path(dir / "dlr.log"),
        db_path(dir / "queue.db"), api(socket_path.string()),
        daemon(dir.path(), config_path, socket_path) {
    for (auto& c : carriers) sims.push_back(std::make_unique<smsc_sim>(dir.path(), std::move(c)));
    write_file(config_path, make_config(dir.path(), sims, extra_toml));
    if (start_daemon) daemon.start();
  }
  ~gateway() {
    if (daemon.started()) daemon.stop();
  }

  smsc_sim& sim(std::string const& name) {
    for (auto& s : sims)
      if (s->spec().name == name) return *s;
    throw std::runtime_error("no simulator " + name);
  }

  /// POST /v1/otp {to, code, purpose} (+ `extra` fields).
  api_reply send_otp(std::string const& to, std::string const& code,
                     boost::json::object extra = {}) const {
    extra["to"] = to;
    extra["code"] = code;
    if (!extra.contains("purpose")) extra["purpose"] = "login";
    return api.post("/v1/otp", extra);
  }

  /// GET /v1/messages/{id}'s "state" ("" if the request failed).
  std::string state_of(std::int64_t id) const {
    auto r = api.get("/v1/messages/" + std::to_string(id));
    if (!r.ok || r.status != 200 || !r.at("state").is_string()) return "";
    return std::string(r.at("state").as_string());
  }

  /// Waits (bounded) until every id is in a final state; returns id -> last state seen.
  std::map<std::int64_t, std::string> wait_final(std::vector<std::int64_t> const& ids,
                                                 std::chrono::milliseconds timeout = delivery_deadline) const {
    std::map<std::int64_t, std::string> last;
    wait_until([&] {
      bool all = true;
      for (auto id : ids) {
        auto& st = last[id];
        if (final_states().count(st)) continue;
        st = state_of(id);
        all = all && final_states().count(st) > 0;
      }
      return all;
    }, timeout, std::chrono::milliseconds(100));
    return last;
  }

  /// The DLR log's lines (file at `path`, default the configured one).
  std::vector<std::string> dlr_lines(fs::path const& path = {}) const {
    std::vector<std::string> out;
    std::istringstream in(read_file(path.empty() ? dlr_path : path));
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.push_back(line);
    return out;
  }
  /// Lines of the DLR log about message `id`.
  std::vector<std::string> dlr_lines_for(std::int64_t id, fs::path const& path = {}) const {
    std::vector<std::string> out;
    auto needle = " id=" + std::to_string(id) + " ";
    for (auto& l : dlr_lines(path))
      if (l.find(needle) != std::string::npos) out.push_back(l);
    return out;
  }

  temp_dir dir;
  fs::path socket_path, config_path, dlr_path, db_path;
  api_client api;
  std::vector<std::unique_ptr<smsc_sim>> sims;
  smsgw_process daemon;
};

/// Links of `carrier` bound now, as /healthz reports them; -1 if it cannot say.
inline std::int64_t bound_links(gateway const& gw, std::string const& carrier) {
  auto r = gw.api.get("/healthz");
  if (!r.ok || r.status != 200) return -1;
  auto const& links = r.at("bound_links");
  if (!links.is_object() || !links.as_object().contains(carrier)) return -1;
  return links.as_object().at(carrier).to_number<std::int64_t>();
}

/// The file mode bits of `p` (e.g. 0660), or -1.
inline int file_mode(fs::path const& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

/// The states a message's history went through (GET /v1/messages/{id}), oldest first; empty
/// if the request failed.
inline std::vector<std::string> history_states(gateway const& gw, std::int64_t id) {
  std::vector<std::string> out;
  auto m = gw.api.get("/v1/messages/" + std::to_string(id));
  if (!m.ok || !m.at("history").is_array()) return out;
  for (auto const& h : m.at("history").as_array())
    out.emplace_back(h.as_object().at("to").as_string());
  return out;
}

}  // namespace smsgw::e2e
