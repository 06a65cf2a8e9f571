// tests/daemon/dispatch/dispatch_durability_test.cpp: with pipelined commits the queue's changes are
// visible before they are on disk; the daemon must act on none of them before then. The WAL's
// real fsync sits behind a gate the test holds (group_commit_options::sync), the store is read
// through a connection of its own, and the carrier is a real simulator on 127.0.0.1. A link
// that can write at once gets its OTP claimed and marked in one commit (claim_for_sending),
// written only after that commit's fsync; a source backing up another carrier claims unmarked.
// A claim standing by for an enqueue commits with it and is written only after their fsync.
#include <catch2/catch.hpp>


#include "queue/sqlite.hpp"
#include "tests/daemon/dispatch/dispatch_fixture.hpp"
#include "tests/queue/held_wal_sync.hpp"

using namespace smsgw;
using namespace smsgw::test;
using namespace std::chrono_literals;

namespace {

/// The message's state as another connection sees it (committed, synced or not).
std::int64_t state_on_file(std::string const& db_path, queue::message_id id) {
  auto db = sqlite::database::open(db_path);
  return db.query_int("SELECT state FROM messages WHERE id = " + std::to_string(id));
}

}  // namespace

TEST_CASE("a claimed OTP is written to the SMSC only after its claim is on disk") {
  queue::test::held_wal_sync gate;  // outlives the world: its writer's stop() still syncs
  sim_spec tsel{"telkomsel", {}};
  dispatch_world w({tsel});
  gate.db_path = w.db_path;
  w.writer.sync = gate.fn();
  queue::test::held_wal_sync::release_on_exit guard{gate};
  w.start();
  REQUIRE(w.gc().pipelined());

  // The bound link waits with a claim standing by (once its first, empty, claim came back:
  // wait for it, or the enqueue may commit alone) ...
  REQUIRE(w.wait_until([&] { return w.gc().standing_for("telkomsel") > 0; }, 10s));
  // ... so the enqueue's round commits the OTP and claims it (another connection sees it in
  // flight, never queued) ...
  gate.hold();
  auto accepted = w.gc().enqueue(otp_request(number(1), "telkomsel"));
  queue::message_id id = 0;
  REQUIRE(w.wait_until([&] {
    auto db = sqlite::database::open(w.db_path);
    id = db.query_int("SELECT coalesce(max(id), 0) FROM messages");
    return id != 0;
  }, 10s));
  CHECK(state_on_file(w.db_path, id) == static_cast<std::int64_t>(queue::state::in_flight));
  // ... but neither the 202 nor the submit_sm comes while the fsync covering both is held.
  run_for(w.io, 300ms);
  CHECK(w.submits_to("telkomsel", number(1)).empty());
  CHECK(accepted.wait_for(0s) == std::future_status::timeout);
  CHECK(state_on_file(w.db_path, id) == static_cast<std::int64_t>(queue::state::in_flight));

  gate.release();
  auto out = accepted.get();
  REQUIRE(out.has_value());
  CHECK(out->id == id);
  REQUIRE(w.wait_state(id, queue::state::delivered));
  CHECK(w.submits_to("telkomsel", number(1)).size() == 1);
  // Claimed in the enqueue's round, with its sending mark: no separate mark followed.
  auto h = w.history(id);
  REQUIRE(h.size() >= 2);
  CHECK(h[1].to == queue::state::in_flight);
  CHECK(h[1].detail == "claimed for sending");
}

TEST_CASE("a link with window room and tokens claims an OTP with its sending mark in one commit, on disk before the write") {
  queue::test::held_wal_sync gate;  // outlives the world: its writer's stop() still syncs
  sim_spec tsel{"telkomsel", {}};
  dispatch_world w({tsel});
  gate.db_path = w.db_path;
  w.writer.sync = gate.fn();
  queue::test::held_wal_sync::release_on_exit guard{gate};
  w.start();
  REQUIRE(w.gc().pipelined());

  // Stored by a plain writer task (no enqueue a standing claim would ride on), acknowledged
  // on disk; then the source is told, as after a retry's not_before or a poll.
  auto stored = w.on_queue([](queue::store& s) { return s.enqueue(otp_request(number(2), "telkomsel")); });
  REQUIRE(stored.has_value());
  auto const id = stored->id;
  gate.hold();
  w.disp().notify("telkomsel");
  // The link is bound with an empty window and a full bucket: the claim itself carries the
  // sending mark (committed: another connection sees sending_at already) ...
  REQUIRE(w.wait_until([&] {
    return state_on_file(w.db_path, id) != static_cast<std::int64_t>(queue::state::queued);
  }, 10s));
  {
    auto db = sqlite::database::open(w.db_path);
    CHECK(db.query_int("SELECT sending_at IS NOT NULL FROM messages WHERE id = " +
                       std::to_string(id)) == 1);
  }
  // ... and nothing is written while the fsync covering that commit has not returned.
  run_for(w.io, 300ms);
  CHECK(w.submits_to("telkomsel", number(2)).empty());

  gate.release();
  REQUIRE(w.wait_state(id, queue::state::delivered));
  CHECK(w.submits_to("telkomsel", number(2)).size() == 1);
  // One transition for claim and mark: the history says so, and no separate mark followed.
  auto h = w.history(id);
  REQUIRE(h.size() >= 2);
  CHECK(h[1].to == queue::state::in_flight);
  CHECK(h[1].detail == "claimed for sending");
}

TEST_CASE("a source that backs up another carrier still claims without the mark and marks before the write") {
  // indosat backs up telkomsel: what indosat claims may be routed to telkomsel's buffer and
  // wait there, so its claims carry no sending mark (before_send sets it).
  sim_spec tsel{"telkomsel", {"indosat"}};
  sim_spec isat{"indosat", {}};
  dispatch_world w({tsel, isat});
  w.start();

  auto id = w.enqueue(otp_request(number(3), "indosat"));
  REQUIRE(w.wait_state(id, queue::state::delivered));
  auto h = w.history(id);
  REQUIRE(h.size() >= 2);
  CHECK(h[1].detail == "claimed");
}

TEST_CASE("after a standing claim took all there was, the link stands by again without a claim of its own") {
  sim_spec tsel{"telkomsel", {}};
  dispatch_world w({tsel});
  // No periodic queue work of the dispatcher's own: every round counted below is the
  // message's or a claim's.
  w.cfg.queue.housekeeping_interval = std::chrono::hours(1);
  w.start();
  REQUIRE(w.wait_until([&] { return w.gc().standing_for("telkomsel") > 0; }, 10s));
  // The SMSC reads but answers nothing from now on: no submit result or receipt comes back
  // to be recorded, so no later round is the message's.
  auto f = w.sim("telkomsel").current_faults();
  f.stall = true;
  w.sim("telkomsel").set_faults(f);

  auto const rounds_before = w.gc().rounds();
  auto accepted = w.gc().enqueue(otp_request(number(7), "telkomsel"));
  REQUIRE(accepted.get().has_value());
  // Sent (the simulator read it), and the link stands by again for the next enqueue ...
  REQUIRE(w.wait_until([&] {
    return w.sim("telkomsel").counters().stalled_pdus > 0 && w.gc().standing_for("telkomsel") > 0;
  }, 10s));
  run_for(w.io, 200ms);  // (a claim the link asked for would have run by now)
  // ... after one round only: the enqueue's, with the standing claim that took the OTP. The
  // claim came back short and nothing was enqueued since, so no claim round that would find
  // nothing came in between.
  CHECK(w.gc().rounds() - rounds_before == 1);
  CHECK(w.gc().standing_for("telkomsel") == 1);

  // The next enqueue is still claimed by the standing claim, in its own round.
  auto second = w.gc().enqueue(otp_request(number(8), "telkomsel"));
  REQUIRE(second.get().has_value());
  REQUIRE(w.wait_until([&] { return w.sim("telkomsel").counters().stalled_pdus > 1; }, 10s));
}
