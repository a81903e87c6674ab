#include "core/models/registry.h"

#include "core/models/attribute_popularity.h"
#include "core/models/biased_mf.h"
#include "core/models/blend.h"
#include "core/models/bpr.h"
#include "core/models/content_similarity.h"
#include "core/models/demographic_popularity.h"
#include "core/models/ease.h"
#include "core/models/factorization_machine.h"
#include "core/models/gbdt.h"
#include "core/models/ials.h"
#include "core/models/item_knn.h"
#include "core/models/logistic_regression.h"
#include "core/models/most_popular.h"
#include "core/models/neighbour_popularity.h"
#include "core/models/random_model.h"
#include "core/models/rp3beta.h"
#include "core/models/sar.h"
#include "core/models/two_stage.h"
#include "core/util/error.h"
#include "core/util/json.h"

namespace rwb {

namespace {
template <typename M>
ModelInfo entry() {
  ModelInfo info = M::info();
  info.create = [](const Params& p) -> std::unique_ptr<Model> { return std::make_unique<M>(p); };
  return info;
}

std::vector<ModelInfo> buildRegistry() {
  std::vector<ModelInfo> r;
  r.push_back(entry<MostPopular>());
  r.push_back(entry<Sar>());
  r.push_back(entry<ItemKnn>());
  r.push_back(entry<Rp3beta>());
  r.push_back(entry<Ease>());
  r.push_back(entry<Ials>());
  r.push_back(entry<Bpr>());
  r.push_back(entry<BiasedMf>());
  r.push_back(entry<ContentSimilarity>());
  r.push_back(entry<LogisticRegression>());
  r.push_back(entry<Gbdt>());
  r.push_back(entry<FactorizationMachine>());
  r.push_back(entry<TwoStage>());
  r.push_back(entry<RandomModel>());
  r.push_back(entry<AttributePopularity>());
  r.push_back(entry<DemographicPopularity>());
  r.push_back(entry<NeighbourPopularity>());
  r.push_back(entry<Blend>());
  return r;
}
}  // namespace

const std::vector<ModelInfo>& modelRegistry() {
  static const std::vector<ModelInfo> registry = buildRegistry();
  return registry;
}

const ModelInfo* findModel(std::string_view name) {
  for (const auto& m : modelRegistry()) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::unique_ptr<Model> createModel(const std::string& name, const Params& params,
                                   const std::string& path) {
  const ModelInfo* info = findModel(name);
  if (info == nullptr) {
    std::string known;
    for (const auto& m : modelRegistry()) known += (known.empty() ? "" : ", ") + m.name;
    throw SpecError(path + ".name", "unknown model '" + name + "' (known: " + known + ")");
  }
  return info->create(info->schema.resolve(params, path + ".params"));
}

std::unique_ptr<Model> loadModel(BinaryReader& in) {
  const std::string type = in.getString("type");
  const ModelInfo* info = findModel(type);
  if (info == nullptr) in.fail("unknown model type '" + type + "'");
  Params params;
  try {
    params = info->schema.resolve(parseJsonField(in.getString("params"), "$.params"), "$.params");
  } catch (const SpecError& e) {
    in.fail(std::string("invalid parameters: ") + e.what());
  }
  auto model = info->create(params);
  model->loadState(in);
  return model;
}

std::string saveModelToBytes(const Model& model) {
  BinaryWriter w;
  model.save(w);
  return w.take();
}

std::unique_ptr<Model> loadModelFromBytes(std::string_view bytes, std::string what) {
  BinaryReader r(bytes, std::move(what));
  return loadModel(r);
}

}  // namespace rwb
