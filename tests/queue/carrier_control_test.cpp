// tests/queue/carrier_control_test.cpp: what an operator controls through the queue (issue #14),
// on real SQLite files: cancel_unsent (queued, claimed but unmarked, refused once the sending
// mark is set or later, the race with mark_sending both ways, text erased, history), the
// queued backlog per carrier and priority, and carrier suspension kept across a reopen
// (schema step 12).
#include "queue/schema.hpp"
#include "queue/store.hpp"

#include "queue_fixture.hpp"

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

#include <map>

#include <fmt/format.h>

TEST_CASE("cancel_unsent cancels a queued message: final, text erased, a history row", "[queue][control]") {
  temp_dir dir;
  auto s = open_store(dir.file("q.db"));
  auto id = enqueue_ok(s, otp());
  auto r = s.cancel_unsent(id, "cancelled through the API by ops", at(1s));
  REQUIRE(r.has_value());
  CHECK(r->cancelled);
  CHECK(r->msg.st == state::cancelled);
  CHECK(r->msg.text.empty());
  CHECK(s.get(id)->text.empty());
  auto h = s.history(id);
  REQUIRE(h.has_value());
  REQUIRE(h->size() == 2);
  CHECK(h->back().to == state::cancelled);
  CHECK(h->back().detail == "cancelled through the API by ops");
  // A second cancel finds it final: not cancelled again, the state says why.
  auto again = s.cancel_unsent(id, "x", at(2s));
  REQUIRE(again.has_value());
  CHECK_FALSE(again->cancelled);
  CHECK(again->msg.st == state::cancelled);
  CHECK(s.history(id)->size() == 2);
  // Never claimed again.
  CHECK(s.claim("telkomsel", 10, at(3s))->empty());
}

TEST_CASE("cancel_unsent cancels a claimed message without its sending mark, which mark_sending then refuses", "[queue][control]") {
  temp_dir dir;
  auto s = open_store(dir.file("q.db"));
  auto id = enqueue_ok(s, otp());
  REQUIRE(s.claim("telkomsel", 10, t0())->size() == 1);
  auto r = s.cancel_unsent(id, "cancelled", at(1s));
  REQUIRE(r.has_value());
  CHECK(r->cancelled);
  CHECK(r->msg.st == state::cancelled);
  std::vector<message_id> ids{id};
  CHECK_FALSE(s.mark_sending(ids, at(2s)).has_value());  // a link that popped it may not send it
  CHECK(s.get(id)->st == state::cancelled);
  // Not an attempt that may have reached an SMSC: nothing for receipt matching.
  CHECK(s.database().query_int("SELECT count(*) FROM unanswered_submits") == 0);
}

TEST_CASE("cancel_unsent refuses a message with its sending mark, submitted or outcome_unknown", "[queue][control]") {
  temp_dir dir;
  auto s = open_store(dir.file("q.db"));
  auto a = enqueue_ok(s, otp("6281111111111", "a"));
  auto b = enqueue_ok(s, otp("6281111111112", "b"));
  auto c = enqueue_ok(s, otp("6281111111113", "c"));
  REQUIRE(s.claim("telkomsel", 10, t0())->size() == 3);
  std::vector<message_id> ids{a, b, c};
  REQUIRE(s.mark_sending(ids, t0())->size() == 3);  // mark_sending first: the link wins
  REQUIRE(s.mark_submitted(b, "telkomsel", "ab12", at(1s)).has_value());
  REQUIRE(s.mark_outcome_unknown(c, "no response", at(1s)).has_value());
  for (auto [id, st] : {std::pair{a, state::in_flight}, std::pair{b, state::submitted},
                        std::pair{c, state::outcome_unknown}}) {
    INFO("message " << id);
    auto r = s.cancel_unsent(id, "cancelled", at(2s));
    REQUIRE(r.has_value());
    CHECK_FALSE(r->cancelled);
    CHECK(r->msg.st == st);
    CHECK(s.get(id)->st == st);
  }
  auto missing = s.cancel_unsent(999, "cancelled", at(2s));
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().code == errc::not_found);
}

TEST_CASE("queued_backlog counts queued messages per carrier and priority in one query", "[queue][control]") {
  temp_dir dir;
  auto s = open_store(dir.file("q.db"));
  auto req = [](std::string carrier, priority p, int n) {
    auto r = otp(fmt::format("628111111{:04d}", n), fmt::format("p{}", n));
    r.carrier = std::move(carrier);
    r.prio = p;
    return r;
  };
  int n = 0;
  for (int i = 0; i < 3; ++i) enqueue_ok(s, req("telkomsel", priority::otp, n++));
  enqueue_ok(s, req("telkomsel", priority::bulk, n++));
  for (int i = 0; i < 2; ++i) enqueue_ok(s, req("indosat", priority::transactional, n++));
  REQUIRE(s.claim("indosat", 1, t0())->size() == 1);  // in_flight: not in the backlog
  auto b = s.queued_backlog();
  REQUIRE(b.has_value());
  std::map<std::pair<std::string, priority>, std::int64_t> got;
  for (auto const& g : *b) got[{g.carrier, g.prio}] = g.count;
  CHECK(got == std::map<std::pair<std::string, priority>, std::int64_t>{
                   {{"telkomsel", priority::otp}, 3}, {{"telkomsel", priority::bulk}, 1},
                   {{"indosat", priority::transactional}, 1}});
}

TEST_CASE("a carrier's suspension is kept across a reopen (schema step 12)", "[queue][control]") {
  temp_dir dir;
  auto const path = dir.file("q.db");
  {
    auto s = open_store(path);
    CHECK(s.database().query_int("PRAGMA user_version") == latest_schema_version());
    CHECK(latest_schema_version() >= 12);
    CHECK(s.carrier_controls()->empty());
    REQUIRE(s.set_carrier_suspended("telkomsel", true, "ops", at(1s)).has_value());
    REQUIRE(s.set_carrier_suspended("telkomsel", true, "ops", at(2s)).has_value());  // idempotent
    REQUIRE(s.set_carrier_suspended("xl", true, "", at(3s)).has_value());
    REQUIRE(s.set_carrier_suspended("xl", false, "night-shift", at(4s)).has_value());
    CHECK_FALSE(s.set_carrier_suspended("", true, "", at(4s)).has_value());
  }
  auto s = open_store(path);
  auto c = s.carrier_controls();
  REQUIRE(c.has_value());
  REQUIRE(c->size() == 2);
  CHECK(c->at(0).carrier == "telkomsel");
  CHECK(c->at(0).suspended);
  CHECK(c->at(0).changed_at == at(2s));
  CHECK(c->at(0).changed_by == "ops");
  CHECK(c->at(1).carrier == "xl");
  CHECK_FALSE(c->at(1).suspended);
  CHECK(c->at(1).changed_by == "night-shift");
}
