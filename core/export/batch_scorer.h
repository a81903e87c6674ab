#pragma once
/// \file
/// Batch scoring: top-k for many users from a model package, streamed to a file or database.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/data/attribute_loader.h"
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

/// Where a user's list came from (the `fallback` output column):
///   kModel      "none":       the model's own list for a user of its training data
///   kContent    "content":    a user unknown to the model, scored by the model from the user's
///                             attributes (feature models, Model::recommendNewUser)
///   kPopularity "popularity": item popularity (unknown users without usable attributes, models
///                             without features, training users the model cannot score)
enum class RecSource { kModel, kContent, kPopularity };
/// "none", "content" or "popularity".
std::string_view fallbackName(RecSource source) noexcept;

/// Attributes of users who may be unknown to the model (the cold-start input of batch scoring):
/// one row per id of `ids`, columns already conformed to the model's encoders.
struct NewUserTable {
  IdMap ids;
  AttributeTable table;
};

/// Reads a user attribute file (same formats and options as the loader's user attributes,
/// see AttributeOptions) and conforms its columns to the model's feature pipeline
/// (FeaturePipeline::conformUserAttributes). For models without a pipeline the table is kept as
/// read (it is then unused: their unknown users get popularity). Throws IoError / ParseError /
/// SpecError naming the file, line or column.
NewUserTable loadNewUserAttributes(const std::string& path, const AttributeOptions& options,
                                   const Model& model, TaskContext& ctx);

/// Extra items to exclude per user (external ids), e.g. recent purchases after training.
using ExclusionHistory = std::unordered_map<std::string, std::unordered_set<std::string>>;

struct BatchScoreOptions {
  std::size_t k = 10;
  /// External user ids to score, in output order; empty = every user of the model, in index order.
  std::vector<std::string> users;
  bool excludeSeen = true;  ///< drop the users' training items
  const ExclusionHistory* history = nullptr;
  /// Cold-start attributes: unknown users with a row here are scored by the model from their
  /// attributes when the model can (source kContent); others get popularity. nullptr = none.
  const NewUserTable* newUsers = nullptr;
  Shard shard;
  std::size_t blockSize = 4096;  ///< users per parallel block (memory vs. parallelism)
  /// Candidate items (dense indices of the package's items, ascending, unique; e.g. from
  /// readItemSetFile): every list is ranked among them only (recommendExternal). nullptr = the
  /// whole catalogue.
  const std::vector<Index>* candidates = nullptr;
  /// Approximate top-k for the model's known users through this index (built for the package's
  /// model: ModelPackage::retrievalIndex() or RetrievalIndex::build); nullptr = exact.
  const RetrievalIndex* retrieval = nullptr;
};

/// Where rows go. Implementations: delimited text (.tsv/.csv) and SQLite (.sqlite/.db).
class RecSink {
 public:
  virtual ~RecSink() = default;
  /// One output row: rank is 1-based; source says where the user's list came from.
  virtual void write(std::string_view user, std::string_view item, double score, int rank,
                     RecSource source) = 0;
  /// Makes the output durable and visible (rename into place / commit).
  virtual void finish() = 0;
};

/// Opens a sink by extension: .tsv, .csv (header user,item,score,rank,fallback; fallback is
/// fallbackName()), .sqlite/.db (table `recommendations`, replaced). Output is written to a
/// temporary name and moved into place by finish(), so a failed or cancelled run leaves no partial
/// file.
std::unique_ptr<RecSink> openRecSink(const std::string& path);

struct BatchScoreResult {
  std::uint64_t usersScored = 0;
  std::uint64_t fallbackUsers = 0;  ///< of which scored by popularity (source kPopularity)
  std::uint64_t contentUsers = 0;   ///< of which unknown, scored from attributes (kContent)
  std::uint64_t rowsWritten = 0;
  double seconds = 0.0;
};

/// Scores users in blocks (parallel within a block, written in order), so output is
/// deterministic and memory bounded by blockSize x k. Throws Cancelled when ctx is stopped (the
/// sink is then not finished).
BatchScoreResult batchScore(const ModelPackage& package, const BatchScoreOptions& options,
                            RecSink& sink, TaskContext& ctx);

/// A user's list and where it came from.
struct ExternalRecList {
  RecList list;
  RecSource source = RecSource::kModel;
};

/// Top-k for one user by external id: the model's list for known users (history exclusions
/// applied); for unknown users, the model's new-user list when `newUser` is given and the model
/// can score it (Model::canScoreNewUser), else the popularity fallback. Shared by the batch
/// scorer and the HTTP endpoint so both answer identically.
///
/// With `candidates` (ascending, unique item indices < the package's item count), the list is
/// ranked among those items only, with the same scores (Model::score, Model::scoreNewUser or
/// item popularity), ranking rule and exclusions (training items when excludeSeen, `exclude`,
/// a new user's history); it may hold fewer than k items. Throws ModelError for an index out
/// of range.
///
/// With `retrieval` (an index built for the package's model), a known user's list comes from
/// RetrievalIndex::recommend with the same exclusions and candidates as filters: approximate
/// top-k, exact scores.
ExternalRecList recommendExternal(const ModelPackage& package, std::string_view user, std::size_t k,
                                  bool excludeSeen, const std::unordered_set<std::string>* exclude,
                                  const NewUser* newUser = nullptr,
                                  std::span<const Index> candidates = {},
                                  const RetrievalIndex* retrieval = nullptr);

}  // namespace rwb
