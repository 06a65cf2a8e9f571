// tests/queue/receipt_settle_test.cpp: receipts whose submit_sm_resp was lost (issue #11,
// defect 5). smsgw never learnt the SMSC id of such an attempt, so its receipt matches no id;
// the store matches it by the handset's number and the receipt's submit date instead, but only
// when exactly one attempt fits (never a guess), and records the id, the outcome and the
// history. Real SQLite files, fake time; submit dates as an SMSC writes them (minute
// resolution, in its own zone).
#include "queue/schema.hpp"
#include "queue/store.hpp"

#include "queue_fixture.hpp"

#include <algorithm>

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {

constexpr char const* number = "6281311112222";

enqueue_request transactional(std::string recipient = number) {
  auto r = otp(std::move(recipient), "");
  r.prio = priority::transactional;
  r.text = "Your order 42 has shipped";
  r.validity = 1h;
  return r;
}

/// Enqueues `r` and claims it for sending (handed to a link) at `when`.
message_id sent(store& s, enqueue_request r, time_point when) {
  r.now = when;
  auto id = enqueue_ok(s, r);
  auto claimed = s.claim_for_sending(r.carrier, 1, when).value();
  REQUIRE(claimed.size() == 1);
  REQUIRE(claimed[0].id == id);
  return id;
}

/// The SMSC's submit date of a submit received at `utc`, its clock `zone` ahead of UTC,
/// written to the minute (YYMMDDhhmm).
receipt_submit_date smsc_date(time_point utc, std::chrono::hours zone = 0h) {
  return {std::chrono::floor<std::chrono::minutes>(utc + zone), 1min};
}

receipt delivered(std::string smsc_id, receipt_submit_date date, std::string recipient = number) {
  receipt r;
  r.carrier = "telkomsel";
  r.smsc_message_id = std::move(smsc_id);
  r.outcome = receipt_outcome::delivered;
  r.detail = "stat:DELIVRD err:000";
  r.recipient = std::move(recipient);
  r.submit_date = date;
  return r;
}

std::int64_t count(store& s, std::string const& sql) { return s.database().query_int(sql); }

}  // namespace

TEST_CASE("a lost submit_sm_resp is settled by its receipt's number and submit date") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto const sent_at = t0() + 20s;
  auto id = sent(s, transactional(), sent_at);
  REQUIRE(s.mark_outcome_unknown(id, "no submit_sm_resp", sent_at + 10s).has_value());

  auto r = s.apply_receipt(delivered("2a0000ff", smsc_date(sent_at)), sent_at + 2min);
  REQUIRE(r.has_value());
  CHECK(r->status == receipt_status::applied);
  CHECK(r->id == id);
  CHECK(r->st == state::delivered);
  auto m = s.get(id).value();
  CHECK(m.st == state::delivered);
  CHECK(m.smsc_message_id == "2a0000ff");
  CHECK(m.via_carrier == "telkomsel");
  CHECK(m.route == "telkomsel");
  CHECK(m.detail == "receipt: stat:DELIVRD err:000");
  // History: the id learnt from the receipt (outcome_unknown -> submitted), then the receipt.
  auto h = s.history(id).value();
  REQUIRE(h.size() >= 2);
  auto const& learnt = h[h.size() - 2];
  CHECK(learnt.from == state::outcome_unknown);
  CHECK(learnt.to == state::submitted);
  CHECK(learnt.smsc_message_id == "2a0000ff");
  CHECK(learnt.detail.find("submit_sm_resp lost") != std::string::npos);
  CHECK(h.back().from == state::submitted);
  CHECK(h.back().to == state::delivered);
  CHECK(s.applied_receipt_detail(id).value() == "stat:DELIVRD err:000");
  CHECK(count(s, "SELECT count(*) FROM unanswered_submits") == 0);  // answered now

  // The SMSC sends it again: now it matches by id, a duplicate.
  auto again = s.apply_receipt(delivered("2a0000ff", smsc_date(sent_at)), sent_at + 3min);
  REQUIRE(again.has_value());
  CHECK(again->status == receipt_status::duplicate);
  CHECK(again->id == id);
}

TEST_CASE("after a crash, the redelivered receipt settles the message recovery left "
          "outcome_unknown, whatever the SMSC's whole-hour zone") {
  auto const zone = GENERATE(0h, 7h, 8h, 9h, -5h);
  temp_dir dir;
  auto const sent_at = t0() + 42s;
  message_id id = 0;
  {
    auto s = open_store(dir.file());
    id = sent(s, transactional(), sent_at);
  }  // the process dies with the message in flight, its response never read
  auto s = open_store(dir.file(), sent_at + 3min);
  REQUIRE(s.last_recovery().outcome_unknown == 1);
  REQUIRE(s.get(id)->st == state::outcome_unknown);

  INFO("SMSC clock at UTC" << (zone.count() >= 0 ? "+" : "") << zone.count());
  auto r = s.apply_receipt(delivered("0870928761", smsc_date(sent_at, zone)), sent_at + 4min);
  REQUIRE(r.has_value());
  CHECK(r->status == receipt_status::applied);
  CHECK(r->id == id);
  CHECK(s.get(id)->st == state::delivered);
  CHECK(s.get(id)->smsc_message_id == "0870928761");
}

TEST_CASE("when two messages could be the receipt's, neither is matched: the receipt is "
          "orphan") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto first = sent(s, transactional(), t0() + 10s);
  auto second = sent(s, transactional(), t0() + 40s);  // same number, same minute
  REQUIRE(s.mark_outcome_unknown(first, "link dropped", t0() + 50s).has_value());
  REQUIRE(s.mark_outcome_unknown(second, "link dropped", t0() + 50s).has_value());

  auto r = s.apply_receipt(delivered("aa01", smsc_date(t0() + 10s)), t0() + 2min);
  REQUIRE(r.has_value());
  CHECK(r->status == receipt_status::orphan);
  CHECK_FALSE(r->id.has_value());
  CHECK(s.get(first)->st == state::outcome_unknown);
  CHECK(s.get(second)->st == state::outcome_unknown);
  CHECK(receipts_with_status(s, receipt_status::orphan) == 1);
}

TEST_CASE("an attempt of another message whose response was lost competes even after that "
          "message was retried") {
  temp_dir dir;
  auto s = open_store(dir.file());
  // An OTP to the number: no response, retried at once (in_flight -> queued, as the daemon's
  // policy does); then a transactional message to it, whose response is lost too.
  auto otp_id = sent(s, otp(number, "login"), t0() + 5s);
  REQUIRE(s.requeue(otp_id, "telkomsel", t0() + 4min, "outcome unknown; retry 2/3", t0() + 6s)
              .value() == state::queued);  // not due before the next claim below
  auto tx = sent(s, transactional(), t0() + 30s);
  REQUIRE(s.mark_outcome_unknown(tx, "no submit_sm_resp", t0() + 40s).has_value());

  auto r = s.apply_receipt(delivered("bb02", smsc_date(t0() + 5s)), t0() + 2min);
  REQUIRE(r.has_value());
  CHECK(r->status == receipt_status::orphan);  // the OTP's first attempt is just as likely
  CHECK(s.get(tx)->st == state::outcome_unknown);
  CHECK(s.get(otp_id)->st == state::queued);
}

TEST_CASE("a receipt whose submit date fits no unanswered attempt is not matched") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = sent(s, transactional(), t0() + 10s);
  REQUIRE(s.mark_outcome_unknown(id, "no submit_sm_resp", t0() + 20s).has_value());
  // 30 minutes later in any whole-hour zone; another number; no date at all.
  auto later = s.apply_receipt(delivered("cc01", smsc_date(t0() + 10s + 30min)), t0() + 1h);
  auto other = s.apply_receipt(delivered("cc02", smsc_date(t0() + 10s), "6281399998888"),
                               t0() + 1h);
  auto no_date = delivered("cc03", smsc_date(t0() + 10s));
  no_date.submit_date.reset();
  auto undated = s.apply_receipt(no_date, t0() + 1h);
  for (auto const& r : {later, other, undated}) {
    REQUIRE(r.has_value());
    CHECK(r->status == receipt_status::orphan);
  }
  CHECK(s.get(id)->st == state::outcome_unknown);
}

TEST_CASE("a submit to the same number in flight on the carrier holds the receipt, it "
          "settles the lost one once that submit has its own id") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto lost = sent(s, transactional(), t0() + 10s);
  REQUIRE(s.mark_outcome_unknown(lost, "no submit_sm_resp", t0() + 20s).has_value());
  auto busy = sent(s, transactional(), t0() + 30s);  // awaiting its submit_sm_resp

  auto r = s.apply_receipt(delivered("dd01", smsc_date(t0() + 10s)), t0() + 35s);
  REQUIRE(r.has_value());
  CHECK(r->status == receipt_status::pending);  // it may be the in-flight one's, overtaking
  CHECK(s.get(lost)->st == state::outcome_unknown);

  // The in-flight one's response names another id: the held receipt is not its.
  REQUIRE(s.mark_submitted(busy, "telkomsel", "dd02", t0() + 36s).has_value());
  CHECK(s.get(busy)->st == state::submitted);
  auto resolved = s.resolve_held_receipts(t0() + 37s).value();
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].status == receipt_status::applied);
  REQUIRE(resolved[0].msg.has_value());
  CHECK(resolved[0].msg->id == lost);
  CHECK(resolved[0].msg->st == state::delivered);
  CHECK(resolved[0].detail == "stat:DELIVRD err:000");
  CHECK(s.get(lost)->smsc_message_id == "dd01");
  CHECK(receipts_with_status(s, receipt_status::pending) == 0);
}

TEST_CASE("a receipt held while its submit awaited the response settles the message once "
          "that response is lost") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = sent(s, transactional(), t0() + 10s);
  // The receipt overtakes the submit_sm_resp: held, with its number and submit date.
  auto r = s.apply_receipt(delivered("ee01", smsc_date(t0() + 10s)), t0() + 11s);
  REQUIRE(r.has_value());
  CHECK(r->status == receipt_status::pending);
  CHECK(s.resolve_held_receipts(t0() + 12s).value().empty());  // still awaiting: kept

  // ...and then the response never comes (link dropped, timeout).
  REQUIRE(s.mark_outcome_unknown(id, "no submit_sm_resp", t0() + 40s).has_value());
  auto resolved = s.resolve_held_receipts(t0() + 41s).value();
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].status == receipt_status::applied);
  CHECK(resolved[0].carrier == "telkomsel");
  CHECK(resolved[0].smsc_message_id == "ee01");
  REQUIRE(resolved[0].msg.has_value());
  CHECK(resolved[0].msg->st == state::delivered);
  CHECK(s.get(id)->smsc_message_id == "ee01");
  CHECK(receipts_with_status(s, receipt_status::applied) == 1);
}

TEST_CASE("a held receipt nothing settles becomes orphan when its hold runs out, reported") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = sent(s, transactional(), t0() + 10s);
  REQUIRE(s.apply_receipt(delivered("ff01", smsc_date(t0() + 10s), "6281399998888"),
                          t0() + 11s)->status == receipt_status::pending);
  REQUIRE(s.mark_submitted(id, "telkomsel", "ff02", t0() + 12s).has_value());
  CHECK(s.resolve_held_receipts(t0() + 9min).value().empty());
  auto resolved = s.resolve_held_receipts(t0() + 11s + 10min).value();  // receipt_hold
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].status == receipt_status::orphan);
  CHECK(resolved[0].smsc_message_id == "ff01");
  CHECK(resolved[0].detail == "stat:DELIVRD err:000");
  CHECK_FALSE(resolved[0].msg.has_value());
  CHECK(receipts_with_status(s, receipt_status::orphan) == 1);
  CHECK(s.get(id)->st == state::submitted);
}

TEST_CASE("an undeliverable receipt of a lost response ends the message undeliverable") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = sent(s, transactional(), t0() + 10s);
  REQUIRE(s.mark_outcome_unknown(id, "no submit_sm_resp", t0() + 20s).has_value());
  auto rc = delivered("1f", smsc_date(t0() + 10s));
  rc.outcome = receipt_outcome::undeliverable;
  rc.detail = "stat:UNDELIV err:013";
  auto r = s.apply_receipt(rc, t0() + 1min);
  REQUIRE(r.has_value());
  CHECK(r->status == receipt_status::applied);
  CHECK(r->st == state::undeliverable);
  CHECK(s.get(id)->detail == "receipt: stat:UNDELIV err:013");
}

TEST_CASE("submit_date_fits: minute resolution, whole-hour zones, the clock tolerance") {
  auto const sent_at = t0() + 10min + 30s;  // 00:10:30 UTC
  auto fits = [&](time_point local, std::chrono::milliseconds res, time_point from,
                  time_point to) {
    return submit_date_fits({local, res}, from, to, 2min);
  };
  // "0010" covers 00:10:00-00:10:59 UTC; in WIB (UTC+7) it reads 07:10.
  CHECK(fits(t0() + 10min, 1min, sent_at, sent_at));
  CHECK(fits(t0() + 7h + 10min, 1min, sent_at, sent_at));
  CHECK(fits(t0() - 5h + 10min, 1min, sent_at, sent_at));
  // Within the tolerance either side, not beyond it.
  CHECK(fits(t0() + 12min, 1min, sent_at, sent_at));
  CHECK_FALSE(fits(t0() + 13min, 1min, sent_at, sent_at));
  CHECK(fits(t0() + 8min, 1min, sent_at, sent_at));
  CHECK_FALSE(fits(t0() + 7min, 1min, sent_at, sent_at));
  // Half an hour off is no whole-hour zone; a zone beyond UTC+14 is none either.
  CHECK_FALSE(fits(t0() + 40min, 1min, sent_at, sent_at));
  CHECK_FALSE(fits(t0() + 15h + 10min, 1min, sent_at, sent_at));
  // Seconds resolution: a narrower window.
  CHECK(fits(t0() + 12min + 29s, 1s, sent_at, sent_at));
  CHECK_FALSE(fits(t0() + 12min + 31s, 1s, sent_at, sent_at));
  // An attempt known only to lie in an interval: any point of it.
  CHECK(fits(t0() + 40min, 1min, sent_at, sent_at + 30min));
}

TEST_CASE("unanswered attempts go with their message at purge") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto id = sent(s, transactional(), t0() + 10s);
  REQUIRE(s.mark_outcome_unknown(id, "no submit_sm_resp", t0() + 20s).has_value());
  CHECK(count(s, "SELECT count(*) FROM unanswered_submits") == 1);
  REQUIRE(s.expire_due(t0() + 2h).value() == 1);
  CHECK(s.purge(t0() + 3h).value() == 1);
  CHECK(count(s, "SELECT count(*) FROM unanswered_submits") == 0);
}

TEST_CASE("a version-8 file's outcome_unknown messages can be settled after the upgrade") {
  temp_dir dir;
  {
    auto db = database_at_version(dir.file(), 8);
    // Claimed for sending at t0 + 10 s, given up at t0 + 40 s (sending mark cleared).
    db.exec("INSERT INTO messages (recipient, sender, text, priority, carrier, route, state, "
            "created_at, expires_at, not_before, updated_at, attempts, detail, history_len, "
            "via_carrier, last_event) VALUES ('6281311112222', 'ACME', 'order', 1, "
            "'telkomsel', '', 2, 1767225610000, 1767229200000, 1767225610000, 1767225640000, "
            "1, 'no submit_sm_resp', 3, 'telkomsel', 3)");
    db.exec("INSERT INTO events (id, message_id, prev, seq, at, from_state, to_state, "
            "attempt, detail) VALUES (1, 1, NULL, 0, 1767225610000, NULL, 0, 0, 'enqueued'), "
            "(2, 1, 1, 1, 1767225610000, 0, 1, 1, 'claimed for sending'), "
            "(3, 1, 2, 2, 1767225640000, 1, 2, 1, 'no submit_sm_resp')");
  }
  auto s = open_store(dir.file(), t0() + 1min);
  CHECK(s.database().query_int("PRAGMA user_version") == latest_schema_version());
  CHECK(count(s, "SELECT count(*) FROM unanswered_submits") == 1);
  auto r = s.apply_receipt(delivered("ab", smsc_date(t0() + 10s, 7h)), t0() + 2min);
  REQUIRE(r.has_value());
  CHECK(r->status == receipt_status::applied);
  CHECK(r->id == 1);
  CHECK(s.get(1)->st == state::delivered);
}
