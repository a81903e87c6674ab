#include "core/features/feature_config.h"

#include <algorithm>

#include "core/util/error.h"
#include "core/util/json.h"

namespace rwb {

const AttributeColumn& requireColumn(const AttributeTable& table, const std::string& name,
                                     const std::string& path, const char* entity) {
  const AttributeColumn* c = table.find(name);
  if (c == nullptr) {
    std::string known;
    for (const auto& col : table.columns) known += (known.empty() ? "" : ", ") + col.name;
    throw SpecError(path, std::string("no ") + entity + " attribute column '" + name +
                              "' (available: " + (known.empty() ? "none" : known) + ")");
  }
  return *c;
}

bool LabelConfig::isPositive(const Interactions& log, std::size_t r) const {
  if (mode == "threshold") return log.value[r] >= threshold;
  if (events.empty() || !log.hasEvents()) return true;
  const std::string& name = log.eventNames.at(log.event[r]);
  return std::find(events.begin(), events.end(), name) != events.end();
}

FeatureConfig FeatureConfig::fromJson(const nlohmann::json& j, const std::string& path) {
  FeatureConfig c;
  if (j.is_null()) return c;
  checkKeys(j, path, {"user", "item", "crosses", "behaviour", "labels", "negatives", "auto"});
  for (const char* side : {"user", "item"}) {
    const nlohmann::json* list = findKey(j, side);
    if (list == nullptr) continue;
    const std::string p = jsonPath(path, side);
    if (!list->is_array()) throw SpecError(p, "must be an array of encoders");
    auto& out = std::string(side) == "user" ? c.user : c.item;
    for (std::size_t k = 0; k < list->size(); ++k) {
      out.push_back(EncoderConfig::fromJson((*list)[k], jsonPath(p, k)));
    }
  }
  c.autoEncoders = optBool(j, "auto", path, !j.contains("user") && !j.contains("item"));
  if (const nlohmann::json* crosses = findKey(j, "crosses")) {
    const std::string cp = jsonPath(path, "crosses");
    if (!crosses->is_array()) throw SpecError(cp, "must be an array");
    for (std::size_t k = 0; k < crosses->size(); ++k) {
      const std::string p = jsonPath(cp, k);
      const auto& x = (*crosses)[k];
      checkKeys(x, p, {"user", "item"});
      CrossConfig cc{optString(x, "user", p, ""), optString(x, "item", p, "")};
      if (cc.userColumn.empty() || cc.itemColumn.empty()) {
        throw SpecError(p, "needs both \"user\" and \"item\" column names");
      }
      c.crosses.push_back(cc);
    }
  }
  if (const nlohmann::json* b = findKey(j, "behaviour")) {
    const std::string p = jsonPath(path, "behaviour");
    checkKeys(*b, p,
              {"profile_cosine", "half_life_days", "value_weighted", "affinity", "affinity_values",
               "numeric_profile", "date_vs_activity", "item_popularity", "item_recency",
               "user_activity", "cold_user_dropout", "cell_popularity", "cell_smoothing"});
    c.behaviour.profileCosine = optBool(*b, "profile_cosine", p, true);
    c.behaviour.halfLifeDays = optNumber(*b, "half_life_days", p, 0.0, 0.0);
    c.behaviour.valueWeighted = optBool(*b, "value_weighted", p, true);
    c.behaviour.affinityColumns = optStringList(*b, "affinity", p, {});
    c.behaviour.affinityValues = optStringList(*b, "affinity_values", p, {});
    c.behaviour.numericProfile = optStringList(*b, "numeric_profile", p, {});
    c.behaviour.dateVsActivity = optStringList(*b, "date_vs_activity", p, {});
    c.behaviour.itemPopularity = optBool(*b, "item_popularity", p, true);
    c.behaviour.itemRecency = optBool(*b, "item_recency", p, true);
    c.behaviour.userActivity = optBool(*b, "user_activity", p, true);
    c.behaviour.coldUserDropout = optNumber(*b, "cold_user_dropout", p, 0.0);
    if (!(c.behaviour.coldUserDropout >= 0.0 && c.behaviour.coldUserDropout < 1.0)) {
      throw SpecError(p + ".cold_user_dropout", "must be in [0, 1)");
    }
    if (const nlohmann::json* cells = findKey(*b, "cell_popularity")) {
      const std::string cp = jsonPath(p, "cell_popularity");
      if (!cells->is_array()) throw SpecError(cp, "must be an array of cells");
      for (std::size_t k = 0; k < cells->size(); ++k) {
        const auto& cell = (*cells)[k];
        const std::string ck = jsonPath(cp, k);
        std::vector<std::string> columns;
        if (cell.is_string()) {
          columns.push_back(cell.get<std::string>());
        } else if (cell.is_array() && !cell.empty()) {
          for (std::size_t c = 0; c < cell.size(); ++c) {
            if (!cell[c].is_string()) throw SpecError(jsonPath(ck, c), "must be a column name");
            columns.push_back(cell[c].get<std::string>());
          }
        } else {
          throw SpecError(ck, "must be a user column name or a non-empty array of them");
        }
        c.behaviour.cellPopularity.push_back(std::move(columns));
      }
    }
    c.behaviour.cellSmoothing = optNumber(*b, "cell_smoothing", p, 10.0, 0.0);
  }
  if (const nlohmann::json* l = findKey(j, "labels")) {
    const std::string p = jsonPath(path, "labels");
    checkKeys(*l, p, {"mode", "threshold", "events", "explicit_negatives"});
    if (const nlohmann::json* mode = findKey(*l, "mode")) {
      c.labels.mode = asChoice(*mode, p + ".mode", {"implicit", "threshold"});
    }
    c.labels.threshold = optNumber(*l, "threshold", p, 4.0);
    c.labels.events = optStringList(*l, "events", p, {});
    c.labels.explicitNegatives = optBool(*l, "explicit_negatives", p, false);
  }
  if (const nlohmann::json* n = findKey(j, "negatives")) {
    const std::string p = jsonPath(path, "negatives");
    checkKeys(*n, p, {"ratio", "sampling", "popularity_exponent"});
    c.negatives.ratio = optNumber(*n, "ratio", p, 4.0, 0.0, 1000.0);
    if (const nlohmann::json* sampling = findKey(*n, "sampling")) {
      c.negatives.sampling = asChoice(*sampling, p + ".sampling", {"uniform", "popularity"});
    }
    c.negatives.popularityExponent = optNumber(*n, "popularity_exponent", p, 0.75);
  }
  return c;
}

FeatureConfig FeatureConfig::parse(const std::string& text, const std::string& path) {
  if (text.empty()) return FeatureConfig{};
  return fromJson(parseJsonField(text, path), path);
}

void FeatureConfig::checkColumns(const Dataset& data, const std::string& path) const {
  const auto check = [&](const AttributeTable& table, const std::string& name,
                         const std::string& where, const char* entity) {
    if (table.find(name) == nullptr) {
      std::string known;
      for (const auto& col : table.columns) known += (known.empty() ? "" : ", ") + col.name;
      throw SpecError(where, std::string("no ") + entity + " attribute column '" +
                                 printableText(name) + "' in the data (available: " +
                                 (known.empty() ? "none" : printableText(known, 400)) + ")");
    }
  };
  for (std::size_t k = 0; k < user.size(); ++k) {
    check(data.userAttributes, user[k].column, jsonPath(jsonPath(path + ".user", k), "column"),
          "user");
  }
  for (std::size_t k = 0; k < item.size(); ++k) {
    check(data.itemAttributes, item[k].column, jsonPath(jsonPath(path + ".item", k), "column"),
          "item");
  }
  for (std::size_t k = 0; k < crosses.size(); ++k) {
    const std::string p = jsonPath(path + ".crosses", k);
    check(data.userAttributes, crosses[k].userColumn, p + ".user", "user");
    check(data.itemAttributes, crosses[k].itemColumn, p + ".item", "item");
  }
  for (std::size_t k = 0; k < behaviour.affinityColumns.size(); ++k) {
    check(data.itemAttributes, behaviour.affinityColumns[k],
          jsonPath(path + ".behaviour.affinity", k), "item");
  }
  for (std::size_t k = 0; k < behaviour.affinityValues.size(); ++k) {
    check(data.itemAttributes, behaviour.affinityValues[k],
          jsonPath(path + ".behaviour.affinity_values", k), "item");
  }
  for (std::size_t k = 0; k < behaviour.numericProfile.size(); ++k) {
    check(data.itemAttributes, behaviour.numericProfile[k],
          jsonPath(path + ".behaviour.numeric_profile", k), "item");
  }
  for (std::size_t k = 0; k < behaviour.dateVsActivity.size(); ++k) {
    check(data.itemAttributes, behaviour.dateVsActivity[k],
          jsonPath(path + ".behaviour.date_vs_activity", k), "item");
  }
  for (std::size_t k = 0; k < behaviour.cellPopularity.size(); ++k) {
    for (const auto& col : behaviour.cellPopularity[k]) {
      check(data.userAttributes, col, jsonPath(path + ".behaviour.cell_popularity", k), "user");
    }
  }
}

nlohmann::json FeatureConfig::toJson() const {
  nlohmann::json j;
  j["user"] = nlohmann::json::array();
  j["item"] = nlohmann::json::array();
  for (const auto& e : user) j["user"].push_back(e.toJson());
  for (const auto& e : item) j["item"].push_back(e.toJson());
  j["auto"] = autoEncoders;
  j["crosses"] = nlohmann::json::array();
  for (const auto& c : crosses)
    j["crosses"].push_back({{"user", c.userColumn}, {"item", c.itemColumn}});
  j["behaviour"] = {{"profile_cosine", behaviour.profileCosine},
                    {"half_life_days", behaviour.halfLifeDays},
                    {"value_weighted", behaviour.valueWeighted},
                    {"affinity", behaviour.affinityColumns},
                    {"affinity_values", behaviour.affinityValues},
                    {"numeric_profile", behaviour.numericProfile},
                    {"date_vs_activity", behaviour.dateVsActivity},
                    {"item_popularity", behaviour.itemPopularity},
                    {"item_recency", behaviour.itemRecency},
                    {"user_activity", behaviour.userActivity},
                    {"cold_user_dropout", behaviour.coldUserDropout}};
  // Written only when used, so configurations without cells keep their earlier JSON.
  if (!behaviour.cellPopularity.empty()) {
    j["behaviour"]["cell_popularity"] = behaviour.cellPopularity;
    j["behaviour"]["cell_smoothing"] = behaviour.cellSmoothing;
  }
  j["labels"] = {{"mode", labels.mode},
                 {"threshold", labels.threshold},
                 {"events", labels.events},
                 {"explicit_negatives", labels.explicitNegatives}};
  j["negatives"] = {{"ratio", negatives.ratio},
                    {"sampling", negatives.sampling},
                    {"popularity_exponent", negatives.popularityExponent}};
  return j;
}

}  // namespace rwb
