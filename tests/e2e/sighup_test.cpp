// tests/e2e/sighup_test.cpp: logrotate's contract with the daemon. After the DLR log is
// renamed and SIGHUP sent, receipts go to a new file at the configured path and none to the
// renamed one; the daemon keeps running through it.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

TEST_CASE("SIGHUP reopens the DLR log at its configured path", "[e2e][sighup]") {
  gateway gw;
  auto first = gw.send_otp("081244440001", "55501234");
  REQUIRE(first.status == 202);
  auto id1 = first.at("id").as_int64();
  REQUIRE(wait_until([&] { return gw.dlr_lines_for(id1).size() == 1; }, delivery_deadline));

  auto rotated = gw.dir / "dlr.log.1";
  fs::rename(gw.dlr_path, rotated);
  gw.daemon.proc().signal(SIGHUP);
  // The reopen creates the file at the original path (empty until the next receipt).
  REQUIRE(wait_until([&] { return fs::exists(gw.dlr_path); }, startup_deadline));

  std::vector<std::int64_t> ids;
  for (auto to : {"081244440002", "085744440003", "088144440004"}) {
    auto r = gw.send_otp(to, "55505678");
    REQUIRE(r.status == 202);
    ids.push_back(r.at("id").as_int64());
  }
  REQUIRE(wait_until([&] { return gw.dlr_lines().size() == ids.size(); }, delivery_deadline));
  for (auto id : ids) {
    CHECK(gw.dlr_lines_for(id).size() == 1);
    CHECK(gw.dlr_lines_for(id, rotated).empty());
  }
  CHECK(gw.dlr_lines(rotated).size() == 1);
  CHECK(gw.dlr_lines_for(id1, rotated).size() == 1);
  CHECK(gw.daemon.proc().running());
  CHECK(gw.daemon.logs().find("dlr log reopened") != std::string::npos);
}
