#include "core/export/run_export.h"

#include <filesystem>
#include <fstream>

#include "core/experiment/experiment_spec.h"
#include "core/experiment/runner.h"
#include "core/store/project_store.h"
#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {
/// Writes a small interactions file: 40 users x 30 items, two taste groups, timestamps.
void writeInteractions(const std::filesystem::path& p) {
  std::ofstream out(p);
  out << "user_id,item_id,value,timestamp\n";
  for (int u = 0; u < 40; ++u) {
    for (int n = 0; n < 10; ++n) {
      const int item = (u % 2) * 15 + (u * 7 + n * 3) % 15;
      out << "u" << u << ",i" << item << ",1," << 1'600'000'000 + u * 100 + n << "\n";
    }
  }
}
}  // namespace

TEST_CASE("a recorded run exports to a package that scores like the stored model", "[export]") {
  test::TempDir dir;
  writeInteractions(dir / "log.csv");
  const nlohmann::json doc = {
      {"version", 1},
      {"dataset", {{"path", (dir / "log.csv").string()}}},
      {"split", {{"method", "chronological"}, {"ratio", 0.8}, {"by", "user"}}},
      {"models", {{{"name", "itemknn"}}}},
      {"metrics", {{"k", 5}}}};
  const ExperimentSpec spec = parseExperimentSpec(doc, dir.path());
  const auto project = (dir / "p.rwbp").string();
  std::int64_t runId = 0;
  {
    ProjectStore store(project);
    const auto specId = store.putSpec(doc);
    RunnerOptions opt;
    opt.keepModels = true;
    TaskContext ctx;
    const ExperimentResult result = runExperiment(spec, opt, ctx);
    REQUIRE(result.runs.size() == 1);
    REQUIRE(result.runs[0].status == RunStatus::kOk);
    runId = store.saveRun(result.runs[0], "t", specId);
  }
  TaskContext ctx;
  const auto out = (dir / "run.rwbm").string();
  const PackageInfo info = exportProjectRun(project, runId, out, ctx);
  CHECK(info.modelType == "itemknn");
  CHECK(info.runName == "itemknn");
  CHECK(info.metrics.contains("ndcg@5"));
  const auto pkg = ModelPackage::load(out);
  CHECK(pkg->users().size() == 40);
  CHECK(pkg->items().size() == 30);
  const auto u3 = pkg->users().find("u3");
  REQUIRE(u3);
  CHECK_FALSE(pkg->model().recommend(*u3, 5).fallback);

  CHECK_THROWS_WITH(exportProjectRun(project, runId + 100, out, ctx), Catch::Contains("no run"));
  CHECK_THROWS_AS(exportProjectRun((dir / "missing.rwbp").string(), runId, out, ctx), StoreError);
  // The data changed since the run: refused, nothing written.
  writeInteractions(dir / "log.csv");
  { std::ofstream(dir / "log.csv", std::ios::app) << "u99,i1,1,1700000000\n"; }
  const auto changed = (dir / "changed.rwbm").string();
  CHECK_THROWS_WITH(exportProjectRun(project, runId, changed, ctx), Catch::Contains("has changed"));
  CHECK_FALSE(std::filesystem::exists(changed));
}
