// Tests for daemon/config/config.*: the embedded default and conf/smsgw.toml parse and validate, every
// documented key lands in its field, and every kind of mistake is refused as
// "FILE:LINE: KEY: what" without ever quoting a password.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "daemon/config/config.hpp"
#include "tests/support/temp_dir.hpp"

using namespace smsgw;
using smsgw::test::temp_dir;
using namespace std::chrono_literals;

namespace {

// A password no error text may ever contain.
constexpr char secret[] = "Zq7pw0rd";

std::string carrier_block(std::string const& name, std::string const& extra = "") {
  return "[[carrier]]\nname = \"" + name + "\"\nhost = \"127.0.0.1\"\nsystem_id = \"smsgw\"\n"
         "password = \"" + std::string(secret) + "\"\nthroughput = 10\n" + extra;
}

/// Parses `text` as "test.toml" and expects an error; returns its message.
std::string error_of(std::string const& text) {
  auto r = parse_config(text, "test.toml");
  REQUIRE_FALSE(r.has_value());
  auto msg = r.error().message();
  INFO(msg);
  CHECK(msg.find(secret) == std::string::npos);
  CHECK(msg.rfind("test.toml:", 0) == 0);
  return msg;
}

}  // namespace

TEST_CASE("the embedded default parses and validates: five simulators, alternates known") {
  auto r = parse_config(embedded_default_config(), "<embedded>");
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r.has_value());
  REQUIRE(r->carriers.size() == 5);
  CHECK(r->carriers[0].link.name == "telkomsel");
  CHECK(r->carriers[0].link.port == 2775);
  CHECK(r->carriers[4].link.port == 2779);
  for (auto const& c : r->carriers)
    for (auto const& alt : c.alternates) CHECK(r->find_carrier(alt) != nullptr);
  CHECK(r->api.socket_path == "/tmp/smsgw/api.sock");
  CHECK(r->api.socket_mode == 0660);
  CHECK(r->queue.db_path == "/tmp/smsgw/queue.db");
}

// Every directive documented in daemon/config/config.hpp, each set to a value other than its default.
constexpr char every_key[] = R"toml(
stop_timeout_ms = 20000
[[carrier]]
name = "telkomsel"
host = "127.0.0.1"
port = 2775
system_id = "smsgw"
password = "secret"
system_type = "OTP"
address_range = "628*"
bind_mode = "transceiver"
binds = 2
window = 20
throughput = 50
burst = 5
connect_timeout_ms = 5000
tls_handshake_timeout_ms = 5000
bind_timeout_ms = 20000
response_timeout_ms = 30000
enquire_link_interval_ms = 15000
enquire_link_timeout_ms = 10000
unbind_timeout_ms = 3000
drain_timeout_ms = 8000
reconnect_initial_ms = 500
reconnect_max_ms = 30000
message_id_format = "same"
alternates = ["indosat"]
sender = "MYAPP"
  [carrier.tls]
  enabled = true
  ca_file = "system"
  cert_file = "/etc/smsgw/client.pem"
  key_file = "/etc/smsgw/client.key"
  server_name = "smsc.example"
  verify = true
  [[carrier.peak]]
  name = "payout morning"
  days = ["mon", "tue", "wed", "thu", "fri"]
  start = "09:00"
  end = "11:00"
  throughput = 80
  transactional_share = 0.5
  bulk_share = 0.1
[[carrier]]
name = "indosat"
host = "127.0.0.1"
port = 2776
system_id = "smsgw"
password = "secret"
throughput = 30
peak = []
[routing.prefixes]
"0895" = "indosat"
[routing.numbers]
"0812-1111-0001" = "indosat"
[queue]
db_path = "/var/lib/smsgw/queue.db"
synchronous = "full"
retention_hours = 48
housekeeping_ms = 2000
[limits]
enabled = true
prefix_hidden_digits = 4
per_number = [
  { max = 3, window_seconds = 300, cooldown_seconds = 600, name = "3 per 5 min" },
  { max = 10, window_seconds = 86400, cooldown_seconds = 0 },
]
per_prefix = [ { max = 100, window_seconds = 600, cooldown_seconds = 300 } ]
[api]
socket_path = "/run/smsgw/api.sock"
socket_mode = "0660"
body_limit = 8192
read_timeout_ms = 5000
max_connections = 32
default_ttl_seconds = 180
max_ttl_seconds = 900
[retry]
max_otp_attempts = 4
max_transactional_attempts = 1
same_route_delay_ms = 500

[logging]
level = "info"
dlr_log = "/var/log/smsgw/dlr.log"
)toml";

TEST_CASE("conf/smsgw.toml, the shipped example, is valid") {
  auto path = std::string(SMSGW_SOURCE_DIR) + "/conf/smsgw.toml";
  if (!std::filesystem::exists(path)) {
    WARN("no " << path);
    return;
  }
  auto r = load_config_file(path);
  INFO((r ? std::string() : r.error().message()));
  CHECK(r.has_value());
}

TEST_CASE("every documented directive lands in its field") {
  auto r = parse_config(every_key, "every.toml");
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r.has_value());
  CHECK(r->stop_timeout == 20000ms);
  REQUIRE(r->carriers.size() == 2);
  auto const& rc = r->carriers[0];
  auto const& c = rc.link;
  CHECK(c.name == "telkomsel");
  CHECK(c.host == "127.0.0.1");
  CHECK(c.port == 2775);
  CHECK(c.system_id == "smsgw");
  CHECK(c.password == "secret");
  CHECK(c.mode == bind_layout::transceiver);
  CHECK(c.binds == 2);
  CHECK(c.window == 20);
  CHECK(c.throttle.rate == 50.0);
  CHECK(c.throttle.burst == 5.0);
  CHECK(c.timeouts.connect == 5000ms);
  CHECK(c.timeouts.tls_handshake == 5000ms);
  CHECK(c.timeouts.bind_response == 20000ms);
  CHECK(c.timeouts.response == 30000ms);
  CHECK(c.timeouts.enquire_link_interval == 15000ms);
  CHECK(c.timeouts.enquire_link_response == 10000ms);
  CHECK(c.timeouts.unbind_response == 3000ms);
  CHECK(c.timeouts.drain == 8000ms);
  CHECK(c.reconnect.initial == 500ms);
  CHECK(c.reconnect.max == 30000ms);
  CHECK(rc.id_format == smpp::message_id_format::same);
  CHECK(rc.alternates == std::vector<std::string>{"indosat"});
  CHECK(rc.sender == "MYAPP");
  CHECK(c.system_type == "OTP");
  CHECK(c.address_range == "628*");
  CHECK(c.tls.enabled);
  CHECK(c.tls.ca_file.empty());  // "system": the default store
  CHECK(c.tls.cert_file == "/etc/smsgw/client.pem");
  CHECK(c.tls.key_file == "/etc/smsgw/client.key");
  CHECK(c.tls.server_name == "smsc.example");
  CHECK(c.tls.verify);
  CHECK_FALSE(r->carriers[1].link.tls.enabled);
  CHECK(r->carriers[1].sender == "SMSGW");  // default
  CHECK(r->carriers[1].link.throttle.rate == 30.0);
  REQUIRE(rc.peak.windows.size() == 1);
  auto const& w = rc.peak.windows[0];
  CHECK(w.name == "payout morning");
  CHECK(w.days == 0x1f);
  CHECK(w.start == 9h);
  CHECK(w.end == 11h);
  CHECK(w.throughput == 80.0);
  CHECK(w.transactional_share == 0.5);
  CHECK(w.bulk_share == 0.1);
  CHECK(r->carriers[1].peak.windows.empty());  // peak = []: no windows
  CHECK(parse_msisdn("089512345678", r->routing).value().carrier == "indosat");
  CHECK(parse_msisdn("089612345678", r->routing).value().carrier == "tri");
  CHECK(parse_msisdn("081211110001", r->routing).value().carrier == "indosat");
  CHECK(parse_msisdn("081211110002", r->routing).value().carrier == "telkomsel");

  CHECK(r->queue.db_path == "/var/lib/smsgw/queue.db");
  CHECK(r->queue.synchronous_full);
  CHECK(r->queue.retention == 48h);
  CHECK(r->queue.housekeeping_interval == 2000ms);

  CHECK(r->limits.enabled);
  CHECK(r->limits.limits.prefix_hidden_digits == 4);
  REQUIRE(r->limits.limits.per_number.size() == 2);
  CHECK(r->limits.limits.per_number[0].max_count == 3);
  CHECK(r->limits.limits.per_number[0].window == 300s);
  CHECK(r->limits.limits.per_number[0].cooldown == 600s);
  CHECK(r->limits.limits.per_number[0].name == "3 per 5 min");
  REQUIRE(r->limits.limits.per_prefix.size() == 1);
  CHECK(r->limits.limits.per_prefix[0].max_count == 100);

  CHECK(r->api.socket_path == "/run/smsgw/api.sock");
  CHECK(r->api.socket_mode == 0660);
  CHECK(r->api.body_limit == 8192);
  CHECK(r->api.read_timeout == 5000ms);
  CHECK(r->api.max_connections == 32);
  CHECK(r->api.default_ttl == 180s);
  CHECK(r->api.max_ttl == 900s);
  CHECK(r->logging.level == "info");
  CHECK(r->logging.dlr_log == "/var/log/smsgw/dlr.log");
  CHECK(r->retry.max_otp_attempts == 4);
  CHECK(r->retry.max_transactional_attempts == 1);
  CHECK(r->retry.same_route_delay == 500ms);
}

TEST_CASE("the other enumerations and TLS keys are read") {
  temp_dir dir;
  auto ca = dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  auto cert = dir.write("c.pem", "x");
  auto key = dir.write("c.key", "x");
  auto r = parse_config(
      carrier_block("telkomsel", "bind_mode = \"transmitter_receiver\"\nmessage_id_format = \"resp_hex_dlr_dec\"\n"
                         "[carrier.tls]\nenabled = true\nca_file = \"" + ca + "\"\ncert_file = \"" + cert +
                         "\"\nkey_file = \"" + key + "\"\nserver_name = \"smsc.example\"\nverify = true\n") +
          "[queue]\nsynchronous = \"normal\"\n[logging]\nlevel = \"debug\"\ndlr_log = \"\"\n"
          "[limits]\nenabled = false\n",
      "t.toml");
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r.has_value());
  auto const& c = r->carriers[0].link;
  CHECK(c.mode == bind_layout::transmitter_receiver);
  CHECK(c.max_connections() == 2);
  CHECK(r->carriers[0].id_format == smpp::message_id_format::resp_hex_dlr_dec);
  CHECK(c.tls.enabled);
  CHECK(c.tls.ca_file == ca);
  CHECK(c.tls.cert_file == cert);
  CHECK(c.tls.key_file == key);
  CHECK(c.tls.server_name == "smsc.example");
  CHECK_FALSE(r->queue.synchronous_full);
  CHECK(r->logging.level == "debug");
  CHECK(r->logging.dlr_log.empty());
  CHECK_FALSE(r->limits.enabled);

  // "system" = the system's default CA store (empty ca_file in carrier_config).
  auto sys = parse_config(carrier_block("telkomsel", "[carrier.tls]\nenabled = true\nca_file = \"system\"\n"), "t");
  REQUIRE(sys.has_value());
  CHECK(sys->carriers[0].link.tls.ca_file.empty());
}

TEST_CASE("a typo is an unknown key, named with its file and line") {
  CHECK(error_of(carrier_block("a", "windwo = 5\n")) == "test.toml:7: carrier[0].windwo: unknown key (see conf/smsgw.toml for the directives)");
  CHECK(error_of(carrier_block("a") + "[api]\nsocket_pth = \"/x\"\n").find("test.toml:8: api.socket_pth: unknown key") == 0);
  CHECK(error_of("stop_timeout = 5\n" + carrier_block("a")).find("test.toml:1: stop_timeout: unknown key") == 0);
  CHECK(error_of(carrier_block("a") + "[apii]\n").find("apii: unknown key") != std::string::npos);
  // A password typed under the wrong section: the key is named, the value never.
  CHECK(error_of(carrier_block("a") + "[queue]\npassword = \"" + secret + "\"\n").find("queue.password: unknown key") != std::string::npos);
}

TEST_CASE("a wrong type names the key and the expected type") {
  CHECK(error_of(carrier_block("a", "window = \"10\"\n")) == "test.toml:7: carrier[0].window: expected an integer");
  CHECK(error_of(carrier_block("a", "binds = 1.5\n")).find("carrier[0].binds: expected an integer") != std::string::npos);
  CHECK(error_of(carrier_block("a", "throughput = \"fast\"\n").substr(0, 0) + "[[carrier]]\nname = \"a\"\nhost = \"h\"\nsystem_id = \"s\"\nthroughput = \"fast\"\n").find("carrier[0].throughput: expected a number") != std::string::npos);
  CHECK(error_of(carrier_block("a", "host = 5\n").substr(0, 0) + "[[carrier]]\nname = \"a\"\nhost = 5\nsystem_id = \"s\"\nthroughput = 1\n") == "test.toml:3: carrier[0].host: expected a string");
  CHECK(error_of(carrier_block("a", "alternates = \"b\"\n")).find("carrier[0].alternates: expected an array of strings") != std::string::npos);
  CHECK(error_of(carrier_block("a", "alternates = [1]\n")).find("carrier[0].alternates: expected an array of strings") != std::string::npos);
  CHECK(error_of(carrier_block("a") + "[limits]\nenabled = \"yes\"\n").find("limits.enabled: expected true or false") != std::string::npos);
  CHECK(error_of("api = 5\n" + carrier_block("a")).find("test.toml:1: api: expected a table") == 0);
  CHECK(error_of("carrier = 5\n").find("test.toml:1: carrier: expected [[carrier]] tables") == 0);
  CHECK(error_of(carrier_block("a", "tls = true\n")).find("carrier[0].tls: expected a table") != std::string::npos);
  // The password's own type error does not echo it (it is not a string here, but still).
  CHECK(error_of("[[carrier]]\nname = \"a\"\nhost = \"h\"\nsystem_id = \"s\"\nthroughput = 1\npassword = 12345678\n") == "test.toml:6: carrier[0].password: expected a string");
}

TEST_CASE("out-of-range values are refused with the allowed range") {
  CHECK(error_of(carrier_block("a", "window = 0\n")) == "test.toml:7: carrier[0].window: 0 is out of range (1..1000)");
  CHECK(error_of(carrier_block("a", "window = -3\n")).find("carrier[0].window: -3 is out of range") != std::string::npos);
  CHECK(error_of(carrier_block("a", "binds = 0\n")).find("carrier[0].binds: 0 is out of range (1..64)") != std::string::npos);
  CHECK(error_of(carrier_block("a", "port = 70000\n")).find("carrier[0].port: 70000 is out of range (1..65535)") != std::string::npos);
  CHECK(error_of(carrier_block("a", "port = 0\n")).find("carrier[0].port: 0 is out of range") != std::string::npos);
  CHECK(error_of(carrier_block("a", "burst = 0\n")).find("carrier[0].burst: 0 is out of range") != std::string::npos);
  CHECK(error_of(carrier_block("a", "response_timeout_ms = 0\n")).find("carrier[0].response_timeout_ms: 0 is out of range") != std::string::npos);
  CHECK(error_of(carrier_block("a", "reconnect_initial_ms = 5000\nreconnect_max_ms = 1000\n")).find("carrier[0].reconnect_max_ms: less than reconnect_initial_ms") != std::string::npos);
  CHECK(error_of(carrier_block("a", "sender = \"\"\n")).find("carrier[0].sender: must be 1..20 characters") != std::string::npos);
  CHECK(error_of(carrier_block("a", "system_type = \"thirteen-char\"\n")).find("carrier[0].system_type: longer than 12 characters") != std::string::npos);
  CHECK(error_of(carrier_block("a", "bind_mode = \"trx\"\n")).find("carrier[0].bind_mode: \"trx\": expected one of transceiver, transmitter_receiver") != std::string::npos);
  CHECK(error_of(carrier_block("a", "message_id_format = \"hex\"\n")).find("carrier[0].message_id_format:") != std::string::npos);
  // Negative, zero, infinite and NaN throughput: the contract cap must be a positive number.
  for (std::string tps : {"-5", "0", "inf", "nan", "1e9"}) {
    auto text = "[[carrier]]\nname = \"a\"\nhost = \"h\"\nsystem_id = \"s\"\nthroughput = " + tps + "\n";
    INFO(tps);
    CHECK(error_of(text).find("test.toml:5: carrier[0].throughput:") == 0);
    CHECK(error_of(text).find("out of range") != std::string::npos);
  }
  // A fractional throughput below the bucket's default min_rate is valid (min_rate follows).
  auto slow = parse_config("[[carrier]]\nname = \"telkomsel\"\nhost = \"h\"\nsystem_id = \"s\"\nthroughput = 0.5\n", "t");
  REQUIRE(slow.has_value());
  CHECK(slow->carriers[0].link.throttle.min_rate <= 0.5);

  auto const base = carrier_block("telkomsel");  // a routed carrier: "a" alone fails the routing check
  // prefix_hidden_digits: the parser's range is the limiter's (1..6); a bad value names its own
  // key and line (issue 16: 7 was blamed on limits.per_number at the [limits] header's line,
  // and 8 passed the parser only to be refused by validation).
  for (int digits : {0, 7, 8, 9}) {
    INFO(digits);
    CHECK(error_of(base + "[limits]\nenabled = true\nprefix_hidden_digits = " + std::to_string(digits) + "\n") ==
          "test.toml:9: limits.prefix_hidden_digits: " + std::to_string(digits) + " is out of range (1..6)");
  }
  for (int digits : {1, 6}) {
    auto ok = parse_config(carrier_block("telkomsel") + "[limits]\nprefix_hidden_digits = " + std::to_string(digits) + "\n", "t");
    REQUIRE(ok.has_value());
    CHECK(ok->limits.limits.prefix_hidden_digits == static_cast<unsigned>(digits));
  }
  // The resend interval (docs/limits.md "Resend interval"): default 30 s, refuse; 0 = off.
  {
    auto def = parse_config(base, "t");
    REQUIRE(def.has_value());
    CHECK(def->limits.limits.resend_interval == std::chrono::seconds(30));
    CHECK(def->limits.limits.on_resend == queue::resend_mode::refuse);
    auto set = parse_config(base + "[limits]\nresend_interval_seconds = 0\nresend_mode = \"suppress\"\n", "t");
    REQUIRE(set.has_value());
    CHECK(set->limits.limits.resend_interval.count() == 0);
    CHECK(set->limits.limits.on_resend == queue::resend_mode::suppress);
    CHECK(error_of(base + "[limits]\nresend_interval_seconds = 3601\n") ==
          "test.toml:8: limits.resend_interval_seconds: 3601 is out of range (0..3600)");
    CHECK(error_of(base + "[limits]\nresend_mode = \"drop\"\n").find("limits.resend_mode: \"drop\": expected one of refuse, suppress") !=
          std::string::npos);
  }
  CHECK(error_of(base + "[api]\ndefault_ttl_seconds = 0\n").find("api.default_ttl_seconds: 0 is out of range") != std::string::npos);
  CHECK(error_of(base + "[api]\nmax_ttl_seconds = 604801\n").find("api.max_ttl_seconds: 604801 is out of range (1..604800)") != std::string::npos);
  CHECK(error_of(base + "[api]\nmax_ttl_seconds = -1\n").find("api.max_ttl_seconds: -1 is out of range") != std::string::npos);
  CHECK(error_of(base + "[api]\ndefault_ttl_seconds = 600\nmax_ttl_seconds = 300\n").find("api.default_ttl_seconds: exceeds max_ttl_seconds") != std::string::npos);
  CHECK(error_of(base + "[api]\nbody_limit = 10\n").find("api.body_limit: 10 is out of range") != std::string::npos);
  CHECK(error_of(base + "[api]\nmax_connections = 0\n").find("api.max_connections: 0 is out of range") != std::string::npos);
  CHECK(error_of(base + "[api]\nsocket_mode = \"0666\"\n").find("api.socket_mode: must not be world-writable") != std::string::npos);
  CHECK(error_of(base + "[api]\nsocket_mode = \"0999\"\n").find("api.socket_mode: \"0999\": expected an octal mode") != std::string::npos);
  CHECK(error_of(base + "[api]\nsocket_mode = \"rw\"\n").find("api.socket_mode:") != std::string::npos);
  CHECK(error_of(base + "[api]\nsocket_mode = \"0440\"\n").find("api.socket_mode: the owner needs read and write") != std::string::npos);
  CHECK(error_of(base + "[api]\nsocket_path = \"" + std::string(120, 'x') + "\"\n").find("api.socket_path: must be 1..100 characters") != std::string::npos);
  CHECK(error_of(base + "[queue]\nsynchronous = \"off\"\n").find("queue.synchronous: \"off\": expected one of full, normal") != std::string::npos);
  CHECK(error_of(base + "[queue]\nretention_hours = 0\n").find("queue.retention_hours: 0 is out of range") != std::string::npos);
  CHECK(error_of(base + "[logging]\nlevel = \"verbose\"\n").find("logging.level: \"verbose\": expected one of trace") != std::string::npos);
  CHECK(error_of(base + "[limits]\nper_number = [{ max = 0, window_seconds = 60 }]\n").find("limits.per_number[0].max: 0 is out of range") != std::string::npos);
  CHECK(error_of(base + "[limits]\nper_number = [{ max = 5 }]\n").find("limits.per_number[0].window_seconds: required") != std::string::npos);
  CHECK(error_of(base + "[limits]\nper_number = [{ max = 5, window_seconds = 60, burst = 1 }]\n").find("limits.per_number[0].burst: unknown key") != std::string::npos);
  CHECK(error_of(base + "[retry]\nmax_otp_attempts = 0\n").find("retry.max_otp_attempts: 0 is out of range (1..10)") != std::string::npos);
  CHECK(error_of(base + "[retry]\nsame_route_delay_ms = -1\n").find("retry.same_route_delay_ms: -1 is out of range") != std::string::npos);
  CHECK(error_of(base + "[retry]\nmax_attempts = 3\n").find("retry.max_attempts: unknown key") != std::string::npos);
  CHECK(error_of("stop_timeout_ms = -1\n" + base).find("test.toml:1: stop_timeout_ms: -1 is out of range") == 0);
}

TEST_CASE("carrier names: unique, and alternates must name another configured carrier") {
  CHECK(error_of(carrier_block("a") + carrier_block("a")) == "test.toml:8: carrier[1].name: duplicate carrier \"a\"");
  CHECK(error_of(carrier_block("a", "alternates = [\"b\"]\n")) == "test.toml:7: carrier[0].alternates: \"b\" is not another configured carrier");
  CHECK(error_of(carrier_block("a", "alternates = [\"a\"]\n")).find("carrier[0].alternates: \"a\" is not another configured carrier") != std::string::npos);
  auto ok = parse_config(carrier_block("a", "alternates = [\"b\"]\n") + carrier_block("b", "alternates = [\"a\"]\n"), "t");
  CHECK(ok.has_value());
}

TEST_CASE("missing required fields are named, on the table's line") {
  CHECK(error_of("[api]\n") == "test.toml:1: carrier: at least one [[carrier]] is required");
  CHECK(error_of("carrier = []\n").find("carrier: expected [[carrier]] tables") != std::string::npos);
  auto without = [](std::string const& skip) {
    std::string text = "stop_timeout_ms = 1000\n[[carrier]]\n";
    for (auto const& [k, v] : {std::pair<std::string, std::string>{"name", "\"a\""}, {"host", "\"h\""},
                               {"system_id", "\"s\""}, {"throughput", "5"}})
      if (k != skip) text += k + " = " + v + "\n";
    return text;
  };
  CHECK(error_of(without("name")).find("test.toml:2: carrier[0].name: required") == 0);
  CHECK(error_of(without("host")).find("test.toml:2: carrier[0].host: required") == 0);
  CHECK(error_of(without("system_id")).find("test.toml:2: carrier[0].system_id: required") == 0);
  CHECK(error_of(without("throughput")).find("test.toml:2: carrier[0].throughput: required") == 0);
  CHECK(error_of(carrier_block("a", "name = \"\"\n").substr(0, 0) + "[[carrier]]\nname = \"\"\nhost = \"h\"\nsystem_id = \"s\"\nthroughput = 1\n").find("carrier[0].name: must be 1..32 characters") != std::string::npos);
}

TEST_CASE("TLS: enabled needs a CA (or \"system\"), settings without enabled are refused") {
  temp_dir dir;
  auto ca = dir.write("ca.pem", "x");
  CHECK(error_of(carrier_block("a", "[carrier.tls]\nenabled = true\n")).find("test.toml:7: carrier[0].tls.ca_file: required when TLS is enabled") == 0);
  // Files are not opened here (--check-config runs where the certificates may not be): the
  // carrier checks them when it starts (daemon/link/carrier.hpp).
  CHECK(parse_config(carrier_block("telkomsel", "[carrier.tls]\nenabled = true\nca_file = \"/nonexistent/ca.pem\"\n"), "t").has_value());
  CHECK(error_of(carrier_block("a", "[carrier.tls]\nenabled = true\nca_file = \"" + ca + "\"\ncert_file = \"" + ca + "\"\n")).find("carrier[0].tls.key_file: required with cert_file") != std::string::npos);
  CHECK(error_of(carrier_block("a", "[carrier.tls]\nenabled = true\nca_file = \"" + ca + "\"\nkey_file = \"" + ca + "\"\n")).find("carrier[0].tls.cert_file: required with key_file") != std::string::npos);
  // A [tls] table whose settings would be silently ignored (plain TCP) is an error.
  CHECK(error_of(carrier_block("a", "[carrier.tls]\nca_file = \"" + ca + "\"\n")).find("carrier[0].tls.enabled: TLS settings given (ca_file) but enabled is not true") != std::string::npos);
  CHECK(error_of(carrier_block("a", "[carrier.tls]\nenabled = true\nca_file = \"" + ca + "\"\ncafile = \"x\"\n")).find("carrier[0].tls.cafile: unknown key") != std::string::npos);
  // verify = false (lab only) needs no CA.
  CHECK(parse_config(carrier_block("telkomsel", "[carrier.tls]\nenabled = true\nverify = false\n"), "t").has_value());
}

TEST_CASE("TOML syntax errors give the line, a line holding a password is not quoted") {
  CHECK(error_of("stop_timeout_ms = \n").find("test.toml:1: ") == 0);
  CHECK(error_of(carrier_block("a") + "[api\n").find("test.toml:7: ") == 0);
  // Duplicate keys are a TOML error (toml++ refuses them).
  CHECK(error_of(carrier_block("a", "window = 5\nwindow = 6\n")).find("test.toml:8: ") == 0);
  // Every malformed password line: the error never contains the password.
  for (std::string line : {"password = " + std::string(secret) + "\n", "password = \"" + std::string(secret) + "\n",
                           "password = \"" + std::string(secret) + "\" " + secret + "\n",
                           "password = \"" + std::string(secret) + "\\q\"\n",
                           "password = '" + std::string(secret) + "\x01'\n",
                           "password = " + std::string(secret) + "\"\n"}) {
    INFO(line);
    auto msg = error_of("[[carrier]]\nname = \"a\"\n" + line);
    CHECK(msg.find("test.toml:3: ") == 0);
  }
  // Too long: the rule is named, the value is not echoed.
  CHECK(error_of("[[carrier]]\nname = \"a\"\nhost = \"h\"\nsystem_id = \"s\"\nthroughput = 1\npassword = \"" + std::string(secret) + "X\"\n") == "test.toml:6: carrier[0].password: longer than 8 characters");
}

TEST_CASE("load_config_file: unreadable or missing file, directory") {
  temp_dir dir;
  auto missing = load_config_file((dir.path() / "nope.toml").string());
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message() == (dir.path() / "nope.toml").string() + ":0: cannot open: No such file or directory");
  auto as_dir = load_config_file(dir.path().string());
  REQUIRE_FALSE(as_dir.has_value());
  CHECK(as_dir.error().message().find("is a directory") != std::string::npos);
  auto good = dir.write("good.toml", carrier_block("telkomsel"));
  CHECK(load_config_file(good).has_value());
  auto not_dir = load_config_file(good + "/x.toml");  // a path through a regular file
  REQUIRE_FALSE(not_dir.has_value());
  CHECK(not_dir.error().message() == good + "/x.toml:0: cannot open: Not a directory");
  if (::geteuid() != 0) {  // root reads anything: the permission case is meaningful only for users
    auto p = dir.write("locked.toml", carrier_block("a"));
    ::chmod(p.c_str(), 0);
    auto locked = load_config_file(p);
    REQUIRE_FALSE(locked.has_value());
    CHECK(locked.error().message() == p + ":0: cannot open: Permission denied");
  }
  // Errors from a file name the file.
  auto bad = dir.write("bad.toml", carrier_block("a", "window = 0\n"));
  auto r = load_config_file(bad);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().message() == bad + ":7: carrier[0].window: 0 is out of range (1..1000)");
}

TEST_CASE("peak windows: the default, and bad windows refused with file, line and key") {
  // No `peak` key: bulk paused on working days 09:00-11:00 and 13:00-15:00 WIB.
  auto def = parse_config(carrier_block("telkomsel"), "t");
  REQUIRE(def.has_value());
  auto const& d = def->carriers[0].peak.windows;
  REQUIRE(d.size() == 2);
  CHECK((d[0].days == 0x1f && d[0].start == 9h && d[0].end == 11h && d[0].bulk_share == 0.0));
  CHECK((d[1].days == 0x1f && d[1].start == 13h && d[1].end == 15h && d[1].bulk_share == 0.0));
  CHECK((d[0].transactional_share == 1.0 && !d[0].throughput));
  auto none = parse_config(carrier_block("telkomsel", "peak = []\n"), "t");
  REQUIRE(none.has_value());
  CHECK(none->carriers[0].peak.windows.empty());
  auto until_midnight = parse_config(carrier_block("telkomsel", "[[carrier.peak]]\ndays = [\"sun\"]\nstart = \"22:00\"\nend = \"24:00\"\n"), "t");
  REQUIRE(until_midnight.has_value());
  CHECK(until_midnight->carriers[0].peak.windows[0].end == 24h);
  CHECK(until_midnight->carriers[0].peak.windows[0].name == "sun 22:00-24:00");

  // carrier_block is 6 lines: [[carrier.peak]] is line 7, then days 8, start 9, end 10.
  auto window = [](std::string days, std::string start, std::string end, std::string more = "") {
    return "[[carrier.peak]]\ndays = " + days + "\nstart = \"" + start + "\"\nend = \"" + end + "\"\n" + more;
  };
  auto const wd = std::string("[\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]");
  // Inverted.
  CHECK(error_of(carrier_block("telkomsel", window(wd, "11:00", "09:00"))).find("test.toml:10: carrier[0].peak[0].end: 09:00 is not after start 11:00") == 0);
  CHECK(error_of(carrier_block("telkomsel", window(wd, "09:00", "09:00"))).find("test.toml:10: carrier[0].peak[0].end: 09:00 is not after start 09:00") == 0);
  // Out of range or malformed.
  CHECK(error_of(carrier_block("telkomsel", window(wd, "25:00", "26:00"))).find("test.toml:9: carrier[0].peak[0].start: \"25:00\": expected \"HH:MM\" WIB, 00:00..23:59") == 0);
  CHECK(error_of(carrier_block("telkomsel", window(wd, "24:00", "24:00"))).find("test.toml:9: carrier[0].peak[0].start:") == 0);
  CHECK(error_of(carrier_block("telkomsel", window(wd, "09:00", "24:01"))).find("test.toml:10: carrier[0].peak[0].end: \"24:01\"") == 0);
  CHECK(error_of(carrier_block("telkomsel", window(wd, "09:60", "10:00"))).find("test.toml:9: carrier[0].peak[0].start:") == 0);
  CHECK(error_of(carrier_block("telkomsel", window(wd, "9:00", "10:00"))).find("test.toml:9: carrier[0].peak[0].start:") == 0);
  CHECK(error_of(carrier_block("telkomsel", window("[\"mon\", \"funday\"]", "09:00", "10:00"))).find("test.toml:8: carrier[0].peak[0].days: \"funday\": expected mon, tue") == 0);
  CHECK(error_of(carrier_block("telkomsel", window("[]", "09:00", "10:00"))).find("test.toml:8: carrier[0].peak[0].days: names no day") == 0);
  CHECK(error_of(carrier_block("telkomsel", window("[\"mon\", \"mon\"]", "09:00", "10:00"))).find("carrier[0].peak[0].days: \"mon\" listed twice") != std::string::npos);
  CHECK(error_of(carrier_block("telkomsel", window(wd, "09:00", "10:00", "bulk_share = 1.5\n"))).find("test.toml:11: carrier[0].peak[0].bulk_share: 1.5 is out of range (0..1)") == 0);
  CHECK(error_of(carrier_block("telkomsel", window(wd, "09:00", "10:00", "throughput = 0\n"))).find("test.toml:11: carrier[0].peak[0].throughput: 0 is out of range") == 0);
  CHECK(error_of(carrier_block("telkomsel", window(wd, "09:00", "10:00", "transactional_share = 0\nbulk_share = 0.5\n"))).find("test.toml:12: carrier[0].peak[0].bulk_share: must be 0 while transactional_share is 0") == 0);
  CHECK(error_of(carrier_block("telkomsel", window(wd, "09:00", "10:00", "stop = \"11:00\"\n"))).find("test.toml:11: carrier[0].peak[0].stop: unknown key") == 0);
  CHECK(error_of(carrier_block("telkomsel", "[[carrier.peak]]\nstart = \"09:00\"\nend = \"10:00\"\n")).find("test.toml:7: carrier[0].peak[0].days: required") == 0);
  CHECK(error_of(carrier_block("telkomsel", "peak = 5\n")).find("test.toml:7: carrier[0].peak: expected [[carrier.peak]] tables") == 0);
  // Overlapping on a shared day (Monday), named at the later window's start (line 13).
  CHECK(error_of(carrier_block("telkomsel", window(wd, "09:00", "11:00") + window("[\"sun\", \"mon\"]", "10:30", "12:00"))).find("test.toml:13: carrier[0].peak[1].start: overlaps peak[0] (mon-fri 09:00-11:00) on a shared day") == 0);
  // Touching windows, or the same hours on other days, do not overlap.
  CHECK(parse_config(carrier_block("telkomsel", window(wd, "09:00", "11:00") + window(wd, "11:00", "12:00") + window("[\"sat\"]", "09:00", "11:00")), "t").has_value());
}

TEST_CASE("routing: prefix and per-number overrides, and a carrier nothing reaches is refused") {
  auto const three = carrier_block("telkomsel") + carrier_block("indosat") + carrier_block("tri");
  // Tri's numbers over the Indosat account; one ported Telkomsel number now on Indosat.
  auto r = parse_config(three + "[routing.prefixes]\n\"0895\" = \"indosat\"\n\"62896\" = \"indosat\"\n"
                                "[routing.numbers]\n\"+62 812 1111 0001\" = \"indosat\"\n", "t");
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r.has_value());
  CHECK(parse_msisdn("0895-1234-5678", r->routing).value().carrier == "indosat");
  CHECK(parse_msisdn("0896-1234-5678", r->routing).value().carrier == "indosat");
  CHECK(parse_msisdn("0897-1234-5678", r->routing).value().carrier == "tri");
  CHECK(parse_msisdn("081211110001", r->routing).value().carrier == "indosat");
  CHECK(parse_msisdn("0812111100011", r->routing).value().carrier == "telkomsel");  // exact match only
  CHECK(parse_msisdn("081211110002", r->routing).value().carrier == "telkomsel");
  // The built-in table itself is untouched.
  CHECK(parse_msisdn("081211110001").value().carrier == "telkomsel");

  // Overrides must name a configured carrier and be valid prefixes / numbers; line 19 is the row.
  CHECK(error_of(three + "[routing.prefixes]\n\"0895\" = \"indosatt\"\n") == "test.toml:20: routing.prefixes.0895: \"indosatt\" is not a configured carrier");
  CHECK(error_of(three + "[routing.prefixes]\n\"0712\" = \"indosat\"\n").find("test.toml:20: routing.prefixes.0712: not a mobile prefix") == 0);
  CHECK(error_of(three + "[routing.prefixes]\n\"0895\" = \"indosat\"\n\"62895\" = \"tri\"\n").find("routing.prefixes.62895: listed twice") != std::string::npos);
  CHECK(error_of(three + "[routing.numbers]\n\"12345\" = \"indosat\"\n").find("test.toml:20: routing.numbers.12345:") == 0);
  CHECK(error_of(three + "[routing.numbers]\n\"081211110001\" = 7\n").find("test.toml:20: routing.numbers.081211110001: expected a carrier name") == 0);
  CHECK(error_of(three + "[routing]\nprefixes = 5\n").find("test.toml:20: routing.prefixes: expected a table") == 0);
  CHECK(error_of(three + "[routing]\nprefix = {}\n").find("test.toml:20: routing.prefix: unknown key") == 0);

  // A typo in a carrier's name: nothing routes to it and it backs up no one.
  CHECK(error_of(carrier_block("telkomsel") + carrier_block("indosatt")).find("test.toml:8: carrier[1].name: \"indosatt\": no prefix or number routes to it and it is no carrier's alternate") == 0);
  // Every Tri prefix moved to Indosat: the tri account is now unreachable, unless an alternate.
  std::string all_tri = "[routing.prefixes]\n";
  for (auto p : {"0895", "0896", "0897", "0898", "0899"}) all_tri += std::string("\"") + p + "\" = \"indosat\"\n";
  CHECK(error_of(three + all_tri).find("test.toml:14: carrier[2].name: \"tri\": no prefix or number routes to it") == 0);
  CHECK(parse_config(carrier_block("telkomsel") + carrier_block("indosat", "alternates = [\"tri\"]\n") +
                         carrier_block("tri") + all_tri, "t").has_value());
  // A carrier reached only through a per-number override, or only as an alternate, is fine.
  CHECK(parse_config(carrier_block("telkomsel") + carrier_block("backup") +
                         "[routing.numbers]\n\"081211110001\" = \"backup\"\n", "t").has_value());
  CHECK(parse_config(carrier_block("telkomsel", "alternates = [\"backup\"]\n") + carrier_block("backup"), "t").has_value());
}

TEST_CASE("receipt timeouts, filtered codes and statuses, no_receipt grace (issue #13)") {
  auto r = parse_config(carrier_block("telkomsel",
                                      "receipt_timeout_ms = 5000\n"
                                      "transactional_receipt_timeout_ms = 0\n"
                                      "filtered_errors = [\"err:069\", \"0x45\"]\n"
                                      "filtered_submit_statuses = [0x45, 88]\n") +
                            "[queue]\nno_receipt_grace_seconds = 120\n",
                        "test.toml");
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r.has_value());
  auto const& c = r->carriers.at(0);
  CHECK(c.receipt_timeout == 5000ms);
  CHECK(c.transactional_receipt_timeout == 0ms);
  CHECK(c.filtered_errors == std::vector<std::string>{"069", "0x45"});  // "err:" dropped
  CHECK(c.filtered_submit_statuses == std::vector<std::uint32_t>{0x45, 88});
  CHECK(r->queue.no_receipt_grace == 120s);

  auto d = parse_config(carrier_block("telkomsel"), "test.toml");
  REQUIRE(d.has_value());
  CHECK(d->carriers.at(0).receipt_timeout == 30000ms);
  CHECK(d->carriers.at(0).transactional_receipt_timeout == 300000ms);
  CHECK(d->carriers.at(0).filtered_errors.empty());
  CHECK(d->queue.no_receipt_grace == 3600s);

  CHECK(error_of(carrier_block("telkomsel", "receipt_timeout_ms = -1\n")).find("receipt_timeout_ms") != std::string::npos);
  CHECK(error_of(carrier_block("telkomsel", "filtered_errors = [\"err:\"]\n")).find("filtered_errors") != std::string::npos);
  CHECK(error_of(carrier_block("telkomsel", "filtered_errors = [69]\n")).find("filtered_errors") != std::string::npos);
  CHECK(error_of(carrier_block("telkomsel", "filtered_submit_statuses = [\"0x45\"]\n")).find("filtered_submit_statuses") != std::string::npos);
  CHECK(error_of(carrier_block("telkomsel", "filtered_submit_statuses = [0]\n")).find("filtered_submit_statuses") != std::string::npos);
  CHECK(error_of(carrier_block("telkomsel") + "[queue]\nno_receipt_grace_seconds = 999999999\n").find("no_receipt_grace_seconds") != std::string::npos);
}

TEST_CASE("deadline-aware routing: its switches and margin, bad values refused with file, line and key") {
  auto const base = carrier_block("telkomsel");  // 6 lines
  auto def = parse_config(base, "t");
  REQUIRE(def.has_value());
  CHECK(def->deadline.enabled);
  CHECK(def->deadline.margin == std::chrono::seconds(10));
  CHECK_FALSE(def->api.refuse_would_expire);
  auto set = parse_config(base + "[routing]\ndeadline_routing = false\ndeadline_margin_seconds = 0\n"
                                 "[api]\nrefuse_would_expire = true\n", "t");
  REQUIRE(set.has_value());
  CHECK_FALSE(set->deadline.enabled);
  CHECK(set->deadline.margin.count() == 0);
  CHECK(set->api.refuse_would_expire);
  CHECK(error_of(base + "[routing]\ndeadline_margin_seconds = 3601\n") ==
        "test.toml:8: routing.deadline_margin_seconds: 3601 is out of range (0..3600)");
  CHECK(error_of(base + "[routing]\ndeadline_routing = \"yes\"\n") ==
        "test.toml:8: routing.deadline_routing: expected true or false");
  CHECK(error_of(base + "[api]\nrefuse_would_expire = 1\n") ==
        "test.toml:8: api.refuse_would_expire: expected true or false");
}

TEST_CASE("api allow-lists take user and group ids or names, and the per-uid cap defaults to a quarter") {
  auto const base = carrier_block("telkomsel");
  auto parsed = [](std::string const& text) {
    auto r = parse_config(text, "test.toml");
    INFO((r ? std::string() : r.error().message()));
    REQUIRE(r.has_value());
    return r->api;
  };
  auto def = parsed(base);
  CHECK(def.max_connections_per_uid == 48);  // 64 * 3 / 4
  CHECK(def.send_uids.empty());
  CHECK(def.control_gids.empty());
  CHECK(parsed(base + "[api]\nmax_connections = 2\n").max_connections_per_uid == 1);
  CHECK(parsed(base + "[api]\nmax_connections = 100\n").max_connections_per_uid == 75);
  CHECK(parsed(base + "[api]\nmax_connections = 100\nmax_connections_per_uid = 60\n").max_connections_per_uid == 60);
  // "root" and group "root" are 0 on every Linux system.
  auto a = parsed(base + "[api]\nsend_uids = [1001, \"root\"]\nsend_gids = [\"root\"]\n"
                         "control_uids = [0]\ncontrol_gids = [50, 51]\n");
  CHECK(a.send_uids == std::vector<std::uint32_t>{1001, 0});
  CHECK(a.send_gids == std::vector<std::uint32_t>{0});
  CHECK(a.control_uids == std::vector<std::uint32_t>{0});
  CHECK(a.control_gids == std::vector<std::uint32_t>{50, 51});
  CHECK(error_of(base + "[api]\nsend_uids = [\"no-such-user-smsgw\"]\n") ==
        "test.toml:8: api.send_uids: no user \"no-such-user-smsgw\"");
  CHECK(error_of(base + "[api]\ncontrol_gids = [\"no-such-group-smsgw\"]\n") ==
        "test.toml:8: api.control_gids: no group \"no-such-group-smsgw\"");
  CHECK(error_of(base + "[api]\nsend_uids = [-1]\n").find("test.toml:8: api.send_uids: -1 is out of range") == 0);
  CHECK(error_of(base + "[api]\nsend_uids = 5\n").find("test.toml:8: api.send_uids: expected an array") == 0);
  CHECK(error_of(base + "[api]\ncontrol_uids = [true]\n").find("test.toml:8: api.control_uids: expected user names or numbers") == 0);
  CHECK(error_of(base + "[api]\nmax_connections_per_uid = 0\n").find("test.toml:8: api.max_connections_per_uid: 0 is out of range") == 0);
}
