// tools/otp-demo/main.cpp: smsgw-otp-demo: sends OTPs to one or more carriers through our
// carrier/link code and prints, per message, the SMSC's answer and the delivery receipt.
// One io_context (one thread) runs every carrier, as the daemon does. OTP text is printed
// only redacted (daemon/redact/redact.hpp). Exit status 0 when every message got a submit_sm_resp
// ESME_ROK and a final receipt (or the SMSC said no receipt would come), 1 otherwise.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/link/carrier.hpp"
#include "tools/memory-source/priority_source.hpp"
#include "daemon/redact/redact.hpp"
#include "smpp/message_id.hpp"
#include "smpp/receipt.hpp"
#include "smpp/text.hpp"
#include "smpp/tlv.hpp"

using namespace smsgw;
using namespace std::chrono_literals;

namespace {

constexpr char usage[] = R"(usage: smsgw-otp-demo --carrier NAME=HOST:PORT ... --send NAME:MSISDN:TEXT ...
  [--id-format NAME=same|resp_hex_dlr_dec|resp_dec_dlr_hex] [--system-id smsgw]
  [--password secret] [--wait-ms 15000] [--log-level warn]
Binds one transceiver per carrier, submits each --send (registered_delivery 1), prints the
submit_sm_resp and the receipt of each, then unbinds.
)";

[[noreturn]] void fail(std::string const& why) {
  std::fprintf(stderr, "smsgw-otp-demo: %s\n%s", why.c_str(), usage);
  std::exit(2);
}

struct sent_message {
  std::string carrier, to, redacted_text, message_id;
  bool accepted = false, finished = false;
};

/// Prints what the links report and keeps score.
class printer final : public smpp_events {
 public:
  std::map<std::uint64_t, sent_message> sent;
  std::map<std::string, std::uint64_t> by_id;  // carrier + message id key -> ref
  std::map<std::string, smpp::message_id_format, std::less<>> id_formats;  // per carrier

  std::string key(std::string_view carrier, std::string_view id, smpp::message_id_side side) const {
    auto it = id_formats.find(carrier);
    auto format = it == id_formats.end() ? smpp::message_id_format::same : it->second;
    return std::string(carrier) + "/" + smpp::message_id_key(id, side, format);
  }

  void on_submit_result(link_identity const& link, std::uint64_t ref, std::string_view id,
                        smpp::command_status status) override {
    auto& m = sent[ref];
    if (status == smpp::command_status::ok) {
      m.accepted = true;
      m.message_id = std::string(id);
      by_id[key(link.carrier, m.message_id, smpp::message_id_side::submit_sm_resp)] = ref;
      std::printf("  %-10s #%llu -> %s %s: accepted, message_id %s\n", link.carrier.c_str(),
                  static_cast<unsigned long long>(ref), m.to.c_str(), m.redacted_text.c_str(), m.message_id.c_str());
    } else {
      m.finished = true;
      std::printf("  %-10s #%llu -> %s: refused %s\n", link.carrier.c_str(),
                  static_cast<unsigned long long>(ref), m.to.c_str(),
                  std::string(smpp::command_status_name(status)).c_str());
    }
  }
  void on_outcome_unknown(link_identity const& link, std::uint64_t ref, std::string_view why) override {
    std::printf("  %-10s #%llu: outcome unknown (%.*s)\n", link.carrier.c_str(),
                static_cast<unsigned long long>(ref), static_cast<int>(why.size()), why.data());
  }
  void on_deliver(link_identity const& link, smpp::pdu const& p, deliver_ack ack) override {
    if (auto const* sm = std::get_if<smpp::deliver_sm>(&p.body)) {
      auto r = smpp::parse_receipt(*sm, p.tlvs);
      if (r) {
        auto it = by_id.find(key(link.carrier, r->message_id, smpp::message_id_side::receipt));
        std::printf("  %-10s receipt for %s (#%s): %s err:%s\n", link.carrier.c_str(), r->message_id.c_str(),
                    it == by_id.end() ? "?" : std::to_string(it->second).c_str(),
                    std::string(smpp::stat_text(r->state)).c_str(), r->err.c_str());
        if (it != by_id.end() && r->is_final) sent[it->second].finished = true;
      }
    }
    ack(smpp::command_status::ok);  // nothing durable to record in a demo
  }
  void on_link_state(link_identity const& link, link_state state, std::string_view detail) override {
    std::printf("  %-10s link %s: %s%s%.*s\n", link.carrier.c_str(), link.bind.c_str(),
                std::string(to_string(state)).c_str(), detail.empty() ? "" : " - ",
                static_cast<int>(detail.size()), detail.data());
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::pair<std::string, std::string>> carriers;  // name, host:port
  std::vector<std::array<std::string, 3>> sends;
  std::string system_id = "smsgw", password = "secret", level = "warn";
  long wait_ms = 15000;
  printer events;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help") { std::fputs(usage, stdout); return 0; }
    if (i + 1 >= argc) fail(flag + " needs a value");
    std::string v = argv[++i];
    if (flag == "--carrier") {
      auto eq = v.find('=');
      if (eq == std::string::npos) fail("--carrier wants NAME=HOST:PORT");
      carriers.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (flag == "--send") {
      auto a = v.find(':'), b = a == std::string::npos ? a : v.find(':', a + 1);
      if (b == std::string::npos) fail("--send wants NAME:MSISDN:TEXT");
      sends.push_back({v.substr(0, a), v.substr(a + 1, b - a - 1), v.substr(b + 1)});
    } else if (flag == "--id-format") {
      auto eq = v.find('=');
      auto f = eq == std::string::npos ? std::string() : v.substr(eq + 1);
      if (f == "same") events.id_formats[v.substr(0, eq)] = smpp::message_id_format::same;
      else if (f == "resp_hex_dlr_dec") events.id_formats[v.substr(0, eq)] = smpp::message_id_format::resp_hex_dlr_dec;
      else if (f == "resp_dec_dlr_hex") events.id_formats[v.substr(0, eq)] = smpp::message_id_format::resp_dec_dlr_hex;
      else fail("--id-format wants NAME=same|resp_hex_dlr_dec|resp_dec_dlr_hex");
    } else if (flag == "--system-id") system_id = v;
    else if (flag == "--password") password = v;
    else if (flag == "--wait-ms") wait_ms = std::stol(v);
    else if (flag == "--log-level") level = v;
    else fail("unknown option " + flag);
  }
  if (carriers.empty() || sends.empty()) fail("need at least one --carrier and one --send");
  spdlog::set_level(spdlog::level::from_str(level));

  boost::asio::io_context io(1);
  std::map<std::string, std::unique_ptr<priority_source>> sources;
  std::map<std::string, std::unique_ptr<carrier>> running;
  for (auto const& [name, hostport] : carriers) {
    auto colon = hostport.rfind(':');
    if (colon == std::string::npos) fail("--carrier " + name + ": want HOST:PORT");
    carrier_config cfg;
    cfg.name = name;
    cfg.host = hostport.substr(0, colon);
    cfg.port = static_cast<std::uint16_t>(std::stoi(hostport.substr(colon + 1)));
    cfg.system_id = system_id;
    cfg.password = password;
    cfg.throttle.rate = 50;
    cfg.timeouts.connect = 5s;
    cfg.timeouts.bind_response = 5s;
    cfg.timeouts.response = 10s;
    cfg.timeouts.drain = 3s;
    sources[name] = std::make_unique<priority_source>(io.get_executor());
    running[name] = std::make_unique<carrier>(io.get_executor(), cfg, events, *sources[name]);
    if (auto err = running[name]->start()) fail(*err);
  }
  std::uint64_t ref = 0;
  for (auto const& [name, to, text] : sends) {
    if (!sources.count(name)) fail("--send names unknown carrier " + name);
    auto encoded = smpp::encode_text(text, {});
    if (!encoded || encoded->segments.size() != 1) fail("--send text must encode to one SMS: " + redact_text(text));
    outbound_message m;
    m.ref = ++ref;
    m.submit.source_addr = "SMSGW";
    m.submit.source_addr_ton = 5;
    m.submit.dest_addr_ton = 1;
    m.submit.dest_addr_npi = 1;
    m.submit.destination_addr = to;
    m.submit.registered_delivery = 1;
    m.submit.data_coding = encoded->data_coding;
    m.submit.short_message = encoded->segments[0];
    events.sent[m.ref] = {name, to, "'" + redact_text(text) + "'", "", false, false};
    sources[name]->push(std::move(m));
  }

  auto all_done = [&] {
    for (auto const& [r, m] : events.sent) if (!m.finished) return false;
    return true;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (!all_done() && std::chrono::steady_clock::now() < deadline) io.run_for(10ms);

  std::size_t stopped = 0;
  for (auto& [name, c] : running)
    boost::asio::co_spawn(io, c->stop(), [&](std::exception_ptr) { ++stopped; });
  auto stop_deadline = std::chrono::steady_clock::now() + 10s;
  while (stopped < running.size() && std::chrono::steady_clock::now() < stop_deadline) io.run_for(10ms);

  std::size_t ok = 0;
  for (auto const& [r, m] : events.sent) ok += m.accepted && m.finished;
  std::printf("  %zu of %zu OTPs accepted with a final receipt\n", ok, events.sent.size());
  return ok == events.sent.size() ? 0 : 1;
}
