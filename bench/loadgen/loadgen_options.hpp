// bench/loadgen/loadgen_options.hpp: what the load generator is told on its command line, and
// the parser for it (pure: no I/O, errors as values, so a unit test checks every spelling).
// Design decision: every run is bounded twice, by a request count and by a duration; neither
// can be switched off, so a typo never turns a benchmark into an endless loop.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

namespace smsgw::loadgen {

/// Weights of the three priority classes. `otp` requests go to POST /v1/otp, the other two to
/// POST /v1/messages with "priority". Weights need not sum to 100.
struct priority_mix {
  unsigned otp = 100;
  unsigned transactional = 0;
  unsigned bulk = 0;
  unsigned total() const noexcept { return otp + transactional + bulk; }
};

/// A number prefix ("0812") and its weight among the prefixes.
struct weighted_prefix {
  std::string prefix;
  unsigned weight = 1;
};

/// How subscriber numbers are made from the request counter.
enum class number_order {
  scattered,   ///< a fixed permutation of the counter: spread over number ranges (per-prefix limits)
  sequential,  ///< prefix + counter, zero-padded
};

struct options {
  std::string socket_path;                  ///< the daemon's API socket (required)
  unsigned clients = 4;                     ///< concurrent connections
  std::uint64_t count = 1000;               ///< requests at most
  double duration_s = 60;                   ///< seconds at most (from the first request)
  double rate = 0;                          ///< paced: requests/s over all clients; 0 = closed loop
  priority_mix mix;
  std::vector<weighted_prefix> prefixes{{"0812", 1}};
  number_order order = number_order::scattered;
  std::uint64_t first_number = 0;           ///< the counter starts here (runs that must not share numbers)
  std::uint64_t distinct_numbers = 0;       ///< 0 = a new number per request; N = cycle through N
  unsigned subscriber_digits = 8;           ///< digits after the prefix
  unsigned ttl_seconds = 0;                 ///< OTP ttl_seconds; 0 = the daemon's default
  unsigned message_ttl_seconds = 0;         ///< ttl_seconds of /v1/messages; 0 = the daemon's default
  std::string purpose;                      ///< OTP purpose; "" = none
  unsigned text_bytes = 40;                 ///< length of /v1/messages texts
  bool keep_alive = true;                   ///< one connection per client for all its requests
  unsigned timeout_ms = 10000;              ///< per request (connect + write + read)
  std::uint64_t seed = 1;                   ///< priorities, prefixes and codes are drawn from it
  std::string label;                        ///< names the run in the summary and JSON lines
  std::string jsonl_path;                   ///< one JSON line per request ("-" = stdout); "" = none
  std::string ids_path;                     ///< accepted message ids, one per line; "" = none
  bool summary_json = false;                ///< the summary as one JSON object instead of text
};

/// Parses argv[1..] (without the program name). An error names the flag and what is wrong.
/// "--help" yields an error whose text is usage() (the caller prints it and exits 0).
boost::system::result<options, std::string> parse_options(std::vector<std::string_view> const& args);

/// Parses "otp=80,transactional=15,bulk=5" (missing classes weigh 0; at least one > 0).
boost::system::result<priority_mix, std::string> parse_priority_mix(std::string_view text);

/// Parses "0812=40,0814,0817=20" (a prefix without "=N" weighs 1). Prefixes are "08" + 1..4 digits.
boost::system::result<std::vector<weighted_prefix>, std::string> parse_prefixes(std::string_view text);

/// The --help text.
std::string_view usage() noexcept;

}  // namespace smsgw::loadgen
