// bench/session_bench.cpp: CPU cost of the sans-I/O session alone (no sockets, no codec):
// one submit() + matching submit_sm_resp through on_pdu() per message, at several windows.
// It bounds what the state machine can take from the 50,000 submit_sm/s budget; the
// end-to-end figure over loopback is measured elsewhere. Figures: docs/session-state-machine.md.
#include <benchmark/benchmark.h>

#include <chrono>
#include <vector>

#include "smpp/session.hpp"

namespace {

using namespace smsgw::smpp;

void submit_and_respond(benchmark::State& state) {
  session_config c;
  c.system_id = "bench";
  c.password = "pw";
  c.window = static_cast<std::size_t>(state.range(0));
  session s(c);
  actions out;
  out.reserve(2 * c.window + 16);
  steady_time now{std::chrono::hours(1)};
  s.start(now, out);
  s.on_pdu(pdu{command_status::ok, 1, bind_transceiver_resp{"SMSC"}, {}}, now, out);
  out.clear();
  submit_sm sm;
  sm.source_addr = "SMSGW";
  sm.destination_addr = "6281234567890";
  sm.registered_delivery = 1;
  sm.short_message.assign(30, 'x');
  std::vector<std::uint32_t> seqs;
  seqs.reserve(c.window);
  submit_ref ref = 0;
  std::int64_t messages = 0;
  for (auto _ : state) {
    // Fill the window, then answer everything (in order), as a fast SMSC would.
    while (s.window_free() > 0) {
      s.submit(++ref, sm, {}, now, out);
      seqs.push_back(std::get<send_pdu>(out.back()).p.sequence_number);
    }
    for (auto q : seqs)
      s.on_pdu(pdu{command_status::ok, q, submit_sm_resp{"0123456789ABCDEF"}, {}}, now, out);
    messages += static_cast<std::int64_t>(seqs.size());
    benchmark::DoNotOptimize(out.data());
    seqs.clear();
    out.clear();
    now += std::chrono::microseconds(100);
    s.on_tick(now, out);
  }
  state.SetItemsProcessed(messages);
}
BENCHMARK(submit_and_respond)->Arg(10)->Arg(50)->Arg(500);

}  // namespace

BENCHMARK_MAIN();
