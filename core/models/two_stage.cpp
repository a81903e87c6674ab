#include "core/models/two_stage.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "core/models/gbdt.h"
#include "core/models/logistic_regression.h"
#include "core/models/param_blocks.h"
#include "core/util/error.h"
#include "core/util/json.h"
#include "core/util/random.h"

namespace rwb {

namespace {
constexpr std::size_t kContextFeatures = 2;

/// Relative distance of a candidate's generator score from the user's best candidate:
/// (top - s) / |top|, 0 for the best; scale-free, so generators refitted on more history
/// (whose scores grow with it) give the re-ranker the same inputs.
float scoreGap(float top, float s) {
  if (!std::isfinite(top) || !std::isfinite(s)) return 1.0f;
  const float d = std::abs(top) > 1e-12f ? (top - s) / std::abs(top) : top - s;
  return std::isfinite(d) ? d : 1.0f;
}

/// Appends the candidate context features (rank in the generator's list, score gap) after the
/// pipeline's features; they are the last two columns, so rows stay sorted.
SparseMatrix withContext(const SparseMatrix& x, std::span<const float> ranks,
                         std::span<const float> gaps) {
  SparseMatrix out;
  out.cols = x.cols + kContextFeatures;
  out.offsets.reserve(x.rows() + 1);
  out.entries.reserve(x.entries.size() + kContextFeatures * x.rows());
  SparseVector row;
  const auto c = static_cast<std::uint32_t>(x.cols);
  for (std::size_t r = 0; r < x.rows(); ++r) {
    const auto in = x.row(r);
    row.assign(in.begin(), in.end());
    row.push_back({c, ranks[r]});
    if (gaps[r] != 0.0f) row.push_back({c + 1, gaps[r]});
    out.appendRow(row);
  }
  return out;
}

/// The candidate context of arbitrary items from the generator's scores of the whole
/// catalogue, `gen` (-infinity for items that are never candidates): the 1-based position each
/// item has in topK(gen, gen.size()) (numItems + 1 for items outside that ranking: -infinity or
/// NaN scores) and its score gap to the top item. Same ranking rule as topK (score descending,
/// ties by item index), found by counting instead of sorting the catalogue: the requested items
/// are sorted best first, and each ranked item of the catalogue adds one to every requested
/// item it beats (a suffix of that order), O(n log m) for m requested items.
void rankContext(std::span<const float> gen, std::span<const Index> items, std::span<float> ranks,
                 std::span<float> gaps) {
  const auto n = static_cast<Index>(gen.size());
  auto ranked = [&](Index i) {
    return gen[i] != -std::numeric_limits<float>::infinity() && !std::isnan(gen[i]);
  };
  auto better = [&](Index a, Index b) { return gen[a] > gen[b] || (gen[a] == gen[b] && a < b); };
  std::vector<Index> req;
  req.reserve(items.size());
  for (Index i : items) {
    if (ranked(i)) req.push_back(i);
  }
  std::sort(req.begin(), req.end(), better);
  req.erase(std::unique(req.begin(), req.end()), req.end());
  // beats[p]: catalogue items whose first beaten requested item is req[p].
  std::vector<std::uint32_t> beats(req.size() + 1, 0);
  Index top = kNoIndex;
  for (Index j = 0; j < n; ++j) {
    if (!ranked(j)) continue;
    if (top == kNoIndex || better(j, top)) top = j;
    const auto p =
        std::partition_point(req.begin(), req.end(), [&](Index r) { return !better(j, r); }) -
        req.begin();
    ++beats[static_cast<std::size_t>(p)];
  }
  // above[q] = catalogue items ranked before req[q] = beats[0] + ... + beats[q].
  std::vector<std::uint32_t> above(req.size());
  std::uint32_t sum = 0;
  for (std::size_t q = 0; q < req.size(); ++q) above[q] = sum += beats[q];
  for (std::size_t k = 0; k < items.size(); ++k) {
    const Index i = items[k];
    if (!ranked(i)) {
      ranks[k] = static_cast<float>(gen.size() + 1);
      gaps[k] = 1.0f;
      continue;
    }
    const auto q =
        static_cast<std::size_t>(std::lower_bound(req.begin(), req.end(), i, better) - req.begin());
    ranks[k] = static_cast<float>(above[q] + 1);
    gaps[k] = scoreGap(gen[top], gen[i]);
  }
}

std::vector<std::string> contextNames(const FeaturePipeline& p) {
  auto names = p.featureNames();
  names.push_back("candidate.rank");
  names.push_back("candidate.score_gap");
  return names;
}
}  // namespace

ModelInfo TwoStage::info() {
  ModelInfo m;
  m.name = "two_stage";
  m.displayName = "Two-stage re-ranker";
  m.family = "hybrid";
  m.description =
      "Top-N candidates from any model, re-ranked by GBDT or logistic regression over features "
      "and the candidate score.";
  m.schema.params = paramList(
      stringParam("candidate_model", "most_popular")
          .describe("Registry name of the candidate generator"),
      jsonTextParam("candidate_params")
          .describe("Parameters of the candidate generator (a JSON object, or its text; empty = "
                    "defaults)"),
      jsonTextParam("score_models")
          .describe("Stacking: more models whose scores are re-ranker features, {registry name: "
                    "parameters} (a JSON object, or its text); each is fitted on the history part "
                    "A like the generator and adds the feature \"score:<name>\". An entry named "
                    "like candidate_model gives the generator its parameters (when "
                    "candidate_params is empty) and no second feature"),
      intParam("candidates", 200)
          .range(1, 100000)
          .searchLogRange(50, 1000)
          .describe("Candidates per user (N)"),
      choiceParam("reranker", "gbdt", {"gbdt", "logistic_regression"})
          .searched()
          .describe("Re-ranking model"),
      floatParam("label_fraction", 0.2)
          .range(0.05, 0.5)
          .searchRange(0.1, 0.4)
          .describe("Share of each user's latest training interactions used as re-ranker labels"),
      choiceParam("label_split", "random", {"random", "temporal"})
          .describe(
              "How each user's label part is held out: a seeded random share (matches random test "
              "splits) or the latest share by timestamp (matches chronological test splits)"),
      featuresParam(),
      logisticL2Param("Logistic re-ranker: L2 penalty")
          .searchedWhen("reranker", {"logistic_regression"}),
      xgbParams("rank:pairwise"));
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
    p = parseJsonField(text, "$.params.candidate_params");
  } else if (!paramString("score_models").empty()) {
    const nlohmann::json j = parseJsonField(paramString("score_models"), "$.params.score_models");
    if (j.is_object() && j.contains(name) && j[name].is_object()) p = j[name];
  }
  return createModel(name, p, "$.params.candidate");
}

std::vector<std::pair<std::string, Params>> TwoStage::scoreModelSpecs() const {
  std::vector<std::pair<std::string, Params>> out;
  const std::string text = paramString("score_models");
  if (text.empty()) return out;
  const nlohmann::json j = parseJsonField(text, "$.params.score_models");
  if (!j.is_object()) {
    throw SpecError("$.params.score_models", "must be an object {model name: parameters}");
  }
  const std::string generator = paramString("candidate_model");
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string where = "$.params.score_models." + it.key();
    if (it.key() == generator) continue;  // the generator's own score is "score:candidate"
    if (it.key() == "two_stage" || it.key() == "candidate") {
      throw SpecError(where, "'" + it.key() + "' cannot be a score model");
    }
    if (!it.value().is_object()) throw SpecError(where, "must be an object of parameters");
    out.emplace_back(it.key(), it.value());
  }
  return out;
}

std::vector<std::shared_ptr<const ModelScoreSource>> TwoStage::addScoreModels(
    FeaturePipeline& pipeline, const Dataset& train, const TrainingData& data,
    TaskContext& ctx) const {
  const auto specs = scoreModelSpecs();
  std::vector<std::shared_ptr<const ModelScoreSource>> out;
  for (std::size_t m = 0; m < specs.size(); ++m) {
    auto model =
        createModel(specs[m].first, specs[m].second, "$.params.score_models." + specs[m].first);
    TaskContext sub(ctx, static_cast<double>(m) / static_cast<double>(specs.size()),
                    static_cast<double>(m + 1) / static_cast<double>(specs.size()));
    sub.setEpochCallback([](int, const EpochMetrics&) { return false; });  // see fitModel
    model->fit({train, nullptr, data.seed, data.threads}, sub);
    out.push_back(std::make_shared<const ModelScoreSource>(std::move(model)));
    pipeline.addScoreSource(specs[m].first, out.back());
  }
  return out;
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
  const bool temporal = paramString("label_split") == "temporal";
  for (Index u = 0; u < byUser.size(); ++u) {
    auto& rows = byUser[u];
    if (temporal) {
      std::stable_sort(rows.begin(), rows.end(),
                       [&](auto a, auto b) { return log.timestamp[a] < log.timestamp[b]; });
    } else {
      // A per-user stream, so the split does not depend on other users or thread counts.
      std::mt19937_64 rng(linearStreamSeed(data.seed, u));
      std::shuffle(rows.begin(), rows.end(), rng);
    }
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

  // 2. Generator on A; pipeline encoders on the whole training set (attributes only, so that
  // training and serving rows share one feature space: a re-ranker trained on one vocabulary
  // and served on another scores noise), behavioural statistics on A only.
  auto candA = makeCandidateModel();
  // Inner fits keep their epochs to themselves: the two_stage's learning curve is the
  // re-ranker's, and a model fitted twice (on A, then on all of train) would repeat its epochs.
  TaskContext c1(ctx, 0.0, 0.2);
  c1.setEpochCallback([](int, const EpochMetrics&) { return false; });
  candA->fit({partA, nullptr, data.seed, data.threads}, c1);
  FeaturePipeline pipeA(cfg);
  TaskContext c2(ctx, 0.2, 0.23);
  pipeA.fit(train, c2);
  TaskContext c2b(ctx, 0.23, 0.25);
  pipeA.refitBehaviour(partA, c2b);
  const auto genA = std::make_shared<const ModelScoreSource>(std::move(candA));
  pipeA.addScoreSource("candidate", genA);
  // Stacking: the other models' scores, fitted on A like the generator (never on B's labels).
  TaskContext c2c(ctx, 0.25, 0.4);
  addScoreModels(pipeA, partA, data, c2c);

  // 3. Re-ranker rows: exactly what serving sees, i.e. each labelled user's top-N candidates
  // of the generator fitted on A (with their rank), label = engaged in B. Users whose
  // candidates contain no positive teach a ranker nothing and are skipped.
  std::vector<std::vector<Index>> positives(train.numUsers());
  for (auto r : rowsB) {
    if (pipeA.isPositive(log, r)) positives[log.user[r]].push_back(log.item[r]);
  }
  std::vector<Index> us, is;
  std::vector<float> labels, ranks, gaps;
  std::vector<std::uint32_t> groups;
  for (Index u = 0; u < train.numUsers(); ++u) {
    auto& pos = positives[u];
    if (pos.empty()) continue;
    std::sort(pos.begin(), pos.end());
    pos.erase(std::unique(pos.begin(), pos.end()), pos.end());
    const auto cand = genA->model().recommend(u, n, true).items;
    std::size_t npos = 0;
    for (const auto& c : cand) npos += std::binary_search(pos.begin(), pos.end(), c.item);
    if (npos == 0 || npos == cand.size()) continue;
    for (std::size_t k = 0; k < cand.size(); ++k) {
      us.push_back(u);
      is.push_back(cand[k].item);
      labels.push_back(std::binary_search(pos.begin(), pos.end(), cand[k].item) ? 1.0f : 0.0f);
      ranks.push_back(static_cast<float>(k + 1));
      gaps.push_back(scoreGap(cand.front().score, cand[k].score));
    }
    groups.push_back(static_cast<std::uint32_t>(cand.size()));
    if ((u & 63) == 0) ctx.throwIfStopped();
  }
  if (labels.empty()) {
    throw ModelError(
        "two_stage: no held-out positive among the generator's candidates (too few interactions "
        "per user, or a label configuration that leaves no positives)");
  }
  const SparseMatrix x = withContext(pipeA.pairMatrix(us, is), ranks, gaps);
  auto scorer = makeScorer();
  TaskContext c3(ctx, 0.4, 0.8);
  scorer->train({&x, labels, ranking ? groups : std::vector<std::uint32_t>{}}, {}, data.seed,
                data.threads, c3);
  // Importance on the re-ranker's own rows (a deterministic sample).
  SparseMatrix sample;
  sample.cols = x.cols;
  const std::size_t step = std::max<std::size_t>(1, x.rows() / 1000);
  for (std::size_t r = 0; r < x.rows(); r += step) sample.appendRow(x.row(r));
  auto importance = computeImportance(contextNames(pipeA), *scorer, sample);

  // 4. Serving: generator and behavioural statistics on the whole training set, same encoders.
  auto cand = makeCandidateModel();
  TaskContext c4(ctx, 0.8, 0.88);
  c4.setEpochCallback([](int, const EpochMetrics&) { return false; });
  cand->fit({train, nullptr, data.seed, data.threads}, c4);
  TaskContext c5(ctx, 0.88, 0.9);
  pipeA.refitBehaviour(train, c5);
  auto generator = std::make_shared<const ModelScoreSource>(std::move(cand));
  pipeA.addScoreSource("candidate", generator);
  TaskContext c6(ctx, 0.9, 1.0);
  auto stacked = addScoreModels(pipeA, train, data, c6);
  pipeline_ = std::move(pipeA);
  generator_ = std::move(generator);
  stacked_ = std::move(stacked);
  scorer_ = std::move(scorer);
  importance_ = std::move(importance);
}

std::vector<float> TwoStage::generatorScores(const PairUser& user) const {
  // Not candidateModel().recommend(): Model::recommend keeps its score buffer in a thread_local
  // shared by all models, and this function may run inside recommend(). score() and not the
  // models' scoreAllItems(): score() is what the pipeline's "score:candidate" feature has always
  // held (and what training saw), and a model's dense path may round differently.
  std::vector<Index> all(numItems());
  std::iota(all.begin(), all.end(), Index{0});
  std::vector<float> gen(numItems());
  if (user.isNew()) {
    candidateModel().scoreNewUser(*user.newUser(), all, gen);
  } else {
    candidateModel().score(user.index(), all, gen);
  }
  return gen;
}

void TwoStage::maskNonCandidates(const PairUser& user, std::span<float> gen) const {
  constexpr float kNegInf = -std::numeric_limits<float>::infinity();
  if (user.isNew()) {
    for (Index i : user.newUser()->history) {
      if (i < numItems()) gen[i] = kNegInf;
    }
  } else {
    for (Index i : seenItems(user.index())) gen[i] = kNegInf;
  }
}

std::vector<ScoredItem> TwoStage::candidates(const PairUser& user) const {
  if (!scorer_) throw ModelError("two_stage: the model is not fitted");
  auto gen = generatorScores(user);
  maskNonCandidates(user, gen);
  return topK(gen, static_cast<std::size_t>(paramInt("candidates")));
}

SparseMatrix TwoStage::candidateRows(const PairUser& user, std::span<const ScoredItem> cand) const {
  // Candidates are never masked, so their ranked scores are the generator's own values: the
  // pipeline takes them instead of calling the generator a second time.
  std::vector<Index> items(cand.size());
  std::vector<float> gen(cand.size()), ranks(cand.size()), gaps(cand.size());
  for (std::size_t k = 0; k < cand.size(); ++k) {
    items[k] = cand[k].item;
    gen[k] = cand[k].score;
    ranks[k] = static_cast<float>(k + 1);
    gaps[k] = scoreGap(cand.front().score, cand[k].score);
  }
  const KnownScores known[1] = {{0, gen}};
  return withContext(pipeline_.userPairMatrix(user, items, known), ranks, gaps);
}

SparseMatrix TwoStage::rerankRows(const PairUser& user, std::span<const Index> items) const {
  if (!scorer_) throw ModelError("two_stage: the model is not fitted");
  for (Index i : items) {
    if (i >= numItems()) {
      throw ModelError("two_stage: item index " + std::to_string(i) + " out of range (" +
                       std::to_string(numItems()) + " items)");
    }
  }
  auto gen = generatorScores(user);
  // The feature holds the generator's score even for items that are never candidates.
  std::vector<float> raw(items.size());
  for (std::size_t k = 0; k < items.size(); ++k) raw[k] = gen[items[k]];
  maskNonCandidates(user, gen);
  std::vector<float> ranks(items.size()), gaps(items.size());
  rankContext(gen, items, ranks, gaps);
  const KnownScores known[1] = {{0, raw}};
  return withContext(pipeline_.userPairMatrix(user, items, known), ranks, gaps);
}

void TwoStage::scoreCandidates(const PairUser& user, std::span<float> out) const {
  std::fill(out.begin(), out.end(), -std::numeric_limits<float>::infinity());
  const auto cand = candidates(user);
  if (cand.empty()) return;
  std::vector<float> s(cand.size());
  scorer_->margins(candidateRows(user, cand), s);
  for (std::size_t k = 0; k < cand.size(); ++k) out[cand[k].item] = s[k];
}

void TwoStage::scoreItems(Index user, std::span<const Index> items, std::span<float> out) const {
  scorer_->margins(rerankRows(PairUser::known(user), items), out);
}

void TwoStage::scoreAllItems(Index user, std::span<float> out) const {
  scoreCandidates(PairUser::known(user), out);
}

void TwoStage::scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                                 std::span<float> out) const {
  scorer_->margins(rerankRows(PairUser::fresh(user), items), out);
}

void TwoStage::scoreAllNewUserItems(const NewUser& user, std::span<float> out) const {
  scoreCandidates(PairUser::fresh(user), out);
}

bool TwoStage::scoreIsLogit() const {
  return scorer_ && scorer_->outputKind() == "logit" &&
         !(paramString("reranker") == "gbdt" && paramString("objective") != "binary:logistic");
}

Explanation TwoStage::explain(Index user, Index item) const {
  if (!scorer_) throw ModelError("two_stage: explain before fit");
  if (user >= numUsers() || item >= numItems()) {
    throw ModelError("two_stage: pair (" + std::to_string(user) + ", " + std::to_string(item) +
                     ") out of range");
  }
  const Index it[1] = {item};
  const SparseMatrix x = rerankRows(PairUser::known(user), it);
  Explanation e = explainRow(contextNames(pipeline_), *scorer_, x.row(0));
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
  in.check(p.numScoreSources() == 1 + scoreModelSpecs().size(),
           "two_stage needs its candidate model and one source per score model");
  auto generator = ModelScoreSource::fromBytes(p.savedScoreSource(0));
  p.bindScoreSource(0, generator);
  std::vector<std::shared_ptr<const ModelScoreSource>> stacked;
  for (std::size_t i = 1; i < p.numScoreSources(); ++i) {
    stacked.push_back(ModelScoreSource::fromBytes(p.savedScoreSource(i)));
    p.bindScoreSource(i, stacked.back());
  }
  auto s = makeScorer();
  {
    const auto scope = in.scope("scorer");
    s->load(in, p.dim() + kContextFeatures);
  }
  importance_ = loadImportance(in);
  pipeline_ = std::move(p);
  generator_ = std::move(generator);
  stacked_ = std::move(stacked);
  scorer_ = std::move(s);
}

std::size_t TwoStage::memoryBytes() const {
  std::size_t bytes = Model::memoryBytes() + (scorer_ ? scorer_->memoryBytes() : 0) +
                      (generator_ ? candidateModel().memoryBytes() : 0);
  for (const auto& m : stacked_) bytes += m->model().memoryBytes();
  return bytes;
}

}  // namespace rwb
