// daemon/dispatch/dlr_log.hpp: the append-only delivery-receipt log operators `tail -F`: one line per
// final state (or unmatched receipt), never the message text nor a full number. Line format,
// fields separated by one space, each value a single token (spaces/control characters -> '_',
// empty -> '-', at most 200 bytes each):
//   2026-01-01T00:00:05.123Z id=42 carrier=telkomsel to=62812****7890 state=delivered err=000 detail=stat:DELIVRD_err:000
//   TIME (UTC, ms) id=QUEUE_ID (0 = receipt matched no message) carrier=NAME to=MASKED (first 5
//   and last 4 digits; all '*' if 9 digits or fewer) state=STATE err=CARRIER_ERR detail=REASON
// Design decision: O_APPEND file descriptor, each line handed to ONE write(2), so lines are never
// interleaved, even with other writers of the same file; no fsync (the queue is the durable
// record; this is a view of it). reopen() on SIGHUP for logrotate (rename, then HUP).
// A full disk (or a file size limit) can fail a write or cut it short: such a line is lost
// (never retried: the queue has the outcome), counted, and warned about in the daemon's log at
// most once a minute; a cut line is never glued to the next: the next line written starts with
// a newline (also after a restart or reopen onto a file whose last byte is not a newline).
// coalesce_on(ex) (the daemon's network thread): the lines of one event-loop turn (a batch of
// receipts answered together) wait in memory and go out in one write(2) at the end of it, still
// whole lines, never interleaved: under a flood one write per line was a system call per message.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "queue/message.hpp"

namespace smsgw {

/// "62812****7890": the first 5 and last 4 digits of a number, the middle masked.
std::string mask_msisdn(std::string_view msisdn);

struct dlr_entry {
  queue::time_point at{};
  std::int64_t id = 0;
  std::string_view carrier;
  std::string_view recipient;  ///< full number; the log masks it
  std::string_view state;      ///< "delivered", "undeliverable", "expired", ...
  std::string_view err;        ///< carrier's err: code, "" if none
  std::string_view detail;     ///< short reason, no message text
};

/// The log line of an entry (no trailing newline). Pure; tests use it.
std::string format_dlr_line(dlr_entry const& e);

struct dlr_log_stats {
  std::uint64_t written = 0;  ///< lines written whole
  std::uint64_t lost = 0;     ///< lines not written, or written only in part (disk full...)
  std::uint64_t cut = 0;      ///< of the lost lines, those whose beginning was written
};

/// Thread-safe (a mutex around the descriptor: reopen() may race a write from another thread).
class dlr_log {
 public:
  dlr_log() = default;  ///< disabled: write() does nothing
  explicit dlr_log(std::string path);
  ~dlr_log();
  dlr_log(dlr_log const&) = delete;
  dlr_log& operator=(dlr_log const&) = delete;

  /// Opens (or reopens after rotation) the file; returns the error text, or "" on success.
  /// On failure the previous file stays in use.
  std::string reopen();
  /// Appends one line; returns false if it could not be written whole (disabled, disk
  /// full...): then counted in stats().lost and warned about (rate-limited). Coalescing: true
  /// once the line waits for the turn's write (its fate is counted in stats() then).
  bool write(dlr_entry const& e);
  /// From now on a line waits until the end of the current turn of `ex` (a post), where all
  /// the turn's lines are written together (one write(2)). Call on `ex`'s thread, before
  /// anything is written; the log must outlive `ex`'s run (pending lines are written by the
  /// destructor, reopen() and flush() too).
  void coalesce_on(boost::asio::any_io_executor ex);
  /// Writes the lines waiting for their turn's write now.
  void flush();
  std::string const& path() const noexcept { return path_; }
  dlr_log_stats stats();

 private:
  /// One write(2) of `buf` (whole lines; `ends`: the end offset of each). Under mutex_.
  bool append_lines(std::string const& buf, std::span<std::size_t const> ends);
  void flush_locked();
  void lost_lines(std::uint64_t lines, int err, std::size_t written, std::size_t size);

  std::string path_;
  std::mutex mutex_;
  int fd_ = -1;
  bool cut_line_ = false;  ///< the file ends inside a line: the next write starts with '\n'
  dlr_log_stats stats_;
  std::uint64_t lost_unreported_ = 0;  ///< lost since the last warning
  bool failing_ = false;               ///< the last write failed: say when writing works again
  std::chrono::steady_clock::time_point last_warning_{};
  std::optional<boost::asio::any_io_executor> coalesce_;
  std::string pending_;                   ///< lines of this turn, not yet written
  std::vector<std::size_t> pending_ends_;  ///< end offset of each line in pending_
  bool flush_posted_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  ///< for the posted flush
};

}  // namespace smsgw
