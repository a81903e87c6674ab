#include "core/features/column_encoder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <unordered_set>

#include "core/util/error.h"
#include "core/util/json.h"

namespace rwb {

namespace {

const std::unordered_set<std::string_view>& stopWordSet() {
  static const std::unordered_set<std::string_view> words = {
      "a",     "about", "after", "again",  "all",   "an",   "and",  "any",   "are",   "as",
      "at",    "be",    "been",  "before", "being", "but",  "by",   "can",   "did",   "do",
      "does",  "for",   "from",  "had",    "has",   "have", "he",   "her",   "his",   "how",
      "i",     "if",    "in",    "into",   "is",    "it",   "its",  "me",    "my",    "no",
      "nor",   "not",   "of",    "on",     "or",    "our",  "out",  "over",  "she",   "so",
      "some",  "than",  "that",  "the",    "their", "them", "then", "there", "these", "they",
      "this",  "to",    "too",   "up",     "very",  "was",  "we",   "were",  "what",  "when",
      "where", "which", "while", "who",    "why",   "will", "with", "you",   "your",  "s",
      "t",     "le",    "la",    "les",    "el",    "der",  "die",  "das",   "il"};
  return words;
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

bool isWordByte(unsigned char c) { return std::isalnum(c) != 0 || c >= 0x80; }

double signedLog(double x) { return x < 0 ? -std::log1p(-x) : std::log1p(x); }

double yearOf(double unixSeconds) {
  using namespace std::chrono;
  const auto d = floor<days>(sys_seconds(seconds(static_cast<std::int64_t>(unixSeconds))));
  const year_month_day ymd(d);
  const double startOfYear = static_cast<double>(
      duration_cast<seconds>(sys_days(ymd.year() / 1 / 1).time_since_epoch()).count());
  return static_cast<int>(ymd.year()) + (unixSeconds - startOfYear) / (365.25 * 86400.0);
}

void meanStd(const std::vector<double>& v, double& mean, double& sd) {
  mean = 0.0;
  sd = 1.0;
  if (v.empty()) return;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  double ss = 0.0;
  for (double x : v) ss += (x - mean) * (x - mean);
  sd = std::sqrt(ss / static_cast<double>(v.size()));
  if (!(sd > 1e-12)) sd = 1.0;
}

}  // namespace

bool isStopWord(std::string_view word) { return stopWordSet().count(word) > 0; }

std::vector<std::string> tokenize(std::string_view text, bool lowercase) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    const unsigned char c = i < text.size() ? static_cast<unsigned char>(text[i]) : ' ';
    if (c == '\'') continue;  // "don't" -> "dont", "Schindler's" -> "schindlers"
    if (isWordByte(c)) {
      cur.push_back(lowercase && c < 0x80 ? static_cast<char>(std::tolower(c))
                                          : static_cast<char>(c));
    } else if (!cur.empty()) {
      out.push_back(std::move(cur));
      cur.clear();
    }
  }
  return out;
}

EncoderConfig EncoderConfig::fromJson(const nlohmann::json& j, const std::string& path) {
  checkKeys(j, path,
            {"column", "kind", "min_frequency", "hash_buckets", "log", "standardize", "bins",
             "missing_indicator", "lowercase", "stop_words", "ngram_max", "min_df", "max_df",
             "max_features", "l2_norm", "year", "age"});
  EncoderConfig c;
  c.column = asNonEmptyString(requireKey(j, "column", path), path + ".column");
  c.kind = asChoice(requireKey(j, "kind", path), path + ".kind",
                    {"onehot", "multihot", "numeric", "tfidf", "date"});
  const auto optIntIn = [&](const char* key, int def, int lo, int hi) {
    return static_cast<int>(optInt(j, key, path, def, lo, hi));
  };
  c.minFrequency = optIntIn("min_frequency", c.minFrequency, 1, 1 << 30);
  c.hashBuckets = optIntIn("hash_buckets", c.hashBuckets, 0, 1 << 24);
  c.log = optBool(j, "log", path, c.log);
  c.standardize = optBool(j, "standardize", path, c.standardize);
  c.bins = optIntIn("bins", c.bins, 0, 1000);
  c.missingIndicator = optBool(j, "missing_indicator", path, c.missingIndicator);
  c.lowercase = optBool(j, "lowercase", path, c.lowercase);
  c.stopWords = optBool(j, "stop_words", path, c.stopWords);
  c.ngramMax = optIntIn("ngram_max", c.ngramMax, 1, 2);
  c.minDf = optIntIn("min_df", c.minDf, 1, 1 << 30);
  c.maxDf = optNumber(j, "max_df", path, c.maxDf, 0.0, 1.0);
  c.maxFeatures = optIntIn("max_features", c.maxFeatures, 1, 1 << 24);
  c.l2Norm = optBool(j, "l2_norm", path, c.l2Norm);
  c.year = optBool(j, "year", path, c.year);
  c.age = optBool(j, "age", path, c.age);
  if (c.kind == "date" && !c.year && !c.age) {
    throw SpecError(path, "a date encoder needs year or age (or both)");
  }
  return c;
}

nlohmann::json EncoderConfig::toJson() const {
  return {{"column", column},
          {"kind", kind},
          {"min_frequency", minFrequency},
          {"hash_buckets", hashBuckets},
          {"log", log},
          {"standardize", standardize},
          {"bins", bins},
          {"missing_indicator", missingIndicator},
          {"lowercase", lowercase},
          {"stop_words", stopWords},
          {"ngram_max", ngramMax},
          {"min_df", minDf},
          {"max_df", maxDf},
          {"max_features", maxFeatures},
          {"l2_norm", l2Norm},
          {"year", year},
          {"age", age}};
}

EncoderConfig defaultEncoderFor(const AttributeColumn& column) {
  EncoderConfig c;
  c.column = column.name;
  switch (column.type) {
    case ColumnType::kNumeric:
      c.kind = "numeric";
      break;
    case ColumnType::kCategorical:
      c.kind = "onehot";
      break;
    case ColumnType::kMultiCategorical:
      c.kind = "multihot";
      break;
    case ColumnType::kText:
      c.kind = "tfidf";
      c.minDf = 2;
      break;
  }
  return c;
}

bool ColumnEncoder::accepts(ColumnType type) const noexcept {
  const auto& k = config_.kind;
  return (k == "onehot" && type == ColumnType::kCategorical) ||
         (k == "multihot" &&
          (type == ColumnType::kCategorical || type == ColumnType::kMultiCategorical)) ||
         ((k == "numeric" || k == "date") && type == ColumnType::kNumeric) ||
         (k == "tfidf" && type == ColumnType::kText);
}

void ColumnEncoder::checkType(const AttributeColumn& column, const std::string& path) const {
  const auto& k = config_.kind;
  if (!accepts(column.type)) {
    throw SpecError(path, "encoder '" + k + "' cannot encode column '" + column.name +
                              "' of type " + std::string(columnTypeName(column.type)));
  }
}

std::vector<std::string> ColumnEncoder::terms(std::string_view text) const {
  std::vector<std::string> words = tokenize(text, config_.lowercase);
  if (config_.stopWords) {
    std::erase_if(words, [](const std::string& w) { return isStopWord(w); });
  }
  std::vector<std::string> out = words;
  if (config_.ngramMax >= 2) {
    for (std::size_t i = 0; i + 1 < words.size(); ++i) out.push_back(words[i] + " " + words[i + 1]);
  }
  return out;
}

namespace {
// Category codes of a row (categorical: 0 or 1 code; multi: the row's codes).
void rowCodes(const AttributeColumn& col, Index row, std::vector<std::int32_t>& out) {
  out.clear();
  if (row >= col.rows()) return;
  if (col.type == ColumnType::kCategorical) {
    if (col.codes[row] >= 0) out.push_back(col.codes[row]);
  } else {
    for (auto k = col.offsets[row]; k < col.offsets[row + 1]; ++k) out.push_back(col.codes[k]);
  }
}
double rowNumber(const AttributeColumn& col, Index row) {
  return row < col.rows() ? col.numeric[row] : std::nan("");
}
}  // namespace

void ColumnEncoder::fit(const AttributeColumn& column, std::span<const Index> rows,
                        std::int64_t referenceTime, const std::string& path) {
  checkType(column, path);
  names_.clear();
  vocab_.clear();
  idf_.clear();
  edges_.clear();
  hasOther_ = hasMissing_ = false;
  reference_ = referenceTime;
  const auto& k = config_.kind;
  if (k == "onehot" || k == "multihot") {
    if (config_.hashBuckets > 0) {
      for (int b = 0; b < config_.hashBuckets; ++b)
        names_.push_back(prefix_ + "#h" + std::to_string(b));
      return;
    }
    std::vector<std::uint32_t> freq(column.categories.size(), 0);
    std::vector<std::int32_t> codes;
    for (Index r : rows) {
      rowCodes(column, r, codes);
      std::sort(codes.begin(), codes.end());
      codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
      for (auto c : codes) ++freq[static_cast<std::size_t>(c)];
    }
    // Vocabulary in category-text order so that feature indices do not depend on load order.
    std::map<std::string, std::uint32_t> kept;
    for (std::size_t c = 0; c < freq.size(); ++c) {
      if (freq[c] >= static_cast<std::uint32_t>(config_.minFrequency))
        kept[column.categories[c]] = 0;
    }
    for (auto& [text, idx] : kept) {
      idx = static_cast<std::uint32_t>(names_.size());
      vocab_[text] = idx;
      names_.push_back(prefix_ + "=" + text);
    }
    otherIndex_ = static_cast<std::uint32_t>(names_.size());
    hasOther_ = true;
    names_.push_back(prefix_ + "=<other>");
    return;
  }
  if (k == "numeric" || k == "date") {
    std::vector<double> xs, ages;
    for (Index r : rows) {
      const double x = rowNumber(column, r);
      if (std::isnan(x)) continue;
      if (k == "numeric") {
        xs.push_back(config_.log ? signedLog(x) : x);
      } else {
        xs.push_back(yearOf(x));
        ages.push_back((static_cast<double>(referenceTime) - x) / (365.25 * 86400.0));
      }
    }
    meanStd(xs, mean_, std_);
    meanStd(ages, ageMean_, ageStd_);
    if (!config_.standardize) {
      mean_ = ageMean_ = 0.0;
      std_ = ageStd_ = 1.0;
    }
    if (k == "numeric") {
      names_.push_back(prefix_);
    } else {
      if (config_.year) names_.push_back(prefix_ + ":year");
      ageIndex_ = static_cast<std::uint32_t>(names_.size());
      if (config_.age) names_.push_back(prefix_ + ":age_years");
    }
    if (config_.missingIndicator) {
      missingIndex_ = static_cast<std::uint32_t>(names_.size());
      hasMissing_ = true;
      names_.push_back(prefix_ + ":missing");
    }
    if (k == "numeric" && config_.bins > 1 && !xs.empty()) {
      std::vector<double> sorted = xs;
      std::sort(sorted.begin(), sorted.end());
      for (int b = 1; b < config_.bins; ++b) {
        const double q = sorted[std::min(
            sorted.size() - 1, static_cast<std::size_t>(b * sorted.size() / config_.bins))];
        if (edges_.empty() || q > edges_.back()) edges_.push_back(q);
      }
      binsStart_ = static_cast<std::uint32_t>(names_.size());
      for (std::size_t b = 0; b <= edges_.size(); ++b)
        names_.push_back(prefix_ + "#bin" + std::to_string(b));
    }
    return;
  }
  // tfidf
  std::unordered_map<std::string, std::uint32_t> df;
  std::size_t docs = 0;
  for (Index r : rows) {
    if (r >= column.rows()) continue;
    ++docs;  // every training row is a document, even an empty one
    auto t = terms(column.text[r]);
    std::sort(t.begin(), t.end());
    t.erase(std::unique(t.begin(), t.end()), t.end());
    for (auto& term : t) ++df[term];
  }
  std::vector<std::pair<std::string, std::uint32_t>> cand;
  const double maxDfCount = config_.maxDf * static_cast<double>(docs);
  for (auto& [term, n] : df) {
    if (n >= static_cast<std::uint32_t>(config_.minDf) && static_cast<double>(n) <= maxDfCount) {
      cand.emplace_back(term, n);
    }
  }
  std::sort(cand.begin(), cand.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (cand.size() > static_cast<std::size_t>(config_.maxFeatures)) cand.resize(config_.maxFeatures);
  std::sort(cand.begin(), cand.end());
  for (auto& [term, n] : cand) {
    vocab_[term] = static_cast<std::uint32_t>(names_.size());
    names_.push_back(prefix_ + ":" + term);
    idf_.push_back(static_cast<float>(
        std::log((1.0 + static_cast<double>(docs)) / (1.0 + static_cast<double>(n))) + 1.0));
  }
}

void ColumnEncoder::encode(const AttributeColumn& column, Index row, std::uint32_t offset,
                           SparseVector& out) const {
  const auto& k = config_.kind;
  if (k == "onehot" || k == "multihot") {
    std::vector<std::int32_t> codes;
    rowCodes(column, row, codes);
    std::sort(codes.begin(), codes.end());
    codes.erase(std::unique(codes.begin(), codes.end()), codes.end());
    const std::size_t start = out.size();
    for (auto c : codes) {
      const std::string& text = column.categories[static_cast<std::size_t>(c)];
      if (config_.hashBuckets > 0) {
        out.push_back(
            {offset + static_cast<std::uint32_t>(fnv1a(text) % config_.hashBuckets), 1.0f});
      } else if (auto it = vocab_.find(text); it != vocab_.end()) {
        out.push_back({offset + it->second, 1.0f});
      } else if (hasOther_) {
        out.push_back({offset + otherIndex_, 1.0f});
      }
    }
    // Hash collisions and several rare categories in "other" count once each: keep 0/1 values.
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(start), out.end(),
              [](const FeatureValue& a, const FeatureValue& b) { return a.index < b.index; });
    out.erase(std::unique(out.begin() + static_cast<std::ptrdiff_t>(start), out.end()), out.end());
    return;
  }
  if (k == "numeric" || k == "date") {
    const double x = rowNumber(column, row);
    if (std::isnan(x)) {
      if (hasMissing_) out.push_back({offset + missingIndex_, 1.0f});
      return;
    }
    if (k == "numeric") {
      const double t = config_.log ? signedLog(x) : x;
      const double z = (t - mean_) / std_;
      if (z != 0.0) out.push_back({offset, static_cast<float>(z)});
      if (!edges_.empty()) {
        const auto b = static_cast<std::uint32_t>(
            std::upper_bound(edges_.begin(), edges_.end(), t) - edges_.begin());
        out.push_back({offset + binsStart_ + b, 1.0f});
      }
    } else {
      if (config_.year) {
        const double z = (yearOf(x) - mean_) / std_;
        if (z != 0.0) out.push_back({offset, static_cast<float>(z)});
      }
      if (config_.age) {
        const double z =
            ((static_cast<double>(reference_) - x) / (365.25 * 86400.0) - ageMean_) / ageStd_;
        if (z != 0.0) out.push_back({offset + ageIndex_, static_cast<float>(z)});
      }
    }
    return;
  }
  if (row >= column.rows()) return;
  std::map<std::uint32_t, double> tf;
  for (const auto& t : terms(column.text[row])) {
    if (auto it = vocab_.find(t); it != vocab_.end()) tf[it->second] += 1.0;
  }
  double norm = 0.0;
  for (auto& [idx, v] : tf) {
    v *= idf_[idx];
    norm += v * v;
  }
  norm = config_.l2Norm && norm > 0 ? std::sqrt(norm) : 1.0;
  for (auto& [idx, v] : tf) out.push_back({offset + idx, static_cast<float>(v / norm)});
}

void ColumnEncoder::save(BinaryWriter& out) const {
  out.putString(config_.toJson().dump());
  out.putString(prefix_);
  out.putStrings(names_);
  std::vector<std::string> keys(vocab_.size());
  std::vector<std::uint32_t> idx(vocab_.size());
  std::size_t n = 0;
  for (const auto& [key, i] : vocab_) {
    keys[n] = key;
    idx[n++] = i;
  }
  out.putStrings(keys);
  out.putVector(idx);
  out.putVector(idf_);
  out.put(mean_);
  out.put(std_);
  out.put(ageMean_);
  out.put(ageStd_);
  out.putVector(edges_);
  out.put(reference_);
  out.put(otherIndex_);
  out.put(missingIndex_);
  out.put(binsStart_);
  out.put(ageIndex_);
  out.put<std::uint8_t>(hasOther_);
  out.put<std::uint8_t>(hasMissing_);
}

ColumnEncoder ColumnEncoder::load(BinaryReader& in) {
  ColumnEncoder e;
  try {
    e.config_ =
        EncoderConfig::fromJson(parseJsonField(in.getString("config"), "encoder"), "encoder");
  } catch (const SpecError& ex) {
    in.fail(std::string("invalid encoder config: ") + ex.what());
  }
  e.prefix_ = in.getString("prefix");
  e.names_ = in.getStrings("names");
  const auto keys = in.getStrings("vocabulary_keys");
  const auto idx = in.getVector<std::uint32_t>("vocabulary_indices");
  in.check(keys.size() == idx.size(), "encoder vocabulary sizes differ");
  for (std::size_t k = 0; k < keys.size(); ++k) {
    in.check(idx[k] < e.names_.size(), "encoder vocabulary index out of range");
    e.vocab_[keys[k]] = idx[k];
  }
  e.idf_ = in.getVector<float>("idf");
  in.check(e.config_.kind != "tfidf" || e.idf_.size() == e.names_.size(), "idf size mismatch");
  e.mean_ = in.get<double>("mean");
  e.std_ = in.get<double>("std");
  e.ageMean_ = in.get<double>("age_mean");
  e.ageStd_ = in.get<double>("age_std");
  e.edges_ = in.getVector<double>("bin_edges");
  e.reference_ = in.get<std::int64_t>("reference_time");
  e.otherIndex_ = in.get<std::uint32_t>("other_index");
  e.missingIndex_ = in.get<std::uint32_t>("missing_index");
  e.binsStart_ = in.get<std::uint32_t>("bins_start");
  e.ageIndex_ = in.get<std::uint32_t>("age_index");
  e.hasOther_ = in.get<std::uint8_t>("has_other") != 0;
  e.hasMissing_ = in.get<std::uint8_t>("has_missing") != 0;
  return e;
}

}  // namespace rwb
