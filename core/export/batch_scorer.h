#pragma once
/// \file
/// Batch scoring: top-k for many users from a model package, streamed to a file or database.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/export/model_package.h"
#include "core/util/task_context.h"

namespace rwb {

/// Which part of the users a process scores: users whose stable hash of the external id
/// (XXH3-64 of its bytes) modulo count equals index. n processes with index 0..n-1 together
/// score every user exactly once, whatever the order or machine.
struct Shard {
  std::uint32_t index = 0;
  std::uint32_t count = 1;
  /// Parses "i/n" (0 <= i < n); throws SpecError("--shard", ...) otherwise.
  static Shard parse(const std::string& text);
  bool contains(std::string_view externalId) const noexcept;
};

/// Extra items to exclude per user (external ids), e.g. recent purchases after training.
using ExclusionHistory = std::unordered_map<std::string, std::unordered_set<std::string>>;

struct BatchScoreOptions {
  std::size_t k = 10;
  /// External user ids to score, in output order; empty = every user of the model, in index order.
  std::vector<std::string> users;
  bool excludeSeen = true;  ///< drop the users' training items
  const ExclusionHistory* history = nullptr;
  Shard shard;
  std::size_t blockSize = 4096;  ///< users per parallel block (memory vs. parallelism)
};

/// Where rows go. Implementations: delimited text (.tsv/.csv) and SQLite (.sqlite/.db).
class RecSink {
 public:
  virtual ~RecSink() = default;
  /// One output row: rank is 1-based; fallback is true when the user was unknown to the model
  /// (or had no training data) and the popularity fallback was used.
  virtual void write(std::string_view user, std::string_view item, float score, int rank,
                     bool fallback) = 0;
  /// Makes the output durable and visible (rename into place / commit).
  virtual void finish() = 0;
};

/// Opens a sink by extension: .tsv, .csv (header user,item,score,rank,fallback), .sqlite/.db
/// (table `recommendations`, replaced). Output is written to a temporary name and moved into
/// place by finish(), so a failed or cancelled run leaves no partial file.
std::unique_ptr<RecSink> openRecSink(const std::string& path);

struct BatchScoreResult {
  std::uint64_t usersScored = 0;
  std::uint64_t fallbackUsers = 0;  ///< of which unknown / without training data
  std::uint64_t rowsWritten = 0;
  double seconds = 0.0;
};

/// Scores users in blocks (parallel within a block, written in order), so output is
/// deterministic and memory bounded by blockSize x k. Throws Cancelled when ctx is stopped (the
/// sink is then not finished).
BatchScoreResult batchScore(const ModelPackage& package, const BatchScoreOptions& options,
                            RecSink& sink, TaskContext& ctx);

/// Top-k for one user by external id: the model's list for known users (history exclusions
/// applied), the popularity fallback for unknown ones. Shared by the batch scorer and the
/// HTTP endpoint so both answer identically.
RecList recommendExternal(const ModelPackage& package, std::string_view user, std::size_t k,
                          bool excludeSeen, const std::unordered_set<std::string>* exclude);

}  // namespace rwb
