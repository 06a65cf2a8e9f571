// daemon/config/embedded_config.hpp: the compiled-in default configuration (used when smsgw runs
// without --config): five carrier simulators on 127.0.0.1:2775..2779 (tools/smsc-sim with
// account smsgw/secret), state under /tmp/smsgw. For demos and development, never production.
#pragma once

namespace smsgw::detail {

inline constexpr char embedded_config_text[] = R"toml(
# Embedded default: five local simulators (tools/demo.sh starts them). Every carrier gets the
# default peak-hour windows (bulk paused Mon-Fri 09-11 and 13-15 WIB) and the built-in prefixes.
[[carrier]]
name = "telkomsel"
host = "127.0.0.1"
port = 2775
system_id = "smsgw"
password = "secret"
throughput = 50
alternates = ["indosat"]

[[carrier]]
name = "indosat"
host = "127.0.0.1"
port = 2776
system_id = "smsgw"
password = "secret"
throughput = 50
alternates = ["xl"]

[[carrier]]
name = "xl"
host = "127.0.0.1"
port = 2777
system_id = "smsgw"
password = "secret"
throughput = 50
alternates = ["telkomsel"]

[[carrier]]
name = "tri"
host = "127.0.0.1"
port = 2778
system_id = "smsgw"
password = "secret"
throughput = 50
alternates = ["telkomsel"]

[[carrier]]
name = "smartfren"
host = "127.0.0.1"
port = 2779
system_id = "smsgw"
password = "secret"
throughput = 50
alternates = ["telkomsel"]

[queue]
db_path = "/tmp/smsgw/queue.db"

[api]
socket_path = "/tmp/smsgw/api.sock"

[logging]
dlr_log = "/tmp/smsgw/dlr.log"
)toml";

}  // namespace smsgw::detail
