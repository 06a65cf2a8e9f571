// queue/sqlite.cpp: the RAII handles of sqlite.hpp. Every non-OK result code becomes a thrown
// sqlite::error with the extended code, errno and message; nothing is swallowed. Destructors
// never throw: a failed ROLLBACK in ~transaction is left to SQLite (it rolls back on close).
#include "queue/sqlite.hpp"
#include "queue/wal_write_vfs.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <mutex>
#include <utility>

namespace smsgw::sqlite {

error::error(int extended_code, int system_errno, std::string const& what, std::string path)
    : std::runtime_error(what), extended_code_(extended_code), system_errno_(system_errno),
      path_(std::move(path)) {}

namespace {

// Process-wide, before SQLite initialises: no memory-usage statistics. With them on (the
// default) every allocation takes a global mutex, which was ~7% of the queue's CPU time
// (callgrind). If SQLite was initialised already, sqlite3_config refuses (SQLITE_MISUSE):
// harmless, only slower.
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

/// The queue holds OTP texts: the database file is the owner's alone, whatever the umask.
/// Created 0600 before SQLite opens it (SQLite gives the -wal and -shm files the database
/// file's mode); an existing file, -wal or -shm with group or other bits (an older build
/// made them 0640) loses them. Special names (":memory:", URIs) are left to SQLite.
void make_private(std::string const& path, bool create) {
  if (path.empty() || path.front() == ':' || path.starts_with("file:")) return;
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600);
  if (fd < 0) return;  // SQLite's own open reports why
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0077) != 0)
    (void)::fchmod(fd, st.st_mode & 0700);
  ::close(fd);
  for (auto const* suffix : {"-wal", "-shm"}) {
    auto p = path + suffix;
    if (::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0077) != 0)
      (void)::chmod(p.c_str(), st.st_mode & 0700);
  }
}

}  // namespace

database database::open(std::string const& path, open_options const& opts) {
  configure_sqlite_once();
  if (!opts.read_only) make_private(path, opts.create);
  database db;
  db.path_ = path;
  int flags = SQLITE_OPEN_NOMUTEX;  // one thread per connection (sqlite.hpp)
  flags |= opts.read_only ? SQLITE_OPEN_READONLY
                          : (SQLITE_OPEN_READWRITE | (opts.create ? SQLITE_OPEN_CREATE : 0));
  // Each WAL frame in one write (queue/wal_write_vfs.hpp).
  int rc = sqlite3_open_v2(path.c_str(), &db.db_, flags, wal_write_vfs_name());
  if (rc != SQLITE_OK) {
    if (db.db_ == nullptr) throw error(rc, 0, fmt::format("open {}: {}", path, sqlite3_errstr(rc)));
    db.fail(rc, "open");
  }
  sqlite3_extended_result_codes(db.db_, 1);
  sqlite3_busy_timeout(db.db_, opts.busy_timeout_ms);
  // Before the first access, so that in WAL mode SQLite never maps a shared-memory index.
  if (opts.exclusive_lock) db.exec("PRAGMA locking_mode=EXCLUSIVE");
  // Reading the schema is the first real access: a file of garbage fails here with SQLITE_NOTADB.
  db.query_int("SELECT count(*) FROM sqlite_schema");
  if (opts.wal && !opts.read_only) db.exec("PRAGMA journal_mode=WAL");
  db.exec(opts.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
  db.exec(fmt::format("PRAGMA cache_size=-{}", opts.cache_size_kib));
  db.exec("PRAGMA foreign_keys=ON");
  // Deleted and overwritten content (an erased message text, a purged row) is zeroed in its
  // page instead of lingering as free space in the file.
  db.exec("PRAGMA secure_delete=ON");
  return db;
}

database::database(database&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)),
      transactions_open_(std::exchange(other.transactions_open_, 0)) {}

database& database::operator=(database&& other) noexcept {
  if (this != &other) {
    if (db_ != nullptr) sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
    transactions_open_ = std::exchange(other.transactions_open_, 0);
  }
  return *this;
}

database::~database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

void database::fail(int rc, std::string_view what) const {
  int sys = db_ != nullptr ? sqlite3_system_errno(db_) : 0;
  char const* msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  error e(rc, sys, fmt::format("{} {}: {} (sqlite {})", what, path_, msg, rc), path_);
  if (db_ != nullptr) note_error(e);
  throw e;
}

void database::note_error(error const& e) const {
  if (transactions_open_ > 0 && !in_transaction() && !rolled_back_by_) rolled_back_by_ = e;
}

void database::exec(std::string_view sql) {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string text = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    int sys = sqlite3_system_errno(db_);
    error e(sqlite3_extended_errcode(db_), sys,
            fmt::format("exec \"{}\" {}: {} (sqlite {}, errno {})", sql.substr(0, 60), path_,
                        text, sqlite3_extended_errcode(db_), sys),
            path_);
    note_error(e);
    throw e;
  }
}

std::int64_t database::query_int(std::string_view sql) {
  statement st(*this, sql);
  return st.step() ? st.column_int64(0) : 0;
}

std::int64_t database::last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }
int database::changes() const noexcept { return sqlite3_changes(db_); }
bool database::in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

statement::statement(database& db, std::string_view sql) : db_(&db) {
  int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) db.fail(rc, fmt::format("prepare \"{}\"", sql.substr(0, 60)));
}

statement::statement(statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

statement& statement::operator=(statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

statement::~statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

statement& statement::bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

statement& statement::bind(int index, std::string_view text) {
  // An empty view may have a null data(): SQLite would bind NULL, not ''.
  int rc = sqlite3_bind_text64(stmt_, index, text.data() != nullptr ? text.data() : "",
                               text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

statement& statement::bind_unowned(int index, std::string_view text) {
  int rc = sqlite3_bind_text64(stmt_, index, text.data() != nullptr ? text.data() : "",
                               text.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

statement& statement::bind_blob(int index, std::span<std::uint8_t const> bytes) {
  int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

statement& statement::bind_null(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

bool statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  int ext = sqlite3_extended_errcode(db_->handle());
  error e(ext != SQLITE_OK ? ext : rc, sqlite3_system_errno(db_->handle()),
          fmt::format("step \"{}\" {}: {} (sqlite {})",
                      std::string_view(sqlite3_sql(stmt_)).substr(0, 60), db_->path(),
                      sqlite3_errmsg(db_->handle()), ext),
          db_->path());
  reset();  // also drops the bindings: an unowned one may not outlive this call's caller
  db_->note_error(e);
  throw e;
}

void statement::run() {
  while (step()) {
  }
  reset();
}

void statement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

bool statement::is_null(int col) const noexcept {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

std::int64_t statement::column_int64(int col) const noexcept {
  return sqlite3_column_int64(stmt_, col);
}

std::string_view statement::column_text(int col) const noexcept {
  auto const* p = reinterpret_cast<char const*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

std::span<std::uint8_t const> statement::column_blob(int col) const noexcept {
  auto const* p = static_cast<std::uint8_t const*>(sqlite3_column_blob(stmt_, col));
  if (p == nullptr) return {};
  return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

namespace {
/// The error for work on a transaction SQLite already rolled back.
error rolled_back(database const& db, std::optional<error> const& cause) {
  if (!cause) return error(SQLITE_ABORT, 0, "the enclosing transaction was rolled back", db.path());
  return error(cause->extended_code(), cause->system_errno(),
               std::string("the transaction was rolled back by an earlier error: ") + cause->what(),
               db.path());
}
}  // namespace

transaction::transaction(database& db) : db_(db), nested_(db.transactions_open_ > 0) {
  if (!nested_) {
    db_.rolled_back_by_.reset();
    db_.exec("BEGIN IMMEDIATE");
  } else {
    if (!db_.in_transaction()) throw rolled_back(db_, db_.rolled_back_by_);
    db_.exec("SAVEPOINT nested");
  }
  ++db_.transactions_open_;
}

transaction::~transaction() {
  if (done_) return;
  --db_.transactions_open_;
  // After SQLITE_FULL/IOERR SQLite may already have rolled back; only roll back what is open.
  if (!db_.in_transaction()) return;
  if (nested_) {
    sqlite3_exec(db_.handle(), "ROLLBACK TO nested; RELEASE nested", nullptr, nullptr, nullptr);
  } else {
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

void transaction::commit() {
  if (!db_.in_transaction()) throw rolled_back(db_, db_.rolled_back_by_);
  db_.exec(nested_ ? "RELEASE nested" : "COMMIT");
  done_ = true;
  --db_.transactions_open_;
}

}  // namespace smsgw::sqlite
