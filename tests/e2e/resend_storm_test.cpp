// tests/e2e/resend_storm_test.cpp: the resend interval end to end (smsgw and an smsc-sim
// process, the API socket only; docs/limits.md "Resend interval"). A user pressing "resend"
// 8 times in 2 s for one number and purpose gets at most 2 SMS (with the default 30 s
// interval: exactly one, counted at the simulator's log). In the default mode the extra
// requests get 429 with Retry-After and the id of the message that went; with
// resend_mode = "suppress" they get 200 with resend_suppressed and that same id.
#include <catch2/catch.hpp>

#include <regex>
#include <thread>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

constexpr auto storm_number = "6281211110042";

/// submit_sm the simulator accepted for `number` (from its own log).
int submits_to(smsc_sim& sim, std::string const& number) {
  std::regex accepted(R"(submit_sm smsgw \S+ -> (\d+) dc=)");
  int n = 0;
  auto const text = read_file(sim.log_path());
  for (std::sregex_iterator it(text.begin(), text.end(), accepted), end; it != end; ++it)
    if ((*it)[1].str() == number) ++n;
  return n;
}

/// A gateway with one carrier and the per-number limits on (the e2e fixture turns them
/// off): `limits_toml` replaces the fixture's [limits] table.
struct storm_gateway {
  explicit storm_gateway(std::string const& limits_toml)
      : gw({{"telkomsel", {"--id-format", "hex"}, "same", {}}}, {}, false) {
    auto text = read_file(gw.config_path);
    std::string const off = "\n[limits]\nenabled = false\n";
    auto at = text.find(off);
    if (at == std::string::npos) throw std::runtime_error("no [limits] table in the e2e config");
    text.replace(at, off.size(), "\n[limits]\nenabled = true\n" + limits_toml);
    write_file(gw.config_path, text);
    gw.daemon.start();
  }

  /// 8 OTP requests for one number and purpose, 250 ms apart (2 s in all).
  std::vector<api_reply> storm() {
    std::vector<api_reply> out;
    for (int i = 0; i < 8; ++i) {
      if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(250));
      out.push_back(gw.send_otp("0812-1111-0042", fmt::format("{:06d}", 520000 + i)));
    }
    return out;
  }

  gateway gw;
};

}  // namespace

TEST_CASE("a resend storm of 8 requests in 2 s sends at most 2 SMS, the rest get 429",
          "[e2e][limits]") {
  storm_gateway s("");  // the defaults: resend_interval_seconds = 30, resend_mode = "refuse"
  auto replies = s.storm();
  std::vector<std::int64_t> accepted;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    auto const& r = replies[i];
    INFO("request " << i << ": " << r.error << r.raw);
    REQUIRE(r.ok);
    if (r.status == 202) {
      accepted.push_back(r.at("id").as_int64());
      continue;
    }
    REQUIRE(r.status == 429);
    CHECK(r.at("error") == "rate_limited");
    CHECK(r.at("limit") == "resend interval 30 s");
    REQUIRE(r.at("sent_id").is_int64());
    REQUIRE_FALSE(accepted.empty());
    CHECK(r.at("sent_id").as_int64() == accepted.back());
    CHECK(r.at("retry_after_seconds").as_int64() >= 1);
    CHECK(r.at("retry_after_seconds").as_int64() <= 30);
  }
  REQUIRE(accepted.size() >= 1);
  CHECK(accepted.size() <= 2);
  auto final = s.gw.wait_final(accepted);
  for (auto id : accepted) {
    INFO("id " << id);
    CHECK(final[id] == "delivered");
  }
  auto sms = submits_to(s.gw.sim("telkomsel"), storm_number);
  CHECK(sms >= 1);
  CHECK(sms <= 2);

  // Another purpose for the same number is not held by the storm.
  auto other = s.gw.send_otp("0812-1111-0042", "615243", {{"purpose", "reset-password"}});
  INFO(other.raw);
  CHECK(other.status == 202);
}

TEST_CASE("with resend_mode = suppress the storm's extra requests name the message that went",
          "[e2e][limits]") {
  storm_gateway s("resend_interval_seconds = 30\nresend_mode = \"suppress\"\n");
  auto replies = s.storm();
  std::vector<std::int64_t> accepted;
  int suppressed = 0;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    auto const& r = replies[i];
    INFO("request " << i << ": " << r.error << r.raw);
    REQUIRE(r.ok);
    if (r.status == 202) {
      accepted.push_back(r.at("id").as_int64());
      continue;
    }
    REQUIRE(r.status == 200);
    CHECK(r.at("resend_suppressed").is_bool());
    CHECK(r.at("resend_suppressed") == boost::json::value(true));
    CHECK(r.at("code_sent") == boost::json::value(false));
    REQUIRE_FALSE(accepted.empty());
    CHECK(r.at("id").as_int64() == accepted.back());
    ++suppressed;
  }
  REQUIRE(accepted.size() >= 1);
  CHECK(accepted.size() <= 2);
  CHECK(suppressed + static_cast<int>(accepted.size()) == 8);
  auto final = s.gw.wait_final(accepted);
  for (auto id : accepted) CHECK(final[id] == "delivered");
  auto sms = submits_to(s.gw.sim("telkomsel"), storm_number);
  CHECK(sms >= 1);
  CHECK(sms <= 2);
}
