// tools/smsgwctl/ctl_args.hpp: smsgwctl's command line, parsed into ctl_options (no I/O).
// A usage error is a value (`error` not empty): main prints it and exits 2.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace smsgwctl {

/// The socket used when neither --socket nor SMSGW_SOCKET is given: the packaged config's
/// `[api] socket_path` (conf/smsgw.toml).
inline constexpr char const* default_socket = "/run/smsgw/api.sock";

struct ctl_options {
  std::string socket = default_socket;
  bool json = false;
  std::string verb;                 ///< status, carriers, suspend, ...
  std::vector<std::string> args;    ///< the verb's positional arguments
  std::string operator_name;        ///< X-Operator (--operator, default $USER)
  // send
  std::optional<std::string> code, text, priority, purpose, sender, idempotency_key;
  std::optional<long> ttl_seconds;
  // events
  std::optional<long long> from;    ///< resume after this event id
  std::string states, carriers;     ///< comma-separated filters
  std::optional<long long> count;   ///< exit after this many events
  bool until_shutdown = false;
  bool help = false;
  std::string error;                ///< a usage error, when not empty
};

/// Parses argv; `env_socket` is $SMSGW_SOCKET (nullptr if unset), `env_user` is $USER.
ctl_options parse_args(int argc, char const* const* argv, char const* env_socket, char const* env_user);

/// The usage text printed by --help and after a usage error.
std::string usage_text();

}  // namespace smsgwctl
