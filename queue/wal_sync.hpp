// queue/wal_sync.hpp: makes a WAL-mode database's commits durable from a thread other than the
// writer's: fsync(2) of its "-wal" file. With synchronous=NORMAL a COMMIT writes its frames to
// the WAL without waiting for the disk; every commit that returned before sync() started is on
// stable storage when sync() returns success (frames are appended; a checkpoint syncs the WAL
// before it copies frames into the database and syncs the database after). Used by
// queue/group_commit.hpp to overlap the fsync of one round with the writer's next round.
#pragma once

#include "queue/error.hpp"

#include <string>

namespace smsgw::queue {

class wal_sync {
 public:
  /// Opens `database_path` + "-wal" (it must exist: the writer's connection has the database
  /// open in WAL mode and keeps it open) and fsyncs its directory once, so the WAL's directory
  /// entry is durable too. Error io_error naming the file.
  static result<wal_sync> open(std::string const& database_path);

  wal_sync(wal_sync&& other) noexcept;
  wal_sync& operator=(wal_sync&& other) noexcept;
  wal_sync(wal_sync const&) = delete;
  wal_sync& operator=(wal_sync const&) = delete;
  ~wal_sync();

  /// fsync of the WAL. If the file at the path is no longer the one opened (replaced after
  /// every connection closed), the new one is opened and synced too. Error io_error with
  /// errno's text. After a failure nothing written before it may be trusted to be on disk
  /// (Linux forgets the dirty pages of a failed write-back): the caller stops acknowledging.
  result<void> sync();

  std::string const& path() const noexcept { return wal_path_; }

 private:
  wal_sync() = default;
  result<bool> reopen_if_replaced();  ///< true: the path held a new file, now opened

  std::string wal_path_;
  int fd_ = -1;
};

}  // namespace smsgw::queue
