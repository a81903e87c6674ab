#pragma once
/// \file
/// Collaborative scores as features (block 5 of a pair row), through an interface the feature
/// pipeline owns: any trained scorer can feed the pipeline without features knowing models
/// (docs/architecture.md). core/models adapts a Model to it (ModelScoreSource).

#include <cstddef>
#include <span>
#include <string>

#include "core/data/id_map.h"
#include "core/data/new_user.h"

namespace rwb {

/// A fitted, immutable source of (user, item) scores. All members are const and must be safe to
/// call from many threads at once.
class ScoreSource {
 public:
  virtual ~ScoreSource() = default;
  /// Id-map sizes the source was fitted with; the pipeline requires its own.
  virtual std::size_t numUsers() const = 0;
  virtual std::size_t numItems() const = 0;
  /// Scores of `items` for a user of the fitted id maps into out (same length).
  virtual void scoreKnown(Index user, std::span<const Index> items, std::span<float> out) const = 0;
  /// Scores of `items` for a user outside the id maps into out (same length).
  virtual void scoreNew(const NewUser& user, std::span<const Index> items,
                        std::span<float> out) const = 0;
  /// The source's persistent form; the pipeline stores it inside its own bytes and hands it back
  /// to whoever rebuilds the source after FeaturePipeline::load().
  virtual std::string saveToBytes() const = 0;
};

}  // namespace rwb
