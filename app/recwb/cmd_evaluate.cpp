// recwb evaluate: scores a recommendations file against a test set (any tool's output).
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "core/eval/slices.h"
#include "core/util/atomic_file.h"
#include "core/util/delimited_text.h"
#include "core/util/error.h"
#include "data_options.h"
#include "eval_common.h"

namespace rwb::cli {

namespace {
struct EvaluateArgs {
  std::string train, test, recs, perUser, labels = "membership";
  DataCliOptions data;
  std::size_t k = 10;
  std::vector<std::string> metrics;
  bool slices = false;
  bool noOracle = false;
};

void writePerUser(const std::string& path, const EvalResult& r, const Dataset& names) {
  std::ostringstream out;
  out << "user";
  std::vector<const MetricValue*> cols;
  for (const auto& m : r.metrics) {
    if (m.perUser) {
      cols.push_back(&m);
      out << '\t' << m.name;
    }
  }
  out << '\n';
  char buf[64];
  for (std::size_t i = 0; i < r.users.size(); ++i) {
    out << delimitedField(names.users.external(r.users[i]), '\t');
    for (const auto* m : cols) {
      const double v = m->perUserValues[i];
      if (std::isnan(v)) {
        out << "\tnan";
      } else {
        std::snprintf(buf, sizeof buf, "\t%.17g", v);
        out << buf;
      }
    }
    out << '\n';
  }
  writeFileAtomically(path, out.str());
}
}  // namespace

Action registerEvaluate(CLI::App& sub, Common& common) {
  auto a = std::make_shared<EvaluateArgs>();
  sub.add_option("--train", a->train,
                 "Training interactions (user, item[, value, timestamp]): delimited file, SQLite "
                 "database or dataset folder")
      ->required();
  sub.add_option("--test", a->test, "Test interactions (same layout)")->required();
  sub.add_option("--recs", a->recs, "Recommendations: user, item, score[, rank]; TSV or CSV")
      ->required();
  // CLI::PositiveNumber rejected 0 as "not in range 0.000000 to 1.797693e+308": give the range.
  sub.add_option("-k", a->k, "Cut-off for metrics named without @n")->check(CLI::Range(1, 100000));
  std::string known;
  for (const auto& n : knownMetricNames()) known += (known.empty() ? "" : ", ") + n;
  sub.add_option("--metrics", a->metrics,
                 "Metrics (comma separated): " + known +
                     ". @k is -k, @n another cut-off (ndcg@5); the library's names "
                     "(precision_at_k, r_precision_at_k, ...) also work. Default: the ranking "
                     "set plus coverage, entropy, novelty and Gini")
      ->delimiter(',');
  sub.add_option("--per-user", a->perUser, "Write the per-user values (TSV) to this file");
  sub.add_flag("--slices", a->slices,
               "Also report metrics by user activity and item popularity slices");
  sub.add_option("--labels", a->labels,
                 "Classification labels: membership (listed item in test = 1) or test-value")
      ->check(CLI::IsMember({"membership", "test-value"}));
  sub.add_flag("--no-oracle", a->noOracle, "Do not compute the oracle (ideal lists) values");
  addDataOptions(sub, a->data);
  return [a, &common]() {
    checkDataOptionsApply(a->data, a->train);
    checkDataOptionsApply(a->data, a->test);
    TerminalTask task(common);
    EvalInputs in = loadTrainTest(a->train, a->test, task.ctx(), toDatasetOptions(a->data));
    TaskContext recCtx(task.ctx(), 0.45, 0.6);
    const RecommendationFile recs = loadRecommendations(a->recs, in.test.dataset, {}, recCtx);
    EvalOptions opt;
    opt.k = a->k;
    opt.metrics = a->metrics.empty() ? defaultCliMetrics() : splitMetricList(a->metrics);
    opt.oracle = !a->noOracle;
    opt.labels = a->labels == "membership" ? ClassificationLabels::kMembership
                                           : ClassificationLabels::kTestValue;
    TaskContext evalCtx(task.ctx(), 0.6, a->slices ? 0.8 : 1.0);
    const EvalResult r =
        evaluate(in.train.dataset, in.test.dataset, recs.listUsers, recs.lists, opt, evalCtx);
    std::vector<SliceResult> slices;
    if (a->slices) {
      TaskContext sliceCtx(task.ctx(), 0.8, 1.0);
      slices = evaluateSlices(in.train.dataset, in.test.dataset, recs.listUsers, recs.lists, opt,
                              SliceOptions{}, sliceCtx);
    }
    task.finish();
    if (!a->perUser.empty()) writePerUser(a->perUser, r, in.test.dataset);
    std::vector<std::string> warnings = r.warnings;
    for (const LoadResult* l : {&in.train, &in.test}) {
      if (l->rowsSkipped() > 0) {
        std::string reasons;
        for (const auto& [reason, n] : l->skippedByReason) {
          reasons += (reasons.empty() ? "" : "; ") + withCommas(n) + " " + reason;
        }
        warnings.push_back((l == &in.train ? "train: " : "test: ") + withCommas(l->rowsSkipped()) +
                           " rows skipped while loading (" + reasons + ")");
      }
    }
    if (recs.newUsers > 0) {
      warnings.push_back(std::to_string(recs.newUsers) +
                         " users in the recommendations appear in neither train nor test");
    }
    if (recs.newItems > 0) {
      warnings.push_back(std::to_string(recs.newItems) +
                         " recommended items appear in neither train nor test");
    }
    if (common.json) {
      nlohmann::json j = {{"k", r.k},
                          {"evaluated_users", r.users.size()},
                          {"test_users", r.testUsers},
                          {"recommended_users", r.listedUsers},
                          {"test_users_without_recommendations", r.testUsersWithoutList},
                          {"recommended_users_without_test", r.listedUsersWithoutTest},
                          {"metrics", metricsJson(r)},
                          {"warnings", warnings}};
      if (!a->perUser.empty()) j["per_user_file"] = a->perUser;
      if (a->slices) {
        nlohmann::json s = nlohmann::json::array();
        for (const auto& sl : slices) {
          s.push_back({{"dimension", sl.dimension},
                       {"slice", sl.name},
                       {"members", sl.members},
                       {"evaluated_users", sl.result.users.size()},
                       {"metrics", metricsJson(sl.result)}});
        }
        j["slices"] = s;
      }
      printJson(j);
      return 0;
    }
    std::cout << "evaluated users  " << withCommas(r.users.size()) << "  (test users "
              << withCommas(r.testUsers) << ", with recommendations " << withCommas(r.listedUsers)
              << ")\n";
    std::printf("%-26s %12s %12s\n", "metric", "value", "oracle");
    for (const auto& m : r.metrics) {
      std::printf("%-26s %12s %12s\n", m.name.c_str(), formatValue(m.value).c_str(),
                  formatValue(m.oracle).c_str());
    }
    if (a->slices) {
      std::cout << "\nslices (mean per metric; n = evaluated users)\n";
      std::printf("%-28s %7s", "slice", "n");
      for (const auto& m : r.metrics) std::printf(" %14s", m.name.substr(0, 14).c_str());
      std::printf("\n");
      for (const auto& sl : slices) {
        const std::string label = sl.dimension + "/" + sl.name;
        std::printf("%-28s %7zu", label.c_str(), sl.result.users.size());
        for (const auto& m : sl.result.metrics) std::printf(" %14s", formatValue(m.value).c_str());
        std::printf("\n");
      }
    }
    std::fflush(stdout);
    for (const auto& w : warnings) std::cerr << "recwb: warning: " << w << "\n";
    if (!a->perUser.empty()) std::cout << "per-user values written to " << a->perUser << "\n";
    return 0;
  };
}

}  // namespace rwb::cli
