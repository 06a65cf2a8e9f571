// bench/codec_bench.cpp: throughput of the SMPP codec on the PDUs that dominate OTP traffic:
// decode/encode of an OTP submit_sm (two TLVs) and of a delivery-receipt deliver_sm, receipt
// parsing, and the stream framer. Target (issue 2): >= 3 million submit_sm decodes per second
// on one core in a Release build. Figures are recorded in docs/codec.md, never asserted.
// Run: build/<dir>/bench/codec_bench [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "smpp/codec.hpp"
#include "smpp/framer.hpp"
#include "smpp/receipt.hpp"

namespace smpp = smsgw::smpp;

namespace {

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

// tests/tools/captures/otp_submit_sm.hex: 93 octets, "Kode OTP: 482913", validity 5 min,
// registered_delivery 1, user_message_reference + a vendor TLV.
std::vector<std::uint8_t> const submit_sm_bytes = from_hex(
    "0000005d0000000400000000000000010005004f5450000101363238313233343536373839300000000000"
    "303030303030303030353030303030520001000000104b6f6465204f54503a20343832393133020400020"
    "02a142100020102");

// tests/tools/captures/receipt_deliver_sm.hex: 185 octets, Appendix B text + receipted_message_id
// and message_state TLVs.
std::vector<std::uint8_t> const deliver_sm_bytes = from_hex(
    "000000b900000005000000000000004d000101363238313233343536373839300005004f54500004000000"
    "00000000007669643a30383730393238373631207375623a30303120646c7672643a3030312073756"
    "26d697420646174653a3235313132363031303120646f6e6520646174653a32353131323630313032"
    "20737461743a44454c49565244206572723a30303020746578743a4b6f6465204f54503a2034383239"
    "3133001e00093333453935313739000427000102");

smpp::pdu decoded(std::vector<std::uint8_t> const& bytes) { return smpp::decode(bytes).value(); }

void decode_bench(benchmark::State& state, std::vector<std::uint8_t> const& bytes) {
  for (auto _ : state) {
    auto p = smpp::decode(bytes);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes.size()));
}

void encode_bench(benchmark::State& state, smpp::pdu const& p) {
  std::vector<std::uint8_t> out;
  out.reserve(512);
  for (auto _ : state) {
    out.clear();
    auto e = smpp::encode(p, out);
    benchmark::DoNotOptimize(e);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_decode_submit_sm(benchmark::State& state) { decode_bench(state, submit_sm_bytes); }
void BM_encode_submit_sm(benchmark::State& state) { encode_bench(state, decoded(submit_sm_bytes)); }
void BM_decode_deliver_sm_receipt(benchmark::State& state) { decode_bench(state, deliver_sm_bytes); }
void BM_encode_deliver_sm_receipt(benchmark::State& state) { encode_bench(state, decoded(deliver_sm_bytes)); }

/// decode + parse_receipt: what the daemon does for each incoming receipt.
void BM_decode_and_parse_receipt(benchmark::State& state) {
  for (auto _ : state) {
    auto p = smpp::decode(deliver_sm_bytes);
    auto r = smpp::parse_receipt(std::get<smpp::deliver_sm>(p->body), p->tlvs);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

/// A stream of 64 mixed PDUs (submit_sm, deliver_sm receipt, enquire_link) fed to the framer
/// in `state.range(0)`-octet reads, as a socket would deliver them; counts PDUs framed.
void BM_framer(benchmark::State& state) {
  std::vector<std::uint8_t> stream;
  std::vector<std::uint8_t> const enquire_link =
      from_hex("00000010000000150000000000000001");
  for (int i = 0; i < 64; ++i) {
    auto const& p = i % 3 == 0 ? submit_sm_bytes : i % 3 == 1 ? deliver_sm_bytes : enquire_link;
    stream.insert(stream.end(), p.begin(), p.end());
  }
  auto const chunk = static_cast<std::size_t>(state.range(0));
  smpp::framer framer;
  std::int64_t pdus = 0;
  for (auto _ : state) {
    for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
      std::size_t const n = std::min(chunk, stream.size() - pos);
      framer.feed(std::span(stream).subspan(pos, n));
      for (;;) {
        auto next = framer.next();
        if (!next || next->empty()) break;
        benchmark::DoNotOptimize(next->data());
        ++pdus;
      }
    }
  }
  state.SetItemsProcessed(pdus);
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream.size()));
}

/// Framer + decode of every PDU: the read path of one SMSC link.
void BM_framer_and_decode(benchmark::State& state) {
  std::vector<std::uint8_t> stream;
  for (int i = 0; i < 64; ++i) stream.insert(stream.end(), submit_sm_bytes.begin(), submit_sm_bytes.end());
  smpp::framer framer;
  std::int64_t pdus = 0;
  for (auto _ : state) {
    for (std::size_t pos = 0; pos < stream.size(); pos += 4096) {
      framer.feed(std::span(stream).subspan(pos, std::min<std::size_t>(4096, stream.size() - pos)));
      for (;;) {
        auto next = framer.next();
        if (!next || next->empty()) break;
        auto p = smpp::decode(*next);
        benchmark::DoNotOptimize(p);
        ++pdus;
      }
    }
  }
  state.SetItemsProcessed(pdus);
}

}  // namespace

BENCHMARK(BM_decode_submit_sm);
BENCHMARK(BM_encode_submit_sm);
BENCHMARK(BM_decode_deliver_sm_receipt);
BENCHMARK(BM_encode_deliver_sm_receipt);
BENCHMARK(BM_decode_and_parse_receipt);
BENCHMARK(BM_framer)->Arg(1)->Arg(64)->Arg(4096);
BENCHMARK(BM_framer_and_decode);

BENCHMARK_MAIN();
