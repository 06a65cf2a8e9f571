// tools/smsc-sim/main.cpp: the smsc-sim command: one simulated carrier SMSC on a TCP port.
// Prints "listening on ADDR:PORT" on stdout when ready (port 0 = ephemeral: the real port is
// printed) so scripts can wait for it; logs go to stderr. With --control stdin it reads
// commands (stats, submits, binds ID, unbind, enquire_link, drop_binds MS, quit) and answers
// each with one JSON line on stdout; EOF on stdin stops it. SIGINT/SIGTERM stop it gracefully;
// SIGUSR1 starts a bind outage of --fault-drop-binds-for-ms (a scripted "binds drop now").
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "smpp/text.hpp"
#include "tools/smsc-sim/simulator.hpp"

namespace asio = boost::asio;
namespace json = boost::json;
using namespace smsgw;

namespace {

constexpr char usage[] = R"(usage: smsc-sim [options]
  --port N                    TCP port (default 2775; 0 = ephemeral, the real port is printed)
  --bind-address ADDR         listen address (default 127.0.0.1)
  --system-id ID              account accepted for binds (default smsgw)
  --password PW               its password (default secret)
  --account ID:PW             another account (repeatable)
  --name NAME                 carrier name for logs (default sim)
  --smsc-system-id ID         system_id in bind_*_resp (default SMSCSIM)
  --max-binds N               binds per account; more get ESME_RALYBND (default 0 = unlimited)
  --id-format hex|dec         message_id in submit_sm_resp (default hex)
  --receipt-id-format hex|dec id in receipts (default: same as --id-format)
  --receipt-delay-ms N        delay before the receipt (default 200)
  --first-message-id N        message ids count up from N (default 704643072 = 0x2A000000);
                              a restarted simulator given a new N never reuses an id
  --receipt-form text|tlv|both  (default both)
  --outcomes LIST             e.g. "DELIVRD=90,UNDELIV=5,REJECTD=3,EXPIRED=1,NONE=1" (default DELIVRD=100)
  --rejectd-err CODE          err: of REJECTD, "spam filtered" (default 069)
  --undeliv-err CODE          err: of UNDELIV (default 001)
  --max-submits-per-s R       the carrier's own cap: submit_sm beyond R/s over all binds get
                              ESME_RTHROTTLED (default 0 = no cap)
  --max-submits-burst N       depth of that cap's bucket (default: one second's worth)
  --deliver-resp-timeout-ms N wait for deliver_sm_resp before redelivering (default 5000)
  --redelivery-delay-ms N     after ESME_RX_T_APPN or a timeout (default 500)
  --max-deliveries N          attempts per receipt (default 4)
  --enquire-link-ms N         send enquire_link every N ms (default 0 = never)
  --seed N                    random seed for outcomes and throttling (default 1)
  --fault-refuse-binds STATUS answer binds with STATUS (e.g. RINVPASWD, RBINDFAIL, 0x0D)
  --fault-close-after-submits N   close a connection when its Nth submit_sm arrives
  --fault-close-max-times N       ...at most N times (default 0 = every connection)
  --fault-stall               read everything, answer nothing
  --fault-throttle-rate F     answer this fraction of submit_sm with ESME_RTHROTTLED
  --fault-throttle-every N    answer every Nth submit_sm with ESME_RTHROTTLED
  --fault-receipt-before-resp send each receipt before its submit_sm_resp
  --fault-malformed KIND      bad_length|unknown_command_id|truncated_tlv|giant_length, once per connection
  --fault-malformed-after-submits N   ...after N submit_sm (default 0 = right after the bind)
  --fault-giant-length        same as --fault-malformed giant_length
  --fault-drop-binds-at-ms T  T ms after start, drop every connection and refuse binds
                              (ESME_RBINDFAIL) for --fault-drop-binds-for-ms; SIGUSR1 does the
                              same at any time
  --fault-drop-binds-for-ms D how long such an outage lasts (default 30000)
  --submit-times FILE         append "DESTINATION_ADDR REALTIME_US" (CLOCK_REALTIME, µs) to FILE
                              for every submit_sm received (refused ones too); buffered,
                              written every 50 ms and at exit (bench/e2e_bench.sh)
  --control stdin             read control commands on stdin (see main.cpp)
  --log-level LEVEL           trace|debug|info|warn|error|off (default info)
)";

[[noreturn]] void fail(std::string const& why) {
  std::fprintf(stderr, "smsc-sim: %s\n%s", why.c_str(), usage);
  std::exit(2);
}

std::uint64_t to_number(std::string const& flag, std::string const& v, std::uint64_t max) {
  try {
    std::size_t used = 0;
    auto n = std::stoull(v, &used, 10);
    if (used != v.size() || n > max) throw std::out_of_range(v);
    return n;
  } catch (std::exception const&) {
    fail(flag + ": '" + v + "' is not a number in [0, " + std::to_string(max) + "]");
  }
}

struct options {
  sim::sim_config cfg;
  std::optional<std::chrono::milliseconds> drop_binds_at;
  std::chrono::milliseconds drop_binds_for{30000};
  bool control_stdin = false;
  std::string log_level = "info";
};

options parse_args(int argc, char** argv) {
  options o;
  auto& c = o.cfg;
  auto& f = c.initial_faults;
  std::optional<sim::id_format> receipt_ids;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i], value;
    bool has_inline = false;
    if (auto eq = flag.find('='); flag.starts_with("--") && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_inline = true;
    }
    auto take = [&]() -> std::string {
      if (has_inline) return value;
      if (i + 1 >= args.size()) fail(flag + " needs a value");
      return args[++i];
    };
    auto ms = [&] { return std::chrono::milliseconds(to_number(flag, take(), 86400000)); };
    if (flag == "--help" || flag == "-h") { std::fputs(usage, stdout); std::exit(0); }
    else if (flag == "--port") c.port = static_cast<std::uint16_t>(to_number(flag, take(), 65535));
    else if (flag == "--bind-address") c.bind_address = take();
    else if (flag == "--system-id") c.accounts.at(0).system_id = take();
    else if (flag == "--password") c.accounts.at(0).password = take();
    else if (flag == "--account") {
      auto v = take();
      auto colon = v.find(':');
      if (colon == std::string::npos) fail("--account wants ID:PASSWORD");
      c.accounts.push_back({v.substr(0, colon), v.substr(colon + 1)});
    }
    else if (flag == "--name") c.name = take();
    else if (flag == "--smsc-system-id") c.smsc_system_id = take();
    else if (flag == "--max-binds") c.max_binds_per_account = static_cast<std::uint32_t>(to_number(flag, take(), 100000));
    else if (flag == "--id-format" || flag == "--receipt-id-format") {
      auto v = sim::parse_id_format(take());
      if (!v) fail(flag + " wants hex or dec");
      (flag == "--id-format" ? c.resp_id_format : receipt_ids.emplace()) = *v;
    }
    else if (flag == "--receipt-delay-ms") c.receipt_delay = ms();
    else if (flag == "--first-message-id") c.first_message_id = to_number(flag, take(), 0xFFFFFFFFULL);
    else if (flag == "--receipt-form") {
      auto v = sim::parse_receipt_form(take());
      if (!v) fail("--receipt-form wants text, tlv or both");
      c.receipts = *v;
    }
    else if (flag == "--outcomes") {
      std::string error;
      auto v = sim::parse_outcomes(take(), error);
      if (!v) fail("--outcomes: " + error);
      c.outcomes = *v;
    }
    else if (flag == "--rejectd-err") c.rejectd_err = take();
    else if (flag == "--undeliv-err") c.undeliv_err = take();
    else if (flag == "--max-submits-per-s" || flag == "--max-submits-burst") {
      auto v = take();
      double d = -1;
      try { d = std::stod(v); } catch (std::exception const&) {}
      if (!(d >= 0.0 && d <= 1e6)) fail(flag + ": '" + v + "' is not a number in [0, 1000000]");
      (flag == "--max-submits-per-s" ? c.max_submits_per_s : c.max_submits_burst) = d;
    }
    else if (flag == "--fault-drop-binds-at-ms") o.drop_binds_at = ms();
    else if (flag == "--fault-drop-binds-for-ms") o.drop_binds_for = ms();
    else if (flag == "--deliver-resp-timeout-ms") c.deliver_resp_timeout = ms();
    else if (flag == "--redelivery-delay-ms") c.redelivery_delay = ms();
    else if (flag == "--max-deliveries") c.max_deliveries = static_cast<std::uint32_t>(to_number(flag, take(), 1000));
    else if (flag == "--enquire-link-ms") c.enquire_link_interval = ms();
    else if (flag == "--seed") c.seed = to_number(flag, take(), UINT64_MAX);
    else if (flag == "--fault-refuse-binds") {
      auto v = sim::parse_command_status(take());
      if (!v) fail("--fault-refuse-binds: unknown command_status");
      f.refuse_binds = *v;
    }
    else if (flag == "--fault-close-after-submits") f.close_after_submits = static_cast<std::uint32_t>(to_number(flag, take(), UINT32_MAX));
    else if (flag == "--fault-close-max-times") f.close_max_times = static_cast<std::uint32_t>(to_number(flag, take(), UINT32_MAX));
    else if (flag == "--fault-stall") f.stall = true;
    else if (flag == "--fault-throttle-rate") {
      auto v = take();
      try { f.throttle_rate = std::stod(v); } catch (std::exception const&) { fail("--fault-throttle-rate: bad number"); }
      if (!(f.throttle_rate >= 0.0 && f.throttle_rate <= 1.0)) fail("--fault-throttle-rate wants 0..1");
    }
    else if (flag == "--fault-throttle-every") f.throttle_every = static_cast<std::uint32_t>(to_number(flag, take(), UINT32_MAX));
    else if (flag == "--fault-receipt-before-resp") f.receipt_before_resp = true;
    else if (flag == "--fault-malformed") {
      auto v = sim::parse_malformed_kind(take());
      if (!v) fail("--fault-malformed wants bad_length, unknown_command_id, truncated_tlv or giant_length");
      f.malformed = *v;
    }
    else if (flag == "--fault-malformed-after-submits") f.malformed_after_submits = static_cast<std::uint32_t>(to_number(flag, take(), UINT32_MAX));
    else if (flag == "--fault-giant-length") f.malformed = sim::malformed_kind::giant_length;
    else if (flag == "--control") {
      if (take() != "stdin") fail("--control supports only 'stdin'");
      o.control_stdin = true;
    }
    else if (flag == "--submit-times") {
      c.submit_times_path = take();
      if (c.submit_times_path.empty()) fail("--submit-times wants a file name");
    }
    else if (flag == "--log-level") o.log_level = take();
    else fail("unknown option " + flag);
  }
  c.receipt_id_format = receipt_ids.value_or(c.resp_id_format);
  for (auto const& a : c.accounts)
    if (a.system_id.empty() || a.system_id.size() > 15 || a.password.size() > 8)
      fail("account system_id must be 1-15 characters and password at most 8");
  return o;
}

json::object stats_json(sim::stats const& s) {
  return {
      {"connections_accepted", s.connections_accepted}, {"connections_closed", s.connections_closed},
      {"binds_ok", s.binds_ok}, {"binds_refused", s.binds_refused}, {"binds_active", s.binds_active},
      {"unbinds_received", s.unbinds_received}, {"unbinds_sent", s.unbinds_sent},
      {"submits_received", s.submits_received}, {"submits_ok", s.submits_ok},
      {"submits_throttled", s.submits_throttled}, {"submits_rejected", s.submits_rejected},
      {"receipts_scheduled", s.receipts_scheduled}, {"receipts_parked", s.receipts_parked},
      {"receipts_sent", s.receipts_sent},
      {"receipts_acked", s.receipts_acked}, {"receipts_retry_requested", s.receipts_retry_requested},
      {"receipts_rejected", s.receipts_rejected}, {"receipts_timed_out", s.receipts_timed_out},
      {"receipts_dropped", s.receipts_dropped}, {"enquire_links_received", s.enquire_links_received},
      {"enquire_links_sent", s.enquire_links_sent},
      {"enquire_link_resps_received", s.enquire_link_resps_received},
      {"generic_nacks_received", s.generic_nacks_received}, {"stray_resps", s.stray_resps},
      {"decode_errors", s.decode_errors}, {"malformed_sent", s.malformed_sent},
      {"fault_closes", s.fault_closes}, {"stalled_pdus", s.stalled_pdus},
      {"submits_over_cap", s.submits_over_cap}, {"bind_drops", s.bind_drops}};
}

std::string hex(std::vector<std::uint8_t> const& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (auto b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0x0F]);
  }
  return out;
}

/// One recorded submit_sm; the text is decoded (UDH stripped) so tests can compare it.
/// This goes to the controlling process only, never to a log.
json::object submit_json(sim::received_submit const& r) {
  json::object o{{"connection_id", r.connection_id}, {"system_id", r.system_id},
                 {"source_addr", r.sm.source_addr}, {"destination_addr", r.sm.destination_addr},
                 {"esm_class", r.sm.esm_class}, {"data_coding", r.sm.data_coding},
                 {"registered_delivery", r.sm.registered_delivery},
                 {"short_message_hex", hex(r.sm.short_message)},
                 {"status", static_cast<std::uint32_t>(r.status)}, {"message_id", r.message_id},
                 {"answered", r.answered}};
  smpp::decode_options opts;
  auto decoded = smpp::decode_text(r.sm.short_message, r.sm.data_coding,
                                   (r.sm.esm_class & smpp::esm_class_udhi) != 0, opts);
  if (decoded) {
    o["text"] = decoded->text;
    if (decoded->concat) {
      o["concat"] = json::object{{"reference", decoded->concat->reference},
                                 {"total", decoded->concat->total},
                                 {"seqnum", decoded->concat->seqnum}};
    }
  }
  return o;
}

asio::awaitable<void> serve_control(sim::simulator& sim, asio::posix::stream_descriptor& in) {
  asio::streambuf buf;
  for (;;) {
    auto [ec, n] = co_await asio::async_read_until(in, buf, '\n', asio::as_tuple(asio::use_awaitable));
    if (ec) break;  // EOF: our controller is gone
    std::string line(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + static_cast<std::ptrdiff_t>(n));
    buf.consume(n);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    json::object reply;
    if (line == "stats") {
      reply["stats"] = stats_json(sim.counters());
    } else if (line == "submits") {
      json::array arr;
      for (auto const& r : sim.submits()) arr.push_back(submit_json(r));
      reply["submits"] = std::move(arr);
    } else if (line.starts_with("binds ")) {
      auto id = line.substr(6);
      reply["binds"] = json::object{{"system_id", id}, {"active", sim.active_binds(id)},
                                    {"max", sim.max_concurrent_binds(id)}};
    } else if (line == "unbind") {
      sim.unbind_all();
      reply["ok"] = "unbind";
    } else if (line.starts_with("drop_binds ")) {
      char* end = nullptr;
      auto ms = std::strtoull(line.c_str() + 11, &end, 10);
      if (end == line.c_str() + 11 || *end != '\0' || ms > 86400000) {
        reply["error"] = "drop_binds wants milliseconds (0..86400000)";
      } else {
        sim.drop_binds(std::chrono::milliseconds(ms));
        reply["ok"] = "drop_binds";
      }
    } else if (line == "enquire_link") {
      sim.enquire_link_all();
      reply["ok"] = "enquire_link";
    } else if (line == "quit") {
      reply["ok"] = "quit";
      std::cout << json::serialize(reply) << std::endl;
      break;
    } else {
      reply["error"] = "unknown command '" + line + "'";
    }
    std::cout << json::serialize(reply) << std::endl;
  }
  sim.stop();
}

}  // namespace

int main(int argc, char** argv) {
  auto opt = parse_args(argc, argv);
  spdlog::set_default_logger(spdlog::stderr_color_mt("smsc-sim"));
  spdlog::set_level(spdlog::level::from_str(opt.log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");

  asio::io_context io(1);
  std::unique_ptr<sim::simulator> sim;
  try {
    sim = std::make_unique<sim::simulator>(io.get_executor(), opt.cfg);
  } catch (std::exception const& e) {
    std::fprintf(stderr, "smsc-sim: %s\n", e.what());
    return 1;
  }
  sim->start();
  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::posix::stream_descriptor control_in(io);
  asio::steady_timer drop_timer(io);
  asio::signal_set usr1(io, SIGUSR1);
  signals.async_wait([&](boost::system::error_code ec, int signo) {
    if (ec) return;
    spdlog::info("[{}] signal {}: stopping", opt.cfg.name, signo);
    sim->stop();
    boost::system::error_code ignored;
    control_in.close(ignored);
    drop_timer.cancel();
    usr1.cancel();
  });
  // Scripted bind outages: at a time after start, and on SIGUSR1.
  if (opt.drop_binds_at) {
    drop_timer.expires_after(*opt.drop_binds_at);
    drop_timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) sim->drop_binds(opt.drop_binds_for);
    });
  }
  std::function<void(boost::system::error_code, int)> on_usr1 = [&](boost::system::error_code ec, int) {
    if (ec) return;
    spdlog::warn("[{}] SIGUSR1: bind outage of {} ms", opt.cfg.name, opt.drop_binds_for.count());
    sim->drop_binds(opt.drop_binds_for);
    usr1.async_wait(on_usr1);
  };
  usr1.async_wait(on_usr1);
  if (opt.control_stdin) {
    control_in.assign(::dup(STDIN_FILENO));
    asio::co_spawn(io, serve_control(*sim, control_in), [&](std::exception_ptr e) {
      if (e) spdlog::error("[{}] control channel failed", opt.cfg.name);
      signals.cancel();
      drop_timer.cancel();
      usr1.cancel();
    });
  }
  std::cout << "listening on " << opt.cfg.bind_address << ":" << sim->port() << std::endl;
  spdlog::info("[{}] listening on {}:{} (receipts after {} ms, ids {})", opt.cfg.name,
               opt.cfg.bind_address, sim->port(), opt.cfg.receipt_delay.count(),
               opt.cfg.resp_id_format == sim::id_format::hex ? "hex" : "dec");
  io.run();
  return 0;
}
