// tests/queue/held_wal_sync.hpp: the real WAL fsync (queue/wal_sync.hpp) behind a gate a test
// can hold, counting the syncs that ran and optionally failing from the n-th one. Plug fn()
// into group_commit_options::sync. Shared by the queue and daemon tests of pipelined commit.
#pragma once

#include "queue/wal_sync.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace smsgw::queue::test {

struct held_wal_sync {
  explicit held_wal_sync(std::string path = {}) : db_path(std::move(path)) {}

  std::string db_path;             ///< the database whose "-wal" is synced (opened on first use)
  std::optional<wal_sync> real;
  std::mutex mutex;
  std::condition_variable opened;
  bool open = true;
  std::atomic<int> calls{0};
  std::atomic<int> fail_from{0};  ///< 0 = never; n = the n-th call and later fail

  void hold() {
    std::lock_guard lock(mutex);
    open = false;
  }
  void release() {
    {
      std::lock_guard lock(mutex);
      open = true;
    }
    opened.notify_all();
  }
  /// Opens the gate when the test's scope ends: a failed REQUIRE must not leave the writer
  /// or the syncer blocked behind a held gate.
  struct release_on_exit {
    held_wal_sync& gate;
    ~release_on_exit() { gate.release(); }
  };

  std::function<result<void>()> fn() {
    return [this]() -> result<void> {
      std::unique_lock lock(mutex);
      opened.wait(lock, [&] { return open; });
      int n = ++calls;
      if (fail_from != 0 && n >= fail_from) return error{errc::io_error, "fsync: injected EIO"};
      if (!real) {
        auto w = wal_sync::open(db_path);
        if (!w) return w.error();
        real.emplace(std::move(*w));
      }
      return real->sync();
    };
  }
};

}  // namespace smsgw::queue::test
