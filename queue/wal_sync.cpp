// queue/wal_sync.cpp: fsync of a database's WAL file and, once, of its directory.
#include "queue/wal_sync.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace smsgw::queue {
namespace {

error io_failure(std::string_view what, std::string const& path, int err) {
  return error{errc::io_error, fmt::format("{} {}: {}", what, path, std::strerror(err))};
}

int open_read_only(std::string const& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  return fd;
}

}  // namespace

result<wal_sync> wal_sync::open(std::string const& database_path) {
  wal_sync s;
  s.wal_path_ = database_path + "-wal";
  s.fd_ = open_read_only(s.wal_path_);
  if (s.fd_ < 0) return io_failure("open", s.wal_path_, errno);
  auto dir = std::filesystem::path(s.wal_path_).parent_path();
  if (dir.empty()) dir = ".";
  int dfd = open_read_only(dir.string());
  if (dfd < 0) return io_failure("open directory", dir.string(), errno);
  int rc = ::fsync(dfd);
  int err = errno;
  ::close(dfd);
  if (rc != 0) return io_failure("fsync directory", dir.string(), err);
  return s;
}

wal_sync::wal_sync(wal_sync&& other) noexcept
    : wal_path_(std::move(other.wal_path_)), fd_(std::exchange(other.fd_, -1)) {}

wal_sync& wal_sync::operator=(wal_sync&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    wal_path_ = std::move(other.wal_path_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

wal_sync::~wal_sync() {
  if (fd_ >= 0) ::close(fd_);
}

result<bool> wal_sync::reopen_if_replaced() {
  struct stat at_path {}, opened {};
  if (::stat(wal_path_.c_str(), &at_path) != 0) {
    // No WAL at the path: every connection closed and SQLite checkpointed and deleted it, so
    // what was in it is in the database file (synced by that checkpoint).
    return false;
  }
  if (::fstat(fd_, &opened) != 0) return io_failure("fstat", wal_path_, errno);
  if (at_path.st_ino == opened.st_ino && at_path.st_dev == opened.st_dev) return false;
  int fd = open_read_only(wal_path_);
  if (fd < 0) return io_failure("open", wal_path_, errno);
  ::close(std::exchange(fd_, fd));
  return true;
}

result<void> wal_sync::sync() {
  // fdatasync, as SQLite itself uses: it also writes the size of a file that grew.
  // The open file first: frames written to it before a replacement must reach the disk too.
  if (::fdatasync(fd_) != 0) return io_failure("fsync", wal_path_, errno);
  auto replaced = reopen_if_replaced();
  if (!replaced) return replaced.error();
  if (*replaced && ::fdatasync(fd_) != 0) return io_failure("fsync", wal_path_, errno);
  return {};
}

}  // namespace smsgw::queue
