// tools/smsc-sim/submit_times.hpp: the --submit-times file: one line per submit_sm received,
// "DESTINATION_ADDR REALTIME_MICROSECONDS" (CLOCK_REALTIME, µs since the epoch), so a
// benchmark can join it with its own record of when each message was accepted and measure
// the time from the daemon's 202 to the submit_sm at the carrier. Lines are buffered in
// memory and written by flush() (the simulator calls it on a short timer and when it stops)
// so that a flood does not cost a write() per message. No I/O but the file; not thread-safe:
// it lives on the simulator's executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace smsgw::sim {

class submit_times_file {
 public:
  /// Opens `path` for appending; throws std::system_error naming the path if it cannot.
  explicit submit_times_file(std::string const& path);
  ~submit_times_file();  ///< flushes what is buffered
  submit_times_file(submit_times_file const&) = delete;
  submit_times_file& operator=(submit_times_file const&) = delete;

  /// Buffers one line for a submit_sm to `destination` received at `when`.
  void record(std::string_view destination, std::chrono::system_clock::time_point when);
  /// Writes the buffered lines to the file (and to the kernel: fflush). Logs a failure once.
  void flush();

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  std::string buffer_;
  bool failed_ = false;
};

}  // namespace smsgw::sim
