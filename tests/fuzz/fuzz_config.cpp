// tests/fuzz/fuzz_config.cpp: libFuzzer target for the configuration parser: arbitrary bytes as
// a TOML file through parse_config (daemon/config/config.hpp; toml++ underneath).
// Properties checked (a violation aborts, which libFuzzer reports as a crash):
//   - parse_config never throws and never reads out of bounds (ASan/UBSan);
//   - a refusal names the file and says what is wrong ("FILE:LINE: KEY: what");
//   - what it accepts keeps the ranges docs/daemon.md and smsgw.toml(5) promise: at least one
//     carrier, unique names, credentials within SMPP's lengths, alternates that name other
//     configured carriers, binds, window, throughput, timeouts, API limits, a socket mode that
//     is not world-writable, retry attempts.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>
#include <string>
#include <string_view>

#include "daemon/config/config.hpp"

using namespace smsgw;
using namespace std::chrono_literals;

namespace {

std::string const file = "fuzz.toml";

[[noreturn]] void fail(char const* property, std::string_view detail) {
  std::fprintf(stderr, "fuzz_config: %s\n  %.*s\n", property, static_cast<int>(detail.size()), detail.data());
  std::abort();
}

template <class T>
void in_range(char const* what, T v, T lo, T hi) {
  if (v < lo || v > hi) fail("accepted a value out of its documented range", what);
}

void check_accepted(daemon_config const& c) {
  if (c.carriers.empty()) fail("accepted a config without carriers", "");
  std::set<std::string> names;
  for (auto const& r : c.carriers) {
    auto const& l = r.link;
    if (!names.insert(l.name).second) fail("accepted two carriers with one name", l.name);
    in_range("name length", l.name.size(), std::size_t{1}, std::size_t{32});
    in_range("host length", l.host.size(), std::size_t{1}, std::size_t{253});
    in_range("port", l.port, std::uint16_t{1}, std::uint16_t{65535});
    in_range("system_id length", l.system_id.size(), std::size_t{1}, std::size_t{15});
    in_range("password length", l.password.size(), std::size_t{0}, std::size_t{8});
    in_range("system_type length", l.system_type.size(), std::size_t{0}, std::size_t{12});
    in_range("address_range length", l.address_range.size(), std::size_t{0}, std::size_t{40});
    in_range("binds", l.binds, 1u, 64u);
    in_range("window", l.window, 1u, 1000u);
    in_range("throughput", l.throttle.rate, 0.01, 100000.0);
    in_range("sender length", r.sender.size(), std::size_t{1}, std::size_t{20});
    for (auto t : {l.timeouts.connect, l.timeouts.tls_handshake, l.timeouts.bind_response, l.timeouts.response,
                   l.timeouts.enquire_link_interval, l.timeouts.enquire_link_response,
                   l.timeouts.unbind_response})
      in_range("a link timeout", t, std::chrono::milliseconds(100), std::chrono::milliseconds(86400000));
    in_range("drain_timeout_ms", l.timeouts.drain, 0ms, std::chrono::milliseconds(86400000));
    if (l.reconnect.max < l.reconnect.initial) fail("accepted reconnect_max_ms below reconnect_initial_ms", l.name);
    if (!l.tls.enabled && (!l.tls.ca_file.empty() || !l.tls.cert_file.empty() || !l.tls.key_file.empty()))
      fail("accepted TLS files with TLS off", l.name);
    if (!l.tls.cert_file.empty() && l.tls.key_file.empty()) fail("accepted cert_file without key_file", l.name);
  }
  for (auto const& r : c.carriers)
    for (auto const& a : r.alternates)
      if (!names.count(a)) fail("accepted an alternate that names no carrier", a);
  in_range("stop_timeout_ms", c.stop_timeout, 0ms, std::chrono::milliseconds(600000));
  in_range("retention_hours", c.queue.retention, std::chrono::hours(1), std::chrono::hours(8784));
  in_range("housekeeping_ms", c.queue.housekeeping_interval, 10ms, std::chrono::milliseconds(3600000));
  in_range("body_limit", c.api.body_limit, std::size_t{256}, std::size_t{1048576});
  in_range("max_connections", c.api.max_connections, std::size_t{1}, std::size_t{10000});
  in_range("read_timeout_ms", c.api.read_timeout, 10ms, std::chrono::milliseconds(600000));
  in_range("default_ttl_seconds", c.api.default_ttl, std::chrono::seconds(1), max_ttl_limit);
  in_range("max_ttl_seconds", c.api.max_ttl, std::chrono::seconds(1), max_ttl_limit);
  if ((c.api.socket_mode & 0002) != 0) fail("accepted a world-writable socket_mode", "");
  if (c.api.socket_path.empty() || c.api.socket_path.size() > 100) fail("accepted a socket_path of that length", c.api.socket_path);
  in_range("prefix_hidden_digits", c.limits.limits.prefix_hidden_digits, 1u, 6u);
  in_range("max_otp_attempts", c.retry.max_otp_attempts, 1, 10);
  in_range("max_transactional_attempts", c.retry.max_transactional_attempts, 1, 10);
  in_range("same_route_delay_ms", c.retry.same_route_delay, 0ms, std::chrono::milliseconds(600000));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  std::string_view text(reinterpret_cast<char const*>(data), size);
  config_result r = [&] {
    try {
      return parse_config(text, file);
    } catch (std::exception const& e) {
      fail("parse_config threw", e.what());
    } catch (...) {
      fail("parse_config threw", "a non-std exception");
    }
  }();
  if (!r) {
    auto const& e = r.error();
    auto msg = e.message();
    if (e.file != file || msg.rfind(file + ":", 0) != 0) fail("an error that does not name the file", msg);
    if (e.what.empty()) fail("an error that does not say what is wrong", msg);
    return 0;
  }
  check_accepted(*r);
  return 0;
}
