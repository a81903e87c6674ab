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
};

/// Fits a model on a data source and packages it.
PackageInfo exportFitted(const ExportArgs& a, TaskContext& ctx) {
  nlohmann::json params;
  params = parseJsonField(a.params, "--params");
  auto model = createModel(a.model, params, "--model");
  TaskContext loadCtx(ctx, 0.0, 0.2);
  const LoadResult data = loadDataset(a.data, DatasetOptions{}, loadCtx);
  TaskContext fitCtx(ctx, 0.2, 1.0);
  model->fit({data.dataset, nullptr, 42, a.threads}, fitCtx);
  PackageInfo info;
  info.trainFingerprint = data.dataset.fingerprint();
  info.runName = a.runName.empty() ? a.model : a.runName;
  return writePackage(a.out, *model, data.dataset.users, data.dataset.items, info);
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
  sub.add_option("--threads", a->threads, "With --data: training threads (0 = all cores)")
      ->check(CLI::Range(0, 1024));
  sub.add_option("--name", a->runName, "Run name recorded in the package");
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
    TerminalTask task(common);
    const PackageInfo info =
        a->project.empty() ? exportFitted(*a, task.ctx())
                           : exportProjectRun(a->project, a->run, a->out, task.ctx(), a->runName);
    task.finish();
    if (common.json) {
      printJson(info.toJson());
    } else {
      std::cout << "wrote " << a->out << " (" << info.modelType << ", " << withCommas(info.numUsers)
                << " users, " << withCommas(info.numItems) << " items, checksum " << info.checksum
                << ")\n";
    }
    return 0;
  };
}

}  // namespace rwb::cli
