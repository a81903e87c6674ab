#pragma once
/// \file
/// CellPopularity: the per-cell item popularity features of block 4 (`cell_popularity` in the
/// behaviour config). A cell is a tuple of user attribute values (e.g. age band x gender), read
/// from the user's one-hot encoded attributes (block 1), so a known user, a training user whose
/// rows are built as a new user's and a new user described by attributes all find their cell
/// the same way. Formulas in docs/features.md ("Behavioural features").

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/data/dataset.h"
#include "core/features/column_encoder.h"
#include "core/features/feature_config.h"
#include "core/features/sparse.h"
#include "core/util/binary_io.h"

namespace rwb {

/// Per-cell popularity statistics of one training Dataset. Immutable after compute() or load();
/// const members are thread-safe.
class CellPopularity {
 public:
  CellPopularity() = default;

  /// Statistics of `train`'s positives (under `labels`, distinct user-item pairs) for every cell
  /// list of config.cellPopularity. userEncoders/userStarts: the fitted block-1 encoders and their
  /// slice starts; userAttr: block 1 of every user of train. Throws SpecError when a listed
  /// column has no user encoder or its encoder is not one-hot.
  static CellPopularity compute(const Dataset& train, const LabelConfig& labels,
                                const BehaviourConfig& config,
                                const std::vector<ColumnEncoder>& userEncoders,
                                std::span<const std::uint32_t> userStarts,
                                std::span<const SparseVector> userAttr);

  /// Number of features (two per cell list) and their names, in row order
  /// ("behaviour.cell_popularity:age_band*gender", "...age_band*gender.lift").
  std::size_t dim() const noexcept { return 2 * specs_.size(); }
  std::vector<std::string> featureNames() const;

  /// Appends the features of (user with block 1 `userAttr`, item) from `offset`. self: the
  /// training user whose own engagements are left out of the cell counts (not of the global
  /// share, see docs/features.md) (the row's user when it is
  /// a user of the id maps, also for cold-user dropout rows; kNoIndex for a new user). Both
  /// features are always stored (0 is a value, not missing).
  void appendFeatures(const SparseVector& userAttr, Index self, Index item, std::uint32_t offset,
                      SparseVector& out) const;

  void save(BinaryWriter& w) const;
  /// Reads what save() wrote for `config`; numUsers x numItems; userDim = block-1 size.
  static CellPopularity load(BinaryReader& r, const BehaviourConfig& config, std::size_t numUsers,
                             std::size_t numItems, std::size_t userDim);

 private:
  /// One cell list: the block-1 slices of its columns and the counts of its cells.
  struct Spec {
    std::string name;                         ///< "age_band*gender"
    std::vector<std::uint32_t> start, width;  ///< per column: block-1 slice
    std::unordered_map<std::uint64_t, std::uint32_t> cellOfKey;
    std::vector<float> counts;  ///< cells x items: n_c(i)
    std::vector<double> total;  ///< per cell: N_c
  };
  static std::uint64_t cellKey(const Spec& s, const SparseVector& userAttr);

  double smoothing_ = 10.0;
  std::size_t numItems_ = 0;
  std::vector<Spec> specs_;
  std::vector<double> global_;  ///< per item: n(i) / N
  // Distinct positive items per user (CSR, sorted): what leaving a user out removes.
  std::vector<std::uint64_t> posOffsets_{0};
  std::vector<Index> posItems_;
};

}  // namespace rwb
