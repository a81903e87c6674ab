#pragma once
/// \file
/// FeatureConfig: the declarative configuration of a FeaturePipeline (encoders, crosses,
/// behavioural features, labels, negatives), its JSON form and its checks against a Dataset.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/features/column_encoder.h"

namespace rwb {

/// How engagement labels are derived from the training interactions.
struct LabelConfig {
  /// "threshold": value >= threshold is a positive; "implicit": every interaction (optionally
  /// only those of the listed event types) is a positive.
  std::string mode = "implicit";
  double threshold = 4.0;
  std::vector<std::string> events;  ///< implicit mode: event names that count (empty = all)
  /// threshold mode: interactions below the threshold become explicit negatives (label 0).
  bool explicitNegatives = false;

  /// True when the interaction at row r of `log` is a positive under this config.
  bool isPositive(const Interactions& log, std::size_t r) const;
};

/// Negative sampling for the training matrix.
struct NegativeConfig {
  double ratio = 4.0;                ///< sampled negatives per positive (0 = none)
  std::string sampling = "uniform";  ///< "uniform" or "popularity"
  double popularityExponent = 0.75;  ///< popularity sampling: P(i) ~ count_i ^ exponent
};

/// Behavioural (pair-level) features.
struct BehaviourConfig {
  bool profileCosine = true;  ///< cosine(user content profile, item content vector)
  double halfLifeDays = 0.0;  ///< profile time decay (0 = none)
  bool valueWeighted = true;  ///< profile weights multiplied by the interaction value
  std::vector<std::string> affinityColumns;  ///< item categorical/multi columns: user affinity
  /// Item categorical/multi columns whose values each get their own affinity feature: for an
  /// item with value c, `affinity:<col>=c` = the user's engagement weight on c / total weight.
  std::vector<std::string> affinityValues;
  /// Item numeric columns described by the user's engaged items: the weighted mean and spread
  /// of the column over the user's history and the item's distance from them.
  std::vector<std::string> numericProfile;
  /// Item date columns (numeric Unix seconds, e.g. a release date) compared with the user's
  /// training activity: days from the user's first and from their last training interaction
  /// to the item's date (an item dated after a user's activity ended was never available to
  /// them).
  std::vector<std::string> dateVsActivity;
  bool itemPopularity = true;  ///< log(1 + 1e5 * count_i / N_train) and item-is-new indicator
  bool itemRecency = true;     ///< log(1 + days since the item's last training interaction)
  bool userActivity = true;    ///< log(1 + user's training interaction count)
  /// Share of training users (chosen by a seeded hash) whose training rows are built as for a
  /// user without history: no profile, affinity or activity, score sources asked as for a new
  /// user. Trains the model for the rows new users get (otherwise every training row has a
  /// history and a new user's rows fall where trees never needed the user's attributes).
  double coldUserDropout = 0.0;
  /// Cell popularity: each entry is a list of user columns (each with a onehot user encoder)
  /// forming a cell, e.g. {"age_band", "gender"}; per entry, the item's share of the positives
  /// of the other training users in the row's user's cell, shrunk towards the global share,
  /// and its lift over the global share (CellPopularity, docs/features.md).
  std::vector<std::vector<std::string>> cellPopularity;
  /// Pseudo-positives shrinking a cell's share towards the global share.
  double cellSmoothing = 10.0;
};

/// One cross: every encoded value of a user categorical column x every value of an item
/// categorical/multi column gets its own feature (e.g. gender=F x genre=Drama).
struct CrossConfig {
  std::string userColumn;
  std::string itemColumn;
};

/// The whole declarative configuration. JSON form (every key optional):
/// { "user": [EncoderConfig...], "item": [EncoderConfig...], "crosses": [{"user": "gender",
///   "item": "genres"}], "behaviour": {"profile_cosine": true, "half_life_days": 0,
///   "value_weighted": true, "affinity": ["genres"], "affinity_values": ["genres"],
///   "numeric_profile": ["year"], "date_vs_activity": ["release_date"], "item_popularity": true,
///   "item_recency": true, "user_activity": true, "cold_user_dropout": 0,
///   "cell_popularity": [["age_band", "gender"], "occupation"], "cell_smoothing": 10}, "labels":
///   {"mode": "threshold", "threshold": 4, "events": [], "explicit_negatives": false}, "negatives":
///   {"ratio": 4, "sampling": "uniform", "popularity_exponent": 0.75}, "auto": true }
/// With "auto": true (the default when "user" and "item" are both absent), every attribute
/// column gets its natural encoder (categorical -> onehot, multi -> multihot, numeric ->
/// standardise + missing indicator, text -> tfidf).
struct FeatureConfig {
  std::vector<EncoderConfig> user;
  std::vector<EncoderConfig> item;
  std::vector<CrossConfig> crosses;
  BehaviourConfig behaviour;
  LabelConfig labels;
  NegativeConfig negatives;
  bool autoEncoders = true;

  /// Parses the JSON form. Throws SpecError naming the JSON path (under `path`) of a bad field.
  static FeatureConfig fromJson(const nlohmann::json& j, const std::string& path = "$.features");
  /// Parses JSON text ("" = the default config). Throws SpecError on bad JSON.
  static FeatureConfig parse(const std::string& text, const std::string& path = "$.features");
  /// Checks that every attribute column the configuration names (encoders, crosses, affinity)
  /// exists in data's user or item attribute table, so a misspelt column fails before any fit.
  /// Throws SpecError at the JSON path (under `path`) of the first unknown column.
  void checkColumns(const Dataset& data, const std::string& path = "$.features") const;
  nlohmann::json toJson() const;
};

/// The attribute column `name` of `table`. Throws SpecError at `path` naming the available
/// columns when there is none; `entity` ("user" or "item") names the table in the message.
const AttributeColumn& requireColumn(const AttributeTable& table, const std::string& name,
                                     const std::string& path, const char* entity);

}  // namespace rwb
