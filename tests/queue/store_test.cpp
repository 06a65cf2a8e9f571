// tests/queue/store_test.cpp: the message store on real SQLite files: enqueue and history,
// idempotency, supersede, expiry, claim order, the state machine's transitions and refusals,
// retry scheduling, crash recovery at open and the versioned schema. Time is fake (t0 + ...).
#include "queue/schema.hpp"
#include "queue/state.hpp"
#include "queue/store.hpp"

#include "queue_fixture.hpp"

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

TEST_CASE("an enqueued message is stored with every field and a history entry") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto req = otp();
  req.idempotency_key = "req-1";
  req.route = "tsel-a";
  req.validity = 2min;
  auto id = enqueue_ok(s, req);

  auto m = s.get(id);
  REQUIRE(m.has_value());
  CHECK(m->recipient == "6281234567890");
  CHECK(m->sender == "ACME");
  CHECK(m->text == "Your code is 123456");
  CHECK(m->prio == priority::otp);
  CHECK(m->purpose == "login");
  CHECK(m->idempotency_key == "req-1");
  CHECK(m->carrier == "telkomsel");
  CHECK(m->route == "tsel-a");
  CHECK(m->st == state::queued);
  CHECK(m->created_at == t0());
  CHECK(m->expires_at == t0() + 2min);
  CHECK(m->attempts == 0);

  auto h = s.history(id);
  REQUIRE(h.has_value());
  REQUIRE(h->size() == 1);
  CHECK_FALSE((*h)[0].from.has_value());
  CHECK((*h)[0].to == state::queued);
  CHECK((*h)[0].at == t0());
}

TEST_CASE("the default OTP expiry is five minutes") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = enqueue_ok(s, otp());
  CHECK(s.get(id)->expires_at == t0() + 5min);
}

TEST_CASE("invalid requests are refused with invalid_argument and nothing is stored") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto bad = otp();
  SECTION("recipient not normalised") { bad.recipient = "0812-3456-7890"; }
  SECTION("recipient with letters") { bad.recipient = "62812abc"; }
  SECTION("empty text") { bad.text.clear(); }
  SECTION("no carrier") { bad.carrier.clear(); }
  SECTION("zero validity") { bad.validity = 0ms; }
  auto r = s.enqueue(bad);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(s.count_by_state()->at(0) == 0);
}

TEST_CASE("a batch with one invalid request stores the others") {
  temp_dir dir;
  auto s = open_store(dir.file());
  std::vector<enqueue_request> reqs{otp("6281111111111"), otp("bogus"), otp("6282222222222")};
  auto r = s.enqueue_batch(reqs);
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 3);
  CHECK((*r)[0].has_value());
  CHECK_FALSE((*r)[1].has_value());
  CHECK((*r)[2].has_value());
  CHECK(s.count_by_state()->at(0) == 2);
}

TEST_CASE("the same idempotency key twice returns the first message and stores nothing new") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto req = otp();
  req.idempotency_key = "abc";
  auto first = s.enqueue(req);
  REQUIRE(first.has_value());
  req.text = "Your code is 999999";
  req.now = t0() + 10s;
  auto second = s.enqueue(req);
  REQUIRE(second);
  CHECK(second->what == enqueue_outcome::kind::duplicate);
  CHECK(second->id == first->id);
  CHECK(s.count_by_state()->at(0) == 1);
  CHECK(s.get(first->id)->text == "Your code is 123456");
  auto found = s.find_by_idempotency_key("abc");
  REQUIRE(found.has_value());
  REQUIRE(found->has_value());
  CHECK((*found)->id == first->id);

  SECTION("also within one batch") {
    auto a = otp("6281111111111");
    a.idempotency_key = "same";
    std::vector<enqueue_request> reqs{a, a};
    auto r = s.enqueue_batch(reqs);
    REQUIRE(r.has_value());
    CHECK((*r)[0]->what == enqueue_outcome::kind::accepted);
    CHECK((*r)[1]->what == enqueue_outcome::kind::duplicate);
    CHECK((*r)[1]->id == (*r)[0]->id);
  }
}

TEST_CASE("a new OTP supersedes older ones for the same recipient and purpose still waiting") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto a = enqueue_ok(s, otp("6281234567890", "login", t0()));
  auto other_purpose = enqueue_ok(s, otp("6281234567890", "reset-password", t0()));
  auto other_number = enqueue_ok(s, otp("6289999999999", "login", t0()));
  auto b = enqueue_ok(s, otp("6281234567890", "login", t0() + 1s));
  auto c = s.enqueue(otp("6281234567890", "login", t0() + 2s));
  REQUIRE(c.has_value());
  CHECK(c->superseded == std::vector<message_id>{b});

  CHECK(s.get(a)->st == state::superseded);
  CHECK(s.get(b)->st == state::superseded);
  CHECK(s.get(c->id)->st == state::queued);
  CHECK(s.get(other_purpose)->st == state::queued);
  CHECK(s.get(other_number)->st == state::queued);
  auto h = s.history(a);
  REQUIRE(h->size() == 2);
  CHECK(h->back().to == state::superseded);
  CHECK(h->back().detail == "superseded by message " + std::to_string(b));

  // The user tapped "resend" five times: one message is left to send, the newest.
  auto claimed = s.claim("telkomsel", 10, t0() + 3s);
  REQUIRE(claimed.has_value());
  std::vector<message_id> ids;
  for (auto& m : *claimed) ids.push_back(m.id);
  CHECK(ids == std::vector<message_id>{other_purpose, other_number, c->id});
}

TEST_CASE("an OTP past its expiry is not superseded: it expires") {
  // Schema step 6: the supersede lookup reads the OTPs not yet expired. One past its expiry
  // can never be sent; claim (or expire_due) makes it expired, not superseded.
  temp_dir dir;
  auto s = open_store(dir.file());
  auto old_req = otp("6281234567890", "login", t0());
  old_req.validity = 1min;
  auto old = enqueue_ok(s, old_req);
  auto fresh = s.enqueue(otp("6281234567890", "login", t0() + 2min));
  REQUIRE(fresh.has_value());
  CHECK(fresh->superseded.empty());
  CHECK(s.get(old)->st == state::queued);
  auto claimed = s.claim("telkomsel", 10, t0() + 2min).value();
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].id == fresh->id);
  CHECK(s.get(old)->st == state::expired);
}

TEST_CASE("an OTP already in flight is not superseded") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto a = enqueue_ok(s, otp());
  REQUIRE(s.claim("telkomsel", 1, t0())->size() == 1);
  auto b = s.enqueue(otp("6281234567890", "login", t0() + 1s));
  REQUIRE(b.has_value());
  CHECK(b->superseded.empty());
  CHECK(s.get(a)->st == state::in_flight);
}

TEST_CASE("claim takes the highest priority first, then the oldest, for one carrier") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto mk = [&](std::string num, priority p, std::string carrier, int sec) {
    auto r = otp(std::move(num), "", t0() + std::chrono::seconds(sec));
    r.prio = p;
    r.carrier = std::move(carrier);
    return enqueue_ok(s, r);
  };
  auto bulk1 = mk("6281000000001", priority::bulk, "telkomsel", 0);
  auto trx1 = mk("6281000000002", priority::transactional, "telkomsel", 1);
  auto otp1 = mk("6281000000003", priority::otp, "telkomsel", 2);
  auto isat = mk("6285000000004", priority::otp, "indosat", 3);
  auto otp2 = mk("6281000000005", priority::otp, "telkomsel", 4);

  auto first = s.claim("telkomsel", 2, t0() + 10s);
  REQUIRE(first.has_value());
  REQUIRE(first->size() == 2);
  CHECK((*first)[0].id == otp1);
  CHECK((*first)[1].id == otp2);
  CHECK((*first)[0].st == state::in_flight);
  CHECK((*first)[0].attempts == 1);

  auto rest = s.claim("telkomsel", 10, t0() + 10s);
  REQUIRE(rest->size() == 2);
  CHECK((*rest)[0].id == trx1);
  CHECK((*rest)[1].id == bulk1);
  CHECK(s.claim("telkomsel", 10, t0() + 10s)->empty());
  CHECK(s.get(isat)->st == state::queued);
  CHECK(s.claim("indosat", 10, t0() + 10s)->size() == 1);
}

TEST_CASE("a message past its expiry is never handed out and becomes expired") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto req = otp();
  req.validity = 1min;
  auto id = enqueue_ok(s, req);

  SECTION("at claim") {
    CHECK(s.claim("telkomsel", 10, t0() + 1min)->empty());
    CHECK(s.get(id)->st == state::expired);
  }
  SECTION("via expire_due") {
    CHECK(*s.expire_due(t0() + 59s) == 0);
    CHECK(*s.expire_due(t0() + 60s) == 1);
    CHECK(s.get(id)->st == state::expired);
    CHECK(s.claim("telkomsel", 10, t0() + 61s)->empty());
  }
  SECTION("between claim and mark_sending") {
    REQUIRE(s.claim("telkomsel", 10, t0() + 59s)->size() == 1);
    std::vector<message_id> ids{id};
    auto ok = s.mark_sending(ids, t0() + 60s);
    REQUIRE(ok.has_value());
    CHECK(ok->empty());
    CHECK(s.get(id)->st == state::expired);
  }
  SECTION("an outcome_unknown message expires too") {
    REQUIRE(s.claim("telkomsel", 10, t0())->size() == 1);
    REQUIRE(s.mark_outcome_unknown(id, "submit_sm_resp timeout", t0() + 1s).has_value());
    CHECK(*s.expire_due(t0() + 2min) == 1);
    CHECK(s.get(id)->st == state::expired);
  }
  auto h = s.history(id);
  CHECK(h->back().to == state::expired);
}

TEST_CASE("the happy path records every transition with its time") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = enqueue_ok(s, otp());
  auto claimed = s.claim("telkomsel", 1, t0() + 1s);
  REQUIRE(claimed->size() == 1);
  std::vector<message_id> ids{id};
  REQUIRE(*s.mark_sending(ids, t0() + 2s) == ids);
  CHECK(s.get(id)->sending_at == t0() + 2s);
  REQUIRE(s.mark_submitted(id, "tsel-b", "a1b2c3", t0() + 3s).has_value());
  auto m = s.get(id);
  CHECK(m->st == state::submitted);
  CHECK(m->route == "tsel-b");
  CHECK(m->smsc_message_id == "a1b2c3");
  auto rr = s.apply_receipt("telkomsel", "a1b2c3", receipt_outcome::delivered,
                            "stat:DELIVRD err:000", t0() + 4s);
  REQUIRE(rr.has_value());
  CHECK(rr->status == receipt_status::applied);
  CHECK(rr->id == id);
  CHECK(s.get(id)->st == state::delivered);

  auto h = *s.history(id);
  REQUIRE(h.size() == 4);
  CHECK(h[1].from == state::queued);
  CHECK(h[1].to == state::in_flight);
  CHECK(h[1].at == t0() + 1s);
  CHECK(h[2].to == state::submitted);
  CHECK(h[2].smsc_message_id == "a1b2c3");
  CHECK(h[2].route == "tsel-b");
  CHECK(h[3].to == state::delivered);
  CHECK(h[3].at == t0() + 4s);
  CHECK(h[3].detail == "receipt: stat:DELIVRD err:000");
}

TEST_CASE("transitions not allowed from the current state are refused") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = enqueue_ok(s, otp());
  auto r = s.mark_submitted(id, "r", "x", t0());  // not claimed
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == errc::invalid_state);
  CHECK(s.mark_rejected(id, "x", t0()).error().code == errc::invalid_state);
  CHECK(s.requeue(id, "r", t0(), "x", t0()).error().code == errc::invalid_state);
  CHECK(s.mark_submitted(4242, "r", "x", t0()).error().code == errc::not_found);
  CHECK(s.get(4242).error().code == errc::not_found);
  REQUIRE(s.cancel(id, t0()).has_value());
  CHECK(s.get(id)->st == state::cancelled);
  CHECK(s.cancel(id, t0()).error().code == errc::invalid_state);
  CHECK(s.history(id)->size() == 2);  // the refusals left no trace
}

TEST_CASE("a rejected message is final") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = enqueue_ok(s, otp());
  REQUIRE(s.claim("telkomsel", 1, t0())->size() == 1);
  REQUIRE(s.mark_rejected(id, "ESME_RINVDSTADR", t0() + 1s).has_value());
  CHECK(s.get(id)->st == state::rejected);
  CHECK(s.get(id)->detail == "ESME_RINVDSTADR");
  CHECK(s.requeue(id, "r", t0(), "x", t0()).error().code == errc::invalid_state);
}

TEST_CASE("requeue schedules a retry on another route, only within expiry") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = enqueue_ok(s, otp());  // expires at t0 + 5 min
  REQUIRE(s.claim("telkomsel", 1, t0())->size() == 1);
  REQUIRE(s.mark_outcome_unknown(id, "link dropped", t0() + 1s).has_value());

  auto st = s.requeue(id, "tsel-backup", t0() + 30s, "retry after outcome_unknown", t0() + 2s);
  REQUIRE(st.has_value());
  CHECK(*st == state::queued);
  CHECK(s.get(id)->route == "tsel-backup");
  CHECK(s.claim("telkomsel", 1, t0() + 29s)->empty());  // not before its time
  auto again = s.claim("telkomsel", 1, t0() + 30s);
  REQUIRE(again->size() == 1);
  CHECK((*again)[0].attempts == 2);
  CHECK((*again)[0].route == "tsel-backup");

  // A retry that could only happen after expiry expires the message instead.
  auto late = s.requeue(id, "tsel-a", t0() + 5min, "retry", t0() + 31s);
  REQUIRE(late.has_value());
  CHECK(*late == state::expired);
  CHECK(s.get(id)->st == state::expired);
}

TEST_CASE("a submitted message without a receipt can be retried") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = enqueue_ok(s, otp());
  REQUIRE(s.claim("telkomsel", 1, t0())->size() == 1);
  REQUIRE(s.mark_submitted(id, "a", "m1", t0()).has_value());
  CHECK(*s.requeue(id, "b", t0() + 60s, "no receipt", t0() + 60s) == state::queued);
  // and a late receipt for the first attempt still ends it
  auto rr = s.apply_receipt("telkomsel", "m1", receipt_outcome::delivered, "late", t0() + 61s);
  CHECK(rr->status == receipt_status::applied);
  CHECK(s.get(id)->st == state::delivered);
}

TEST_CASE("mark_submitted_batch records many in one transaction, errors per item") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto a = enqueue_ok(s, otp("6281111111111"));
  auto b = enqueue_ok(s, otp("6282222222222"));
  REQUIRE(s.claim("telkomsel", 2, t0())->size() == 2);
  std::vector<submission> subs{{a, "r", "id-a"}, {9999, "r", "id-x"}, {b, "r", "id-b"}};
  auto res = s.mark_submitted_batch(subs, t0() + 1s);
  REQUIRE(res.has_value());
  CHECK((*res)[0].has_value());
  CHECK((*res)[1].error().code == errc::not_found);
  CHECK((*res)[2].has_value());
  CHECK(s.get(a)->st == state::submitted);
  CHECK(s.get(b)->smsc_message_id == "id-b");
}

TEST_CASE("crash recovery at open: sending -> outcome_unknown, merely claimed -> queued") {
  temp_dir dir;
  message_id sent = 0, claimed_only = 0, queued = 0;
  {
    auto s = open_store(dir.file());
    sent = enqueue_ok(s, otp("6281111111111"));
    claimed_only = enqueue_ok(s, otp("6282222222222"));
    queued = enqueue_ok(s, otp("6283333333333"));
    REQUIRE(s.claim("telkomsel", 2, t0())->size() == 2);
    std::vector<message_id> ids{sent};
    REQUIRE(s.mark_sending(ids, t0()).has_value());
    // the store is dropped without any outcome recorded: as after kill -9
  }
  auto s = open_store(dir.file(), t0() + 10s);
  CHECK(s.last_recovery().outcome_unknown == 1);
  CHECK(s.last_recovery().requeued == 1);
  CHECK(s.get(sent)->st == state::outcome_unknown);
  CHECK(s.get(claimed_only)->st == state::queued);
  CHECK(s.get(queued)->st == state::queued);
  CHECK(s.count_by_state()->at(static_cast<std::size_t>(state::in_flight)) == 0);
  auto h = *s.history(sent);
  CHECK(h.back().at == t0() + 10s);
  CHECK(h.back().detail.find("may have reached the SMSC") != std::string::npos);
  // outcome_unknown is retried by policy while valid
  CHECK(*s.requeue(sent, "alt", t0() + 11s, "retry after crash", t0() + 10s) == state::queued);
}

TEST_CASE("the schema is versioned and migrations run once") {
  temp_dir dir;
  { auto s = open_store(dir.file()); }
  {
    auto db = smsgw::sqlite::database::open(dir.file());
    CHECK(db.query_int("PRAGMA user_version") == latest_schema_version());
  }
  auto id = 0;
  {
    auto s = open_store(dir.file());
    id = static_cast<int>(enqueue_ok(s, otp()));
  }
  auto s = open_store(dir.file());  // reopening migrates nothing and keeps the data
  CHECK(s.get(id)->st == state::queued);

  SECTION("a file from a newer smsgw is refused") {
    {
      auto db = smsgw::sqlite::database::open(dir.file());
      db.exec("PRAGMA user_version=999");
    }
    auto r = store::open(dir.file());
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == errc::schema_too_new);
  }
}

TEST_CASE("the database is in WAL mode with synchronous=FULL") {
  temp_dir dir;
  auto s = open_store(dir.file());
  smsgw::sqlite::statement jm(s.database(), "PRAGMA journal_mode");
  REQUIRE(jm.step());
  CHECK(jm.column_text(0) == "wal");
  CHECK(s.database().query_int("PRAGMA synchronous") == 2);
}

TEST_CASE("claim looks past messages that are not yet due, in order") {
  temp_dir dir;
  auto s = open_store(dir.file());
  std::vector<message_id> later, now;
  for (int i = 0; i < 40; ++i) {
    auto id = enqueue_ok(s, otp("628111111" + std::to_string(1000 + i), ""));
    (i < 30 ? later : now).push_back(id);
  }
  // The 30 oldest are retried later: claimed, then requeued with a not_before.
  REQUIRE(s.claim("telkomsel", 30, t0())->size() == 30);
  for (auto id : later) {
    REQUIRE(s.requeue(id, "", t0() + 1min, "retry", t0()).has_value());
  }
  auto got = s.claim("telkomsel", 5, t0() + 1s);
  REQUIRE(got->size() == 5);
  for (std::size_t i = 0; i < 5; ++i) CHECK((*got)[i].id == now[i]);
  auto rest = s.claim("telkomsel", 100, t0() + 2s);
  CHECK(rest->size() == 5);
  CHECK(s.claim("telkomsel", 100, t0() + 1min)->size() == 30);
}
