#include "core/models/fitted_summary.h"

#include <cmath>
#include <cstdio>

#include "core/models/model.h"

namespace rwb {

namespace {

// Whether two decimals say x exactly (grid weights 0.10, kernel candidates 0.35).
bool exactInCents(const nlohmann::json& v) {
  if (!v.is_number()) return true;
  const double x = v.get<double>();
  const double cents = x * 100.0;
  return std::isfinite(x) &&
         std::abs(cents - std::round(cents)) < 1e-9 * std::max(1.0, std::abs(cents));
}

// One line's numbers share one format, so that they line up when read together: two decimals
// when they say every value exactly, else four (weights normalised by coordinate ascent).
bool lineInCents(const nlohmann::json& values) {
  for (auto it = values.begin(); it != values.end(); ++it)
    if (!exactInCents(it.value())) return false;
  return true;
}

std::string valueText(const nlohmann::json& v, bool cents) {
  if (!v.is_number()) return v.dump();
  char buf[32];
  std::snprintf(buf, sizeof buf, cents ? "%.2f" : "%.4f", v.get<double>());
  return buf;
}

std::string ndcgText(const nlohmann::json& v) {
  if (!v.is_number()) return v.dump();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v.get<double>());
  return buf;
}

}  // namespace

std::string fittedSummaryOf(const Model& model) {
  const auto* s = dynamic_cast<const FittedSummary*>(&model);
  if (s == nullptr) return {};
  const nlohmann::json j = s->fittedSummary();
  if (!j.is_object() || j.empty()) return {};
  return j.dump();
}

std::string fittedSummaryText(const nlohmann::json& summary) {
  if (!summary.is_object() || summary.empty()) return {};
  std::string out;
  const auto part = [&](const std::string& text) {
    if (!out.empty()) out += "; ";
    out += text;
  };
  if (const auto w = summary.find("weights"); w != summary.end() && w->is_object()) {
    std::string t = "weights";
    const bool cents = lineInCents(*w);
    bool first = true;
    for (auto it = w->begin(); it != w->end(); ++it) {
      t += (first ? " " : ", ") + it.key() + " " + valueText(it.value(), cents);
      first = false;
    }
    part(t);
  }
  if (const auto k = summary.find("kernel"); k != summary.end() && k->is_object()) {
    const auto kinds = summary.find("kernel_kind");
    std::string t = "kernel";
    if (k->empty()) t += ": no attribute columns (overall popularity)";
    const bool cents = lineInCents(*k);
    bool first = true;
    for (auto it = k->begin(); it != k->end(); ++it) {
      std::string kind;
      if (kinds != summary.end() && kinds->is_object() && kinds->contains(it.key()) &&
          (*kinds)[it.key()].is_string())
        kind = (*kinds)[it.key()].get<std::string>();
      t += (first ? " " : ", ") + it.key() + " " + (kind.empty() ? "" : kind + "=") +
           valueText(it.value(), cents);
      // beta = 1 and h = 0 leave a column out of the similarity.
      if (it.value().is_number() && ((kind == "beta" && it.value().get<double>() == 1.0) ||
                                     (kind == "h" && it.value().get<double>() == 0.0)))
        t += " (ignored)";
      first = false;
    }
    part(t);
  }
  if (const auto n = summary.find("tuned_ndcg"); n != summary.end()) {
    std::string t = "held-out nDCG@10 " + ndcgText(*n);
    if (const auto u = summary.find("untuned_ndcg"); u != summary.end())
      t += " (untuned " + ndcgText(*u) + ")";
    part(t);
  }
  for (auto it = summary.begin(); it != summary.end(); ++it) {
    const std::string& key = it.key();
    if (key == "tuned" || key == "untuned_reason" || key == "weights" || key == "kernel" ||
        key == "kernel_kind" || key == "tuned_ndcg" || key == "untuned_ndcg")
      continue;
    part(key + "=" + (it.value().is_string() ? it.value().get<std::string>() : it.value().dump()));
  }
  // Values fit did not choose say so, and why, last.
  if (const auto t = summary.find("tuned");
      t != summary.end() && t->is_boolean() && !t->get<bool>()) {
    const auto why = summary.find("untuned_reason");
    part(why != summary.end() && why->is_string() ? "not tuned: " + why->get<std::string>()
                                                  : std::string("not tuned"));
  }
  return out;
}

std::string fittedSummaryText(const std::string& jsonText) {
  if (jsonText.empty()) return {};
  const nlohmann::json j = nlohmann::json::parse(jsonText, nullptr, false);
  if (j.is_discarded()) return {};
  return fittedSummaryText(j);
}

}  // namespace rwb
