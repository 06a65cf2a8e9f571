// queue/schema.hpp: the versioned schema of the queue database and the migration runner.
// Migrations are numbered steps (1, 2, 3, ...) applied in order at open, each in its own
// transaction, with PRAGMA user_version recording the last one applied. A database written by
// a newer smsgw (user_version above the last step we know) is refused rather than guessed at.
#pragma once

#include "queue/sqlite.hpp"

#include <span>
#include <string_view>

namespace smsgw::queue {

/// One schema step: `sql` is run in one transaction, then user_version is set to `version`.
struct migration {
  int version;               ///< 1-based, consecutive
  std::string_view name;     ///< what the step adds, for error messages
  std::string_view sql;      ///< one or more statements
  /// Run after `sql`, in the same transaction (nullptr = none): for what SQL alone cannot
  /// say (step 10 widens a CHECK constraint).
  void (*after)(sqlite::database&) = nullptr;
};

/// Every step, in order. Other queue/ modules (rate limits) append their own step in
/// queue/schema.cpp; a step is never edited once released, only new steps added.
std::span<migration const> migrations();

/// Brings `db` to the latest version. Throws sqlite::error; throws std::runtime_error if the
/// file's user_version is newer than this build knows.
void migrate(sqlite::database& db);

/// Version of the newest step.
int latest_schema_version();

}  // namespace smsgw::queue
