#pragma once
/// \file
/// The evaluator: scores recommendation lists of many users against a test set and keeps the
/// per-user values of every metric (the store, the GUI and the significance tests use them).
///
/// Protocol (identical to Microsoft Recommenders' python_evaluation):
/// - Evaluated users are those present both in the test set and in the recommendations
///   (a user given with an empty list is present and scores 0 on ranking metrics).
/// - An item is relevant when it is in the user's test set. Duplicate (user, item) test rows
///   count once, with the largest value.
/// - Ranking metrics look at the first k items of each list; lists are taken in the order
///   given (best first); core/data/rec_list.h has the two ordering rules.
/// - The run's value of a per-user metric is the mean over evaluated users with a defined value.
/// Formulas, sources and the oracle: docs/metrics.md.

#include <Eigen/Dense>
#include <cstddef>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/data/dataset.h"
#include "core/data/rec_list.h"
#include "core/eval/metric.h"
#include "core/util/task_context.h"

namespace rwb {

/// How classification metrics label the scored pairs.
enum class ClassificationLabels {
  /// Every listed item of an evaluated user is one example: label 1 if it is in the user's test
  /// set, else 0; its score is the prediction (the engagement view, default).
  kMembership,
  /// Microsoft Recommenders' auc/logloss: the listed items that are also in the test set, with
  /// the test value (which must be 0 or 1) as label.
  kTestValue
};

/// Options of one evaluation.
struct EvalOptions {
  std::size_t k = 10;                ///< cut-off for metrics named without "@n" (>= 1)
  std::vector<std::string> metrics;  ///< names for createMetric(); empty = defaultRankingMetrics()
  bool oracle = true;                ///< also score the ideal lists (EvalResult oracle values)
  /// Number of item indices in the catalogue; 0 = the largest of train.numItems(),
  /// test.numItems() and every listed index + 1. Used for AUC candidates and Gini.
  std::size_t catalogSize = 0;
  /// Per evaluated-or-not user (aligned with the `users` argument): number of candidate items
  /// the user was ranked over. Empty = catalogue size minus the user's training items (the
  /// "all unseen items" protocol).
  std::vector<std::size_t> candidates;
  ClassificationLabels labels = ClassificationLabels::kMembership;
  /// For diversity/serendipity: item feature vectors (row = item index) to use cosine over
  /// features instead of training co-occurrence. Empty = co-occurrence.
  Eigen::MatrixXf itemFeatures;
};

/// One metric of one run.
struct MetricValue {
  std::string name;  ///< canonical, e.g. "ndcg@10"
  MetricFamily family = MetricFamily::kRanking;
  bool higherIsBetter = true;
  bool perUser = true;  ///< false: a global value, perUserValues is empty
  double value = std::numeric_limits<double>::quiet_NaN();   ///< mean or global value
  double oracle = std::numeric_limits<double>::quiet_NaN();  ///< the ideal lists' value
  std::vector<double> perUserValues;  ///< aligned with EvalResult::users; NaN = undefined
  std::size_t definedUsers = 0;       ///< users with a defined value (the mean's denominator)
};

/// The result of one evaluation: means, per-user vectors and the oracle.
struct EvalResult {
  std::size_t k = 10;
  std::vector<Index> users;  ///< evaluated users, ascending index
  std::vector<MetricValue> metrics;
  std::size_t testUsers = 0;               ///< users with at least one test item
  std::size_t listedUsers = 0;             ///< users given recommendations
  std::size_t testUsersWithoutList = 0;    ///< in test, no recommendations (not evaluated)
  std::size_t listedUsersWithoutTest = 0;  ///< recommended, no test items (not evaluated)
  std::vector<std::string> warnings;

  /// The metric named so, or nullptr.
  const MetricValue* find(std::string_view name) const;
  /// The value of the metric named so; throws rwb::Error when it was not computed.
  double value(std::string_view name) const;
};

/// Each user's test items: ascending, unique (largest value kept for duplicates).
struct GroundTruth {
  std::vector<std::uint64_t> offsets{0};  ///< numUsers + 1
  std::vector<Index> items;
  std::vector<float> values;
  std::size_t numUsers() const noexcept { return offsets.size() - 1; }
  std::span<const Index> itemsOf(Index user) const noexcept;
  std::span<const float> valuesOf(Index user) const noexcept;
  /// Builds it from a test dataset.
  static GroundTruth fromDataset(const Dataset& test);
  /// The same, keeping only items for which keep(item) is true.
  template <typename Pred>
  GroundTruth filtered(Pred keep) const {
    GroundTruth g;
    g.offsets.reserve(offsets.size());
    for (std::size_t u = 0; u + 1 < offsets.size(); ++u) {
      for (auto p = offsets[u]; p < offsets[u + 1]; ++p) {
        if (keep(items[p])) {
          g.items.push_back(items[p]);
          g.values.push_back(values[p]);
        }
      }
      g.offsets.push_back(g.items.size());
    }
    return g;
  }
};

/// Evaluates lists[i] (recommendations of users[i], best first) against `test`. train and test
/// must share id maps (test loaded with base = train, or both split from one dataset).
///
/// Throws rwb::Error when users and lists differ in length, a user appears twice, a list holds
/// an item twice (naming user, item and positions), or an item index is invalid; SpecError for
/// unknown metric names; Cancelled when ctx stops (nothing is returned). Runs in parallel
/// (TBB, in the caller's arena); deterministic whatever the thread count.
EvalResult evaluate(const Dataset& train, const Dataset& test, std::span<const Index> users,
                    std::span<const RecList> lists, const EvalOptions& options, TaskContext& ctx);

/// Same, with prepared ground truth (for callers evaluating many runs or slices).
EvalResult evaluate(const Dataset& train, const GroundTruth& truth, std::span<const Index> users,
                    std::span<const RecList> lists, const EvalOptions& options, TaskContext& ctx);

}  // namespace rwb
