// FeaturePipeline members that take user attributes from outside the training data (a new
// user, JSON, another loader): conformUserAttributes and encodeUserAttributes.
#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/features/feature_pipeline.h"
#include "core/util/error.h"

namespace rwb {

namespace {
// The type every encoder of a column accepts, preferring the column's own type.
ColumnType conformType(const std::vector<const ColumnEncoder*>& encs, ColumnType own) {
  auto all = [&](ColumnType t) {
    return std::all_of(encs.begin(), encs.end(), [t](const auto* e) { return e->accepts(t); });
  };
  if (all(own)) return own;
  for (auto t : {ColumnType::kCategorical, ColumnType::kMultiCategorical, ColumnType::kNumeric,
                 ColumnType::kText}) {
    if (all(t)) return t;
  }
  return own;  // no single type suits every encoder: encodeUserAttributes reports it
}

AttributeColumn convertColumn(const AttributeColumn& src, ColumnType target) {
  AttributeColumn out;
  out.name = src.name;
  out.type = target;
  const std::size_t n = src.rows();
  if (target == ColumnType::kMultiCategorical) out.offsets.push_back(0);
  for (std::size_t r = 0; r < n; ++r) {
    const std::string text = src.display(r);
    switch (target) {
      case ColumnType::kNumeric: {
        double v = std::nan("");
        if (!text.empty()) {
          const char* end = text.data() + text.size();
          const auto res = std::from_chars(text.data(), end, v);
          if (res.ec != std::errc() || res.ptr != end || !std::isfinite(v)) {
            throw SpecError("user attribute '" + src.name + "'",
                            "row " + std::to_string(r + 1) + ": '" + text +
                                "' is not a number (the model encodes this column as numeric)");
          }
        }
        out.numeric.push_back(v);
        break;
      }
      case ColumnType::kCategorical:
        out.codes.push_back(text.empty() ? -1 : out.internCategory(text));
        break;
      case ColumnType::kMultiCategorical: {
        std::size_t start = 0;
        while (start < text.size()) {
          const auto bar = std::min(text.find('|', start), text.size());
          if (bar > start) {
            const auto code = out.internCategory(std::string_view(text).substr(start, bar - start));
            out.codes.push_back(code);
          }
          start = bar + 1;
        }
        out.offsets.push_back(out.codes.size());
        break;
      }
      case ColumnType::kText:
        out.text.push_back(text);
        break;
    }
  }
  return out;
}
}  // namespace

AttributeTable FeaturePipeline::conformUserAttributes(const AttributeTable& table) const {
  AttributeTable out;
  for (std::size_t e = 0; e < userEncoders_.size(); ++e) {
    const std::string& name = userEncoders_[e].config().column;
    if (out.find(name) != nullptr) continue;
    const AttributeColumn* src = table.find(name);
    if (src == nullptr) continue;
    std::vector<const ColumnEncoder*> encs;
    for (const auto& enc : userEncoders_) {
      if (enc.config().column == name) encs.push_back(&enc);
    }
    const ColumnType t = conformType(encs, src->type);
    out.columns.push_back(t == src->type ? *src : convertColumn(*src, t));
  }
  return out;
}

SparseVector FeaturePipeline::encodeUserAttributes(const AttributeTable* table, Index row) const {
  if (!fitted_) throw ModelError("feature pipeline: not fitted");
  SparseVector out;
  std::uint32_t offset = 0;
  for (const auto& enc : userEncoders_) {
    const AttributeColumn* col = table ? table->find(enc.config().column) : nullptr;
    if (col != nullptr && !enc.accepts(col->type)) {
      throw SpecError("user attribute '" + col->name + "'",
                      "the model's '" + enc.config().kind + "' encoder cannot take a " +
                          std::string(columnTypeName(col->type)) + " value");
    }
    if (col != nullptr) {
      enc.encode(*col, row, offset, out);
    } else {
      // Absent column: an empty column of an accepted type reads as missing in every row.
      AttributeColumn missing;
      for (auto t : {ColumnType::kCategorical, ColumnType::kNumeric, ColumnType::kText}) {
        if (enc.accepts(t)) {
          missing.type = t;
          break;
        }
      }
      enc.encode(missing, row, offset, out);
    }
    offset += static_cast<std::uint32_t>(enc.dim());
  }
  return out;
}

}  // namespace rwb
