// tests/e2e/control_carriers_test.cpp: the carrier endpoints and /healthz's degraded reasons
// through the daemon's socket (issue #14): GET /v1/carriers (status objects, backlog by
// priority); POST /v1/carriers/telkomsel/suspend: its OTPs go via Indosat (checked at the
// simulators), its transactional traffic waits queued, the suspension survives a daemon
// restart, /resume sends through Telkomsel again; /healthz 503 "degraded" with reasons for a
// carrier with no bound link longer than no_bind_degraded_seconds and for min_free_mb above
// the free space (no disk is filled).
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

/// The status object of `name` in GET /v1/carriers (null if absent).
boost::json::object carrier_of(gateway const& gw, std::string const& name) {
  auto r = gw.api.get("/v1/carriers");
  if (!r.ok || r.status != 200 || !r.at("carriers").is_array()) return {};
  for (auto const& c : r.at("carriers").as_array())
    if (c.as_object().at("name").as_string() == name) return c.as_object();
  return {};
}

std::string state_of_carrier(gateway const& gw, std::string const& name) {
  auto o = carrier_of(gw, name);
  auto const* s = o.if_contains("state");
  return s && s->is_string() ? std::string(s->as_string()) : "";
}

bool reasons_mention(api_reply const& r, std::string const& text) {
  if (!r.at("reasons").is_array()) return false;
  for (auto const& v : r.at("reasons").as_array())
    if (std::string(v.as_string()).find(text) != std::string::npos) return true;
  return false;
}

std::vector<carrier_spec> pair_of_carriers(std::string const& tsel_extra = {}) {
  return {
      {"telkomsel", {"--id-format", "hex"}, "same", {"indosat"}, "sender = \"TSEL\"\n" + tsel_extra},
      {"indosat", {"--id-format", "dec"}, "same", {"telkomsel"}, "sender = \"ISAT\"\n"},
  };
}

}  // namespace

TEST_CASE("GET /v1/carriers shows each carrier's binds, state, rate, window, alternates and backlog",
          "[e2e][control]") {
  // Bulk paused all day on Telkomsel: two bulk messages wait queued (its backlog).
  gateway gw(pair_of_carriers(
      "binds = 2\n[[carrier.peak]]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\n"
      "start = \"00:00\"\nend = \"24:00\"\nbulk_share = 0\nname = \"all-day\"\n"));
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 2 && bound_links(gw, "indosat") == 1; },
                     startup_deadline));
  for (int i = 0; i < 2; ++i) {
    auto r = gw.api.post("/v1/messages", {{"to", fmt::format("0812-3335-000{}", i)}, {"text", "Promo"},
                                          {"priority", "bulk"}, {"ttl_seconds", 300}});
    REQUIRE(r.status == 202);
  }
  auto r = gw.api.get("/v1/carriers");
  INFO(r.raw);
  REQUIRE(r.status == 200);
  auto const& list = r.at("carriers").as_array();
  REQUIRE(list.size() == 2);
  auto const& t = list[0].as_object();
  CHECK(t.at("name").as_string() == "telkomsel");
  CHECK(t.at("state").as_string() == "up");
  CHECK(t.at("suspended").as_bool() == false);
  CHECK(t.at("bound_links").to_number<int>() == 2);
  CHECK(t.at("binds").to_number<int>() == 2);
  CHECK(t.at("smpp_window").to_number<int>() == 10);
  CHECK(t.at("unbound_for_ms").is_null());
  CHECK(t.at("alternates").as_array() == boost::json::array{"indosat"});
  CHECK(t.at("peak").at("window").as_string() == "all-day");
  CHECK(t.at("peak").at("cap").to_number<double>() == 200);
  CHECK(t.at("peak").at("bulk_share").to_number<double>() == 0);
  CHECK(t.at("backlog") == boost::json::object{{"otp", 0}, {"transactional", 0}, {"bulk", 2}});
  CHECK(list[1].as_object().at("name").as_string() == "indosat");
  CHECK(list[1].as_object().at("backlog") == boost::json::object{{"otp", 0}, {"transactional", 0}, {"bulk", 0}});
  // /healthz carries the same status objects, keyed by name.
  auto h = gw.api.get("/healthz");
  REQUIRE(h.status == 200);
  CHECK(h.at("carriers").at("telkomsel").at("state").as_string() == "up");
  CHECK(h.at("carriers").at("indosat").at("alternates").as_array() == boost::json::array{"telkomsel"});

  CHECK(gw.api.post_control("/v1/carriers").status == 405);
  CHECK(gw.api.get("/v1/carriers/telkomsel/suspend").status == 405);
  CHECK(gw.api.post_control("/v1/carriers/nosuch/suspend").status == 404);
  CHECK(gw.api.post_control("/v1/carriers/telkomsel/pause").status == 404);
}

TEST_CASE("a suspended carrier's OTPs go via its alternate, also after a restart, and home again after resume",
          "[e2e][control]") {
  gateway gw(pair_of_carriers());
  auto& tsel = gw.sim("telkomsel");
  auto& isat = gw.sim("indosat");
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 1 && bound_links(gw, "indosat") == 1; },
                     startup_deadline));
  auto s = gw.api.post_control("/v1/carriers/telkomsel/suspend", "night-shift");
  INFO(s.raw);
  REQUIRE(s.status == 200);
  CHECK(s.at("name").as_string() == "telkomsel");
  CHECK(s.at("state").as_string() == "suspended");
  CHECK(s.at("suspended").as_bool());
  CHECK(s.at("bound_links").to_number<int>() == 1);  // its links stay bound
  CHECK(gw.api.post_control("/v1/carriers/telkomsel/suspend").status == 200);  // idempotent
  CHECK(gw.daemon.logs().find("carrier telkomsel: suspended by an operator: night-shift") != std::string::npos);

  auto send = [&](std::string const& to, std::string const& code) {
    auto r = gw.send_otp(to, code, {{"purpose", "login-" + code}});
    REQUIRE(r.status == 202);
    return r.at("id").as_int64();
  };
  auto const first = send("0812-3336-0001", "111111");
  // Transactional traffic of a suspended carrier waits queued (it is not failed over).
  auto tx = gw.api.post("/v1/messages", {{"to", "0812-3336-0009"}, {"text", "Your order shipped"},
                                         {"priority", "transactional"}, {"ttl_seconds", 600}});
  REQUIRE(tx.status == 202);
  auto const tx_id = tx.at("id").as_int64();
  CHECK(gw.wait_final({first})[first] == "delivered");
  CHECK(isat.accepted_per_number().count("6281233360001") == 1);
  CHECK(tsel.accepted_per_number().count("6281233360001") == 0);
  for (auto const& a : isat.accepted_submits())
    if (a.number == "6281233360001") CHECK(a.sender == "ISAT");
  CHECK(gw.state_of(tx_id) == "queued");
  CHECK(carrier_of(gw, "telkomsel").at("backlog").at("transactional").to_number<int>() == 1);

  // Kept across a restart.
  REQUIRE(gw.daemon.stop() == 0);
  gw.daemon.start();
  CHECK(state_of_carrier(gw, "telkomsel") == "suspended");
  REQUIRE(wait_until([&] { return bound_links(gw, "indosat") == 1; }, startup_deadline));
  auto const second = send("0812-3336-0002", "222222");
  CHECK(gw.wait_final({second})[second] == "delivered");
  CHECK(isat.accepted_per_number().count("6281233360002") == 1);
  CHECK(tsel.accepted_per_number().count("6281233360002") == 0);
  CHECK(gw.state_of(tx_id) == "queued");

  auto r = gw.api.post_control("/v1/carriers/telkomsel/resume", "night-shift");
  INFO(r.raw);
  REQUIRE(r.status == 200);
  CHECK(r.at("suspended").as_bool() == false);
  CHECK(gw.daemon.logs().find("carrier telkomsel: resumed by an operator: night-shift") != std::string::npos);
  REQUIRE(wait_until([&] { return state_of_carrier(gw, "telkomsel") == "up"; }, startup_deadline));
  auto const third = send("0812-3336-0003", "333333");
  auto states = gw.wait_final({third, tx_id});
  CHECK(states[third] == "delivered");
  CHECK(states[tx_id] == "delivered");
  CHECK(tsel.accepted_per_number().count("6281233360003") == 1);
  CHECK(tsel.accepted_per_number().count("6281233360009") == 1);  // the transactional one, home
  CHECK(isat.accepted_per_number().count("6281233360003") == 0);
}

TEST_CASE("/healthz is degraded with reasons while a carrier has no bound link for longer than configured",
          "[e2e][control][health]") {
  gateway gw(pair_of_carriers("no_bind_degraded_seconds = 1\n"));
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 1 && bound_links(gw, "indosat") == 1; },
                     startup_deadline));
  auto ok = gw.api.get("/healthz");
  CHECK(ok.status == 200);
  CHECK(ok.at("status").as_string() == "ok");
  gw.sim("telkomsel").kill9();
  api_reply bad;
  // Waits for the carrier's reason: on a loaded machine a slow fsync can make /healthz 503
  // for a moment with another reason ("queue not answering") first.
  REQUIRE(wait_until([&] {
    bad = gw.api.get("/healthz");
    return bad.status == 503 && reasons_mention(bad, "carrier telkomsel has had no bound link for");
  }, startup_deadline));
  INFO(bad.raw);
  CHECK(bad.at("status").as_string() == "degraded");
  CHECK(reasons_mention(bad, "carrier telkomsel has had no bound link for"));
  CHECK(!reasons_mention(bad, "indosat"));
  CHECK(bad.at("carriers").at("telkomsel").at("unbound_for_ms").to_number<std::int64_t>() >= 1000);  // ms, truncated
  gw.sim("telkomsel").restart();
  REQUIRE(wait_until([&] { return gw.api.get("/healthz").status == 200; }, startup_deadline));
}

TEST_CASE("/healthz is degraded with a reason while the queue's disk has less free space than min_free_mb",
          "[e2e][control][health]") {
  gateway gw(pair_of_carriers(), {}, false);
  // More than any test machine's free space: the reason shows without filling a disk.
  auto config = read_file(gw.config_path);
  auto const at = config.find("[queue]\n");
  REQUIRE(at != std::string::npos);
  config.insert(at + 8, "min_free_mb = 1048576\n");
  write_file(gw.config_path, config);
  gw.daemon.start();
  auto r = gw.api.get("/healthz");
  INFO(r.raw);
  CHECK(r.status == 503);
  CHECK(r.at("status").as_string() == "degraded");
  CHECK(reasons_mention(r, "below min_free_mb = 1048576"));
  CHECK(r.at("reason") == r.at("reasons").as_array().front());
}
