// tests/e2e/failover_test.cpp: issue #13 §3, §4 and the sender point of §5 with the daemon as
// a process, two `smsc-sim` carriers on 127.0.0.1 and the API socket only.
// - Telkomsel's SMSC accepts every submit_sm and never sends a receipt (--outcomes NONE=100):
//   with receipt_timeout_ms = 1000 the OTP is retried via its alternate Indosat and delivered
//   there, before its validity ends; the history and the DLR log name the silent carrier.
// - Telkomsel's SMSC answers every OTP with REJECTD err:069, which its config lists as
//   filtered: the OTP goes to Indosat at once (one submit_sm to Telkomsel, no receipt timeout
//   involved), the DLR line says class:filtered, and the submit_sm Indosat received carries
//   Indosat's registered sender ID, not Telkomsel's (read from the simulators' logs).
// Every wait is bounded and polls; nothing asserts on elapsed time.
#include <catch2/catch.hpp>

#include <algorithm>
#include <regex>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

/// Source address of each submit_sm the simulator accepted for `number` (62...), in order.
std::vector<std::string> senders_to(smsc_sim& sim, std::string const& number) {
  std::vector<std::string> out;
  for (auto const& a : sim.accepted_submits())
    if (a.number == number) out.push_back(a.sender);
  return out;
}

struct history_entry {
  std::string to, route, detail;
  std::int64_t at_ms = 0;
};

std::vector<history_entry> history(gateway const& gw, std::int64_t id) {
  std::vector<history_entry> out;
  auto m = gw.api.get("/v1/messages/" + std::to_string(id));
  if (!m.ok || !m.at("history").is_array()) return out;
  for (auto const& h : m.at("history").as_array()) {
    auto const& o = h.as_object();
    out.push_back({std::string(o.at("to").as_string()), std::string(o.at("route").as_string()),
                   std::string(o.at("detail").as_string()), o.at("at_ms").to_number<std::int64_t>()});
  }
  return out;
}

bool any_detail(std::vector<history_entry> const& h, std::string_view text) {
  return std::any_of(h.begin(), h.end(),
                     [&](history_entry const& e) { return e.detail.find(text) != std::string::npos; });
}

bool dlr_line_with(std::vector<std::string> const& lines, std::string_view a, std::string_view b) {
  return std::any_of(lines.begin(), lines.end(), [&](std::string const& l) {
    return l.find(a) != std::string::npos && l.find(b) != std::string::npos;
  });
}

}  // namespace

TEST_CASE("a carrier that sends no receipts: the OTP goes via the alternate after receipt_timeout",
          "[e2e][failover]") {
  std::vector<carrier_spec> carriers{
      {"telkomsel", {"--outcomes", "NONE=100"}, "same", {"indosat"},
       "receipt_timeout_ms = 1000\nsender = \"TSEL\"\n"},
      {"indosat", {}, "same", {}, "sender = \"ISAT\"\n"},
  };
  gateway gw(carriers);
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 1 && bound_links(gw, "indosat") == 1; },
                     startup_deadline));
  auto r = gw.send_otp("081277770001", "482913");
  REQUIRE(r.status == 202);
  auto const id = r.at("id").as_int64();
  auto const expires_at = r.at("expires_at_ms").as_int64();

  auto final = gw.wait_final({id});
  REQUIRE(final[id] == "delivered");
  auto m = gw.api.get("/v1/messages/" + std::to_string(id));
  CHECK(m.at("route").as_string() == "indosat");
  CHECK(m.at("attempts").to_number<int>() == 2);
  auto h = history(gw, id);
  CHECK(any_detail(h, "no receipt from telkomsel for attempt 1"));
  CHECK(any_detail(h, "retry via indosat"));
  // Delivered while the code was still valid.
  REQUIRE(!h.empty());
  CHECK(h.back().to == "delivered");
  CHECK(h.back().at_ms < expires_at);

  // One submit_sm each, each with its own carrier's registered sender.
  CHECK(senders_to(gw.sim("telkomsel"), "6281277770001") == std::vector<std::string>{"TSEL"});
  CHECK(senders_to(gw.sim("indosat"), "6281277770001") == std::vector<std::string>{"ISAT"});
  // The DLR log: the retry line names the silent carrier, then the delivery.
  REQUIRE(wait_until([&] { return dlr_line_with(gw.dlr_lines_for(id), "carrier=indosat", "state=delivered"); },
                     delivery_deadline));
  CHECK(dlr_line_with(gw.dlr_lines_for(id), "carrier=telkomsel", "state=queued"));
  // The metrics count telkomsel's attempt as no_receipt (issue #13 §3-§4: the metrics class it).
  auto metrics = gw.api.get("/metrics");
  REQUIRE(metrics.ok);
  CHECK(metrics.raw.find(R"(smsgw_receipt_outcomes_total{carrier="telkomsel",outcome="no_receipt",route="telkomsel"} 1)") !=
        std::string::npos);
  CHECK(metrics.raw.find(R"(smsgw_retries_total{reason="no_receipt"} 1)") != std::string::npos);
  CHECK(metrics.raw.find(R"(smsgw_reroutes_total{reason="no_receipt"} 1)") != std::string::npos);
}

TEST_CASE("a filtered receipt code: the alternate at once, with the alternate's sender ID on the wire",
          "[e2e][failover]") {
  std::vector<carrier_spec> carriers{
      {"telkomsel", {"--outcomes", "REJECTD=100", "--rejectd-err", "069"}, "same", {"indosat"},
       "filtered_errors = [\"err:069\"]\nsender = \"TSEL\"\n"},
      {"indosat", {}, "same", {}, "sender = \"ISAT\"\n"},
  };
  gateway gw(carriers);
  REQUIRE(wait_until([&] { return bound_links(gw, "telkomsel") == 1 && bound_links(gw, "indosat") == 1; },
                     startup_deadline));
  auto r = gw.send_otp("081277770002", "482914");
  REQUIRE(r.status == 202);
  auto const id = r.at("id").as_int64();

  auto final = gw.wait_final({id});
  REQUIRE(final[id] == "delivered");
  auto m = gw.api.get("/v1/messages/" + std::to_string(id));
  CHECK(m.at("route").as_string() == "indosat");
  auto h = history(gw, id);
  CHECK(any_detail(h, "err:069 class:filtered (filtered; retried)"));
  CHECK_FALSE(any_detail(h, "no receipt"));  // not the receipt timeout: at once

  CHECK(senders_to(gw.sim("telkomsel"), "6281277770002") == std::vector<std::string>{"TSEL"});
  CHECK(senders_to(gw.sim("indosat"), "6281277770002") == std::vector<std::string>{"ISAT"});
  REQUIRE(wait_until([&] { return dlr_line_with(gw.dlr_lines_for(id), "carrier=indosat", "state=delivered"); },
                     delivery_deadline));
  CHECK(dlr_line_with(gw.dlr_lines_for(id), "carrier=telkomsel", "class:filtered"));
  // Counted as filtered in the metrics, not as rejected (issue #13 §4).
  auto metrics = gw.api.get("/metrics");
  REQUIRE(metrics.ok);
  CHECK(metrics.raw.find(R"(smsgw_receipt_outcomes_total{carrier="telkomsel",outcome="filtered",route="telkomsel"} 1)") !=
        std::string::npos);
  CHECK(metrics.raw.find(R"(smsgw_receipt_outcomes_total{carrier="telkomsel",outcome="rejected",route="telkomsel"} 0)") !=
        std::string::npos);
  CHECK(metrics.raw.find(R"(smsgw_retries_total{reason="filtered"} 1)") != std::string::npos);
  CHECK(metrics.raw.find(R"(smsgw_retries_total{reason="failed_receipt"} 0)") != std::string::npos);

  // A named sender is used on every route.
  auto named = gw.send_otp("081277770003", "482915", {{"sender", "ACME"}});
  REQUIRE(named.status == 202);
  auto const id2 = named.at("id").as_int64();
  REQUIRE(gw.wait_final({id2})[id2] == "delivered");
  CHECK(senders_to(gw.sim("telkomsel"), "6281277770003") == std::vector<std::string>{"ACME"});
  CHECK(senders_to(gw.sim("indosat"), "6281277770003") == std::vector<std::string>{"ACME"});
}
