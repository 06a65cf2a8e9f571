// tools/smsgwctl/ctl_exit.hpp: smsgwctl's exit codes (documented in man/smsgwctl.1).
#pragma once

namespace smsgwctl {

inline constexpr int exit_ok = 0;
inline constexpr int exit_refused = 1;         ///< the server answered 4xx
inline constexpr int exit_usage = 2;           ///< bad command line
inline constexpr int exit_cannot_connect = 3;  ///< socket missing, refused, permission denied
inline constexpr int exit_server_error = 4;    ///< 5xx, or an answer that is not what the API promises

}  // namespace smsgwctl
