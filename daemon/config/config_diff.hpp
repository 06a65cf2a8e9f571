// daemon/config/config_diff.hpp: what a configuration reload changes, in words, and what it
// does to each carrier (keep its links, re-tune them, rebind them, start or retire it). Pure:
// two configurations in, a plan out; daemon/config_reload.* carries it out.
// Design decision: a carrier's links stay bound unless a setting they were made with changed
// (connection_changes); throughput is the bucket's, everything else the dispatcher reads at
// each decision. Settings only a restart can apply (restart_only_changes) keep their running
// value and are reported, never silently ignored.
#pragma once

#include <string>
#include <vector>

#include "daemon/config/config.hpp"

namespace smsgw {

/// The settings of `link` that its binds were made with and that differ in `next`
/// ("port 2775 -> 2776", "password", "binds 1 -> 2"...; never a password's value). Empty: the
/// carrier's links may stay bound.
std::vector<std::string> connection_changes(carrier_config const& link, carrier_config const& next);

/// The changed settings only a restart applies: "[queue] db_path: /a -> /b (needs a restart)".
std::vector<std::string> restart_only_changes(daemon_config const& running, daemon_config const& next);

/// `next` with the running values of the settings only a restart applies.
daemon_config with_restart_only_kept(daemon_config next, daemon_config const& running);

/// What a reload does, carrier by carrier, and every change in words.
struct config_plan {
  std::vector<std::string> added;     ///< carriers to start
  std::vector<std::string> removed;   ///< carriers in `running` and not in `next`
  std::vector<std::string> rebind;    ///< carriers whose links close and bind again
  std::vector<std::string> retune;    ///< carriers kept bound whose token bucket settings changed
  std::vector<std::string> changes;   ///< one line per change, e.g. "carrier xl: throughput 200 -> 50"
};

/// Compares two valid configurations (restart-only settings are not looked at: see
/// restart_only_changes).
config_plan plan_reload(daemon_config const& running, daemon_config const& next);

}  // namespace smsgw
