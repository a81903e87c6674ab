#include <iostream>

#include "cli.h"
#include "core/data/dataset_loader.h"
#include "core/export/model_package.h"
#include "core/export/run_export.h"
#include "core/models/registry.h"
#include "core/util/error.h"
#include "core/util/json.h"

namespace rwb::cli {

namespace {

struct ExportArgs {
  std::string project, data, model, params = "{}", out, runName;
  std::int64_t run = 0;
  int threads = 0;
  std::string retrieval = "exact", space = "ip";
  RetrievalOptions hnsw;
};

/// Fits a model on a data source and packages it.
PackageInfo exportFitted(const ExportArgs& a, TaskContext& ctx) {
  nlohmann::json params;
  params = parseJsonField(a.params, "--params");
  auto model = createModel(a.model, params, "--model");
  TaskContext loadCtx(ctx, 0.0, 0.2);
  const LoadResult data = loadDataset(a.data, DatasetOptions{}, loadCtx);
  TaskContext fitCtx(ctx, 0.2, a.retrieval == "hnsw" ? 0.9 : 1.0);
  model->fit({data.dataset, nullptr, 42, a.threads}, fitCtx);
  PackageInfo info;
  info.trainFingerprint = data.dataset.fingerprint();
  info.runName = a.runName.empty() ? a.model : a.runName;
  std::unique_ptr<RetrievalIndex> index;
  if (a.retrieval == "hnsw") {
    TaskContext indexCtx(ctx, 0.9, 1.0);
    index = RetrievalIndex::build(*model, a.hnsw, indexCtx);
  }
  return writePackage(a.out, *model, data.dataset.users, data.dataset.items, info, index.get());
}

}  // namespace

Action registerExport(CLI::App& sub, Common& common) {
  auto a = std::make_shared<ExportArgs>();
  auto* project = sub.add_option("--project", a->project, "Project file holding the run");
  auto* run = sub.add_option("--run", a->run, "Run id in the project (see `recwb runs list`)");
  auto* data = sub.add_option("--data", a->data,
                              "Or: fit on this data (file or folder) instead of exporting a run");
  auto* model = sub.add_option("--model", a->model, "With --data: registry name of the model");
  sub.add_option("--params", a->params, "With --data: model parameters as a JSON object");
  sub.add_option("--threads", a->threads,
                 "With --data: training threads; also the HNSW index's (0 = all cores)")
      ->check(CLI::Range(0, 1024));
  sub.add_option("--name", a->runName, "Run name recorded in the package");
  sub.add_option("--retrieval", a->retrieval,
                 "'hnsw': also build an approximate top-k index (factor models) and store it, "
                 "with its recall@10 against exact top-10; 'exact' (default): none")
      ->check(CLI::IsMember({"exact", "hnsw"}));
  sub.add_option("--hnsw-m", a->hnsw.m, "HNSW graph degree M (default 16)")
      ->check(CLI::Range(2, 1000));
  sub.add_option("--hnsw-ef-construction", a->hnsw.efConstruction,
                 "HNSW candidate list while building (default 200)")
      ->check(CLI::Range(1, 1000000));
  sub.add_option("--hnsw-ef-search", a->hnsw.efSearch,
                 "HNSW candidate list while searching; 0 (default) = the smallest of 16, 32, ... "
                 "reaching recall@10 >= 0.95 on 1000 sampled users")
      ->check(CLI::Range(0, 1000000));
  sub.add_option("--hnsw-space", a->space,
                 "'ip' (inner product, default) or 'l2' (inner product reduced to L2)")
      ->check(CLI::IsMember({"ip", "l2"}));
  sub.add_option("--seed", a->hnsw.seed, "Seed of the HNSW level generator (default 42)");
  sub.add_option("--out", a->out, "Package file to write (e.g. model.rwbm)")->required();
  project->needs(run);
  run->needs(project);
  data->needs(model);
  model->needs(data);
  project->excludes(data);
  return [a, &common]() {
    if (a->project.empty() && a->data.empty()) {
      throw SpecError("recwb export", "give --project P --run R, or --data PATH --model NAME");
    }
    a->hnsw.space = parseRetrievalSpace(a->space, "--hnsw-space");
    // The index is built with the training threads; --threads 1 makes it deterministic.
    a->hnsw.threads = a->threads;
    TerminalTask task(common);
    const PackageInfo info =
        a->project.empty() ? exportFitted(*a, task.ctx())
                           : exportProjectRun(a->project, a->run, a->out, task.ctx(), a->runName,
                                              a->retrieval == "hnsw" ? &a->hnsw : nullptr);
    task.finish();
    if (common.json) {
      printJson(info.toJson());
    } else {
      std::cout << "wrote " << a->out << " (" << info.modelType << ", " << withCommas(info.numUsers)
                << " users, " << withCommas(info.numItems) << " items, checksum " << info.checksum
                << ")\n";
      if (!info.retrieval.is_null()) {
        std::cout << "retrieval index: "
                  << RetrievalInfo::fromJson(info.retrieval, a->out).summary() << "\n";
      }
    }
    return 0;
  };
}

}  // namespace rwb::cli
