// tools/smsgwctl/options.hpp: smsgwctl's command line: global options (--socket, --config,
// --json, --operator) and one verb with its arguments. Parsing is pure: a usage error is a
// value carrying the message (exit code 2).
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace smsgw::ctl {

/// Exit codes (man/smsgwctl.1, docs/daemon.md).
enum exit_code : int {
  exit_ok = 0,
  exit_refused = 1,       ///< the server answered 4xx (not allowed, not found, conflict, invalid)
  exit_usage = 2,         ///< bad command line
  exit_unreachable = 3,   ///< the socket is missing, refuses, or is not ours to open
  exit_server_error = 4,  ///< the server answered 5xx, or no answer / not a valid one
};

struct options {
  std::string socket_path;  ///< --socket, else [api] socket_path of --config, else the default
  std::optional<std::string> config_path;
  bool json = false;
  std::string operator_name;  ///< X-Operator (control verbs): --operator, else the login name
  std::string verb;
  std::vector<std::string> args;  ///< the verb's positional arguments
  // send
  std::string to, otp_code, purpose, text, priority, idempotency_key, sender;
  std::optional<long> ttl_seconds;
  // events
  std::string states, carriers;
  std::optional<long long> after;
  std::optional<long long> count;  ///< events: stop after this many
};

struct usage_error {
  std::string message;
};

std::variant<options, usage_error> parse_options(std::vector<std::string> const& argv);

/// The --help text.
std::string usage_text();

}  // namespace smsgw::ctl
