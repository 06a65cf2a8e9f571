// tests/queue/receipt_timeout_test.cpp: issue #13 in the store, on real SQLite files.
// - No receipt in time: settle_unreceipted() asks the retry policy (no_receipt) once a
//   submitted message's receipt deadline passed, queues it on the plan's route, and the late
//   receipt of the earlier attempt is still matched (earlier_attempts) and makes it delivered.
// - Without a plan it waits until its validity + grace, then becomes no_receipt (final), which
//   a late receipt still ends.
// - Filtered receipts (class:filtered): the policy is asked with filtered_receipt and sees the
//   route in filtered_routes; refusals classed filtered are stored the same way.
// - Schema steps 10-15 on a version-9 file: the state CHECK takes no_receipt, submitted messages
//   get a deadline, a missing receipt records its route as silent (step 15).
// - A request without a sender is stored with '' (the daemon resolves it per route).
#include "queue/schema.hpp"
#include "queue/state.hpp"
#include "queue/store.hpp"

#include "queue_fixture.hpp"

#include <algorithm>

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {

/// Retries on `route` (nullopt route = no plan) and records what it was asked.
struct policy {
  std::optional<std::string> route = "indosat";
  std::vector<std::pair<message, retry_reason>> asked;
  retry_policy fn() {
    return [this](message const& m, retry_reason why) -> std::optional<retry_plan> {
      asked.emplace_back(m, why);
      if (!route) return std::nullopt;
      return retry_plan{*route, t0(), "next route"};
    };
  }
};

store_options with(policy& p) {
  store_options o;
  o.retry = p.fn();
  return o;
}

/// An OTP of telkomsel claimed, marked sending and submitted as `smsc_id` at t0 + 1 s with a
/// receipt deadline (nullopt = its expiry). Validity 5 min.
message_id submitted(store& s, std::string const& smsc_id, std::optional<time_point> due,
                     std::string recipient = "6281111111111") {
  auto id = enqueue_ok(s, otp(std::move(recipient)));
  REQUIRE(s.claim("telkomsel", 10, t0())->size() == 1);
  std::vector<message_id> ids{id};
  REQUIRE(s.mark_sending(ids, t0())->size() == 1);
  REQUIRE(s.mark_submitted(id, "telkomsel", smsc_id, t0() + 1s, "telkomsel", due).has_value());
  return id;
}

bool has_detail(std::vector<event> const& h, std::string_view text) {
  return std::any_of(h.begin(), h.end(),
                     [&](event const& e) { return e.detail.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("no receipt by the deadline: retried on the next route, the attempt in the history",
          "[queue][receipt_timeout]") {
  temp_dir dir;
  policy p;
  auto s = open_store(dir.file(), t0(), with(p));
  auto id = submitted(s, "a1", t0() + 31s);

  // Before the deadline nothing happens.
  auto none = s.settle_unreceipted(t0() + 30s, 1h);
  REQUIRE(none.has_value());
  CHECK(none->empty());
  CHECK(p.asked.empty());

  auto due = s.settle_unreceipted(t0() + 31s, 1h);
  REQUIRE(due.has_value());
  REQUIRE(due->size() == 1);
  CHECK((*due)[0].msg.id == id);
  CHECK((*due)[0].msg.st == state::queued);
  CHECK((*due)[0].msg.route == "indosat");
  CHECK((*due)[0].msg.via_carrier == "telkomsel");
  REQUIRE(p.asked.size() == 1);
  CHECK(p.asked[0].second == retry_reason::no_receipt);
  CHECK(p.asked[0].first.detail.find("no receipt from telkomsel for attempt 1") != std::string::npos);
  // The policy sees telkomsel as silent for this message, and so does every later claim.
  CHECK(p.asked[0].first.silent_routes == "telkomsel");
  CHECK(s.get(id)->silent_routes == "telkomsel");
  auto h = s.history(id);
  REQUIRE(h.has_value());
  CHECK(h->back().from == state::submitted);
  CHECK(h->back().to == state::queued);
  CHECK(h->back().attempt == 1);
  CHECK(has_detail(*h, "retry via indosat"));

  // The second attempt goes out via indosat and is submitted with a new id.
  REQUIRE(s.claim("telkomsel", 10, t0() + 32s)->size() == 1);
  std::vector<message_id> ids{id};
  REQUIRE(s.mark_sending(ids, t0() + 32s)->size() == 1);
  REQUIRE(s.mark_submitted(id, "indosat", "b2", t0() + 33s, "indosat", t0() + 63s).has_value());
  CHECK(s.get(id)->attempts == 2);

  // The first attempt's receipt comes late: still matched, and delivered wins.
  auto late = s.apply_receipt("telkomsel", "a1", receipt_outcome::delivered, "stat:DELIVRD err:000",
                              t0() + 40s);
  REQUIRE(late.has_value());
  CHECK(late->status == receipt_status::applied);
  CHECK(late->id == id);
  CHECK(late->st == state::delivered);
  CHECK(s.get(id)->st == state::delivered);
  CHECK(has_detail(*s.history(id), "receipt of attempt 1 via telkomsel"));
  // The second attempt's receipt after that is recorded, the state kept.
  auto second = s.apply_receipt("indosat", "b2", receipt_outcome::undeliverable,
                                "stat:UNDELIV err:001", t0() + 41s);
  REQUIRE(second.has_value());
  CHECK(second->status == receipt_status::applied);
  CHECK(s.get(id)->st == state::delivered);
  // Nothing is due any more.
  CHECK(s.settle_unreceipted(t0() + 10min, 1h)->empty());
}

TEST_CASE("a failed receipt of the earlier attempt does not end the retry", "[queue][receipt_timeout]") {
  temp_dir dir;
  policy p;
  auto s = open_store(dir.file(), t0(), with(p));
  auto id = submitted(s, "a1", t0() + 31s);
  REQUIRE(s.settle_unreceipted(t0() + 31s, 1h)->size() == 1);
  CHECK(s.get(id)->st == state::queued);
  // Still queued (its row keeps the id until the next submit): the late UNDELIV is recorded.
  auto r = s.apply_receipt("telkomsel", "a1", receipt_outcome::undeliverable,
                           "stat:UNDELIV err:001", t0() + 32s);
  REQUIRE(r.has_value());
  CHECK(r->status == receipt_status::applied);
  CHECK(s.get(id)->st == state::queued);
}

TEST_CASE("no plan: submitted until validity + grace, then no_receipt, a late receipt ends it",
          "[queue][receipt_timeout]") {
  temp_dir dir;
  policy p;
  p.route.reset();
  auto s = open_store(dir.file(), t0(), with(p));
  auto id = submitted(s, "a1", t0() + 31s);
  auto const expires = s.get(id)->expires_at;

  // Deadline passed, no plan: it waits (its deadline moves to expiry + grace).
  CHECK(s.settle_unreceipted(t0() + 31s, 1h)->empty());
  CHECK(s.get(id)->st == state::submitted);
  CHECK(s.settle_unreceipted(expires + 59min, 1h)->empty());
  CHECK(s.get(id)->st == state::submitted);

  auto r = s.settle_unreceipted(expires + 1h, 1h);
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].msg.st == state::no_receipt);
  CHECK(is_final(state::no_receipt));
  CHECK(to_string(state::no_receipt) == "no_receipt");
  CHECK(s.count_by_state()->at(static_cast<std::size_t>(state::no_receipt)) == 1);
  CHECK(has_detail(*s.history(id), "by its validity + 3600 s"));

  // A receipt after all: delivered.
  auto late = s.apply_receipt("telkomsel", "a1", receipt_outcome::delivered, "stat:DELIVRD err:000",
                              expires + 2h);
  REQUIRE(late.has_value());
  CHECK(late->st == state::delivered);
  CHECK(s.get(id)->st == state::delivered);
}

TEST_CASE("a message submitted without a deadline is looked at at its expiry", "[queue][receipt_timeout]") {
  temp_dir dir;
  policy p;
  auto s = open_store(dir.file(), t0(), with(p));
  auto id = submitted(s, "a1", std::nullopt);
  auto const expires = s.get(id)->expires_at;
  // A deadline past the expiry is capped at it, too.
  auto id2 = submitted(s, "a2", t0() + 1h, "6281111111112");
  CHECK(s.settle_unreceipted(expires - 1ms, 0ms)->empty());
  auto r = s.settle_unreceipted(expires, 0ms);
  REQUIRE(r.has_value());
  // The policy is asked (the daemon's says no after the expiry); grace 0: no_receipt at once.
  CHECK(r->size() == 2);
  CHECK(s.get(id)->st != state::submitted);
  CHECK(s.get(id2)->st != state::submitted);
}

TEST_CASE("a filtered receipt asks the policy as filtered and stores the route",
          "[queue][filtered]") {
  temp_dir dir;
  policy p;
  auto s = open_store(dir.file(), t0(), with(p));
  auto id = submitted(s, "a1", t0() + 31s);
  auto r = s.apply_receipt("telkomsel", "a1", receipt_outcome::undeliverable,
                           "stat:REJECTD err:069 class:filtered", t0() + 2s);
  REQUIRE(r.has_value());
  CHECK(r->st == state::queued);
  REQUIRE(p.asked.size() == 1);
  CHECK(p.asked[0].second == retry_reason::filtered_receipt);
  CHECK(p.asked[0].first.filtered_routes == "telkomsel");
  auto m = s.get(id);
  CHECK(m->filtered_routes == "telkomsel");
  CHECK(m->route == "indosat");
  CHECK(has_detail(*s.history(id), "(filtered; retried)"));

  // Without a plan, a filtered receipt ends it undeliverable, the route still recorded.
  p.route.reset();
  auto id2 = submitted(s, "a2", std::nullopt, "6281111111112");
  REQUIRE(s.apply_receipt("telkomsel", "a2", receipt_outcome::undeliverable,
                          "stat:REJECTD err:069 class:filtered", t0() + 2s).has_value());
  CHECK(s.get(id2)->st == state::undeliverable);
  CHECK(s.get(id2)->filtered_routes == "telkomsel");
  CHECK(is_filtered_detail("stat:REJECTD err:069 class:filtered"));
  CHECK_FALSE(is_filtered_detail("stat:UNDELIV err:001"));
}

TEST_CASE("a refusal classed filtered stores the route with the requeue or the rejection",
          "[queue][filtered]") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = enqueue_ok(s, otp());
  REQUIRE(s.claim("telkomsel", 10, t0())->size() == 1);
  CHECK(*s.requeue(id, "indosat", t0(), "filtered", t0(), "telkomsel") == state::queued);
  CHECK(s.get(id)->filtered_routes == "telkomsel");
  REQUIRE(s.claim("telkomsel", 10, t0() + 1s)->size() == 1);
  REQUIRE(s.mark_rejected_filtered(id, "filtered again", "indosat", t0() + 1s).has_value());
  CHECK(s.get(id)->st == state::rejected);
  CHECK(s.get(id)->filtered_routes == "telkomsel,indosat");
}

TEST_CASE("schema step 11 upgrades a version-9 file: no_receipt is a valid state",
          "[queue][schema]") {
  temp_dir dir;
  auto const path = dir.file();
  auto const expires = t0() + 5min;
  {
    auto db = database_at_version(path, 9);
    smsgw::sqlite::statement ins(db,
        "INSERT INTO messages (recipient, sender, text, priority, carrier, state, created_at, "
        "expires_at, not_before, updated_at, attempts, smsc_message_id, via_carrier, "
        "history_len) VALUES ('6281111111111', 'ACME', 'x', 0, 'telkomsel', 3, ?1, ?2, ?1, ?1, "
        "1, 'old1', 'telkomsel', 0)");
    ins.bind(1, to_ms(t0())).bind(2, to_ms(expires)).run();
  }
  auto s = open_store(path);
  CHECK(s.database().query_int("PRAGMA user_version") == latest_schema_version());
  CHECK(latest_schema_version() >= 10);
  // Its deadline is its expiry; with no policy and no grace it becomes no_receipt then.
  CHECK(s.settle_unreceipted(expires - 1ms, 0ms)->empty());
  auto r = s.settle_unreceipted(expires, 0ms);
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].msg.st == state::no_receipt);
  CHECK(s.database().query_int(
            "SELECT count(*) FROM messages WHERE state = 10") == 1);
  // Step 15: the upgraded row had no silent route; its missing receipt recorded one.
  CHECK(s.database().query_int(
            "SELECT count(*) FROM messages WHERE silent_routes = 'telkomsel'") == 1);
  // The CHECK still refuses what is not a state.
  CHECK_THROWS(s.database().exec("UPDATE messages SET state = 11"));
  CHECK(s.database().query_int("SELECT integrity_check = 'ok' FROM pragma_integrity_check") == 1);
}

TEST_CASE("earlier attempts go with their message at purge", "[queue][receipt_timeout]") {
  temp_dir dir;
  policy p;
  auto s = open_store(dir.file(), t0(), with(p));
  auto id = submitted(s, "a1", t0() + 31s);
  REQUIRE(s.settle_unreceipted(t0() + 31s, 1h)->size() == 1);
  CHECK(s.database().query_int("SELECT count(*) FROM earlier_attempts") == 1);
  REQUIRE(s.cancel(id, t0() + 32s).has_value());
  REQUIRE(s.purge(t0() + 1h).has_value());
  CHECK(s.database().query_int("SELECT count(*) FROM earlier_attempts") == 0);
}

TEST_CASE("a request without a sender is stored with an empty one", "[queue]") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto r = otp();
  r.sender.clear();
  auto id = enqueue_ok(s, r);
  CHECK(s.get(id)->sender.empty());
}
