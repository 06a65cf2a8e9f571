// daemon/logging.cpp: log set-up (see logging.hpp). The journal formatter prefixes every line
// of a message, so a multi-line message keeps its priority in the journal (journald reads
// stderr line by line and applies a "<N>" prefix to that line only).
#include "daemon/logging.hpp"

#include <sys/stat.h>

#include <charconv>
#include <cstdlib>
#include <utility>

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace smsgw {

namespace {

class journal_formatter final : public spdlog::formatter {
 public:
  void format(spdlog::details::log_msg const& msg, spdlog::memory_buf_t& dest) override {
    char const prefix[3] = {'<', static_cast<char>('0' + syslog_priority(msg.level)), '>'};
    std::string_view text(msg.payload.data(), msg.payload.size());
    for (;;) {
      auto nl = text.find('\n');
      dest.append(prefix, prefix + 3);
      auto line = text.substr(0, nl);
      dest.append(line.data(), line.data() + line.size());
      dest.push_back('\n');
      if (nl == std::string_view::npos) break;
      text.remove_prefix(nl + 1);
    }
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<journal_formatter>();
  }
};

bool parse_decimal(std::string_view s, unsigned long long& out) noexcept {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size() && !s.empty();
}

}  // namespace

int syslog_priority(spdlog::level::level_enum level) noexcept {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 7;     // LOG_DEBUG
    case spdlog::level::info: return 6;      // LOG_INFO
    case spdlog::level::warn: return 4;      // LOG_WARNING
    case spdlog::level::err: return 3;       // LOG_ERR
    case spdlog::level::critical: return 2;  // LOG_CRIT
    default: return 6;
  }
}

std::optional<spdlog::level::level_enum> parse_log_level(std::string_view name) noexcept {
  using L = spdlog::level::level_enum;
  static constexpr std::pair<std::string_view, L> names[] = {
      {"trace", L::trace}, {"debug", L::debug}, {"info", L::info},         {"warn", L::warn},
      {"error", L::err},   {"critical", L::critical}, {"off", L::off}};
  for (auto const& [n, l] : names)
    if (n == name) return l;
  return std::nullopt;
}

bool is_journal_stream(char const* journal_stream, int fd) noexcept {
  if (!journal_stream) return false;
  std::string_view v(journal_stream);
  auto colon = v.find(':');
  unsigned long long dev = 0, ino = 0;
  if (colon == std::string_view::npos || !parse_decimal(v.substr(0, colon), dev) ||
      !parse_decimal(v.substr(colon + 1), ino))
    return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == dev &&
         static_cast<unsigned long long>(st.st_ino) == ino;
}

log_setup choose_log_setup(std::string_view config_level, char const* journal_stream,
                           char const* level_env, int fd) {
  log_setup s;
  s.style = is_journal_stream(journal_stream, fd) ? log_style::journal : log_style::timestamped;
  s.level = parse_log_level(config_level).value_or(spdlog::level::info);
  if (level_env && *level_env) {
    if (auto l = parse_log_level(level_env)) s.level = *l;
    else
      s.warning = "SMSGW_LOG_LEVEL=\"" + std::string(level_env).substr(0, 32) +
                  "\" is not trace|debug|info|warn|error|critical|off; using \"" +
                  std::string(config_level) + "\" from the config";
  }
  return s;
}

std::unique_ptr<spdlog::formatter> make_log_formatter(log_style style) {
  if (style == log_style::journal) return std::make_unique<journal_formatter>();
  return std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %l %v",
                                                     spdlog::pattern_time_type::utc);
}

void install_logging(log_setup const& setup, std::shared_ptr<spdlog::sinks::sink> sink) {
  sink->set_formatter(make_log_formatter(setup.style));
  auto logger = std::make_shared<spdlog::logger>("smsgw", std::move(sink));
  logger->set_level(setup.level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

void setup_logging(std::string_view config_level) {
  auto s = choose_log_setup(config_level, std::getenv("JOURNAL_STREAM"),
                            std::getenv("SMSGW_LOG_LEVEL"), 2);
  install_logging(s, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (!s.warning.empty()) spdlog::warn("{}", s.warning);
}

void apply_log_level(std::string_view config_level) {
  spdlog::set_level(choose_log_setup(config_level, nullptr, std::getenv("SMSGW_LOG_LEVEL"), 2).level);
}

}  // namespace smsgw
