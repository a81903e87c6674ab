// The differential suite (tests/eval/differential_test.cpp) through the command line: `recwb
// split --method recommenders` writes the library's rows, and `recwb evaluate` on those files
// gives the library's metrics (goldens in tests/data/differential, docs/metrics.md).
#include <fstream>

#include "cli_fixtures.h"
#include "eval/differential_names.h"

using namespace rwb::test;
namespace fs = std::filesystem;

namespace {

fs::path suiteDir() { return sourceDir() / "tests" / "data" / "differential"; }

/// The lines of ratings.tsv (header dropped) at the given row numbers, in that order.
std::vector<std::string> linesAt(const std::vector<std::string>& data, const fs::path& rowsFile) {
  std::vector<std::string> out;
  std::ifstream in(rowsFile);
  REQUIRE(in.good());
  std::size_t r = 0;
  while (in >> r) {
    REQUIRE(r + 1 < data.size());
    out.push_back(data[r + 1]);
  }
  return out;
}

}  // namespace

TEST_CASE("recwb split --method recommenders and recwb evaluate reproduce the library's goldens",
          "[cli][differential]") {
  TempDir dir;
  // String ids with unicode and spaces, signed and zero-padded integer ids, half-star values,
  // exact duplicate rows.
  for (const std::string name :
       {"string_ids", "numeric_zeros_signs", "span_10y_half", "exact_dup_rows"}) {
    INFO("dataset " << name);
    const auto data = lines(readFile(suiteDir() / name / "ratings.tsv"));
    const auto out = dir / name;
    RWB_REQUIRE_SUCCESS(runRecwb({"split", (suiteDir() / name / "ratings.tsv").string(), "--method",
                                  "recommenders", "--ratio", "0.75", "--by", "user", "--seed", "42",
                                  "--out", out.string(), "--json", "-q"}));
    CHECK(lines(readFile(out / "train.tsv")) ==
          linesAt(data, suiteDir() / name / "split_train_rows.txt"));
    CHECK(lines(readFile(out / "test.tsv")) ==
          linesAt(data, suiteDir() / name / "split_test_rows.txt"));
  }

  // Metrics of the library's SAR list and of a hand-made list with ties across rank 10.
  const auto expected = [] {
    std::ifstream in(suiteDir() / "string_ids" / "expected.json");
    return nlohmann::json::parse(in).at("metrics");
  }();
  const auto& names = libraryMetricNames();
  for (const std::string file : {"sar_default.tsv", "lists_ties.tsv"}) {
    INFO("list " << file);
    const CliResult r =
        runRecwb({"evaluate", "--train", (dir / "string_ids" / "train.tsv").string(), "--test",
                  (dir / "string_ids" / "test.tsv").string(), "--recs",
                  (suiteDir() / "string_ids" / file).string(), "-k", "10", "--metrics",
                  "map,map_at_k,ndcg_at_k,ndcg_at_k_raw,ndcg_at_k_exp,precision_at_k,recall_at_k",
                  "--no-oracle", "--json"});
    RWB_REQUIRE_SUCCESS(r);
    const auto got = stdoutJson(r).at("metrics");
    for (const auto& [lib, ours] : names) {
      INFO(lib << " -> " << ours);
      CHECK(got.at(ours).at("value").get<double>() ==
            Approx(expected.at(file).at(lib).get<double>()).epsilon(1e-9).margin(0));
    }
  }
}
