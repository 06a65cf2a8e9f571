// tests/e2e/reload_test.cpp: live reload end to end (smsgw and smsc-sim processes, the API
// socket, signals). POST /v1/reload and SIGHUP apply a changed file without a restart:
// throughput (seen in /healthz), routing (a prefix no carrier served is accepted and sent
// through the named simulator), limits (a second OTP refused 429), alternates (a failed OTP
// retried through the new alternate's simulator); carriers whose connection settings did not
// change keep their binds (counted in each simulator's log), a changed one binds again; a
// carrier removed is retired and unbound, one added binds. An invalid file is refused with
// the --check-config message (422, or logged after SIGHUP) and the running configuration
// keeps working. Under load with reloads (rebinds, a carrier added, a bad file refused) in
// between, every accepted OTP ends delivered and each reached the simulators exactly once.
#include <catch2/catch.hpp>

#include <csignal>
#include <regex>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

/// One [[carrier]] of a config written by the test.
struct carrier_edit {
  std::string name;
  int throughput = 200;
  std::vector<std::string> alternates = {};
  std::string extra_toml = {};  ///< more keys of its table
};

/// The daemon's config as make_config() writes it, for the carriers listed (each on its
/// simulator in `gw`), with `limits` as the [limits] table body and `extra` appended.
std::string config_for(gateway& gw, std::vector<carrier_edit> const& carriers,
                       std::string const& limits = "enabled = false\n", std::string const& extra = {}) {
  std::string t = "stop_timeout_ms = 10000\n";
  for (auto const& c : carriers) {
    auto& sim = gw.sim(c.name);
    t += fmt::format(
        "\n[[carrier]]\nname = \"{}\"\nhost = \"127.0.0.1\"\nport = {}\nsystem_id = \"smsgw\"\n"
        "password = \"{}\"\nthroughput = {}\nreconnect_initial_ms = 100\nreconnect_max_ms = 500\n"
        "message_id_format = \"{}\"\nalternates = {}\n",
        c.name, sim.port(), smpp_password, c.throughput, sim.spec().id_format, toml_strings(c.alternates));
    t += c.extra_toml;
  }
  t += fmt::format(
      "\n[queue]\ndb_path = \"{0}/queue.db\"\nhousekeeping_ms = 200\n"
      "\n[limits]\n{1}"
      "\n[api]\nsocket_path = \"{0}/api.sock\"\n"
      "\n[logging]\ndlr_log = \"{0}/dlr.log\"\n",
      gw.dir.path().string(), limits);
  return t + extra;
}

/// Binds the simulator accepted so far (its log has one "...: ok (N binds of M)" line each).
int binds_accepted(smsc_sim& sim) {
  static std::regex const ok(R"(bind_(transceiver|transmitter|receiver) system_id=smsgw password=\S+: ok)");
  auto const text = read_file(sim.log_path());
  return static_cast<int>(std::distance(std::sregex_iterator(text.begin(), text.end(), ok),
                                        std::sregex_iterator()));
}

api_reply reload(gateway& gw) { return gw.api.post("/v1/reload", {}); }

std::vector<std::string> changes_of(api_reply const& r) {
  std::vector<std::string> out;
  for (auto const& c : r.at("changes").as_array()) out.emplace_back(c.as_string());
  return out;
}

bool has_change(std::vector<std::string> const& changes, std::string const& needle) {
  for (auto const& c : changes)
    if (c.find(needle) != std::string::npos) return true;
  return false;
}

/// /healthz's peak.CARRIER.cap (-1 if it cannot say).
double health_cap(gateway& gw, std::string const& carrier) {
  auto r = gw.api.get("/healthz");
  if (!r.ok || r.status != 200) return -1;
  auto const& peak = r.at("peak").as_object();
  if (!peak.contains(carrier)) return -1;
  return peak.at(carrier).at("cap").to_number<double>();
}

bool bound(gateway& gw, std::string const& carrier) { return bound_links(gw, carrier) >= 1; }

}  // namespace

TEST_CASE("a reload applies throughput, routing, limits and alternates and keeps unchanged links bound",
          "[e2e][reload]") {
  std::vector<carrier_spec> specs{
      {"telkomsel", {"--outcomes", "REJECTD=100"}, "same", {}},  // every OTP fails there
      {"indosat", {}, "same", {}},
  };
  gateway gw(specs);
  REQUIRE(wait_until([&] { return bound(gw, "telkomsel") && bound(gw, "indosat"); }, startup_deadline));
  REQUIRE(binds_accepted(gw.sim("telkomsel")) == 1);
  REQUIRE(binds_accepted(gw.sim("indosat")) == 1);

  // Before: XL's 0817 has no carrier; no limits; telkomsel has no alternate (an OTP it fails
  // is tried on it again, and ends undeliverable); throughput 200.
  auto xl = gw.send_otp("0817-5555-0001", "80001");
  CHECK(xl.status == 400);
  auto first = gw.send_otp("0857-5555-0002", "80002");  // indosat
  auto second = gw.send_otp("0857-5555-0002", "80003");
  CHECK(first.status == 202);
  CHECK(second.status == 202);
  auto failed = gw.send_otp("0812-5555-0003", "80004");
  REQUIRE(failed.status == 202);
  auto before = gw.wait_final({failed.at("id").as_int64()});
  CHECK(before[failed.at("id").as_int64()] == "undeliverable");
  CHECK(gw.sim("indosat").accepted_per_number()["6281255550003"] == 0);
  CHECK(health_cap(gw, "telkomsel") == 200);

  write_file(gw.config_path,
             config_for(gw, {{"telkomsel", 50, {"indosat"}}, {"indosat", 200, {}}}, "enabled = true\n",
                        "\n[routing.prefixes]\n\"0817\" = \"indosat\"\n"));
  auto r = reload(gw);
  INFO(r.raw);
  REQUIRE(r.status == 200);
  CHECK(r.at("status") == "reloaded");
  auto changes = changes_of(r);
  CHECK(has_change(changes, "carrier telkomsel: throughput 200 -> 50"));
  CHECK(has_change(changes, "carrier telkomsel: alternates [] -> [indosat]"));
  CHECK(has_change(changes, "[routing] prefix 62817: xl -> indosat"));
  CHECK(has_change(changes, "[limits] enabled false -> true"));
  CHECK(r.at("needs_restart").as_array().empty());

  // Throughput: the bucket's cap at once.
  CHECK(health_cap(gw, "telkomsel") == 50);
  // Routing: 0817 now goes through indosat's simulator.
  auto routed = gw.send_otp("0817-5555-0001", "80005");
  REQUIRE(routed.status == 202);
  CHECK(routed.at("carrier") == "indosat");
  // Limits: one OTP per number and purpose per 30 s from now on.
  auto a = gw.send_otp("0857-5555-0004", "80006");
  auto b = gw.send_otp("0857-5555-0004", "80007");
  CHECK(a.status == 202);
  CHECK(b.status == 429);
  // Alternates: an OTP telkomsel fails is retried through indosat (the queue's retry policy).
  auto retried = gw.send_otp("0812-5555-0008", "80008");
  REQUIRE(retried.status == 202);
  auto after = gw.wait_final({routed.at("id").as_int64(), retried.at("id").as_int64()});
  CHECK(after[routed.at("id").as_int64()] == "delivered");
  CHECK(after[retried.at("id").as_int64()] == "delivered");
  CHECK(gw.sim("indosat").accepted_per_number()["6281755550001"] == 1);
  CHECK(gw.sim("indosat").accepted_per_number()["6281255550008"] == 1);
  CHECK(gw.sim("telkomsel").accepted_per_number()["6281255550008"] == 1);

  // Nothing the links were made with changed: no carrier bound again.
  CHECK(binds_accepted(gw.sim("telkomsel")) == 1);
  CHECK(binds_accepted(gw.sim("indosat")) == 1);

  // A connection setting (the window) of indosat only: its links bind again, telkomsel's stay.
  write_file(gw.config_path,
             config_for(gw, {{"telkomsel", 50, {"indosat"}}, {"indosat", 200, {}, "window = 5\n"}},
                        "enabled = true\n", "\n[routing.prefixes]\n\"0817\" = \"indosat\"\n"));
  r = reload(gw);
  REQUIRE(r.status == 200);
  CHECK(has_change(changes_of(r), "carrier indosat: window 10 -> 5: links bind again"));
  REQUIRE(wait_until([&] { return binds_accepted(gw.sim("indosat")) == 2 && bound(gw, "indosat"); },
                     startup_deadline));
  CHECK(binds_accepted(gw.sim("telkomsel")) == 1);
  auto rebound = gw.send_otp("0857-5555-0009", "80009");
  REQUIRE(rebound.status == 202);
  CHECK(gw.wait_final({rebound.at("id").as_int64()})[rebound.at("id").as_int64()] == "delivered");

  // The same file again: nothing changes, nothing binds.
  r = reload(gw);
  REQUIRE(r.status == 200);
  CHECK(r.at("changes").as_array().empty());
  CHECK(binds_accepted(gw.sim("indosat")) == 2);
  CHECK(binds_accepted(gw.sim("telkomsel")) == 1);
  CHECK(gw.daemon.proc().running());
}

TEST_CASE("an invalid configuration is refused with FILE:LINE: KEY and the running one stays",
          "[e2e][reload]") {
  std::vector<carrier_spec> specs{{"telkomsel", {}, "same", {}}, {"indosat", {}, "same", {}}};
  gateway gw(specs);
  REQUIRE(wait_until([&] { return bound(gw, "telkomsel") && bound(gw, "indosat"); }, startup_deadline));

  // throughput = 0 for telkomsel: what --check-config says about it, word for word.
  auto bad = config_for(gw, {{"telkomsel", 0, {}}, {"indosat", 200, {}}});
  write_file(gw.config_path, bad);
  auto check_out = gw.dir / "check.err";
  child_process check({SMSGW_DAEMON_EXE, "--check-config", "--config", gw.config_path.string()},
                      gw.dir / "check.out", check_out);
  REQUIRE(check.wait_exit(std::chrono::seconds(30)));
  auto check_text = read_file(check_out);
  std::smatch m;
  REQUIRE(std::regex_search(check_text, m, std::regex(R"(smsgw: (.*smsgw\.toml:\d+: carrier\[0\]\.throughput: .*))")));
  auto const expected = m[1].str();

  auto r = reload(gw);
  INFO(r.raw);
  CHECK(r.status == 422);
  CHECK(r.at("error") == "invalid_config");
  CHECK(r.at("message") == expected.c_str());

  // SIGHUP: refused the same way, in the log; the DLR log is still reopened.
  gw.daemon.proc().signal(SIGHUP);
  REQUIRE(wait_until([&] {
    return gw.daemon.logs().find("reload (SIGHUP) refused: " + expected) != std::string::npos;
  }, startup_deadline));
  CHECK(gw.daemon.logs().find("dlr log reopened") != std::string::npos);

  // The running configuration is untouched: the same cap, OTPs delivered, no bind again.
  CHECK(health_cap(gw, "telkomsel") == 200);
  auto ok = gw.send_otp("0812-6666-0001", "90001");
  REQUIRE(ok.status == 202);
  CHECK(gw.wait_final({ok.at("id").as_int64()})[ok.at("id").as_int64()] == "delivered");
  CHECK(binds_accepted(gw.sim("telkomsel")) == 1);

  // A valid file by SIGHUP is applied (and logged).
  write_file(gw.config_path, config_for(gw, {{"telkomsel", 70, {}}, {"indosat", 200, {}}}));
  gw.daemon.proc().signal(SIGHUP);
  REQUIRE(wait_until([&] { return health_cap(gw, "telkomsel") == 70; }, startup_deadline));
  CHECK(gw.daemon.logs().find("reload: carrier telkomsel: throughput 200 -> 70") != std::string::npos);
  CHECK(binds_accepted(gw.sim("telkomsel")) == 1);
}

TEST_CASE("a reload retires a removed carrier and binds an added one", "[e2e][reload]") {
  // indosat's receipts come 3 s after the submit: one is still awaited when it is removed.
  std::vector<carrier_spec> specs{{"telkomsel", {}, "same", {}},
                                  {"indosat", {"--receipt-delay-ms", "3000"}, "same", {}}};
  gateway gw(specs);
  REQUIRE(wait_until([&] { return bound(gw, "telkomsel") && bound(gw, "indosat"); }, startup_deadline));
  auto pending = gw.send_otp("0857-7777-0003", "70003");
  REQUIRE(pending.status == 202);
  auto const pending_id = pending.at("id").as_int64();
  REQUIRE(wait_until([&] { return gw.state_of(pending_id) == "submitted"; }, delivery_deadline));

  write_file(gw.config_path, config_for(gw, {{"telkomsel", 200, {}}}));
  auto r = reload(gw);
  INFO(r.raw);
  REQUIRE(r.status == 200);
  CHECK(has_change(changes_of(r), "carrier indosat: removed"));
  // No new message goes to it.
  auto refused = gw.send_otp("0857-7777-0001", "70001");
  CHECK(refused.status == 400);
  // Its links stay bound for the receipt still awaited: the message ends delivered (the
  // simulator keeps a receipt until its account binds again, which only the re-add below
  // would do).
  CHECK(gw.wait_final({pending_id})[pending_id] == "delivered");
  // Then, nothing needing it any more, it is unbound and gone from /healthz.
  REQUIRE(wait_until([&] { return bound_links(gw, "indosat") == -1; }, startup_deadline));
  CHECK(gw.daemon.logs().find("carrier indosat: retired") != std::string::npos);
  // ... and gone from /metrics' carrier state (its counters stay).
  auto metrics_text = [&] {
    auto m = gw.api.get("/metrics");
    REQUIRE(m.status == 200);
    return m.raw;
  };
  auto const retired = metrics_text();
  CHECK(retired.find(R"(smsgw_carrier_bound_links{carrier="indosat"})") == std::string::npos);
  CHECK(retired.find(R"(smsgw_carrier_bound_links{carrier="telkomsel"})") != std::string::npos);
  CHECK(read_file(gw.sim("indosat").log_path()).find("unbind from smsgw") != std::string::npos);

  // Back in the file: a new carrier, started and bound.
  write_file(gw.config_path, config_for(gw, {{"telkomsel", 200, {}}, {"indosat", 200, {}}}));
  r = reload(gw);
  REQUIRE(r.status == 200);
  CHECK(has_change(changes_of(r), "carrier indosat: added"));
  REQUIRE(wait_until([&] { return bound(gw, "indosat"); }, startup_deadline));
  CHECK(binds_accepted(gw.sim("indosat")) == 2);
  CHECK(binds_accepted(gw.sim("telkomsel")) == 1);
  CHECK(metrics_text().find(R"(smsgw_carrier_bound_links{carrier="indosat"})") != std::string::npos);
  auto sent = gw.send_otp("0857-7777-0002", "70002");
  REQUIRE(sent.status == 202);
  CHECK(gw.wait_final({sent.at("id").as_int64()})[sent.at("id").as_int64()] == "delivered");
}

TEST_CASE("reloads under load lose no message and send none twice", "[e2e][reload]") {
  // xl has a simulator but is not configured at start: a reload in the middle adds it.
  std::vector<carrier_spec> specs{{"telkomsel", {}, "same", {"indosat"}},
                                  {"indosat", {}, "same", {"telkomsel"}}, {"xl", {}, "same", {}}};
  gateway gw(specs, {}, false);
  write_file(gw.config_path, config_for(gw, {{"telkomsel", 200, {"indosat"}}, {"indosat", 200, {"telkomsel"}}}));
  gw.daemon.start();
  REQUIRE(wait_until([&] { return bound(gw, "telkomsel") && bound(gw, "indosat"); }, startup_deadline));

  constexpr int otps = 240, reload_every = 30, add_xl_at = 3, refused_at = 5;
  std::vector<std::int64_t> ids;
  std::map<std::string, int> sent_to;  // normalised number -> OTPs accepted for it
  int reloads = 0, applied = 0, indosat_rebinds = 0;
  bool indosat_window = false;  // its window setting in force
  for (int i = 0; i < otps; ++i) {
    if (i % reload_every == reload_every - 1) {
      ++reloads;
      if (reloads == refused_at) {
        // A bad file in the middle: refused with its line, the running configuration goes on.
        write_file(gw.config_path, config_for(gw, {{"telkomsel", 0, {"indosat"}}, {"indosat", 200, {"telkomsel"}}}));
        auto r = reload(gw);
        INFO(r.raw);
        REQUIRE(r.status == 422);
        CHECK(r.at("message").as_string().find("throughput") != std::string::npos);
      } else {
        // Alternate telkomsel's throughput and, every other time, indosat's window (its
        // links bind again while OTPs are in flight on them); xl added from add_xl_at on.
        bool const odd = reloads % 2 == 1;
        std::vector<carrier_edit> carriers{{"telkomsel", odd ? 150 : 200, {"indosat"}},
                                           {"indosat", 200, {"telkomsel"}, odd ? "window = 4\n" : ""}};
        if (reloads >= add_xl_at) carriers.push_back({"xl", 200, {}});
        write_file(gw.config_path, config_for(gw, carriers));
        auto r = reload(gw);
        INFO(r.raw);
        REQUIRE(r.status == 200);
        ++applied;
        if (odd != indosat_window) ++indosat_rebinds;
        indosat_window = odd;
      }
    }
  auto const local = fmt::format("{:04}", i);
    auto const to = (i % 2 ? "0857-8888-" : "0812-8888-") + local;
    auto r = gw.send_otp(to, fmt::format("{:06}", 100000 + i), {{"purpose", "load-" + local}});
    INFO(r.error << r.raw);
    REQUIRE(r.status == 202);
    ids.push_back(r.at("id").as_int64());
    ++sent_to[(i % 2 ? "62857" : "62812") + std::string("8888") + local];
  }
  CHECK(reloads == otps / reload_every);
  CHECK(applied == reloads - 1);
  auto final = gw.wait_final(ids, std::chrono::milliseconds(120000));
  for (auto id : ids) {
    INFO("id " << id);
    CHECK(final[id] == "delivered");
  }
  // Exactly once on the wire, over both simulators.
  std::map<std::string, int> on_wire;
  for (auto const& s : gw.sims)
    for (auto const& [number, n] : s->accepted_per_number()) on_wire[number] += n;
  CHECK(on_wire == sent_to);
  // One DLR line each.
  wait_until([&] { return gw.dlr_lines().size() >= ids.size(); }, delivery_deadline);
  for (auto id : ids) CHECK(gw.dlr_lines_for(id).size() == 1);
  // telkomsel's links never changed; indosat's bound again at each window change (not for the
  // refused file); xl, added under load, bound once and stays.
  CHECK(binds_accepted(gw.sim("telkomsel")) == 1);
  CHECK(binds_accepted(gw.sim("indosat")) == 1 + indosat_rebinds);
  CHECK(binds_accepted(gw.sim("xl")) == 1);
  CHECK(bound(gw, "xl"));
}
