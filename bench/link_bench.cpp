// bench/link_bench.cpp: end-to-end SMPP throughput of one carrier (several binds, large
// window) against the carrier simulator on loopback, receipts included: every message is
// submitted, answered (submit_sm_resp matched by sequence_number) and gets a delivery receipt
// that is acked. Bounded in count and time. Prints submit_sm/s, responses matched, receipts,
// and CPU per 1,000 messages (getrusage: whole process, and the client thread alone).
// The simulator runs on its own thread in this process, so "process CPU" includes the SMSC.
// Usage: link_bench [messages=200000] [binds=4] [window=200] [max_seconds=60]
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include "daemon/link/carrier.hpp"
#include "tools/memory-source/priority_source.hpp"
#include "tools/smsc-sim/simulator.hpp"

using namespace smsgw;
using namespace std::chrono_literals;

namespace {

/// Counts everything; acks every receipt at once (as if recorded).
struct counting_events final : smpp_events {
  std::uint64_t accepted = 0, rejected = 0, unknown = 0, receipts = 0, bound = 0;
  void on_submit_result(link_identity const&, std::uint64_t, std::string_view,
                        smpp::command_status s) override {
    ++(s == smpp::command_status::ok ? accepted : rejected);
  }
  void on_outcome_unknown(link_identity const&, std::uint64_t, std::string_view) override { ++unknown; }
  void on_deliver(link_identity const&, smpp::pdu const&, deliver_ack ack) override {
    ++receipts;
    ack();
  }
  void on_link_state(link_identity const&, link_state s, std::string_view) override {
    if (s == link_state::bound) ++bound;
  }
};

double cpu_seconds(int who) {
  rusage u{};
  ::getrusage(who, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

outbound_message make(std::uint64_t ref) {
  outbound_message m;
  m.ref = ref;
  m.priority = static_cast<int>(ref % 2);  // half OTP, half bulk
  m.submit.source_addr = "SMSGW";
  m.submit.source_addr_ton = 5;
  m.submit.dest_addr_ton = 1;
  m.submit.dest_addr_npi = 1;
  m.submit.destination_addr = "62811" + std::to_string(10000000 + ref);
  m.submit.registered_delivery = 1;
  std::string const text = "Kode OTP Anda " + std::to_string(100000 + ref % 900000);
  m.submit.short_message.assign(text.begin(), text.end());
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  auto arg = [&](int i, unsigned long def) { return argc > i ? std::strtoul(argv[i], nullptr, 10) : def; };
  auto const messages = arg(1, 200000);
  auto const binds = static_cast<unsigned>(arg(2, 4));
  auto const window = static_cast<unsigned>(arg(3, 200));
  auto const max_seconds = std::chrono::seconds(arg(4, 60));
  spdlog::set_level(spdlog::level::warn);  // per-PDU info logs of the simulator would dominate

  sim::sim_config scfg;
  scfg.accounts = {{"smsgw", "secret"}};
  scfg.receipt_delay = 1ms;
  scfg.receipts = sim::receipt_form::both;
  scfg.max_recorded_submits = 0;
  scfg.deliver_resp_timeout = 30s;
  sim::simulator_thread smsc(scfg);

  boost::asio::io_context io(1);
  counting_events events;
  priority_source source(io.get_executor());
  for (std::uint64_t ref = 1; ref <= messages; ++ref) source.push(make(ref));

  carrier_config cfg;
  cfg.name = "bench";
  cfg.host = "127.0.0.1";
  cfg.port = smsc.port();
  cfg.system_id = "smsgw";
  cfg.password = "secret";
  cfg.binds = binds;
  cfg.window = window;
  cfg.throttle.rate = 1e7;  // the bucket is exercised but never the limit
  cfg.throttle.burst = 1e5;
  carrier c(io.get_executor(), cfg, events, source);

  double const cpu0 = cpu_seconds(RUSAGE_SELF), thread0 = cpu_seconds(RUSAGE_THREAD);
  auto const t0 = std::chrono::steady_clock::now();
  if (auto why = c.start()) {
    std::fprintf(stderr, "cannot start: %s\n", why->c_str());
    return 1;
  }
  auto const deadline = t0 + max_seconds;
  std::chrono::steady_clock::time_point t_submitted{};
  while (std::chrono::steady_clock::now() < deadline) {
    io.run_for(5ms);
    auto const answered = events.accepted + events.rejected + events.unknown;
    if (answered == messages && t_submitted == std::chrono::steady_clock::time_point{})
      t_submitted = std::chrono::steady_clock::now();
    if (answered == messages && events.receipts >= events.accepted) break;
  }
  auto const t1 = std::chrono::steady_clock::now();
  double const cpu = cpu_seconds(RUSAGE_SELF) - cpu0, thread_cpu = cpu_seconds(RUSAGE_THREAD) - thread0;

  bool stopped = false;
  boost::asio::co_spawn(io, c.stop(), [&](std::exception_ptr) { stopped = true; });
  while (!stopped) io.run_for(5ms);

  std::uint64_t submitted = 0, batches = 0, pdus = 0;
  for (auto const& l : c.links()) {
    submitted += l->stats().submitted;
    batches += l->stats().write_batches;
    pdus += l->stats().pdus_sent;
  }
  double const secs = std::chrono::duration<double>(t1 - t0).count();
  double const submit_secs =
      std::chrono::duration<double>((t_submitted == decltype(t_submitted){} ? t1 : t_submitted) - t0).count();
  std::printf("link_bench: %lu messages, %u binds, window %u\n", messages, binds, window);
  std::printf("  submit_sm sent          %lu (%.0f submit_sm/s until the last response)\n", submitted,
              static_cast<double>(submitted) / submit_secs);
  std::printf("  responses matched       %lu accepted, %lu rejected, %lu unknown\n", events.accepted,
              events.rejected, events.unknown);
  std::printf("  receipts received+acked %lu (all done in %.3f s: %.0f messages/s end to end)\n",
              events.receipts, secs, static_cast<double>(events.accepted) / secs);
  std::printf("  PDUs per write (client) %.1f\n", batches ? static_cast<double>(pdus) / static_cast<double>(batches) : 0.0);
  std::printf("  CPU per 1,000 messages  %.1f ms process (client + simulator), %.1f ms client thread\n",
              cpu * 1e6 / static_cast<double>(messages), thread_cpu * 1e6 / static_cast<double>(messages));
  bool const complete = events.accepted == messages && events.receipts >= messages;
  if (!complete) std::printf("  INCOMPLETE within %ld s\n", static_cast<long>(max_seconds.count()));
  return complete ? 0 : 2;
}
