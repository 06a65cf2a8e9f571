// queue/error.cpp: SQLite result codes -> queue::errc. A write past RLIMIT_FSIZE surfaces from
// SQLite as SQLITE_FULL (short write) or SQLITE_IOERR_WRITE with errno EFBIG (no byte written);
// both are reported as disk_full, as is ENOSPC behind any I/O error.
#include "queue/error.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include <cerrno>
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
