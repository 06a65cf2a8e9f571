// queue/error.cpp: SQLite result codes -> queue::errc. A write past RLIMIT_FSIZE surfaces from
// SQLite as SQLITE_FULL (short write) or SQLITE_IOERR_WRITE with errno EFBIG (no byte written);
// SQLite does not keep the errno of a failed write (sqlite3_system_errno() reads errno later),
// so after a write/fsync I/O error we look ourselves: a file at its RLIMIT_FSIZE or a
// filesystem with almost no free space means disk_full.
#include "queue/error.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <stdexcept>

namespace smsgw::queue {

std::string_view to_string(errc e) noexcept {
  switch (e) {
    case errc::invalid_argument: return "invalid argument";
    case errc::not_found: return "not found";
    case errc::invalid_state: return "invalid state";
    case errc::corrupt: return "database corrupt";
    case errc::read_only: return "database read-only";
    case errc::disk_full: return "disk full";
    case errc::busy: return "database busy";
    case errc::io_error: return "I/O error";
    case errc::schema_too_new: return "schema too new";
    case errc::stopped: return "queue stopped";
    case errc::internal: return "internal error";
  }
  return "unknown";
}

namespace {

// True if writing to `db_path` (or its -wal) failed for lack of room.
bool out_of_space(std::string const& db_path) {
  if (db_path.empty()) return false;
  constexpr std::uint64_t slack = 1024 * 1024;  // a transaction's worth of pages
  rlimit lim{};
  if (::getrlimit(RLIMIT_FSIZE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    for (auto const& f : {db_path, db_path + "-wal", db_path + "-journal"}) {
      struct stat st {};
      if (::stat(f.c_str(), &st) == 0 &&
          static_cast<std::uint64_t>(st.st_size) + slack >= lim.rlim_cur) {
        return true;
      }
    }
  }
  auto dir = std::filesystem::path(db_path).parent_path();
  struct statvfs vfs {};
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &vfs) == 0) {
    return static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize < slack;
  }
  return false;
}

}  // namespace

error from_sqlite(sqlite::error const& e, std::string_view op) {
  errc code = errc::internal;
  int sys = e.system_errno();
  switch (e.code()) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: code = errc::corrupt; break;
    case SQLITE_READONLY:
    case SQLITE_PERM: code = errc::read_only; break;
    case SQLITE_FULL: code = errc::disk_full; break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: code = errc::busy; break;
    case SQLITE_CANTOPEN: code = sys == EACCES || sys == EROFS ? errc::read_only : errc::io_error; break;
    case SQLITE_IOERR:
      code = (sys == EFBIG || sys == ENOSPC || sys == EDQUOT) ? errc::disk_full
             : sys == EROFS                                  ? errc::read_only
             : out_of_space(e.path())                        ? errc::disk_full
                                                             : errc::io_error;
      break;
    default: break;
  }
  return {code, fmt::format("{}: {}: {}", op, to_string(code), e.what())};
}

std::ostream& operator<<(std::ostream& os, error const& e) { return os << e.message; }

void throw_exception_from_error(error const& e, boost::source_location const&) {
  throw std::runtime_error(e.message);
}

}  // namespace smsgw::queue
