#include "core/eval/metric.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <map>

#include "core/eval/beyond_accuracy.h"
#include "core/eval/classification_metrics.h"
#include "core/eval/rating_metrics.h"
#include "core/util/error.h"

namespace rwb {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

using ListFn = double (*)(std::span<const Index>, std::span<const Index>, std::size_t);

// precision@k, recall@k, r_precision@k, hit_rate@k, mrr, map, map@k: a function of list,
// relevant set and k.
class ListMetric final : public Metric {
 public:
  ListMetric(std::string name, ListFn fn, std::size_t k) : name_(std::move(name)), fn_(fn), k_(k) {}
  std::string name() const override { return name_; }
  MetricFamily family() const override { return MetricFamily::kRanking; }
  double userValue(const UserCase& c) const override { return fn_(c.ranked, c.relevant, k_); }

 private:
  std::string name_;
  ListFn fn_;
  std::size_t k_;
};

class NdcgMetric final : public Metric {
 public:
  NdcgMetric(std::string name, Gain gain, std::size_t k)
      : name_(std::move(name)), gain_(gain), k_(k) {}
  std::string name() const override { return name_; }
  MetricFamily family() const override { return MetricFamily::kRanking; }
  double userValue(const UserCase& c) const override {
    return ndcgAtK(c.ranked, c.relevant, c.values, k_, gain_);
  }

 private:
  std::string name_;
  Gain gain_;
  std::size_t k_;
};

class AucMetric final : public Metric {
 public:
  std::string name() const override { return "auc"; }
  MetricFamily family() const override { return MetricFamily::kRanking; }
  bool needsSeenItems() const override { return true; }
  double userValue(const UserCase& c) const override {
    return userAuc(c.ranked, c.relevant, c.numCandidates);
  }
};

// Rating and classification metrics: a function of two aligned vectors.
using PairFn = double (*)(std::span<const double>, std::span<const double>);

class PairMetric final : public Metric {
 public:
  PairMetric(std::string name, MetricFamily family, PairFn fn, bool higherIsBetter)
      : name_(std::move(name)), family_(family), fn_(fn), higher_(higherIsBetter) {}
  std::string name() const override { return name_; }
  MetricFamily family() const override { return family_; }
  bool perUser() const override { return false; }
  bool higherIsBetter() const override { return higher_; }
  double globalValue(const GlobalCase& g) const override {
    if (family_ == MetricFamily::kRating) {
      return g.truth.empty() ? kNaN : fn_(g.truth, g.predicted);
    }
    return g.labels.empty() ? kNaN : fn_(g.labels, g.scores);
  }

 private:
  std::string name_;
  MetricFamily family_;
  PairFn fn_;
  bool higher_;
};

double logLossDefault(std::span<const double> labels, std::span<const double> p) {
  return logLoss(labels, p);
}

// Beyond-accuracy metrics over the whole run.
using RunFn = double (*)(std::span<const std::span<const Index>>, const TrainStats&);

class RunMetric final : public Metric {
 public:
  RunMetric(std::string name, RunFn fn, bool higherIsBetter)
      : name_(std::move(name)), fn_(fn), higher_(higherIsBetter) {}
  std::string name() const override { return name_; }
  MetricFamily family() const override { return MetricFamily::kBeyondAccuracy; }
  bool perUser() const override { return false; }
  bool higherIsBetter() const override { return higher_; }
  double globalValue(const GlobalCase& g) const override {
    return g.train ? fn_(g.lists, *g.train) : kNaN;
  }

 private:
  std::string name_;
  RunFn fn_;
  bool higher_;
};

// Beyond-accuracy metrics per user.
using UserFn = double (*)(const UserCase&);

class UserBeyondMetric final : public Metric {
 public:
  UserBeyondMetric(std::string name, UserFn fn, bool needsSimilarity)
      : name_(std::move(name)), fn_(fn), similarity_(needsSimilarity) {}
  std::string name() const override { return name_; }
  MetricFamily family() const override { return MetricFamily::kBeyondAccuracy; }
  bool needsSimilarity() const override { return similarity_; }
  double userValue(const UserCase& c) const override { return c.train ? fn_(c) : kNaN; }

 private:
  std::string name_;
  UserFn fn_;
  bool similarity_;
};

double userDiversity(const UserCase& c) { return intraListDiversity(c.ranked, *c.train); }
double userSerendipity(const UserCase& c) {
  return serendipity(c.ranked, c.seen, {}, *c.train, false);
}
double userSerendipityRelevant(const UserCase& c) {
  return serendipity(c.ranked, c.seen, c.relevant, *c.train, true);
}
double userPopularity(const UserCase& c) { return averagePopularity(c.ranked, *c.train); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// Library aliases -> our names.
const std::map<std::string, std::string, std::less<>>& aliases() {
  static const std::map<std::string, std::string, std::less<>> m = {
      {"precision_at_k", "precision"},
      {"recall_at_k", "recall"},
      {"r_precision_at_k", "r_precision"},
      {"ndcg_at_k", "ndcg"},
      {"ndcg_at_k_raw", "ndcg_raw"},
      {"ndcg_at_k_exp", "ndcg_exp"},
      {"map_at_k", "map@k"},
      {"rsquared", "r2"},
      {"exp_var", "explained_variance"},
      {"hit_rate_at_k", "hit_rate"},
      {"hitrate", "hit_rate"},
      {"log_loss", "logloss"},
      {"mrr_at_k", "mrr"},
      {"coverage", "catalog_coverage"}};
  return m;
}
}  // namespace

std::string_view metricFamilyName(MetricFamily family) noexcept {
  switch (family) {
    case MetricFamily::kRanking:
      return "ranking";
    case MetricFamily::kRating:
      return "rating";
    case MetricFamily::kClassification:
      return "classification";
    case MetricFamily::kBeyondAccuracy:
      return "beyond_accuracy";
  }
  return "unknown";
}

double Metric::userValue(const UserCase&) const { return kNaN; }
double Metric::globalValue(const GlobalCase&) const { return kNaN; }

std::unique_ptr<Metric> createMetric(std::string_view requested, std::size_t defaultK) {
  std::string name = lower(requested);
  if (auto it = aliases().find(name); it != aliases().end()) name = it->second;
  std::string base = name;
  std::size_t k = defaultK;
  bool hasCut = false;
  if (const auto at = name.find('@'); at != std::string::npos) {
    base = name.substr(0, at);
    const std::string cut = name.substr(at + 1);
    hasCut = true;
    if (cut != "k") {
      std::size_t v = 0;
      const auto [p, ec] = std::from_chars(cut.data(), cut.data() + cut.size(), v);
      if (ec != std::errc() || p != cut.data() + cut.size()) {
        throw SpecError("metrics", "metric '" + std::string(requested) +
                                       "': the cut-off after '@' must be a number or k");
      }
      k = v;
    }
  }
  if (auto it = aliases().find(base); it != aliases().end() && hasCut) base = it->second;
  if (k == 0) {
    throw SpecError("metrics", "metric '" + std::string(requested) + "': k must be at least 1");
  }
  const std::string at = "@" + std::to_string(k);
  if (base == "precision") return std::make_unique<ListMetric>("precision" + at, precisionAtK, k);
  if (base == "recall") return std::make_unique<ListMetric>("recall" + at, recallAtK, k);
  if (base == "r_precision") {
    return std::make_unique<ListMetric>("r_precision" + at, rPrecisionAtK, k);
  }
  if (base == "hit_rate") return std::make_unique<ListMetric>("hit_rate" + at, hitRateAtK, k);
  if (base == "mrr") return std::make_unique<ListMetric>("mrr" + at, reciprocalRankAtK, k);
  if (base == "map") {
    // The library's `map` cuts the list at k too but divides by all relevant items; its name
    // carries no "@" ("map@k" is the min(k, relevant) variant).
    if (hasCut) return std::make_unique<ListMetric>("map" + at, averagePrecisionAtK, k);
    return std::make_unique<ListMetric>("map", averagePrecision, k);
  }
  if (base == "ndcg") return std::make_unique<NdcgMetric>("ndcg" + at, Gain::kBinary, k);
  if (base == "ndcg_raw") return std::make_unique<NdcgMetric>("ndcg_raw" + at, Gain::kRaw, k);
  if (base == "ndcg_exp") return std::make_unique<NdcgMetric>("ndcg_exp" + at, Gain::kExp, k);
  if (!hasCut) {
    if (base == "auc") return std::make_unique<AucMetric>();
    if (base == "rmse")
      return std::make_unique<PairMetric>("rmse", MetricFamily::kRating, rmse, false);
    if (base == "mae")
      return std::make_unique<PairMetric>("mae", MetricFamily::kRating, mae, false);
    if (base == "r2")
      return std::make_unique<PairMetric>("r2", MetricFamily::kRating, rSquared, true);
    if (base == "explained_variance") {
      return std::make_unique<PairMetric>("explained_variance", MetricFamily::kRating,
                                          explainedVariance, true);
    }
    if (base == "roc_auc") {
      return std::make_unique<PairMetric>("roc_auc", MetricFamily::kClassification, rocAuc, true);
    }
    if (base == "logloss") {
      return std::make_unique<PairMetric>("logloss", MetricFamily::kClassification, logLossDefault,
                                          false);
    }
    if (base == "pr_auc") {
      return std::make_unique<PairMetric>("pr_auc", MetricFamily::kClassification,
                                          averagePrecisionScore, true);
    }
    if (base == "brier") {
      return std::make_unique<PairMetric>("brier", MetricFamily::kClassification, brierScore,
                                          false);
    }
    if (base == "catalog_coverage") {
      return std::make_unique<RunMetric>("catalog_coverage", catalogCoverage, true);
    }
    if (base == "distributional_coverage") {
      return std::make_unique<RunMetric>("distributional_coverage", distributionalCoverage, true);
    }
    if (base == "gini") return std::make_unique<RunMetric>("gini", giniIndex, false);
    if (base == "novelty") return std::make_unique<RunMetric>("novelty", novelty, true);
    if (base == "diversity") {
      return std::make_unique<UserBeyondMetric>("diversity", userDiversity, true);
    }
    if (base == "serendipity") {
      return std::make_unique<UserBeyondMetric>("serendipity", userSerendipity, true);
    }
    if (base == "serendipity_relevant") {
      return std::make_unique<UserBeyondMetric>("serendipity_relevant", userSerendipityRelevant,
                                                true);
    }
    if (base == "avg_popularity") {
      return std::make_unique<UserBeyondMetric>("avg_popularity", userPopularity, false);
    }
  }
  std::string known;
  for (const auto& n : knownMetricNames()) known += (known.empty() ? "" : ", ") + n;
  throw SpecError("metrics",
                  "unknown metric '" + std::string(requested) + "' (known: " + known + ")");
}

const std::vector<std::string>& knownMetricNames() {
  static const std::vector<std::string> names = {"precision@k",
                                                 "recall@k",
                                                 "r_precision@k",
                                                 "ndcg@k",
                                                 "ndcg_raw@k",
                                                 "ndcg_exp@k",
                                                 "map",
                                                 "map@k",
                                                 "mrr",
                                                 "hit_rate@k",
                                                 "auc",
                                                 "rmse",
                                                 "mae",
                                                 "r2",
                                                 "explained_variance",
                                                 "roc_auc",
                                                 "logloss",
                                                 "pr_auc",
                                                 "brier",
                                                 "catalog_coverage",
                                                 "distributional_coverage",
                                                 "gini",
                                                 "novelty",
                                                 "diversity",
                                                 "serendipity",
                                                 "serendipity_relevant",
                                                 "avg_popularity"};
  return names;
}

std::vector<std::string> defaultRankingMetrics() {
  return {"precision@k", "recall@k", "ndcg@k", "map", "map@k", "mrr", "hit_rate@k"};
}

}  // namespace rwb
