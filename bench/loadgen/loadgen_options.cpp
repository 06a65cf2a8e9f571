// bench/loadgen/loadgen_options.cpp: the command-line parser of the load generator.
#include "bench/loadgen/loadgen_options.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace smsgw::loadgen {

namespace {

constexpr char usage_text[] = R"(usage: loadgen --socket PATH [options]
Sends OTPs (POST /v1/otp) and transactional/bulk messages (POST /v1/messages) to smsgw's
Unix-socket API and reports what it answered. Every run stops at --count or --duration-s,
whichever comes first.
  --socket PATH            the daemon's API socket (required)
  --clients N              concurrent connections (default 4, 1..1024)
  --count N                requests at most (default 1000, 1..100000000)
  --duration-s S           seconds at most (default 60, 0.001..86400)
  --rate R                 paced: R requests/s over all clients (default 0 = closed loop:
                           each client sends its next request when the last is answered)
  --mix LIST               priority weights, e.g. otp=80,transactional=15,bulk=5 (default otp=100)
  --prefixes LIST          number prefixes and weights, e.g. 0812=40,0814=25,0817 (default 0812)
  --numbers scattered|sequential  how numbers come from the counter (default scattered: spread
                           over number ranges, so per-prefix limits are not tripped)
  --first-number N         the number counter starts at N (default 0)
  --distinct-numbers N     cycle through N numbers (default 0 = a new number per request)
  --subscriber-digits N    digits after the prefix (default 8, 5..9)
  --ttl-s N                OTP ttl_seconds (default: the daemon's)
  --message-ttl-s N        ttl_seconds of /v1/messages (default: the daemon's)
  --purpose P              OTP purpose (default none)
  --text-bytes N           length of /v1/messages texts (default 40, 1..4000)
  --no-keep-alive          a new connection per request
  --timeout-ms N           per request (default 10000)
  --seed N                 seed of the draws (default 1)
  --label TEXT             names the run in the summary and the JSON lines
  --jsonl FILE             one JSON line per request ("-" = stdout): i, t_ms, endpoint,
                           priority, to, status, latency_us, id, carrier, expires_at_ms, error
  --ids FILE               accepted message ids, one per line
  --summary-json           print the summary as one JSON object (default: text)
)";

using parse_result = boost::system::result<options, std::string>;

// An error for any result<T, std::string>: a bare string would be ambiguous where T can be
// made from a string too (std::string_view, and `options` by C++20 aggregate construction).
struct failure {
  std::string text;
  template <typename T>
  operator boost::system::result<T, std::string>() const {
    return boost::system::result<T, std::string>(boost::system::in_place_error, text);
  }
};

template <typename T>
bool to_unsigned(std::string_view v, T& out, T min, T max) {
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc{} || p != v.data() + v.size() || n < min || n > max) return false;
  out = static_cast<T>(n);
  return true;
}

bool to_double(std::string_view v, double& out, double min, double max) {
  std::string s(v);
  try {
    std::size_t used = 0;
    double d = std::stod(s, &used);
    if (used != s.size() || !std::isfinite(d) || d < min || d > max) return false;
    out = d;
    return true;
  } catch (std::exception const&) {
    return false;
  }
}

bool all_digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}

// Splits "a,b,c" into its parts (empty parts kept: the callers refuse them).
std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    auto at = text.find(sep);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

}  // namespace

std::string_view usage() noexcept { return usage_text; }

boost::system::result<priority_mix, std::string> parse_priority_mix(std::string_view text) {
  priority_mix mix{0, 0, 0};
  for (auto part : split(text, ',')) {
    auto eq = part.find('=');
    if (eq == std::string_view::npos) return failure{std::string("--mix: '") + std::string(part) + "' is not CLASS=WEIGHT"};
    auto name = part.substr(0, eq);
    unsigned w = 0;
    if (!to_unsigned(part.substr(eq + 1), w, 0u, 1000000u))
      return failure{std::string("--mix: weight of '") + std::string(name) + "' is not a number in 0..1000000"};
    if (name == "otp") mix.otp = w;
    else if (name == "transactional") mix.transactional = w;
    else if (name == "bulk") mix.bulk = w;
    else return failure{std::string("--mix: unknown class '") + std::string(name) + "' (otp, transactional, bulk)"};
  }
  if (mix.total() == 0) return failure{std::string("--mix: every weight is 0")};
  return mix;
}

boost::system::result<std::vector<weighted_prefix>, std::string> parse_prefixes(std::string_view text) {
  std::vector<weighted_prefix> out;
  for (auto part : split(text, ',')) {
    weighted_prefix p;
    auto eq = part.find('=');
    p.prefix = std::string(part.substr(0, eq));
    if (eq != std::string_view::npos && !to_unsigned(part.substr(eq + 1), p.weight, 1u, 1000000u))
      return failure{"--prefixes: weight of '" + p.prefix + "' is not a number in 1..1000000"};
    if (!all_digits(p.prefix) || !p.prefix.starts_with("08") || p.prefix.size() < 3 || p.prefix.size() > 6)
      return failure{"--prefixes: '" + p.prefix + "' is not a mobile prefix like 0812"};
    out.push_back(std::move(p));
  }
  return out;
}

parse_result parse_options(std::vector<std::string_view> const& args) {
  options o;
  bool have_socket = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view flag = args[i], inline_value;
    bool has_inline = false;
    if (auto eq = flag.find('='); flag.starts_with("--") && eq != std::string_view::npos) {
      inline_value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_inline = true;
    }
    std::string const f(flag);
    auto value = [&]() -> boost::system::result<std::string_view, std::string> {
      if (has_inline) return boost::system::result<std::string_view, std::string>(boost::system::in_place_value, inline_value);
      if (i + 1 >= args.size()) return failure{f + " needs a value"};
      return boost::system::result<std::string_view, std::string>(boost::system::in_place_value, args[++i]);
    };
    auto number = [&]<typename T>(T& out, T min, T max) -> std::string {
      auto v = value();
      if (!v) return v.error();
      if (!to_unsigned(*v, out, min, max))
        return f + ": '" + std::string(*v) + "' is not a number in " + std::to_string(min) + ".." + std::to_string(max);
      return {};
    };
    auto real = [&](double& out, double min, double max) -> std::string {
      auto v = value();
      if (!v) return v.error();
      if (!to_double(*v, out, min, max)) return f + ": '" + std::string(*v) + "' is not a number in the range allowed";
      return {};
    };
    auto text = [&](std::string& out) -> std::string {
      auto v = value();
      if (!v) return v.error();
      out = std::string(*v);
      return {};
    };
    std::string error;
    if (f == "--help" || f == "-h") return failure{std::string(usage_text)};
    else if (f == "--socket") { error = text(o.socket_path); have_socket = !o.socket_path.empty(); }
    else if (f == "--clients") error = number(o.clients, 1u, 1024u);
    else if (f == "--count") error = number(o.count, std::uint64_t{1}, std::uint64_t{100000000});
    else if (f == "--duration-s") error = real(o.duration_s, 0.001, 86400);
    else if (f == "--rate") error = real(o.rate, 0, 1000000);
    else if (f == "--mix") {
      auto v = value();
      if (!v) return failure{v.error()};
      auto m = parse_priority_mix(*v);
      if (!m) return failure{m.error()};
      o.mix = *m;
    }
    else if (f == "--prefixes") {
      auto v = value();
      if (!v) return failure{v.error()};
      auto p = parse_prefixes(*v);
      if (!p) return failure{p.error()};
      o.prefixes = std::move(*p);
    }
    else if (f == "--numbers") {
      auto v = value();
      if (!v) return failure{v.error()};
      if (*v == "scattered") o.order = number_order::scattered;
      else if (*v == "sequential") o.order = number_order::sequential;
      else return failure{std::string("--numbers wants scattered or sequential")};
    }
    else if (f == "--first-number") error = number(o.first_number, std::uint64_t{0}, std::uint64_t{999999999});
    else if (f == "--distinct-numbers") error = number(o.distinct_numbers, std::uint64_t{0}, std::uint64_t{999999999});
    else if (f == "--subscriber-digits") error = number(o.subscriber_digits, 5u, 9u);
    else if (f == "--ttl-s") error = number(o.ttl_seconds, 0u, 604800u);
    else if (f == "--message-ttl-s") error = number(o.message_ttl_seconds, 0u, 604800u);
    else if (f == "--purpose") error = text(o.purpose);
    else if (f == "--text-bytes") error = number(o.text_bytes, 1u, 4000u);
    else if (f == "--no-keep-alive") o.keep_alive = false;
    else if (f == "--timeout-ms") error = number(o.timeout_ms, 1u, 600000u);
    else if (f == "--seed") error = number(o.seed, std::uint64_t{0}, std::numeric_limits<std::uint64_t>::max());
    else if (f == "--label") error = text(o.label);
    else if (f == "--jsonl") error = text(o.jsonl_path);
    else if (f == "--ids") error = text(o.ids_path);
    else if (f == "--summary-json") o.summary_json = true;
    else return failure{"unknown option " + f};
    if (!error.empty()) return failure{error};
  }
  if (!have_socket) return failure{std::string("--socket PATH is required")};
  return o;
}

}  // namespace smsgw::loadgen
