// tests/queue/retry_test.cpp: the daemon's retry policy inside the store (store_options::retry)
// and correlation by the carrier that issued the SMSC id (via_carrier). On real SQLite files:
// a failed receipt retried on the plan's route (directly, batched, and held until the
// submit_sm_resp), a plan past expiry, crash recovery with and without a policy, receipts of
// alternate sends matched after reopening, and the upgrade of a version-2 database file.
#include "queue/schema.hpp"
#include "queue/store.hpp"

#include "queue_fixture.hpp"

#include <algorithm>

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {

/// A policy that retries on `route` at `not_before` and records what it was asked.
struct recording_policy {
  std::string route = "indosat";
  time_point not_before = t0() + 7s;
  std::vector<std::pair<message, retry_reason>> asked;

  retry_policy fn() {
    return [this](message const& m, retry_reason why) -> std::optional<retry_plan> {
      asked.emplace_back(m, why);
      return retry_plan{route, not_before, "alternate carrier"};
    };
  }
};

store_options with_policy(recording_policy& p) {
  store_options o;
  o.retry = p.fn();
  return o;
}

// Enqueues an OTP of telkomsel, claims it, marks it sending; submits it with `smsc_id` (via
// `via`, '' = own carrier) unless smsc_id is empty. Returns its id.
message_id sent(store& s, std::string smsc_id, std::string via = {},
                std::string recipient = "6281111111111") {
  auto id = enqueue_ok(s, otp(std::move(recipient)));
  auto got = s.claim("telkomsel", 10, t0());
  REQUIRE(got->size() == 1);
  std::vector<message_id> ids{id};
  REQUIRE(s.mark_sending(ids, t0())->size() == 1);
  if (!smsc_id.empty()) {
    REQUIRE(s.mark_submitted(id, via.empty() ? "telkomsel" : via, smsc_id, t0() + 1s, via)
                .has_value());
  }
  return id;
}

bool has_detail(std::vector<event> const& h, std::string_view text) {
  return std::any_of(h.begin(), h.end(), [&](event const& e) {
    return e.detail.find(text) != std::string::npos;
  });
}

}  // namespace

TEST_CASE("a failed receipt is retried on the plan's route and can be claimed again") {
  temp_dir dir;
  recording_policy policy;
  auto s = open_store(dir.file(), t0(), with_policy(policy));
  auto id = sent(s, "a1");

  auto r = s.apply_receipt("telkomsel", "a1", receipt_outcome::undeliverable,
                           "stat:UNDELIV err:013", t0() + 5s);
  REQUIRE(r.has_value());
  CHECK(r->status == receipt_status::applied);
  CHECK(r->id == id);
  CHECK(r->st == state::queued);

  // The policy saw the submitted message with the receipt's detail.
  REQUIRE(policy.asked.size() == 1);
  CHECK(policy.asked[0].second == retry_reason::failed_receipt);
  CHECK(policy.asked[0].first.id == id);
  CHECK(policy.asked[0].first.st == state::submitted);
  CHECK(policy.asked[0].first.detail == "stat:UNDELIV err:013");

  auto m = *s.get(id);
  CHECK(m.st == state::queued);
  CHECK(m.route == "indosat");
  CHECK(m.not_before == t0() + 7s);
  auto h = *s.history(id);
  REQUIRE(h.size() >= 2);
  CHECK(h[h.size() - 2].to == state::submitted);
  CHECK(h[h.size() - 2].detail.find("stat:UNDELIV err:013") != std::string::npos);
  CHECK(h.back().from == state::submitted);
  CHECK(h.back().to == state::queued);
  CHECK(h.back().detail == "retry via indosat: alternate carrier");

  // Claimed by its home carrier (claim semantics unchanged), not before not_before, with the
  // new route; then sent via indosat, whose receipt delivers it.
  CHECK(s.claim("telkomsel", 10, t0() + 6s)->empty());
  auto again = s.claim("telkomsel", 10, t0() + 7s);
  REQUIRE(again->size() == 1);
  CHECK((*again)[0].id == id);
  CHECK((*again)[0].route == "indosat");
  CHECK((*again)[0].attempts == 2);
  std::vector<message_id> ids{id};
  REQUIRE(s.mark_sending(ids, t0() + 7s)->size() == 1);
  REQUIRE(s.mark_submitted(id, "indosat", "b2", t0() + 8s, "indosat").has_value());
  CHECK(s.get(id)->via_carrier == "indosat");
  auto d = s.apply_receipt("indosat", "b2", receipt_outcome::delivered, "stat:DELIVRD",
                           t0() + 9s);
  CHECK(d->status == receipt_status::applied);
  CHECK(d->st == state::delivered);
  CHECK(s.get(id)->st == state::delivered);
}

TEST_CASE("a failed receipt ends undeliverable without a plan, or with one past expiry") {
  temp_dir dir;
  recording_policy policy;
  store_options opts;
  SECTION("no policy") {}
  SECTION("the policy declines") {
    opts.retry = [](message const&, retry_reason) { return std::optional<retry_plan>{}; };
  }
  SECTION("the plan is not due before the expiry") {
    policy.not_before = t0() + 10min;  // the OTP expires at t0 + 5 min
    opts = with_policy(policy);
  }
  SECTION("the plan is due exactly at the expiry") {
    policy.not_before = t0() + 5min;
    opts = with_policy(policy);
  }
  auto s = open_store(dir.file(), t0(), opts);
  auto id = sent(s, "a1");
  auto r = s.apply_receipt("telkomsel", "a1", receipt_outcome::undeliverable, "stat:UNDELIV",
                           t0() + 4s);
  REQUIRE(r.has_value());
  CHECK(r->st == state::undeliverable);
  CHECK(s.get(id)->st == state::undeliverable);
  CHECK(s.history(id)->back().detail == "receipt: stat:UNDELIV");
}

TEST_CASE("a delivered receipt never asks the policy") {
  temp_dir dir;
  recording_policy policy;
  auto s = open_store(dir.file(), t0(), with_policy(policy));
  auto id = sent(s, "a1");
  auto r = s.apply_receipt("telkomsel", "a1", receipt_outcome::delivered, "", t0() + 4s);
  CHECK(r->st == state::delivered);
  CHECK(policy.asked.empty());
  CHECK(s.get(id)->st == state::delivered);
}

TEST_CASE("apply_receipts retries failed ones in the batch and reports each state") {
  temp_dir dir;
  recording_policy policy;
  auto s = open_store(dir.file(), t0(), with_policy(policy));
  auto a = sent(s, "a", {}, "6281111111111");
  auto b = sent(s, "b", {}, "6282222222222");
  std::vector<receipt> rs{{"telkomsel", "a", receipt_outcome::delivered, ""},
                          {"telkomsel", "b", receipt_outcome::undeliverable, "stat:REJECTD"}};
  auto r = s.apply_receipts(rs, t0() + 3s);
  REQUIRE(r.has_value());
  CHECK((*r)[0].res.st == state::delivered);
  CHECK((*r)[1].res.st == state::queued);
  CHECK(s.get(a)->st == state::delivered);
  CHECK(s.get(b)->st == state::queued);
  CHECK(s.get(b)->route == "indosat");

  // The SMSC re-sends the failed receipt: a duplicate, the retry stays scheduled.
  auto dup = s.apply_receipt("telkomsel", "b", receipt_outcome::undeliverable, "stat:REJECTD",
                             t0() + 4s);
  CHECK(dup->status == receipt_status::duplicate);
  CHECK(dup->st == state::queued);
  CHECK(policy.asked.size() == 1);
}

TEST_CASE("a failed receipt held until the submit_sm_resp is retried when it is applied") {
  temp_dir dir;
  recording_policy policy;
  auto s = open_store(dir.file(), t0(), with_policy(policy));
  auto id = sent(s, "");  // sending, no submit_sm_resp yet
  auto held = s.apply_receipt("telkomsel", "h1", receipt_outcome::undeliverable,
                              "stat:UNDELIV err:001", t0() + 1s);
  CHECK(held->status == receipt_status::pending);
  CHECK(policy.asked.empty());

  REQUIRE(s.mark_submitted(id, "telkomsel", "h1", t0() + 2s).has_value());
  REQUIRE(policy.asked.size() == 1);
  CHECK(policy.asked[0].second == retry_reason::failed_receipt);
  auto m = *s.get(id);
  CHECK(m.st == state::queued);
  CHECK(m.route == "indosat");
  CHECK(receipts_with_status(s, receipt_status::pending) == 0);
  CHECK(receipts_with_status(s, receipt_status::applied) == 1);
  auto h = *s.history(id);
  CHECK(has_detail(h, "held until submit_sm_resp"));
  CHECK(has_detail(h, "stat:UNDELIV err:001"));
  CHECK(h.back().detail == "retry via indosat: alternate carrier");
}

TEST_CASE("crash recovery asks the policy about outcome_unknown messages") {
  temp_dir dir;
  message_id id = 0;
  {
    auto s = open_store(dir.file());
    id = sent(s, "");  // was being sent when the process died
  }
  recording_policy policy;
  store_options opts;
  std::size_t retried = 0;
  state expected = state::outcome_unknown;
  SECTION("without a policy it stays outcome_unknown") {}
  SECTION("a valid plan queues it again (not before now: t0 + 7 s is past)") {
    opts = with_policy(policy);
    retried = 1;
    expected = state::queued;
  }
  SECTION("a plan past expiry leaves it outcome_unknown") {
    policy.not_before = t0() + 1h;
    opts = with_policy(policy);
  }
  auto s = open_store(dir.file(), t0() + 10s, opts);
  CHECK(s.last_recovery().outcome_unknown == 1);
  CHECK(s.last_recovery().retried == retried);
  auto m = *s.get(id);
  CHECK(m.st == expected);
  auto h = *s.history(id);
  CHECK(has_detail(h, "may have reached the SMSC"));
  if (opts.retry) {
    REQUIRE(policy.asked.size() == 1);
    CHECK(policy.asked[0].second == retry_reason::recovered_unknown);
    CHECK(policy.asked[0].first.st == state::outcome_unknown);
  }
  if (expected == state::queued) {
    CHECK(m.route == "indosat");
    CHECK(h.back().detail == "retry via indosat: alternate carrier");
    CHECK(h[h.size() - 2].to == state::outcome_unknown);
    CHECK(s.claim("telkomsel", 10, t0() + 1min)->size() == 1);
  }
}

TEST_CASE("a policy that throws fails the operation and stores nothing") {
  temp_dir dir;
  store_options opts;
  opts.retry = [](message const&, retry_reason) -> std::optional<retry_plan> {
    throw std::runtime_error("no route table");
  };
  auto s = open_store(dir.file(), t0(), opts);
  auto id = sent(s, "a1");
  auto r = s.apply_receipt("telkomsel", "a1", receipt_outcome::undeliverable, "x", t0() + 2s);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::internal);
  CHECK(r.error().message.find("no route table") != std::string::npos);
  CHECK(s.get(id)->st == state::submitted);
  CHECK(receipts_with_status(s, receipt_status::applied) == 0);
}

TEST_CASE("receipts of a send via an alternate carrier match on that carrier, after reopen") {
  temp_dir dir;
  message_id id = 0, home = 0;
  {
    auto s = open_store(dir.file());
    id = sent(s, "77", "indosat", "6281111111111");
    home = sent(s, "77", {}, "6282222222222");  // same id issued by telkomsel itself
    CHECK(s.get(id)->via_carrier == "indosat");
    CHECK(s.get(home)->via_carrier == "telkomsel");
  }
  auto s = open_store(dir.file(), t0() + 1min);  // no in-memory state survives
  auto r = s.apply_receipt("indosat", "77", receipt_outcome::delivered, "", t0() + 1min);
  CHECK(r->status == receipt_status::applied);
  CHECK(r->id == id);
  CHECK(s.get(id)->st == state::delivered);
  CHECK(s.get(home)->st == state::submitted);
  auto t = s.apply_receipt("telkomsel", "77", receipt_outcome::delivered, "", t0() + 1min);
  CHECK(t->id == home);
  CHECK(s.get(home)->st == state::delivered);
}

TEST_CASE("mark_submitted_batch records the via carrier of each submission") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto a = sent(s, "", {}, "6281111111111");
  auto b = sent(s, "", {}, "6282222222222");
  std::vector<submission> subs{{a, "indosat", "x", "indosat"}, {b, "", "x", ""}};
  auto r = s.mark_submitted_batch(subs, t0() + 1s);
  REQUIRE(r.has_value());
  CHECK(s.get(a)->via_carrier == "indosat");
  CHECK(s.get(b)->via_carrier == "telkomsel");
  CHECK(s.apply_receipt("indosat", "x", receipt_outcome::delivered, "", t0() + 2s)->id == a);
}

TEST_CASE("a receipt overtaking the resp of a send via an alternate is held on that carrier") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = enqueue_ok(s, otp());
  REQUIRE(s.claim("telkomsel", 1, t0())->size() == 1);
  REQUIRE(*s.requeue(id, "indosat", t0(), "retry on the alternate", t0()) == state::queued);
  REQUIRE(s.claim("telkomsel", 1, t0())->size() == 1);
  std::vector<message_id> ids{id};
  REQUIRE(s.mark_sending(ids, t0())->size() == 1);
  // Sent via indosat (its route), awaiting indosat's submit_sm_resp.
  auto r = s.apply_receipt("indosat", "i9", receipt_outcome::delivered, "", t0() + 1s);
  CHECK(r->status == receipt_status::pending);
  REQUIRE(s.mark_submitted(id, "indosat", "i9", t0() + 2s, "indosat").has_value());
  CHECK(s.get(id)->st == state::delivered);
  // Another carrier with nothing in flight: an orphan.
  CHECK(s.apply_receipt("xl", "i9", receipt_outcome::delivered, "", t0() + 3s)->status ==
        receipt_status::orphan);
}

TEST_CASE("a version-2 database file is upgraded: via_carrier = carrier, receipts still match") {
  temp_dir dir;
  {
    auto db = database_at_version(dir.file(), 2);
    // A submitted message as session 1's code wrote it (no via_carrier column yet).
    db.exec("INSERT INTO messages (recipient, sender, text, priority, carrier, route, state, "
            "created_at, expires_at, not_before, updated_at, attempts, smsc_message_id, "
            "history_len) VALUES ('6281111111111', 'ACME', 'code 1', 0, 'telkomsel', '', 3, "
            "1767225600000, 1767225900000, 1767225600000, 1767225601000, 1, 'old1', 1)");
    db.exec("INSERT INTO events (message_id, seq, at, to_state, attempt) VALUES "
            "(1, 0, 1767225600000, 0, 0)");
  }
  auto s = open_store(dir.file(), t0() + 2s);
  CHECK(s.database().query_int("PRAGMA user_version") == latest_schema_version());
  CHECK(latest_schema_version() >= 3);
  auto m = *s.get(1);
  CHECK(m.via_carrier == "telkomsel");
  auto r = s.apply_receipt("telkomsel", "old1", receipt_outcome::delivered, "", t0() + 3s);
  CHECK(r->status == receipt_status::applied);
  CHECK(r->id == 1);
  CHECK(s.get(1)->st == state::delivered);
  // New messages work on the upgraded file.
  auto id = enqueue_ok(s, otp("6282222222222"));
  CHECK(s.get(id)->via_carrier == "telkomsel");
}
