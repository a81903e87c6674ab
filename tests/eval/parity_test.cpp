// Parity with Microsoft Recommenders' python_evaluation on its own SAR output (issue 3).
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/data/delimited_loader.h"
#include "core/eval/evaluator.h"
#include "core/eval/recommendation_file.h"
#include "test_support.h"

using namespace rwb;

TEST_CASE("sar_top10 reproduces every value of expected_metrics.json to 1e-9",
          "[eval][parity][shared]") {
  RWB_REQUIRE_SHARED_DATA(data);
  const auto dir = data / "ml-100k-recsplit";
  TaskContext ctx;
  const LoadResult train = loadDelimited((dir / "train.tsv").string(), {}, ctx);
  const LoadResult test = loadDelimited((dir / "test.tsv").string(), {}, ctx, &train.dataset);
  const RecommendationFile recs =
      loadRecommendations((dir / "sar_top10.tsv").string(), test.dataset, {}, ctx);
  REQUIRE(recs.lists.size() == 943);
  std::ifstream in(dir / "expected_metrics.json");
  const auto expected = nlohmann::json::parse(in);

  EvalOptions opt;
  opt.k = 10;
  // Library names -> ours.
  const std::vector<std::pair<std::string, std::string>> names = {
      {"map", "map"},
      {"map_at_k", "map@10"},
      {"ndcg_at_k", "ndcg@10"},
      {"precision_at_k", "precision@10"},
      {"recall_at_k", "recall@10"},
      {"ndcg_at_k_raw", "ndcg_raw@10"},
      {"ndcg_at_k_exp", "ndcg_exp@10"},
      {"catalog_coverage", "catalog_coverage"},
      {"distributional_coverage", "distributional_coverage"},
      {"novelty", "novelty"}};
  for (const auto& [lib, ours] : names) opt.metrics.push_back(lib);
  const EvalResult r = evaluate(train.dataset, test.dataset, recs.listUsers, recs.lists, opt, ctx);
  CHECK(r.users.size() == 943);
  REQUIRE(expected.size() == names.size());
  for (const auto& [lib, ours] : names) {
    INFO(lib << " -> " << ours);
    const double want = expected.at(lib).get<double>();
    CHECK(r.value(ours) == Approx(want).epsilon(1e-9).margin(0));
  }
}
