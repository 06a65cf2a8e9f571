// daemon/dispatch/dlr_log.cpp: formatting and appending DLR log lines (format: see dlr_log.hpp).
#include "daemon/dispatch/dlr_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace smsgw {

std::string mask_msisdn(std::string_view m) {
  if (m.empty()) return "-";
  if (m.size() <= 9) return std::string(m.size(), '*');
  std::string out(m);
  for (std::size_t i = 5; i + 4 < out.size(); ++i) out[i] = '*';
  return out;
}

namespace {
constexpr std::size_t max_token = 200;

// Values in the line are single tokens: spaces and control characters become '_'.
std::string token(std::string_view s) {
  std::string out(s.empty() ? "-" : s.substr(0, max_token));
  for (auto& c : out)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) c = '_';
  return out;
}
}  // namespace

std::string format_dlr_line(dlr_entry const& e) {
  // Seconds and milliseconds apart: fmt's %S on a sub-second time_point prints a fraction only
  // when it is not zero, and the format must not vary.
  auto ms = std::chrono::time_point_cast<std::chrono::milliseconds>(e.at);
  auto secs = std::chrono::floor<std::chrono::seconds>(ms);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z id={} carrier={} to={} state={} err={} detail={}",
                     secs, (ms - secs).count(), e.id, token(e.carrier), token(mask_msisdn(e.recipient)), token(e.state),
                     token(e.err), token(e.detail));
}

dlr_log::dlr_log(std::string path) : path_(std::move(path)) {}

dlr_log::~dlr_log() {
  if (fd_ >= 0) ::close(fd_);
}

std::string dlr_log::reopen() {
  if (path_.empty()) return {};
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return fmt::format("open {}: {}", path_, std::strerror(errno));
  std::lock_guard lock(mutex_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  return {};
}

bool dlr_log::write(dlr_entry const& e) {
  auto line = format_dlr_line(e);
  line += '\n';
  std::lock_guard lock(mutex_);
  if (fd_ < 0) return false;
  // One write(2) per line: O_APPEND makes it land whole at the end (lines are < 2 KiB). A short
  // write (disk full) is not retried: a retry could only append the tail as a fragment.
  ssize_t n;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(line.size());
}

}  // namespace smsgw
