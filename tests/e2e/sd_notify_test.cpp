// tests/e2e/sd_notify_test.cpp: the daemon as a systemd Type=notify service, with the test
// playing systemd: NOTIFY_SOCKET is a datagram socket we bound, WATCHDOG_USEC is set.
// READY=1 arrives when the API socket already accepts connections, WATCHDOG=1 keeps coming,
// STOPPING=1 on SIGTERM, exit status 0; OTPs acknowledged just before the SIGTERM are all
// delivered after a restart on the same database (a graceful stop loses nothing). A manager
// that does not read (its queue full) must not stall the daemon.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

/// The manager's end of sd_notify(3): a bound AF_UNIX datagram socket, read by a thread
/// (once start_reading() is called) as systemd reads it.
class notify_socket {
 public:
  explicit notify_socket(fs::path const& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("bind notify socket " + path.string());
  }
  ~notify_socket() {
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    ::close(fd_);
  }
  notify_socket(notify_socket const&) = delete;
  notify_socket& operator=(notify_socket const&) = delete;

  fs::path const& path() const noexcept { return path_; }

  void start_reading() {
    reader_ = std::thread([this] {
      while (!stop_) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        char buf[4096];
        auto n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
        if (n <= 0) continue;
        std::lock_guard lock(mu_);
        seen_.emplace_back(buf, static_cast<std::size_t>(n));
        cv_.notify_all();
      }
    });
  }

  /// Fills the socket's receive queue to the brim, as a manager too busy to read would have it.
  int fill_queue() {
    int tx = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path_.c_str());
    int n = 0;
    if (::connect(tx, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      while (n < 1000000 && ::send(tx, "X=1", 3, 0) == 3) ++n;
    }
    ::close(tx);
    return n;
  }

  /// Waits until `n` datagrams holding the line `line` have arrived.
  bool wait_count(std::string const& line, int n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return count_locked(line) >= n; });
  }
  int count(std::string const& line) {
    std::lock_guard lock(mu_);
    return count_locked(line);
  }
  /// The last datagram holding `line`.
  std::string last_with(std::string const& line) {
    std::lock_guard lock(mu_);
    for (auto it = seen_.rbegin(); it != seen_.rend(); ++it)
      if (has_line(*it, line)) return *it;
    return {};
  }

 private:
  static bool has_line(std::string const& datagram, std::string const& line) {
    return ("\n" + datagram + "\n").find("\n" + line + "\n") != std::string::npos;
  }
  int count_locked(std::string const& line) const {
    int n = 0;
    for (auto const& d : seen_) n += has_line(d, line) ? 1 : 0;
    return n;
  }

  fs::path path_;
  int fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread reader_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> seen_;
};

std::vector<std::int64_t> send_otps(gateway& gw, int count, int base) {
  static char const* const prefixes[] = {"0812", "0857", "0817", "0896", "0881"};
  std::vector<std::int64_t> ids;
  for (int i = 0; i < count; ++i) {
    auto r = gw.send_otp(fmt::format("{}{:08d}", prefixes[i % 5], base + i), fmt::format("{:06d}", 700000 + i));
    REQUIRE(r.status == 202);
    ids.push_back(r.at("id").as_int64());
  }
  return ids;
}

}  // namespace

TEST_CASE("sd_notify: READY after listening, WATCHDOG pings, STOPPING and exit 0 on SIGTERM",
          "[e2e][sd_notify]") {
  gateway gw(five_carriers(), "", false);
  notify_socket systemd(gw.dir / "notify.sock");
  systemd.start_reading();
  env_changes env{{"NOTIFY_SOCKET", systemd.path().string()}, {"WATCHDOG_USEC", "400000"}};
  gw.daemon.start(env, false);

  REQUIRE(systemd.wait_count("READY=1", 1, startup_deadline));
  CHECK(gw.api.connectable());  // the API was listening before READY=1 was sent
  CHECK(systemd.last_with("READY=1").find("STATUS=") != std::string::npos);
  // Pings at half of WATCHDOG_USEC, from the network thread's loop, and they keep coming.
  CHECK(systemd.wait_count("WATCHDOG=1", 3, startup_deadline));

  // OTPs acknowledged right before SIGTERM: some are queued, sending or awaiting receipts.
  auto ids = send_otps(gw, 30, 33330000);
  int pings = systemd.count("WATCHDOG=1");
  CHECK(systemd.wait_count("WATCHDOG=1", pings + 2, startup_deadline));
  gw.daemon.proc().signal(SIGTERM);
  CHECK(systemd.wait_count("STOPPING=1", 1, startup_deadline));
  auto st = gw.daemon.proc().wait_exit(std::chrono::seconds(30));
  CHECK(describe_status(st) == "exit 0");
  CHECK(!fs::exists(gw.socket_path));  // removed on a graceful stop
  CHECK(systemd.count("READY=1") == 1);

  gw.daemon.start(env);
  CHECK(systemd.wait_count("READY=1", 2, startup_deadline));  // the restarted daemon's
  auto final = gw.wait_final(ids);
  for (auto id : ids) {
    INFO("id " << id << "\n" << gw.daemon.logs());
    CHECK(final[id] == "delivered");
  }
}

TEST_CASE("a manager that does not read its notify socket cannot stall the daemon",
          "[e2e][sd_notify]") {
  gateway gw(five_carriers(), "", false);
  notify_socket systemd(gw.dir / "notify.sock");
  REQUIRE(systemd.fill_queue() > 0);
  env_changes env{{"NOTIFY_SOCKET", systemd.path().string()}, {"WATCHDOG_USEC", "20000"}};
  gw.daemon.start(env);  // READY=1 finds no room: the daemon goes on without it

  auto ids = send_otps(gw, 5, 44440000);
  auto final = gw.wait_final(ids);
  for (auto id : ids) CHECK(final[id] == "delivered");

  systemd.start_reading();  // the manager catches up: the pings are still coming
  CHECK(systemd.wait_count("WATCHDOG=1", 3, startup_deadline));
  CHECK(gw.daemon.stop() == 0);
}
