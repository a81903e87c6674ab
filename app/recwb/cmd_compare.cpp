// recwb compare: two or more recommendation files on one split, with confidence intervals,
// paired tests (Holm-adjusted for more than two runs) and effect sizes.
#include <filesystem>
#include <iostream>

#include "cli.h"
#include "core/eval/comparison.h"
#include "core/util/error.h"
#include "eval_common.h"

namespace rwb::cli {

namespace {
struct CompareArgs {
  std::vector<std::string> recs;
  std::string train, test;
  std::size_t k = 10;
  std::vector<std::string> metrics;
  std::size_t resamples = 1000;
  std::uint64_t seed = 42;
  double level = 0.95;
};

nlohmann::json num(double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); }
}  // namespace

Action registerCompare(CLI::App& sub, Common& common) {
  auto a = std::make_shared<CompareArgs>();
  sub.add_option("recs", a->recs, "Recommendation files (user, item, score[, rank]), 2 or more")
      ->required()
      ->expected(2, -1);
  sub.add_option("--train", a->train, "Training interactions")->required();
  sub.add_option("--test", a->test, "Test interactions")->required();
  // CLI::PositiveNumber rejected 0 as "not in range 0.000000 to 1.797693e+308": give the range.
  sub.add_option("-k", a->k, "Cut-off for metrics named without @n")->check(CLI::Range(1, 100000));
  sub.add_option("--metrics", a->metrics,
                 "Metrics (comma separated); default precision@k,recall@k,ndcg@k,map,mrr")
      ->delimiter(',');
  sub.add_option("--resamples", a->resamples, "Bootstrap resamples")
      ->check(CLI::Range(1, 10000000));
  sub.add_option("--seed", a->seed, "Bootstrap seed");
  sub.add_option("--level", a->level, "Confidence level")->check(CLI::Range(0.5, 0.999));
  return [a, &common]() {
    TerminalTask task(common);
    EvalInputs in = loadTrainTest(a->train, a->test, task.ctx());
    EvalOptions opt;
    opt.k = a->k;
    opt.metrics = a->metrics.empty()
                      ? std::vector<std::string>{"precision@k", "recall@k", "ndcg@k", "map", "mrr"}
                      : splitMetricList(a->metrics);
    std::vector<EvalResult> results;
    std::vector<std::string> names;
    const double share = 0.4 / static_cast<double>(a->recs.size());
    for (std::size_t i = 0; i < a->recs.size(); ++i) {
      TaskContext c(task.ctx(), 0.45 + share * static_cast<double>(i),
                    0.45 + share * static_cast<double>(i + 1));
      const RecommendationFile recs = loadRecommendations(a->recs[i], in.test.dataset, {}, c);
      results.push_back(
          evaluate(in.train.dataset, in.test.dataset, recs.listUsers, recs.lists, opt, c));
      std::string name = std::filesystem::path(a->recs[i]).filename().string();
      if (std::find(names.begin(), names.end(), name) != names.end()) name = a->recs[i];
      names.push_back(name);
    }
    std::vector<const EvalResult*> ptrs;
    for (const auto& r : results) ptrs.push_back(&r);
    CompareOptions co;
    co.bootstrap.resamples = a->resamples;
    co.bootstrap.seed = a->seed;
    co.bootstrap.level = a->level;
    TaskContext cc(task.ctx(), 0.85, 1.0);
    const ComparisonResult cmp = compareRuns(ptrs, names, co, cc);
    task.finish();
    const bool holm = names.size() > 2;
    if (common.json) {
      nlohmann::json j = {{"k", a->k},
                          {"runs", names},
                          {"users", cmp.users.size()},
                          {"confidence_level", a->level},
                          {"bootstrap_resamples", a->resamples},
                          {"seed", a->seed},
                          {"warnings", cmp.warnings}};
      nlohmann::json ms = nlohmann::json::array();
      for (const auto& m : cmp.metrics) {
        nlohmann::json runs = nlohmann::json::array();
        for (std::size_t r = 0; r < m.runs.size(); ++r) {
          runs.push_back({{"run", names[r]},
                          {"mean", num(m.runs[r].estimate)},
                          {"ci_lower", num(m.runs[r].lower)},
                          {"ci_upper", num(m.runs[r].upper)},
                          {"oracle", num(m.oracle[r])}});
        }
        nlohmann::json pairs = nlohmann::json::array();
        for (const auto& p : m.pairs) {
          pairs.push_back({{"a", names[p.a]},
                           {"b", names[p.b]},
                           {"difference", num(p.difference.estimate)},
                           {"difference_ci_lower", num(p.difference.lower)},
                           {"difference_ci_upper", num(p.difference.upper)},
                           {"t", num(p.tTest.statistic)},
                           {"t_p", num(p.tTest.pValue)},
                           {"t_p_holm", num(p.tTestHolm)},
                           {"wilcoxon_v", num(p.wilcoxon.statistic)},
                           {"wilcoxon_p", num(p.wilcoxon.pValue)},
                           {"wilcoxon_p_holm", num(p.wilcoxonHolm)},
                           {"wilcoxon_exact", p.wilcoxon.exact},
                           {"cohens_d", num(p.cohensD)},
                           {"pairs", p.tTest.n}});
        }
        ms.push_back({{"metric", m.metric},
                      {"higher_is_better", m.higherIsBetter},
                      {"runs", runs},
                      {"comparisons", pairs}});
      }
      j["metrics"] = ms;
      printJson(j);
      return 0;
    }
    std::cout << "users compared  " << withCommas(cmp.users.size()) << "  (k = " << a->k << ", "
              << static_cast<int>(a->level * 100 + 0.5) << "% bootstrap CI, " << a->resamples
              << " resamples, seed " << a->seed << ")\n";
    for (const auto& m : cmp.metrics) {
      std::cout << "\n" << m.metric << (m.higherIsBetter ? "" : "  (lower is better)") << "\n";
      for (std::size_t r = 0; r < m.runs.size(); ++r) {
        std::printf("  %-30s %10s  [%s, %s]\n", names[r].c_str(),
                    formatValue(m.runs[r].estimate).c_str(), formatValue(m.runs[r].lower).c_str(),
                    formatValue(m.runs[r].upper).c_str());
      }
      for (const auto& p : m.pairs) {
        std::printf("  %s - %s: %s [%s, %s]  t p=%s%s  Wilcoxon p=%s%s  d=%s\n", names[p.b].c_str(),
                    names[p.a].c_str(), formatValue(p.difference.estimate).c_str(),
                    formatValue(p.difference.lower).c_str(),
                    formatValue(p.difference.upper).c_str(), formatP(p.tTest.pValue).c_str(),
                    holm ? (" (Holm " + formatP(p.tTestHolm) + ")").c_str() : "",
                    formatP(p.wilcoxon.pValue).c_str(),
                    holm ? (" (Holm " + formatP(p.wilcoxonHolm) + ")").c_str() : "",
                    formatValue(p.cohensD, 3).c_str());
      }
    }
    std::fflush(stdout);
    for (const auto& w : cmp.warnings) std::cerr << "recwb: warning: " << w << "\n";
    for (std::size_t r = 0; r < results.size(); ++r) {
      for (const auto& w : results[r].warnings) {
        std::cerr << "recwb: warning: " << names[r] << ": " << w << "\n";
      }
    }
    return 0;
  };
}

}  // namespace rwb::cli
