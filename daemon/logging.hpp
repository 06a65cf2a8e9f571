// daemon/logging.hpp: where the daemon's log lines go and how they look. Under systemd (the
// journal is stderr: $JOURNAL_STREAM names stderr's device:inode) each line is
// "<N>message", N the syslog priority, with no timestamp (journald adds its own); otherwise
// "2026-11-26T03:59:01.123Z info message" (UTC). Both go to stderr through spdlog's default
// logger. The level comes from config (`[logging] level`) unless $SMSGW_LOG_LEVEL overrides it.
// Redaction is the callers' job (daemon/redact/redact.hpp): this layer never sees what is secret.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <spdlog/common.h>
#include <spdlog/formatter.h>
#include <spdlog/sinks/sink.h>

namespace smsgw {

enum class log_style {
  journal,      ///< "<N>text" per line, no timestamp (stderr is connected to journald)
  timestamped,  ///< "ISO-8601-UTC level text" (a terminal, a file, a pipe)
};

struct log_setup {
  log_style style = log_style::timestamped;
  spdlog::level::level_enum level = spdlog::level::info;
  /// Why the requested level was not used (bad $SMSGW_LOG_LEVEL), to log once set up.
  std::string warning;
};

/// The syslog priority (0 emerg .. 7 debug) of a spdlog level.
int syslog_priority(spdlog::level::level_enum level) noexcept;

/// A level name as in config ("trace", "debug", "info", "warn", "error", "critical", "off");
/// nullopt for anything else (spdlog's own from_str maps unknown names to "off").
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) noexcept;

/// True if `journal_stream` ($JOURNAL_STREAM, "DEV:INODE" in decimal) names the file `fd` is
/// open on: only then is `fd` journald's stream (a daemon started by systemd whose stderr was
/// redirected, or a child that inherited the variable, gets timestamps).
bool is_journal_stream(char const* journal_stream, int fd) noexcept;

/// Decides the style and level from the environment values passed in (null = unset):
/// journal if `journal_stream` names `fd`; level `level_env` if valid, else `config_level`.
log_setup choose_log_setup(std::string_view config_level, char const* journal_stream,
                           char const* level_env, int fd);

/// The formatter of a style (for tests and for the sink below).
std::unique_ptr<spdlog::formatter> make_log_formatter(log_style style);

/// Makes spdlog's default logger write to `sink` in `setup`'s style and level.
void install_logging(log_setup const& setup, std::shared_ptr<spdlog::sinks::sink> sink);

/// The daemon's one call: choose_log_setup() from the real environment for stderr, then
/// install_logging() on a stderr sink; logs setup.warning if there is one.
void setup_logging(std::string_view config_level);

/// A reloaded `[logging] level`, in force at once unless $SMSGW_LOG_LEVEL overrides it (as at
/// start).
void apply_log_level(std::string_view config_level);

}  // namespace smsgw
