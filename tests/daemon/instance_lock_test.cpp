// Tests for daemon/instance_lock.*: a second acquisition through a new open file description
// (what a second smsgw does) is refused naming the file and the holder's pid; after release it
// succeeds; a stale file (pid of a dead holder) does not block; the file is 0600 and never
// reached through a symlink.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "daemon/instance_lock.hpp"
#include "tests/support/temp_dir.hpp"

using namespace smsgw;
using smsgw::test::temp_dir;

namespace {

std::string contents(std::string const& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string our_pid() { return std::to_string(::getpid()); }

}  // namespace

TEST_CASE("instance_lock: the lock file sits beside the queue database") {
  CHECK(instance_lock_path("/var/lib/smsgw/queue.db") == "/var/lib/smsgw/queue.db.lock");
}

TEST_CASE("instance_lock: a second acquisition is refused with the holder's pid, then succeeds after release") {
  temp_dir dir;
  auto path = dir.file("queue.db.lock");
  std::optional<instance_lock> first;
  {
    auto r = instance_lock::acquire(path);
    REQUIRE(r.has_value());
    first.emplace(std::move(*r));
  }
  CHECK(first->path() == path);
  CHECK(contents(path) == our_pid() + "\n");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);

  // flock belongs to the open file description: a new open() in this same process conflicts,
  // exactly as another process would.
  auto second = instance_lock::acquire(path);
  REQUIRE(!second.has_value());
  CHECK(second.error().held_by_other);
  CHECK(second.error().holder == ::getpid());
  INFO(second.error().message);
  CHECK(second.error().message.find(path) != std::string::npos);
  CHECK(second.error().message.find("pid " + our_pid()) != std::string::npos);
  CHECK(contents(path) == our_pid() + "\n");  // the refused one wrote nothing

  first.reset();  // closing the descriptor releases the lock; the file stays
  CHECK(std::filesystem::exists(path));
  auto third = instance_lock::acquire(path);
  REQUIRE(third.has_value());
  auto moved = std::move(*third);  // the lock travels with the object
  CHECK(!instance_lock::acquire(path).has_value());
}

TEST_CASE("instance_lock: a stale lock file left by a killed holder is reused") {
  temp_dir dir;
  // A pid of a dead holder, longer than ours, so a missing truncate would show.
  auto path = dir.write("queue.db.lock", "2147483646\nleftover\n");
  auto r = instance_lock::acquire(path);
  REQUIRE(r.has_value());
  CHECK(contents(path) == our_pid() + "\n");
}

TEST_CASE("instance_lock: a symlink or a non-regular file at the lock path is refused") {
  temp_dir dir;
  auto target = dir.write("elsewhere", "keep me\n");
  auto link = dir.file("queue.db.lock");
  std::filesystem::create_symlink(target, link);
  auto r = instance_lock::acquire(link);
  REQUIRE(!r.has_value());
  CHECK(!r.error().held_by_other);
  CHECK(r.error().message.find(link) != std::string::npos);
  CHECK(contents(target) == "keep me\n");  // neither truncated nor written

  auto fifo = dir.file("fifo.lock");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto f = instance_lock::acquire(fifo);
  REQUIRE(!f.has_value());
  CHECK(f.error().message.find("not a regular file") != std::string::npos);
}
