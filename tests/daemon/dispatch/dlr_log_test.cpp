// Tests for daemon/dispatch/dlr_log.*: the line format (golden lines), masking, one whole line per
// write even with concurrent writers of the same file, reopen() after a logrotate rename, and a
// full disk (RLIMIT_FSIZE): lost lines counted and warned about, a cut line never glued to the next.
#include <catch2/catch.hpp>

#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "daemon/dispatch/dlr_log.hpp"
#include "tests/support/temp_dir.hpp"

using namespace smsgw;
using smsgw::test::temp_dir;

namespace {

queue::time_point t0() { return queue::from_ms(1'767'225'600'000); }  // 2026-01-01T00:00:00Z

std::vector<std::string> lines_of(std::string const& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

dlr_entry entry(std::int64_t id, std::string_view state = "delivered") {
  return {t0() + std::chrono::milliseconds(5123), id, "telkomsel", "6281234567890", state, "000",
          "stat:DELIVRD err:000"};
}

// The documented format (daemon/dispatch/dlr_log.hpp), as a pattern every line must match whole.
std::regex const line_format(
    R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z id=\d+ carrier=\S+ to=\S+ state=\S+ err=\S+ detail=\S+)");

}  // namespace

TEST_CASE("format: the documented line, recipient masked, values as single tokens") {
  CHECK(format_dlr_line(entry(42)) ==
        "2026-01-01T00:00:05.123Z id=42 carrier=telkomsel to=62812****7890 state=delivered err=000 "
        "detail=stat:DELIVRD_err:000");
  // Unmatched receipt: no id, no recipient; empty values are "-".
  CHECK(format_dlr_line({t0(), 0, "xl", "", "orphan", "", ""}) ==
        "2026-01-01T00:00:00.000Z id=0 carrier=xl to=- state=orphan err=- detail=-");
  // Spaces and control characters cannot split a line or forge a field.
  auto line = format_dlr_line({t0(), 7, "x l", "6281234567890", "expired\nid=1 state=delivered", "0\r", "a\tb"});
  CHECK(line.find('\n') == std::string::npos);
  CHECK(line.find("state=expired_id=1_state=delivered ") != std::string::npos);
  CHECK(std::regex_match(line, line_format));
  // A long value is cut, so a line stays short (one write(2) is then atomic in practice).
  std::string long_detail(5000, 'd');
  CHECK(format_dlr_line({t0(), 1, "a", "6281234567890", "rejected", "", long_detail}).size() < 400);
}

TEST_CASE("mask_msisdn keeps 5 leading and 4 trailing digits") {
  CHECK(mask_msisdn("6281234567890") == "62812****7890");
  CHECK(mask_msisdn("62812345678") == "62812**5678");
  CHECK(mask_msisdn("628123456789012") == "62812******9012");
  CHECK(mask_msisdn("123456789") == "*********");
  CHECK(mask_msisdn("") == "-");
  CHECK(format_dlr_line(entry(1)).find("6281234567890") == std::string::npos);
}

TEST_CASE("write: one line per call, appended, nothing but the entry") {
  temp_dir dir;
  auto path = dir.file("dlr.log");
  {
    std::ofstream(path) << "earlier line\n";
    dlr_log log(path);
    REQUIRE(log.reopen().empty());
    CHECK(log.write(entry(1)));
    CHECK(log.write(entry(2, "undeliverable")));
    CHECK(log.write(entry(3, "expired")));
  }
  auto lines = lines_of(path);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "earlier line");
  CHECK(lines[1] == format_dlr_line(entry(1)));
  CHECK(lines[3].find(" id=3 ") != std::string::npos);
  CHECK(lines[3].find("state=expired") != std::string::npos);
  // A log without a path, or never opened, writes nothing and says so.
  dlr_log off;
  CHECK(off.reopen().empty());
  CHECK_FALSE(off.write(entry(4)));
}

TEST_CASE("reopen after a logrotate rename: new lines go to the new file") {
  temp_dir dir;
  auto path = dir.file("dlr.log");
  dlr_log log(path);
  REQUIRE(log.reopen().empty());
  log.write(entry(1));
  std::filesystem::rename(path, path + ".1");  // logrotate: rename, then SIGHUP
  log.write(entry(2));                          // before the HUP: still the old (renamed) file
  REQUIRE(log.reopen().empty());
  log.write(entry(3));
  log.write(entry(4));
  auto old_lines = lines_of(path + ".1");
  auto new_lines = lines_of(path);
  REQUIRE(old_lines.size() == 2);
  CHECK(old_lines[1].find(" id=2 ") != std::string::npos);
  REQUIRE(new_lines.size() == 2);
  CHECK(new_lines[0].find(" id=3 ") != std::string::npos);
  CHECK(new_lines[1].find(" id=4 ") != std::string::npos);
}

TEST_CASE("a failed reopen reports the path and errno and keeps the old file") {
  temp_dir dir;
  auto path = dir.file("dlr.log");
  dlr_log log(path);
  REQUIRE(log.reopen().empty());
  std::filesystem::rename(path, path + ".1");
  std::filesystem::create_directory(path);  // the path is now a directory: open fails
  auto err = log.reopen();
  CHECK(err == "open " + path + ": Is a directory");
  CHECK(log.write(entry(9)));
  CHECK(lines_of(path + ".1").size() == 1);
  // The constructor alone opens nothing; a missing directory is an error too.
  dlr_log nowhere(dir.file("missing/dlr.log"));
  CHECK(nowhere.reopen().find("No such file or directory") != std::string::npos);
}

TEST_CASE("concurrent writers (threads, and two logs on one file) never interleave or cut lines") {
  temp_dir dir;
  auto path = dir.file("dlr.log");
  dlr_log a(path), b(path);
  REQUIRE(a.reopen().empty());
  REQUIRE(b.reopen().empty());
  constexpr int threads = 4, per_thread = 2000;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      auto& log = t % 2 ? a : b;
      std::string detail(150, static_cast<char>('a' + t));  // long lines make tearing visible
      for (int i = 0; i < per_thread; ++i) {
        log.write({t0(), t * per_thread + i + 1, "telkomsel", "6281234567890", "delivered", "000", detail});
        if (t == 0 && i % 500 == 0) a.reopen();  // a SIGHUP in the middle of it all
      }
    });
  }
  for (auto& th : pool) th.join();
  auto lines = lines_of(path);
  REQUIRE(lines.size() == threads * per_thread);
  std::vector<bool> seen(threads * per_thread + 1, false);
  for (auto const& l : lines) {
    REQUIRE(std::regex_match(l, line_format));
    auto id = std::stoi(l.substr(l.find(" id=") + 4));
    REQUIRE(id >= 1);
    REQUIRE(id <= threads * per_thread);
    CHECK_FALSE(seen[static_cast<std::size_t>(id)]);
    seen[static_cast<std::size_t>(id)] = true;
  }
}

namespace {

/// RLIMIT_FSIZE as a full disk for this process's files: a write past the limit writes what
/// fits (a short write) and then fails with EFBIG (SIGXFSZ ignored). Restored on scope exit.
class file_size_limit {
 public:
  explicit file_size_limit(std::uintmax_t bytes) {
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_) == 0);
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit lower = saved_;
    lower.rlim_cur = static_cast<rlim_t>(bytes);
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &lower) == 0);
  }
  ~file_size_limit() { lift(); }
  void lift() {
    if (lifted_) return;
    lifted_ = true;
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_handler_);
  }

 private:
  rlimit saved_{};
  void (*previous_handler_)(int) = SIG_DFL;
  bool lifted_ = false;
};

/// The daemon's log lines while alive.
class warnings_capture {
 public:
  warnings_capture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(1000)) {
    previous_ = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink_));
  }
  ~warnings_capture() { spdlog::set_default_logger(previous_); }
  std::vector<std::string> lines() { return sink_->last_formatted(); }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace

TEST_CASE("a full disk: lost lines counted and warned about once, the cut line never glued to the next") {
  temp_dir dir;
  auto path = dir.file("dlr.log");
  warnings_capture logs;
  dlr_log log(path);
  REQUIRE(log.reopen().empty());
  REQUIRE(log.write(entry(1)));
  auto const first_size = std::filesystem::file_size(path);
  constexpr int lost = 50;
  {
    file_size_limit full(first_size + 30);  // room for 30 bytes of the next line, then nothing
    for (int i = 0; i < lost; ++i) CHECK_FALSE(log.write(entry(2 + i)));
  }
  auto st = log.stats();
  CHECK(st.written == 1);
  CHECK(st.lost == lost);
  CHECK(st.cut == 1);
  // Space again: the next line starts on a fresh line.
  REQUIRE(log.write(entry(100)));
  REQUIRE(log.write(entry(101)));
  auto lines = lines_of(path);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == format_dlr_line(entry(1)));
  CHECK(lines[1] == format_dlr_line(entry(2)).substr(0, 30));  // the cut line, alone
  CHECK(lines[2] == format_dlr_line(entry(100)));
  CHECK(lines[3] == format_dlr_line(entry(101)));
  // Warned (rate-limited: not one line per lost line), then told that writing works again.
  std::size_t warnings = 0, recovered = 0;
  for (auto const& l : logs.lines()) {
    if (l.find("line(s) not written") != std::string::npos) ++warnings;
    if (l.find("writing again") != std::string::npos) ++recovered;
    CHECK(l.find("62812") == std::string::npos);  // no number, masked or not
  }
  CHECK(warnings >= 1);
  CHECK(warnings <= 2);
  CHECK(recovered == 1);
  CHECK(log.stats().written == 3);
}

TEST_CASE("a cut line left by an earlier run is ended before the first new line") {
  temp_dir dir;
  auto path = dir.file("dlr.log");
  std::ofstream(path) << format_dlr_line(entry(1)) << "\n" << format_dlr_line(entry(2)).substr(0, 25);
  dlr_log log(path);
  REQUIRE(log.reopen().empty());
  REQUIRE(log.write(entry(3)));
  auto lines = lines_of(path);
  REQUIRE(lines.size() == 3);
  CHECK(lines[1] == format_dlr_line(entry(2)).substr(0, 25));
  CHECK(lines[2] == format_dlr_line(entry(3)));
}

TEST_CASE("the DLR log is created 0600 whatever the umask, and never opened through a symlink") {
  temp_dir dir;
  auto path = dir.file("dlr.log");
  auto old_mask = ::umask(022);
  {
    dlr_log log(path);
    REQUIRE(log.reopen().empty());
    CHECK(log.write(entry(1)));
  }
  ::umask(old_mask);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);

  // A symlink at the path (to a file the daemon may write, or to nothing yet) is refused.
  auto target = dir.file("elsewhere");
  std::ofstream(target) << "not a DLR log\n";
  auto link = dir.file("dlr-link.log");
  std::filesystem::create_symlink(target, link);
  dlr_log linked(link);
  CHECK(linked.reopen() == "open " + link + ": is a symbolic link; refusing to follow it");
  CHECK_FALSE(linked.write(entry(2)));
  auto dangling = dir.file("dlr-dangling.log");
  std::filesystem::create_symlink(dir.file("missing"), dangling);
  dlr_log nowhere(dangling);
  CHECK(nowhere.reopen().find("is a symbolic link") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("missing")));
  CHECK(lines_of(target) == std::vector<std::string>{"not a DLR log"});
  // A SIGHUP that finds a symlink where the file was keeps writing to the old file.
  dlr_log log(path);
  REQUIRE(log.reopen().empty());
  std::filesystem::rename(path, path + ".1");
  std::filesystem::create_symlink(target, path);
  CHECK(log.reopen().find("is a symbolic link") != std::string::npos);
  CHECK(log.write(entry(3)));
  CHECK(lines_of(path + ".1").size() == 2);
  CHECK(lines_of(target).size() == 1);
}

TEST_CASE("coalesced: a turn's lines are written together at its end, whole and in order") {
  temp_dir dir;
  auto path = dir.file("dlr.log");
  boost::asio::io_context io(1);
  {
    dlr_log log(path);
    REQUIRE(log.reopen().empty());
    log.coalesce_on(io.get_executor());
    CHECK(log.write(entry(1)));
    CHECK(log.write(entry(2, "undeliverable")));
    CHECK(log.write(entry(3, "expired")));
    CHECK(lines_of(path).empty());  // they wait for the end of the turn
    CHECK(log.stats().written == 0);
    io.run();
    auto lines = lines_of(path);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == format_dlr_line(entry(1)));
    CHECK(lines[1] == format_dlr_line(entry(2, "undeliverable")));
    CHECK(lines[2] == format_dlr_line(entry(3, "expired")));
    CHECK(log.stats().written == 3);
    // Written at destruction too, when the loop does not run again.
    CHECK(log.write(entry(4)));
  }
  auto lines = lines_of(path);
  REQUIRE(lines.size() == 4);
  CHECK(lines[3] == format_dlr_line(entry(4)));
}

TEST_CASE("coalesced, a full disk: whole lines counted written, the cut one cut, the rest lost") {
  temp_dir dir;
  auto path = dir.file("dlr.log");
  warnings_capture logs;
  boost::asio::io_context io(1);
  dlr_log log(path);
  REQUIRE(log.reopen().empty());
  log.coalesce_on(io.get_executor());
  auto run_turn = [&] {
    io.restart();
    io.run();
  };
  REQUIRE(log.write(entry(1)));
  run_turn();
  auto const first_size = std::filesystem::file_size(path);
  auto const second = format_dlr_line(entry(2)).size() + 1;
  {
    file_size_limit full(first_size + second + 30);  // line 2 whole, 30 bytes of line 3
    for (int id = 2; id <= 5; ++id) CHECK(log.write(entry(id)));
    run_turn();
  }
  auto st = log.stats();
  CHECK(st.written == 2);
  CHECK(st.lost == 3);
  CHECK(st.cut == 1);
  REQUIRE(log.write(entry(100)));
  run_turn();
  auto lines = lines_of(path);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == format_dlr_line(entry(1)));
  CHECK(lines[1] == format_dlr_line(entry(2)));
  CHECK(lines[2] == format_dlr_line(entry(3)).substr(0, 30));  // the cut line, alone
  CHECK(lines[3] == format_dlr_line(entry(100)));
  CHECK(log.stats().written == 3);
}
