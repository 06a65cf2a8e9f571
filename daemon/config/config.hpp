// daemon/config/config.hpp: the daemon's whole configuration as one struct of documented fields
// (unit, default, meaning), parsed from TOML (toml++) and validated once at start-up.
// Design decision: every problem is reported as "FILE:LINE: KEY: what is wrong" and the daemon
// refuses to start; unknown keys are errors too (a typo must not silently mean "default").
// An embedded default (five local simulators on 127.0.0.1:2775..2779) is used without --config.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

#include "daemon/config/carrier_routing.hpp"
#include "daemon/config/peak_schedule.hpp"
#include "daemon/link/carrier_config.hpp"
#include "queue/rate_limits.hpp"
#include "smpp/message_id.hpp"

namespace smsgw {

/// One carrier account plus what the dispatcher needs to route to it.
struct route_config {
  carrier_config link;  ///< connection, binds, window, throughput, timeouts (daemon/link/carrier_config.hpp)
  /// How the SMSC writes ids in submit_sm_resp vs receipts; key `message_id_format`,
  /// "same" (default) | "resp_hex_dlr_dec" | "resp_dec_dlr_hex".
  smpp::message_id_format id_format = smpp::message_id_format::same;
  /// Carriers (by name) an OTP may be retried through after this one failed it; key `alternates`.
  std::vector<std::string> alternates;
  /// source_addr of submit_sm when the request names none; key `sender`, default "SMSGW".
  std::string sender = "SMSGW";
  /// How long the carrier may have no bound submitting link before the OTPs already taken
  /// into its buffer go to an alternate that is up; key `failover_after_ms`, default 5000.
  std::chrono::milliseconds failover_after{5000};
  /// GET /healthz says "degraded" (503) once the carrier has had no bound submitting link
  /// for longer than this (since the daemon started, if it never bound); key
  /// `no_bind_degraded_seconds`, default 60, 0 = never.
  std::chrono::seconds no_bind_degraded{60};
  /// Peak-hour windows (daemon/config/peak_schedule.hpp), key `peak`: `[[carrier.peak]]` tables
  /// with keys `days`, `start`, `end`, `throughput`, `transactional_share`, `bulk_share`, `name`.
  /// Absent in the TOML = default_peak_schedule() (bulk paused Mon-Fri 09-11 and 13-15 WIB);
  /// `peak = []` = no windows. Empty here (a struct built in code has no windows).
  peak_schedule peak;
  /// An OTP submitted through this carrier with no final receipt after this long is retried
  /// through the next route (never later than its validity); key `receipt_timeout_ms`,
  /// default 30000, 0 = never (it waits until its validity + grace).
  std::chrono::milliseconds receipt_timeout{30000};
  /// The same for transactional messages; key `transactional_receipt_timeout_ms`, default
  /// 300000, 0 = never. Bulk is never retried.
  std::chrono::milliseconds transactional_receipt_timeout{300000};
  /// Receipt `err:` codes meaning "filtered by the carrier" (spam); key `filtered_errors`,
  /// e.g. ["069"] ("err:069" accepted); compared exactly. Default none.
  std::vector<std::string> filtered_errors;
  /// submit_sm_resp command_status values meaning the same; key `filtered_submit_statuses`,
  /// integers (e.g. [0x45]). Default none.
  std::vector<std::uint32_t> filtered_submit_statuses;
  friend bool operator==(route_config const&, route_config const&) = default;
};

struct queue_settings {
  std::string db_path = "/var/lib/smsgw/queue.db";  ///< `db_path`: the SQLite file
  bool synchronous_full = true;  ///< `synchronous` = "full" (fsync per commit, default) | "normal"
  std::chrono::hours retention{72};  ///< `retention_hours`: finished messages kept this long, default 72
  std::chrono::milliseconds housekeeping_interval{1000};  ///< `housekeeping_ms`: expire_due cadence, default 1000
  /// `no_receipt_grace_seconds`: a submitted message still without a final receipt this long
  /// after its validity becomes no_receipt (final), default 3600, 0..604800.
  std::chrono::seconds no_receipt_grace{3600};
  /// `min_free_mb`: GET /healthz says "degraded" (503) while the file system holding db_path
  /// has less free space than this (MiB available to smsgw, statvfs), default 100, 0 = never.
  std::uint64_t min_free_mb = 100;
  friend bool operator==(queue_settings const&, queue_settings const&) = default;
};

/// The queue's limits with the daemon's defaults: the queue library leaves the resend
/// interval off; the daemon holds one OTP per number and purpose per 30 s.
inline queue::limits_config daemon_default_limits() {
  queue::limits_config c;
  c.resend_interval = std::chrono::seconds(30);
  c.on_resend = queue::resend_mode::refuse;
  return c;
}

struct limits_settings {
  bool enabled = true;           ///< `enabled`: apply per-number OTP limits, default true
  /// `per_number`, `per_prefix`, `prefix_hidden_digits`, `resend_interval_seconds` (default
  /// 30, 0 = off), `resend_mode` ("refuse" default | "suppress") (docs/limits.md)
  queue::limits_config limits = daemon_default_limits();
  friend bool operator==(limits_settings const&, limits_settings const&) = default;
};

struct api_settings {
  std::string socket_path = "/run/smsgw/api.sock";  ///< `socket_path`: Unix socket for HTTP/1.1
  std::uint32_t socket_mode = 0660;                 ///< `socket_mode`: octal string, never o+w, default "0660"
  std::size_t body_limit = 16 * 1024;               ///< `body_limit`: bytes per request body, default 16384
  std::chrono::milliseconds read_timeout{10000};    ///< `read_timeout_ms`: whole request, default 10000
  std::size_t max_connections = 64;                 ///< `max_connections`: open API connections, 1..10000, default 64;
                                                    ///< past it a new connection gets 503 and is closed
  std::chrono::seconds default_ttl{300};            ///< `default_ttl_seconds`: OTP validity if not given, default 300
  std::chrono::seconds max_ttl{3600};               ///< `max_ttl_seconds`: longest validity accepted, default 3600
  unsigned otp_max_segments = 1;                    ///< `otp_max_segments`: SMS an OTP's text may need, 1..10, default 1;
                                                    ///< a longer OTP is refused with 400
  std::size_t events_max_streams = 16;              ///< `events_max_streams`: open GET /v1/events streams, 1..1000,
                                                    ///< default 16; past it 503 too_many_streams
  std::chrono::milliseconds events_heartbeat{15000};  ///< `events_heartbeat_ms`: comment line on an idle stream,
                                                      ///< 1000..300000, default 15000
  std::chrono::milliseconds events_stall_timeout{10000};  ///< `events_stall_timeout_ms`: a stream whose socket takes
                                                          ///< nothing more this long is cut off, 100..600000, default 10000
  bool refuse_would_expire = false;                 ///< `refuse_would_expire`: refuse an OTP with 503 would_expire when no
                                                    ///< route is estimated to deliver it within its validity, default false
  /// `max_connections_per_uid`: open API connections of one user id, 1..10000, default a
  /// quarter of max_connections (at least 1): past it that uid's new connection gets 503
  /// and is closed, other uids are still served. Default-constructed: 64 / 4.
  std::size_t max_connections_per_uid = 16;
  // Who may do what (daemon/api/access_policy.hpp), by the caller's uid and groups as the
  // kernel reports them on the socket. Numbers or names (resolved when the file is read).
  // Both lists of a kind empty = everyone who can open the socket.
  std::vector<std::uint32_t> send_uids;     ///< `send_uids`: users who may send (POST /v1/otp, /v1/messages...), default []
  std::vector<std::uint32_t> send_gids;     ///< `send_gids`: groups whose members may send, default []
  std::vector<std::uint32_t> control_uids;  ///< `control_uids`: users who may cancel, suspend, resume, reload, default []
  std::vector<std::uint32_t> control_gids;  ///< `control_gids`: groups whose members may do so, default []
  friend bool operator==(api_settings const&, api_settings const&) = default;
};

/// max_connections_per_uid when the file does not say: three quarters of max_connections,
/// >= 1. Most sites have one upstream service (one uid) whose connection pool grows in a
/// surge: a quarter (the first default) refused OTPs with 503 at the peak-day benchmark's
/// surge (44 connections); the quarter left is for other callers (smsgwctl, scrapes).
inline std::size_t default_connections_per_uid(std::size_t max_connections) noexcept {
  return max_connections * 3 / 4 > 0 ? max_connections * 3 / 4 : 1;
}

/// The longest OTP text (given as `text`, or rendered from `template` and `code`), in bytes.
inline constexpr std::size_t max_otp_text_bytes = 1000;

/// The longest `max_ttl_seconds` accepted: 7 days (carriers hold a message at most a few days).
inline constexpr std::chrono::seconds max_ttl_limit{7 * 24 * 3600};

/// When a message that did not get through is tried again (rules: daemon/dispatch/retry_policy.hpp).
struct retry_settings {
  int max_otp_attempts = 3;  ///< `max_otp_attempts`: submits per OTP, the first included, 1..10, default 3
  int max_transactional_attempts = 2;  ///< `max_transactional_attempts`: submits per transactional message (after certain failures only), 1..10, default 2
  std::chrono::milliseconds same_route_delay{2000};  ///< `same_route_delay_ms`: wait before a retry on the route just used (a switch to an alternate goes at once), 0..600000, default 2000
  friend bool operator==(retry_settings const&, retry_settings const&) = default;
};

/// Deadline-aware routing of OTPs (docs/dispatcher.md "Deadline-aware routing"), keys of
/// table `[routing]`.
struct deadline_settings {
  bool enabled = true;              ///< `deadline_routing`: an OTP its route cannot deliver in time goes to an alternate that can, default true
  std::chrono::seconds margin{10};  ///< `deadline_margin_seconds`: validity kept in reserve by the estimate, 0..3600, default 10
};

struct logging_settings {
  std::string level = "info";  ///< `level`: trace|debug|info|warn|error|off, default info
  std::string dlr_log = "/var/log/smsgw/dlr.log";  ///< `dlr_log`: receipt log path ("" = off)
  friend bool operator==(logging_settings const&, logging_settings const&) = default;
};

struct daemon_config {
  std::vector<route_config> carriers;  ///< `[[carrier]]` tables, at least one
  queue_settings queue;                ///< `[queue]`
  limits_settings limits;              ///< `[limits]`
  api_settings api;                    ///< `[api]`
  logging_settings logging;            ///< `[logging]`
  retry_settings retry;                ///< `[retry]`
  std::chrono::milliseconds stop_timeout{15000};  ///< `stop_timeout_ms` (top level): drain bound on SIGTERM
  /// Which carrier serves a number: the built-in prefix table, with the overrides of table
  /// `[routing]`: key `prefixes` (prefix = carrier: re-points or adds a prefix, e.g. Tri's
  /// "0895" = "indosat") and key `numbers` (number = carrier: ported numbers, matched exactly,
  /// before any prefix).
  carrier_table routing = carrier_table::indonesia_default();
  /// Deadline-aware routing: `[routing]` keys `deadline_routing`, `deadline_margin_seconds`.
  deadline_settings deadline;

  route_config const* find_carrier(std::string_view name) const noexcept;
};

/// "FILE:LINE: KEY: what" (line 0 when the problem is not at one place).
struct config_error {
  std::string file;
  std::size_t line = 0;
  std::string key;
  std::string what;
  std::string message() const;
};

using config_result = boost::system::result<daemon_config, config_error>;

/// Parses TOML text; `file` names it in errors. Validates everything (carrier names unique,
/// alternates known, credentials within SMPP lengths, socket mode not world-writable, every
/// number in its range...). Files it names are not opened here. No error text holds a password.
/// Required in each [[carrier]]: name, host, system_id, throughput. With [carrier.tls]
/// enabled = true, ca_file is required (a PEM file, or "system" for the default store).
config_result parse_config(std::string_view toml_text, std::string const& file);
/// Reads and parses a file ("FILE:0: cannot open: Permission denied" if it cannot).
config_result load_config_file(std::string const& path);

/// The compiled-in default: five simulators on 127.0.0.1, queue and socket under /tmp/smsgw.
std::string_view embedded_default_config() noexcept;

[[noreturn]] void throw_exception_from_error(config_error const& e,
                                             boost::source_location const& loc);

}  // namespace smsgw
