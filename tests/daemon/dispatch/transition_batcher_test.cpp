// tests/daemon/dispatch/transition_batcher_test.cpp: group commit of submit results and receipts
// (daemon/dispatch/transition_batcher.hpp) on a real SQLite file behind the real group-commit writer.
// The writer is held busy by a task waiting on a gate: reports made meanwhile must be committed
// together (counted in the batcher's stats), each answered only after the commit that recorded
// it (checked from a second, independent connection), a failed receipt batch answers every one
// of its receipts with the error and records none, and a receipt never commits before a submit
// result that was reported ahead of it, whatever the batch bound.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "daemon/dispatch/transition_batcher.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/daemon/dispatch/writer_gate.hpp"

using namespace smsgw;
namespace asio = boost::asio;
using queue::state;
using test::writer_gate;

namespace {

constexpr char const* carrier = "tsel";

/// A real store behind a real writer, and a second connection that sees only what is committed.
struct world {
  test::temp_dir dir;
  std::string path = dir.file("queue.db");
  asio::io_context io{1};  // before gc: the writer is stopped first, then the handlers go
  std::optional<queue::group_commit> gc;
  sqlite::database reader;

  world() {
    queue::store_options o;
    o.sqlite.synchronous_full = false;
    auto s = queue::store::open(path, o);
    REQUIRE(s.has_value());
    gc.emplace(std::move(*s));
    reader = test::open_reader(path);
  }

  /// n messages claimed and handed to a link (in_flight with the sending mark), ids in order.
  std::vector<queue::message_id> in_flight(int n) {
    auto r = gc->run([n](queue::store& s) -> queue::result<std::vector<queue::message_id>> {
      std::vector<queue::enqueue_request> reqs;
      for (int i = 0; i < n; ++i) {
        queue::enqueue_request q;
        q.recipient = "62811400" + std::to_string(1000 + i);
        q.sender = "SMSGW";
        q.text = "Kode 000000";
        q.carrier = carrier;
        q.now = queue::clock::now();
        reqs.push_back(std::move(q));
      }
      if (auto e = s.enqueue_batch(reqs); !e) return e.error();
      auto claimed = s.claim(carrier, static_cast<std::size_t>(n), queue::clock::now());
      if (!claimed) return claimed.error();
      std::vector<queue::message_id> ids;
      for (auto const& m : *claimed) ids.push_back(m.id);
      return s.mark_sending(ids, queue::clock::now());
    }).get();
    REQUIRE(r.has_value());
    REQUIRE(r->size() == static_cast<std::size_t>(n));
    return *r;
  }

  /// The committed state of `id`, read outside the writer (never waits for it).
  state committed_state(queue::message_id id) { return test::committed_state(reader, id); }

  template <class Pred>
  bool run_until(Pred done) {
    auto const guard = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!done() && std::chrono::steady_clock::now() < guard) {
      io.restart();
      io.run_for(std::chrono::milliseconds(10));
    }
    return done();
  }
  /// Runs until `b.drained()` completes (bounded): whether it did.
  bool drain(transition_batcher& b) {
    bool drained = false;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      co_await b.drained();
      drained = true;
    }, asio::detached);
    return run_until([&] { return drained; });
  }
};

std::string smsc_id(queue::message_id id) { return "a" + std::to_string(1000 + id); }

queue::submission submission_of(queue::message_id id) {
  return {id, carrier, smsc_id(id), carrier};
}

queue::receipt receipt_of(queue::message_id id) {
  return {carrier, smsc_id(id), queue::receipt_outcome::delivered, "stat:DELIVRD err:000"};
}

}  // namespace

TEST_CASE("submit results reported while the writer is busy are committed together",
          "[transition_batcher]") {
  world w;
  auto ids = w.in_flight(40);
  transition_batcher b(*w.gc, w.io.get_executor());
  std::vector<std::optional<transition_batcher::submit_answer>> answers(ids.size());
  std::vector<state> committed_at_answer(ids.size(), state::queued);
  {
    writer_gate gate(*w.gc);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      // One of them is refused by the store (reported twice: the second finds it submitted).
      auto sub = submission_of(ids[i]);
      b.submitted(sub, [&, i](transition_batcher::submit_answer a) {
        committed_at_answer[i] = w.committed_state(ids[i]);
        answers[i] = std::move(a);
      });
    }
    b.submitted(submission_of(ids[7]), [&](transition_batcher::submit_answer a) {
      CHECK_FALSE(a.has_value());  // the refused one alone
      if (!a) CHECK(a.error().code == queue::errc::invalid_state);
    });
    w.io.restart();
    w.io.run_for(std::chrono::milliseconds(50));
    for (auto const& a : answers) CHECK_FALSE(a.has_value());  // nothing answered uncommitted
    CHECK_FALSE(b.idle());
  }
  REQUIRE(w.run_until([&] { return b.idle(); }));
  for (std::size_t i = 0; i < ids.size(); ++i) {
    REQUIRE(answers[i].has_value());
    REQUIRE(answers[i]->has_value());
    CHECK((*answers[i])->st == state::submitted);
    CHECK(committed_at_answer[i] == state::submitted);
  }
  // The first report went to the writer at once (alone); the other 40 waited and went together.
  auto const& st = b.stats();
  CHECK(st.flushes == 2);
  CHECK(st.submit_batches == 2);
  CHECK(st.submits == 41);
  CHECK(st.largest == 40);
  CHECK(st.receipt_batches == 0);
}

TEST_CASE("receipts are answered after their commit, a failed batch answers each with the error",
          "[transition_batcher]") {
  world w;
  auto ids = w.in_flight(12);
  transition_batcher b(*w.gc, w.io.get_executor());
  std::vector<queue::submission> subs;
  for (auto id : ids) subs.push_back(submission_of(id));
  REQUIRE(w.gc->run([&](queue::store& s) { return s.mark_submitted_batch(subs, queue::clock::now()); })
              .get()
              .has_value());

  std::vector<std::optional<transition_batcher::receipt_answer>> answers(ids.size());
  std::vector<state> committed_at_answer(ids.size(), state::queued);
  auto report = [&](std::size_t i) {
    b.receipt(receipt_of(ids[i]), [&, i](transition_batcher::receipt_answer a) {
      committed_at_answer[i] = w.committed_state(ids[i]);
      answers[i] = std::move(a);
    });
  };
  std::optional<transition_batcher::receipt_answer> bad_answer;
  {
    writer_gate gate(*w.gc);
    report(0);  // to the writer at once, alone
    for (std::size_t i = 1; i < 6; ++i) report(i);
    // A receipt the store refuses (no SMSC id) poisons the batch it is in: all-or-nothing.
    b.receipt({carrier, "", queue::receipt_outcome::delivered, "stat:DELIVRD"},
              [&](transition_batcher::receipt_answer a) { bad_answer = std::move(a); });
    for (std::size_t i = 6; i < 9; ++i) report(i);
  }
  REQUIRE(w.run_until([&] { return b.idle(); }));
  REQUIRE(answers[0].has_value());
  REQUIRE(answers[0]->has_value());
  CHECK((*answers[0])->res.status == queue::receipt_status::applied);
  REQUIRE((*answers[0])->msg.has_value());
  CHECK((*answers[0])->msg->st == state::delivered);
  CHECK(committed_at_answer[0] == state::delivered);  // committed before the answer
  REQUIRE(bad_answer.has_value());
  CHECK_FALSE(bad_answer->has_value());
  for (std::size_t i = 1; i < 9; ++i) {
    INFO("receipt " << i);
    REQUIRE(answers[i].has_value());
    REQUIRE_FALSE(answers[i]->has_value());
    CHECK(answers[i]->error().code == queue::errc::invalid_argument);
    CHECK(committed_at_answer[i] == state::submitted);  // nothing of the batch recorded
  }
  CHECK(b.stats().receipt_batches == 2);

  // The SMSC redelivers the refused ones (and one more, never reported): all recorded now.
  for (std::size_t i = 1; i < ids.size(); ++i) report(i);
  REQUIRE(w.run_until([&] { return b.idle(); }));
  for (std::size_t i = 1; i < ids.size(); ++i) {
    INFO("receipt " << i);
    REQUIRE(answers[i]->has_value());
    CHECK((*answers[i])->res.status == queue::receipt_status::applied);
    CHECK(committed_at_answer[i] == state::delivered);
  }
}

TEST_CASE("a receipt never commits before a submit result reported ahead of it",
          "[transition_batcher]") {
  // Small batches so that the cut falls between a submit result and its receipt.
  auto const max_batch = GENERATE(std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{1000});
  world w;
  auto ids = w.in_flight(9);
  transition_batcher b(*w.gc, w.io.get_executor(), max_batch);
  std::vector<std::optional<transition_batcher::receipt_answer>> answers(ids.size());
  std::vector<std::optional<transition_batcher::submit_answer>> submitted(ids.size());
  {
    writer_gate gate(*w.gc);
    // Each submit_sm_resp, then its receipt, interleaved with the next message's.
    for (std::size_t i = 0; i < ids.size(); ++i) {
      b.submitted(submission_of(ids[i]),
                  [&, i](transition_batcher::submit_answer a) { submitted[i] = std::move(a); });
      if (i > 0) {
        b.receipt(receipt_of(ids[i - 1]), [&, i](transition_batcher::receipt_answer a) {
          answers[i - 1] = std::move(a);
        });
      }
    }
    b.receipt(receipt_of(ids.back()),
              [&](transition_batcher::receipt_answer a) { answers.back() = std::move(a); });
  }
  REQUIRE(w.run_until([&] { return b.idle(); }));
  INFO("max_batch " << max_batch);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    INFO("message " << ids[i]);
    REQUIRE(submitted[i].has_value());
    CHECK(submitted[i]->has_value());
    REQUIRE(answers[i].has_value());
    REQUIRE(answers[i]->has_value());
    // Matched at once: never held as "pending" waiting for a submit_sm_resp already reported.
    CHECK((*answers[i])->res.status == queue::receipt_status::applied);
    CHECK(w.committed_state(ids[i]) == state::delivered);
  }
  CHECK(b.stats().largest <= max_batch);
}

TEST_CASE("a receipt that overtook its submit result is held and applied by it",
          "[transition_batcher]") {
  world w;
  auto ids = w.in_flight(2);
  transition_batcher b(*w.gc, w.io.get_executor());
  std::optional<transition_batcher::receipt_answer> early, late;
  std::optional<transition_batcher::submit_answer> sub0, sub1;
  {
    writer_gate gate(*w.gc);
    // Message 0: the receipt alone in one batch, its submit result in the next.
    b.receipt(receipt_of(ids[0]), [&](transition_batcher::receipt_answer a) { early = std::move(a); });
    b.submitted(submission_of(ids[0]), [&](transition_batcher::submit_answer a) { sub0 = std::move(a); });
    // Message 1: both in that same next batch, the receipt reported first.
    b.receipt(receipt_of(ids[1]), [&](transition_batcher::receipt_answer a) { late = std::move(a); });
    b.submitted(submission_of(ids[1]), [&](transition_batcher::submit_answer a) { sub1 = std::move(a); });
  }
  REQUIRE(w.run_until([&] { return b.idle(); }));
  REQUIRE(early.has_value());
  REQUIRE(early->has_value());
  CHECK((*early)->res.status == queue::receipt_status::pending);  // held, answered OK: not lost
  REQUIRE(sub0.has_value());
  REQUIRE(sub0->has_value());
  CHECK((*sub0)->st == state::delivered);  // the held receipt applied by mark_submitted
  CHECK((*sub0)->held_receipt == "stat:DELIVRD err:000");  // for its DLR line's err code
  REQUIRE(late.has_value());
  REQUIRE(late->has_value());
  CHECK((*late)->res.status == queue::receipt_status::applied);  // submit first within a batch
  REQUIRE(sub1.has_value());
  REQUIRE(sub1->has_value());
  CHECK((*sub1)->st == state::submitted);  // as the writer saw it before the receipt
  CHECK((*sub1)->held_receipt.empty());
  CHECK(w.committed_state(ids[0]) == state::delivered);
  CHECK(w.committed_state(ids[1]) == state::delivered);
}

TEST_CASE("drained() waits for every report, a stopped writer answers instead of hanging",
          "[transition_batcher]") {
  world w;
  auto ids = w.in_flight(5);
  transition_batcher b(*w.gc, w.io.get_executor());
  int answered = 0;
  bool drained = false;
  {
    writer_gate gate(*w.gc);
    for (auto id : ids)
      b.submitted(submission_of(id), [&](transition_batcher::submit_answer a) {
        CHECK(a.has_value());
        ++answered;
      });
    asio::co_spawn(w.io, [&]() -> asio::awaitable<void> {
      co_await b.drained();
      CHECK(answered == 5);  // drained only after the last answer
      drained = true;
    }, asio::detached);
    w.io.restart();
    w.io.run_for(std::chrono::milliseconds(20));
    CHECK_FALSE(drained);
  }
  REQUIRE(w.run_until([&] { return drained; }));

  // After the writer stopped: every report gets errc::stopped, and the batcher keeps answering.
  w.gc->stop();
  std::vector<queue::errc> errors;
  for (int round = 0; round < 2; ++round) {
    b.receipt(receipt_of(ids[0]), [&](transition_batcher::receipt_answer a) {
      REQUIRE_FALSE(a.has_value());
      errors.push_back(a.error().code);
    });
    b.submitted(submission_of(ids[1]), [&](transition_batcher::submit_answer a) {
      REQUIRE_FALSE(a.has_value());
      errors.push_back(a.error().code);
    });
    REQUIRE(w.run_until([&] { return b.idle(); }));
  }
  REQUIRE(errors.size() == 4);
  for (auto e : errors) CHECK(e == queue::errc::stopped);
}

TEST_CASE("with a linger, lone submit results share a transaction and a receipt flushes at once",
          "[transition_batcher]") {
  world w;
  auto ids = w.in_flight(4);
  // Long enough that the three reports below surely arrive within it; a receipt cuts it short.
  transition_batcher b(*w.gc, w.io.get_executor(), 1000, std::chrono::milliseconds(60000));
  int submitted = 0;
  for (int i = 0; i < 3; ++i) {
    b.submitted(submission_of(ids[static_cast<std::size_t>(i)]),
                [&](transition_batcher::submit_answer a) { submitted += a.has_value(); });
  }
  w.io.restart();
  w.io.poll();
  CHECK(b.lingering());
  CHECK(b.stats().flushes == 0);  // waiting for company, nothing committed yet
  CHECK(w.committed_state(ids[0]) == state::in_flight);
  std::optional<transition_batcher::receipt_answer> receipt;
  b.receipt(receipt_of(ids[0]), [&](transition_batcher::receipt_answer a) { receipt = std::move(a); });
  CHECK_FALSE(b.lingering());
  REQUIRE(w.run_until([&] { return receipt.has_value() && submitted == 3; }));
  // One flush: the three submit results and the receipt, submits first.
  CHECK(b.stats().flushes == 1);
  CHECK(b.stats().submit_batches == 1);
  CHECK(b.stats().submits == 3);
  CHECK(w.committed_state(ids[0]) == state::delivered);
  CHECK(w.committed_state(ids[2]) == state::submitted);

  // A graceful stop does not wait out the linger.
  b.submitted(submission_of(ids[3]), [&](transition_batcher::submit_answer a) { submitted += a.has_value(); });
  CHECK(b.lingering());
  REQUIRE(w.drain(b));
  CHECK(submitted == 4);
  CHECK(w.committed_state(ids[3]) == state::submitted);
}

TEST_CASE("submit results whose transaction failed are committed again, not lost",
          "[transition_batcher]") {
  world w;
  auto ids = w.in_flight(4);
  // The store's own connection refuses writes (SQLITE_READONLY) until switched back.
  auto read_only = [&](bool on) {
    w.gc->run([on](queue::store& s) {
       s.database().exec(on ? "PRAGMA query_only = ON" : "PRAGMA query_only = OFF");
     }).get();
  };
  // Message 2 is already submitted: its receipt is what cuts the linger short below.
  std::vector<queue::submission> first{submission_of(ids[2])};
  REQUIRE(w.gc->run([&](queue::store& s) { return s.mark_submitted_batch(first, queue::clock::now()); })
              .get()
              .has_value());
  // With the daemon's linger: submit results wait for company and share the receipt's flush.
  transition_batcher b(*w.gc, w.io.get_executor(), 1000, std::chrono::milliseconds(60000));
  std::vector<std::optional<transition_batcher::submit_answer>> subs(2);
  for (std::size_t i = 0; i < subs.size(); ++i) {
    b.submitted(submission_of(ids[i]),
                [&, i](transition_batcher::submit_answer a) { subs[i] = std::move(a); });
  }
  read_only(true);
  std::optional<transition_batcher::receipt_answer> failed_receipt;
  b.receipt(receipt_of(ids[2]),
            [&](transition_batcher::receipt_answer a) { failed_receipt = std::move(a); });
  REQUIRE(w.run_until([&] { return failed_receipt.has_value(); }));
  // The receipt is answered with the error (its SMSC redelivers it); the submit results are not:
  // nobody would ever report them again. They wait for another try.
  REQUIRE_FALSE(failed_receipt->has_value());
  CHECK(failed_receipt->error().code == queue::errc::read_only);
  CHECK(b.stats().submit_retries >= 1);
  CHECK(b.retrying());
  CHECK_FALSE(subs[0].has_value());
  CHECK_FALSE(subs[1].has_value());
  CHECK(w.committed_state(ids[0]) == state::in_flight);

  // Message 0's receipt arrives during the pause: it queues behind the retried submit result,
  // so it matches at once when both are committed, instead of being held.
  std::optional<transition_batcher::receipt_answer> receipt0;
  b.receipt(receipt_of(ids[0]), [&](transition_batcher::receipt_answer a) { receipt0 = std::move(a); });
  read_only(false);
  REQUIRE(w.run_until([&] { return subs[0] && subs[1] && receipt0 && b.idle(); }));
  for (std::size_t i = 0; i < subs.size(); ++i) {
    INFO("message " << ids[i]);
    REQUIRE(subs[i]->has_value());
    CHECK((*subs[i])->st == state::submitted);
  }
  REQUIRE(receipt0->has_value());
  CHECK((*receipt0)->res.status == queue::receipt_status::applied);
  CHECK(w.committed_state(ids[0]) == state::delivered);
  CHECK(w.committed_state(ids[1]) == state::submitted);
  CHECK_FALSE(b.retrying());

  // A graceful stop does not wait for a disk that stays read-only: one more try, then the error.
  read_only(true);
  std::optional<transition_batcher::submit_answer> last;
  b.submitted(submission_of(ids[3]), [&](transition_batcher::submit_answer a) { last = std::move(a); });
  std::optional<transition_batcher::receipt_answer> receipt1;  // cuts the linger short
  b.receipt(receipt_of(ids[1]), [&](transition_batcher::receipt_answer a) { receipt1 = std::move(a); });
  REQUIRE(w.run_until([&] { return b.retrying() && receipt1.has_value(); }));
  CHECK_FALSE(receipt1->has_value());
  CHECK_FALSE(last.has_value());
  REQUIRE(w.drain(b));
  REQUIRE(last.has_value());
  REQUIRE_FALSE(last->has_value());
  CHECK(last->error().code == queue::errc::read_only);
  read_only(false);
  CHECK(w.committed_state(ids[3]) == state::in_flight);  // outcome_unknown at the next start
}

TEST_CASE("a lazy flush whose writer round did not commit is committed again, not lost",
          "[transition_batcher]") {
  world w;
  auto ids = w.in_flight(2);
  w.gc->run([](queue::store& s) {
     s.database().exec("CREATE TABLE filler (x)");
     auto const pages = s.database().query_int("PRAGMA page_count");
     s.database().exec("PRAGMA max_page_count = " + std::to_string(pages + 40));
   }).get();
  // No submit linger; the writer linger is an hour: the flush waits in the writer for company.
  transition_batcher b(*w.gc, w.io.get_executor(), 1000, std::chrono::milliseconds(0),
                       std::chrono::hours(1));
  std::vector<std::optional<transition_batcher::submit_answer>> subs(2);
  for (std::size_t i = 0; i < subs.size(); ++i) {
    b.submitted(submission_of(ids[i]),
                [&, i](transition_batcher::submit_answer a) { subs[i] = std::move(a); });
  }
  REQUIRE_FALSE(b.idle());  // with the writer, lazily
  // Company that fills the disk: SQLite rolls the round's one transaction back, the flush's
  // part of it too, and says why (disk full).
  auto filled = w.gc->run([](queue::store& s) -> queue::result<bool> {
    try {
      s.database().exec("INSERT INTO filler VALUES (zeroblob(1000000))");
      return true;
    } catch (sqlite::error const&) {
      return false;
    }
  });
  auto f = filled.get();
  REQUIRE_FALSE(f.has_value());
  CHECK(f.error().code == queue::errc::disk_full);
  REQUIRE(w.run_until([&] { return b.stats().submit_retries >= 1; }));
  CHECK_FALSE(subs[0].has_value());  // not answered with the error: they wait for another try
  CHECK_FALSE(subs[1].has_value());
  CHECK(w.committed_state(ids[0]) == state::in_flight);

  w.gc->run([](queue::store& s) { s.database().exec("PRAGMA max_page_count = 1000000"); }).get();
  REQUIRE(w.run_until([&] { return subs[0] && subs[1]; }));
  for (std::size_t i = 0; i < subs.size(); ++i) {
    INFO("message " << ids[i]);
    REQUIRE(subs[i]->has_value());
    CHECK((*subs[i])->st == state::submitted);
    CHECK(w.committed_state(ids[i]) == state::submitted);
  }
}
