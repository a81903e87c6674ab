#pragma once
/// \file
/// TrainingMatrix: the labelled rows FeaturePipeline::buildTrainingMatrix returns (defined in
/// training_matrix.cpp: labels, negative sampling, leave-one-out, cold-user dropout).

#include <cstddef>
#include <vector>

#include "core/data/id_map.h"
#include "core/features/sparse.h"

namespace rwb {

/// A labelled training matrix: one sparse feature row per (user, item, label) example.
struct TrainingMatrix {
  SparseMatrix x;
  std::vector<float> label;  ///< 1 = engaged, 0 = not (sampled or explicit negative)
  std::vector<Index> user;
  std::vector<Index> item;
  std::size_t positives = 0;
  std::size_t negatives = 0;
};

}  // namespace rwb
