// daemon/instance_lock.hpp: one smsgw per queue file. An exclusive flock(2) on
// `<db_path>.lock`, taken before anything opens the queue and held for the life of the
// process; the holder's pid is written into the file so a refused start can name it.
// Design decision: flock, not the file's existence: the lock dies with its process (kill -9
// included), so a lock file left behind never blocks the next start; it is simply reused.
#pragma once

#include <sys/types.h>

#include <string>

#include <boost/system/result.hpp>

namespace smsgw {

/// Why the lock was not taken. `message` names the lock file (and the holder's pid if known).
struct instance_lock_error {
  std::string message;
  bool held_by_other = false;  ///< another process holds it (as opposed to an I/O error)
  pid_t holder = 0;            ///< the pid written by the holder; 0 = unknown
};

/// The lock file beside the queue database: "<db_path>.lock".
std::string instance_lock_path(std::string const& db_path);

/// Holds the lock while it lives (the descriptor stays open; closing it releases the lock).
class instance_lock {
 public:
  /// Opens (creating it 0600 if missing; never through a symlink) and locks `path` without
  /// waiting, then writes our pid into it.
  static boost::system::result<instance_lock, instance_lock_error> acquire(std::string path);

  instance_lock(instance_lock&& other) noexcept;
  instance_lock& operator=(instance_lock&& other) noexcept;
  instance_lock(instance_lock const&) = delete;
  instance_lock& operator=(instance_lock const&) = delete;
  ~instance_lock();

  std::string const& path() const noexcept { return path_; }

 private:
  instance_lock(std::string path, int fd) noexcept : path_(std::move(path)), fd_(fd) {}

  std::string path_;
  int fd_ = -1;
};

}  // namespace smsgw
