#pragma once
/// \file
/// A fitted Model as a feature pipeline's ScoreSource ("score:<name>" features): the adapter
/// that keeps core/features free of models. Whoever adds one owns the model through it (e.g.
/// two_stage's candidate generator) and rebuilds it with fromBytes() after loading a pipeline.

#include <memory>
#include <string>

#include "core/features/score_source.h"
#include "core/models/model.h"

namespace rwb {

/// Scores through Model::score() (known users) and Model::scoreNewUser() (new users).
/// Immutable after construction; thread-safe as the model's const members are.
class ModelScoreSource final : public ScoreSource {
 public:
  /// Takes a fitted model (ModelError when null or unfitted).
  explicit ModelScoreSource(std::unique_ptr<Model> model);
  /// Rebuilds a source from saveToBytes()'s bytes (ModelError when corrupt).
  static std::shared_ptr<const ModelScoreSource> fromBytes(const std::string& bytes);

  const Model& model() const noexcept { return *model_; }

  std::size_t numUsers() const override { return model_->numUsers(); }
  std::size_t numItems() const override { return model_->numItems(); }
  void scoreKnown(Index user, std::span<const Index> items, std::span<float> out) const override;
  void scoreNew(const NewUser& user, std::span<const Index> items,
                std::span<float> out) const override;
  std::string saveToBytes() const override;

 private:
  std::unique_ptr<Model> model_;
};

}  // namespace rwb
