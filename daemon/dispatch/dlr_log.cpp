// daemon/dispatch/dlr_log.cpp: formatting and appending DLR log lines (format: see dlr_log.hpp).
#include "daemon/dispatch/dlr_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

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
  // Never through a symlink (someone able to plant one could point the daemon's appends at
  // any file it may write); created 0600 whatever the umask (O_EXCL tells whether we created
  // it); an existing file keeps the mode it has (logrotate creates it 0600 too).
  int const flags = O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW;  // read: its last byte, below
  int fd = ::open(path_.c_str(), flags | O_CREAT | O_EXCL, 0600);
  bool const created = fd >= 0;
  if (fd < 0 && errno == EEXIST) fd = ::open(path_.c_str(), flags);
  if (fd < 0 && errno == ELOOP)
    return fmt::format("open {}: is a symbolic link; refusing to follow it", path_);
  if (fd < 0) return fmt::format("open {}: {}", path_, std::strerror(errno));
  if (created) (void)::fchmod(fd, 0600);
  // A file ending inside a line (cut short by a full disk before a restart, or a file we did
  // not write): the next line starts on a fresh one. The same file opened again (SIGHUP with
  // no rotation) keeps what this log knows: its last byte may belong to another writer's
  // line still being copied in (a reader can see a write in progress), which is no cut.
  struct stat st {};
  bool const have_stat = ::fstat(fd, &st) == 0;
  std::lock_guard lock(mutex_);
  struct stat old {};
  bool const same_file = fd_ >= 0 && have_stat && ::fstat(fd_, &old) == 0 &&
                         old.st_dev == st.st_dev && old.st_ino == st.st_ino;
  if (!same_file) {
    char last = '\n';
    cut_line_ = have_stat && st.st_size > 0 && ::pread(fd, &last, 1, st.st_size - 1) == 1 &&
                last != '\n';
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  return {};
}

bool dlr_log::write(dlr_entry const& e) {
  std::string line;
  std::lock_guard lock(mutex_);
  if (fd_ < 0) return false;
  if (cut_line_) line += '\n';  // end the line a full disk cut short: never glue onto it
  line += format_dlr_line(e);
  line += '\n';
  // One write(2) per line: O_APPEND makes it land whole at the end (lines are < 2 KiB). A short
  // write (disk full) is not retried: a retry could only append the tail as a fragment.
  ssize_t n;
  do {
    n = ::write(fd_, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(line.size())) {
    cut_line_ = false;
    ++stats_.written;
    if (failing_) {
      failing_ = false;
      spdlog::info("dlr log {}: writing again; {} line(s) lost in all (the queue has their outcomes)",
                   path_, stats_.lost);
    }
    return true;
  }
  int const err = n < 0 ? errno : 0;
  if (n > 0) {
    // Only the beginning landed: the file now ends inside a line, unless all that landed was
    // the newline that ended an earlier cut line.
    bool const only_newline = cut_line_ && n == 1;
    cut_line_ = !only_newline;
    if (!only_newline) ++stats_.cut;
  }
  lost_line(err, n > 0 ? static_cast<std::size_t>(n) : 0, line.size());
  return false;
}

void dlr_log::lost_line(int err, std::size_t written, std::size_t size) {
  ++stats_.lost;
  ++lost_unreported_;
  failing_ = true;
  auto const now = std::chrono::steady_clock::now();
  constexpr auto warn_interval = std::chrono::minutes(1);
  if (last_warning_ != std::chrono::steady_clock::time_point{} && now - last_warning_ < warn_interval)
    return;
  last_warning_ = now;
  auto why = err ? std::string(std::strerror(err))
                 : fmt::format("short write, {} of {} bytes (disk full?)", written, size);
  spdlog::warn("dlr log {}: {} line(s) not written since the last warning ({}); {} lost in all; "
               "the queue keeps every outcome (next warning in a minute at the earliest)",
               path_, lost_unreported_, why, stats_.lost);
  lost_unreported_ = 0;
}

dlr_log_stats dlr_log::stats() {
  std::lock_guard lock(mutex_);
  return stats_;
}

}  // namespace smsgw
