// daemon/link/carrier_config.cpp: validation of carrier_config (see carrier_config.hpp). The limits
// are the SMPP 3.4 field sizes minus the NUL (docs/smpp.md §Mandatory fields), so a config the SMSC would
// reject as a malformed bind is refused at start-up instead.
#include "daemon/link/carrier_config.hpp"

#include <fmt/format.h>

namespace smsgw {

std::vector<std::string> validate(carrier_config const& c) {
  std::vector<std::string> problems;
  auto bad = [&](std::string_view what) {
    problems.push_back(fmt::format("carrier {}: {}", c.name.empty() ? "(unnamed)" : c.name, what));
  };
  if (c.name.empty()) bad("name is empty");
  if (c.host.empty()) bad("host is empty");
  if (c.port == 0) bad("port is 0");
  if (c.system_id.empty() || c.system_id.size() > 15) bad("system_id must be 1..15 characters");
  if (c.password.size() > 8) bad("password longer than 8 characters");
  if (c.system_type.size() > 12) bad("system_type longer than 12 characters");
  if (c.address_range.size() > 40) bad("address_range longer than 40 characters");
  if (c.binds == 0) bad("binds must be at least 1");
  if (c.window == 0) bad("window must be at least 1");
  if (c.tls.enabled && !c.tls.cert_file.empty() && c.tls.key_file.empty())
    bad("tls.cert_file is set but tls.key_file is not");
  if (c.tls.enabled && c.tls.cert_file.empty() && !c.tls.key_file.empty())
    bad("tls.key_file is set but tls.cert_file is not");
  if (!(c.throttle.rate > 0)) bad("throttle.rate must be positive (segments per second)");
  if (c.throttle.min_rate <= 0 || c.throttle.min_rate > c.throttle.rate)
    bad("throttle.min_rate must be positive and <= throttle.rate");
  if (c.throttle.burst < 1) bad("throttle.burst must be at least 1");
  if (c.throttle.throttle_factor <= 0 || c.throttle.throttle_factor >= 1)
    bad("throttle.throttle_factor must be between 0 and 1");
  auto const& t = c.timeouts;
  for (auto [name, value] : {std::pair{"connect", t.connect}, {"tls_handshake", t.tls_handshake},
                             {"bind_response", t.bind_response}, {"response", t.response},
                             {"enquire_link_interval", t.enquire_link_interval},
                             {"enquire_link_response", t.enquire_link_response},
                             {"unbind_response", t.unbind_response}}) {
    if (value.count() <= 0) bad(fmt::format("timeouts.{} must be positive", name));
  }
  if (c.reconnect.initial.count() <= 0 || c.reconnect.max < c.reconnect.initial)
    bad("reconnect.initial must be positive and <= reconnect.max");
  return problems;
}

}  // namespace smsgw
