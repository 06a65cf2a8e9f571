// queue/error.hpp: how the queue reports failure at its boundary: a small error value (an errc
// saying what kind of failure, plus a message naming the operation, the file and SQLite's text)
// inside boost::system::result. SQLite exceptions never leave queue/: each public operation
// catches sqlite::error once and maps it here (full disk, read-only, corrupt, busy, I/O).
#pragma once

#include "queue/sqlite.hpp"

#include <boost/system/result.hpp>

#include <iosfwd>
#include <string>
#include <string_view>

namespace smsgw::queue {

enum class errc {
  invalid_argument = 1,  ///< the request itself is wrong (bad MSISDN shape, empty text, ...)
  not_found,             ///< no message with that id
  invalid_state,         ///< the transition is not allowed from the message's current state
  corrupt,               ///< the file is not a database or is damaged (SQLITE_CORRUPT/NOTADB)
  read_only,             ///< the database cannot be written (permissions, read-only media)
  disk_full,             ///< SQLITE_FULL or a file-size limit: nothing of the failed call was kept
  busy,                  ///< another process holds the write lock past busy_timeout
  io_error,              ///< any other I/O failure reported by SQLite
  schema_too_new,        ///< the file was written by a newer smsgw
  stopped,               ///< the group-commit writer has been stopped
  internal,              ///< anything else (a bug: logged with its text)
};

std::string_view to_string(errc e) noexcept;

struct error {
  errc code = errc::internal;
  std::string message;  ///< "enqueue /var/lib/smsgw/queue.db: database or disk is full (sqlite 13)"
};

template <class T>
using result = boost::system::result<T, error>;

/// "disk full: enqueue ...": for logs and test output.
std::ostream& operator<<(std::ostream& os, error const& e);

/// Maps a SQLite failure to an error value; `op` names the queue operation.
error from_sqlite(sqlite::error const& e, std::string_view op);

/// Lets result<T, error>::value() throw (std::runtime_error with the message).
[[noreturn]] void throw_exception_from_error(error const& e, boost::source_location const& loc);

}  // namespace smsgw::queue
