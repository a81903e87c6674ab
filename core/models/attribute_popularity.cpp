#include "core/models/attribute_popularity.h"

#include <cmath>
#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "core/models/attribute_columns.h"
#include "core/util/error.h"

namespace rwb {

namespace {

// The values of one row of a column, as integer keys (category codes or numeric buckets).
void rowValues(const AttributeColumn& c, std::size_t row, double width,
               std::vector<std::int64_t>& out) {
  out.clear();
  if (row >= c.rows()) return;
  switch (c.type) {
    case ColumnType::kNumeric:
      if (!std::isnan(c.numeric[row])) {
        out.push_back(static_cast<std::int64_t>(std::floor(c.numeric[row] / width)));
      }
      break;
    case ColumnType::kCategorical:
      if (c.codes[row] >= 0) out.push_back(c.codes[row]);
      break;
    case ColumnType::kMultiCategorical:
      for (auto p = c.offsets[row]; p < c.offsets[row + 1]; ++p) out.push_back(c.codes[p]);
      break;
    case ColumnType::kText:
      break;
  }
}

std::vector<const AttributeColumn*> selectColumns(const AttributeTable& table,
                                                  const std::string& list) {
  return columnsFromParam(table, list,
                          {"attribute_popularity", "items",
                           [](const AttributeColumn& c) { return c.type != ColumnType::kText; },
                           "is a text column; it has no shared values to count"});
}

}  // namespace

ModelInfo AttributePopularity::info() {
  ModelInfo m;
  m.name = "attribute_popularity";
  m.displayName = "Attribute popularity";
  m.family = "baseline";
  m.description =
      "Ranks items by the mean training popularity of their attribute values (e.g. genres, year "
      "bucket); ranks new items too.";
  m.schema.params = paramList(
      stringParam("columns", "")
          .describe("Item attribute columns, comma-separated (empty = every categorical, "
                    "multi-valued and numeric column)"),
      floatParam("bucket_width", 10.0)
          .range(1e-9, 1e12)
          .describe("Numeric columns are bucketed as floor(value / bucket_width)"),
      choiceParam("combine", "mean", {"mean", "product"})
          .searched()
          .describe("How the columns' popularities combine: their mean or their product"));
  return m;
}

void AttributePopularity::fitModel(const TrainingData& data, TaskContext& ctx) {
  const AttributeTable& table = data.train.itemAttributes;
  const auto columns = selectColumns(table, paramString("columns"));
  const double width = paramDouble("bucket_width");
  const bool product = paramString("combine") == "product";
  const auto counts = data.train.itemCounts();
  const std::size_t n = numItems();
  // Values never seen in training (and items without a value) count as an average item.
  double all = 0.0, allItems = 0.0;
  for (const auto c : counts) {
    all += c;
    allItems += c > 0 ? 1.0 : 0.0;
  }
  const double average = allItems > 0 ? all / allItems : 0.0;
  std::vector<double> acc(n, product ? 1.0 : 0.0);
  std::vector<std::int64_t> values;
  for (const AttributeColumn* c : columns) {
    ctx.throwIfStopped();
    // Per value: training interactions and training items having it.
    std::unordered_map<std::int64_t, std::pair<double, std::size_t>> pop;
    for (std::size_t i = 0; i < n && i < counts.size(); ++i) {
      if (counts[i] == 0) continue;
      rowValues(*c, i, width, values);
      for (const auto v : values) {
        auto& p = pop[v];
        p.first += counts[i];
        p.second += 1;
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      rowValues(*c, i, width, values);
      double s = 0.0;
      for (const auto v : values) {
        const auto it = pop.find(v);
        s += it == pop.end() ? average : it->second.first / static_cast<double>(it->second.second);
      }
      const double col = values.empty() ? average : s / static_cast<double>(values.size());
      if (product) {
        acc[i] *= col;
      } else {
        acc[i] += col;
      }
    }
  }
  scores_.assign(n, 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    const double v =
        product || columns.empty() ? acc[i] : acc[i] / static_cast<double>(columns.size());
    scores_[i] = static_cast<float>(v);
  }
  ctx.progress(1.0, "fitted");
}

void AttributePopularity::scoreItems(Index, std::span<const Index> items,
                                     std::span<float> out) const {
  for (std::size_t j = 0; j < items.size(); ++j) out[j] = scores_[items[j]];
}

void AttributePopularity::scoreAllItems(Index, std::span<float> out) const {
  std::copy(scores_.begin(), scores_.end(), out.begin());
}

void AttributePopularity::scoreNewUserItems(const NewUser&, std::span<const Index> items,
                                            std::span<float> out) const {
  scoreItems(0, items, out);
}

void AttributePopularity::saveState(BinaryWriter& out) const { out.putVector(scores_); }

void AttributePopularity::loadModelState(BinaryReader& in) {
  scores_ = in.getVector<float>("scores");
  in.check(scores_.size() == numItems(), "score vector has the wrong length");
}

}  // namespace rwb
