// bench_experiment: end-to-end experiment timings on ml-100k and project-file write throughput.
// Run by hand from the source root:  ./build/tests/bench/bench_experiment [threads]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/experiment/runner.h"
#include "core/store/project_store.h"

using namespace rwb;

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const std::filesystem::path data =
      std::filesystem::path(RWB_SOURCE_DIR) / ".." / "shared" / "data";
  if (!std::filesystem::exists(data / "ml-100k" / "u.data")) {
    std::printf("skipped: reference data absent (%s)\n", data.string().c_str());
    return 0;
  }
  const nlohmann::json doc = {
      {"version", 1},
      {"dataset", {{"path", (data / "ml-100k").string()}}},
      {"split", {{"method", "recommenders"}, {"ratio", 0.75}, {"by", "item"}, {"seed", 42}}},
      {"models",
       {{{"name", "most_popular"}},
        {{"name", "most_popular"},
         {"run_name", "pop_search"},
         {"search", {{"method", "grid"}, {"space", {{"half_life_days", {7, 30, 90, 365}}}}}}}}},
      {"metrics", {{"k", 10}}}};
  const ExperimentSpec spec = parseExperimentSpec(doc, ".");
  RunnerOptions opt;
  opt.threads = threads;
  opt.keepModels = true;
  TaskContext ctx;
  const ExperimentResult r = runExperiment(spec, opt, ctx);
  std::printf("ml-100k, %d threads: load %.3f s, split %.3f s, total %.3f s\n", r.threads,
              r.data.loadSeconds, r.data.splitSeconds, r.seconds);
  for (const auto& run : r.runs) {
    std::printf(
        "  %-12s %-9s fit %.4f s  recommend %.4f s  evaluate %.4f s  ndcg@10 %.6f%s\n",
        run.name.c_str(), runStatusName(run.status), run.fitSeconds, run.recommendSeconds,
        run.evaluateSeconds, run.metrics.count("ndcg@10") ? run.metrics.at("ndcg@10") : 0.0,
        run.search ? (" (search " + std::to_string(run.search->seconds) + " s)").c_str() : "");
  }

  // Store throughput: complete runs (metrics, 943-user vectors, model blob) per second.
  const auto file = std::filesystem::temp_directory_path() / "bench_experiment.rwbproj";
  std::filesystem::remove(file);
  std::filesystem::remove(file.string() + "-wal");
  std::filesystem::remove(file.string() + "-shm");
  {
    ProjectStore store(file);
    const int n = 200;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i) store.saveRun(r.runs[0], "bench");
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("store: %d runs in %.3f s (%.0f runs/s), file %.1f MB\n", n, s, n / s,
                static_cast<double>(std::filesystem::file_size(file)) / 1e6);
  }
  std::filesystem::remove(file);
  std::filesystem::remove(file.string() + "-wal");
  std::filesystem::remove(file.string() + "-shm");
  return 0;
}
