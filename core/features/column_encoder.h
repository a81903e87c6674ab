#pragma once
/// \file
/// ColumnEncoder: turns one attribute column into sparse features. Fitted on the rows of the
/// entities present in the training split only; applied to any row (unseen categories and words
/// are dropped, or go to the "other" bucket).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/data/attribute_table.h"
#include "core/features/sparse.h"
#include "core/util/binary_io.h"

namespace rwb {

/// Configuration of one encoder. JSON form: {"column": "genres", "kind": "multihot",
/// "min_frequency": 1, "hash_buckets": 0, "log": false, "standardize": true, "bins": 0,
/// "missing_indicator": true, "lowercase": true, "stop_words": true, "ngram_max": 2,
/// "min_df": 1, "max_df": 1.0, "max_features": 5000, "l2_norm": true, "year": true, "age": true}
struct EncoderConfig {
  std::string column;
  /// "onehot" (categorical), "multihot" (multi or categorical), "numeric", "tfidf" (text),
  /// "date" (numeric Unix seconds -> year and age in years).
  std::string kind;
  // onehot / multihot
  int minFrequency = 1;  ///< categories seen in fewer training rows go to the "other" bucket
  int hashBuckets = 0;   ///< > 0: hash category text into this many buckets (no vocabulary)
  // numeric
  bool log = false;         ///< x -> sign(x) * log(1 + |x|) before anything else
  bool standardize = true;  ///< (x - mean) / std with training mean and std
  int bins = 0;             ///< > 1: also one-hot quantile bins (edges from training rows)
  bool missingIndicator = true;
  // tfidf
  bool lowercase = true;
  bool stopWords = true;   ///< drop common English stop words
  int ngramMax = 2;        ///< 1 = unigrams, 2 = unigrams + bigrams
  int minDf = 1;           ///< minimum document frequency (training rows)
  double maxDf = 1.0;      ///< maximum document frequency as a fraction of training rows
  int maxFeatures = 5000;  ///< vocabulary cap: the terms of highest df (ties by term)
  bool l2Norm = true;
  // date
  bool year = true;
  bool age = true;

  static EncoderConfig fromJson(const nlohmann::json& j, const std::string& path);
  nlohmann::json toJson() const;
};

/// The natural encoder of a column type (used by "auto" pipelines).
EncoderConfig defaultEncoderFor(const AttributeColumn& column);

/// Splits text into lower-cased (optionally) word tokens: runs of ASCII letters and digits and
/// bytes >= 0x80 (so Latin-1 and UTF-8 letters stay inside words); apostrophes are dropped.
std::vector<std::string> tokenize(std::string_view text, bool lowercase);
/// True for a small built-in English stop-word list.
bool isStopWord(std::string_view word);

/// A fitted encoder of one column. Formulas:
///  onehot/multihot: 1 per present category (vocabulary = categories with >= minFrequency
///    training rows; others -> "<col>=<other>"), or 1 in bucket fnv1a(text) mod hashBuckets.
///  numeric: z = (t(x) - mean) / std (t = identity or signed log1p), missing -> 0 and
///    indicator 1; bins: one-hot of the quantile bin of t(x).
///  tfidf: tf(t, d) * idf(t), idf = ln((1 + n) / (1 + df)) + 1 (smooth IDF), then L2 norm.
///  date: year and age = (reference - x) / 365.25 days, both standardised.
class ColumnEncoder {
 public:
  ColumnEncoder() = default;
  explicit ColumnEncoder(EncoderConfig config, std::string prefix)
      : config_(std::move(config)), prefix_(std::move(prefix)) {}

  /// Fits on `rows` of `column` (rows past the column's end count as missing). referenceTime
  /// (Unix seconds) anchors date ages. Throws SpecError when the column type does not suit the
  /// kind.
  void fit(const AttributeColumn& column, std::span<const Index> rows, std::int64_t referenceTime,
           const std::string& path);
  /// Appends the features of `row` with indices offset by `offset`.
  void encode(const AttributeColumn& column, Index row, std::uint32_t offset,
              SparseVector& out) const;

  /// True when this encoder's kind can encode a column of `type` (the check fit() makes).
  bool accepts(ColumnType type) const noexcept;

  std::size_t dim() const noexcept { return names_.size(); }
  const std::vector<std::string>& names() const noexcept { return names_; }
  const EncoderConfig& config() const noexcept { return config_; }

  void save(BinaryWriter& out) const;
  static ColumnEncoder load(BinaryReader& in);

 private:
  void checkType(const AttributeColumn& column, const std::string& path) const;
  std::vector<std::string> terms(std::string_view text) const;

  EncoderConfig config_;
  std::string prefix_;
  std::vector<std::string> names_;
  std::unordered_map<std::string, std::uint32_t> vocab_;  ///< category / term -> local index
  std::vector<float> idf_;                                ///< tfidf: per local index
  double mean_ = 0.0, std_ = 1.0;                         ///< numeric, date year
  double ageMean_ = 0.0, ageStd_ = 1.0;                   ///< date age
  std::vector<double> edges_;                             ///< numeric bins
  std::int64_t reference_ = 0;
  std::uint32_t otherIndex_ = 0, missingIndex_ = 0, binsStart_ = 0, ageIndex_ = 0;
  bool hasOther_ = false, hasMissing_ = false;
};

}  // namespace rwb
