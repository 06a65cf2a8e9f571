// tests/e2e/smsgwctl_test.cpp: the smsgwctl executable end to end, run as a child process
// against a real smsgw (and smsc-sim) through the API socket, for every verb: status,
// carriers, suspend and resume (the carrier's state checked through the API), send (then
// delivered), show (its history), cancel (a queued message: exit 0; a delivered one: exit 1
// naming its state), events --count (the outcomes of messages sent), reload (changes; an
// invalid file: exit 1 with FILE:LINE), --json output that parses, and a missing socket
// (exit 3 with the clear message).
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstring>

#include <boost/json/parse.hpp>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

struct ctl_result {
  int exit_code = -1;  ///< -1: did not exit normally
  std::string out, err;
};

/// Runs smsgwctl with `args` (--socket of `gw` first) and waits for it (bounded).
ctl_result run_ctl(fs::path const& dir, std::string const& socket, std::vector<std::string> args,
                   std::string const& tag) {
  static int n = 0;
  auto out = dir / ("ctl." + tag + "." + std::to_string(++n) + ".out");
  auto err = dir / ("ctl." + tag + "." + std::to_string(n) + ".err");
  args.insert(args.begin(), {SMSGW_CTL_EXE, "--socket", socket});
  child_process p(args, out, err, {{"USER", "ctl-test"}, {"TZ", "Asia/Jakarta"}});
  auto st = p.wait_exit(std::chrono::milliseconds(60000));
  ctl_result r;
  if (st && WIFEXITED(*st)) r.exit_code = WEXITSTATUS(*st);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

ctl_result ctl(gateway& gw, std::vector<std::string> args) {
  std::string const tag = args.empty() ? "x" : args[0];
  return run_ctl(gw.dir.path(), gw.socket_path.string(), std::move(args), tag);
}

bool contains(std::string const& hay, std::string const& needle) { return hay.find(needle) != std::string::npos; }

std::string carrier_state(gateway& gw, std::string const& name) {
  auto r = gw.api.get("/v1/carriers");
  if (!r.ok || !r.at("carriers").is_array()) return "";
  for (auto const& c : r.at("carriers").as_array())
    if (c.as_object().at("name").as_string() == name) return std::string(c.as_object().at("state").as_string());
  return "";
}

std::int64_t id_from_send(std::string const& out) {
  // "message 3: queued (carrier telkomsel)"
  auto p = out.find("message ");
  return p == std::string::npos ? -1 : std::stoll(out.substr(p + 8));
}

/// Bulk is paused all day on telkomsel: a bulk message stays queued (to cancel it).
std::vector<carrier_spec> carriers_with_bulk_paused() {
  return {{"telkomsel", {"--id-format", "hex"}, "same", {},
           "[[carrier.peak]]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\n"
           "start = \"00:00\"\nend = \"24:00\"\nbulk_share = 0\n"}};
}

}  // namespace

TEST_CASE("smsgwctl status carriers suspend resume send show cancel through the socket", "[e2e][smsgwctl]") {
  gateway gw(carriers_with_bulk_paused());
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 1; }, delivery_deadline));

  auto status = ctl(gw, {"status"});
  INFO(status.out << status.err);
  CHECK(status.exit_code == 0);
  CHECK(contains(status.out, "status: ok"));
  CHECK(contains(status.out, "telkomsel"));
  auto status_json = ctl(gw, {"--json", "status"});
  CHECK(status_json.exit_code == 0);
  CHECK(boost::json::parse(status_json.out).as_object().at("status").as_string() == "ok");

  auto carriers = ctl(gw, {"carriers"});
  INFO(carriers.out << carriers.err);
  CHECK(carriers.exit_code == 0);
  CHECK(contains(carriers.out, "NAME"));
  CHECK(contains(carriers.out, "BACKLOG otp/trx/bulk"));
  CHECK(contains(carriers.out, "telkomsel  up"));
  auto carriers_json = ctl(gw, {"carriers", "--json"});
  CHECK(carriers_json.exit_code == 0);
  CHECK(boost::json::parse(carriers_json.out).as_object().at("carriers").as_array().size() == 1);

  auto suspend = ctl(gw, {"suspend", "telkomsel"});
  INFO(suspend.out << suspend.err);
  CHECK(suspend.exit_code == 0);
  CHECK(contains(suspend.out, "suspended"));
  CHECK(carrier_state(gw, "telkomsel") == "suspended");
  CHECK(contains(gw.daemon.logs(), "suspended by an operator: ctl-test"));  // $USER as X-Operator
  auto resume = ctl(gw, {"resume", "telkomsel"});
  CHECK(resume.exit_code == 0);
  CHECK(carrier_state(gw, "telkomsel") == "up");
  auto unknown = ctl(gw, {"suspend", "nosuch"});
  CHECK(unknown.exit_code == 1);
  CHECK(contains(unknown.err, "no such carrier"));

  // send an OTP: it is delivered, and show prints its history.
  auto send = ctl(gw, {"send", "0812-3333-0001", "--code", "482913", "--purpose", "login"});
  INFO(send.out << send.err);
  REQUIRE(send.exit_code == 0);
  auto const otp_id = id_from_send(send.out);
  REQUIRE(otp_id > 0);
  auto final_states = gw.wait_final({otp_id});
  CHECK(final_states[otp_id] == "delivered");
  auto show = ctl(gw, {"show", std::to_string(otp_id)});
  INFO(show.out << show.err);
  CHECK(show.exit_code == 0);
  CHECK(contains(show.out, "state:"));
  CHECK(contains(show.out, "delivered"));
  CHECK(contains(show.out, "history:"));
  CHECK(contains(show.out, "enqueued"));
  CHECK(contains(show.out, "submit_sm_resp OK"));
  CHECK(contains(show.out, "+0700"));  // local times (TZ=Asia/Jakarta)
  CHECK_FALSE(contains(show.out, "482913"));
  auto show_json = ctl(gw, {"--json", "show", std::to_string(otp_id)});
  CHECK(boost::json::parse(show_json.out).as_object().at("history").as_array().size() >= 3);
  auto missing = ctl(gw, {"show", "999999"});
  CHECK(missing.exit_code == 1);

  // cancel: a queued bulk message is cancelled; the delivered OTP is refused with its state.
  auto bulk = ctl(gw, {"send", "0812-3333-0002", "--text", "Promo", "--priority", "bulk", "--ttl", "300"});
  INFO(bulk.out << bulk.err);
  REQUIRE(bulk.exit_code == 0);
  auto const bulk_id = id_from_send(bulk.out);
  REQUIRE(gw.state_of(bulk_id) == "queued");
  auto cancel = ctl(gw, {"cancel", std::to_string(bulk_id)});
  INFO(cancel.out << cancel.err);
  CHECK(cancel.exit_code == 0);
  CHECK(contains(cancel.out, "cancelled"));
  CHECK(gw.state_of(bulk_id) == "cancelled");
  auto refused = ctl(gw, {"cancel", std::to_string(otp_id)});
  INFO(refused.out << refused.err);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.err, "delivered"));
  CHECK(gw.state_of(otp_id) == "delivered");

  auto usage = ctl(gw, {"cancel"});
  CHECK(usage.exit_code == 2);
}

TEST_CASE("smsgwctl events follows the outcomes of messages sent and reload reports changes or FILE:LINE",
          "[e2e][smsgwctl]") {
  gateway gw({{"telkomsel", {"--id-format", "hex"}, "same", {}, {}}});
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 1; }, delivery_deadline));

  std::vector<std::int64_t> ids;
  for (int i = 0; i < 2; ++i) {
    auto r = gw.send_otp("0812-3333-00" + std::to_string(10 + i), "1234" + std::to_string(i));
    REQUIRE(r.status == 202);
    ids.push_back(r.at("id").as_int64());
  }
  auto finals = gw.wait_final(ids);
  REQUIRE(finals[ids[0]] == "delivered");
  REQUIRE(finals[ids[1]] == "delivered");

  // From the oldest retained: submitted + delivered for each message = 4 outcomes.
  auto events = ctl(gw, {"events", "--from", "0", "--count", "4", "--json"});
  INFO(events.out << events.err);
  REQUIRE(events.exit_code == 0);
  std::map<std::int64_t, std::vector<std::string>> seen;
  std::istringstream lines(events.out);
  int n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    auto ev = boost::json::parse(line).as_object();
    seen[ev.at("message_id").as_int64()].emplace_back(ev.at("state").as_string());
  }
  CHECK(n == 4);
  CHECK(seen[ids[0]] == std::vector<std::string>{"submitted", "delivered"});
  CHECK(seen[ids[1]] == std::vector<std::string>{"submitted", "delivered"});
  auto finals_only = ctl(gw, {"events", "--from", "0", "--state", "delivered", "--count", "2"});
  INFO(finals_only.out << finals_only.err);
  CHECK(finals_only.exit_code == 0);
  CHECK(contains(finals_only.out, "submitted -> delivered (final)"));
  CHECK(contains(finals_only.out, "message " + std::to_string(ids[1])));

  // reload: a changed throughput is listed; an invalid file is exit 1 with FILE:LINE.
  auto config = read_file(gw.config_path);
  auto at = config.find("throughput = ");
  REQUIRE(at != std::string::npos);
  auto eol = config.find('\n', at);
  write_file(gw.config_path, config.substr(0, at) + "throughput = 7" + config.substr(eol));
  auto reload = ctl(gw, {"reload"});
  INFO(reload.out << reload.err);
  CHECK(reload.exit_code == 0);
  CHECK(contains(reload.out, "reloaded"));
  CHECK(contains(reload.out, "throughput"));
  write_file(gw.config_path, config.substr(0, at) + "throughput = 0" + config.substr(eol));
  auto bad = ctl(gw, {"reload"});
  INFO(bad.out << bad.err);
  CHECK(bad.exit_code == 1);
  CHECK(contains(bad.err, gw.config_path.string() + ":"));
  CHECK(contains(bad.err, "throughput"));
  auto bad_json = ctl(gw, {"--json", "reload"});
  CHECK(bad_json.exit_code == 1);
  CHECK(boost::json::parse(bad_json.out).as_object().at("error").as_string() == "invalid_config");
}

TEST_CASE("smsgwctl says clearly when the socket is missing", "[e2e][smsgwctl]") {
  temp_dir dir;
  auto const socket = (dir.path() / "no-daemon.sock").string();
  for (auto verb : {"status", "carriers", "events"}) {
    auto r = run_ctl(dir.path(), socket, {verb}, "missing");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 3);
    CHECK(contains(r.err, "smsgwctl: cannot connect to " + socket +
                              ": no such file or directory (is smsgw running? see --socket)"));
  }
}

TEST_CASE("smsgwctl says clearly when nothing listens on the socket", "[e2e][smsgwctl]") {
  temp_dir dir;
  // A socket file bound but not listening: connect() is refused, as after a daemon crash.
  auto const socket = (dir.path() / "dead.sock").string();
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket.c_str(), socket.size() + 1);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  auto r = run_ctl(dir.path(), socket, {"carriers"}, "refused");
  ::close(fd);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 3);
  CHECK(contains(r.err, "smsgwctl: cannot connect to " + socket + ": connection refused (is smsgw running? see --socket)"));
}

TEST_CASE("smsgwctl events resumes after a daemon restart without losing or repeating an outcome",
          "[e2e][smsgwctl]") {
  gateway gw({{"telkomsel", {"--id-format", "hex"}, "same", {}, {}}});
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 1; }, delivery_deadline));
  auto first = gw.send_otp("0812-3333-0020", "5555");
  REQUIRE(first.status == 202);
  auto const first_id = first.at("id").as_int64();
  REQUIRE(gw.wait_final({first_id})[first_id] == "delivered");

  // 4 outcomes: 2 of the first OTP now, 2 of the second after the restart.
  auto const out = gw.dir.path() / "events.out";
  child_process follower({SMSGW_CTL_EXE, "--socket", gw.socket_path.string(), "--json", "events", "--from", "0",
                          "--count", "4"},
                         out, gw.dir.path() / "events.err");
  auto lines = [&] {
    auto text = read_file(out);
    return std::count(text.begin(), text.end(), '\n');
  };
  REQUIRE(wait_until([&] { return lines() == 2; }, delivery_deadline));
  gw.daemon.stop();  // the stream gets `shutdown`, then nothing listens for a while
  gw.daemon.start();
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 1; }, delivery_deadline));
  auto second = gw.send_otp("0812-3333-0021", "6666");
  REQUIRE(second.status == 202);
  auto const second_id = second.at("id").as_int64();
  auto st = follower.wait_exit(std::chrono::milliseconds(120000));
  INFO(read_file(out) << read_file(gw.dir.path() / "events.err"));
  REQUIRE(st);
  CHECK(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 0);
  std::vector<std::pair<std::int64_t, std::string>> seen;
  std::istringstream in(read_file(out));
  for (std::string line; std::getline(in, line);) {
    auto ev = boost::json::parse(line).as_object();
    seen.emplace_back(ev.at("message_id").as_int64(), std::string(ev.at("state").as_string()));
  }
  std::vector<std::pair<std::int64_t, std::string>> const want{
      {first_id, "submitted"}, {first_id, "delivered"}, {second_id, "submitted"}, {second_id, "delivered"}};
  CHECK(seen == want);
  CHECK(contains(read_file(gw.dir.path() / "events.err"), "shutdown"));
}
