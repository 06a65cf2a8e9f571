// tests/queue/returned_message_test.cpp: what mark_submitted_batch and apply_receipts return
// (the daemon's writer answers the dispatcher with it instead of reading each message again)
// is the message as stored: every field equal to what get() reads afterwards. On real SQLite
// files: a plain submit result (its state only: nothing else changed), one that applies a
// receipt held for it (delivered, and failed with a retry: the whole message), receipts
// applied on the common path and on the general one (the whole message), and a duplicate and
// an orphan, which return none.
#include "queue/schema.hpp"
#include "queue/store.hpp"

#include "queue_fixture.hpp"

#include <optional>
#include <string>
#include <tuple>
#include <vector>

using namespace smsgw::queue;
using namespace smsgw::queue::test;
using namespace std::chrono_literals;

namespace {

/// Every field of `got` equals the stored message (read by get() now).
void check_as_stored(store& s, message const& got) {
  auto stored = s.get(got.id);
  REQUIRE(stored.has_value());
  message const& m = *stored;
  CHECK(got.id == m.id);
  CHECK(got.recipient == m.recipient);
  CHECK(got.sender == m.sender);
  CHECK(got.text == m.text);
  CHECK(got.prio == m.prio);
  CHECK(got.purpose == m.purpose);
  CHECK(got.idempotency_key == m.idempotency_key);
  CHECK(got.carrier == m.carrier);
  CHECK(got.route == m.route);
  CHECK(got.st == m.st);
  CHECK(got.created_at == m.created_at);
  CHECK(got.expires_at == m.expires_at);
  CHECK(got.not_before == m.not_before);
  CHECK(got.updated_at == m.updated_at);
  CHECK(got.attempts == m.attempts);
  CHECK(got.sending_at == m.sending_at);
  CHECK(got.smsc_message_id == m.smsc_message_id);
  CHECK(got.detail == m.detail);
  CHECK(got.via_carrier == m.via_carrier);
  CHECK(got.filtered_routes == m.filtered_routes);
  CHECK(got.silent_routes == m.silent_routes);
}

/// Enqueues an OTP of telkomsel to `recipient`, claims it and marks it sending.
message_id sending(store& s, std::string recipient) {
  auto id = enqueue_ok(s, otp(std::move(recipient)));
  REQUIRE(s.claim("telkomsel", 10, t0())->size() == 1);
  std::vector<message_id> ids{id};
  REQUIRE(s.mark_sending(ids, t0())->size() == 1);
  return id;
}

/// Queues every failed receipt again on indosat.
store_options retrying() {
  store_options o;
  o.retry = [](message const&, retry_reason) -> std::optional<retry_plan> {
    return retry_plan{"indosat", t0() + 7s, "alternate carrier"};
  };
  return o;
}

}  // namespace

TEST_CASE("mark_submitted_batch returns each message's state as stored after it") {
  temp_dir dir;
  auto s = open_store(dir.file());
  auto a = sending(s, "6281111111111");
  auto b = sending(s, "6282222222222");
  std::vector<submission> subs{{a, "telkomsel", "id-a", "telkomsel", t0() + 30s},
                               {9999, "telkomsel", "id-x", "telkomsel"},
                               {b, "indosat", "id-b", "indosat"}};
  auto r = s.mark_submitted_batch(subs, t0() + 1s);
  REQUIRE(r.has_value());
  REQUIRE((*r)[0].has_value());
  CHECK((*r)[1].error().code == errc::not_found);
  REQUIRE((*r)[2].has_value());
  for (auto [i, id] : {std::pair{std::size_t{0}, a}, std::pair{std::size_t{2}, b}}) {
    auto const& got = *(*r)[i];
    CHECK(got.st == state::submitted);
    CHECK(s.get(id)->st == got.st);
    // Nothing but the submit result changed it: the caller has the rest (no read).
    CHECK_FALSE(got.settled.has_value());
    CHECK(got.held_receipt.empty());
  }
}

TEST_CASE("mark_submitted_batch returns the message a held receipt settled, with its detail") {
  temp_dir dir;
  auto s = open_store(dir.file(), t0(), retrying());
  auto delivered = sending(s, "6281111111111");
  auto failed = sending(s, "6282222222222");
  auto plain = sending(s, "6283333333333");
  // Both receipts overtake their submit_sm_resp: held. The first one twice (the second held
  // copy becomes a duplicate when they are applied).
  for (auto const& [id, outcome, detail] :
       {std::tuple{"h1", receipt_outcome::delivered, "stat:DELIVRD err:000"},
        std::tuple{"h1", receipt_outcome::delivered, "stat:DELIVRD err:000"},
        std::tuple{"h2", receipt_outcome::undeliverable, "stat:UNDELIV err:001"}}) {
    auto held = s.apply_receipt("telkomsel", id, outcome, detail, t0() + 1s);
    REQUIRE(held.has_value());
  }
  CHECK(receipts_with_status(s, receipt_status::pending) == 2);  // the same receipt once
  std::vector<submission> subs{{delivered, "telkomsel", "h1", "telkomsel"},
                               {failed, "telkomsel", "h2", "telkomsel"},
                               {plain, "telkomsel", "h3", "telkomsel"}};
  auto r = s.mark_submitted_batch(subs, t0() + 2s);
  REQUIRE(r.has_value());
  for (auto const& one : *r) REQUIRE(one.has_value());
  for (std::size_t i : {std::size_t{0}, std::size_t{1}}) {
    auto const& got = *(*r)[i];
    REQUIRE(got.settled.has_value());
    CHECK(got.st == got.settled->st);
    check_as_stored(s, *got.settled);
  }
  CHECK((*r)[0]->st == state::delivered);
  CHECK((*r)[0]->settled->detail == "receipt (held until submit_sm_resp): stat:DELIVRD err:000");
  CHECK((*r)[0]->held_receipt == "stat:DELIVRD err:000");
  CHECK((*r)[1]->st == state::queued);  // the retry policy queued it again on indosat
  CHECK((*r)[1]->settled->route == "indosat");
  CHECK((*r)[1]->held_receipt == "stat:UNDELIV err:001");
  CHECK((*r)[2]->st == state::submitted);
  CHECK(s.get(plain)->st == state::submitted);
  CHECK_FALSE((*r)[2]->settled.has_value());
  CHECK((*r)[2]->held_receipt.empty());
  // What the daemon read before: the applied receipt's detail, from the receipts table.
  CHECK(s.applied_receipt_detail(delivered)->value_or("") == (*r)[0]->held_receipt);
  CHECK(s.applied_receipt_detail(failed)->value_or("") == (*r)[1]->held_receipt);
}

TEST_CASE("apply_receipts returns the matched message as stored, none for a duplicate") {
  temp_dir dir;
  auto s = open_store(dir.file(), t0(), retrying());
  auto a = sending(s, "6281111111111");
  auto b = sending(s, "6282222222222");
  std::vector<submission> subs{{a, "telkomsel", "a", "telkomsel"},
                               {b, "telkomsel", "b", "telkomsel"}};
  REQUIRE(s.mark_submitted_batch(subs, t0() + 1s).has_value());
  std::vector<receipt> rs{
      // The common path: one UPDATE finds the message.
      {"telkomsel", "a", receipt_outcome::delivered, "stat:DELIVRD err:000"},
      // The general path: a failed receipt asks the retry policy (queued again).
      {"telkomsel", "b", receipt_outcome::undeliverable, "stat:UNDELIV err:001"},
      // The first one again in the same batch: a duplicate, nothing changed.
      {"telkomsel", "a", receipt_outcome::delivered, "stat:DELIVRD err:000"},
      // No message has the id: an orphan.
      {"telkomsel", "zz", receipt_outcome::delivered, "stat:DELIVRD err:000"}};
  auto r = s.apply_receipts(rs, t0() + 3s);
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 4);

  CHECK((*r)[0].res.status == receipt_status::applied);
  CHECK((*r)[0].res.id == a);
  REQUIRE((*r)[0].msg.has_value());
  CHECK((*r)[0].msg->st == state::delivered);
  CHECK((*r)[0].msg->text.empty());  // final: erased (schema step 10)
  check_as_stored(s, *(*r)[0].msg);

  CHECK((*r)[1].res.status == receipt_status::applied);
  CHECK((*r)[1].res.id == b);
  REQUIRE((*r)[1].msg.has_value());
  CHECK((*r)[1].msg->st == state::queued);
  CHECK((*r)[1].msg->route == "indosat");
  check_as_stored(s, *(*r)[1].msg);

  CHECK((*r)[2].res.status == receipt_status::duplicate);
  CHECK((*r)[2].res.id == a);
  CHECK_FALSE((*r)[2].msg.has_value());

  CHECK((*r)[3].res.status == receipt_status::orphan);
  CHECK_FALSE((*r)[3].res.id.has_value());
  CHECK_FALSE((*r)[3].msg.has_value());

  // A duplicate in a later batch: still no message, and the stored one is unchanged.
  auto before = s.get(a);
  REQUIRE(before.has_value());
  std::vector<receipt> again{{"telkomsel", "a", receipt_outcome::delivered, "stat:DELIVRD err:000"}};
  auto dup = s.apply_receipts(again, t0() + 4s);
  REQUIRE(dup.has_value());
  CHECK((*dup)[0].res.status == receipt_status::duplicate);
  CHECK_FALSE((*dup)[0].msg.has_value());
  check_as_stored(s, *before);
}
