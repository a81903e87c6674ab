#include "core/models/two_stage.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/models/gbdt.h"
#include "core/models/logistic_regression.h"
#include "core/util/error.h"

namespace rwb {

ModelInfo TwoStage::info() {
  ModelInfo m;
  m.name = "two_stage";
  m.displayName = "Two-stage re-ranker";
  m.family = "hybrid";
  m.description =
      "Top-N candidates from any model, re-ranked by GBDT or logistic regression over features "
      "and the candidate score.";
  m.schema.params = {
      {"candidate_model",
       ParamType::kString,
       "most_popular",
       {},
       {},
       false,
       {},
       "Registry name of the candidate generator"},
      {"candidate_params",
       ParamType::kString,
       "",
       {},
       {},
       false,
       {},
       "Parameters of the candidate generator (JSON object text; empty = defaults)"},
      {"candidates", ParamType::kInt, 200, 1.0, 100000.0, false, {}, "Candidates per user (N)"},
      {"reranker",
       ParamType::kChoice,
       "gbdt",
       {},
       {},
       false,
       {"gbdt", "logistic_regression"},
       "Re-ranking model"},
      {"label_fraction",
       ParamType::kFloat,
       0.2,
       0.05,
       0.5,
       false,
       {},
       "Share of each user's latest training interactions used as re-ranker labels"},
      {"features",
       ParamType::kString,
       "",
       {},
       {},
       false,
       {},
       "Feature pipeline configuration (JSON text, see docs/features.md)"},
      {"l2", ParamType::kFloat, 1e-4, 0.0, 100.0, true, {}, "Logistic re-ranker: L2 penalty"},
  };
  for (auto& s : xgbParamSpecs()) {
    if (s.name == "objective") s.defaultValue = "rank:pairwise";
    m.schema.params.push_back(std::move(s));
  }
  return m;
}

std::unique_ptr<RowScorer> TwoStage::makeScorer() const {
  if (paramString("reranker") == "gbdt")
    return std::make_unique<XgbScorer>(xgbOptionsFromParams(params()));
  LinearOptions o;
  o.l2 = paramDouble("l2");
  return std::make_unique<LinearScorer>(o);
}

std::unique_ptr<Model> TwoStage::makeCandidateModel() const {
  const std::string name = paramString("candidate_model");
  if (name == "two_stage")
    throw SpecError("$.params.candidate_model", "two_stage cannot nest itself");
  Params p = Params::object();
  const std::string text = paramString("candidate_params");
  if (!text.empty()) {
    try {
      p = Params::parse(text);
    } catch (const nlohmann::json::exception& e) {
      throw SpecError("$.params.candidate_params", std::string("not valid JSON: ") + e.what());
    }
  }
  return createModel(name, p, "$.params.candidate");
}

void TwoStage::fitModel(const TrainingData& data, TaskContext& ctx) {
  const Dataset& train = data.train;
  const auto& log = train.interactions;
  const FeatureConfig cfg = FeatureConfig::parse(paramString("features"), "$.params.features");
  const bool ranking =
      paramString("reranker") == "gbdt" && paramString("objective") != "binary:logistic";
  const auto n = static_cast<std::size_t>(paramInt("candidates"));

  // 1. Per-user temporal split of the training interactions into history A and labels B.
  std::vector<std::vector<std::uint32_t>> byUser(train.numUsers());
  for (std::uint32_t r = 0; r < log.size(); ++r) byUser[log.user[r]].push_back(r);
  std::vector<std::uint32_t> rowsA, rowsB;
  const double frac = paramDouble("label_fraction");
  for (auto& rows : byUser) {
    std::stable_sort(rows.begin(), rows.end(),
                     [&](auto a, auto b) { return log.timestamp[a] < log.timestamp[b]; });
    const auto nb =
        rows.size() >= 2
            ? static_cast<std::size_t>(std::floor(frac * static_cast<double>(rows.size())))
            : 0;
    rowsA.insert(rowsA.end(), rows.begin(), rows.end() - static_cast<std::ptrdiff_t>(nb));
    rowsB.insert(rowsB.end(), rows.end() - static_cast<std::ptrdiff_t>(nb), rows.end());
  }
  std::sort(rowsA.begin(), rowsA.end());
  if (rowsB.empty())
    throw ModelError("two_stage: too few interactions per user to hold out labels");
  const Dataset partA = train.withRows(rowsA);

  // 2. Generator and pipeline on A.
  auto candA = makeCandidateModel();
  TaskContext c1(ctx, 0.0, 0.2);
  candA->fit({partA, nullptr, data.seed, data.threads}, c1);
  FeaturePipeline pipeA(cfg);
  TaskContext c2(ctx, 0.2, 0.25);
  pipeA.fit(partA, c2);
  pipeA.addScoreModel("candidate", std::move(candA));

  // 3. Re-ranker rows: each labelled user's candidates (+ missed positives), label = in B.
  std::vector<std::vector<Index>> positives(train.numUsers());
  for (auto r : rowsB) {
    if (pipeA.isPositive(log, r)) positives[log.user[r]].push_back(log.item[r]);
  }
  std::vector<Index> us, is;
  std::vector<float> labels;
  std::vector<std::uint32_t> groups;
  for (Index u = 0; u < train.numUsers(); ++u) {
    auto& pos = positives[u];
    if (pos.empty()) continue;
    std::sort(pos.begin(), pos.end());
    pos.erase(std::unique(pos.begin(), pos.end()), pos.end());
    std::vector<Index> cand;
    for (const auto& s : pipeA.scoreModel(0).recommend(u, n, true).items) cand.push_back(s.item);
    std::vector<Index> sortedCand = cand;
    std::sort(sortedCand.begin(), sortedCand.end());
    for (Index i : pos) {
      if (!std::binary_search(sortedCand.begin(), sortedCand.end(), i)) cand.push_back(i);
    }
    std::size_t npos = 0;
    for (Index i : cand) {
      const bool y = std::binary_search(pos.begin(), pos.end(), i);
      npos += y;
      us.push_back(u);
      is.push_back(i);
      labels.push_back(y ? 1.0f : 0.0f);
    }
    groups.push_back(static_cast<std::uint32_t>(cand.size()));
    if ((u & 63) == 0) ctx.throwIfStopped();
  }
  if (labels.empty()) throw ModelError("two_stage: no positive labels in the held-out part");
  const SparseMatrix x = pipeA.pairMatrix(us, is);
  auto scorer = makeScorer();
  TaskContext c3(ctx, 0.25, 0.85);
  scorer->train({&x, labels, ranking ? groups : std::vector<std::uint32_t>{}}, {}, data.seed,
                data.threads, c3);
  // Importance on the re-ranker's own rows (a deterministic sample).
  SparseMatrix sample;
  sample.cols = x.cols;
  const std::size_t step = std::max<std::size_t>(1, x.rows() / 1000);
  for (std::size_t r = 0; r < x.rows(); r += step) sample.appendRow(x.row(r));
  auto importance = computeImportance(pipeA, *scorer, sample);

  // 4. Serving: generator and pipeline on the whole training set.
  auto cand = makeCandidateModel();
  TaskContext c4(ctx, 0.85, 0.95);
  cand->fit({train, nullptr, data.seed, data.threads}, c4);
  FeaturePipeline pipe(cfg);
  TaskContext c5(ctx, 0.95, 1.0);
  pipe.fit(train, c5);
  pipe.addScoreModel("candidate", std::move(cand));
  pipeline_ = std::move(pipe);
  scorer_ = std::move(scorer);
  importance_ = std::move(importance);
}

void TwoStage::scoreItems(Index user, std::span<const Index> items, std::span<float> out) const {
  std::vector<Index> users(items.size(), user);
  scorer_->margins(pipeline_.pairMatrix(users, items), out);
}

void TwoStage::scoreAllItems(Index user, std::span<float> out) const {
  const auto n = static_cast<std::size_t>(paramInt("candidates"));
  std::fill(out.begin(), out.end(), -std::numeric_limits<float>::infinity());
  // Not candidateModel().recommend(): Model::recommend keeps its score buffer in a thread_local
  // shared by all models, and this function is already running inside recommend().
  std::vector<Index> all(numItems());
  std::iota(all.begin(), all.end(), Index{0});
  std::vector<float> gen(numItems());
  candidateModel().score(user, all, gen);
  for (Index i : seenItems(user)) gen[i] = -std::numeric_limits<float>::infinity();
  std::vector<Index> cand;
  for (const auto& s : topK(gen, n)) cand.push_back(s.item);
  if (cand.empty()) return;
  std::vector<float> s(cand.size());
  scoreItems(user, cand, s);
  for (std::size_t k = 0; k < cand.size(); ++k) out[cand[k]] = s[k];
}

void TwoStage::scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                                 std::span<float> out) const {
  scorer_->margins(pipeline_.newUserPairMatrix(user, items), out);
}

void TwoStage::scoreAllNewUserItems(const NewUser& user, std::span<float> out) const {
  const auto n = static_cast<std::size_t>(paramInt("candidates"));
  std::fill(out.begin(), out.end(), -std::numeric_limits<float>::infinity());
  std::vector<Index> all(numItems());
  std::iota(all.begin(), all.end(), Index{0});
  std::vector<float> gen(numItems());
  candidateModel().scoreNewUser(user, all, gen);
  for (Index i : user.history) gen[i] = -std::numeric_limits<float>::infinity();
  std::vector<Index> cand;
  for (const auto& s : topK(gen, n)) cand.push_back(s.item);
  if (cand.empty()) return;
  std::vector<float> s(cand.size());
  scoreNewUserItems(user, cand, s);
  for (std::size_t k = 0; k < cand.size(); ++k) out[cand[k]] = s[k];
}

bool TwoStage::scoreIsLogit() const {
  return scorer_ && scorer_->outputKind() == "logit" &&
         !(paramString("reranker") == "gbdt" && paramString("objective") != "binary:logistic");
}

Explanation TwoStage::explain(Index user, Index item) const {
  if (!scorer_) throw ModelError("two_stage: explain before fit");
  SparseVector row;
  pipeline_.pairFeatures(user, item, row);
  Explanation e = explainRow(pipeline_, *scorer_, row);
  e.user = user;
  e.item = item;
  return e;
}

void TwoStage::saveState(BinaryWriter& out) const {
  pipeline_.save(out);
  scorer_->save(out);
  saveImportance(out, importance_);
}

void TwoStage::loadModelState(BinaryReader& in) {
  FeaturePipeline p = FeaturePipeline::load(in);
  in.check(p.numUsers() == numUsers() && p.numItems() == numItems(),
           "feature pipeline was fitted on other id maps");
  in.check(p.numScoreModels() == 1, "two_stage needs exactly one candidate model");
  auto s = makeScorer();
  s->load(in, p.dim());
  importance_ = loadImportance(in);
  pipeline_ = std::move(p);
  scorer_ = std::move(s);
}

std::size_t TwoStage::memoryBytes() const {
  return Model::memoryBytes() + (scorer_ ? scorer_->memoryBytes() : 0) +
         (pipeline_.numScoreModels() ? candidateModel().memoryBytes() : 0);
}

}  // namespace rwb
