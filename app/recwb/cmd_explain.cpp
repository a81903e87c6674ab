// recwb explain: why a model recommends items to a user. explain works from a dataset path: it
// fits the model on the data (or loads a model package written earlier by --save or `recwb
// export` from the same data) and explains one (user, item) pair or the user's top-k
// recommendations.
#include <iostream>
#include <sstream>

#include "cli.h"
#include "core/export/model_package.h"
#include "core/models/explanation.h"
#include "core/models/registry.h"
#include "core/util/error.h"
#include "core/util/json.h"
#include "data_options.h"

namespace rwb::cli {

namespace {
struct ExplainOptions {
  std::string path;
  DataCliOptions data;
  std::string model = "gbdt";
  std::string params = "{}";
  std::string user, item;
  std::size_t k = 5;
  std::size_t top = 10;
  std::string save, load;
  std::uint64_t seed = 42;
  int threads = 0;
  bool global = false;
};

nlohmann::json explanationJson(const Explanation& e, const Dataset& d) {
  nlohmann::json feats = nlohmann::json::array(), hist = nlohmann::json::array();
  for (const auto& f : e.features) {
    feats.push_back({{"feature", f.feature}, {"value", f.value}, {"contribution", f.contribution}});
  }
  for (const auto& h : e.history) {
    hist.push_back({{"item", d.items.external(h.item)},
                    {"weight", h.weight},
                    {"contribution", h.contribution}});
  }
  return {{"user", d.users.external(e.user)},
          {"item", d.items.external(e.item)},
          {"output_kind", e.outputKind},
          {"output", e.output},
          {"bias", e.bias},
          {"features", feats},
          {"history", hist}};
}

void printExplanation(const Explanation& e, const Dataset& d) {
  std::cout << "user " << d.users.external(e.user) << ", item " << d.items.external(e.item) << ": "
            << e.outputKind << " " << e.output << " (bias " << e.bias << ")\n";
  for (const auto& f : e.features) {
    std::cout << "  " << (f.contribution >= 0 ? "+" : "") << f.contribution << "  " << f.feature
              << " = " << f.value << "\n";
  }
  if (!e.history.empty()) std::cout << "  because of history items:\n";
  for (const auto& h : e.history) {
    std::cout << "  " << (h.contribution >= 0 ? "+" : "") << h.contribution << "  item "
              << d.items.external(h.item) << " (weight " << h.weight << ")\n";
  }
}
}  // namespace

Action registerExplain(CLI::App& sub, Common& common) {
  auto o = std::make_shared<ExplainOptions>();
  sub.add_option("path", o->path,
                 "Dataset (folder, SQLite or delimited file) the model is fitted on")
      ->required();
  addDataOptions(sub, o->data);
  sub.add_option("--model", o->model,
                 "Registry name (content_similarity, logistic_regression, "
                 "factorization_machine, gbdt, two_stage)");
  sub.add_option("--params", o->params, "Model parameters as a JSON object");
  sub.add_option("--user", o->user, "External user id")->required();
  sub.add_option("--item", o->item, "External item id (default: explain the user's top-k)");
  sub.add_option("-k,--k", o->k, "Recommendations to explain when --item is absent");
  sub.add_option("--top", o->top, "Contributions shown per explanation");
  sub.add_option("--seed", o->seed, "Training seed");
  sub.add_option("--threads", o->threads, "Training threads (0 = all cores)")
      ->check(CLI::Range(0, 1024));
  sub.add_option("--save", o->save, "Write the fitted model to this package file (.rwbm)");
  sub.add_option("--load", o->load,
                 "Explain the model of a package (written by --save or `recwb export` from the "
                 "same data) instead of fitting");
  sub.add_flag("--global", o->global, "Also print the model's global feature importance");
  return [o, &common]() {
    checkDataOptionsApply(o->data, o->path);
    TerminalTask task(common);
    const LoadResult loaded = loadDataset(o->path, toDatasetOptions(o->data), task.ctx());
    const Dataset& d = loaded.dataset;
    // --save / --load use the model package format: checksummed, so a damaged file is refused
    // before its bytes reach the model loader (a raw blob with a flipped byte crashed XGBoost).
    std::shared_ptr<const ModelPackage> package;
    std::unique_ptr<Model> fitted;
    const Model* model = nullptr;
    if (!o->load.empty()) {
      package = ModelPackage::load(o->load);
      if (package->info().trainFingerprint != d.fingerprint() ||
          package->users().size() != d.numUsers() || package->items().size() != d.numItems()) {
        throw ModelError(o->load + ": the model was fitted on other data (" +
                         std::to_string(package->users().size()) + " users, " +
                         std::to_string(package->items().size()) + " items)");
      }
      model = &package->model();
    } else {
      Params params;
      params = parseJsonField(o->params, "--params");
      fitted = createModel(o->model, params, "--model");
      fitted->fit({d, nullptr, o->seed, o->threads}, task.ctx());
      model = fitted.get();
    }
    task.finish();
    if (!o->save.empty()) {
      PackageInfo info;
      info.trainFingerprint = d.fingerprint();
      info.runName = model->type();
      writePackage(o->save, *model, d.users, d.items, info);
    }
    const auto* ex = dynamic_cast<const Explainable*>(model);
    if (ex == nullptr) {
      throw ModelError("model '" + model->type() +
                       "' does not provide explanations (use "
                       "content_similarity, logistic_regression, factorization_machine, gbdt "
                       "or two_stage)");
    }
    const auto u = d.users.find(o->user);
    if (!u) throw SpecError("--user", "unknown user id '" + o->user + "'");
    std::vector<Index> items;
    if (!o->item.empty()) {
      const auto i = d.items.find(o->item);
      if (!i) throw SpecError("--item", "unknown item id '" + o->item + "'");
      items.push_back(*i);
    } else {
      for (const auto& r : model->recommend(*u, o->k).items) items.push_back(r.item);
    }
    nlohmann::json out = {{"model", model->type()}, {"explanations", nlohmann::json::array()}};
    for (Index i : items) {
      Explanation e = ex->explain(*u, i);
      truncateExplanation(e, o->top);
      if (common.json) {
        out["explanations"].push_back(explanationJson(e, d));
      } else {
        printExplanation(e, d);
      }
    }
    if (o->global) {
      auto imp = ex->globalImportance();
      if (imp.size() > o->top) imp.resize(o->top);
      nlohmann::json g = nlohmann::json::array();
      if (!common.json) std::cout << "global importance (mean |contribution|, gain):\n";
      for (const auto& f : imp) {
        g.push_back({{"feature", f.feature},
                     {"mean_abs_contribution", f.meanAbsContribution},
                     {"gain", f.gain}});
        if (!common.json)
          std::cout << "  " << f.meanAbsContribution << "  " << f.gain << "  " << f.feature << "\n";
      }
      out["global_importance"] = g;
    }
    if (common.json) printJson(out);
    return 0;
  };
}

}  // namespace rwb::cli
