#include <iostream>

#include "cli.h"
#include "core/data/delimited_loader.h"
#include "core/export/model_package.h"
#include "core/models/registry.h"
#include "core/util/error.h"

namespace rwb::cli {

Action registerExport(CLI::App& sub, Common& common) {
  struct Opts {
    std::string data, model, params = "{}", out, runName;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("--data", o->data,
                 "Training interactions to fit on (user, item, value, timestamp)")
      ->required();
  sub.add_option("--model", o->model, "Registry name of the model (see `recwb models`)")
      ->required();
  sub.add_option("--params", o->params, "Model parameters as a JSON object");
  sub.add_option("--name", o->runName, "Run name recorded in the package");
  sub.add_option("--out", o->out, "Package file to write (e.g. model.rwbm)")->required();
  return [o, &common]() {
    nlohmann::json params;
    try {
      params = nlohmann::json::parse(o->params);
    } catch (const nlohmann::json::exception& e) {
      throw SpecError("--params", std::string("not valid JSON: ") + e.what());
    }
    auto model = createModel(o->model, params, "--model");
    TerminalTask task(common);
    TaskContext loadCtx(task.ctx(), 0.0, 0.2);
    const LoadResult data = loadDelimited(o->data, DelimitedOptions{}, loadCtx);
    TaskContext fitCtx(task.ctx(), 0.2, 1.0);
    model->fit({data.dataset}, fitCtx);
    PackageInfo info;
    info.trainFingerprint = data.dataset.fingerprint();
    info.runName = o->runName.empty() ? o->model : o->runName;
    info = writePackage(o->out, *model, data.dataset.users, data.dataset.items, info);
    task.finish();
    if (common.json) {
      printJson(info.toJson());
    } else {
      std::cout << "wrote " << o->out << " (" << info.modelType << ", " << withCommas(info.numUsers)
                << " users, " << withCommas(info.numItems) << " items, checksum " << info.checksum
                << ")\n";
    }
    return 0;
  };
}

}  // namespace rwb::cli
