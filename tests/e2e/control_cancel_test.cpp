// tests/e2e/control_cancel_test.cpp: DELETE /v1/messages/{id} through the daemon's socket
// (issue #14). A queued message is cancelled (final, a DLR line "cancelled", never at the
// simulator); a submitted one answers 409 with its state; an unknown id 404. Racing the send:
// OTPs claimed into a slow carrier's buffer are cancelled while its link writes others: every
// 200 is a message the simulator never got, every 409 one it got; none stays in flight.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;


TEST_CASE("DELETE cancels a queued message, answers 409 for a submitted one and 404 for an unknown id",
          "[e2e][control]") {
  // Bulk is paused all day on Telkomsel: a bulk message stays queued.
  std::vector<carrier_spec> carriers{
      {"telkomsel", {"--id-format", "hex"}, "same", {},
       "[[carrier.peak]]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\n"
       "start = \"00:00\"\nend = \"24:00\"\nbulk_share = 0\n"},
  };
  gateway gw(carriers);
  auto bulk = gw.api.post("/v1/messages", {{"to", "0812-3333-0001"}, {"text", "Promo"},
                                           {"priority", "bulk"}, {"ttl_seconds", 300}});
  REQUIRE(bulk.status == 202);
  auto const bulk_id = bulk.at("id").as_int64();
  auto otp = gw.send_otp("0812-3333-0002", "482913");
  REQUIRE(otp.status == 202);
  auto const otp_id = otp.at("id").as_int64();
  // The OTP goes while the bulk message waits queued.
  REQUIRE(wait_until([&] { auto s = gw.state_of(otp_id); return s == "submitted" || s == "delivered"; },
                     delivery_deadline));
  REQUIRE(gw.state_of(bulk_id) == "queued");

  auto cancelled = gw.api.del("/v1/messages/" + std::to_string(bulk_id), "night-shift");
  INFO(cancelled.raw);
  CHECK(cancelled.status == 200);
  CHECK(cancelled.at("state").as_string() == "cancelled");
  CHECK(gw.state_of(bulk_id) == "cancelled");
  auto const h = history_states(gw, bulk_id);
  CHECK(h == std::vector<std::string>{"queued", "cancelled"});
  auto view = gw.api.get("/v1/messages/" + std::to_string(bulk_id));
  CHECK(std::string(view.at("detail").as_string()) == "cancelled through the API by night-shift");
  REQUIRE(wait_until([&] { return gw.dlr_lines_for(bulk_id).size() == 1; }, delivery_deadline));
  CHECK(gw.dlr_lines_for(bulk_id)[0].find("state=cancelled") != std::string::npos);
  CHECK(gw.daemon.logs().find("cancelled through the API by night-shift") != std::string::npos);

  // Again: it is final now.
  auto twice = gw.api.del("/v1/messages/" + std::to_string(bulk_id));
  CHECK(twice.status == 409);
  CHECK(twice.at("state").as_string() == "cancelled");

  auto written = gw.api.del("/v1/messages/" + std::to_string(otp_id));
  INFO(written.raw);
  CHECK(written.status == 409);
  CHECK(written.at("error").as_string() == "conflict");
  auto const st = std::string(written.at("state").as_string());
  CHECK((st == "submitted" || st == "delivered"));
  CHECK(gw.wait_final({otp_id})[otp_id] == "delivered");

  CHECK(gw.api.del("/v1/messages/987654").status == 404);
  CHECK(gw.api.del("/v1/messages/abc").status == 400);
  CHECK(gw.api.del("/v1/messages/" + std::to_string(otp_id), "bad operator!").status == 400);
  // Nothing of the cancelled message reached the simulator.
  CHECK(gw.sim("telkomsel").accepted_per_number().count("6281233330001") == 0);
}

TEST_CASE("cancel racing the send: a cancelled OTP never reaches the SMSC, a refused one does",
          "[e2e][control]") {
  constexpr int otp_count = 12;
  // Telkomsel at 2 SMS/s, burst 1, its link takes one at a time; Indosat, which backs it up,
  // claims Telkomsel's OTPs many at once into Telkomsel's buffer (Telkomsel is up): claimed,
  // in memory, not written yet, while the link writes one every half second.
  std::vector<carrier_spec> carriers{
      {"telkomsel", {"--id-format", "hex"}, "same", {"indosat"}, "burst = 1\n", 2},
      {"indosat", {"--id-format", "dec"}, "same", {"telkomsel"}},
  };
  gateway gw(carriers);
  std::map<std::int64_t, std::string> number_of;
  for (int i = 0; i < otp_count; ++i) {
    auto to = fmt::format("08123334{:04d}", i);
    auto r = gw.api.post("/v1/otp", {{"to", to}, {"code", fmt::format("{:06d}", 200000 + i)},
                                     {"purpose", fmt::format("race-{}", i)}, {"ttl_seconds", 120}});
    REQUIRE(r.status == 202);
    number_of[r.at("id").as_int64()] = "62" + to.substr(1);
  }
  // Several claimed into the buffer and not yet written: the cancels below race the link.
  REQUIRE(wait_until([&] {
    int n = 0;
    for (auto const& [id, number] : number_of) n += gw.state_of(id) == "in_flight";
    return n >= 3;
  }, startup_deadline));
  std::map<std::int64_t, int> answer;
  for (auto const& [id, number] : number_of) {
    auto r = gw.api.del("/v1/messages/" + std::to_string(id));
    INFO(r.raw);
    REQUIRE((r.status == 200 || r.status == 409));
    answer[id] = r.status;
  }
  std::vector<std::int64_t> ids;
  for (auto const& [id, number] : number_of) ids.push_back(id);
  auto states = gw.wait_final(ids);
  auto sent = gw.sim("telkomsel").accepted_per_number();
  for (auto const& [number, n] : gw.sim("indosat").accepted_per_number()) sent[number] += n;
  int cancelled = 0, from_buffer = 0;
  for (auto const& [id, number] : number_of) {
    INFO("message " << id << " answered " << answer[id] << ", state " << states[id]);
    if (answer[id] == 200) {
      ++cancelled;
      CHECK(states[id] == "cancelled");
      CHECK(sent.count(number) == 0);
      auto const h = history_states(gw, id);
      if (h.size() >= 2 && h[h.size() - 2] == "in_flight") ++from_buffer;
      CHECK(wait_until([&] { return gw.dlr_lines_for(id).size() == 1; }, delivery_deadline));
      for (auto const& line : gw.dlr_lines_for(id)) CHECK(line.find("state=cancelled") != std::string::npos);
    } else {
      CHECK(states[id] == "delivered");
      CHECK(sent.count(number) == 1);
    }
  }
  CHECK(cancelled >= 1);
  CHECK(from_buffer >= 1);  // claimed into the buffer, cancelled there, never written
}
