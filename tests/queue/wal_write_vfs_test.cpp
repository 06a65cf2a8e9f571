// tests/queue/wal_write_vfs_test.cpp: the VFS every queue connection opens with writes each WAL
// frame (header and page) with one write call, and loses nothing: a process that commits and
// dies without closing (no checkpoint, no close) leaves a WAL another connection recovers
// every committed row from. Real files; the write calls are counted by the kernel
// (/proc/self/io syscw), over transactions whose frame count SQLite reports.
#include <catch2/catch.hpp>

#include "queue/sqlite.hpp"
#include "queue_fixture.hpp"

#include <fstream>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

using namespace smsgw;
using namespace smsgw::queue::test;

namespace {

/// Write system calls (write, pwrite, ...) this process made so far.
long long write_calls() {
  std::ifstream in("/proc/self/io");
  std::string key;
  long long value = 0;
  while (in >> key >> value)
    if (key == "syscw:") return value;
  FAIL("no syscw in /proc/self/io");
  return 0;
}

sqlite::open_options wal_normal() {
  sqlite::open_options o;
  o.synchronous_full = false;  // no fsync calls in the count (they are not writes anyway)
  o.exclusive_lock = true;     // as the daemon opens its queue
  return o;
}

/// Creates table t, then runs `write(db)` in a child process on its own connection, which
/// exits without closing it (no checkpoint: the rows exist only as frames in the WAL); then
/// opens the file again here and returns that connection.
template <class Write>
sqlite::database after_child_dies(std::string const& path, Write write) {
  {
    auto db = sqlite::database::open(path, wal_normal());
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)");
  }
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto db = sqlite::database::open(path, wal_normal());
    write(db);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return sqlite::database::open(path, wal_normal());
}

}  // namespace

TEST_CASE("the queue's connections write each WAL frame with one write call") {
  temp_dir dir;
  auto db = sqlite::database::open(dir.file(), wal_normal());
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)");
  db.exec("INSERT INTO t (body) VALUES ('warm-up')");  // the WAL's header is written
  constexpr int commits = 50;
  auto const before = write_calls();
  for (int i = 0; i < commits; ++i)
    db.exec("INSERT INTO t (body) VALUES ('row " + std::to_string(i) + "')");
  auto const calls = write_calls() - before;
  // Each commit appended at least one frame (the table's leaf page); SQLite issues two write
  // calls per frame without this VFS, one with it.
  CHECK(calls >= commits);
  CHECK(calls < commits * 3 / 2);
  CHECK(db.query_int("SELECT count(*) FROM t") == commits + 1);
}

TEST_CASE("commits written through the VFS survive a process that dies without closing") {
  temp_dir dir;
  auto db = after_child_dies(dir.file(), [](sqlite::database& w) {
    for (int i = 0; i < 200; ++i) {
      w.exec("BEGIN IMMEDIATE");
      w.exec("INSERT INTO t (body) VALUES (printf('%0500d', " + std::to_string(i) + "))");
      w.exec("COMMIT");
    }
  });
  CHECK(db.query_int("SELECT count(*) FROM t") == 200);
  CHECK(db.query_int("SELECT count(*) FROM t WHERE length(body) = 500") == 200);
  CHECK(db.query_int("SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'") == 1);
}

TEST_CASE("a transaction that spilled and rewrote its frames survives a process that dies after COMMIT") {
  // A page cache of 10 pages: the transaction spills frames to the WAL before its COMMIT,
  // changes spilled pages again (rewritten in place), and SQLite then rewrites the checksums of
  // those frames, ending with a lone frame header behind the WAL's end. Nothing may hold it.
  temp_dir dir;
  auto db = after_child_dies(dir.file(), [](sqlite::database& w) {
    w.exec("PRAGMA cache_size = 10");
    w.exec("PRAGMA wal_autocheckpoint = 0");
    w.exec("BEGIN IMMEDIATE");
    for (int i = 0; i < 400; ++i)
      w.exec("INSERT INTO t (body) VALUES (printf('%0500d', " + std::to_string(i) + "))");
    w.exec("UPDATE t SET body = printf('%0500d', id + 1000) WHERE id <= 40");  // early pages again
    w.exec("COMMIT");
  });
  CHECK(db.query_int("SELECT count(*) FROM t") == 400);
  CHECK(db.query_int("SELECT count(*) FROM t WHERE id <= 40 AND CAST(body AS INTEGER) = id + 1000") == 40);
}
