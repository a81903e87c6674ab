// The "auto" search: default spaces, Hyperband over epochs, TPE, the shared budget, and the
// reproducibility of its trials.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/experiment/runner.h"
#include "core/util/error.h"
#include "experiment_test_support.h"

using namespace rwb;
using nlohmann::json;

namespace {

json syntheticSpec(const test::TempDir& dir) {
  test::writeSyntheticLog(dir / "log.tsv", 120, 60, 15);
  return json{{"version", 1},
              {"dataset", {{"path", "log.tsv"}}},
              {"split", {{"method", "recommenders"}, {"ratio", 0.75}, {"by", "user"}, {"seed", 5}}},
              {"models", json::array()},
              {"metrics", {{"k", 5}, {"names", {"precision", "recall", "ndcg", "map"}}}},
              {"threads", 2}};
}

// The test model with a default space over alpha (>= 0.5 ranks well) and epochs as resource.
ModelInfo searchableTestInfo() {
  ModelInfo m = test::testIterativeInfo();
  SearchDomain d;
  d.min = 0.0;
  d.max = 1.0;
  m.schema.params[1].search = d;
  return m;
}

// A model that ranks by popularity when trained for at most 3 epochs and by reversed popularity
// beyond: its best (configuration, epochs) pair is found at a low rung only.
class PeakingModel final : public Model {
 public:
  explicit PeakingModel(Params p) : Model(std::move(p)) {}
  std::string type() const override { return "test_peaking"; }
  bool canScoreUser(Index) const override { return true; }

 protected:
  void fitModel(const TrainingData& data, TaskContext&) override {
    const bool early = paramInt("epochs") <= 3;
    scores_.assign(numItems(), 0.0f);
    for (auto i : data.train.interactions.item) scores_[i] += early ? 1.0f : -1.0f;
  }
  void scoreItems(Index, std::span<const Index> items, std::span<float> out) const override {
    for (std::size_t j = 0; j < items.size(); ++j) out[j] = scores_[items[j]];
  }
  void saveState(BinaryWriter& out) const override { out.putVector(scores_); }
  void loadModelState(BinaryReader& in) override { scores_ = in.getVector<float>("scores"); }

 private:
  std::vector<float> scores_;
};

ModelInfo peakingInfo() {
  ModelInfo m = searchableTestInfo();
  m.name = "test_peaking";
  m.create = [](const Params& p) -> std::unique_ptr<Model> {
    return std::make_unique<PeakingModel>(p);
  };
  return m;
}

}  // namespace

TEST_CASE("auto: the winner is a (configuration, epochs) pair, not the best at the top rung",
          "[experiment][search][auto]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["tuning"] = {{"budget_seconds", 600}, {"trials", 9}};
  doc["models"] = {{{"name", "test_peaking"}, {"search", "auto"}}};
  const ModelInfo info = peakingInfo();
  RunnerOptions opt;
  opt.lookup = test::lookupWith(&info);
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path(), opt.lookup);
  TaskContext ctx;
  const ExperimentResult r = runExperiment(spec, opt, ctx);
  REQUIRE(r.runs[0].status == RunStatus::kOk);
  const SearchHistory& h = *r.runs[0].search;
  // One bracket: 9 configurations at 1 epoch, 3 at 3, 1 at 9 (where the model is worse).
  REQUIRE(h.trials.size() == 13);
  CHECK(h.trials.back().budget == 9);
  CHECK(h.trials.back().score < h.trials.front().score);
  // The winner keeps its low epochs (ties prefer the larger budget: 3), and so does the refit.
  CHECK(h.best["epochs"] == 3);
  CHECK(h.bestScore == h.trials.front().score);
  CHECK(r.runs[0].params["epochs"] == 3);
}

TEST_CASE("auto: the same spec, seed and threads give the same trials",
          "[experiment][search][auto]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["tuning"] = {{"budget_seconds", 600}, {"trials", 6}};
  doc["models"] = {{{"name", "ials"}, {"params", {{"factors", 8}}}, {"search", "auto"}},
                   {{"name", "rp3beta"}, {"search", "auto"}}};
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path());
  TaskContext c1, c2;
  const ExperimentResult a = runExperiment(spec, {}, c1);
  const ExperimentResult b = runExperiment(spec, {}, c2);
  for (std::size_t r = 0; r < 2; ++r) {
    INFO(a.runs[r].name << " " << a.runs[r].error);
    REQUIRE(a.runs[r].status == RunStatus::kOk);
    REQUIRE(b.runs[r].status == RunStatus::kOk);
    const SearchHistory& ha = *a.runs[r].search;
    const SearchHistory& hb = *b.runs[r].search;
    CHECK(ha.method == "auto");
    CHECK(ha.stoppedBy == "trials");
    REQUIRE(ha.trials.size() == hb.trials.size());
    int configs = 0;
    for (std::size_t t = 0; t < ha.trials.size(); ++t) {
      CHECK(ha.trials[t].params == hb.trials[t].params);
      CHECK(ha.trials[t].score == hb.trials[t].score);
      CHECK(ha.trials[t].rung == hb.trials[t].rung);
      configs = std::max(configs, ha.trials[t].config + 1);
    }
    CHECK(configs == 6);
    CHECK(ha.best == hb.best);
    CHECK(a.runs[r].metrics == b.runs[r].metrics);
  }
  // The first configuration is the model's defaults (besides what the spec sets).
  const SearchHistory& ials = *a.runs[0].search;
  CHECK(ials.trials[0].params["regularization"] == spec.models[0].params["regularization"]);
  // iALS is iterative: 6 configurations at 2 iterations (15 / 9), the best 2 at 5, the best at 15.
  REQUIRE(ials.trials.size() == 9);
  for (std::size_t t = 0; t < 9; ++t) {
    const long long budget = t < 6 ? 2 : t < 8 ? 5 : 15;
    CHECK(ials.trials[t].budget == budget);
    CHECK(ials.trials[t].params["iterations"] == budget);
  }
  // The winner is the best (configuration, iterations) pair of any rung, refitted as such.
  double top = -1.0;
  for (const auto& t : ials.trials) top = std::max(top, t.score);
  CHECK(ials.bestScore == top);
  bool pairFound = false;
  for (const auto& t : ials.trials) {
    pairFound = pairFound || (t.score == top && t.params == ials.best);
  }
  CHECK(pairFound);
  CHECK(a.runs[0].params["iterations"] == ials.best["iterations"]);
  CHECK(a.runs[0].params["factors"] == ials.best["factors"]);
  // RP3beta is not iterative: every trial is a full fit.
  for (const auto& t : a.runs[1].search->trials) CHECK(t.budget == 0);
  CHECK(a.runs[1].search->trials.size() == 6);
}

TEST_CASE("auto: Hyperband promotes the configurations that rank well and TPE follows them",
          "[experiment][search][auto]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["tuning"] = {{"budget_seconds", 600}, {"trials", 20}};
  doc["models"] = {{{"name", "test_iterative"}, {"params", {{"alpha", 0.1}}}, {"search", "auto"}}};
  const ModelInfo info = searchableTestInfo();
  RunnerOptions opt;
  opt.lookup = test::lookupWith(&info);
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path(), opt.lookup);
  TaskContext ctx;
  const ExperimentResult r = runExperiment(spec, opt, ctx);
  REQUIRE(r.runs[0].status == RunStatus::kOk);
  const SearchHistory& h = *r.runs[0].search;
  // First bracket: 9 configurations at 1 epoch (9 / 9), 3 at 3, 1 at 9.
  REQUIRE(h.trials.size() >= 13);
  for (std::size_t t = 0; t < 13; ++t) {
    CHECK(h.trials[t].budget == (t < 9 ? 1 : t < 12 ? 3 : 9));
  }
  for (std::size_t t = 9; t < 13; ++t) CHECK(h.trials[t].params["alpha"].get<double>() >= 0.5);
  CHECK(h.trials[0].params["alpha"] == 0.1);  // the spec's value comes first
  CHECK(r.runs[0].params["alpha"].get<double>() >= 0.5);
  CHECK(r.runs[0].params["epochs"] == 9);
  // After the random start, TPE proposes mostly from the good region.
  int good = 0, proposed = 0;
  for (const auto& t : h.trials) {
    if (t.rung != 0 || t.config < 10) continue;
    ++proposed;
    good += t.params["alpha"].get<double>() >= 0.5;
  }
  REQUIRE(proposed >= 5);
  CHECK(good * 4 >= proposed * 3);
}

TEST_CASE("auto: the time budget ends the search", "[experiment][search][auto]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["tuning"] = {{"budget_seconds", 0.001}};
  doc["models"] = {{{"name", "test_iterative"}, {"search", "auto"}},
                   {{"name", "most_popular"}, {"search", "auto"}}};
  const ModelInfo info = searchableTestInfo();
  RunnerOptions opt;
  opt.lookup = test::lookupWith(&info);
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path(), opt.lookup);
  TaskContext ctx;
  const ExperimentResult r = runExperiment(spec, opt, ctx);
  for (const auto& run : r.runs) {
    INFO(run.name << " " << run.error);
    REQUIRE(run.status == RunStatus::kOk);
    CHECK(run.search->stoppedBy == "budget");
    CHECK(run.search->trials.size() >= 1);
    CHECK(run.search->seconds < 5.0);
    CHECK(run.search->budgetSeconds <= 0.001);
  }
}

TEST_CASE("auto: spec and --tune errors are located", "[experiment][search][auto]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["models"] = {{{"name", "ease"}, {"search", "autox"}}};
  CHECK_THROWS_WITH(parseExperimentSpec(doc, dir.path()),
                    Catch::Contains("$.models[0].search") && Catch::Contains("auto"));
  doc["models"] = {{{"name", "test_iterative"}, {"search", "auto"}}};
  const ModelInfo bare = test::testIterativeInfo();  // no default space
  CHECK_THROWS_WITH(
      parseExperimentSpec(doc, dir.path(), test::lookupWith(&bare)),
      Catch::Contains("$.models[0].search") && Catch::Contains("no default search space"));
  doc["models"] = {{{"name", "ease"}}};
  doc["tuning"] = {{"budget_seconds", -1}};
  CHECK_THROWS_WITH(parseExperimentSpec(doc, dir.path()),
                    Catch::Contains("$.tuning.budget_seconds"));
  doc["tuning"] = {{"validation", {{"ratio", 1.5}}}};
  CHECK_THROWS_WITH(parseExperimentSpec(doc, dir.path()),
                    Catch::Contains("$.tuning.validation.ratio"));
  doc["tuning"] = {{"budget", 5}};
  CHECK_THROWS_WITH(parseExperimentSpec(doc, dir.path()), Catch::Contains("$.tuning.budget"));

  // --tune gives every model without a search the auto search and leaves explicit ones alone.
  doc.erase("tuning");
  doc["models"] = {{{"name", "ease"}},
                   {{"name", "most_popular"},
                    {"search", {{"method", "grid"}, {"space", {{"weighted", {false, true}}}}}}}};
  ExperimentSpec spec = parseExperimentSpec(doc, dir.path());
  applyAutoTuning(spec, 42.0);
  CHECK(spec.tuning.budgetSeconds == 42.0);
  REQUIRE(spec.models[0].search);
  CHECK(spec.models[0].search->method == "auto");
  CHECK(spec.models[0].search->space.front().name == "lambda");
  CHECK(spec.models[1].search->method == "grid");
  CHECK_THROWS_WITH(applyAutoTuning(spec, 0.0), Catch::Contains("--tune"));
}

TEST_CASE("auto: a blend's \"auto\" members take the parameters their own searches chose",
          "[experiment][search][auto][blend]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["tuning"] = {{"budget_seconds", 600}, {"trials", 3}};
  doc["models"] = {{{"name", "blend"},
                    {"params", {{"members", {{"rp3beta", "auto"}, {"most_popular", "auto"}}}}},
                    {"search", "auto"}},
                   {{"name", "rp3beta"}, {"search", "auto"}},
                   {{"name", "most_popular"}, {"search", "auto"}}};
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path());
  TaskContext ctx;
  const ExperimentResult r = runExperiment(spec, {}, ctx);
  REQUIRE(r.runs.size() == 3);
  for (const auto& run : r.runs) {
    INFO(run.name << " " << run.error);
    REQUIRE(run.status == RunStatus::kOk);
  }
  const json members = json::parse(r.runs[0].params["members"].get<std::string>());
  CHECK(members["rp3beta"] == r.runs[1].params);
  CHECK(members["most_popular"] == r.runs[2].params);

  // Without the member's search the blend fails, saying why; the others still run.
  doc["models"] = {
      {{"name", "blend"}, {"params", {{"members", {{"ease", "auto"}}}}}, {"search", "auto"}},
      {{"name", "most_popular"}}};
  const ExperimentSpec lone = parseExperimentSpec(doc, dir.path());
  TaskContext ctx2;
  const ExperimentResult f = runExperiment(lone, {}, ctx2);
  CHECK(f.runs[0].status == RunStatus::kFailed);
  CHECK_THAT(f.runs[0].error, Catch::Contains("auto search of 'ease'"));
  CHECK(f.runs[1].status == RunStatus::kOk);
}

TEST_CASE("auto: a two_stage's \"auto\" score models take their own searches' winners",
          "[experiment][search][auto][two_stage]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["tuning"] = {{"budget_seconds", 600}, {"trials", 2}};
  // Listed first: the stacker is still tuned after the models it stacks.
  doc["models"] = {{{"name", "two_stage"},
                    {"params",
                     {{"candidate_model", "rp3beta"},
                      {"candidates", 20},
                      {"rounds", 10},
                      {"score_models", {{"rp3beta", "auto"}, {"sar", "auto"}}}}},
                    {"search", "auto"}},
                   {{"name", "rp3beta"}, {"search", "auto"}},
                   {{"name", "sar"}, {"search", "auto"}}};
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path());
  TaskContext ctx;
  const ExperimentResult r = runExperiment(spec, {}, ctx);
  REQUIRE(r.runs.size() == 3);
  for (const auto& run : r.runs) {
    INFO(run.name << " " << run.error);
    REQUIRE(run.status == RunStatus::kOk);
  }
  const json members = json::parse(r.runs[0].params["score_models"].get<std::string>());
  CHECK(members["rp3beta"] == r.runs[1].params);
  CHECK(members["sar"] == r.runs[2].params);
  // Its validation score is measured on the same carve as the others'.
  CHECK(r.runs[0].search->validationSplitHash == r.runs[1].search->validationSplitHash);
}

TEST_CASE("auto over a given space: schema order, conditions, the tuning's settings",
          "[experiment][search][auto]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["tuning"] = {{"budget_seconds", 30}, {"trials", 4}, {"validation", {{"ratio", 0.7}}}};
  // Written in another order than the schema's (JSON objects are read sorted by key).
  doc["models"] = {{{"name", "itemknn"},
                    {"search",
                     {{"method", "auto"},
                      {"space",
                       {{"shrink", {{"min", 5}, {"max", 20}}},
                        {"alpha", {{"min", 0.1}, {"max", 0.3}}},
                        {"similarity", {"cosine", "asymmetric_cosine"}}}}}}}};
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path());
  const SearchSpec& s = *spec.models[0].search;
  CHECK(s.method == "auto");
  REQUIRE(s.space.size() == 3);
  CHECK(s.space[0].name == "similarity");
  CHECK(s.space[1].name == "alpha");
  CHECK(s.space[1].whenParam == "similarity");  // the default space's condition is kept
  CHECK(s.space[2].name == "shrink");
  CHECK(s.space[2].whenParam.empty());
  CHECK(s.trials == 4);
  CHECK(s.budgetSeconds == 30.0);
  CHECK(s.validationRatio == Approx(0.7));
  CHECK(s.budgetParam.empty());

  // Without its parent in the space, alpha is searched unconditionally.
  doc["models"][0]["search"]["space"].erase("similarity");
  CHECK(parseExperimentSpec(doc, dir.path()).models[0].search->space[0].whenParam.empty());

  // The trials stay inside the given ranges.
  TaskContext ctx;
  const ExperimentResult r = runExperiment(spec, {}, ctx);
  REQUIRE(r.runs[0].status == RunStatus::kOk);
  REQUIRE(r.runs[0].search);
  CHECK(r.runs[0].search->trials.size() == 4);
  for (const SearchTrial& t : r.runs[0].search->trials) {
    if (&t == &r.runs[0].search->trials.front()) continue;  // the first is the defaults
    CHECK(t.params["shrink"].get<double>() >= 5.0);
    CHECK(t.params["shrink"].get<double>() <= 20.0);
  }

  // Settings of the tuning block belong there; the budget parameter is not searched.
  doc["models"][0]["search"]["trials"] = 3;
  CHECK_THROWS_WITH(parseExperimentSpec(doc, dir.path()),
                    Catch::Contains("$.models[0].search.trials") && Catch::Contains("tuning"));
  doc["models"] = {
      {{"name", "ials"}, {"search", {{"method", "auto"}, {"space", {{"iterations", {5, 10}}}}}}}};
  CHECK_THROWS_WITH(parseExperimentSpec(doc, dir.path()),
                    Catch::Contains("$.models[0].search.space.iterations"));
}

namespace {

// A clock that only the test's models move: the budget accounting is checked without any
// dependence on the machine's speed.
struct FakeClock {
  std::atomic<long long> micros{0};
  double now() const { return static_cast<double>(micros.load()) * 1e-6; }
  void advance(double seconds) { micros += std::llround(seconds * 1e6); }
};

// The test model, whose fit costs "cost" fake seconds per training row and epoch.
class CostlyModel final : public Model {
 public:
  CostlyModel(Params p, FakeClock* clock) : Model(std::move(p)), clock_(clock) {}
  std::string type() const override { return "test_costly"; }
  bool canScoreUser(Index) const override { return true; }

 protected:
  void fitModel(const TrainingData& data, TaskContext&) override {
    clock_->advance(paramDouble("cost") * static_cast<double>(data.train.numInteractions()) *
                    static_cast<double>(paramInt("epochs")));
    if (paramDouble("fail") > 0.7) throw ModelError("test_costly: too few rows for this model");
    if (paramDouble("fail") > 0.5) {
      throw ModelError("test_costly: alpha " + std::to_string(paramDouble("alpha")) + " fails");
    }
    const bool good = paramDouble("alpha") >= 0.5;
    scores_.assign(numItems(), 0.0f);
    for (auto i : data.train.interactions.item) scores_[i] += good ? 1.0f : -1.0f;
  }
  void scoreItems(Index, std::span<const Index> items, std::span<float> out) const override {
    for (std::size_t j = 0; j < items.size(); ++j) out[j] = scores_[items[j]];
  }
  void saveState(BinaryWriter& out) const override { out.putVector(scores_); }
  void loadModelState(BinaryReader& in) override { scores_ = in.getVector<float>("scores"); }

 private:
  FakeClock* clock_;
  std::vector<float> scores_;
};

ModelInfo costlyInfo(FakeClock* clock) {
  ModelInfo m = searchableTestInfo();
  m.name = "test_costly";
  m.schema.params.push_back(
      {"cost", ParamType::kFloat, 0.001, 0.0, 1.0, false, {}, "fake seconds per row and epoch"});
  m.schema.params.push_back(
      {"fail", ParamType::kFloat, 0.0, 0.0, 1.0, false, {}, "> 0.5: every fit fails alike"});
  m.create = [clock](const Params& p) -> std::unique_ptr<Model> {
    return std::make_unique<CostlyModel>(p, clock);
  };
  return m;
}

ExperimentResult runCostly(const json& doc, const test::TempDir& dir, FakeClock& clock) {
  const ModelInfo info = costlyInfo(&clock);
  RunnerOptions opt;
  opt.lookup = test::lookupWith(&info);
  opt.clock = [&clock] { return clock.now(); };
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path(), opt.lookup);
  TaskContext ctx;
  return runExperiment(spec, opt, ctx);
}

}  // namespace

TEST_CASE("auto: the budget bounds the searches and the final fits together",
          "[experiment][search][auto][budget]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["tuning"] = {{"budget_seconds", 120}};
  doc["models"] = {{{"name", "test_costly"}, {"run_name", "cheap"}, {"search", "auto"}},
                   {{"name", "test_costly"},
                    {"run_name", "dear"},
                    {"search", "auto"},
                    {"params", {{"cost", 0.003}}}}};
  FakeClock clock;
  const ExperimentResult r = runCostly(doc, dir, clock);
  REQUIRE(r.runs.size() == 2);
  const double trainRows = static_cast<double>(r.data.train->numInteractions());
  double finalFits = 0.0;
  for (const auto& run : r.runs) {
    INFO(run.name << " " << run.error);
    REQUIRE(run.status == RunStatus::kOk);
    CHECK(run.warnings.empty());
    CHECK(run.search->stoppedBy == "budget");
    CHECK(run.search->trials.size() > 3);
    // The refit estimate is the winning trial's cost scaled by train rows / fit rows: exact
    // for a model whose cost is proportional to its rows.
    const double refit =
        run.params["cost"].get<double>() * trainRows * run.params["epochs"].get<double>();
    CHECK(run.search->refitSecondsEstimate == Approx(refit).epsilon(1e-4));
    // Each search stayed within its share, its own refit included.
    CHECK(run.search->seconds + run.search->refitSecondsEstimate <=
          run.search->budgetSeconds + 1e-3);
    finalFits += refit;
  }
  CHECK(r.finalFitsEstimate == Approx(finalFits).epsilon(1e-4));
  // The fake clock moved only by fits: searches plus final fits, all inside the budget.
  CHECK(r.budgetSeconds == 120.0);
  CHECK(r.seconds <= 120.0 + 1e-3);
  CHECK(r.seconds > 60.0);
  // The share of the first search was half of the budget; the second had what was left.
  CHECK(r.runs[0].search->budgetSeconds == Approx(60.0));
  CHECK(r.runs[1].search->budgetSeconds ==
        Approx(120.0 - r.runs[0].search->seconds - r.runs[0].search->refitSecondsEstimate)
            .margin(1e-3));

  // Time decides how many trials run, not what they are.
  FakeClock again;
  const ExperimentResult r2 = runCostly(doc, dir, again);
  REQUIRE(r2.runs.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const auto& a = r.runs[i].search->trials;
    const auto& b = r2.runs[i].search->trials;
    REQUIRE(a.size() == b.size());
    for (std::size_t t = 0; t < a.size(); ++t) CHECK(a[t].params == b[t].params);
  }
  CHECK(r2.seconds == r.seconds);
}

TEST_CASE("auto: a share too small for one trial and its refit is reported",
          "[experiment][search][auto][budget]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["tuning"] = {{"budget_seconds", 1}};
  doc["models"] = {{{"name", "test_costly"}, {"search", "auto"}}};
  FakeClock clock;
  const ExperimentResult r = runCostly(doc, dir, clock);
  REQUIRE(r.runs.size() == 1);
  const RunRecord& run = r.runs[0];
  INFO(run.error);
  REQUIRE(run.status == RunStatus::kOk);
  // The first trial (1 epoch, the first rung of Hyperband over 9) costs about 1.1 fake seconds
  // on the fit rows, its refit about 1.35: one trial only.
  CHECK(run.search->trials.size() == 1);
  CHECK(run.search->stoppedBy == "budget");
  REQUIRE(run.warnings.size() == 1);
  CHECK_THAT(run.warnings[0],
             Catch::Contains("less than one search trial") && Catch::Contains("share was 1.0 s"));
  // The overshoot is visible in the result.
  CHECK(r.seconds > r.budgetSeconds);
  CHECK(r.seconds == Approx(run.search->seconds + run.search->refitSecondsEstimate).margin(1e-3));
}

TEST_CASE("auto: blends and two_stage models get a larger share of the budget",
          "[experiment][search][auto][budget]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["tuning"] = {{"budget_seconds", 90}, {"trials", 2}};
  doc["models"] = {
      {{"name", "test_costly"}, {"search", "auto"}, {"params", {{"cost", 0.0001}}}},
      {{"name", "blend"},
       {"search", "auto"},
       {"params", {{"members", {{"most_popular", json::object()}, {"sar", json::object()}}}}}}};
  FakeClock clock;
  const ExperimentResult r = runCostly(doc, dir, clock);
  REQUIRE(r.runs.size() == 2);
  INFO(r.runs[0].error << " / " << r.runs[1].error);
  REQUIRE(r.runs[0].status == RunStatus::kOk);
  // The share weights count a blend's members: 1 + 2 against 1 for the other search, so the
  // first search's share is 90 * 1 / (1 + 3).
  CHECK(r.runs[0].search->budgetSeconds == Approx(22.5));
}

TEST_CASE("auto: a search whose first trials all fail alike stops and leaves its time",
          "[experiment][search][auto][budget]") {
  test::TempDir dir;
  json doc = syntheticSpec(dir);
  doc["tuning"] = {{"budget_seconds", 120}};
  doc["models"] = {{{"name", "test_costly"},
                    {"run_name", "broken"},
                    {"search", "auto"},
                    {"params", {{"fail", 1.0}}}},
                   {{"name", "test_costly"}, {"run_name", "fine"}, {"search", "auto"}}};
  FakeClock clock;
  const ExperimentResult r = runCostly(doc, dir, clock);
  REQUIRE(r.runs.size() == 2);
  const RunRecord& broken = r.runs[0];
  REQUIRE(broken.status == RunStatus::kFailed);
  CHECK_THAT(broken.error, Catch::Contains("every search candidate failed") &&
                               Catch::Contains("the search stopped") &&
                               Catch::Contains("too few rows for this model"));
  // Before, the failing search sampled until its half of the budget was gone, and the other
  // search had only the remaining half.
  const RunRecord& fine = r.runs[1];
  REQUIRE(fine.status == RunStatus::kOk);
  CHECK(fine.search->budgetSeconds > 100.0);
  CHECK(r.seconds <= 120.0 + 1e-3);

  // Failures that differ (they depend on the parameters) do not stop a search early: it
  // samples until its share is spent, as before.
  doc["models"][0]["params"]["fail"] = 0.6;
  FakeClock again;
  const ExperimentResult r2 = runCostly(doc, dir, again);
  REQUIRE(r2.runs.size() == 2);
  REQUIRE(r2.runs[0].status == RunStatus::kFailed);
  CHECK_THAT(r2.runs[0].error, !Catch::Contains("the search stopped"));
  CHECK(r2.runs[1].search->budgetSeconds < 90.0);
}
