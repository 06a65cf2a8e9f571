// tests/daemon/ops_logging_test.cpp: daemon/logging: the two styles (journal "<N>" lines with no
// timestamp, timestamped lines), the choice between them from $JOURNAL_STREAM (which must
// name stderr's own file), the level from config or $SMSGW_LOG_LEVEL; in-process on a string
// sink, then on the real smsgw with stderr in a file whose device:inode is (or is not) the
// JOURNAL_STREAM it is given.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <regex>

#include <fmt/format.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "daemon/logging.hpp"
#include "tests/tools/ops_util.hpp"

using namespace smsgw;
using namespace smsgw::ops_test;

namespace {

std::string dev_ino(fs::path const& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) throw std::runtime_error("stat " + p.string());
  return fmt::format("{}:{}", st.st_dev, st.st_ino);
}

/// Logs a few lines through the default logger set up as `setup`, returns what was written.
std::string log_sample(log_setup const& setup) {
  std::ostringstream out;
  install_logging(setup, std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
  spdlog::debug("probe {}", 1);
  spdlog::info("bind_transceiver tsel-1 127.0.0.1:2775: bound");
  spdlog::warn("first line\nsecond line");
  spdlog::error("queue: disk full");
  spdlog::critical("cannot start");
  spdlog::default_logger()->flush();
  return out.str();
}

/// Runs smsgw (one carrier on a closed port) with stderr in `dir`/stderr.log and `env`, until
/// its log holds `until` (bounded), then stops it; returns the log.
std::string run_daemon(temp_dir const& dir, env_changes env, bool journal, std::string const& until) {
  auto log = dir / "stderr.log";
  spit(log, "");
  if (journal) env.emplace_back("JOURNAL_STREAM", dev_ino(log));
  else if (std::none_of(env.begin(), env.end(), [](auto const& e) { return e.first == "JOURNAL_STREAM"; }))
    env.emplace_back("JOURNAL_STREAM", std::nullopt);  // ctest itself may run under systemd
  auto config = write_one_carrier_config(dir, "level = \"info\"\ndlr_log = \"\"");
  child_process daemon({SMSGW_DAEMON_EXE, "--config", config.string()}, log, log, env);
  bool seen = wait_until([&] { return slurp(log).find(until) != std::string::npos; }, 30s);
  CHECK(describe_status(daemon.stop()) == "exit 0");
  auto text = slurp(log);
  INFO(text);
  CHECK(seen);
  return text;
}

std::vector<std::string> lines_of(std::string const& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("journal style: a syslog priority per line, no timestamp") {
  auto out = log_sample({log_style::journal, spdlog::level::info, ""});
  CHECK(out ==
        "<6>bind_transceiver tsel-1 127.0.0.1:2775: bound\n"
        "<4>first line\n<4>second line\n"
        "<3>queue: disk full\n"
        "<2>cannot start\n");
}

TEST_CASE("timestamped style: UTC ISO-8601 time, level, message") {
  auto out = log_sample({log_style::timestamped, spdlog::level::debug, ""});
  auto lines = lines_of(out);
  REQUIRE(lines.size() == 6);
  std::regex stamp(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info|warning|error|critical) .*)");
  for (auto const& l : lines) {
    if (l == "second line") continue;  // a message's own newline is kept as is
    INFO(l);
    CHECK(std::regex_match(l, stamp));
  }
  CHECK(lines[0].ends_with(" debug probe 1"));
  CHECK(lines[1].ends_with(" info bind_transceiver tsel-1 127.0.0.1:2775: bound"));
}

TEST_CASE("syslog priorities of spdlog levels") {
  CHECK(syslog_priority(spdlog::level::trace) == 7);
  CHECK(syslog_priority(spdlog::level::debug) == 7);
  CHECK(syslog_priority(spdlog::level::info) == 6);
  CHECK(syslog_priority(spdlog::level::warn) == 4);
  CHECK(syslog_priority(spdlog::level::err) == 3);
  CHECK(syslog_priority(spdlog::level::critical) == 2);
}

TEST_CASE("JOURNAL_STREAM counts only when it names the stream itself") {
  temp_dir dir;
  spit(dir / "a", "");
  spit(dir / "b", "");
  int fd = ::open((dir / "a").c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  CHECK(is_journal_stream(dev_ino(dir / "a").c_str(), fd));
  CHECK_FALSE(is_journal_stream(dev_ino(dir / "b").c_str(), fd));  // stderr redirected elsewhere
  CHECK_FALSE(is_journal_stream(nullptr, fd));
  for (auto const* bad : {"", ":", "12", "12:", ":34", "x:1", "1:2:3", "-1:5", "99999999999999999999999:1"}) {
    INFO(bad);
    CHECK_FALSE(is_journal_stream(bad, fd));
  }
  CHECK(choose_log_setup("info", dev_ino(dir / "a").c_str(), nullptr, fd).style == log_style::journal);
  CHECK(choose_log_setup("info", nullptr, nullptr, fd).style == log_style::timestamped);
  ::close(fd);
}

TEST_CASE("level: config, overridden by a valid SMSGW_LOG_LEVEL") {
  CHECK(choose_log_setup("warn", nullptr, nullptr, 2).level == spdlog::level::warn);
  CHECK(choose_log_setup("warn", nullptr, "", 2).level == spdlog::level::warn);
  auto s = choose_log_setup("warn", nullptr, "trace", 2);
  CHECK(s.level == spdlog::level::trace);
  CHECK(s.warning.empty());
  s = choose_log_setup("error", nullptr, "loud", 2);
  CHECK(s.level == spdlog::level::err);
  CHECK(s.warning.find("SMSGW_LOG_LEVEL=\"loud\"") != std::string::npos);
  CHECK(parse_log_level("warning") == std::nullopt);
  CHECK(parse_log_level("off") == spdlog::level::off);
}

TEST_CASE("smsgw under systemd (JOURNAL_STREAM is its stderr) writes <N> lines without timestamps") {
  temp_dir dir;
  auto text = run_daemon(dir, {{"SMSGW_LOG_LEVEL", "debug"}}, true, "<7>");
  auto lines = lines_of(text);
  REQUIRE_FALSE(lines.empty());
  for (auto const& l : lines) {
    INFO(l);
    CHECK(std::regex_match(l, std::regex(R"(<[2-7]>.*)")));
    CHECK_FALSE(std::regex_search(l, std::regex(R"(^<\d>\d{4}-\d\d-\d\d)")));
  }
  CHECK(text.find("<6>smsgw listening on " + (dir / "api.sock").string()) != std::string::npos);
  CHECK(text.find("<6>smsgw stopped") != std::string::npos);
}

TEST_CASE("smsgw with stderr elsewhere (a file, JOURNAL_STREAM not its own) writes timestamped lines") {
  temp_dir dir;
  spit(dir / "other", "");
  auto text = run_daemon(dir, {{"JOURNAL_STREAM", dev_ino(dir / "other")}}, false, "smsgw listening on");
  auto lines = lines_of(text);
  REQUIRE_FALSE(lines.empty());
  std::regex stamp(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info|warning|error|critical) .*)");
  for (auto const& l : lines) {
    INFO(l);
    CHECK(std::regex_match(l, stamp));
  }
  CHECK(text.find(" debug ") == std::string::npos);  // config level info
}

TEST_CASE("smsgw with SMSGW_LOG_LEVEL=warn logs no info lines, and a bad value is reported") {
  temp_dir dir;
  auto text = run_daemon(dir, {{"SMSGW_LOG_LEVEL", "warn"}}, true, "<4>");
  CHECK(text.find("<6>") == std::string::npos);
  CHECK(text.find("<7>") == std::string::npos);

  temp_dir dir2;
  text = run_daemon(dir2, {{"SMSGW_LOG_LEVEL", "loud"}}, true, "smsgw listening on");
  CHECK(text.find("<4>SMSGW_LOG_LEVEL=\"loud\" is not") != std::string::npos);
}
