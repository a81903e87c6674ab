#pragma once
/// \file
/// Batch scoring into a database table: PostgreSQL (libpq, COPY) and any ODBC data source
/// (batched parameter-array inserts). The table has one row per recommendation:
///   user_id, item_id, score, rank (1-based), fallback (fallbackName), model_id (the package's
///   checksum), scored_at (UTC, one value per run)
/// with primary key (user_id, rank); it is created when missing. Rows are written in batches of
/// whole users, one transaction per batch that first deletes the batch's users' rows and then
/// inserts their new ones: a rerun replaces a user's list instead of adding to it (idempotent),
/// a process killed mid-write leaves every user either with its old rows or with its complete
/// new list (never half a batch), and shards (disjoint users) write into one table concurrently.

#include <memory>
#include <string>

#include "core/export/batch_scorer.h"

namespace rwb {

struct DatabaseSinkOptions {
  std::string table;              ///< target table ("schema.table" allowed); required
  std::string modelId;            ///< stored in model_id
  std::size_t batchUsers = 1000;  ///< users per transaction (>= 1)
};

/// Opens a sink on `target`: a postgresql:// URI or an odbc: source (credentials from the URI or
/// DSN, the environment or the client's files; never shown: messages use the redacted form).
/// Connects and creates the table when missing. Throws IoError (connection, SQL), SpecError
/// ("--table") when no table is given.
std::unique_ptr<RecSink> openDatabaseRecSink(const std::string& target,
                                             const DatabaseSinkOptions& options);

}  // namespace rwb
