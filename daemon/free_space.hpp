// daemon/free_space.hpp: the free space where the queue file lives, for GET /healthz: a full
// disk fails every claim and commit, so /healthz says "degraded" before it is full.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace smsgw {

/// MiB available to an unprivileged writer (statvfs f_bavail) on the file system holding
/// `path` (its directory when the file does not exist yet); nullopt if statvfs fails.
std::optional<std::uint64_t> free_mib(std::string const& path);

/// A reason when less than `min_free_mb` MiB are free where `db_path` lives (0 = never), or
/// when that cannot be read; nullopt otherwise.
std::optional<std::string> low_disk_reason(std::string const& db_path, std::uint64_t min_free_mb);

}  // namespace smsgw
