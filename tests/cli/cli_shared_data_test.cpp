// recwb on the MovieLens reference data (../shared/data; skipped cleanly when absent): the CLI
// reproduces the Microsoft Recommenders split and metrics exactly, end to end.
#include "cli_fixtures.h"

using namespace rwb::test;
namespace fs = std::filesystem;

TEST_CASE(
    "ml-100k through recwb: inspect counts, the recommenders split and SAR's metrics match "
    "the reference files",
    "[cli][shared]") {
  RWB_REQUIRE_SHARED_DATA(shared);
  TempDir dir;

  const CliResult inspect = runRecwb({"inspect", (shared / "ml-100k").string(), "--json"});
  RWB_REQUIRE_SUCCESS(inspect);
  const auto summary = stdoutJson(inspect);
  CHECK(summary.at("users") == 943);
  CHECK(summary.at("items") == 1682);
  CHECK(summary.at("interactions") == 100000);
  CHECK(summary.at("load").at("skipped") == 0);

  // python_stratified_split(ratio=0.75, filter_by="item", seed=42): the same rows, as sets.
  const CliResult split = runRecwb({"split", (shared / "ml-100k" / "u.data").string(), "--method",
                                    "recommenders", "--ratio", "0.75", "--by", "item", "--seed",
                                    "42", "--out", (dir / "split").string(), "--json"});
  RWB_REQUIRE_SUCCESS(split);
  CHECK(stdoutJson(split).at("train") == 75066);
  CHECK(stdoutJson(split).at("test") == 24934);
  for (const char* f : {"train.tsv", "test.tsv"}) {
    INFO(f);
    const auto ours = lines(readFile(dir / "split" / f));
    const auto reference = lines(readFile(shared / "ml-100k-recsplit" / f));
    CHECK(std::multiset<std::string>(ours.begin(), ours.end()) ==
          std::multiset<std::string>(reference.begin(), reference.end()));
  }

  // The library's own SAR top-10 list, scored by recwb evaluate.
  const auto ref = shared / "ml-100k-recsplit";
  const CliResult ev =
      runRecwb({"evaluate", "--train", (ref / "train.tsv").string(), "--test",
                (ref / "test.tsv").string(), "--recs", (ref / "sar_top10.tsv").string(), "-k", "10",
                "--metrics", "precision@10,recall@10,ndcg@10,map,map@10", "--json"});
  RWB_REQUIRE_SUCCESS(ev);
  const auto m = stdoutJson(ev).at("metrics");
  const auto expected = nlohmann::json::parse(readFile(ref / "expected_metrics.json"));
  const std::vector<std::pair<const char*, const char*>> names = {
      {"precision@10", "precision_at_k"},
      {"recall@10", "recall_at_k"},
      {"ndcg@10", "ndcg_at_k"},
      {"map", "map"},
      {"map@10", "map_at_k"}};
  for (const auto& [ours, theirs] : names) {
    INFO(ours);
    CHECK(m.at(ours).at("value").get<double>() ==
          Approx(expected.at(theirs).get<double>()).epsilon(1e-9));
  }
}
