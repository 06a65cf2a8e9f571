// bench/loadgen/request_maker.cpp: makes the requests of a run (see the header).
#include "bench/loadgen/request_maker.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace smsgw::loadgen {

std::string_view priority_name(priority p) noexcept {
  switch (p) {
    case priority::otp: return "otp";
    case priority::transactional: return "transactional";
    case priority::bulk: return "bulk";
  }
  return "?";
}

request_maker::request_maker(options const& o) : o_(o), rng_(o.seed) {
  for (auto const& p : o_.prefixes) prefix_total_ += p.weight;
}

std::uint64_t request_maker::subscriber(std::uint64_t k, unsigned digits, number_order order) noexcept {
  std::uint64_t modulus = 1;
  for (unsigned i = 0; i < digits; ++i) modulus *= 10;
  k %= modulus;
  if (order == number_order::sequential) return k;
  // 2654435761 is odd and does not end in 5: coprime with 10^digits. Products stay below 2^64
  // because k < 10^9.
  return (k * 2654435761ULL) % modulus;
}

request request_maker::next() {
  request r;
  r.index = index_++;
  auto const& mix = o_.mix;
  auto draw = std::uniform_int_distribution<std::uint64_t>(0, mix.total() - 1)(rng_);
  r.prio = draw < mix.otp ? priority::otp
         : draw < mix.otp + mix.transactional ? priority::transactional
                                               : priority::bulk;
  auto pick = std::uniform_int_distribution<std::uint64_t>(0, prefix_total_ - 1)(rng_);
  std::string const* prefix = &o_.prefixes.front().prefix;
  for (auto const& p : o_.prefixes) {
    if (pick < p.weight) { prefix = &p.prefix; break; }
    pick -= p.weight;
  }
  auto k = o_.distinct_numbers ? r.index % o_.distinct_numbers : r.index;
  r.to = fmt::format("{}{:0{}}", *prefix, subscriber(o_.first_number + k, o_.subscriber_digits, o_.order),
                     o_.subscriber_digits);
  boost::json::object body{{"to", r.to}};
  if (r.prio == priority::otp) {
    r.target = "/v1/otp";
    body["code"] = fmt::format("{:06}", std::uniform_int_distribution<unsigned>(0, 999999)(rng_));
    if (o_.ttl_seconds) body["ttl_seconds"] = o_.ttl_seconds;
    if (!o_.purpose.empty()) body["purpose"] = o_.purpose;
  } else {
    r.target = "/v1/messages";
    body["priority"] = priority_name(r.prio);
    std::string text = fmt::format("loadgen {} {} ", priority_name(r.prio), r.index);
    text.resize(o_.text_bytes, 'x');
    body["text"] = std::move(text);
    if (o_.message_ttl_seconds) body["ttl_seconds"] = o_.message_ttl_seconds;
  }
  r.body = boost::json::serialize(body);
  return r;
}

}  // namespace smsgw::loadgen
