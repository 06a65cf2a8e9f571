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
