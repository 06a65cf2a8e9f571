// tests/daemon/dispatch/dispatch_batching_test.cpp: group commit of the links' reports through the whole
// message path (dispatch_fixture.hpp: real links, SMSC simulator, SQLite file). A holding sink
// between the links and the dispatcher keeps submit_sm_resp and deliver_sm reports back, then
// hands them over while the queue writer is held busy (writer_gate.hpp). It shows: many
// reports share a few transactions; deliver_sm_resp is sent only after the commit (read from a
// second connection at that moment); a batch the queue cannot commit answers every receipt
// ESME_RX_T_APPN and the SMSC's redelivery is recorded; a receipt overtaking its submit_sm_resp
// is held and applied by it; a receipt without a usable id does not spoil its batch.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

#include "smpp/message_id.hpp"
#include "smpp/receipt.hpp"
#include "tests/daemon/dispatch/dispatch_fixture.hpp"
#include "tests/daemon/dispatch/writer_gate.hpp"

using namespace smsgw;
using namespace smsgw::test;
using queue::state;

namespace {

/// Between the fixture's tap and the dispatcher: while holding, submit results and deliver_sm
/// are kept in arrival order instead of reaching the dispatcher; link states always pass.
class holding_events final : public smpp_events {
 public:
  struct submit_report {
    link_identity link;
    std::uint64_t ref = 0;
    std::string message_id;
    smpp::command_status status{};
  };
  struct deliver_report {
    link_identity link;
    smpp::pdu p;
    deliver_ack ack;
  };

  smpp_events* target = nullptr;
  bool hold_submits = false, hold_delivers = false;
  std::vector<submit_report> submits;
  std::vector<deliver_report> delivers;

  void on_submit_result(link_identity const& l, std::uint64_t ref, std::string_view id,
                        smpp::command_status st) override {
    if (hold_submits) submits.push_back({l, ref, std::string(id), st});
    else target->on_submit_result(l, ref, id, st);
  }
  void on_outcome_unknown(link_identity const& l, std::uint64_t ref, std::string_view why) override {
    target->on_outcome_unknown(l, ref, why);
  }
  void on_deliver(link_identity const& l, smpp::pdu const& p, deliver_ack ack) override {
    if (hold_delivers) delivers.push_back({l, p, std::move(ack)});
    else target->on_deliver(l, p, std::move(ack));
  }
  void on_link_state(link_identity const& l, link_state s, std::string_view d) override {
    target->on_link_state(l, s, d);
  }
};

/// Every deliver_sm_resp the dispatcher sends, with the message's committed state at that
/// moment (a second connection: it cannot see a commit that has not happened yet).
struct ack_log {
  struct entry {
    queue::message_id id = 0;
    smpp::command_status status{};
    state committed = state::queued;
  };
  sqlite::database& reader;
  std::vector<entry> entries;
  std::vector<std::shared_ptr<deliver_ack::sink>> sinks;

  /// An ack that records, then forwards to `real` (if any) so the simulator hears it.
  deliver_ack observe(boost::asio::any_io_executor ex, queue::message_id id,
                      std::optional<deliver_ack> real) {
    auto sink = std::make_shared<deliver_ack::sink>(
        [this, id, real](std::uint32_t, smpp::command_status st) mutable {
          entries.push_back({id, st, id == 0 ? state::queued : committed_state(reader, id)});
          if (real) (*real)(st);
        });
    sinks.push_back(sink);
    return deliver_ack(std::move(ex), sink, real ? real->sequence_number() : 0);
  }
};

/// The world with the holding sink installed, and the map from SMSC ids to our messages.
struct batching_world {
  holding_events hold;  // first: outlives the world, whose stop() still reports link states
  dispatch_world w;
  std::optional<sqlite::database> reader;
  std::map<std::string, queue::message_id> by_smsc_id;

  batching_world() : w({sim_spec{"tsel", {}}}) {
    w.start();
    hold.target = &w.disp();
    w.tap.target = &hold;
    reader.emplace(open_reader(w.db_path));
  }

  std::vector<queue::message_id> enqueue(int n) {
    std::vector<queue::message_id> ids;
    for (int i = 0; i < n; ++i) ids.push_back(w.enqueue(otp_request(number(i), "tsel")));
    return ids;
  }
  /// Notes which message each held submit result is about (ref = message id).
  void learn_ids() {
    for (auto const& s : hold.submits)
      by_smsc_id[smpp::message_id_key(s.message_id, smpp::message_id_side::submit_sm_resp,
                                      smpp::message_id_format::same)] =
          static_cast<queue::message_id>(s.ref);
  }
  queue::message_id id_of(smpp::pdu const& p) {
    auto r = smpp::parse_receipt(std::get<smpp::deliver_sm>(p.body), p.tlvs);
    REQUIRE(r.has_value());
    auto key = smpp::message_id_key(r->message_id, smpp::message_id_side::receipt,
                                    smpp::message_id_format::same);
    REQUIRE(by_smsc_id.count(key) == 1);
    return by_smsc_id[key];
  }
  void release_submit(holding_events::submit_report const& s) {
    w.disp().on_submit_result(s.link, s.ref, s.message_id, s.status);
  }
  void release_deliver(holding_events::deliver_report& d, ack_log& acks) {
    w.disp().on_deliver(d.link, d.p, acks.observe(w.io.get_executor(), id_of(d.p), d.ack));
  }
  /// Runs the network thread a little while the writer is held: nothing can be committed.
  void idle_a_while() {
    w.io.restart();
    w.io.run_for(std::chrono::milliseconds(50));
  }
  std::size_t dlr_count(queue::message_id id, std::string_view st) {
    auto lines = w.dlr_lines();
    auto const want_id = "id=" + std::to_string(id) + " ";
    auto const want_st = "state=" + std::string(st);
    return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [&](auto const& l) {
      return l.find(want_id) != std::string::npos && l.find(want_st) != std::string::npos;
    }));
  }
};

}  // namespace

TEST_CASE("submit results and receipts reported while the writer is busy share transactions",
          "[dispatcher][batching]") {
  batching_world b;
  b.hold.hold_submits = b.hold.hold_delivers = true;
  constexpr std::size_t n = 30;
  auto ids = b.enqueue(static_cast<int>(n));
  REQUIRE(b.w.wait_until([&] { return b.hold.submits.size() == n && b.hold.delivers.size() == n; }));
  b.learn_ids();
  ack_log acks{*b.reader, {}, {}};
  REQUIRE(b.w.wait_until([&] { return b.w.disp().transitions_idle(); }));
  auto const before = b.w.disp().batch_stats();
  {
    writer_gate gate(b.w.gc());
    for (auto const& s : b.hold.submits) b.release_submit(s);
    for (auto& d : b.hold.delivers) b.release_deliver(d, acks);
    b.idle_a_while();
    CHECK(acks.entries.empty());  // no deliver_sm_resp before the commit
  }
  REQUIRE(b.w.wait_until([&] { return acks.entries.size() == n; }));
  for (auto const& e : acks.entries) {
    INFO("message " << e.id);
    CHECK(e.status == smpp::command_status::ok);
    CHECK(e.committed == state::delivered);  // committed before its deliver_sm_resp
  }
  // The submit results lingered for company (submit_linger) until the first receipt took them
  // to the writer with it (or the linger ran out first, on a slow machine, and took those
  // reported by then); everything reported after waited for that flush and went together:
  // 2 flushes (one transaction each) for 60 reports, 3 savepoints (submit or receipt batches).
  auto const after = b.w.disp().batch_stats();
  CHECK(after.flushes - before.flushes == 2);
  CHECK(after.submit_batches - before.submit_batches >= 1);
  CHECK(after.receipt_batches - before.receipt_batches >= 1);
  CHECK((after.submit_batches - before.submit_batches) +
            (after.receipt_batches - before.receipt_batches) == 3);
  CHECK(after.submits - before.submits == n);
  CHECK(after.receipts - before.receipts == n);
  REQUIRE(b.w.wait_until([&] { return b.w.sim("tsel").counters().receipts_acked == n; }));
  for (auto id : ids) {
    INFO("message " << id);
    CHECK(b.w.get(id).st == state::delivered);
    REQUIRE(b.w.wait_dlr(id, "delivered"));
    CHECK(b.dlr_count(id, "delivered") == 1);
  }
  CHECK(b.w.disp().stats().receipts_unmatched == 0);  // none was held: submits went first
  CHECK(b.w.disp().stats().queue_errors == 0);
}

TEST_CASE("a receipt batch the queue cannot commit is answered ESME_RX_T_APPN, then redelivered",
          "[dispatcher][batching]") {
  batching_world b;
  b.hold.hold_submits = true;  // only to learn the ids; handed over at once below
  b.hold.hold_delivers = true;
  constexpr std::size_t n = 10;
  auto ids = b.enqueue(static_cast<int>(n));
  REQUIRE(b.w.wait_until([&] { return b.hold.submits.size() == n; }));
  b.learn_ids();
  for (auto const& s : b.hold.submits) b.release_submit(s);
  b.hold.hold_submits = false;
  for (auto id : ids) REQUIRE(b.w.wait_state(id, state::submitted));
  REQUIRE(b.w.wait_until([&] { return b.hold.delivers.size() == n; }));
  // The submit results' flush is over (its completion ran on this thread): else all ten
  // receipts would wait behind it and go as one batch (seen once under ASan in CI).
  REQUIRE(b.w.wait_until([&] { return b.w.disp().transitions_idle(); }));

  ack_log acks{*b.reader, {}, {}};
  {
    writer_gate gate(b.w.gc());
    // Behind the gate, before the first batch: the store's connection refuses writes.
    b.w.gc().run([](queue::store& s) { s.database().exec("PRAGMA query_only = ON"); });
    for (auto& d : b.hold.delivers) b.release_deliver(d, acks);
    b.hold.delivers.clear();
  }
  REQUIRE(b.w.wait_until([&] { return acks.entries.size() == n; }));
  for (auto const& e : acks.entries) {
    INFO("message " << e.id);
    CHECK(e.status == smpp::command_status::x_t_appn);  // not recorded: send it again
    CHECK(e.committed == state::submitted);
  }
  CHECK(b.w.disp().batch_stats().receipt_batches == 2);  // the first alone, then the other 9
  CHECK(b.w.disp().stats().queue_errors >= n);
  b.w.gc().run([](queue::store& s) { s.database().exec("PRAGMA query_only = OFF"); }).get();

  // The simulator redelivers each one (ESME_RX_T_APPN); now they are recorded.
  REQUIRE(b.w.wait_until([&] { return b.hold.delivers.size() == n; }));
  acks.entries.clear();
  for (auto& d : b.hold.delivers) b.release_deliver(d, acks);
  REQUIRE(b.w.wait_until([&] { return acks.entries.size() == n; }));
  for (auto const& e : acks.entries) {
    INFO("message " << e.id);
    CHECK(e.status == smpp::command_status::ok);
    CHECK(e.committed == state::delivered);
  }
  REQUIRE(b.w.wait_until([&] { return b.w.sim("tsel").counters().receipts_acked == n; }));
  auto const c = b.w.sim("tsel").counters();
  CHECK(c.receipts_retry_requested == n);
  CHECK(c.receipts_dropped == 0);
  for (auto id : ids) {
    REQUIRE(b.w.wait_dlr(id, "delivered"));
    CHECK(b.dlr_count(id, "delivered") == 1);
  }
}

TEST_CASE("a receipt overtaking its submit_sm_resp is held and applied by it, batched or not",
          "[dispatcher][batching]") {
  batching_world b;
  b.hold.hold_submits = b.hold.hold_delivers = true;
  auto ids = b.enqueue(3);
  REQUIRE(b.w.wait_until([&] { return b.hold.submits.size() == 3 && b.hold.delivers.size() == 3; }));
  b.learn_ids();
  auto submit_of = [&](queue::message_id id) {
    for (auto const& s : b.hold.submits)
      if (s.ref == static_cast<std::uint64_t>(id)) return s;
    FAIL("no submit result for " << id);
    return holding_events::submit_report{};
  };
  auto deliver_of = [&](queue::message_id id) -> holding_events::deliver_report& {
    for (auto& d : b.hold.delivers)
      if (b.id_of(d.p) == id) return d;
    FAIL("no receipt for " << id);
    return b.hold.delivers.front();
  };
  ack_log acks{*b.reader, {}, {}};

  // Message 0: its receipt alone first (committed as held), its submit_sm_resp after.
  b.release_deliver(deliver_of(ids[0]), acks);
  REQUIRE(b.w.wait_until([&] { return acks.entries.size() == 1; }));
  CHECK(acks.entries[0].status == smpp::command_status::ok);  // held durably: answered OK
  CHECK(acks.entries[0].committed == state::in_flight);
  b.release_submit(submit_of(ids[0]));
  REQUIRE(b.w.wait_dlr(ids[0], "delivered"));  // the held receipt applied by mark_submitted

  // Messages 1 and 2 while the writer is busy: message 1's submit result lingers until its
  // receipt takes it to the writer (or goes alone when the linger runs out first), then
  // message 2's receipt and its submit result (the receipt reported first) wait together:
  // submit results go first, so it matches at once.
  {
    writer_gate gate(b.w.gc());
    b.release_submit(submit_of(ids[1]));
    b.release_deliver(deliver_of(ids[1]), acks);
    b.release_deliver(deliver_of(ids[2]), acks);
    b.release_submit(submit_of(ids[2]));
    b.idle_a_while();
    CHECK(acks.entries.size() == 1);
  }
  REQUIRE(b.w.wait_until([&] { return acks.entries.size() == 3; }));
  for (auto const& e : acks.entries) CHECK(e.status == smpp::command_status::ok);
  for (auto id : ids) {
    INFO("message " << id);
    CHECK(b.w.get(id).st == state::delivered);
    REQUIRE(b.w.wait_dlr(id, "delivered"));
    CHECK(b.dlr_count(id, "delivered") == 1);
  }
  // Only message 0's receipt was held; message 2's matched at once. A held receipt is not an
  // outcome: no line of its own (its message's line above is the one).
  CHECK(b.w.disp().stats().receipts_held == 1);
  CHECK(b.w.disp().stats().receipts_unmatched == 0);
  CHECK(b.dlr_count(0, "pending") == 0);
  REQUIRE(b.w.wait_until([&] { return b.w.sim("tsel").counters().receipts_acked == 3; }));
}

TEST_CASE("a receipt without a usable message id does not spoil the batch it arrives with",
          "[dispatcher][batching]") {
  batching_world b;
  b.hold.hold_submits = true;
  b.hold.hold_delivers = true;
  auto ids = b.enqueue(3);
  REQUIRE(b.w.wait_until([&] { return b.hold.submits.size() == 3; }));
  b.learn_ids();
  for (auto const& s : b.hold.submits) b.release_submit(s);
  b.hold.hold_submits = false;
  REQUIRE(b.w.wait_until([&] { return b.hold.delivers.size() == 3; }));
  for (auto id : ids) REQUIRE(b.w.wait_state(id, state::submitted));

  // A copy of the first receipt whose receipted_message_id is blanks (a normalised id of "").
  smpp::pdu blank = b.hold.delivers[0].p;
  auto tlv = std::find_if(blank.tlvs.begin(), blank.tlvs.end(), [](smpp::tlv const& t) {
    return t.tag == smpp::tag::receipted_message_id;
  });
  REQUIRE(tlv != blank.tlvs.end());
  tlv->value = {' ', ' ', 0};

  ack_log acks{*b.reader, {}, {}};
  auto const ignored_before = b.w.disp().stats().mo_ignored;
  {
    writer_gate gate(b.w.gc());
    b.release_deliver(b.hold.delivers[0], acks);  // to the writer alone
    b.w.disp().on_deliver(b.hold.delivers[0].link, blank,
                          acks.observe(b.w.io.get_executor(), 0, std::nullopt));
    b.release_deliver(b.hold.delivers[1], acks);
    b.release_deliver(b.hold.delivers[2], acks);
    b.idle_a_while();
    // The blank one is answered at once (nothing to record); the others wait for the commit.
    REQUIRE(acks.entries.size() == 1);
    CHECK(acks.entries[0].id == 0);
    CHECK(acks.entries[0].status == smpp::command_status::ok);
  }
  REQUIRE(b.w.wait_until([&] { return acks.entries.size() == 4; }));
  for (auto const& e : acks.entries) CHECK(e.status == smpp::command_status::ok);
  for (auto id : ids) CHECK(b.w.get(id).st == state::delivered);
  CHECK(b.w.disp().stats().mo_ignored == ignored_before + 1);
  CHECK(b.w.disp().stats().queue_errors == 0);
}
