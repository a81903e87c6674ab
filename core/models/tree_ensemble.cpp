#include "core/models/tree_ensemble.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "core/util/error.h"

namespace rwb {

namespace {
constexpr std::uint32_t kUnused = std::numeric_limits<std::uint32_t>::max();
/// Rows walked together through one tree. 32 independent walks are enough to hide the latency
/// of each level's dependent loads; the block's dense values stay in L1/L2.
constexpr std::size_t kBlockRows = 32;
/// Below this many rows the work stays on the calling thread.
constexpr std::size_t kParallelRows = 4 * kBlockRows;

/// XGBoost writes some scalars as JSON strings ("num_nodes": "127"). A missing or malformed
/// field is a ModelError naming it (never std::stoll's bare "stoll").
template <typename T>
T numberField(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  if (it == j.end()) throw ModelError(std::string("tree model: missing field '") + key + "'");
  if (it->is_number()) return it->get<T>();
  if (it->is_string()) {
    const std::string& text = it->get_ref<const std::string&>();
    T v{};
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (!text.empty() && r.ec == std::errc() && r.ptr == text.data() + text.size()) return v;
  }
  throw ModelError(std::string("tree model: field '") + key +
                   "' is not a number: " + it->dump().substr(0, 40));
}
long long integerField(const nlohmann::json& j, const char* key) {
  return numberField<long long>(j, key);
}
float floatField(const nlohmann::json& j, const char* key) { return numberField<float>(j, key); }

/// Base margin from base_score as XGBoost 1.7's objectives transform it (ProbToMargin).
std::optional<float> baseMarginOf(const std::string& objective, float baseScore) {
  if (objective == "binary:logistic" || objective == "reg:logistic") {
    if (!(baseScore > 0.0f && baseScore < 1.0f)) return std::nullopt;
    return -std::log(1.0f / baseScore - 1.0f);
  }
  if (objective == "binary:logitraw" || objective == "reg:squarederror" ||
      objective.rfind("rank:", 0) == 0) {
    return baseScore;
  }
  return std::nullopt;
}
}  // namespace

std::optional<TreeEnsemble> TreeEnsemble::fromXgboostJson(std::string_view json, std::size_t dim,
                                                          std::string* whyNot) {
  auto refuse = [&](std::string why) -> std::optional<TreeEnsemble> {
    if (whyNot) *whyNot = std::move(why);
    return std::nullopt;
  };
  if (dim >= kUnused) return refuse("too many features");
  TreeEnsemble e;
  try {
    const auto doc = nlohmann::json::parse(json);
    const auto& learner = doc.at("learner");
    const auto& mp = learner.at("learner_model_param");
    if (integerField(mp, "num_class") > 1) return refuse("several classes");
    if (mp.contains("num_target") && integerField(mp, "num_target") > 1) {
      return refuse("several targets");
    }
    const auto objective = learner.at("objective").at("name").get<std::string>();
    const auto base = baseMarginOf(objective, floatField(mp, "base_score"));
    if (!base) return refuse("objective " + objective + " (base margin unknown)");
    e.base_ = *base;
    const auto& gb = learner.at("gradient_booster");
    if (gb.at("name").get<std::string>() != "gbtree") {
      return refuse("booster " + gb.at("name").get<std::string>());
    }
    const auto& model = gb.at("model");
    for (const auto& g : model.at("tree_info")) {
      if (g.get<long long>() != 0) return refuse("several output groups");
    }
    e.featureSlot_.assign(dim, kUnused);
    for (const auto& t : model.at("trees")) {
      const auto& tp = t.at("tree_param");
      if (tp.contains("size_leaf_vector") && integerField(tp, "size_leaf_vector") > 1) {
        return refuse("vector leaves");
      }
      const auto left = t.at("left_children").get<std::vector<long long>>();
      const auto right = t.at("right_children").get<std::vector<long long>>();
      const auto feature = t.at("split_indices").get<std::vector<long long>>();
      const auto cond = t.at("split_conditions").get<std::vector<float>>();
      const auto dflt = t.at("default_left").get<std::vector<int>>();
      const auto n = left.size();
      if (n == 0 || right.size() != n || feature.size() != n || cond.size() != n ||
          dflt.size() != n) {
        return refuse("inconsistent tree arrays");
      }
      if (t.contains("split_type")) {
        for (const auto& s : t.at("split_type")) {
          if (s.get<int>() != 0) return refuse("categorical splits");
        }
      }
      const auto start = e.nodes_.size();
      if (start + n >= kUnused) return refuse("too many nodes");
      e.treeStart_.push_back(static_cast<std::uint32_t>(start));
      e.nodes_.resize(start + n);
      // Walk from the root: every reachable node is checked, depth measured, no cycles.
      std::vector<std::pair<std::size_t, int>> stack{{0, 0}};
      std::vector<char> seen(n, 0);
      int depth = 0;
      while (!stack.empty()) {
        const auto [k, d] = stack.back();
        stack.pop_back();
        if (seen[k]) return refuse("a node reached twice");
        seen[k] = 1;
        Node& node = e.nodes_[start + k];
        if (left[k] == -1) {  // leaf
          if (right[k] != -1) return refuse("a node with one child");
          node.threshold = cond[k];
          node.slot = kUnused;  // patched to usedCount_ below
          node.left = static_cast<std::uint32_t>(k);
          node.defaultRight = 0;
          depth = std::max(depth, d);
          continue;
        }
        if (left[k] < 0 || static_cast<std::size_t>(left[k]) + 1 >= n || right[k] != left[k] + 1) {
          return refuse("children not stored as left, left + 1");
        }
        if (feature[k] < 0 || static_cast<std::size_t>(feature[k]) >= dim) {
          return refuse("a split on feature " + std::to_string(feature[k]) + " of " +
                        std::to_string(dim));
        }
        if (d >= 255) return refuse("a tree deeper than 255 levels");
        auto& slot = e.featureSlot_[static_cast<std::size_t>(feature[k])];
        if (slot == kUnused) {
          slot = e.usedCount_++;
          e.slotFeature_.push_back(static_cast<std::uint32_t>(feature[k]));
        }
        node.threshold = cond[k];
        node.slot = slot;
        node.left = static_cast<std::uint32_t>(left[k]);
        node.defaultRight = dflt[k] ? 0 : 1;
        stack.emplace_back(static_cast<std::size_t>(left[k]), d + 1);
        stack.emplace_back(static_cast<std::size_t>(right[k]), d + 1);
      }
      e.treeDepth_.push_back(static_cast<std::uint8_t>(depth));
    }
  } catch (const nlohmann::json::exception& ex) {
    return refuse(std::string("unreadable model JSON: ") + ex.what());
  } catch (const std::logic_error& ex) {  // stoll / stof
    return refuse(std::string("unreadable model JSON: ") + ex.what());
  }
  // Leaves read the always-missing slot just past the used features. Unreachable nodes (XGBoost
  // keeps deleted nodes) become leaves of value 0 that nothing reaches.
  for (auto& node : e.nodes_) {
    if (node.slot == kUnused) node.slot = e.usedCount_;
  }
  return e;
}

SparseMatrix TreeEnsemble::probeRows(std::size_t n, std::uint64_t seed) const {
  std::vector<std::vector<float>> thresholds(usedCount_);
  for (const auto& node : nodes_) {
    if (node.slot < usedCount_) thresholds[node.slot].push_back(node.threshold);
  }
  std::mt19937_64 rng(seed);
  SparseMatrix x;
  x.cols = featureSlot_.size();
  SparseVector row;
  for (std::size_t r = 0; r < n; ++r) {
    row.clear();
    for (std::uint32_t s = 0; s < usedCount_; ++s) {
      const auto pick = rng() % 3;
      if (pick == 0) continue;  // absent: missing
      const float t = thresholds[s][rng() % thresholds[s].size()];
      row.push_back({slotFeature_[s],
                     pick == 1 ? t : std::nextafter(t, -std::numeric_limits<float>::infinity())});
    }
    std::sort(row.begin(), row.end(),
              [](const FeatureValue& a, const FeatureValue& b) { return a.index < b.index; });
    x.appendRow(row);
  }
  return x;
}

std::size_t TreeEnsemble::memoryBytes() const noexcept {
  return nodes_.size() * sizeof(Node) + treeStart_.size() * 5 +
         featureSlot_.size() * sizeof(std::uint32_t);
}

void TreeEnsemble::marginsOfBlock(const SparseMatrix& x, std::size_t first, std::size_t count,
                                  std::span<float> out, std::vector<float>& dense) const {
  const std::size_t width = usedCount_ + 1;  // + the always-missing slot
  const float nan = std::numeric_limits<float>::quiet_NaN();
  if (dense.size() < kBlockRows * width) dense.assign(kBlockRows * width, nan);
  const std::size_t dim = featureSlot_.size();
  // Checked before anything is written: the scratch must stay all-missing if this throws.
  for (auto k = x.offsets[first]; k < x.offsets[first + count]; ++k) {
    if (x.entries[k].index >= dim) {
      throw ModelError("gbdt: feature " + std::to_string(x.entries[k].index) + " outside the " +
                       std::to_string(dim) + " features the trees were trained on");
    }
  }
  for (std::size_t r = 0; r < count; ++r) {
    float* row = dense.data() + r * width;
    for (const auto& fv : x.row(first + r)) {
      const std::uint32_t s = featureSlot_[fv.index];
      if (s != kUnused) row[s] = fv.value;
    }
  }
  float acc[kBlockRows];
  std::uint32_t at[kBlockRows];
  std::fill_n(acc, count, base_);
  for (std::size_t t = 0; t < treeStart_.size(); ++t) {
    const Node* nodes = nodes_.data() + treeStart_[t];
    std::fill_n(at, count, 0u);
    for (int level = 0; level < treeDepth_[t]; ++level) {
      for (std::size_t r = 0; r < count; ++r) {
        const Node& n = nodes[at[r]];
        const float v = dense[r * width + n.slot];
        // v >= threshold is false for NaN, so a missing value goes right only by default.
        const std::uint32_t right =
            static_cast<std::uint32_t>(v >= n.threshold) | (std::isnan(v) & n.defaultRight);
        at[r] = n.left + right;
      }
    }
    for (std::size_t r = 0; r < count; ++r) acc[r] += nodes[at[r]].threshold;
  }
  std::copy_n(acc, count, out.begin() + static_cast<std::ptrdiff_t>(first));
  // Back to all-missing for the next block.
  for (std::size_t r = 0; r < count; ++r) {
    float* row = dense.data() + r * width;
    for (const auto& fv : x.row(first + r)) {
      const std::uint32_t s = featureSlot_[fv.index];
      if (s != kUnused) row[s] = nan;
    }
  }
}

void TreeEnsemble::margins(const SparseMatrix& x, std::span<float> out) const {
  if (out.size() != x.rows()) throw ModelError("gbdt: margins: output size != rows");
  const std::size_t rows = x.rows();
  const std::size_t blocks = (rows + kBlockRows - 1) / kBlockRows;
  auto run = [&](std::size_t b0, std::size_t b1) {
    thread_local std::vector<float> dense;
    for (std::size_t b = b0; b < b1; ++b) {
      const std::size_t first = b * kBlockRows;
      marginsOfBlock(x, first, std::min(kBlockRows, rows - first), out, dense);
    }
  };
  if (rows < kParallelRows) {
    run(0, blocks);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, blocks),
                    [&](const tbb::blocked_range<std::size_t>& r) { run(r.begin(), r.end()); });
}

}  // namespace rwb
