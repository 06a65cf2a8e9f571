// daemon/dispatch/dlr_log.cpp: formatting and appending DLR log lines (format: see dlr_log.hpp).
#include "daemon/dispatch/dlr_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/post.hpp>
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
  *alive_ = false;
  std::lock_guard lock(mutex_);
  flush_locked();
  if (fd_ >= 0) ::close(fd_);
}

void dlr_log::coalesce_on(boost::asio::any_io_executor ex) {
  std::lock_guard lock(mutex_);
  coalesce_ = std::move(ex);
}

void dlr_log::flush() {
  std::lock_guard lock(mutex_);
  flush_locked();
}

void dlr_log::flush_locked() {
  flush_posted_ = false;
  if (pending_ends_.empty()) return;
  if (fd_ < 0) lost_lines(pending_ends_.size(), EBADF, 0, pending_.size());
  else append_lines(pending_, pending_ends_);
  pending_.clear();
  pending_ends_.clear();
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
  flush_locked();  // this turn's lines go to the file they were written for
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
  auto line = format_dlr_line(e);
  line += '\n';
  std::lock_guard lock(mutex_);
  if (fd_ < 0) return false;
  if (coalesce_) {
    pending_ += line;
    pending_ends_.push_back(pending_.size());
    if (!flush_posted_) {
      flush_posted_ = true;
      boost::asio::post(*coalesce_, [this, alive = alive_] {
        if (*alive) flush();
      });
    }
    return true;
  }
  std::size_t const end = line.size();
  return append_lines(line, std::span(&end, 1));
}

bool dlr_log::append_lines(std::string const& buf, std::span<std::size_t const> ends) {
  // End the line a full disk cut short: never glue onto it.
  std::size_t const prefix = cut_line_ ? 1 : 0;
  std::string joined;
  if (prefix) {
    joined.reserve(buf.size() + 1);
    joined += '\n';
    joined += buf;
  }
  std::string const& out = prefix ? joined : buf;
  // One write(2): O_APPEND makes it land whole at the end, never inside another writer's line.
  // A short write (disk full) is not retried: a retry could only append the tail as a fragment.
  ssize_t n;
  do {
    n = ::write(fd_, out.data(), out.size());
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(out.size())) {
    cut_line_ = false;
    stats_.written += ends.size();
    if (failing_) {
      failing_ = false;
      spdlog::info("dlr log {}: writing again; {} line(s) lost in all (the queue has their outcomes)",
                   path_, stats_.lost);
    }
    return true;
  }
  int const err = n < 0 ? errno : 0;
  std::size_t const landed = n > 0 ? static_cast<std::size_t>(n) : 0;
  // Lines that landed whole count as written; the one the write stopped inside is cut.
  std::size_t whole = 0;
  while (whole < ends.size() && prefix + ends[whole] <= landed) ++whole;
  stats_.written += whole;
  if (landed > 0) {
    std::size_t const line_start = prefix + (whole == 0 ? 0 : ends[whole - 1]);
    if (landed > line_start) {
      cut_line_ = true;  // the file now ends inside a line
      ++stats_.cut;
    } else {
      cut_line_ = false;  // it ends after a newline (an earlier cut line's, or a whole line's)
    }
  }
  lost_lines(ends.size() - whole, err, landed, out.size());
  return false;
}

void dlr_log::lost_lines(std::uint64_t lines, int err, std::size_t written, std::size_t size) {
  stats_.lost += lines;
  lost_unreported_ += lines;
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
