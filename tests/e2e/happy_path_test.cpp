// tests/e2e/happy_path_test.cpp: the daemon end to end on its happy path: OTPs for numbers of
// all five carriers, written in every accepted form (08xx, +628xx, 628xx, with separators),
// are accepted over the Unix socket, routed to the right carrier's simulator, and each gets a
// delivery receipt: one DLR log line per message (state=delivered) and a history that went
// queued -> ... -> submitted -> delivered.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

struct otp_case {
  std::string to, carrier, code;
};

std::vector<std::string> states_in(boost::json::value const& history) {
  std::vector<std::string> out;
  for (auto const& e : history.as_array()) out.emplace_back(e.at("to").as_string());
  return out;
}

}  // namespace

TEST_CASE("OTPs to all five carriers are accepted and delivered with receipts", "[e2e]") {
  gateway gw;
  std::vector<otp_case> cases{
      {"0812-1111-0001", "telkomsel", "90817263"},
      {"+62 852 1111 0002", "telkomsel", "90817264"},
      {"+6285711110003", "indosat", "90817265"},
      {"6281711110004", "xl", "90817266"},
      {"0877 1111 0005", "xl", "90817267"},
      {"089611110006", "tri", "90817268"},
      {"+6289911110007", "tri", "90817269"},
      {"6288111110008", "smartfren", "90817270"},
  };
  std::vector<std::int64_t> ids;
  for (auto const& c : cases) {
    auto r = gw.send_otp(c.to, c.code);
    INFO(c.to << ": " << r.error << r.raw);
    REQUIRE(r.ok);
    REQUIRE(r.status == 202);
    CHECK(r.at("carrier") == c.carrier.c_str());
    ids.push_back(r.at("id").as_int64());
  }
  CHECK(std::set<std::int64_t>(ids.begin(), ids.end()).size() == ids.size());

  auto final = gw.wait_final(ids);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    INFO(cases[i].to << " id " << ids[i]);
    CHECK(final[ids[i]] == "delivered");
  }

  {  // one delivered line per message in the DLR log
    // The line is written after the receipt is committed; the state may be visible first.
    wait_until([&] { return gw.dlr_lines().size() >= ids.size(); }, delivery_deadline);
    CHECK(gw.dlr_lines().size() == ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto lines = gw.dlr_lines_for(ids[i]);
      INFO(read_file(gw.dlr_path));
      REQUIRE(lines.size() == 1);
      CHECK(lines[0].find(" state=delivered ") != std::string::npos);
      CHECK(lines[0].find(" carrier=" + cases[i].carrier + " ") != std::string::npos);
    }
  }

  {  // GET /v1/messages/{id} shows delivered, its route and history
    for (std::size_t i = 0; i < ids.size(); ++i) {
      auto r = gw.api.get("/v1/messages/" + std::to_string(ids[i]));
      INFO(r.raw);
      REQUIRE(r.status == 200);
      CHECK(r.at("state") == "delivered");
      CHECK(r.at("carrier") == cases[i].carrier.c_str());
      CHECK(r.at("route") == cases[i].carrier.c_str());
      CHECK(!r.at("smsc_message_id").as_string().empty());
      CHECK(r.raw.find(cases[i].code) == std::string::npos);  // never the text
      auto states = states_in(r.at("history"));
      REQUIRE(states.size() >= 3);
      CHECK(states.front() == "queued");
      CHECK(std::find(states.begin(), states.end(), "submitted") != states.end());
      CHECK(states.back() == "delivered");
    }
  }

  {  // an unknown id is 404, a number of no carrier is refused
    CHECK(gw.api.get("/v1/messages/999999").status == 404);
    auto r = gw.send_otp("021-5550123", "11112222");
    CHECK(r.status == 400);
    CHECK(r.at("field") == "to");
  }
}
