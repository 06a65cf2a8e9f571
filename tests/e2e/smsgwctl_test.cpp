// tests/e2e/smsgwctl_test.cpp: the real smsgwctl binary against the real daemon (and carrier
// simulators), verb by verb: its human output, --json (the server's JSON as is) and its exit
// codes (0 ok, 1 refused, 2 usage, 3 cannot connect, 4 server error), and the message when the
// socket is missing. smsgwctl runs as a child process; its output is read from files.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

struct ctl_result {
  int code = -1;
  std::string out, err;
};

/// Runs smsgwctl with `args` (after --socket of `gw` unless `socket` says otherwise).
ctl_result smsgwctl(fs::path const& dir, std::vector<std::string> args) {
  static int n = 0;
  auto out = dir / fmt::format("ctl{}.out", ++n), err = dir / fmt::format("ctl{}.err", n);
  args.insert(args.begin(), SMSGW_CTL_EXE);
  child_process p(args, out, err);
  auto st = p.wait_exit(std::chrono::milliseconds(60000));
  ctl_result r;
  if (st && WIFEXITED(*st)) r.code = WEXITSTATUS(*st);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

ctl_result ctl(gateway const& gw, std::vector<std::string> args) {
  args.insert(args.begin(), {"--socket", gw.socket_path.string()});
  return smsgwctl(gw.dir.path(), std::move(args));
}

std::vector<carrier_spec> one_carrier() {
  auto c = five_carriers()[0];
  c.alternates.clear();
  return {c};
}

boost::json::value json_of(std::string const& s) {
  boost::system::error_code ec;
  auto v = boost::json::parse(s, ec);
  INFO(s);
  REQUIRE_FALSE(ec);
  return v;
}

}  // namespace

TEST_CASE("smsgwctl: a missing socket exits 3 saying so, a bad command line exits 2", "[e2e][smsgwctl]") {
  temp_dir dir;
  auto missing = (dir / "nosuch.sock").string();
  auto r = smsgwctl(dir.path(), {"--socket", missing, "status"});
  CHECK(r.code == 3);
  CHECK(r.err == fmt::format("smsgwctl: cannot connect to {}: no such file (is smsgw running? --socket)\n", missing));
  CHECK(r.out.empty());
  // A socket file nobody listens on: refused.
  {
    gateway gw(one_carrier());
    gw.daemon.kill9();  // the socket file stays behind
    auto refused = ctl(gw, {"status"});
    CHECK(refused.code == 3);
    CHECK(refused.err.find("connection refused (is smsgw running? --socket)") != std::string::npos);
  }
  CHECK(smsgwctl(dir.path(), {"frobnicate"}).code == 2);
  CHECK(smsgwctl(dir.path(), {"show"}).code == 2);
  CHECK(smsgwctl(dir.path(), {"show", "abc"}).code == 2);
  CHECK(smsgwctl(dir.path(), {"send", "--to", "0812"}).code == 2);
  CHECK(smsgwctl(dir.path(), {"suspend", "../reload"}).code == 2);
  auto help = smsgwctl(dir.path(), {"--help"});
  CHECK(help.code == 0);
  CHECK(help.out.find("exit codes:") != std::string::npos);
}

TEST_CASE("smsgwctl status, send, show: human output, --json, exit codes", "[e2e][smsgwctl]") {
  gateway gw(one_carrier());
  wait_until([&] { return bound_links(gw, "telkomsel") >= 1; }, startup_deadline);

  auto status = ctl(gw, {"status"});
  INFO(status.err);
  CHECK(status.code == 0);
  CHECK(status.out.find("status:") != std::string::npos);
  CHECK(status.out.find("ok") != std::string::npos);
  auto status_json = ctl(gw, {"--json", "status"});
  CHECK(status_json.code == 0);
  CHECK(json_of(status_json.out).at("status") == "ok");

  // An OTP: the answer names the id; --json gives the server's answer as is.
  auto sent = ctl(gw, {"send", "--to", "081211114001", "--otp", "48213", "--purpose", "login"});
  INFO(sent.err);
  REQUIRE(sent.code == 0);
  CHECK(sent.out.find("(carrier telkomsel)") != std::string::npos);
  CHECK(sent.out.find("48213") == std::string::npos);
  auto sent_json = ctl(gw, {"--json", "send", "--to", "081211114002", "--text", "Your parcel is on its way"});
  REQUIRE(sent_json.code == 0);
  auto answer = json_of(sent_json.out);
  auto id = answer.at("id").as_int64();
  CHECK(answer.at("carrier") == "telkomsel");
  CHECK(answer.at("state") == "queued");

  gw.wait_final({id});
  auto shown = ctl(gw, {"show", std::to_string(id)});
  INFO(shown.err);
  REQUIRE(shown.code == 0);
  CHECK(shown.out.find(fmt::format("id:        {}", id)) != std::string::npos);
  CHECK(shown.out.find("state:     delivered") != std::string::npos);
  CHECK(shown.out.find("history:") != std::string::npos);
  CHECK(shown.out.find("- -> queued") != std::string::npos);
  CHECK(shown.out.find("submitted -> delivered") != std::string::npos);
  // The enqueue row names who asked: the smsgwctl process, as the test's uid.
  auto shown_json = ctl(gw, {"--json", "show", std::to_string(id)});
  REQUIRE(shown_json.code == 0);
  auto view = json_of(shown_json.out);
  auto const& by = view.at("history").at(0).at("requested_by");
  CHECK(by.at("uid").as_int64() == static_cast<std::int64_t>(::getuid()));
  CHECK(shown.out.find(fmt::format("uid {} pid {}", ::getuid(), by.at("pid").as_int64())) != std::string::npos);
  CHECK(by.at("pid").as_int64() != static_cast<std::int64_t>(::getpid()));  // smsgwctl's, not ours

  // Refusals: 404 and 400 exit 1 with the server's words; --json still prints the body.
  auto unknown = ctl(gw, {"show", "999999"});
  CHECK(unknown.code == 1);
  CHECK(unknown.err == "smsgwctl: show 404: not_found: no such message\n");
  auto bad = ctl(gw, {"send", "--to", "12345", "--otp", "4821"});
  CHECK(bad.code == 1);
  CHECK(bad.err.find("smsgwctl: send 400: invalid_request:") == 0);
  CHECK(bad.err.find("(field to)") != std::string::npos);
  auto bad_json = ctl(gw, {"--json", "show", "999999"});
  CHECK(bad_json.code == 1);
  CHECK(json_of(bad_json.out).at("error") == "not_found");
}

TEST_CASE("smsgwctl: a caller outside the allow-list is refused with exit 1 (403)", "[e2e][smsgwctl]") {
  gateway gw(one_carrier(), {}, false);
  auto text = read_file(gw.config_path);
  text.insert(text.find("\n[api]\n") + 7, fmt::format("send_uids = [{}]\n", ::getuid() + 1));
  write_file(gw.config_path, text);
  gw.daemon.start();
  auto r = ctl(gw, {"send", "--to", "081211114003", "--otp", "59173"});
  CHECK(r.code == 1);
  CHECK(r.err.find("smsgwctl: send 403: forbidden: uid") == 0);
  CHECK(ctl(gw, {"status"}).code == 0);  // reads stay open
}

TEST_CASE("smsgwctl carriers, suspend, resume, cancel", "[e2e][smsgwctl]") {
  gateway gw(one_carrier());
  wait_until([&] { return bound_links(gw, "telkomsel") >= 1; }, startup_deadline);

  auto carriers = ctl(gw, {"carriers"});
  INFO(carriers.err);
  REQUIRE(carriers.code == 0);
  CHECK(carriers.out.find("CARRIER") == 0);
  CHECK(carriers.out.find("telkomsel") != std::string::npos);
  CHECK(carriers.out.find(" up ") != std::string::npos);
  auto carriers_json = ctl(gw, {"--json", "carriers"});
  REQUIRE(carriers_json.code == 0);
  CHECK(json_of(carriers_json.out).at("carriers").at(0).at("name") == "telkomsel");

  auto suspended = ctl(gw, {"--operator", "night-shift", "suspend", "telkomsel"});
  INFO(suspended.err);
  REQUIRE(suspended.code == 0);
  CHECK(suspended.out.find("carrier telkomsel: suspended (suspended: yes") == 0);
  CHECK(gw.daemon.logs().find("carrier telkomsel: suspended by an operator: night-shift") != std::string::npos);
  CHECK(json_of(ctl(gw, {"--json", "carriers"}).out).at("carriers").at(0).at("suspended") == true);

  // A transactional message to a suspended carrier with no alternate waits queued: cancel it.
  auto sent = ctl(gw, {"--json", "send", "--to", "081211114010", "--text", "Your invoice is ready"});
  REQUIRE(sent.code == 0);
  auto id = std::to_string(json_of(sent.out).at("id").as_int64());
  auto cancelled = ctl(gw, {"cancel", id});
  INFO(cancelled.err);
  CHECK(cancelled.code == 0);
  CHECK(cancelled.out == fmt::format("message {}: cancelled\n", id));
  // A second cancel: 409, the state said, exit 1.
  auto again = ctl(gw, {"cancel", id});
  CHECK(again.code == 1);
  CHECK(again.err == fmt::format("smsgwctl: cancel 409: message {} is cancelled: not cancelled\n", id));
  CHECK(ctl(gw, {"cancel", "999999"}).code == 1);

  auto resumed = ctl(gw, {"resume", "telkomsel"});
  REQUIRE(resumed.code == 0);
  CHECK(resumed.out.find("carrier telkomsel: up (suspended: no") == 0);
  auto unknown = ctl(gw, {"suspend", "nosuch"});
  CHECK(unknown.code == 1);
  CHECK(unknown.err == "smsgwctl: suspend 404: not_found: no such carrier\n");

  // A delivered message cannot be cancelled.
  auto otp = ctl(gw, {"--json", "send", "--to", "081211114011", "--otp", "7391"});
  REQUIRE(otp.code == 0);
  auto otp_id = json_of(otp.out).at("id").as_int64();
  gw.wait_final({otp_id});
  auto late = ctl(gw, {"cancel", std::to_string(otp_id)});
  CHECK(late.code == 1);
  CHECK(late.err == fmt::format("smsgwctl: cancel 409: message {} is delivered: not cancelled\n", otp_id));
}

TEST_CASE("smsgwctl events follows outcomes and resumes after the daemon restarts", "[e2e][smsgwctl]") {
  gateway gw(one_carrier());
  wait_until([&] { return bound_links(gw, "telkomsel") >= 1; }, startup_deadline);
  auto sent = ctl(gw, {"--json", "send", "--to", "081211114020", "--otp", "5821"});
  REQUIRE(sent.code == 0);
  auto id = json_of(sent.out).at("id").as_int64();
  gw.wait_final({id});
  // From the oldest outcome retained, only the final delivered one, as JSON lines.
  auto ev = ctl(gw, {"--json", "events", "--after", "0", "--state", "delivered", "--count", "1"});
  INFO(ev.err);
  REQUIRE(ev.code == 0);
  auto e = json_of(ev.out);
  CHECK(e.at("message_id").as_int64() == id);
  CHECK(e.at("state") == "delivered");
  auto human = ctl(gw, {"events", "--after", "0", "--state", "delivered", "--count", "1"});
  REQUIRE(human.code == 0);
  CHECK(human.out.find(fmt::format("message {}  submitted -> delivered", id)) != std::string::npos);
  auto bad = ctl(gw, {"events", "--state", "in_flight", "--count", "1"});
  CHECK(bad.code == 1);
  CHECK(bad.err.find("smsgwctl: events 400: invalid_request") == 0);
}

TEST_CASE("smsgwctl reload: the changes, or the invalid line with exit 1", "[e2e][smsgwctl]") {
  gateway gw(one_carrier());
  auto same = ctl(gw, {"reload"});
  INFO(same.err);
  REQUIRE(same.code == 0);
  CHECK(same.out.find("reloaded") == 0);
  auto same_json = ctl(gw, {"--json", "reload"});
  REQUIRE(same_json.code == 0);
  CHECK(json_of(same_json.out).at("status") == "reloaded");
  auto text = read_file(gw.config_path);
  write_file(gw.config_path, text + "\n[retry]\nmax_otp_attempts = 99\n");
  auto bad = ctl(gw, {"reload"});
  CHECK(bad.code == 1);
  CHECK(bad.err.find("the new configuration is invalid, the old one stays: ") != std::string::npos);
  CHECK(bad.err.find("retry.max_otp_attempts") != std::string::npos);
  CHECK(ctl(gw, {"status"}).code == 0);
}
