// tests/interop/link_vs_node_server_test.cpp: OUR ESME side (daemon/carrier + daemon/smsc_link
// over smpp/session, text from smpp/text) against an SMSC built with node-smpp
// (tests/interop/smsc_server.js), an implementation nobody here wrote: bind, submit_sm in GSM7,
// UCS-2 and three UDH-concatenated parts, receipts, enquire_link and unbind both ways. What
// the node server decoded is compared with what we meant to send.
#include <catch2/catch.hpp>

#include <string>

#include <boost/json.hpp>

#include "daemon/link/carrier.hpp"
#include "smpp/text.hpp"
#include "tests/daemon/link/link_fixture.hpp"
#include "tests/interop/node_process.hpp"

using namespace smsgw;
using namespace smsgw::test;
namespace json = boost::json;

namespace {

/// One outbound_message per encoded segment (a 3-part text becomes refs ref..ref+2).
std::vector<outbound_message> messages_for(std::uint64_t ref, std::string const& text,
                                           std::string const& dest, std::uint16_t reference = 0) {
  smpp::text_options opts;
  opts.reference = reference;
  auto encoded = smpp::encode_text(text, opts);
  REQUIRE(encoded.has_value());
  std::vector<outbound_message> out;
  for (auto const& seg : encoded->segments) {
    outbound_message m;
    m.ref = ref++;
    m.priority = 0;
    m.submit.source_addr = "SMSGW";
    m.submit.destination_addr = dest;
    m.submit.registered_delivery = 1;
    m.submit.data_coding = encoded->data_coding;
    if (encoded->udhi) m.submit.esm_class |= smpp::esm_class_udhi;
    m.submit.short_message = seg;
    out.push_back(std::move(m));
  }
  return out;
}

json::object stats_of(node_process& node) { return node.command("stats"); }

std::int64_t counter(json::object const& reply, char const* name) {
  return reply.at("stats").as_object().at(name).as_int64();
}

/// Runs the io_context until the node server's stats satisfy pred (hang guard only).
template <class Pred>
bool run_until_node(boost::asio::io_context& io, node_process& node, Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    if (pred(stats_of(node))) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    run_for(io, 10ms);
  }
}

}  // namespace

TEST_CASE("our carrier link against a node-smpp SMSC", "[interop]") {
  node_process node(SMSGW_NODE, SMSGW_INTEROP_DIR "/smsc_server.js", {"--receipt-delay-ms", "20"});
  boost::asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  auto cfg = carrier_config_for(node.port());
  cfg.name = "node";
  cfg.timeouts.enquire_link_interval = 100ms;  // so our link probes the idle server
  carrier c(io.get_executor(), cfg, events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] { return c.bound_links() == 1; }));

  std::string const gsm_text = "Kode OTP Anda 123456 @ {harga} 10€ [jangan] bagikan";
  std::string const ucs2_text = "Kode OTP: 654321 — jangan dibagikan ✓";
  std::string long_text = "Pesan panjang:";
  for (int i = 0; i < 40; ++i) long_text += " kata" + std::to_string(i);  // > 2 parts of GSM7
  long_text += std::string(400 - std::min<std::size_t>(400, long_text.size()), '.');  // 400 septets: 3 parts of <= 153

  std::vector<outbound_message> all;
  for (auto& m : messages_for(1, gsm_text, "6281234567890")) all.push_back(std::move(m));
  for (auto& m : messages_for(2, ucs2_text, "6281234567891")) all.push_back(std::move(m));
  auto long_parts = messages_for(10, long_text, "6281234567892", 0x2A);
  REQUIRE(long_parts.size() == 3);
  for (auto& m : long_parts) all.push_back(std::move(m));
  for (auto const& m : all) source.push(m);

  SECTION("submits are accepted, every part gets its receipt, and node decoded our text") {
    REQUIRE(run_until(io, [&] { return events.ok_results() == all.size() && events.delivers.size() == all.size(); }));
    std::set<std::string> ids;
    for (auto const& r : events.results) ids.insert(r.message_id);
    CHECK(ids.size() == all.size());
    for (auto const& d : events.delivers) CHECK(ids.count(receipted_id(d.p)) == 1);
    REQUIRE(run_until_node(io, node, [&](json::object const& s) {
      return counter(s, "receipts_acked") == static_cast<std::int64_t>(all.size());
    }));

    auto reply = stats_of(node);
    auto const& submits = reply.at("submits").as_array();
    REQUIRE(submits.size() == all.size());
    auto text_of = [&](std::size_t i) { return std::string(submits[i].at("text").as_string()); };
    auto field = [&](std::size_t i, char const* f) { return submits[i].at(f).as_int64(); };
    CHECK(field(0, "data_coding") == 0);
    CHECK(text_of(0) == gsm_text);
    CHECK(field(1, "data_coding") == 8);
    CHECK(text_of(1) == ucs2_text);
    std::string joined;
    for (std::size_t i = 2; i < 5; ++i) {
      CHECK((field(i, "esm_class") & 0x40) == 0x40);
      auto const& concat = submits[i].at("concat").as_object();
      CHECK(concat.at("reference").as_int64() == 0x2A);
      CHECK(concat.at("total").as_int64() == 3);
      CHECK(concat.at("seqnum").as_int64() == static_cast<std::int64_t>(i - 1));
      joined += text_of(i);
    }
    CHECK(joined == long_text);
  }

  SECTION("enquire_link both ways") {
    // Ours: the link probes the server after 100 ms idle.
    CHECK(run_until_node(io, node, [](json::object const& s) { return counter(s, "enquire_links_received") >= 1; }));
    // Theirs: the server probes us; our link answers.
    node.command("enquire_link");
    CHECK(run_until_node(io, node, [](json::object const& s) { return counter(s, "enquire_link_resps_received") == 1; }));
  }

  SECTION("unbind from the server: we answer, and the link binds again") {
    REQUIRE(run_until(io, [&] { return events.ok_results() == all.size(); }));
    node.command("unbind");
    CHECK(run_until_node(io, node, [](json::object const& s) { return counter(s, "unbind_resps_received") == 1; }));
    CHECK(run_until_node(io, node, [](json::object const& s) { return counter(s, "binds") == 2; }));
    CHECK(run_until(io, [&] { return c.bound_links() == 1; }));
  }

  // Always: a graceful stop unbinds from our side.
  REQUIRE(run_until(io, [&] { return events.ok_results() == all.size(); }));
  REQUIRE(stop_carrier(io, c));
  CHECK(run_until_node(io, node, [](json::object const& s) { return counter(s, "unbinds_received") == 1; }));
  CHECK(counter(stats_of(node), "binds_refused") == 0);
}
