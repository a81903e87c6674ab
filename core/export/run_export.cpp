#include "core/export/run_export.h"

#include <filesystem>

#include "core/experiment/experiment_spec.h"
#include "core/experiment/pipeline_stages.h"
#include "core/models/registry.h"
#include "core/store/project_store.h"
#include "core/util/error.h"

namespace rwb {

PackageInfo exportProjectRun(const std::string& projectPath, std::int64_t runId,
                             const std::string& outPath, TaskContext& ctx,
                             const std::string& runName, const RetrievalOptions* retrieval) {
  ProjectStore store(projectPath, false);
  const StoredRun run = store.loadRun(runId, true);
  const RunRecord& rec = run.record;
  const std::string which = "run " + std::to_string(runId);
  if (rec.status != RunStatus::kOk) {
    throw Error(which + " did not finish successfully (" + runStatusName(rec.status) +
                "); only successful runs can be exported");
  }
  if (run.modelDropped) {
    throw Error(which + "'s model was dropped from " + projectPath +
                " (recwb runs drop-model); its metrics are kept, but it cannot be exported: "
                "rerun the experiment to get the model again");
  }
  if (rec.modelBlob.empty()) throw Error(which + " has no stored model");
  if (run.specId == 0) throw Error(which + " has no stored spec");
  const ExperimentSpec spec =
      parseExperimentSpec(store.loadSpec(run.specId), std::filesystem::current_path());
  TaskContext prepCtx(ctx, 0.0, 0.8);
  const PreparedData data = prepareData(spec, prepCtx);
  if (data.datasetFingerprint != rec.datasetFingerprint || data.splitHash != rec.splitHash) {
    throw Error("the data behind " + which + " (" + rec.datasetSource +
                ") has changed since it was recorded (fingerprint " + data.datasetFingerprint +
                " vs " + rec.datasetFingerprint + "); rerun the experiment to export it");
  }
  ctx.throwIfStopped();
  const auto model = loadModelFromBytes(rec.modelBlob);
  PackageInfo info;
  info.trainFingerprint = data.train->fingerprint();
  info.runName = runName.empty() ? rec.name : runName;
  info.metrics = rec.metrics;
  std::unique_ptr<RetrievalIndex> index;
  if (retrieval != nullptr) {
    TaskContext indexCtx(ctx, 0.8, 1.0);
    index = RetrievalIndex::build(*model, *retrieval, indexCtx);
  }
  return writePackage(outPath, *model, data.train->users, data.train->items, info, index.get());
}

}  // namespace rwb
