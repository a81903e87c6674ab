#pragma once
/// \file
/// TreeEnsemble: a compiled, read-only copy of an XGBoost gbtree model that predicts margins of
/// sparse rows without going through XGBoost's predictor.
///
/// Why: XGBoost's predictor builds a DMatrix per call, fills a dense vector of every feature for
/// each row and serialises calls on a booster; on the re-ranking path (one user, ~1,000 rows)
/// that was most of the time. This evaluator keeps only the features that some split uses
/// (renumbered densely), walks a block of rows through one tree at a time in lockstep (the
/// independent walks overlap in the CPU instead of waiting on each other), is branch-free per
/// level, and is safe to call from any number of threads.
///
/// It reproduces XGBoost 1.7's prediction exactly: a value goes left when value < threshold
/// (float compare), a missing feature (absent from the sparse row, or NaN) follows the node's
/// default direction, and the margin is the float sum base_margin + leaf(tree 0) + leaf(tree 1)
/// + ... in tree order, as XGBoost's CPU predictor accumulates it. Models that use anything else
/// (categorical splits, vector leaves, several outputs, the dart booster, an objective whose
/// base margin is not known here) are refused with a reason, and the caller keeps XGBoost.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/features/sparse.h"

namespace rwb {

class TreeEnsemble {
 public:
  /// Compiles XGBoost's JSON model text (XGBoosterSaveModelToBuffer, format "json") for rows of
  /// `dim` features. Returns nullopt and sets *whyNot when the model uses something this
  /// evaluator does not implement or the text is not a model it understands.
  static std::optional<TreeEnsemble> fromXgboostJson(std::string_view json, std::size_t dim,
                                                     std::string* whyNot);

  /// Margin of every row of x into out (out.size() == x.rows()). Rows may hold feature indices
  /// the trees never split on (ignored); indices >= dim() are errors (ModelError). Thread-safe;
  /// large inputs are split across TBB workers.
  void margins(const SparseMatrix& x, std::span<float> out) const;

  std::size_t trees() const noexcept { return treeStart_.size(); }
  std::size_t nodes() const noexcept { return nodes_.size(); }
  /// Distinct features used by some split.
  std::size_t usedFeatures() const noexcept { return usedCount_; }
  std::size_t dim() const noexcept { return featureSlot_.size(); }
  /// `n` seeded rows that exercise the splits: each used feature absent, at a threshold of one
  /// of its splits, or just below it. Used to check the compiled trees against XGBoost.
  SparseMatrix probeRows(std::size_t n, std::uint64_t seed) const;
  float baseMargin() const noexcept { return base_; }
  std::size_t memoryBytes() const noexcept;

 private:
  /// One node. A split sends a row to left + 1 when its value is >= threshold, or when it is
  /// missing and defaultRight is set, else to left. A leaf splits on the always-missing slot
  /// with defaultRight clear and left == itself, so extra levels keep a row on its leaf; its
  /// threshold is the leaf value.
  struct Node {
    float threshold = 0.0f;
    std::uint32_t slot = 0;  ///< dense feature slot; usedCount_ for leaves
    std::uint32_t left = 0;  ///< index within the tree; the right child is left + 1
    std::uint32_t defaultRight = 0;
  };

  void marginsOfBlock(const SparseMatrix& x, std::size_t first, std::size_t count,
                      std::span<float> out, std::vector<float>& dense) const;

  std::vector<Node> nodes_;
  std::vector<std::uint32_t> treeStart_;  ///< first node of each tree in nodes_
  std::vector<std::uint8_t> treeDepth_;   ///< levels to walk (0 for a single leaf)
  /// Feature index -> dense slot, or kUnused.
  std::vector<std::uint32_t> featureSlot_;
  std::vector<std::uint32_t> slotFeature_;  ///< dense slot -> feature index
  std::uint32_t usedCount_ = 0;
  float base_ = 0.0f;
};

}  // namespace rwb
