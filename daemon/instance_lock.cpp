// daemon/instance_lock.cpp: the exclusive flock on "<db_path>.lock" (see instance_lock.hpp).
// The pid in the file is only for the message of a refused start: the flock alone decides.
#include "daemon/instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace smsgw {

namespace {

std::string os_error(std::string const& path, char const* what, int err) {
  return fmt::format("lock file {}: {}: {}", path, what, std::strerror(err));
}

/// The pid the holder wrote, 0 if none yet (it writes right after locking) or unreadable.
pid_t read_holder(int fd) {
  char buf[32];
  auto n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(buf, buf + n, pid);
  return ec == std::errc() && pid > 0 ? pid : 0;
}

}  // namespace

std::string instance_lock_path(std::string const& db_path) { return db_path + ".lock"; }

boost::system::result<instance_lock, instance_lock_error> instance_lock::acquire(std::string path) {
  // O_NOFOLLOW: a symlink planted at the lock path must not make us create or truncate
  // another file. O_CLOEXEC: nothing we exec may inherit (and so keep) the lock.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return instance_lock_error{os_error(path, "open", errno)};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return instance_lock_error{os_error(path, "fstat", err)};
  }
  if (!S_ISREG(st.st_mode)) {  // e.g. a FIFO, which O_RDWR opens without complaint
    ::close(fd);
    return instance_lock_error{fmt::format("lock file {}: not a regular file", path)};
  }
  int rc;
  do rc = ::flock(fd, LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    int err = errno;
    if (err != EWOULDBLOCK) {
      ::close(fd);
      return instance_lock_error{os_error(path, "flock", err)};
    }
    pid_t holder = read_holder(fd);
    ::close(fd);
    auto who = holder > 0 ? fmt::format("pid {}", holder) : std::string("pid unknown");
    return instance_lock_error{
        fmt::format("lock file {} is held by another smsgw ({}) running on the same queue; "
                    "one instance per queue file",
                    path, who),
        true, holder};
  }
  // Ours now. A pid left by a previous holder (kill -9) is replaced. A failed write only
  // costs the pid in a later refusal's message, so it does not stop the start.
  auto pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] auto n = ::pwrite(fd, pid.data(), pid.size(), 0);
  }
  return instance_lock(std::move(path), fd);
}

instance_lock::instance_lock(instance_lock&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)) {}

instance_lock& instance_lock::operator=(instance_lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

// Closing the last descriptor of the open file description releases the flock. The file
// stays: removing it would race a starting instance that has it open but not yet locked.
instance_lock::~instance_lock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace smsgw
