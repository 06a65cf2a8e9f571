// queue/sqlite.hpp: thin RAII handles over the sqlite3 C API (database, statement, transaction).
// Inside queue/ a failed SQLite call throws smsgw::sqlite::error carrying the primary and extended
// result codes and the connection's message; the queue's public API catches it once per operation
// and converts it to an error value (queue/error.hpp), so no exception crosses the module boundary.
// One connection is used by one thread at a time (the queue's writer thread); no locking here.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace smsgw::sqlite {

/// A failed SQLite call. `code()` is the primary result code (SQLITE_FULL, SQLITE_CORRUPT, ...),
/// `extended_code()` the extended one, `system_errno()` the OS errno behind an I/O error (or 0).
class error : public std::runtime_error {
 public:
  error(int extended_code, int system_errno, std::string const& what, std::string path = {});
  int code() const noexcept { return extended_code_ & 0xff; }
  int extended_code() const noexcept { return extended_code_; }
  int system_errno() const noexcept { return system_errno_; }
  std::string const& path() const noexcept { return path_; }  ///< database file, if known

 private:
  int extended_code_;
  int system_errno_;
  std::string path_;
};

/// How to open a database file.
struct open_options {
  bool read_only = false;          ///< SQLITE_OPEN_READONLY instead of READWRITE|CREATE.
  bool create = true;              ///< create the file if missing (ignored when read_only).
  int busy_timeout_ms = 5000;      ///< how long a writer waits for another connection's lock.
  bool synchronous_full = true;    ///< PRAGMA synchronous=FULL (fsync on every commit) vs NORMAL.
  bool wal = true;                 ///< PRAGMA journal_mode=WAL.
  int cache_size_kib = 16 * 1024;  ///< page cache bound (PRAGMA cache_size=-N): keeps RSS flat.
  /// PRAGMA locking_mode=EXCLUSIVE, set before the first access: the connection takes the
  /// file's locks once and keeps them, instead of SQLite's fcntl() locks around every
  /// transaction, and the WAL index lives in its heap (no -shm file). No other connection or
  /// process can read the file while it is open. For a single-writer process (the daemon).
  bool exclusive_lock = false;
};

/// One open connection. Move-only; closes on destruction.
class database {
 public:
  /// Opens `path` and applies `opts` (WAL, synchronous, busy_timeout, cache size, foreign_keys).
  /// Throws sqlite::error, e.g. SQLITE_NOTADB for a file of garbage, SQLITE_CANTOPEN.
  static database open(std::string const& path, open_options const& opts = {});

  database() = default;
  database(database&& other) noexcept;
  database& operator=(database&& other) noexcept;
  database(database const&) = delete;
  database& operator=(database const&) = delete;
  ~database();

  /// Runs one or more statements without results (DDL, PRAGMA, BEGIN/COMMIT).
  void exec(std::string_view sql);
  /// Runs a single-value query such as "PRAGMA user_version" and returns the integer.
  std::int64_t query_int(std::string_view sql);

  std::int64_t last_insert_rowid() const noexcept;
  int changes() const noexcept;          ///< rows changed by the last INSERT/UPDATE/DELETE
  bool in_transaction() const noexcept;  ///< false after COMMIT, ROLLBACK or an automatic rollback
  sqlite3* handle() const noexcept { return db_; }
  std::string const& path() const noexcept { return path_; }

  /// Throws sqlite::error for result code `rc` with the connection's message, prefixed by `what`.
  [[noreturn]] void fail(int rc, std::string_view what) const;
  /// Called with every error a statement on this connection throws: if SQLite rolled back the
  /// open sqlite::transaction because of it (SQLITE_FULL, IOERR, NOMEM), it is kept as the
  /// cause, which the transaction's later savepoints and its commit then report.
  void note_error(error const& e) const;

 private:
  friend class transaction;
  friend class statement;
  /// What rolled back the open transaction (see note_error); cleared when one begins.
  mutable std::optional<error> rolled_back_by_;
  sqlite3* db_ = nullptr;
  std::string path_;
  int transactions_open_ = 0;  ///< sqlite::transaction objects open on it (nesting depth)
};

/// A prepared statement. Bind indexes are 1-based (as in SQLite), column indexes 0-based.
class statement {
 public:
  statement() = default;
  statement(database& db, std::string_view sql);
  statement(statement&& other) noexcept;
  statement& operator=(statement&& other) noexcept;
  statement(statement const&) = delete;
  statement& operator=(statement const&) = delete;
  ~statement();

  statement& bind(int index, std::int64_t value);
  statement& bind(int index, std::string_view text);
  /// Binds `text` without copying it: it must stay valid until the statement is reset
  /// (run() resets; after step(), the caller's reset()). For the hot paths, where the text
  /// is the caller's request: SQLite copied every string bound (a malloc and a memcpy each).
  statement& bind_unowned(int index, std::string_view text);
  statement& bind_blob(int index, std::span<std::uint8_t const> bytes);
  statement& bind_null(int index);

  /// Advances: true when a row is available, false when done. Throws on error.
  bool step();
  /// Steps to completion expecting no rows (INSERT/UPDATE/DELETE), then resets.
  void run();
  /// Resets for re-execution and clears bindings.
  void reset() noexcept;

  bool is_null(int col) const noexcept;
  std::int64_t column_int64(int col) const noexcept;
  /// Valid until the next step/reset; copy it if kept.
  std::string_view column_text(int col) const noexcept;
  std::string column_string(int col) const { return std::string(column_text(col)); }
  std::span<std::uint8_t const> column_blob(int col) const noexcept;

 private:
  database* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

/// BEGIN IMMEDIATE on construction (take the write lock up front, so a busy database fails here
/// rather than half-way through); ROLLBACK on destruction unless commit() succeeded.
/// Inside another sqlite::transaction it is a SAVEPOINT of it: commit() releases it (its writes
/// are committed with the enclosing transaction's), destruction without commit() rolls back to
/// it, leaving the enclosing transaction's other work. If SQLite already rolled the enclosing
/// transaction back (SQLITE_FULL, IOERR), a nested one refuses to start instead of starting a
/// transaction of its own, and commit() fails, both with the error that caused the rollback
/// (its code: SQLITE_FULL stays "disk full", not "no transaction is active"; SQLITE_ABORT if
/// unknown).
class transaction {
 public:
  explicit transaction(database& db);
  transaction(transaction const&) = delete;
  transaction& operator=(transaction const&) = delete;
  ~transaction();
  /// COMMIT. With synchronous=FULL the data is on stable storage when this returns.
  void commit();

 private:
  database& db_;
  bool nested_ = false;
  bool done_ = false;
};

}  // namespace smsgw::sqlite
