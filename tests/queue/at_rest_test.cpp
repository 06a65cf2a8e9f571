// tests/queue/at_rest_test.cpp: what the queue keeps on disk. A message's text (an OTP code)
// is erased when the message becomes final, on every path there (receipts one by one and
// batched, a receipt held until the submit_sm_resp, rejection, expiry while queued and at a
// claim, supersede, cancel), and is gone from the bytes of the database file, read raw after
// the store is closed; the text of a message still waiting stays. An older file's final
// messages lose theirs at upgrade. The files (queue.db, -wal, -shm) are 0600 whatever the
// umask, and an older file's 0640 is tightened.
#include "queue/state.hpp"
#include "queue/store.hpp"

#include "queue_fixture.hpp"

#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <map>

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {

std::string raw_bytes(std::string const& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Everything SQLite left on disk for the database: the file and, if any, its -wal.
std::string raw_files(std::string const& db) { return raw_bytes(db) + raw_bytes(db + "-wal"); }

/// A recognisable text per message: "Kode OTP Anda: 7301xx" with a distinct number.
std::string text_for(int n) { return "Kode OTP Anda: " + std::to_string(730100 + n); }

message_id enqueue_text(store& s, int n, std::string recipient, std::string purpose,
                        std::chrono::seconds validity = 300s) {
  auto r = otp(std::move(recipient), std::move(purpose));
  r.text = text_for(n);
  r.validity = validity;
  return enqueue_ok(s, r);
}

unsigned mode_of(std::string const& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("a message's text is erased when it becomes final, on every path, and gone from the file") {
  temp_dir dir;
  auto path = dir.file();
  std::map<std::string, message_id> ids;
  {
    auto s = open_store(path);
    ids["delivered"] = enqueue_text(s, 1, "6281111111101", "a");
    ids["undeliverable"] = enqueue_text(s, 2, "6281111111102", "a");
    ids["batched receipt"] = enqueue_text(s, 3, "6281111111103", "a");
    ids["held receipt"] = enqueue_text(s, 4, "6281111111104", "a");
    ids["rejected"] = enqueue_text(s, 5, "6281111111105", "a");
    REQUIRE(s.claim("telkomsel", 10, t0())->size() == 5);
    std::vector<message_id> all{ids["delivered"], ids["undeliverable"], ids["batched receipt"],
                                ids["held receipt"], ids["rejected"]};
    REQUIRE(s.mark_sending(all, t0()).has_value());
    REQUIRE(s.mark_submitted(ids["delivered"], "telkomsel", "a1", t0() + 1s).has_value());
    REQUIRE(s.mark_submitted(ids["undeliverable"], "telkomsel", "a2", t0() + 1s).has_value());
    REQUIRE(s.mark_submitted(ids["batched receipt"], "telkomsel", "a3", t0() + 1s).has_value());
    REQUIRE(s.mark_rejected(ids["rejected"], "command_status 0x00000045", t0() + 1s).has_value());
    REQUIRE(s.apply_receipt("telkomsel", "a1", receipt_outcome::delivered, "stat:DELIVRD", t0() + 2s)->st ==
            state::delivered);
    REQUIRE(s.apply_receipt("telkomsel", "a2", receipt_outcome::undeliverable, "stat:UNDELIV", t0() + 2s)->st ==
            state::undeliverable);
    std::vector<receipt> batch{{"telkomsel", "a3", receipt_outcome::delivered, "stat:DELIVRD"}};
    REQUIRE(s.apply_receipts(batch, t0() + 2s).has_value());
    // The receipt overtakes the submit_sm_resp: held, applied by mark_submitted.
    REQUIRE(s.apply_receipt("telkomsel", "a4", receipt_outcome::delivered, "stat:DELIVRD", t0() + 2s)->status ==
            receipt_status::pending);
    REQUIRE(s.mark_submitted(ids["held receipt"], "telkomsel", "a4", t0() + 3s).has_value());

    ids["expired while queued"] = enqueue_text(s, 6, "6281111111106", "a", 10s);
    REQUIRE(s.expire_due(t0() + 20s).has_value());
    ids["expired at claim"] = enqueue_text(s, 7, "6281111111107", "a", 10s);
    REQUIRE(s.claim("telkomsel", 10, t0() + 20s)->empty());
    ids["superseded"] = enqueue_text(s, 8, "6281111111108", "login");
    ids["still queued"] = enqueue_text(s, 9, "6281111111108", "login");  // supersedes the one before
    ids["cancelled"] = enqueue_text(s, 10, "6281111111110", "a");
    REQUIRE(s.cancel(ids["cancelled"], t0() + 1s).has_value());

    for (auto const& [what, id] : ids) {
      INFO(what);
      auto m = s.get(id);
      REQUIRE(m.has_value());
      if (what == "still queued") {
        CHECK(m->st == state::queued);
        CHECK(m->text == text_for(9));
      } else {
        CHECK(is_final(m->st));
        CHECK(m->text.empty());
        // The history keeps what operators need.
        auto h = s.history(id);
        REQUIRE(h.has_value());
        CHECK(h->back().to == m->st);
      }
    }
    CHECK(s.get(ids["delivered"])->st == state::delivered);
    CHECK(s.get(ids["expired at claim"])->st == state::expired);
    CHECK(s.get(ids["superseded"])->st == state::superseded);
  }
  // Closed: the WAL is checkpointed into the file. Its bytes hold only the waiting text.
  auto bytes = raw_files(path);
  REQUIRE(bytes.find(text_for(9)) != std::string::npos);  // the scan does see stored texts
  for (int n = 1; n <= 10; ++n) {
    if (n == 9) continue;
    INFO(text_for(n));
    CHECK(bytes.find(std::to_string(730100 + n)) == std::string::npos);
  }
}

TEST_CASE("upgrading erases the texts of messages already final") {
  temp_dir dir;
  auto path = dir.file();
  message_id const done = 1, waiting = 2;
  {
    // A file as a build before schema 10 left it: a final message still holding its text.
    auto db = database_at_version(path, 9);
    auto insert = [&](message_id id, state st, std::string const& text) {
      smsgw::sqlite::statement ins(db,
          "INSERT INTO messages (id, recipient, sender, text, priority, carrier, state, "
          "created_at, expires_at, not_before, updated_at, attempts, history_len) "
          "VALUES (?1, '6281111111121', 'ACME', ?2, 0, 'telkomsel', ?3, ?4, ?5, ?4, ?4, 0, 0)");
      ins.bind(1, id).bind(2, text).bind(3, static_cast<std::int64_t>(st))
          .bind(4, to_ms(t0())).bind(5, to_ms(t0() + 5min)).run();
    };
    insert(done, state::cancelled, text_for(21));
    insert(waiting, state::queued, text_for(22));
  }
  REQUIRE(raw_files(path).find(text_for(21)) != std::string::npos);
  {
    auto s = open_store(path);
    CHECK(s.get(done)->text.empty());
    CHECK(s.get(waiting)->text == text_for(22));
  }
  auto bytes = raw_files(path);
  CHECK(bytes.find(text_for(21)) == std::string::npos);
  CHECK(bytes.find(text_for(22)) != std::string::npos);
}

TEST_CASE("queue.db, -wal and -shm are 0600 whatever the umask, and an older 0640 file is tightened") {
  temp_dir dir;
  auto path = dir.file();
  auto old_mask = ::umask(022);
  {
    auto s = open_store(path);
    enqueue_text(s, 31, "6281111111131", "a");
    for (auto const* suffix : {"", "-wal", "-shm"}) {
      INFO(path + suffix);
      CHECK(mode_of(path + suffix) == 0600);
    }
  }
  ::umask(old_mask);
  for (auto const* suffix : {"", "-wal", "-shm"}) {
    auto p = path + suffix;
    if (::access(p.c_str(), F_OK) == 0) REQUIRE(::chmod(p.c_str(), 0640) == 0);
  }
  auto s = open_store(path);
  for (auto const* suffix : {"", "-wal", "-shm"}) {
    INFO(path + suffix);
    CHECK(mode_of(path + suffix) == 0600);
  }
}
