// queue/wal_write_vfs.cpp: the frame-coalescing VFS (wal_write_vfs.hpp). Every method of an
// open file delegates to the default VFS's file, which lives right behind ours in the same
// allocation (szOsFile is the sum of both); WAL files first write what they hold.
#include "queue/wal_write_vfs.hpp"

#include <sqlite3.h>

#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace smsgw::sqlite {
namespace {

/// A held write is at most this long: a frame header (24 bytes) or the WAL header (32), or
/// both back to back.
constexpr int max_held = 64;

struct held_file {
  sqlite3_file base;     // pMethods = our methods (first: SQLite passes us this pointer)
  sqlite3_file* real;    // the default VFS's file, right behind this struct
  bool wal;              // opened with SQLITE_OPEN_WAL: small writes are held
  int held_len;          // bytes held (0: none)
  sqlite3_int64 held_at; // their offset in the file
  // End of the furthest write since the WAL's header was last written (offset 0 starts a new
  // generation of frames): only a small write at or past it, an append, is held. A rewrite
  // of an earlier header (SQLite's walRewriteChecksums, the last write before its COMMIT
  // returns) goes out at once, so nothing is ever held when a COMMIT has returned.
  sqlite3_int64 appended_to;
  unsigned char held[max_held];
};

sqlite3_vfs* root_vfs = nullptr;
sqlite3_vfs our_vfs;
sqlite3_io_methods our_methods;

held_file* as_held(sqlite3_file* f) { return reinterpret_cast<held_file*>(f); }
sqlite3_file* real_of(sqlite3_file* f) { return as_held(f)->real; }

/// A write through to the default VFS's file, keeping appended_to.
int write_through(held_file* h, void const* data, int amt, sqlite3_int64 at) {
  int rc = h->real->pMethods->xWrite(h->real, data, amt, at);
  if (rc == SQLITE_OK && at + amt > h->appended_to) h->appended_to = at + amt;
  return rc;
}

/// Writes what is held, if anything.
int flush(held_file* h) {
  if (h->held_len == 0) return SQLITE_OK;
  int const len = h->held_len;
  h->held_len = 0;
  return write_through(h, h->held, len, h->held_at);
}

int x_write(sqlite3_file* f, void const* data, int amt, sqlite3_int64 at) {
  auto* h = as_held(f);
  if (!h->wal) return h->real->pMethods->xWrite(h->real, data, amt, at);
  if (h->held_len > 0) {
    if (at == h->held_at + h->held_len) {
      if (h->held_len + amt <= max_held) {  // another small piece right after: hold it too
        std::memcpy(h->held + h->held_len, data, static_cast<std::size_t>(amt));
        h->held_len += amt;
        return SQLITE_OK;
      }
      // The page after its header: one write for both.
      thread_local std::vector<unsigned char> joined;
      joined.resize(static_cast<std::size_t>(h->held_len + amt));
      std::memcpy(joined.data(), h->held, static_cast<std::size_t>(h->held_len));
      std::memcpy(joined.data() + h->held_len, data, static_cast<std::size_t>(amt));
      auto const from = h->held_at;
      h->held_len = 0;
      return write_through(h, joined.data(), static_cast<int>(joined.size()), from);
    }
    if (int rc = flush(h); rc != SQLITE_OK) return rc;
  }
  if (at == 0) h->appended_to = 0;
  if (amt <= 32 && at >= h->appended_to) {  // an appended frame header or the WAL header
    std::memcpy(h->held, data, static_cast<std::size_t>(amt));
    h->held_len = amt;
    h->held_at = at;
    return SQLITE_OK;
  }
  return write_through(h, data, amt, at);
}

int x_close(sqlite3_file* f) {
  auto* h = as_held(f);
  int rc = flush(h);
  int const closed = h->real->pMethods->xClose(h->real);
  return rc != SQLITE_OK ? rc : closed;
}

// The rest: write what is held first (a read or a size must see it), then delegate.
#define SMSGW_FLUSH_FIRST(call)                                   \
  do {                                                            \
    if (int rc = flush(as_held(f)); rc != SQLITE_OK) return rc;   \
    return call;                                                  \
  } while (0)

int x_read(sqlite3_file* f, void* out, int amt, sqlite3_int64 at) {
  SMSGW_FLUSH_FIRST(real_of(f)->pMethods->xRead(real_of(f), out, amt, at));
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  auto* h = as_held(f);
  if (int rc = flush(h); rc != SQLITE_OK) return rc;
  if (h->appended_to > size) h->appended_to = size;
  return h->real->pMethods->xTruncate(h->real, size);
}
int x_sync(sqlite3_file* f, int flags) {
  SMSGW_FLUSH_FIRST(real_of(f)->pMethods->xSync(real_of(f), flags));
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  SMSGW_FLUSH_FIRST(real_of(f)->pMethods->xFileSize(real_of(f), size));
}
int x_lock(sqlite3_file* f, int level) {
  SMSGW_FLUSH_FIRST(real_of(f)->pMethods->xLock(real_of(f), level));
}
int x_unlock(sqlite3_file* f, int level) {
  SMSGW_FLUSH_FIRST(real_of(f)->pMethods->xUnlock(real_of(f), level));
}
int x_check_reserved_lock(sqlite3_file* f, int* out) {
  return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  SMSGW_FLUSH_FIRST(real_of(f)->pMethods->xFileControl(real_of(f), op, arg));
}
int x_sector_size(sqlite3_file* f) { return real_of(f)->pMethods->xSectorSize(real_of(f)); }
int x_device_characteristics(sqlite3_file* f) {
  return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
// Shared memory and memory mapping: only if the default VFS's file has them (version 2, 3).
bool has_version(sqlite3_file* f, int v) { return real_of(f)->pMethods->iVersion >= v; }
int x_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
  if (!has_version(f, 2)) return SQLITE_IOERR_SHMMAP;
  return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  if (!has_version(f, 2)) return SQLITE_IOERR_SHMLOCK;
  return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
  if (has_version(f, 2)) real_of(f)->pMethods->xShmBarrier(real_of(f));
}
int x_shm_unmap(sqlite3_file* f, int del) {
  if (!has_version(f, 2)) return SQLITE_OK;
  return real_of(f)->pMethods->xShmUnmap(real_of(f), del);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 at, int amt, void** out) {
  if (!has_version(f, 3)) {
    *out = nullptr;  // no mapping: SQLite reads instead
    return SQLITE_OK;
  }
  SMSGW_FLUSH_FIRST(real_of(f)->pMethods->xFetch(real_of(f), at, amt, out));
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 at, void* p) {
  if (!has_version(f, 3)) return SQLITE_OK;
  return real_of(f)->pMethods->xUnfetch(real_of(f), at, p);
}
#undef SMSGW_FLUSH_FIRST

int x_open(sqlite3_vfs*, char const* name, sqlite3_file* f, int flags, int* out_flags) {
  auto* h = as_held(f);
  h->base.pMethods = nullptr;
  h->real = reinterpret_cast<sqlite3_file*>(h + 1);
  h->wal = (flags & SQLITE_OPEN_WAL) != 0;
  h->held_len = 0;
  h->held_at = 0;
  h->appended_to = 0;
  int rc = root_vfs->xOpen(root_vfs, name, h->real, flags, out_flags);
  // Our methods only over a file the default VFS opened (else SQLite calls no xClose).
  if (h->real->pMethods != nullptr) h->base.pMethods = &our_methods;
  return rc;
}

void register_vfs() {
  root_vfs = sqlite3_vfs_find(nullptr);
  if (root_vfs == nullptr) throw std::runtime_error("sqlite: no default VFS");
  our_vfs = *root_vfs;  // xDelete, xAccess, xFullPathname, randomness, time: the default's
  our_vfs.szOsFile = static_cast<int>(sizeof(held_file)) + root_vfs->szOsFile;
  our_vfs.zName = "smsgw-wal-write";
  our_vfs.pNext = nullptr;
  our_vfs.xOpen = x_open;
  std::memset(&our_methods, 0, sizeof(our_methods));
  our_methods.iVersion = 3;
  our_methods.xClose = x_close;
  our_methods.xRead = x_read;
  our_methods.xWrite = x_write;
  our_methods.xTruncate = x_truncate;
  our_methods.xSync = x_sync;
  our_methods.xFileSize = x_file_size;
  our_methods.xLock = x_lock;
  our_methods.xUnlock = x_unlock;
  our_methods.xCheckReservedLock = x_check_reserved_lock;
  our_methods.xFileControl = x_file_control;
  our_methods.xSectorSize = x_sector_size;
  our_methods.xDeviceCharacteristics = x_device_characteristics;
  our_methods.xShmMap = x_shm_map;
  our_methods.xShmLock = x_shm_lock;
  our_methods.xShmBarrier = x_shm_barrier;
  our_methods.xShmUnmap = x_shm_unmap;
  our_methods.xFetch = x_fetch;
  our_methods.xUnfetch = x_unfetch;
  if (int rc = sqlite3_vfs_register(&our_vfs, 0); rc != SQLITE_OK)
    throw std::runtime_error(std::string("sqlite: registering the WAL write VFS: ") + sqlite3_errstr(rc));
}

}  // namespace

char const* wal_write_vfs_name() {
  static std::once_flag once;
  std::call_once(once, register_vfs);
  return our_vfs.zName;
}

}  // namespace smsgw::sqlite
