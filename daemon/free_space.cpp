// daemon/free_space.cpp: see free_space.hpp.
#include "daemon/free_space.hpp"

#include <sys/statvfs.h>

#include <filesystem>

#include <fmt/format.h>

namespace smsgw {

std::optional<std::uint64_t> free_mib(std::string const& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) {
    auto dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    if (::statvfs(dir.c_str(), &st) != 0) return std::nullopt;
  }
  return static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize / (1024 * 1024);
}

std::optional<std::string> low_disk_reason(std::string const& db_path, std::uint64_t min_free_mb) {
  if (min_free_mb == 0) return std::nullopt;
  auto const mib = free_mib(db_path);
  if (!mib) return fmt::format("cannot read the free space where the queue lives ({})", db_path);
  if (*mib >= min_free_mb) return std::nullopt;
  return fmt::format("{} MiB free where the queue lives ({}), below min_free_mb = {}", *mib,
                     db_path, min_free_mb);
}

}  // namespace smsgw
