// daemon/dlr_log.cpp: formatting and appending DLR log lines (see dlr_log.hpp).
#include "daemon/dlr_log.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace smsgw {

std::string mask_msisdn(std::string_view m) {
  if (m.size() <= 9) return std::string(m.size(), '*');
  std::string out(m);
  for (std::size_t i = 5; i + 4 < out.size(); ++i) out[i] = '*';
  return out;
}

namespace {
// Values in the line are single tokens: spaces and control characters become '_'.
std::string token(std::string_view s) {
  std::string out(s.empty() ? "-" : s);
  for (auto& c : out)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) c = '_';
  return out;
}
}  // namespace

std::string format_dlr_line(dlr_entry const& e) {
  auto ms = std::chrono::time_point_cast<std::chrono::milliseconds>(e.at);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z id={} carrier={} to={} state={} err={} detail={}",
                     ms, e.id, token(e.carrier), mask_msisdn(e.recipient), token(e.state),
                     token(e.err), token(e.detail));
}

dlr_log::dlr_log(std::string path) : path_(std::move(path)) {}

dlr_log::~dlr_log() {
  if (file_) std::fclose(file_);
}

std::string dlr_log::reopen() {
  if (path_.empty()) return {};
  std::FILE* f = std::fopen(path_.c_str(), "a");
  if (!f) return fmt::format("open {}: {}", path_, std::strerror(errno));
  if (file_) std::fclose(file_);
  file_ = f;
  return {};
}

void dlr_log::write(dlr_entry const& e) {
  if (!file_) return;
  auto line = format_dlr_line(e);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

}  // namespace smsgw
