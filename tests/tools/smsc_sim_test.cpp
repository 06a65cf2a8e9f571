// tests/tools/smsc_sim_test.cpp: the carrier simulator (tools/smsc-sim) driven over real
// loopback sockets by a deliberately small client built only from the codec: binds and
// credentials, message-id formats, receipts (forms, outcomes, routing, redelivery),
// enquire_link/unbind both ways, every fault, malformed input, concurrent binds, and the
// --submit-times file.
// The simulator runs on its own thread; the client is blocking with a hang guard, and
// waits on counters rather than on wall-clock figures.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "smpp/codec.hpp"
#include "smpp/receipt.hpp"
#include "tools/smsc-sim/simulator.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace smsgw;
using smpp::command_id;
using smpp::command_status;

namespace {

constexpr auto hang_guard = 5s;  // only ever reached when something is broken

/// What read() found: a whole PDU's bytes, the peer's EOF, or nothing in time.
struct frame_result {
  enum kind { frame, eof, timeout } what = timeout;
  std::vector<std::uint8_t> bytes;
};

/// A blocking SMPP client over one TCP connection, from the codec and nothing else.
class test_client {
 public:
  explicit test_client(std::uint16_t port) {
    socket_.connect({asio::ip::address_v4::loopback(), port});
    socket_.set_option(asio::ip::tcp::no_delay(true));
  }

  void send(smpp::pdu const& p) {
    std::vector<std::uint8_t> out;
    auto err = smpp::encode(p, out);
    REQUIRE_FALSE(err);
    send_raw(out);
  }
  void send_raw(std::vector<std::uint8_t> const& bytes) { asio::write(socket_, asio::buffer(bytes)); }

  std::uint32_t request(smpp::pdu_body body, smpp::tlv_list tlvs = {}) {
    smpp::pdu p;
    p.sequence_number = next_seq_++;
    p.body = std::move(body);
    p.tlvs = std::move(tlvs);
    send(p);
    return p.sequence_number;
  }

  void respond(smpp::pdu const& req, smpp::pdu_body body, command_status st = command_status::ok) {
    smpp::pdu p;
    p.status = st;
    p.sequence_number = req.sequence_number;
    p.body = std::move(body);
    send(p);
  }

  /// Reads exactly n raw octets (for PDUs whose header lies about their length).
  std::vector<std::uint8_t> read_exact(std::size_t n) {
    while (buf_.size() < n && fill(hang_guard)) {}
    REQUIRE(buf_.size() >= n);
    std::vector<std::uint8_t> out(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
    return out;
  }

  frame_result read_frame(std::chrono::milliseconds timeout = hang_guard) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (buf_.size() >= 4) {
        std::uint32_t len = (std::uint32_t{buf_[0]} << 24) | (std::uint32_t{buf_[1]} << 16) |
                            (std::uint32_t{buf_[2]} << 8) | buf_[3];
        REQUIRE(len >= 16);
        REQUIRE(len <= 70000);
        if (buf_.size() >= len) {
          frame_result r{frame_result::frame, {buf_.begin(), buf_.begin() + len}};
          buf_.erase(buf_.begin(), buf_.begin() + len);
          return r;
        }
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return {};
      if (!fill(left)) return {eof_ ? frame_result::eof : frame_result::timeout, {}};
    }
  }

  /// The next PDU, which must arrive and decode.
  smpp::pdu read_pdu() {
    auto r = read_frame();
    REQUIRE(r.what == frame_result::frame);
    auto p = smpp::decode(r.bytes);
    REQUIRE(p.has_value());
    return *p;
  }

  /// The next PDU, answering (and skipping) any enquire_link the simulator sends meanwhile.
  smpp::pdu expect(command_id id) {
    auto p = read_pdu();
    INFO("got " << smpp::command_name(p.id()) << ", expected " << smpp::command_name(id));
    REQUIRE(p.id() == id);
    return p;
  }

  bool closed_by_peer() {
    for (;;) {
      auto r = read_frame();
      if (r.what == frame_result::eof) return true;
      if (r.what == frame_result::timeout) return false;
    }
  }

  smpp::pdu bind(command_id id, std::string system_id = "smsgw", std::string password = "secret") {
    auto fill_bind = [&](auto b) {
      b.system_id = system_id;
      b.password = password;
      return smpp::pdu_body{b};
    };
    if (id == command_id::bind_transmitter) request(fill_bind(smpp::bind_transmitter{}));
    else if (id == command_id::bind_receiver) request(fill_bind(smpp::bind_receiver{}));
    else request(fill_bind(smpp::bind_transceiver{}));
    return expect(static_cast<command_id>(static_cast<std::uint32_t>(id) | 0x80000000u));
  }

  std::uint32_t submit(std::string dest, std::string text, std::uint8_t registered_delivery = 1) {
    smpp::submit_sm sm;
    sm.source_addr = "SMSGW";
    sm.destination_addr = std::move(dest);
    sm.registered_delivery = registered_delivery;
    sm.short_message.assign(text.begin(), text.end());
    return request(sm);
  }

 private:
  /// Reads what is available into buf_, waiting at most `timeout`; false on EOF or timeout.
  bool fill(std::chrono::milliseconds timeout) {
    std::array<std::uint8_t, 4096> chunk;
    bool done = false;
    boost::system::error_code ec;
    std::size_t n = 0;
    socket_.async_read_some(asio::buffer(chunk), [&](boost::system::error_code e, std::size_t k) {
      ec = e;
      n = k;
      done = true;
    });
    io_.restart();
    io_.run_for(timeout);
    bool in_time = done;
    if (!done) {  // cancel, and keep whatever raced in with the cancellation
      socket_.cancel();
      io_.restart();
      io_.run();
    }
    buf_.insert(buf_.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    if (ec && ec != asio::error::operation_aborted) eof_ = true;
    return in_time && !ec;
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_{io_};
  std::vector<std::uint8_t> buf_;
  std::uint32_t next_seq_ = 1;
  bool eof_ = false;
};

/// Waits until pred() holds (checked every few ms), up to the hang guard.
template <class Pred>
bool eventually(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + hang_guard;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

sim::sim_config base_config() {
  sim::sim_config cfg;
  cfg.name = "TestCarrier";
  cfg.receipt_delay = 20ms;
  cfg.redelivery_delay = 20ms;
  cfg.deliver_resp_timeout = 2s;
  return cfg;
}

std::string text_of(smpp::pdu const& p) {
  auto const& sm = std::get<smpp::deliver_sm>(p.body);
  return {sm.short_message.begin(), sm.short_message.end()};
}

smpp::delivery_receipt receipt_of(smpp::pdu const& p) {
  auto r = smpp::parse_receipt(std::get<smpp::deliver_sm>(p.body), p.tlvs);
  REQUIRE(r.has_value());
  return *r;
}

std::string message_id_of(smpp::pdu const& p) {
  return std::get<smpp::submit_sm_resp>(p.body).message_id;
}

}  // namespace

TEST_CASE("binds are checked against the configured accounts", "[smsc_sim]") {
  auto cfg = base_config();
  cfg.accounts.push_back({"other", "pw2"});
  sim::simulator_thread s(cfg);

  SECTION("good credentials bind, and the response carries the SMSC's system_id and version") {
    test_client c(s.port());
    auto resp = c.bind(command_id::bind_transceiver);
    CHECK(resp.status == command_status::ok);
    CHECK(std::get<smpp::bind_transceiver_resp>(resp.body).system_id == "SMSCSIM");
    REQUIRE(resp.tlvs.size() == 1);
    CHECK(resp.tlvs[0].tag == smpp::tag::sc_interface_version);
    test_client c2(s.port());
    CHECK(c2.bind(command_id::bind_transmitter, "other", "pw2").status == command_status::ok);
    CHECK(eventually([&] { return s.sim().counters().binds_active == 2; }));
  }
  SECTION("a wrong password gets ESME_RINVPASWD, an unknown system_id ESME_RINVSYSID") {
    test_client c(s.port());
    CHECK(c.bind(command_id::bind_transceiver, "smsgw", "wrong").status == command_status::invpaswd);
    test_client c2(s.port());
    CHECK(c2.bind(command_id::bind_receiver, "nobody", "secret").status == command_status::invsysid);
    CHECK(s.sim().counters().binds_refused == 2);
    CHECK(s.sim().counters().binds_ok == 0);
  }
  SECTION("a second bind on the same connection gets ESME_RALYBND") {
    test_client c(s.port());
    REQUIRE(c.bind(command_id::bind_transceiver).status == command_status::ok);
    CHECK(c.bind(command_id::bind_transceiver).status == command_status::alybnd);
  }
  SECTION("submit_sm before any bind gets ESME_RINVBNDSTS; enquire_link is answered anyway") {
    test_client c(s.port());
    c.submit("6281234567890", "hello");
    CHECK(c.expect(command_id::submit_sm_resp).status == command_status::invbndsts);
    c.request(smpp::enquire_link{});
    CHECK(c.expect(command_id::enquire_link_resp).status == command_status::ok);
  }
}

TEST_CASE("fault: binds refused with a chosen status, and the per-account bind limit", "[smsc_sim]") {
  auto cfg = base_config();
  cfg.max_binds_per_account = 2;
  sim::simulator_thread s(cfg);
  sim::faults f;
  f.refuse_binds = command_status::bindfail;
  s.sim().set_faults(f);
  {
    test_client c(s.port());
    CHECK(c.bind(command_id::bind_transceiver).status == command_status::bindfail);
  }
  s.sim().set_faults({});
  test_client a(s.port()), b(s.port()), c(s.port());
  CHECK(a.bind(command_id::bind_transceiver).status == command_status::ok);
  CHECK(b.bind(command_id::bind_transmitter).status == command_status::ok);
  CHECK(c.bind(command_id::bind_receiver).status == command_status::alybnd);
  CHECK(s.sim().max_concurrent_binds("smsgw") == 2);
}

TEST_CASE("submit_sm gets a message id in the configured format, the receipt may use another",
          "[smsc_sim]") {
  auto cfg = base_config();
  cfg.first_message_id = 0x33E95179;  // 870928761, the example of docs/smpp.md §Message ids
  cfg.resp_id_format = sim::id_format::hex;
  cfg.receipt_id_format = sim::id_format::dec;
  sim::simulator_thread s(cfg);
  test_client c(s.port());
  REQUIRE(c.bind(command_id::bind_transceiver).status == command_status::ok);
  auto seq = c.submit("6281234567890", "Kode OTP 123456");
  auto resp = c.expect(command_id::submit_sm_resp);
  CHECK(resp.sequence_number == seq);
  CHECK(resp.status == command_status::ok);
  CHECK(message_id_of(resp) == "33E95179");

  auto dlr = c.expect(command_id::deliver_sm);
  auto const& dsm = std::get<smpp::deliver_sm>(dlr.body);
  CHECK(dsm.esm_class == 0x04);
  CHECK(dsm.source_addr == "6281234567890");  // receipts travel back
  CHECK(dsm.destination_addr == "SMSGW");
  auto r = receipt_of(dlr);
  CHECK(r.message_id == "0870928761");
  CHECK(r.fields.id == "0870928761");
  CHECK(r.state == smpp::message_state::delivered);
  CHECK(r.stat == "DELIVRD");
  CHECK(r.text == "Kode OTP 123456");
  c.respond(dlr, smpp::deliver_sm_resp{});
  CHECK(eventually([&] { return s.sim().counters().receipts_acked == 1; }));

  auto recorded = s.sim().submits();
  REQUIRE(recorded.size() == 1);
  CHECK(recorded[0].sm.destination_addr == "6281234567890");
  CHECK(recorded[0].message_id == "33E95179");
  CHECK(std::string(recorded[0].sm.short_message.begin(), recorded[0].sm.short_message.end()) ==
        "Kode OTP 123456");
}

TEST_CASE("submit times: the file gets the destination and the time of every submit_sm to its file",
          "[smsc_sim]") {
  char dir_template[] = "/tmp/smsc-sim-times-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  std::filesystem::path const dir = dir_template;
  auto const path = dir / "telkomsel.submits";
  auto lines_of = [&] {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  };
  auto cfg = base_config();
  cfg.submit_times_path = path.string();
  auto const before = std::chrono::system_clock::now();
  {
    sim::simulator_thread s(cfg);
    test_client c(s.port());
    REQUIRE(c.bind(command_id::bind_transceiver).status == command_status::ok);
    c.submit("6281234567890", "Kode OTP 123456");
    CHECK(c.expect(command_id::submit_sm_resp).status == command_status::ok);
    // Written by the flush timer while the simulator runs, not only when it stops.
    CHECK(eventually([&] { return lines_of().size() == 1; }));
  }
  auto const after = std::chrono::system_clock::now();
  auto lines = lines_of();
  REQUIRE(lines.size() == 1);
  std::istringstream line(lines[0]);
  std::string number;
  long long us = 0;
  line >> number >> us;
  CHECK(number == "6281234567890");
  auto us_of = [](auto t) {
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  };
  CHECK(us >= us_of(before));
  CHECK(us <= us_of(after));
  CHECK(lines[0].find("OTP") == std::string::npos);  // the text stays out of it

  cfg.submit_times_path = (dir / "no-such-dir" / "x.submits").string();
  CHECK_THROWS_AS(sim::simulator_thread(cfg), std::system_error);
  std::filesystem::remove_all(dir);
}

TEST_CASE("decimal message ids, and a window of pipelined submits all answered with unique ids",
          "[smsc_sim]") {
  auto cfg = base_config();
  cfg.resp_id_format = sim::id_format::dec;
  cfg.first_message_id = 42;
  sim::simulator_thread s(cfg);
  test_client c(s.port());
  REQUIRE(c.bind(command_id::bind_transmitter).status == command_status::ok);
  std::set<std::uint32_t> seqs;
  for (int i = 0; i < 50; ++i) seqs.insert(c.submit("62812000000" + std::to_string(10 + i), "m", 0));
  std::set<std::string> ids;
  for (int i = 0; i < 50; ++i) {
    auto resp = c.expect(command_id::submit_sm_resp);
    CHECK(seqs.erase(resp.sequence_number) == 1);
    ids.insert(message_id_of(resp));
  }
  CHECK(seqs.empty());
  CHECK(ids.size() == 50);
  CHECK(ids.count("0000000042") == 1);
  CHECK(s.sim().counters().receipts_scheduled == 0);  // registered_delivery 0: no receipts
}

TEST_CASE("receipt forms: text only, TLVs only", "[smsc_sim]") {
  auto cfg = base_config();
  SECTION("text only") {
    cfg.receipts = sim::receipt_form::text;
    sim::simulator_thread s(cfg);
    test_client c(s.port());
    c.bind(command_id::bind_transceiver);
    c.submit("6281234567890", "x");
    auto id = message_id_of(c.expect(command_id::submit_sm_resp));
    auto dlr = c.expect(command_id::deliver_sm);
    CHECK(dlr.tlvs.empty());
    CHECK(text_of(dlr).starts_with("id:" + id + " sub:001 dlvrd:001 submit date:"));
  }
  SECTION("TLVs only") {
    cfg.receipts = sim::receipt_form::tlv;
    sim::simulator_thread s(cfg);
    test_client c(s.port());
    c.bind(command_id::bind_transceiver);
    c.submit("6281234567890", "x");
    auto id = message_id_of(c.expect(command_id::submit_sm_resp));
    auto dlr = c.expect(command_id::deliver_sm);
    CHECK(text_of(dlr).empty());
    auto r = receipt_of(dlr);
    CHECK(r.id_from_tlv);
    CHECK(r.state_from_tlv);
    CHECK(r.message_id == id);
    CHECK(r.state == smpp::message_state::delivered);
  }
}

TEST_CASE("receipt outcomes: UNDELIV, REJECTD (spam filtered), EXPIRED, none", "[smsc_sim]") {
  auto cfg = base_config();
  struct row {
    sim::outcome_mix mix;
    smpp::message_state state;
    std::string stat, err;
  };
  auto [mix, state, stat, err] = GENERATE(
      row{{0, 1, 0, 0, 0}, smpp::message_state::undeliverable, "UNDELIV", "001"},
      row{{0, 0, 1, 0, 0}, smpp::message_state::rejected, "REJECTD", "069"},
      row{{0, 0, 0, 1, 0}, smpp::message_state::expired, "EXPIRED", "000"});
  cfg.outcomes = mix;
  sim::simulator_thread s(cfg);
  test_client c(s.port());
  c.bind(command_id::bind_transceiver);
  c.submit("6281234567890", "x");
  auto id = message_id_of(c.expect(command_id::submit_sm_resp));
  auto dlr = c.expect(command_id::deliver_sm);
  auto r = receipt_of(dlr);
  CHECK(r.message_id == id);
  CHECK(r.state == state);
  CHECK(r.stat == stat);
  CHECK(r.err == err);
  CHECK_FALSE(r.success);
  if (state != smpp::message_state::expired) {
    REQUIRE(r.network_error_code.has_value());
    CHECK(r.network_error_code->network_type == 3);
    CHECK(static_cast<int>(r.network_error_code->error_code) == std::stoi(err));
  }
}

TEST_CASE("no receipt: outcome NONE, registered_delivery 0, and failure-only for a delivered message",
          "[smsc_sim]") {
  auto cfg = base_config();
  cfg.outcomes = {1, 0, 0, 0, 1};  // half DELIVRD, half NONE (deterministic per seed)
  sim::simulator_thread s(cfg);
  test_client c(s.port());
  c.bind(command_id::bind_transceiver);
  for (int i = 0; i < 40; ++i) c.submit("6281234567890", "x", 1);
  c.submit("6281234567890", "x", 0);  // no receipt asked
  // Responses and receipts interleave as they will; answer every receipt.
  std::uint64_t resps = 0, receipts = 0;
  auto take_one = [&] {
    auto p = c.read_pdu();
    if (p.id() == command_id::deliver_sm) {
      ++receipts;
      c.respond(p, smpp::deliver_sm_resp{});
    } else {
      REQUIRE(p.id() == command_id::submit_sm_resp);
      ++resps;
    }
  };
  while (resps < 41) take_one();
  auto sched = s.sim().counters().receipts_scheduled;  // final: every submit was answered
  CHECK(sched > 0);
  CHECK(sched < 40);  // some NONE drawn
  while (receipts < sched) take_one();
  CHECK(eventually([&] { return s.sim().counters().receipts_acked == sched; }));
  // Nothing more comes: an enquire_link round trip shows the pipe is empty of receipts.
  c.request(smpp::enquire_link{});
  c.expect(command_id::enquire_link_resp);

  // registered_delivery 2 = failures only: an all-DELIVRD carrier sends none.
  auto cfg2 = base_config();
  sim::simulator_thread s2(cfg2);
  test_client c2(s2.port());
  c2.bind(command_id::bind_transceiver);
  c2.submit("6281234567890", "x", 2);
  c2.expect(command_id::submit_sm_resp);
  CHECK(s2.sim().counters().receipts_scheduled == 0);
}

TEST_CASE("receipts go to a receiver bind of the same account, and wait for one to bind",
          "[smsc_sim]") {
  auto cfg = base_config();
  cfg.accounts.push_back({"other", "pw2"});
  sim::simulator_thread s(cfg);
  test_client tx(s.port());
  REQUIRE(tx.bind(command_id::bind_transmitter).status == command_status::ok);
  test_client other(s.port());
  REQUIRE(other.bind(command_id::bind_receiver, "other", "pw2").status == command_status::ok);
  tx.submit("6281234567890", "first");
  auto id = message_id_of(tx.expect(command_id::submit_sm_resp));
  // No receiver of account smsgw yet: the receipt is parked (not sent to "other").
  CHECK(eventually([&] { return s.sim().counters().receipts_parked == 1; }));
  CHECK(s.sim().counters().receipts_sent == 0);
  test_client rx(s.port());
  REQUIRE(rx.bind(command_id::bind_receiver).status == command_status::ok);
  auto dlr = rx.expect(command_id::deliver_sm);
  CHECK(receipt_of(dlr).message_id == id);
  rx.respond(dlr, smpp::deliver_sm_resp{});
  CHECK(eventually([&] { return s.sim().counters().receipts_acked == 1; }));
  // "other" got nothing: its next PDU is the answer to its own enquire_link.
  other.request(smpp::enquire_link{});
  other.expect(command_id::enquire_link_resp);
}

TEST_CASE("receipts are redelivered after ESME_RX_T_APPN and after a missing deliver_sm_resp",
          "[smsc_sim]") {
  auto cfg = base_config();
  cfg.deliver_resp_timeout = 100ms;
  cfg.max_deliveries = 3;
  sim::simulator_thread s(cfg);
  test_client c(s.port());
  c.bind(command_id::bind_transceiver);
  c.submit("6281234567890", "x");
  auto id = message_id_of(c.expect(command_id::submit_sm_resp));

  auto first = c.expect(command_id::deliver_sm);
  c.respond(first, smpp::deliver_sm_resp{}, command_status::x_t_appn);  // try again later
  auto second = c.expect(command_id::deliver_sm);                       // ...then say nothing
  auto third = c.expect(command_id::deliver_sm);
  CHECK(receipt_of(second).message_id == id);
  CHECK(receipt_of(third).message_id == id);
  CHECK(second.sequence_number != first.sequence_number);
  c.respond(third, smpp::deliver_sm_resp{});
  CHECK(eventually([&] { return s.sim().counters().receipts_acked == 1; }));
  auto st = s.sim().counters();
  CHECK(st.receipts_sent == 3);
  CHECK(st.receipts_retry_requested == 1);
  CHECK(st.receipts_timed_out == 1);

  SECTION("after max_deliveries unanswered attempts the receipt is dropped") {
    c.submit("6281234567890", "y");
    c.expect(command_id::submit_sm_resp);
    for (int i = 0; i < 3; ++i) c.expect(command_id::deliver_sm);  // never answered
    CHECK(eventually([&] { return s.sim().counters().receipts_dropped == 1; }));
  }
}

TEST_CASE("a job due sooner than the one the receipt scheduler sleeps for wakes it",
          "[smsc_sim]") {
  // After a receipt goes out the scheduler sleeps until its ack check, 10 minutes away here;
  // the redelivery asked for by ESME_RX_T_APPN is due in 20 ms and must not wait for that.
  // (The scheduler sleeps on one timer that push_event() moves earlier.)
  auto cfg = base_config();
  cfg.deliver_resp_timeout = std::chrono::minutes(10);
  sim::simulator_thread s(cfg);
  test_client c(s.port());
  c.bind(command_id::bind_transceiver);
  c.submit("6281234567890", "x");
  auto id = message_id_of(c.expect(command_id::submit_sm_resp));
  auto first = c.expect(command_id::deliver_sm);
  c.respond(first, smpp::deliver_sm_resp{}, command_status::x_t_appn);
  auto again = c.expect(command_id::deliver_sm);  // within the client's guard, not 10 minutes
  CHECK(receipt_of(again).message_id == id);
  c.respond(again, smpp::deliver_sm_resp{});
  CHECK(eventually([&] { return s.sim().counters().receipts_acked == 1; }));
  CHECK(s.sim().counters().receipts_timed_out == 0);
}

TEST_CASE("enquire_link and unbind both ways", "[smsc_sim]") {
  auto cfg = base_config();
  sim::simulator_thread s(cfg);
  test_client c(s.port());
  c.bind(command_id::bind_transceiver);

  c.request(smpp::enquire_link{});
  c.expect(command_id::enquire_link_resp);
  s.sim().enquire_link_all();
  auto el = c.expect(command_id::enquire_link);
  c.respond(el, smpp::enquire_link_resp{});
  CHECK(eventually([&] { return s.sim().counters().enquire_link_resps_received == 1; }));

  SECTION("the client unbinds: unbind_resp, then the simulator closes") {
    c.request(smpp::unbind{});
    c.expect(command_id::unbind_resp);
    CHECK(c.closed_by_peer());
    CHECK(eventually([&] { return s.sim().counters().binds_active == 0; }));
    CHECK(s.sim().counters().unbinds_received == 1);
  }
  SECTION("the simulator unbinds: the client answers, the simulator closes") {
    s.sim().unbind_all();
    auto ub = c.expect(command_id::unbind);
    c.respond(ub, smpp::unbind_resp{});
    CHECK(c.closed_by_peer());
    CHECK(s.sim().counters().unbinds_sent == 1);
    CHECK(s.sim().counters().binds_active == 0);
  }
}

TEST_CASE("the simulator sends enquire_link on its own when configured", "[smsc_sim]") {
  auto cfg = base_config();
  cfg.enquire_link_interval = 20ms;
  sim::simulator_thread s(cfg);
  test_client c(s.port());
  c.bind(command_id::bind_transceiver);
  for (int i = 0; i < 3; ++i) c.respond(c.expect(command_id::enquire_link), smpp::enquire_link_resp{});
  CHECK(eventually([&] { return s.sim().counters().enquire_link_resps_received >= 3; }));
}

TEST_CASE("fault: the connection is closed mid-window after N submits", "[smsc_sim]") {
  auto cfg = base_config();
  cfg.initial_faults.close_after_submits = 3;
  cfg.initial_faults.close_max_times = 1;
  sim::simulator_thread s(cfg);
  {
    test_client c(s.port());
    c.bind(command_id::bind_transmitter);
    // A window of 5. The simulator may close while we still write the 4th or 5th (EPIPE or
    // ECONNRESET on a loaded machine): the rest of the window is then simply never sent.
    for (int i = 0; i < 5; ++i) {
      try {
        c.submit("6281234567890", "x", 0);
      } catch (boost::system::system_error const&) {
        break;
      }
    }
    int answered = 0;
    for (;;) {
      auto r = c.read_frame();
      if (r.what != frame_result::frame) {
        CHECK(r.what == frame_result::eof);
        break;
      }
      ++answered;
    }
    CHECK(answered <= 2);  // the 3rd and later never got a response
  }
  auto st = s.sim().counters();
  CHECK(st.fault_closes == 1);
  CHECK(st.submits_received >= 3);
  auto recorded = s.sim().submits();
  REQUIRE(recorded.size() >= 3);
  CHECK_FALSE(recorded[2].answered);
  // close_max_times = 1: the next connection is left alone.
  test_client c2(s.port());
  c2.bind(command_id::bind_transmitter);
  for (int i = 0; i < 4; ++i) c2.submit("6281234567890", "x", 0);
  for (int i = 0; i < 4; ++i) CHECK(c2.expect(command_id::submit_sm_resp).status == command_status::ok);
}

TEST_CASE("fault: stall reads everything and answers nothing until cleared", "[smsc_sim]") {
  auto cfg = base_config();
  sim::simulator_thread s(cfg);
  test_client c(s.port());
  c.bind(command_id::bind_transceiver);
  sim::faults f;
  f.stall = true;
  s.sim().set_faults(f);
  c.request(smpp::enquire_link{});
  c.submit("6281234567890", "x");
  CHECK(eventually([&] { return s.sim().counters().stalled_pdus == 2; }));
  CHECK(c.read_frame(200ms).what == frame_result::timeout);
  s.sim().set_faults({});
  c.request(smpp::enquire_link{});
  c.expect(command_id::enquire_link_resp);
}

TEST_CASE("fault: ESME_RTHROTTLED every Nth submit, or at a rate", "[smsc_sim]") {
  auto cfg = base_config();
  sim::simulator_thread s(cfg);
  test_client c(s.port());
  c.bind(command_id::bind_transmitter);
  sim::faults f;
  f.throttle_every = 2;
  s.sim().set_faults(f);
  std::vector<command_status> got;
  for (int i = 0; i < 4; ++i) {
    c.submit("6281234567890", "x");
    got.push_back(c.expect(command_id::submit_sm_resp).status);
  }
  CHECK(got == std::vector<command_status>{command_status::ok, command_status::throttled,
                                           command_status::ok, command_status::throttled});
  f = {};
  f.throttle_rate = 1.0;
  s.sim().set_faults(f);
  c.submit("6281234567890", "x");
  auto resp = c.expect(command_id::submit_sm_resp);
  CHECK(resp.status == command_status::throttled);
  CHECK(message_id_of(resp).empty());
  CHECK(s.sim().counters().submits_throttled == 3);
  CHECK(s.sim().counters().receipts_scheduled == 2);  // throttled messages get no receipt
}

TEST_CASE("the carrier's own cap answers submits beyond it ESME_RTHROTTLED", "[smsc_sim]") {
  auto cfg = base_config();
  // A bucket of 3 refilled at one token per 1000 s: the 4th and 5th submit find it empty
  // however slow the machine is.
  cfg.max_submits_per_s = 0.001;
  cfg.max_submits_burst = 3;
  sim::simulator_thread s(cfg);
  test_client c(s.port());
  c.bind(command_id::bind_transmitter);
  std::vector<command_status> got;
  for (int i = 0; i < 5; ++i) {
    c.submit("6281234567890", "x", 0);
    got.push_back(c.expect(command_id::submit_sm_resp).status);
  }
  CHECK(got == std::vector<command_status>{command_status::ok, command_status::ok, command_status::ok,
                                           command_status::throttled, command_status::throttled});
  auto st = s.sim().counters();
  CHECK(st.submits_throttled == 2);
  CHECK(st.submits_over_cap == 2);
}

TEST_CASE("fault: drop_binds closes every connection and refuses binds until it ends", "[smsc_sim]") {
  auto cfg = base_config();
  sim::simulator_thread s(cfg);
  test_client a(s.port()), b(s.port());
  a.bind(command_id::bind_transceiver);
  b.bind(command_id::bind_transmitter);
  CHECK(eventually([&] { return s.sim().active_binds("smsgw") == 2; }));
  s.sim().drop_binds(std::chrono::hours(1));
  CHECK(a.closed_by_peer());
  CHECK(b.closed_by_peer());
  CHECK(eventually([&] { return s.sim().active_binds("smsgw") == 0; }));
  {
    test_client c(s.port());
    auto resp = c.bind(command_id::bind_transceiver);
    CHECK(resp.status == command_status::bindfail);
  }
  CHECK(s.sim().counters().bind_drops == 1);
  s.sim().drop_binds(0ms);  // the outage ends
  CHECK(eventually([&] {
    test_client d(s.port());
    return d.bind(command_id::bind_transceiver).status == command_status::ok;
  }));
}

TEST_CASE("fault: the receipt arrives before the submit_sm_resp", "[smsc_sim]") {
  auto cfg = base_config();
  cfg.initial_faults.receipt_before_resp = true;
  sim::simulator_thread s(cfg);
  test_client c(s.port());
  c.bind(command_id::bind_transceiver);
  c.submit("6281234567890", "x");
  auto dlr = c.expect(command_id::deliver_sm);
  auto resp = c.expect(command_id::submit_sm_resp);
  CHECK(receipt_of(dlr).message_id == message_id_of(resp));
}

TEST_CASE("fault: malformed PDUs sent to the client", "[smsc_sim]") {
  auto cfg = base_config();
  sim::simulator_thread s(cfg);
  sim::faults f;
  f.malformed_after_submits = 1;

  SECTION("command_length below 16") {
    f.malformed = sim::malformed_kind::bad_length;
    s.sim().set_faults(f);
    test_client c(s.port());
    c.bind(command_id::bind_transceiver);
    c.submit("6281234567890", "x", 0);
    c.expect(command_id::submit_sm_resp);
    auto raw = c.read_exact(16);
    CHECK(raw[3] == 10);  // command_length 10
  }
  SECTION("unknown command_id: the client's generic_nack is counted") {
    f.malformed = sim::malformed_kind::unknown_command_id;
    s.sim().set_faults(f);
    test_client c(s.port());
    c.bind(command_id::bind_transceiver);
    c.submit("6281234567890", "x", 0);
    c.expect(command_id::submit_sm_resp);
    auto r = c.read_frame();
    REQUIRE(r.what == frame_result::frame);
    auto decoded = smpp::decode(r.bytes);
    REQUIRE_FALSE(decoded.has_value());
    CHECK(decoded.error().status == command_status::invcmdid);
    c.send(smpp::make_generic_nack(decoded.error()));
    CHECK(eventually([&] { return s.sim().counters().generic_nacks_received == 1; }));
  }
  SECTION("a TLV running past the end of the PDU") {
    f.malformed = sim::malformed_kind::truncated_tlv;
    s.sim().set_faults(f);
    test_client c(s.port());
    c.bind(command_id::bind_transceiver);
    c.submit("6281234567890", "x", 0);
    c.expect(command_id::submit_sm_resp);
    auto r = c.read_frame();
    REQUIRE(r.what == frame_result::frame);
    auto decoded = smpp::decode(r.bytes);
    REQUIRE_FALSE(decoded.has_value());
    CHECK(decoded.error().command_id == 0x05);
  }
  SECTION("a giant command_length, right after the bind") {
    f.malformed = sim::malformed_kind::giant_length;
    f.malformed_after_submits = 0;
    s.sim().set_faults(f);
    test_client c(s.port());
    c.bind(command_id::bind_transceiver);
    auto raw = c.read_exact(16);
    CHECK(raw[0] == 0x7F);
    CHECK(raw[1] == 0xFF);
  }
  CHECK(s.sim().counters().malformed_sent == 1);
}

TEST_CASE("malformed input from a client: generic_nack, and a lost frame closes", "[smsc_sim]") {
  auto cfg = base_config();
  sim::simulator_thread s(cfg);
  test_client c(s.port());
  c.bind(command_id::bind_transceiver);
  // A well-framed PDU with an unknown command_id: generic_nack ESME_RINVCMDID, session lives on.
  c.send_raw({0, 0, 0, 16, 0, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 7});
  auto nack = c.expect(command_id::generic_nack);
  CHECK(nack.status == command_status::invcmdid);
  CHECK(nack.sequence_number == 7);
  c.request(smpp::enquire_link{});
  c.expect(command_id::enquire_link_resp);
  // command_length 8: framing is lost; generic_nack ESME_RINVCMDLEN, then the SMSC hangs up.
  c.send_raw({0, 0, 0, 8, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9});
  nack = c.expect(command_id::generic_nack);
  CHECK(nack.status == command_status::invcmdlen);
  CHECK(c.closed_by_peer());
  CHECK(s.sim().counters().decode_errors == 2);
}

TEST_CASE("many binds at once are counted per account", "[smsc_sim]") {
  auto cfg = base_config();
  sim::simulator_thread s(cfg);
  constexpr int n = 8;
  std::vector<std::unique_ptr<test_client>> clients;
  for (int i = 0; i < n; ++i) clients.push_back(std::make_unique<test_client>(s.port()));
  // Every bind request is on the wire before any response is read.
  for (int i = 0; i < n; ++i) {
    auto& c = *clients[static_cast<std::size_t>(i)];
    if (i % 2) {
      smpp::bind_transceiver b;
      b.system_id = "smsgw";
      b.password = "secret";
      c.request(b);
    } else {
      smpp::bind_receiver b;
      b.system_id = "smsgw";
      b.password = "secret";
      c.request(b);
    }
  }
  for (int i = 0; i < n; ++i) {
    auto resp = clients[static_cast<std::size_t>(i)]->read_pdu();
    CHECK(resp.status == command_status::ok);
  }
  CHECK(s.sim().active_binds("smsgw") == n);
  CHECK(s.sim().counters().binds_active == n);
  for (auto& c : clients) {
    c->request(smpp::unbind{});
    c->expect(command_id::unbind_resp);
  }
  CHECK(s.sim().max_concurrent_binds("smsgw") == n);
  CHECK(eventually([&] { return s.sim().active_binds("smsgw") == 0; }));
}
