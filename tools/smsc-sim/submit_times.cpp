// tools/smsc-sim/submit_times.cpp: the --submit-times file (see submit_times.hpp).
#include "tools/smsc-sim/submit_times.hpp"

#include <cerrno>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace smsgw::sim {

submit_times_file::submit_times_file(std::string const& path)
    : path_(path), file_(std::fopen(path.c_str(), "a")) {
  if (file_ == nullptr)
    throw std::system_error(errno, std::generic_category(), "--submit-times " + path);
}

submit_times_file::~submit_times_file() {
  flush();
  std::fclose(file_);
}

void submit_times_file::record(std::string_view destination,
                               std::chrono::system_clock::time_point when) {
  auto const us =
      std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count();
  fmt::format_to(std::back_inserter(buffer_), "{} {}\n", destination, us);
}

void submit_times_file::flush() {
  if (buffer_.empty()) return;
  bool const ok = std::fwrite(buffer_.data(), 1, buffer_.size(), file_) == buffer_.size() &&
                  std::fflush(file_) == 0;
  buffer_.clear();
  if (!ok && !failed_) spdlog::error("--submit-times {}: write failed: lines are lost", path_);
  failed_ = failed_ || !ok;
}

}  // namespace smsgw::sim
