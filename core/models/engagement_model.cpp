#include "core/models/engagement_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "core/util/error.h"

namespace rwb {

namespace {
std::vector<std::uint32_t> userGroups(const TrainingMatrix& tm) {
  std::vector<std::uint32_t> g;
  for (std::size_t r = 0; r < tm.user.size(); ++r) {
    if (r == 0 || tm.user[r] != tm.user[r - 1]) g.push_back(0);
    ++g.back();
  }
  return g;
}
}  // namespace

std::size_t trainScorerOnPipeline(const FeaturePipeline& pipeline, RowScorer& scorer,
                                  const TrainingData& data, bool ranking, TaskContext& ctx) {
  TaskContext build(ctx, 0.0, 0.15);
  const TrainingMatrix tm = pipeline.buildTrainingMatrix(data.train, data.seed, build);
  if (tm.positives == 0) {
    throw ModelError("no positive training examples under the label configuration (mode '" +
                     pipeline.config().labels.mode + "')");
  }
  TrainingMatrix vm;
  RowTrainSet valid;
  if (data.validation != nullptr && data.validation->numInteractions() > 0) {
    TaskContext vb(ctx, 0.15, 0.2);
    vm = pipeline.buildTrainingMatrix(*data.validation, data.seed + 1, vb);
    if (vm.positives > 0) {
      valid.x = &vm.x;
      valid.label = vm.label;
      if (ranking) valid.groups = userGroups(vm);
    }
  }
  RowTrainSet train{&tm.x, tm.label, ranking ? userGroups(tm) : std::vector<std::uint32_t>{}};
  TaskContext fit(ctx, 0.2, 1.0);
  scorer.train(train, valid, data.seed, data.threads, fit);
  return tm.x.rows();
}

std::vector<FeatureImportance> computeImportance(const FeaturePipeline& pipeline,
                                                 const RowScorer& scorer,
                                                 const SparseMatrix& sample) {
  return computeImportance(pipeline.featureNames(), scorer, sample);
}

std::vector<FeatureImportance> computeImportance(const std::vector<std::string>& names,
                                                 const RowScorer& scorer,
                                                 const SparseMatrix& sample) {
  const std::size_t dim = names.size();
  std::vector<double> sumAbs(dim, 0.0);
  std::vector<std::pair<std::uint32_t, double>> c;
  for (std::size_t r = 0; r < sample.rows(); ++r) {
    c.clear();
    scorer.contributions(sample.row(r), dim, c);
    for (auto [idx, v] : c) sumAbs[idx] += std::abs(v);
  }
  const auto gains = scorer.gains(dim);
  std::vector<FeatureImportance> out;
  for (std::size_t f = 0; f < dim; ++f) {
    const double g = f < gains.size() ? gains[f] : 0.0;
    if (sumAbs[f] == 0.0 && g == 0.0) continue;
    out.push_back(
        {names[f], sample.rows() ? sumAbs[f] / static_cast<double>(sample.rows()) : 0.0, g});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.meanAbsContribution != b.meanAbsContribution
               ? a.meanAbsContribution > b.meanAbsContribution
               : a.feature < b.feature;
  });
  return out;
}

void saveImportance(BinaryWriter& out, const std::vector<FeatureImportance>& imp) {
  out.put<std::uint64_t>(imp.size());
  for (const auto& f : imp) {
    out.putString(f.feature);
    out.put(f.meanAbsContribution);
    out.put(f.gain);
  }
}

std::vector<FeatureImportance> loadImportance(BinaryReader& in) {
  const auto scope = in.scope("importance");
  const auto n = in.get<std::uint64_t>("size");
  in.check(n <= in.remaining() / 24, "importance list length out of range");
  std::vector<FeatureImportance> imp(n);
  for (auto& f : imp) {
    f.feature = in.getString("feature");
    f.meanAbsContribution = in.get<double>("mean_abs_contribution");
    f.gain = in.get<double>("gain");
  }
  return imp;
}

Explanation explainRow(const FeaturePipeline& pipeline, const RowScorer& scorer,
                       std::span<const FeatureValue> row) {
  return explainRow(pipeline.featureNames(), scorer, row);
}

Explanation explainRow(const std::vector<std::string>& names, const RowScorer& scorer,
                       std::span<const FeatureValue> row) {
  Explanation e;
  e.outputKind = scorer.outputKind();
  std::vector<std::pair<std::uint32_t, double>> c;
  e.bias = scorer.contributions(row, names.size(), c);
  double total = e.bias;
  for (auto [idx, v] : c) {
    float value = 0.0f;
    for (const auto& f : row) {
      if (f.index == idx) value = f.value;
    }
    e.features.push_back({names.at(idx), value, v});
    total += v;
  }
  std::sort(e.features.begin(), e.features.end(), [](const auto& a, const auto& b) {
    return std::abs(a.contribution) > std::abs(b.contribution);
  });
  // output is the scorer's own margin so that callers can check the decomposition.
  SparseMatrix one;
  one.cols = names.size();
  one.appendRow(row);
  float m = 0.0f;
  scorer.margins(one, std::span<float>(&m, 1));
  e.output = m;
  (void)total;
  return e;
}

void EngagementModel::fitModel(const TrainingData& data, TaskContext& ctx) {
  FeaturePipeline pipeline(FeatureConfig::parse(paramString("features"), "$.params.features"));
  TaskContext pctx(ctx, 0.0, 0.1);
  pipeline.fit(data.train, pctx);
  auto scorer = makeScorer();
  TaskContext tctx(ctx, 0.1, 0.95);
  trainScorerOnPipeline(pipeline, *scorer, data, rankingObjective(), tctx);
  // Importance on a deterministic sample of training pairs (every k-th training interaction).
  const auto& log = data.train.interactions;
  const std::size_t step = std::max<std::size_t>(1, log.size() / 1000);
  std::vector<Index> us, is;
  for (std::size_t r = 0; r < log.size(); r += step) {
    us.push_back(log.user[r]);
    is.push_back(log.item[r]);
  }
  importance_ = computeImportance(pipeline, *scorer, pipeline.pairMatrix(us, is));
  pipeline_ = std::move(pipeline);
  scorer_ = std::move(scorer);
  ctx.progress(1.0, "fitted");
}

void EngagementModel::scoreItems(Index user, std::span<const Index> items,
                                 std::span<float> out) const {
  std::vector<Index> users(items.size(), user);
  const SparseMatrix x = pipeline_.pairMatrix(users, items);
  scorer_->margins(x, out);
}

void EngagementModel::scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                                        std::span<float> out) const {
  scorer_->margins(pipeline_.newUserPairMatrix(user, items), out);
}

bool EngagementModel::scoreIsLogit() const {
  return scorer_ && !rankingObjective() && scorer_->outputKind() == "logit";
}

void EngagementModel::predictProbability(Index user, std::span<const Index> items,
                                         std::span<float> out) const {
  score(user, items, out);
  if (canScoreUser(user)) {
    for (auto& v : out) v = static_cast<float>(1.0 / (1.0 + std::exp(-static_cast<double>(v))));
  }
}

Explanation EngagementModel::explain(Index user, Index item) const {
  if (!isFitted()) throw ModelError(type() + ": explain before fit");
  SparseVector row;
  pipeline_.pairFeatures(user, item, row);
  Explanation e = explainRow(pipeline_, *scorer_, row);
  e.user = user;
  e.item = item;
  return e;
}

void EngagementModel::saveState(BinaryWriter& out) const {
  pipeline_.save(out);
  scorer_->save(out);
  saveImportance(out, importance_);
}

void EngagementModel::loadModelState(BinaryReader& in) {
  FeaturePipeline p = FeaturePipeline::load(in);
  in.check(p.numUsers() == numUsers() && p.numItems() == numItems(),
           "feature pipeline was fitted on other id maps");
  auto s = makeScorer();
  {
    const auto scope = in.scope("scorer");
    s->load(in, p.dim());
  }
  importance_ = loadImportance(in);
  pipeline_ = std::move(p);
  scorer_ = std::move(s);
}

std::size_t EngagementModel::memoryBytes() const {
  return Model::memoryBytes() + (scorer_ ? scorer_->memoryBytes() : 0);
}

}  // namespace rwb
