// daemon/systemd_notify.cpp: the sd_notify protocol (one datagram per message to
// $NOTIFY_SOCKET), sent without ever blocking; libsystemd only tells the watchdog interval.
#include "daemon/systemd_notify.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace smsgw {

namespace {

// sd_notify(3) sends on a blocking socket: while the manager's receive queue is full it would
// stall the network thread (and with it the pings the watchdog is meant to prove). Our own
// datagram goes on a non-blocking socket instead: a WATCHDOG=1 that finds no room is dropped (the
// next follows), READY=1/STOPPING=1 wait for room up to about a second.
// The kernel attaches our credentials for a manager with SO_PASSCRED, as systemd sets.
bool send(std::string const& text, bool important) {
  char const* path = std::getenv("NOTIFY_SOCKET");
  if (!path || (path[0] != '/' && path[0] != '@')) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::size_t len = std::strlen(path);
  if (len >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path, len);
  if (path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  bool sent = false;
  if (::connect(fd, reinterpret_cast<sockaddr const*>(&addr), addr_len) == 0) {
    for (int attempt = 0; attempt < (important ? 10 : 1) && !sent; ++attempt) {
      sent = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
      if (!sent && errno != EAGAIN) break;
      if (!sent && important) {
        pollfd p{fd, POLLOUT, 0};
        ::poll(&p, 1, 100);  // a connected datagram socket is writable when the peer has room
      }
    }
  }
  ::close(fd);
  return sent;
}

}  // namespace

void notify_ready(std::string_view status) { send("READY=1\nSTATUS=" + std::string(status), true); }
void notify_status(std::string_view status) { send("STATUS=" + std::string(status), false); }
void notify_stopping(std::string_view status) { send("STOPPING=1\nSTATUS=" + std::string(status), true); }

std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (::sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

boost::asio::awaitable<void> run_watchdog() {
  auto every = watchdog_interval();
  if (!every) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    send("WATCHDOG=1", false);
    timer.expires_after(*every);
    auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) co_return;
  }
}

}  // namespace smsgw
