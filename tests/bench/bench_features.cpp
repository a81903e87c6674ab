// bench_features: speed and quality figures of the feature pipeline and the content/hybrid
// models (issue 6). Run from the repository root (reads ../shared/data):
//   ./build/tests/bench/bench_features speed      training matrix, 200 GBDT rounds, re-rank 1,000
//   ./build/tests/bench/bench_features cold [model...]   cold-start item splits, 5 seeds
//       --validation: measured on validation splits carved from the training items instead
//       --seeds N: split seeds 1..N (default 5); --first-seed F: seeds F..F+N-1
//       ml-100k is read by core's loader and split by core's cold_items splitter, so every
//       seed's figures are those of `recwb run resources/specs/ml100k-coldstart.json`.
//       Diagnostics of the old bench vs spec gap (issue 14): --fixture-load (the test
//       fixture's loader), with it --core-heldout (the items the product holds out, by id) and
//       --core-titles (core's titles, with "(year)"); --fit-seed-offset K (fit seed + K)
//   ./build/tests/bench/bench_features cold-sample [model...]   the same on the sample data
//   ./build/tests/bench/bench_features cold-users [model...]   cold-user splits of ml-100k
//       (default model neighbour_popularity; --seeds N, --first-seed F, --validation as for
//       cold): core's loader, core's cold_users splitter and the spec's demographic_popularity
//       baseline, scored by the runner's new-user path, so every seed's figures are those of
//       `recwb run resources/specs/ml100k-coldusers.json` with split and run seed = that seed
//   ./build/tests/bench/bench_features cold-ens [--validation] model...   cold-item splits: every
//       weighting (simplex grid, step 0.1) of the models' per-user z-scored scores;
//       "name@k:{params}" fits with data seed + 1000 k (a bagging draw)
//   ./build/tests/bench/bench_features warm ['{two_stage params}']   two-stage vs its generator
//   ./build/tests/bench/bench_features twostage ['{two_stage params}'] [--model FILE]
//       scoring speed of a fitted two_stage on ml-100k-recsplit: one user's candidates,
//       recommend-all, where the time goes; --model reuses a saved fit (written if absent)
//   ./build/tests/bench/bench_features engagement ['{gbdt params}'] [--model FILE]
//       recommend-all of a gbdt engagement model: feature-row share of the time
#include <tbb/task_arena.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <numeric>
#include <string>

#include "core/data/dataset_loader.h"
#include "core/features/feature_pipeline.h"
#include "core/models/explanation.h"
#include "core/models/gbdt.h"
#include "core/models/neighbour_popularity.h"
#include "core/models/registry.h"
#include "core/models/two_stage.h"
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
  const ModelInfo* info = findModel(name);
  if (!p.contains("features") && info != nullptr && info->schema.find("features") != nullptr)
    p["features"] = features;
  return {name, p};
}

// MovieLens-100K as `recwb run` reads it (core's loader: the item and user indices, hence the
// split draws, and the attributes are the product's).
Dataset loadCoreMovieLens100k() {
  TaskContext ctx;
  return loadDataset((dataDir() / "ml-100k").string(), DatasetOptions{}, ctx).dataset;
}

// Options of `cold`. The default is the product's protocol; the others reproduce the diagnosis
// of the bench vs spec gap of issue 14 (docs/features.md).
struct ColdOptions {
  bool fixtureLoad = false;  ///< ml-100k through the test fixture (titles without "(year)")
  bool coreHeldOut = false;  ///< with fixtureLoad: the items core's loader + splitter hold out
  bool coreTitles = false;   ///< with fixtureLoad: core's titles (with "(year)")
  std::uint64_t firstSeed = 1;
  std::uint64_t fitSeedOffset = 0;  ///< fit seed = split seed + this
};

// The split of d that holds out the items the product's protocol holds out on `core` (core's
// loader) with the same seed, matched by external id.
test::ColdSplit coreHeldOutSplit(const Dataset& d, const Dataset& core, std::uint64_t seed) {
  std::vector<Index> held;
  for (Index i : test::coldItemSplit(core, 0.2, seed).heldItems) {
    const auto mapped = d.items.find(core.items.external(i));
    if (!mapped) throw std::runtime_error("held-out item unknown to the loaded dataset");
    held.push_back(*mapped);
  }
  return test::coldSplitHolding(d, std::move(held));
}

// Cold-start item splits of MovieLens-100K (baseline genre+year popularity) or of the sample
// data (`recwb generate` defaults; baseline category+brand popularity).
// With `validation`, every figure is measured on the validation split carved from each seed's
// training items (test::coldValidationSplit, 20%): the numbers hyperparameters are chosen on.
int cold(const std::vector<std::string>& models, std::uint64_t seeds, bool sample, bool validation,
         ColdOptions copt = {}) {
  Dataset d;
  if (sample) {
    TaskContext gctx;
    d = generateRetailDataset(GeneratorOptions{}, gctx).dataset;
  } else if (copt.fixtureLoad) {
    d = test::loadMovieLens100k(dataDir() / "ml-100k");
  } else {
    d = loadCoreMovieLens100k();
  }
  const char* features = sample ? test::kSampleColdFeatures : test::kMovieLensColdFeatures;
  Dataset coreLoaded;
  if (copt.fixtureLoad && (copt.coreHeldOut || copt.coreTitles))
    coreLoaded = loadCoreMovieLens100k();
  if (copt.fixtureLoad && copt.coreTitles) {
    AttributeColumn* mine = d.itemAttributes.find("title");
    const AttributeColumn* theirs = coreLoaded.itemAttributes.find("title");
    for (Index i = 0; i < d.numItems(); ++i)
      mine->text[i] = theirs->text[*coreLoaded.items.find(d.items.external(i))];
  }
  std::map<std::string, std::vector<double>> means;
  for (std::uint64_t seed = copt.firstSeed; seed < copt.firstSeed + seeds; ++seed) {
    const test::ColdSplit outer = copt.fixtureLoad && copt.coreHeldOut
                                      ? coreHeldOutSplit(d, coreLoaded, seed)
                                      : test::coldItemSplit(d, 0.2, seed);
    const test::ColdSplit s = validation ? test::coldValidationSplit(outer, 0.2, seed) : outer;
    {
      const auto counts = d.itemCounts();
      std::size_t rows = 0;
      for (Index i : s.heldItems) rows += counts[i];
      std::vector<std::uint32_t> c;
      for (Index i : s.heldItems) c.push_back(counts[i]);
      std::sort(c.begin(), c.end());
      std::printf(
          "seed %llu: held-out rows %zu (%.1f%%), item popularity median %u, p90 %u, max %u\n",
          static_cast<unsigned long long>(seed), rows,
          100.0 * static_cast<double>(rows) / static_cast<double>(d.numInteractions()),
          c.empty() ? 0u : c[c.size() / 2], c.empty() ? 0u : c[c.size() * 9 / 10],
          c.empty() ? 0u : c.back());
    }
    const std::vector<float> base =
        sample ? test::CategoryPopularity(s.train, {"category", "brand"}).score
               : test::AttributePopularity(s.train).score;
    const auto baseN = test::coldNdcgFn([&](Index, Index i) { return base[i]; }, s);
    std::mt19937 rng(static_cast<unsigned>(seed));
    const auto randN = test::coldNdcgFn(
        [&](Index, Index) { return std::uniform_real_distribution<float>(0, 1)(rng); }, s);
    std::printf(
        "seed %llu%s: %zu held-out items, %zu test users; random %.4f, attribute popularity "
        "%.4f\n",
        static_cast<unsigned long long>(seed), validation ? " (validation)" : "",
        s.heldItems.size(), s.testUsers.size(), test::mean(randN), test::mean(baseN));
    means["random"].push_back(test::mean(randN));
    means["attribute_popularity"].push_back(test::mean(baseN));
    for (const auto& spec : models) {
      const auto [name, params] = modelSpec(spec, features);
      auto m = createModel(name, params);
      TaskContext ctx;
      const auto t0 = Clock::now();
      const auto c0 = std::clock();
      m->fit({s.train, nullptr, seed + copt.fitSeedOffset, 0}, ctx);
      const auto n = test::coldNdcg(*m, s);
      const double wallS = secondsSince(t0);
      const double cpuS = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
      const auto pt = test::pairedTTest(n, baseN);
      std::printf(
          "  %-22.22s nDCG@10 %.4f  (vs baseline %+.4f, paired t %.2f, p %.2e)  fit+eval %.1f s "
          "wall, %.1f s CPU\n",
          spec.c_str(), test::mean(n), pt.meanDiff, pt.t, pt.p, wallS, cpuS);
      means[spec].push_back(test::mean(n));
    }
    std::fflush(stdout);
  }
  std::printf("mean over %llu seeds:\n", static_cast<unsigned long long>(seeds));
  for (const auto& [name, v] : means) std::printf("  %.4f  %s\n", test::mean(v), name.c_str());
  return 0;
}

// Cold users: the protocol of `recwb run resources/specs/ml100k-coldusers.json` with split and
// run seed = the bench's seed: ml-100k by core's loader, 20% of the users held out by core's
// cold_users splitter, each scored as a new user from attributes alone over the whole catalogue
// by the runner's new-user path; baseline = the spec's demographic_popularity (age decade x
// gender). Every model is fitted with fit seed = split seed. Per model: paired t against the
// baseline per seed, and over the per-user differences of all seeds pooled (the splits share
// users and training data, so the pooled figure is an indication, not a test).
int coldUsers(const std::vector<std::string>& models, std::uint64_t seeds, bool validation,
              std::uint64_t firstSeed) {
  const Dataset d = loadCoreMovieLens100k();
  std::map<std::string, std::vector<double>> means;
  std::map<std::string, std::pair<std::vector<double>, std::vector<double>>> pooled;
  for (std::uint64_t seed = firstSeed; seed < firstSeed + seeds; ++seed) {
    const test::ColdUserSplit outer = test::coldUserSplit(d, 0.2, seed);
    const test::ColdUserSplit s =
        validation ? test::coldUserValidationSplit(outer, 0.2, seed) : outer;
    auto base = createModel(test::kColdUserBaseline, test::coldUserBaselineParams());
    TaskContext bctx;
    base->fit({s.train, nullptr, seed, 0}, bctx);
    const auto baseN = test::coldUserNdcg(*base, s);
    std::printf("seed %llu%s: %zu held-out users; demographic_popularity %.4f\n",
                static_cast<unsigned long long>(seed), validation ? " (validation)" : "",
                s.testUsers.size(), test::mean(baseN));
    means[std::string(test::kColdUserBaseline) + " (baseline)"].push_back(test::mean(baseN));
    for (const auto& spec : models) {
      const auto [name, params] = modelSpec(spec, test::kMovieLensColdUserFeatures);
      auto m = createModel(name, params);
      TaskContext ctx;
      const auto t0 = Clock::now();
      const auto c0 = std::clock();
      m->fit({s.train, nullptr, seed, 0}, ctx);
      const auto n = test::coldUserNdcg(*m, s);
      if (const auto* np = dynamic_cast<const NeighbourPopularity*>(m.get())) {
        std::printf("  kernel (tuned %.4f, untuned %.4f):", np->tunedNdcg(), np->untunedNdcg());
        for (std::size_t c = 0; c < np->columns().size(); ++c)
          std::printf(" %s %g", np->columns()[c].c_str(), np->kernel()[c]);
        std::printf("\n");
      }
      const double wallS = secondsSince(t0);
      const double cpuS = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
      const auto pt = test::pairedTTest(n, baseN);
      std::printf(
          "  %-22.22s nDCG@10 %.4f  (vs baseline %+.4f, paired t %.2f, p %.2e)  fit+eval %.1f s "
          "wall, %.1f s CPU\n",
          spec.c_str(), test::mean(n), pt.meanDiff, pt.t, pt.p, wallS, cpuS);
      means[spec].push_back(test::mean(n));
      auto& [pm, pb] = pooled[spec];
      pm.insert(pm.end(), n.begin(), n.end());
      pb.insert(pb.end(), baseN.begin(), baseN.end());
    }
    std::fflush(stdout);
  }
  std::printf("mean over %llu seeds:\n", static_cast<unsigned long long>(seeds));
  for (const auto& [name, v] : means) std::printf("  %.4f  %s\n", test::mean(v), name.c_str());
  for (const auto& [name, v] : pooled) {
    const auto pt = test::pairedTTest(v.first, v.second);
    std::printf(
        "pooled over seeds (%zu per-user differences; the splits share users: an indication "
        "only): %s vs baseline %+.4f, paired t %.2f, p %.2e\n",
        v.first.size(), name.c_str(), pt.meanDiff, pt.t, pt.p);
  }
  return 0;
}

// Ensembles on cold-item splits (measurement): every model is fitted once per seed; per test
// user its scores over the held-out items are z-scored; every weight vector of the simplex grid
// (step 0.1) is scored. "name@k:{params}" fits with data seed + 1000 k (bagging draws).
int coldEnsemble(const std::vector<std::string>& models, std::uint64_t seeds, bool validation) {
  const Dataset d = loadCoreMovieLens100k();
  const std::size_t nm = models.size();
  std::vector<std::vector<double>> grid;
  {
    std::function<void(std::vector<int>&, std::size_t, int)> rec = [&](std::vector<int>& cur,
                                                                       std::size_t k, int left) {
      if (k + 1 == nm) {
        cur[k] = left;
        std::vector<double> w(nm);
        for (std::size_t m = 0; m < nm; ++m) w[m] = cur[m] / 10.0;
        grid.push_back(w);
        return;
      }
      for (int v = left; v >= 0; --v) {
        cur[k] = v;
        rec(cur, k + 1, left - v);
      }
    };
    std::vector<int> cur(nm);
    rec(cur, 0, 10);
  }
  std::vector<double> sums(grid.size(), 0.0);
  std::vector<std::vector<double>> perSeed(grid.size());
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    const test::ColdSplit outer = test::coldItemSplit(d, 0.2, seed);
    const test::ColdSplit s = validation ? test::coldValidationSplit(outer, 0.2, seed) : outer;
    const std::vector<float> base = test::AttributePopularity(s.train).score;
    const auto baseN = test::coldNdcgFn([&](Index, Index i) { return base[i]; }, s);
    const std::size_t nh = s.heldItems.size();
    // z[m][t * nh + j]
    std::vector<std::vector<float>> z(nm, std::vector<float>(s.testUsers.size() * nh));
    for (std::size_t m = 0; m < nm; ++m) {
      std::string spec = models[m];
      std::uint64_t bag = 0;
      const auto at = spec.find('@');
      if (at != std::string::npos && at < spec.find(':')) {
        const auto colon = spec.find(':');
        bag = std::stoull(spec.substr(at + 1, colon == std::string::npos ? colon : colon - at - 1));
        spec = spec.substr(0, at) + (colon == std::string::npos ? "" : spec.substr(colon));
      }
      const auto [name, params] = modelSpec(spec, test::kMovieLensColdHybridFeatures);
      auto model = createModel(name, params);
      TaskContext ctx;
      const auto c0 = std::clock();
      model->fit({s.train, nullptr, seed + 1000 * bag, 0}, ctx);
      std::vector<float> sc(nh);
      std::vector<double> own;
      for (std::size_t t = 0; t < s.testUsers.size(); ++t) {
        model->score(s.testUsers[t], s.heldItems, sc);
        double mu = 0, sq = 0;
        for (float v : sc) mu += v;
        mu /= nh;
        for (float v : sc) sq += (v - mu) * (v - mu);
        const double sd = std::sqrt(sq / nh);
        for (std::size_t j = 0; j < nh; ++j)
          z[m][t * nh + j] = sd > 0 ? static_cast<float>((sc[j] - mu) / sd) : 0.0f;
        own.push_back(test::ndcgAt(test::rankBy(s.heldItems, sc, 10), s.relevant[t], 10));
      }
      std::printf("seed %llu: %-40.40s %.4f  (%.1f s CPU)\n", static_cast<unsigned long long>(seed),
                  models[m].c_str(), test::mean(own),
                  static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
      std::fflush(stdout);
    }
    std::vector<float> sc(nh);
    for (std::size_t g = 0; g < grid.size(); ++g) {
      std::vector<double> n;
      for (std::size_t t = 0; t < s.testUsers.size(); ++t) {
        for (std::size_t j = 0; j < nh; ++j) {
          double v = 0;
          for (std::size_t m = 0; m < nm; ++m) v += grid[g][m] * z[m][t * nh + j];
          sc[j] = static_cast<float>(v);
        }
        n.push_back(test::ndcgAt(test::rankBy(s.heldItems, sc, 10), s.relevant[t], 10));
      }
      sums[g] += test::mean(n);
      perSeed[g].push_back(test::mean(n));
    }
    std::printf("seed %llu: attribute popularity %.4f\n", static_cast<unsigned long long>(seed),
                test::mean(baseN));
  }
  std::vector<std::size_t> order(grid.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return sums[a] > sums[b]; });
  for (std::size_t r = 0; r < order.size(); ++r) {
    const auto g = order[r];
    std::printf("weights");
    for (double w : grid[g]) std::printf(" %.1f", w);
    std::printf(": mean %.4f  per seed", sums[g] / seeds);
    for (double v : perSeed[g]) std::printf(" %.4f", v);
    std::printf("\n");
  }
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

double cpuSince(std::clock_t c) { return static_cast<double>(std::clock() - c) / CLOCKS_PER_SEC; }

// Wall and process CPU time of the fastest of `reps` runs of f.
struct Timing {
  double wall = 1e30, cpu = 0.0;
};
template <class F>
Timing bestOf(int reps, F&& f) {
  Timing t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    const auto c0 = std::clock();
    f();
    const double w = secondsSince(t0);
    if (w < t.wall) {
      t.wall = w;
      t.cpu = cpuSince(c0);
    }
  }
  return t;
}

// A model fitted on the recsplit training part with `params`, or the one saved in `file` (the
// fit is saved there when the file does not exist yet, so runs before and after a change score
// the very same model).
std::unique_ptr<Model> fittedOrLoaded(const std::string& name, const Params& params,
                                      const Dataset& train, const std::string& file) {
  if (!file.empty() && std::filesystem::exists(file)) {
    std::ifstream in(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto m = loadModelFromBytes(bytes);
    std::printf("loaded %s from %s\n", m->type().c_str(), file.c_str());
    return m;
  }
  auto m = createModel(name, params);
  TaskContext ctx;
  const auto t0 = Clock::now();
  const auto c0 = std::clock();
  m->fit({train, nullptr, 42, 0}, ctx);
  std::printf("%s %s fit %.2f s wall, %.2f s CPU\n", name.c_str(), params.dump().c_str(),
              secondsSince(t0), cpuSince(c0));
  if (!file.empty()) {
    std::ofstream(file, std::ios::binary) << saveModelToBytes(*m);
    std::printf("saved to %s\n", file.c_str());
  }
  return m;
}

// recommend(u, 10) for every user: FNV-1a over (item, score bits) of every list, so that runs
// before and after a change can show they are bit-identical, and nDCG@10 on the test part.
void listDigest(const Model& m, const Csr& truth) {
  std::uint64_t h = 1469598103934665603ULL;
  auto mixIn = [&](std::uint32_t v) {
    for (int b = 0; b < 4; ++b) h = (h ^ ((v >> (8 * b)) & 0xFF)) * 1099511628211ULL;
  };
  for (Index u = 0; u < m.numUsers(); ++u) {
    for (const auto& r : m.recommend(u, 10).items) {
      std::uint32_t bits;
      std::memcpy(&bits, &r.score, 4);
      mixIn(r.item);
      mixIn(bits);
    }
  }
  std::printf("top-10 lists of all %zu users: digest %016llx, nDCG@10 %.4f\n", m.numUsers(),
              static_cast<unsigned long long>(h), test::mean(test::warmNdcg(m, truth)));
}

// Recommend-all, single thread and the default arena (all cores), best of `reps`.
void recommendAll(const Model& m, int reps) {
  std::vector<Index> users(m.numUsers());
  std::iota(users.begin(), users.end(), Index{0});
  for (int threads : {1, 0}) {
    tbb::task_arena arena(threads > 0 ? threads : tbb::task_arena::automatic);
    Timing t;
    arena.execute([&] {
      t = bestOf(reps, [&] {
        TaskContext ctx;
        m.recommendBatch(users, 10, true, ctx);
      });
    });
    std::printf("recommend-all (%zu users, k 10, %s): %.3f s wall, %.3f s CPU (best of %d)\n",
                users.size(), threads == 1 ? "1 thread" : "all threads", t.wall, t.cpu, reps);
  }
}

std::pair<std::string, std::string> paramsAndModelFile(int argc, char** argv) {
  std::string params, file;
  for (int k = 2; k < argc; ++k) {
    if (std::string(argv[k]) == "--model" && k + 1 < argc) {
      file = argv[++k];
    } else {
      params = argv[k];
    }
  }
  return {params, file};
}

// Scoring speed of a fitted two_stage (defaults unless params are given: most_popular
// generator, 200 candidates, GBDT rank:pairwise) on ml-100k-recsplit.
int twostage(int argc, char** argv) {
  const auto [paramsText, file] = paramsAndModelFile(argc, argv);
  const Dataset full = test::loadMovieLens100k(dataDir() / "ml-100k");
  const Dataset train = test::loadRecsplitPart(full, dataDir() / "ml-100k-recsplit" / "train.tsv");
  const Dataset testSet = test::loadRecsplitPart(full, dataDir() / "ml-100k-recsplit" / "test.tsv");
  const Params p = paramsText.empty() ? Params::object() : Params::parse(paramsText);
  const auto model = fittedOrLoaded("two_stage", p, train, file);
  const auto& ts = dynamic_cast<const TwoStage&>(*model);
  const Model& gen = ts.candidateModel();
  const auto n = static_cast<std::size_t>(model->params().at("candidates").get<long long>());
  std::printf("generator %s, %zu candidates, %zu items\n", gen.type().c_str(), n,
              model->numItems());
  listDigest(*model, testSet.userItemMatrix(true));

  // One user (user 0): the recommend path (generator over the catalogue, candidate rows,
  // margins) and score() of the user's own candidate items (the arbitrary-items path).
  const Index u = 0;
  std::vector<Index> cand;
  for (const auto& r : gen.recommend(u, n).items) cand.push_back(r.item);
  std::vector<float> out(cand.size());
  const Timing rec = bestOf(50, [&] { model->recommend(u, 10); });
  const Timing sc = bestOf(50, [&] { model->score(u, cand, out); });
  std::vector<Index> all(model->numItems());
  std::iota(all.begin(), all.end(), Index{0});
  std::vector<float> genOut(all.size());
  const Timing g = bestOf(50, [&] { gen.score(u, all, genOut); });
  std::vector<Index> users(cand.size(), u);
  const Timing rows = bestOf(50, [&] { ts.featurePipeline()->pairMatrix(users, cand); });
  std::printf(
      "user %u: recommend(10) %.3f ms wall, %.3f ms CPU; score(%zu candidates) %.3f ms "
      "wall, %.3f ms CPU (best of 50)\n",
      u, 1e3 * rec.wall, 1e3 * rec.cpu, cand.size(), 1e3 * sc.wall, 1e3 * sc.cpu);
  std::printf(
      "  parts: generator over the catalogue %.3f ms; pipeline rows of the candidates "
      "with the generator called inside %.3f ms (best of 50)\n",
      1e3 * g.wall, 1e3 * rows.wall);
  recommendAll(*model, 3);
  return 0;
}

// Recommend-all of a gbdt engagement model on ml-100k-recsplit, with the time spent building
// feature rows (pairMatrix over the catalogue, as scoreAllItems does) measured separately.
int engagement(int argc, char** argv) {
  const auto [paramsText, file] = paramsAndModelFile(argc, argv);
  const Dataset full = test::loadMovieLens100k(dataDir() / "ml-100k");
  const Dataset train = test::loadRecsplitPart(full, dataDir() / "ml-100k-recsplit" / "train.tsv");
  Params p = paramsText.empty() ? Params::object() : Params::parse(paramsText);
  const auto model = fittedOrLoaded("gbdt", p, train, file);
  const FeaturePipeline& pipe = *model->featurePipeline();
  std::vector<Index> all(model->numItems());
  std::iota(all.begin(), all.end(), Index{0});
  std::vector<Index> users(all.size());
  std::size_t nnz = 0;
  const Timing rows = bestOf(3, [&] {
    for (Index u = 0; u < model->numUsers(); ++u) {
      std::fill(users.begin(), users.end(), u);
      nnz += pipe.pairMatrix(users, all).entries.size();
    }
  });
  std::printf(
      "feature rows of every (user, item) pair (%zu x %zu, %zu features, %.1f non-zeros "
      "per row): %.3f s wall, %.3f s CPU (1 thread, best of 3)\n",
      model->numUsers(), all.size(), pipe.dim(),
      static_cast<double>(nnz) / 3.0 / static_cast<double>(model->numUsers() * all.size()),
      rows.wall, rows.cpu);
  recommendAll(*model, 3);
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
    if (mode == "cold" || mode == "cold-sample" || mode == "cold-users" || mode == "cold-ens") {
      std::vector<std::string> models;
      std::uint64_t seeds = 5;
      bool validation = false;
      ColdOptions copt;
      for (int k = 2; k < argc; ++k) {
        if (std::string(argv[k]) == "--fixture-load") {
          copt.fixtureLoad = true;
        } else if (std::string(argv[k]) == "--core-heldout") {
          copt.coreHeldOut = true;
        } else if (std::string(argv[k]) == "--core-titles") {
          copt.coreTitles = true;
        } else if (std::string(argv[k]) == "--fit-seed-offset" && k + 1 < argc) {
          copt.fitSeedOffset = std::stoull(argv[++k]);
        } else if (std::string(argv[k]) == "--first-seed" && k + 1 < argc) {
          copt.firstSeed = std::stoull(argv[++k]);
        } else if (std::string(argv[k]) == "--seeds" && k + 1 < argc) {
          seeds = std::stoull(argv[++k]);
        } else if (std::string(argv[k]) == "--validation") {
          validation = true;
        } else {
          models.push_back(argv[k]);
        }
      }
      if (mode == "cold-users") {
        if (models.empty()) models = {"neighbour_popularity"};
        return coldUsers(models, seeds, validation, copt.firstSeed);
      }
      if (mode == "cold-ens") return coldEnsemble(models, seeds, validation);
      if (models.empty()) models = {"content_similarity", "logistic_regression", "gbdt"};
      return cold(models, seeds, mode == "cold-sample", validation, copt);
    }
    if (mode == "speed") return speed(argc, argv);
    if (mode == "warm") return warm(argc > 2 ? argv[2] : "");
    if (mode == "twostage") return twostage(argc, argv);
    if (mode == "engagement") return engagement(argc, argv);
    std::cerr << "usage: bench_features speed|cold [models...]|cold-sample [models...]|warm|"
                 "twostage|engagement\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
