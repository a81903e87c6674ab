#include "core/models/model_score_source.h"

#include "core/models/registry.h"
#include "core/util/error.h"

namespace rwb {

ModelScoreSource::ModelScoreSource(std::unique_ptr<Model> model) : model_(std::move(model)) {
  if (!model_) throw ModelError("score source: no model");
  if (!model_->isFitted())
    throw ModelError("score source: model '" + model_->type() + "' is not fitted");
}

std::shared_ptr<const ModelScoreSource> ModelScoreSource::fromBytes(const std::string& bytes) {
  return std::make_shared<const ModelScoreSource>(loadModelFromBytes(bytes));
}

void ModelScoreSource::scoreKnown(Index user, std::span<const Index> items,
                                  std::span<float> out) const {
  model_->score(user, items, out);
}

void ModelScoreSource::scoreNew(const NewUser& user, std::span<const Index> items,
                                std::span<float> out) const {
  model_->scoreNewUser(user, items, out);
}

std::string ModelScoreSource::saveToBytes() const { return saveModelToBytes(*model_); }

}  // namespace rwb
