// queue/wal_write_vfs.hpp: a thin SQLite VFS over the default one that writes each WAL frame
// with one pwrite instead of two. SQLite appends a frame as its 24-byte header, then its page,
// at the next offset: two system calls per page (issue #15 counted ~2 pwrite per frame). This
// VFS holds a small write to a WAL file (a frame header, the WAL's 32-byte header) and sends
// it with the write that continues it, in one call. Anything else on the file (a read, a sync,
// a size query, a truncate, a lock, a write elsewhere, close) first writes what is held, so
// SQLite never sees the difference. Durability is unchanged: a frame is complete (header and
// page written) before SQLite's write of it returns to the pager, and a COMMIT returns only
// after its last frame's page is written, so nothing is held when group_commit's syncer
// fsyncs the WAL for commits that returned. Other files (the database, journals) go straight
// through. Registered once, not as the default VFS.
#pragma once

namespace smsgw::sqlite {

/// The VFS's name for sqlite3_open_v2 (registered on first call; thread-safe).
char const* wal_write_vfs_name();

}  // namespace smsgw::sqlite
