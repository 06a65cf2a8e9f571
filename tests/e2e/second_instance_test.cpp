// tests/e2e/second_instance_test.cpp: a second smsgw started on the queue of a running one
// while OTPs flow through it (issue #11, defect 3) must stop before touching the queue: exit 1,
// naming the lock file and the running pid; every OTP then goes exactly once (counted in the
// simulators' logs), with no "recovery" in its history and no id=0 DLR line. Variants: the same
// config, and one differing only in the API socket (so only the lock can stop it). Also: a lock
// file left by kill -9 blocks nothing.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include <fmt/ranges.h>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

constexpr int otp_count = 400;
constexpr int posting_threads = 4;  // faster than the carriers take them: a backlog is claimed

/// A distinct number per OTP, in the form the daemon sends (62...), over the five carriers.
std::string number_for(int i) {
  static char const* const prefixes[] = {"62812", "62857", "62817", "62896", "62881"};
  return fmt::format("{}{:08d}", prefixes[i % 5], 11110000 + i);
}

/// Posts OTP i = first, first + step, ... < otp_count; records number -> id.
struct otp_stream {
  explicit otp_stream(gateway const& g) : gw(g) {}
  gateway const& gw;
  std::atomic<int> acked{0};
  std::mutex mu;
  std::map<std::string, std::int64_t> ids;
  std::vector<std::string> failures;

  void run(int first, int step) {
    for (int i = first; i < otp_count; i += step) {
      auto to = number_for(i);
      auto r = gw.send_otp(to, fmt::format("{:06d}", 300000 + i), {{"ttl_seconds", 120}});
      std::lock_guard lock(mu);
      if (!r.ok || r.status != 202) {
        failures.push_back(to + ": " + r.error + std::to_string(r.status) + " " + r.raw);
        continue;
      }
      ids[to] = r.at("id").as_int64();
      ++acked;
    }
  }
};

/// submit_sm the simulators accepted, per destination number, over all their logs.
std::map<std::string, int> accepted_submits(gateway& gw) {
  std::map<std::string, int> out;
  for (auto const& s : gw.sims)
    for (auto const& [number, n] : s->accepted_per_number()) out[number] += n;
  return out;
}

/// A second smsgw on `config`, its output in its own directory `name` under the gateway's.
/// It must exit 1 without opening the queue, naming the lock file and the running pid.
void start_second_and_check(gateway& gw, fs::path const& config, std::string const& name,
                            std::vector<std::unique_ptr<smsgw_process>>& started) {
  auto dir = gw.dir / name;
  fs::create_directory(dir);
  started.push_back(std::make_unique<smsgw_process>(dir, config, gw.dir / "unused.sock"));
  auto& b = *started.back();
  b.start({}, false);
  auto st = b.proc().wait_exit(startup_deadline);
  auto err = read_file(dir / "daemon.err");
  INFO(name << " (" << describe_status(st) << "): " << b.logs());
  CHECK(describe_status(st) == "exit 1");
  CHECK(err.find(gw.db_path.string() + ".lock") != std::string::npos);
  CHECK(err.find("pid " + std::to_string(gw.daemon.proc().pid())) != std::string::npos);
  CHECK(err.find("recovered") == std::string::npos);  // "queue ... open (recovered: ...)"
}

}  // namespace

TEST_CASE("a second smsgw on the same queue stops before touching it and every OTP goes once",
          "[e2e][lock]") {
  gateway gw;
  fs::path second_config;
  SECTION("the same config") { second_config = gw.config_path; }
  SECTION("a config that differs only in the API socket") {
    second_config = gw.dir / "second.toml";
    auto text = read_file(gw.config_path);
    auto from = "socket_path = \"" + gw.socket_path.string() + "\"";
    auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), "socket_path = \"" + (gw.dir / "second.sock").string() + "\"");
    write_file(second_config, text);
  }
  auto const a_pid = gw.daemon.proc().pid();

  otp_stream stream(gw);
  std::vector<std::unique_ptr<smsgw_process>> seconds;  // stopped after the stream is joined
  {
    std::vector<std::jthread> posters;
    for (int t = 0; t < posting_threads; ++t)
      posters.emplace_back([&stream, t] { stream.run(t, posting_threads); });
    int const start_after[] = {40, 160, 280};
    for (std::size_t k = 0; k < std::size(start_after); ++k) {
      CHECK(wait_until([&] { return stream.acked >= start_after[k]; }, startup_deadline, 1ms));
      start_second_and_check(gw, second_config, "second-" + std::to_string(k), seconds);
    }
    // --check-config reads the config only: it neither takes the lock nor is stopped by it.
    child_process check({SMSGW_DAEMON_EXE, "--check-config", "--config", second_config.string()},
                        gw.dir / "check.out", gw.dir / "check.err");
    CHECK(describe_status(check.wait_exit(startup_deadline)) == "exit 0");
    CHECK(read_file(gw.dir / "check.out").find("configuration OK") != std::string::npos);
  }  // posters joined

  INFO(fmt::format("failures: {}", fmt::join(stream.failures, "; ")));
  REQUIRE(stream.failures.empty());
  REQUIRE(stream.ids.size() == static_cast<std::size_t>(otp_count));
  CHECK(gw.daemon.proc().running());
  CHECK(read_file(gw.db_path.string() + ".lock") == std::to_string(a_pid) + "\n");

  std::vector<std::int64_t> ids;
  for (auto const& [to, id] : stream.ids) ids.push_back(id);
  auto final = gw.wait_final(ids);
  // The DLR line follows the receipt's commit: wait (bounded) for one per message.
  wait_until([&] { return gw.dlr_lines().size() >= ids.size(); }, delivery_deadline);
  auto submits = accepted_submits(gw);

  int not_delivered = 0, recovered = 0, twice = 0;
  std::string examples;  // the first few offenders, for the failure message
  auto example = [&](std::string const& what) {
    if (not_delivered + recovered + twice <= 3) examples += what + "\n";
  };
  for (auto const& [to, id] : stream.ids) {
    auto r = gw.api.get("/v1/messages/" + std::to_string(id));
    REQUIRE(r.status == 200);
    if (final[id] != "delivered") ++not_delivered, example(fmt::format("id {} ended {}", id, final[id]));
    if (r.raw.find("recovery") != std::string::npos) ++recovered, example("history: " + r.raw);
    if (submits[to] != 1) ++twice, example(fmt::format("id {}: {} accepted submit_sm", id, submits[to]));
  }
  INFO(examples);
  CHECK(not_delivered == 0);
  CHECK(recovered == 0);
  CHECK(twice == 0);
  CHECK(submits.size() == stream.ids.size());  // nothing sent that was not posted

  int unmatched = 0, delivered_lines = 0;
  for (auto const& l : gw.dlr_lines()) {
    if (l.find(" id=0 ") != std::string::npos) ++unmatched;
    if (l.find(" state=delivered ") != std::string::npos) ++delivered_lines;
  }
  CHECK(unmatched == 0);
  CHECK(delivered_lines == otp_count);
}

TEST_CASE("a lock file left by kill -9 does not block the next start", "[e2e][lock]") {
  carrier_spec telkomsel;  // one plain simulator, no alternates
  telkomsel.name = "telkomsel";
  gateway gw({telkomsel});
  auto lock_path = gw.db_path.string() + ".lock";
  auto first_pid = gw.daemon.proc().pid();
  CHECK(read_file(lock_path) == std::to_string(first_pid) + "\n");
  gw.daemon.kill9();
  REQUIRE(fs::exists(lock_path));  // left behind, naming a dead process

  gw.daemon.start();  // throws if it does not come up
  auto second_pid = gw.daemon.proc().pid();
  CHECK(read_file(lock_path) == std::to_string(second_pid) + "\n");
  auto r = gw.send_otp("0812-1111-0001", "482913");
  REQUIRE(r.status == 202);
  CHECK(gw.wait_final({r.at("id").as_int64()})[r.at("id").as_int64()] == "delivered");

  std::vector<std::unique_ptr<smsgw_process>> seconds;
  start_second_and_check(gw, gw.config_path, "second", seconds);  // names the new pid
}
