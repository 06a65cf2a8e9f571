// daemon/link/carrier_config.hpp: the documented configuration of one carrier (SMSC account):
// where to connect, TLS, bind credentials, how many binds, window, throughput cap and every
// timeout. Plain structs with defaults; the TOML loader (a later issue) fills them and calls
// validate(). Durations are std::chrono so units can never be confused.
// Assumption: one carrier = one account; the SMSC allows `binds` connections (x2 in
// transmitter_receiver mode) and we never open more than that at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "smpp/backoff.hpp"
#include "smpp/token_bucket.hpp"

namespace smsgw {

using namespace std::chrono_literals;

/// TLS towards the SMSC (asio::ssl over OpenSSL 3). Off unless `enabled`.
struct tls_config {
  bool enabled = false;     ///< wrap the TCP connection in TLS
  std::string ca_file;      ///< PEM file of trusted CAs; empty = the system's default store
  std::string cert_file;    ///< PEM client certificate (chain); empty = no client certificate
  std::string key_file;     ///< PEM private key of cert_file; required if cert_file is set
  std::string server_name;  ///< SNI and the name the certificate must match; empty = `host`
  bool verify = true;       ///< verify the peer's chain and host name; false only for lab tests
  friend bool operator==(tls_config const&, tls_config const&) = default;
};

/// How a bind slot is opened (docs/smpp.md §Bind states); config key `bind_mode`.
enum class bind_layout {
  transceiver,           ///< one bind_transceiver per slot (submit and receive receipts)
  transmitter_receiver,  ///< a bind_transmitter + a bind_receiver per slot (two connections)
};

/// Every wait of a link has a deadline. Defaults follow docs/smpp.md §Timers.
struct link_timeouts {
  std::chrono::milliseconds connect = 10s;              ///< resolve + TCP connect
  std::chrono::milliseconds tls_handshake = 10s;        ///< TLS handshake
  std::chrono::milliseconds bind_response = 30s;        ///< bind_* -> bind_*_resp
  std::chrono::milliseconds response = 60s;             ///< submit_sm -> submit_sm_resp (then: outcome unknown)
  std::chrono::milliseconds enquire_link_interval = 30s;  ///< idle time before probing the peer
  std::chrono::milliseconds enquire_link_response = 30s;  ///< no enquire_link_resp: peer declared dead
  std::chrono::milliseconds unbind_response = 5s;       ///< unbind -> unbind_resp before closing anyway
  std::chrono::milliseconds drain = 10s;                ///< graceful close: wait for outstanding responses
  friend bool operator==(link_timeouts const&, link_timeouts const&) = default;
};

/// Reconnect policy (smpp::backoff_config): capped exponential backoff with jitter from
/// `initial` to `max`; credential errors (bad password, system_id, system_type) are logged
/// once and retried only every `credential_delay`.
using reconnect_config = smpp::backoff_config;

/// Throttling (smpp::token_bucket_config): one bucket per carrier counting SMS segments
/// (a 3-part message costs 3); `rate` is the contract's cap in segments/s (required: every
/// carrier contract has one). ESME_RTHROTTLED / ESME_RMSGQFUL cut the rate by `throttle_factor`, which
/// then recovers by `recovery_step` every `recovery_interval` (AIMD).
using throttle_config = smpp::token_bucket_config;

/// One carrier account with its bind slots.
struct carrier_config {
  std::string name;         ///< short id used in logs and routing, e.g. "tsel"
  std::string host;         ///< SMSC host name or address (127.0.0.1, ::1, smsc.example)
  std::uint16_t port = 2775;
  tls_config tls;

  std::string system_id;       ///< bind system_id, <= 15 characters
  std::string password;        ///< bind password, <= 8 characters; NEVER logged (redact.hpp)
  std::string system_type;     ///< bind system_type, <= 12 characters, often empty
  std::uint8_t interface_version = 0x34;
  std::uint8_t addr_ton = 0;
  std::uint8_t addr_npi = 0;
  std::string address_range;

  bind_layout mode = bind_layout::transceiver;
  unsigned binds = 1;          ///< bind slots; connections = binds (x2 for transmitter_receiver)
  unsigned window = 10;        ///< max outstanding submit_sm per bind (docs/smpp.md §Sequence numbers and window)
  throttle_config throttle;
  link_timeouts timeouts;
  reconnect_config reconnect;

  /// How many TCP connections this account may hold at once.
  unsigned max_connections() const noexcept {
    return mode == bind_layout::transceiver ? binds : 2 * binds;
  }
  friend bool operator==(carrier_config const&, carrier_config const&) = default;
};

/// Checks a carrier_config; returns one human-readable problem per bad field ("carrier tsel:
/// password longer than 8 characters"), empty when valid. Never echoes the password.
std::vector<std::string> validate(carrier_config const& c);

}  // namespace smsgw
