#pragma once
/// \file
/// Approximate top-k for models with an inner-product form (Model::innerProductDim(): iALS,
/// BPR-MF, biased MF): an HNSW graph (Debian's hnswlib, header-only) over the item vectors
/// picks candidates, the model's own score() ranks them. Built at export time and stored in
/// the package (blob "retrieval_index", meta "retrieval"), or built in memory by the batch
/// scorer. See docs/export.md ("Approximate retrieval").

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/rec_list.h"
#include "core/models/model.h"
#include "core/util/task_context.h"

namespace rwb {

/// How the graph measures closeness of a query q and an item vector v:
///   kInnerProduct: hnswlib's inner-product distance 1 - q.v on the vectors as they are;
///   kL2:           the reduction of maximum inner product search to nearest neighbours
///                  (Bachrach et al. 2014): v' = (v, sqrt(N^2 - |v|^2)) with N the largest item
///                  norm, q' = (q, 0); |q' - v'|^2 = |q|^2 + N^2 - 2 q.v, so the L2 order is the
///                  inner-product order.
enum class RetrievalSpace { kInnerProduct, kL2 };

/// "ip" or "l2".
std::string_view retrievalSpaceName(RetrievalSpace space) noexcept;
/// Parses "ip" / "l2"; throws SpecError(field, ...) otherwise.
RetrievalSpace parseRetrievalSpace(std::string_view text, const std::string& field);

/// Build settings of an HNSW index.
struct RetrievalOptions {
  std::size_t m = 16;                ///< graph degree (links per node per layer; 2m on layer 0)
  std::size_t efConstruction = 200;  ///< candidate list length while inserting
  /// Candidate list length while searching; 0 = tune: the smallest of 16, 32, 64, ... (at most
  /// 4096) whose measured recall@recallK reaches recallTarget.
  std::size_t efSearch = 0;
  RetrievalSpace space = RetrievalSpace::kInnerProduct;
  std::uint64_t seed = 42;  ///< level generator seed
  /// Insertion threads; 1 = deterministic (same model + options => same bytes); 0 = the
  /// caller's TBB arena.
  int threads = 0;
  std::size_t recallK = 10;        ///< k of the recall measured at build time
  std::size_t sampleUsers = 1000;  ///< users (seeded sample of the scorable ones) measured
  double recallTarget = 0.95;      ///< what efSearch tuning aims for
};

/// What a package records about its index (meta field "retrieval", JSON).
struct RetrievalInfo {
  std::string method = "hnsw";
  RetrievalSpace space = RetrievalSpace::kInnerProduct;
  std::size_t dim = 0;  ///< the model's innerProductDim() (the graph's vectors have +1 for l2)
  std::size_t numItems = 0;
  std::size_t m = 0, efConstruction = 0, efSearch = 0;
  std::uint64_t seed = 0;
  int threads = 0;
  float maxNorm = 0.0f;  ///< N of the l2 reduction (0 for ip)
  std::size_t recallK = 0;
  double recall = 0.0;  ///< mean recall@recallK against exact top-k (seen items excluded)
  std::size_t sampleUsers = 0;
  double buildSeconds = 0.0;

  nlohmann::json toJson() const;
  /// One line for people, e.g. "hnsw (ip, M=16, ef_construction=200, ef_search=64): recall@10
  /// 0.973 against exact top-10 on 1000 users, built in 3.2 s".
  std::string summary() const;
  /// Reads the JSON written by toJson(); throws ModelError naming `where` and the key.
  static RetrievalInfo fromJson(const nlohmann::json& j, const std::string& where);
};

/// An HNSW index over a model's item vectors. Immutable after build/load; search is thread-safe.
class RetrievalIndex {
 public:
  ~RetrievalIndex();
  RetrievalIndex(const RetrievalIndex&) = delete;
  RetrievalIndex& operator=(const RetrievalIndex&) = delete;

  /// Builds the graph over model's item vectors, then measures recall (and tunes efSearch when
  /// options.efSearch is 0) on a sample of users. Throws SpecError("--retrieval", ...) when the
  /// model has no inner-product form, SpecError for bad options, Cancelled when ctx is stopped.
  static std::unique_ptr<RetrievalIndex> build(const Model& model, const RetrievalOptions& options,
                                               TaskContext& ctx);

  /// Restores an index from bytes() and its info, validating every field, link and label
  /// against the model (a corrupt or foreign index is a ModelError naming the byte offset,
  /// never an out-of-bounds read).
  static std::unique_ptr<RetrievalIndex> load(std::string_view bytes, const RetrievalInfo& info,
                                              const Model& model);

  /// The serialised graph (hnswlib's layout).
  std::string bytes() const;
  const RetrievalInfo& info() const noexcept { return info_; }

  /// Top-k for a user of the model: the graph's nearest items to the user's query, without
  /// the user's training items (excludeSeen) and items `keep` rejects, ranked by the model's
  /// score() (orderByScoreThenItem). Fetches max(k + seen count, efSearch) neighbours and,
  /// while fewer than k (with `keep`: fewer than max(k, efSearch)) survive the filters, twice
  /// as many (a larger candidate list); past half of the catalogue
  /// it scores every allowed item exactly, so a list is short only when fewer than k items are
  /// allowed. Users the model cannot score get model.recommend()'s popularity list.
  /// `model` must be the one the index was built or loaded with.
  RecList recommend(const Model& model, Index user, std::size_t k, bool excludeSeen,
                    const std::function<bool(Index)>& keep = {}) const;

 private:
  struct Impl;
  RetrievalIndex();
  std::unique_ptr<Impl> impl_;
  RetrievalInfo info_;
};

/// Mean recall@k of the index against exact top-k (Model::recommendBatch, seen items
/// excluded) over `users`: |approximate ∩ exact| / |exact|, averaged over users with a non-empty
/// exact list.
double measureRecall(const RetrievalIndex& index, const Model& model, std::span<const Index> users,
                     std::size_t k, TaskContext& ctx);

}  // namespace rwb
