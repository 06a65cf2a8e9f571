// tests/queue/rolled_back_round_test.cpp: when SQLite rolls a whole transaction back because of
// one statement (SQLITE_FULL does), everything that shared it is told so with that cause: a
// later savepoint and the commit fail with "disk full", not with "no transaction is active".
// In group_commit a writer round is one transaction, so an enqueue that shared its round with
// the work that filled the disk is refused as disk full and not stored. Real SQLite files;
// the disk is "full" by PRAGMA max_page_count.
#include "queue/group_commit.hpp"
#include "queue/sqlite.hpp"

#include "queue_fixture.hpp"

#include <algorithm>
#include <future>
#include <optional>

#include <sqlite3.h>

using namespace smsgw;
using namespace smsgw::queue;
using namespace smsgw::queue::test;

TEST_CASE("a transaction SQLite rolled back reports the cause to its savepoints and its commit") {
  temp_dir dir;
  auto db = sqlite::database::open(dir.file());
  db.exec("CREATE TABLE t (x)");
  db.exec("PRAGMA max_page_count = " + std::to_string(db.query_int("PRAGMA page_count") + 3));
  sqlite::transaction outer(db);
  db.exec("INSERT INTO t VALUES (1)");
  {
    sqlite::transaction inner(db);
    CHECK_THROWS_AS(db.exec("INSERT INTO t VALUES (zeroblob(100000))"), sqlite::error);
  }
  CHECK_FALSE(db.in_transaction());  // SQLite rolled everything back, the first insert too
  try {
    sqlite::transaction later(db);
    FAIL("a savepoint started on a rolled-back transaction");
  } catch (sqlite::error const& e) {
    CHECK(e.code() == SQLITE_FULL);
  }
  try {
    outer.commit();
    FAIL("committed a rolled-back transaction");
  } catch (sqlite::error const& e) {
    CHECK(e.code() == SQLITE_FULL);
    CHECK(std::string(e.what()).find("rolled back by an earlier error") != std::string::npos);
  }
}

TEST_CASE("an enqueue sharing a writer round with work that filled the disk is refused as disk full") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  auto const before = q.run([](store& s) {
    s.database().exec("CREATE TABLE filler (x)");
    auto const pages = s.database().query_int("PRAGMA page_count");
    s.database().exec("PRAGMA max_page_count = " + std::to_string(pages + 40));
    return s.count_by_state()->at(0);
  }).get();
  // Hold the writer so that what follows is taken as one round.
  std::promise<void> open, started;
  auto opened = open.get_future().share();
  auto held = q.run([opened, &started](store&) {
    started.set_value();
    opened.wait();
  });
  started.get_future().get();  // its round is running: the next two make the next round
  auto accepted = q.enqueue(otp("6281300000301", ""));
  auto filled = q.run([](store& s) -> result<bool> {
    try {
      s.database().exec("INSERT INTO filler VALUES (zeroblob(1000000))");
      return true;
    } catch (sqlite::error const&) {
      return false;
    }
  });
  open.set_value();
  held.get();
  auto f = filled.get();  // the round did not commit: its work is told so, with the cause
  REQUIRE_FALSE(f.has_value());
  CHECK(f.error().code == errc::disk_full);
  auto r = accepted.get();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::disk_full);
  CHECK(q.run([](store& s) { return s.count_by_state()->at(0); }).get() == before);
  CHECK(q.stats().enqueue_commit_failures == 1);  // the round: one transaction

  // Space again: the next round commits.
  q.run([](store& s) { s.database().exec("PRAGMA max_page_count = 1000000"); }).get();
  auto again = q.enqueue(otp("6281300000301", "")).get();
  REQUIRE(again.has_value());
  CHECK(again->what == enqueue_outcome::kind::accepted);
}

TEST_CASE("an enqueue that fills the disk itself counts as one failed transaction, not two") {
  temp_dir dir;
  group_commit q(open_store(dir.file()));
  // Not one page more: an enqueue's own savepoint fails, SQLite rolls the round back, and
  // the round's COMMIT fails too. That is still one enqueue transaction that did not commit.
  q.run([](store& s) {
    auto const pages = s.database().query_int("PRAGMA page_count");
    s.database().exec("PRAGMA max_page_count = " + std::to_string(pages));
  }).get();
  // Enqueues fill what room the pages had; the first one that needs a new page fails.
  std::optional<result<enqueue_outcome>> r;
  for (int i = 0; i < 5000; ++i) {
    r = q.enqueue(otp("628130001" + std::to_string(1000 + i), "")).get();
    if (!*r) break;
  }
  REQUIRE(r.has_value());
  REQUIRE_FALSE(r->has_value());
  CHECK(r->error().code == errc::disk_full);
  CHECK(q.stats().enqueue_commit_failures == 1);

  // A batch the same way: one more.
  std::promise<result<std::vector<result<enqueue_outcome>>>> batch;
  REQUIRE(q.enqueue_batch_then({otp("6281300000303", ""), otp("6281300000304", "")},
                               [&](result<std::vector<result<enqueue_outcome>>> b) {
                                 batch.set_value(std::move(b));
                               }));
  auto b = batch.get_future().get();
  bool const refused = !b || std::none_of(b->begin(), b->end(), [](auto const& x) {
    return x.has_value();
  });
  CHECK(refused);
  CHECK(q.stats().enqueue_commit_failures == 2);
}
