// daemon/dlr_log.hpp: the append-only delivery-receipt log operators `tail -F`: one line per
// receipt or final state, "TIME id=N carrier=C to=62812****7890 state=S err=E detail=..."
// (never the message text). Design decision: opened O_APPEND and flushed per line (no fsync:
// the queue is the durable record; this is a view of it); reopen() on SIGHUP for logrotate.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

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

class dlr_log {
 public:
  dlr_log() = default;  ///< disabled: write() does nothing
  explicit dlr_log(std::string path);
  ~dlr_log();
  dlr_log(dlr_log const&) = delete;
  dlr_log& operator=(dlr_log const&) = delete;

  /// Opens (or reopens after rotation) the file; returns the error text, or "" on success.
  std::string reopen();
  void write(dlr_entry const& e);
  std::string const& path() const noexcept { return path_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace smsgw
