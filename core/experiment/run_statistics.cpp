#include "core/experiment/run_statistics.h"

#include <cmath>
#include <vector>

#include "core/eval/evaluator.h"
#include "core/eval/statistics.h"

namespace rwb {

std::shared_ptr<const EvalResult> evaluationOf(const RunRecord& record) {
  auto ev = std::make_shared<EvalResult>();
  ev->k = static_cast<std::size_t>(record.k);
  ev->users = record.evaluatedUsers;
  for (const auto& [name, values] : record.perUser) {
    MetricValue mv;
    mv.name = name;
    mv.perUser = true;
    mv.perUserValues = values;
    auto it = record.metrics.find(name);
    double sum = 0.0;
    for (double v : values) {
      if (std::isnan(v)) continue;
      sum += v;
      ++mv.definedUsers;
    }
    mv.value = it != record.metrics.end()
                   ? it->second
                   : (mv.definedUsers ? sum / static_cast<double>(mv.definedUsers) : std::nan(""));
    ev->metrics.push_back(std::move(mv));
  }
  ev->testUsers = ev->listedUsers = ev->users.size();
  return ev;
}

std::map<std::string, std::pair<double, double>> bootstrapIntervals(const RunRecord& record,
                                                                    TaskContext& ctx) {
  std::map<std::string, std::pair<double, double>> out;
  BootstrapOptions bo;
  bo.resamples = 1000;
  for (const auto& [name, values] : record.perUser) {
    std::vector<double> defined;
    defined.reserve(values.size());
    for (double v : values) {
      if (!std::isnan(v)) defined.push_back(v);
    }
    if (defined.size() < 2) continue;
    const ConfidenceInterval ci = bootstrapMean(defined, bo, ctx);
    out[name] = {ci.lower, ci.upper};
  }
  return out;
}

}  // namespace rwb
