// bench_features: speed and quality figures of the feature pipeline and the content/hybrid
// models (issue 6). Run from the repository root (reads ../shared/data):
//   ./build/tests/bench/bench_features speed      training matrix, 200 GBDT rounds, re-rank 1,000
//   ./build/tests/bench/bench_features cold [model...]   cold-start item splits, 5 seeds
//   ./build/tests/bench/bench_features cold-sample [model...]   the same on the sample data
//   ./build/tests/bench/bench_features warm ['{two_stage params}']   two-stage vs its generator
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <string>

#include "core/features/feature_pipeline.h"
#include "core/models/explanation.h"
#include "core/models/gbdt.h"
#include "core/models/registry.h"
#include "core/prep/generator.h"
#include "tests/features/engagement_eval.h"
#include "tests/features/movielens_fixture.h"

using namespace rwb;
using Clock = std::chrono::steady_clock;

namespace {
std::filesystem::path dataDir() {
  if (const char* env = std::getenv("RWB_SHARED_DATA")) return env;
  return std::filesystem::path(RWB_SOURCE_DIR) / ".." / "shared" / "data";
}
double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// "name" or "name:{json params}"; the cold-start feature set is the default "features".
std::pair<std::string, Params> modelSpec(const std::string& spec, const char* features) {
  const auto colon = spec.find(':');
  const std::string name = spec.substr(0, colon);
  Params p = colon == std::string::npos ? Params::object() : Params::parse(spec.substr(colon + 1));
  if (!p.contains("features") && name != "most_popular") p["features"] = features;
  return {name, p};
}

// Cold-start item splits of MovieLens-100K (baseline genre+year popularity) or of the sample
// data (`recwb generate` defaults; baseline category+brand popularity).
int cold(const std::vector<std::string>& models, std::uint64_t seeds, bool sample) {
  Dataset d;
  if (sample) {
    TaskContext gctx;
    d = generateRetailDataset(GeneratorOptions{}, gctx).dataset;
  } else {
    d = test::loadMovieLens100k(dataDir() / "ml-100k");
  }
  const char* features = sample ? test::kSampleColdFeatures : test::kMovieLensColdFeatures;
  std::map<std::string, std::vector<double>> means;
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    const test::ColdSplit s = test::coldItemSplit(d, 0.2, seed);
    const std::vector<float> base =
        sample ? test::CategoryPopularity(s.train, {"category", "brand"}).score
               : test::AttributePopularity(s.train).score;
    const auto baseN = test::coldNdcgFn([&](Index, Index i) { return base[i]; }, s);
    std::mt19937 rng(static_cast<unsigned>(seed));
    const auto randN = test::coldNdcgFn(
        [&](Index, Index) { return std::uniform_real_distribution<float>(0, 1)(rng); }, s);
    std::printf(
        "seed %llu: %zu held-out items, %zu test users; random %.4f, attribute popularity %.4f\n",
        static_cast<unsigned long long>(seed), s.heldItems.size(), s.testUsers.size(),
        test::mean(randN), test::mean(baseN));
    means["random"].push_back(test::mean(randN));
    means["attribute_popularity"].push_back(test::mean(baseN));
    for (const auto& spec : models) {
      const auto [name, params] = modelSpec(spec, features);
      auto m = createModel(name, params);
      TaskContext ctx;
      const auto t0 = Clock::now();
      m->fit({s.train, nullptr, seed, 0}, ctx);
      const double fitS = secondsSince(t0);
      const auto n = test::coldNdcg(*m, s);
      const auto pt = test::pairedTTest(n, baseN);
      std::printf(
          "  %-22.22s nDCG@10 %.4f  (vs baseline %+.4f, paired t %.2f, p %.2e)  fit %.1fs\n",
          name.c_str(), test::mean(n), pt.meanDiff, pt.t, pt.p, fitS);
      means[name].push_back(test::mean(n));
    }
    std::fflush(stdout);
  }
  std::printf("mean over %llu seeds:\n", static_cast<unsigned long long>(seeds));
  for (const auto& [name, v] : means) std::printf("  %-22s %.4f\n", name.c_str(), test::mean(v));
  return 0;
}

// Warm: two_stage (params from the command line, JSON) vs its own candidate generator on
// ml-100k-recsplit, nDCG@10 over the test users, paired t-test.
int warm(const std::string& paramsText) {
  const Dataset full = test::loadMovieLens100k(dataDir() / "ml-100k");
  const Dataset train = test::loadRecsplitPart(full, dataDir() / "ml-100k-recsplit" / "train.tsv");
  const Dataset testSet = test::loadRecsplitPart(full, dataDir() / "ml-100k-recsplit" / "test.tsv");
  const Csr truth = testSet.userItemMatrix(true);
  Params p = paramsText.empty() ? Params::object() : Params::parse(paramsText);
  if (!p.contains("candidate_model")) p["candidate_model"] = "sar";
  auto ndcgs = [&](const Model& m) { return test::warmNdcg(m, truth); };
  TaskContext ctx;
  auto gen = createModel(p["candidate_model"].get<std::string>(),
                         p.contains("candidate_params")
                             ? Params::parse(p["candidate_params"].get<std::string>())
                             : Params::object());
  auto t0 = Clock::now();
  auto c0 = std::clock();
  gen->fit({train, nullptr, 42, 0}, ctx);
  std::printf("generator %s fit %.2f s wall, %.2f s CPU\n", gen->type().c_str(), secondsSince(t0),
              static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
  auto two = createModel("two_stage", p);
  t0 = Clock::now();
  c0 = std::clock();
  two->fit({train, nullptr, 42, 0}, ctx);
  std::printf("two_stage %s fit %.2f s wall, %.2f s CPU\n", p.dump().c_str(), secondsSince(t0),
              static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
  if (std::getenv("RWB_BENCH_VERBOSE")) {
    if (const auto* ex = dynamic_cast<const Explainable*>(two.get())) {
      const auto imp = ex->globalImportance();
      for (std::size_t k = 0; k < std::min<std::size_t>(12, imp.size()); ++k)
        std::printf("  importance %-40s mean|c| %.4f gain %.1f\n", imp[k].feature.c_str(),
                    imp[k].meanAbsContribution, imp[k].gain);
      const auto e = ex->explain(0, 3);
      std::printf("explain(0,3): output %.4f bias %.4f\n", e.output, e.bias);
      for (std::size_t k = 0; k < std::min<std::size_t>(8, e.features.size()); ++k)
        std::printf("  %-40s value %.3f contribution %.4f\n", e.features[k].feature.c_str(),
                    e.features[k].value, e.features[k].contribution);
    }
    for (Index u = 0; u < 3; ++u) {
      std::printf("user %u\n  generator:", u);
      for (const auto& r : gen->recommend(u, 10).items) std::printf(" %u:%.3g", r.item, r.score);
      std::printf("\n  two_stage:");
      for (const auto& r : two->recommend(u, 10).items) std::printf(" %u:%.3g", r.item, r.score);
      std::printf("\n");
    }
  }
  const auto a = ndcgs(*gen), b = ndcgs(*two);
  const auto pt = test::pairedTTest(b, a);
  std::printf(
      "nDCG@10 over %zu test users: generator %.4f, two_stage %.4f (diff %+.4f, t %.2f, "
      "p %.2e)\n",
      a.size(), test::mean(a), test::mean(b), pt.meanDiff, pt.t, pt.p);
  return 0;
}

int speed(int argc, char** argv) {
  const Dataset d = test::loadMovieLens100k(dataDir() / "ml-100k");
  FeaturePipeline p(FeatureConfig::parse(test::kMovieLensColdFeatures));
  TaskContext ctx;
  auto t0 = Clock::now();
  auto c0 = std::clock();
  auto cpuSince = [](std::clock_t c) {
    return static_cast<double>(std::clock() - c) / CLOCKS_PER_SEC;
  };
  p.fit(d, ctx);
  const double fitS = secondsSince(t0), fitC = cpuSince(c0);
  // Best of 5 (the machine is shared): wall and process CPU time of each build.
  double buildS = 1e9, buildC = 0;
  TrainingMatrix tm;
  for (int rep = 0; rep < 5; ++rep) {
    t0 = Clock::now();
    c0 = std::clock();
    tm = p.buildTrainingMatrix(d, 1, ctx);
    if (secondsSince(t0) < buildS) {
      buildS = secondsSince(t0);
      buildC = cpuSince(c0);
    }
  }
  std::printf(
      "pipeline fit %.3f s wall (%.3f s CPU); training matrix %zu rows (%zu+, %zu-), %zu "
      "non-zeros, %zu features: %.3f s wall, %.3f s CPU (best of 5)\n",
      fitS, fitC, tm.x.rows(), tm.positives, tm.negatives, tm.x.entries.size(), p.dim(), buildS,
      buildC);
  if (argc > 2 && std::string(argv[2]) == "--no-gbdt") return 0;
  XgbOptions o;
  o.rounds = 200;
  o.earlyStopping = 0;
  XgbScorer scorer(o);
  t0 = Clock::now();
  c0 = std::clock();
  scorer.train({&tm.x, tm.label, {}}, {}, 1, 0, ctx);
  std::printf("200 GBDT rounds (binary:logistic, depth 6, hist): %.2f s wall, %.2f s CPU\n",
              secondsSince(t0), cpuSince(c0));
  // Re-ranking path: 1,000 candidate rows for one user (features + XGBoost margins).
  std::vector<Index> items(1000), users(1000, 0);
  for (std::size_t k = 0; k < items.size(); ++k) items[k] = static_cast<Index>(k);
  std::vector<float> out(items.size());
  double best = 1e9, bestC = 0, bestRows = 1e9;
  for (int rep = 0; rep < 50; ++rep) {
    t0 = Clock::now();
    c0 = std::clock();
    const SparseMatrix rows = p.pairMatrix(users, items);
    bestRows = std::min(bestRows, secondsSince(t0));
    scorer.margins(rows, out);
    if (secondsSince(t0) < best) {
      best = secondsSince(t0);
      bestC = cpuSince(c0);
    }
  }
  std::printf("  of which feature rows: %.3f ms wall (best of 50)\n", 1e3 * bestRows);
  // The margins alone: compiled trees (what margins() uses) against XGBoost's predictor.
  const SparseMatrix rows = p.pairMatrix(users, items);
  double compiledS = 1e9, xgbS = 1e9;
  for (int rep = 0; rep < 50; ++rep) {
    t0 = Clock::now();
    scorer.margins(rows, out);
    compiledS = std::min(compiledS, secondsSince(t0));
    t0 = Clock::now();
    scorer.xgboostMargins(rows, out);
    xgbS = std::min(xgbS, secondsSince(t0));
  }
  std::printf("  margins of 1,000 rows: compiled trees %.3f ms, XGBoost predictor %.3f ms (%s)\n",
              1e3 * compiledS, 1e3 * xgbS,
              scorer.compiled() ? "compiled in use" : scorer.compiledWhyNot().c_str());
  std::printf("re-rank 1,000 candidates for one user: %.3f ms wall, %.3f ms CPU (best of 50)\n",
              best * 1e3, bestC * 1e3);
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "speed";
  try {
    if (mode == "cold" || mode == "cold-sample") {
      std::vector<std::string> models;
      std::uint64_t seeds = 5;
      for (int k = 2; k < argc; ++k) {
        if (std::string(argv[k]) == "--seeds" && k + 1 < argc) {
          seeds = std::stoull(argv[++k]);
        } else {
          models.push_back(argv[k]);
        }
      }
      if (models.empty()) models = {"content_similarity", "logistic_regression", "gbdt"};
      return cold(models, seeds, mode == "cold-sample");
    }
    if (mode == "speed") return speed(argc, argv);
    if (mode == "warm") return warm(argc > 2 ? argv[2] : "");
    std::cerr << "usage: bench_features speed|cold [models...]|cold-sample [models...]|warm\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
