// The issue-5 quality table for the factor models on Microsoft Recommenders' ml-100k split:
// default parameters (chosen on a validation split carved from train, see
// docs/models-factor.md), fit on train.tsv, measured on test.tsv at k = 10.

#include <cmath>

#include "core/data/delimited_loader.h"
#include "core/eval/evaluator.h"
#include "core/models/biased_mf.h"
#include "core/models/registry.h"
#include "test_support.h"

using namespace rwb;

namespace {

struct Recsplit {
  Dataset train, test;
};

Recsplit loadRecsplit(const std::filesystem::path& dir) {
  TaskContext ctx;
  DelimitedOptions opt;
  opt.delimiter = '\t';
  opt.header = HeaderMode::kNo;
  Recsplit r;
  r.train = loadDelimited((dir / "ml-100k-recsplit/train.tsv").string(), opt, ctx).dataset;
  r.test = loadDelimited((dir / "ml-100k-recsplit/test.tsv").string(), opt, ctx, &r.train).dataset;
  return r;
}

// Mean nDCG@k (core/eval, binary relevance) over the test users.
double ndcgAt(const Model& m, const Dataset& test, std::size_t k) {
  const Csr rel = test.userItemMatrix(true);
  std::vector<Index> users;
  for (std::size_t u = 0; u < rel.rows; ++u) {
    if (rel.rowSize(u) > 0) users.push_back(static_cast<Index>(u));
  }
  TaskContext ctx;
  const auto lists = m.recommendBatch(users, k, true, ctx);
  EvalOptions options;
  options.k = k;
  options.oracle = false;
  options.metrics = {"ndcg@k"};
  return evaluate(test.emptyLike(), test, users, lists, options, ctx)
      .value("ndcg@" + std::to_string(k));
}

std::unique_ptr<Model> fitDefault(const std::string& name, const Dataset& train) {
  auto m = createModel(name);
  TaskContext ctx;
  m->fit({train, nullptr, 42, 2}, ctx);
  return m;
}

}  // namespace

TEST_CASE("recsplit: iALS, BPR-MF and biased MF reach the issue-5 table",
          "[models][.slow][shared]") {
  RWB_REQUIRE_SHARED_DATA(dir);
  const Recsplit r = loadRecsplit(dir);
  REQUIRE(r.train.numInteractions() == 75066);
  REQUIRE(r.test.numInteractions() == 24934);
  const double ials = ndcgAt(*fitDefault("ials", r.train), r.test, 10);
  WARN("ials nDCG@10 " << ials);
  CHECK(ials >= 0.48);
  const double bpr = ndcgAt(*fitDefault("bpr", r.train), r.test, 10);
  WARN("bpr nDCG@10 " << bpr);
  CHECK(bpr >= 0.442);
  auto mf = fitDefault("biased_mf", r.train);
  const auto e = dynamic_cast<const BiasedMf&>(*mf).evaluateRatings(r.test);
  WARN("biased_mf RMSE " << e.rmse << " MAE " << e.mae << " R2 " << e.r2);
  CHECK(e.rmse <= 0.93);
  CHECK(e.mae < e.rmse);
  CHECK(e.r2 > 0.25);
}
