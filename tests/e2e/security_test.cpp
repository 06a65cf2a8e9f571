// tests/e2e/security_test.cpp: what an operator's box must never show. The API socket is
// 0660 (never world-writable); OTP codes appear in no file the daemon or the simulators
// write (stdout/stderr, DLR log, simulator logs: everything in the temp dir except the SQLite
// database, which must hold the text to send it), and once a message is final its code is
// gone from the database too; the queue files and the DLR log are 0600; the SMPP password
// never appears in the daemon's output, even at log level debug and with a carrier refusing
// the password.
#include <catch2/catch.hpp>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

bool is_database_file(fs::path const& p) {
  auto name = p.filename().string();
  return name.starts_with("queue.db");  // queue.db, -wal, -shm, -journal
}

/// Every regular file under `dir` (but the database) whose content contains `needle`.
std::vector<std::string> files_containing(fs::path const& dir, std::string const& needle) {
  std::vector<std::string> out;
  for (auto const& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file() || is_database_file(e.path())) continue;
    if (read_file(e.path()).find(needle) != std::string::npos) out.push_back(e.path().filename());
  }
  return out;
}

}  // namespace

TEST_CASE("socket mode, no OTP code or SMPP password in logs", "[e2e][security]") {
  auto carriers = five_carriers();
  // smartfren refuses our password: the daemon logs the bind failure, never the password.
  carriers[4].sim_args.insert(carriers[4].sim_args.end(), {"--fault-refuse-binds", "RINVPASWD"});
  gateway gw(carriers, "level = \"debug\"\n");

  int mode = file_mode(gw.socket_path);
  CHECK(mode == 0660);
  CHECK((mode & 0002) == 0);
  // The queue holds OTP texts: nothing the daemon creates is readable by others.
  CHECK(file_mode(gw.db_path) == 0600);
  CHECK(file_mode(gw.dlr_path) == 0600);

  // Distinctive codes (no run of them can come from a port, pid, id or timestamp).
  std::vector<std::pair<std::string, std::string>> sent{
      {"081211112001", "73195284"}, {"+6285711112002", "84206395"},
      {"6281711112003", "95317406"}, {"089611112004", "06428517"}};
  std::vector<std::int64_t> ids;
  for (auto const& [to, code] : sent) {
    auto r = gw.send_otp(to, code);
    REQUIRE(r.status == 202);
    ids.push_back(r.at("id").as_int64());
  }
  // An OTP given as whole text, and requests refused for a bad field, with codes in them.
  auto r = gw.api.post("/v1/otp", {{"to", "081211112005"}, {"text", "Your code is 51739628"}});
  REQUIRE(r.status == 202);
  ids.push_back(r.at("id").as_int64());
  sent.push_back({"081211112005", "51739628"});
  r = gw.send_otp("021-5550123", "62840173");
  CHECK(r.status == 400);
  sent.push_back({"021-5550123", "62840173"});
  r = gw.api.post("/v1/otp", {{"to", "081211112006"}, {"code", "39517284"}, {"bogus", 1}});
  CHECK(r.status == 400);
  CHECK(r.raw.find("39517284") == std::string::npos);
  sent.push_back({"081211112006", "39517284"});
  // The refusing carrier's OTP stays queued; the rest are delivered.
  r = gw.send_otp("088111112007", "28406173");
  REQUIRE(r.status == 202);
  sent.push_back({"088111112007", "28406173"});

  auto final = gw.wait_final(ids);
  for (auto id : ids) CHECK(final[id] == "delivered");
  // The refused binds happened (and were logged by the daemon) before we look.
  CHECK(wait_until([&] { return read_file(gw.sim("smartfren").log_path()).find("refused") != std::string::npos; },
                   startup_deadline));
  CHECK(gw.daemon.stop() == 0);  // flushes and closes everything it wrote

  auto logs = gw.daemon.logs();
  CHECK(logs.find("smsgw stopped") != std::string::npos);
  for (auto const& [to, code] : sent) {
    INFO("code " << code << " (to " << to << ") found in these files");
    CHECK(files_containing(gw.dir.path(), code) == std::vector<std::string>{});
  }
  CHECK(logs.find(smpp_password) == std::string::npos);
  // The database: its rows are readable in the raw bytes (a recipient is there, so the search
  // could find a code), but the delivered OTPs' codes were erased when they became final.
  auto db = read_file(gw.db_path) + read_file(fs::path(gw.db_path.string() + "-wal"));
  CHECK(db.find("6281211112001") != std::string::npos);
  for (auto const* delivered : {"73195284", "84206395", "95317406", "06428517", "51739628"}) {
    INFO("code " << delivered << " of a delivered OTP found in the database");
    CHECK(db.find(delivered) == std::string::npos);
  }
}
