// tests/e2e/file_size_limit_test.cpp: the real smsgw under a small RLIMIT_FSIZE (prlimit(1)
// before it execs smsgw), the way a quota or a full filesystem stops its writes. A write past
// the limit raises SIGXFSZ, whose default action kills the process: smsgw ignores it, so the
// write fails with EFBIG like any other failed write. The daemon stays up, refuses what it
// cannot store (503), and loses nothing it acknowledged: after a restart without the limit,
// every 202 is there and is delivered.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

TEST_CASE("a file size limit makes writes fail with 503, not kill the daemon, and loses nothing acknowledged",
          "[e2e][limits]") {
  std::string const prlimit = "/usr/bin/prlimit";
  REQUIRE(fs::exists(prlimit));
  carrier_spec telkomsel;
  telkomsel.name = "telkomsel";
  gateway gw({telkomsel}, {}, false);
  // 256 KiB: enough for the empty queue and its first WAL frames, reached after some dozens
  // of messages (every one writes a few 4 KiB pages to the WAL).
  gw.daemon.start({}, true, {prlimit, "--fsize=262144"});

  std::vector<std::int64_t> accepted;
  int refused = 0;
  // Bounded: at most 2000 requests; stops after the fifth refusal.
  for (int i = 0; i < 2000 && refused < 5; ++i) {
    auto r = gw.send_otp(fmt::format("0812{:08}", 30000000 + i), fmt::format("{:06}", 100000 + i));
    INFO(r.error << r.raw);
    REQUIRE(r.ok);  // answered: the daemon did not die under the request
    if (r.status == 202) {
      accepted.push_back(r.at("id").as_int64());
    } else {
      CHECK(r.status == 503);
      ++refused;
    }
  }
  INFO(gw.daemon.logs());
  REQUIRE(refused > 0);  // the limit was reached (else the test proves nothing)
  REQUIRE_FALSE(accepted.empty());
  CHECK(gw.daemon.proc().running());  // SIGXFSZ would have killed it at the first write past the limit
  auto health = gw.api.get("/healthz");
  REQUIRE(health.ok);
  CHECK(health.status == 503);

  // A restart without the limit: every acknowledged message is there and goes out.
  gw.daemon.kill9();
  gw.daemon.start();
  auto final = gw.wait_final(accepted);
  for (auto id : accepted) {
    INFO("id " << id);
    CHECK(final[id] == "delivered");
  }
}
