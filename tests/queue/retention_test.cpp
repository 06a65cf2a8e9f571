// tests/queue/retention_test.cpp: purge() deletes only messages that will not be sent again,
// older than the cutoff, with their history, in batches of the given size.
#include "queue/store.hpp"

#include "queue_fixture.hpp"

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {
std::int64_t count(store& s, std::string_view sql) { return s.database().query_int(sql); }
}  // namespace

TEST_CASE("purge deletes old finished messages in batches and keeps live ones") {
  temp_dir dir;
  auto s = open_store(dir.file());
  std::vector<message_id> done;
  for (int i = 0; i < 25; ++i) {
    auto r = otp("62811111111" + std::to_string(10 + i), "");
    done.push_back(enqueue_ok(s, r));
  }
  for (auto id : done) REQUIRE(s.cancel(id, t0()).has_value());
  auto live = enqueue_ok(s, otp("6289999999999", ""));
  auto recent = enqueue_ok(s, otp("6288888888888", ""));
  REQUIRE(s.cancel(recent, t0() + 2h).has_value());

  SECTION("bounded number of batches") {
    auto n = s.purge(t0() + 1h, 10, 2);
    REQUIRE(n.has_value());
    CHECK(*n == 20);
    CHECK(count(s, "SELECT count(*) FROM messages") == 7);
  }
  SECTION("until nothing is left to purge") {
    auto n = s.purge(t0() + 1h, 10);
    REQUIRE(n.has_value());
    CHECK(*n == 25);
    CHECK(count(s, "SELECT count(*) FROM messages") == 2);
    CHECK(count(s, "SELECT count(*) FROM events WHERE message_id NOT IN "
                   "(SELECT id FROM messages)") == 0);
    CHECK(s.get(live)->st == state::queued);
    CHECK(s.get(recent)->st == state::cancelled);
    CHECK(s.get(done[0]).error().code == errc::not_found);
  }
  CHECK(s.purge(t0(), 0).error().code == errc::invalid_argument);
}

TEST_CASE("purge never deletes queued, in-flight or outcome_unknown messages") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto q = enqueue_ok(s, otp("6281111111111", ""));
  auto f = enqueue_ok(s, otp("6282222222222", ""));
  auto u = enqueue_ok(s, otp("6283333333333", ""));
  REQUIRE(s.claim("telkomsel", 2, t0() + 1s)->size() == 2);  // q and f... oldest first
  REQUIRE(s.mark_outcome_unknown(f, "timeout", t0() + 1s).has_value());
  CHECK(*s.purge(t0() + 100h, 100) == 0);
  CHECK(s.get(q).has_value());
  CHECK(s.get(f).has_value());
  CHECK(s.get(u).has_value());
}

TEST_CASE("purge also deletes old receipts") {
  temp_dir dir;
  auto s = open_store(dir.file());
  REQUIRE(s.apply_receipt("telkomsel", "x", receipt_outcome::delivered, "", t0()).has_value());
  REQUIRE(s.apply_receipt("telkomsel", "y", receipt_outcome::delivered, "", t0() + 2h)
              .has_value());
  REQUIRE(s.purge(t0() + 1h, 10).has_value());
  CHECK(count(s, "SELECT count(*) FROM receipts") == 1);
}

TEST_CASE("purge deletes the per-number limit events no limit can count any more") {
  temp_dir dir;
  store_options opts;
  opts.limits = limits_config{};  // per number: longest window + cooldown 48 h; range: 40 min
  auto s = open_store(dir.file(), t0(), opts);
  for (int i = 0; i < 3; ++i) {
    auto r = otp("6281111111111", "p" + std::to_string(i), t0());
    REQUIRE(s.enqueue(r)->what == enqueue_outcome::kind::accepted);
  }
  auto const late = t0() + 48h - 5min;  // five requests for another number, 47:55 .. 47:59
  for (int i = 0; i < 5; ++i) {
    auto r = otp("6281111112222", "p" + std::to_string(i), late + std::chrono::minutes(i));
    REQUIRE(s.enqueue(r)->what == enqueue_outcome::kind::accepted);
  }
  CHECK(count(s, "SELECT count(*) FROM rate_number_events") == 8);
  CHECK(count(s, "SELECT count(*) FROM rate_prefix_events") == 8);

  // Cutoff 48:01: number events up to 00:01 are dead, range events up to 47:21.
  REQUIRE(s.purge(t0() + 48h + 1min, 2).has_value());  // batches of 2: several transactions
  CHECK(count(s, "SELECT count(*) FROM rate_number_events") == 5);
  CHECK(count(s, "SELECT count(*) FROM rate_number_events WHERE msisdn = 6281111111111") == 0);
  CHECK(count(s, "SELECT count(*) FROM rate_prefix_events") == 5);
  CHECK(count(s, "SELECT count(*) FROM rate_prefix_events WHERE at < " +
                     std::to_string(to_ms(late))) == 0);

  // The events kept still count: the sixth request within 15 minutes is refused.
  CHECK(s.enqueue(otp("6281111112222", "p9", t0() + 48h + 2min))->what ==
        enqueue_outcome::kind::refused);
  // And the reopened file agrees.
  auto s2 = open_store(dir.file(), t0() + 48h + 3min, opts);
  CHECK(count(s2, "SELECT count(*) FROM rate_number_events") == 5);
}

TEST_CASE("purge walks in id order past live rows and stops at the first row after the cutoff") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto live = enqueue_ok(s, otp("6281111111100", ""));  // oldest id, never purgeable
  std::vector<message_id> old;
  for (int i = 0; i < 5; ++i) {
    old.push_back(enqueue_ok(s, otp("62811111111" + std::to_string(10 + i), "")));
  }
  for (auto id : old) REQUIRE(s.cancel(id, t0()).has_value());
  auto young = s.enqueue(otp("6281111111199", "", t0() + 2h));  // created after the cutoff
  REQUIRE(young.has_value());
  REQUIRE(s.cancel(young->id, t0() + 2h).has_value());
  // Receipts: an orphan (old), a held one (old, kept), an orphan after the cutoff.
  REQUIRE(s.apply_receipt("telkomsel", "o1", receipt_outcome::delivered, "", t0())->status ==
          receipt_status::orphan);
  REQUIRE(s.claim("telkomsel", 1, t0()).value().size() == 1);  // `live`, now in flight
  REQUIRE(s.mark_sending(std::vector<message_id>{live}, t0())->size() == 1);
  REQUIRE(s.apply_receipt("telkomsel", "h1", receipt_outcome::delivered, "", t0())->status ==
          receipt_status::pending);
  REQUIRE(s.mark_outcome_unknown(live, "timeout", t0()).has_value());
  REQUIRE(s.apply_receipt("telkomsel", "o2", receipt_outcome::delivered, "", t0() + 2h)->status ==
          receipt_status::orphan);

  CHECK(*s.purge(t0() + 1h, 2) == 5);  // batches of 2, the live row in the first one
  CHECK(s.get(live).has_value());
  CHECK(s.get(young->id).has_value());
  for (auto id : old) CHECK(s.get(id).error().code == errc::not_found);
  CHECK(count(s, "SELECT count(*) FROM receipts") == 2);
  CHECK(count(s, "SELECT count(*) FROM receipts WHERE smsc_message_id = 'o1'") == 0);
  // The indexes only purge used are gone (schema step 5).
  CHECK(count(s, "SELECT count(*) FROM sqlite_master WHERE name IN "
                 "('messages_purgeable', 'receipts_age')") == 0);
}

TEST_CASE("expire_due_messages returns what it expired, for the daemon's DLR log") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto first = enqueue_ok(s, otp("6281111111201", ""));   // 5 min validity
  auto second = enqueue_ok(s, otp("6281111111202", ""));
  auto young = enqueue_ok(s, otp("6281111111203", "", t0() + 4min));  // still valid at +5 min
  REQUIRE(s.claim("telkomsel", 1, t0() + 1s)->size() == 1);  // the oldest, `first`, is sent
  REQUIRE(s.mark_outcome_unknown(first, "timeout", t0() + 2s).has_value());  // ...no answer

  CHECK(s.expire_due_messages(t0() + 4min)->empty());  // nothing past expiry yet
  auto expired = s.expire_due_messages(t0() + 5min);
  REQUIRE(expired.has_value());
  REQUIRE(expired->size() == 2);
  CHECK((*expired)[0].id == first);
  CHECK((*expired)[0].st == state::expired);
  CHECK((*expired)[0].detail == "expired while its outcome was unknown");
  CHECK((*expired)[1].id == second);
  CHECK((*expired)[1].detail == "expired while queued");
  CHECK((*expired)[1].recipient == "6281111111202");
  CHECK(s.get(young)->st == state::queued);
  CHECK(s.expire_due_messages(t0() + 5min)->empty());  // each is reported once
}
