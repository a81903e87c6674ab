#include "core/models/demographic_popularity.h"

#include <cmath>

#include "core/models/attribute_columns.h"
#include "core/util/error.h"

namespace rwb {

ModelInfo DemographicPopularity::info() {
  ModelInfo m;
  m.name = "demographic_popularity";
  m.displayName = "Demographic popularity";
  m.family = "baseline";
  m.description =
      "Item popularity within the user's attribute cell (e.g. age band x gender); scores new "
      "users from their attributes.";
  m.schema.params = paramList(
      stringParam("columns", "")
          .describe("User attribute columns forming the cell, comma-separated (empty = every "
                    "categorical and numeric column)"),
      floatParam("bucket_width", 10.0)
          .range(1e-9, 1e12)
          .describe("Numeric columns are bucketed as floor(value / bucket_width)"),
      floatParam("smoothing", 10.0)
          .range(0, 1e12)
          .searchLogRange(0.1, 1000)
          .describe("Pseudo-interactions shrinking each cell towards global popularity"));
  return m;
}

std::string DemographicPopularity::cellKey(const AttributeTable* table, Index row) const {
  const double width = paramDouble("bucket_width");
  std::string key;
  for (const auto& name : columns_) {
    key += '\x1f';
    const AttributeColumn* c = table != nullptr ? table->find(name) : nullptr;
    if (c == nullptr || row >= c->rows()) continue;  // missing: an empty field
    if (c->type == ColumnType::kNumeric) {
      if (!std::isnan(c->numeric[row])) {
        key += std::to_string(static_cast<long long>(std::floor(c->numeric[row] / width)));
      }
    } else if (c->type == ColumnType::kCategorical) {
      if (c->codes[row] >= 0) key += "=" + c->categories[static_cast<std::size_t>(c->codes[row])];
    } else if (c->type == ColumnType::kMultiCategorical) {
      for (auto p = c->offsets[row]; p < c->offsets[row + 1]; ++p) {
        key += "=" + c->categories[static_cast<std::size_t>(c->codes[p])];
      }
    }
  }
  return key;
}

void DemographicPopularity::fitModel(const TrainingData& data, TaskContext& ctx) {
  const AttributeTable& table = data.train.userAttributes;
  columns_.clear();
  for (const AttributeColumn* c :
       columnsFromParam(table, paramString("columns"),
                        {"demographic_popularity", "users",
                         [](const AttributeColumn& c) { return c.type != ColumnType::kText; },
                         "is a text column; it does not form cells"})) {
    columns_.push_back(c->name);
  }
  const std::size_t n = numItems();
  keys_.clear();
  cellOfKey_.clear();
  cellOfUser_.assign(numUsers(), -1);
  for (std::size_t u = 0; u < numUsers(); ++u) {
    const std::string key = cellKey(&table, static_cast<Index>(u));
    auto [it, added] = cellOfKey_.emplace(key, static_cast<std::int64_t>(keys_.size()));
    if (added) keys_.push_back(key);
    cellOfUser_[u] = it->second;
  }
  cellTotal_.assign(keys_.size(), 0.0);
  cellCounts_.assign(keys_.size() * n, 0.0f);
  global_.assign(n, 0.0);
  const auto& log = data.train.interactions;
  for (std::size_t r = 0; r < log.size(); ++r) {
    const auto cell = static_cast<std::size_t>(cellOfUser_[log.user[r]]);
    cellTotal_[cell] += 1.0;
    cellCounts_[cell * n + log.item[r]] += 1.0f;
    global_[log.item[r]] += 1.0;
    if ((r & 0xFFFF) == 0) ctx.throwIfStopped();
  }
  const double total = static_cast<double>(log.size());
  for (auto& g : global_) g = total > 0 ? g / total : 0.0;
  ctx.progress(1.0, "fitted");
}

void DemographicPopularity::scoreCell(std::int64_t cell, std::span<const Index> items,
                                      std::span<float> out) const {
  const double m = paramDouble("smoothing");
  const std::size_t n = numItems();
  if (cell < 0 || cellTotal_[static_cast<std::size_t>(cell)] + m <= 0.0) {
    for (std::size_t j = 0; j < items.size(); ++j) out[j] = static_cast<float>(global_[items[j]]);
    return;
  }
  const auto c = static_cast<std::size_t>(cell);
  const double denom = cellTotal_[c] + m;
  for (std::size_t j = 0; j < items.size(); ++j) {
    const double v = (cellCounts_[c * n + items[j]] + m * global_[items[j]]) / denom;
    out[j] = static_cast<float>(v);
  }
}

void DemographicPopularity::scoreItems(Index user, std::span<const Index> items,
                                       std::span<float> out) const {
  scoreCell(user < cellOfUser_.size() ? cellOfUser_[user] : -1, items, out);
}

void DemographicPopularity::scoreNewUserItems(const NewUser& user, std::span<const Index> items,
                                              std::span<float> out) const {
  const auto it = cellOfKey_.find(cellKey(user.attributes, user.row));
  scoreCell(it == cellOfKey_.end() ? -1 : it->second, items, out);
}

void DemographicPopularity::saveState(BinaryWriter& out) const {
  out.putStrings(columns_);
  out.putStrings(keys_);
  out.putVector(cellOfUser_);
  out.putVector(cellTotal_);
  out.putVector(cellCounts_);
  out.putVector(global_);
}

void DemographicPopularity::loadModelState(BinaryReader& in) {
  columns_ = in.getStrings("columns");
  keys_ = in.getStrings("cell_keys");
  cellOfKey_.clear();
  for (std::size_t c = 0; c < keys_.size(); ++c) {
    in.check(cellOfKey_.emplace(keys_[c], static_cast<std::int64_t>(c)).second,
             "a cell is listed twice");
  }
  cellOfUser_ = in.getVector<std::int64_t>("user_cells");
  in.check(cellOfUser_.size() == numUsers(), "cell vector has the wrong length");
  for (const auto c : cellOfUser_) {
    in.check(c >= 0 && static_cast<std::size_t>(c) < keys_.size(), "a user's cell is invalid");
  }
  cellTotal_ = in.getVector<double>("cell_totals");
  in.check(cellTotal_.size() == keys_.size(), "cell totals have the wrong length");
  cellCounts_ = in.getVector<float>("cell_counts");
  in.check(cellCounts_.size() == keys_.size() * numItems(), "cell counts have the wrong length");
  global_ = in.getVector<double>("global_popularity");
  in.check(global_.size() == numItems(), "popularity vector has the wrong length");
}

}  // namespace rwb
