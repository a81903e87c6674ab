// recwb inspect PATH: loads a dataset with the shared data options and prints its summary and
// the load account. Bad rows in strict mode surface as rwb::ParseError (exit code 2).
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "core/data/dataset_loader.h"
#include "core/data/dataset_summary.h"
#include "core/data/text_parse.h"
#include "core/data/timestamps.h"
#include "data_options.h"

namespace rwb::cli {

namespace {

std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

nlohmann::json quantilesJson(const CountQuantiles& q) {
  return {{"min", q.min}, {"p25", q.p25}, {"median", q.median}, {"p75", q.p75},
          {"p90", q.p90}, {"p99", q.p99}, {"max", q.max},       {"mean", q.mean}};
}

std::string quantilesText(const CountQuantiles& q) {
  return "min " + num(q.min) + "  25% " + num(q.p25) + "  median " + num(q.median) + "  75% " +
         num(q.p75) + "  90% " + num(q.p90) + "  99% " + num(q.p99) + "  max " + num(q.max) +
         "  mean " + num(q.mean);
}

nlohmann::json summaryJson(const Dataset& d, const DatasetSummary& s) {
  nlohmann::json hist = nlohmann::json::array();
  for (const auto& b : s.valueHistogram) {
    if (s.discreteValues) {
      hist.push_back({{"value", b.lower}, {"count", b.count}});
    } else {
      hist.push_back({{"lower", b.lower}, {"upper", b.upper}, {"count", b.count}});
    }
  }
  nlohmann::json j = {{"name", d.name},
                      {"source", d.source},
                      {"users", s.users},
                      {"items", s.items},
                      {"interactions", s.interactions},
                      {"density", s.density},
                      {"users_without_interactions", s.usersWithoutInteractions},
                      {"items_without_interactions", s.itemsWithoutInteractions},
                      {"per_user", quantilesJson(s.perUser)},
                      {"per_item", quantilesJson(s.perItem)},
                      {"values",
                       {{"min", s.valueMin},
                        {"max", s.valueMax},
                        {"mean", s.valueMean},
                        {"discrete", s.discreteValues},
                        {"histogram", hist}}}};
  if (s.withTimestamp > 0) {
    j["time_span"] = {{"first", formatIsoDateTime(s.timeMin)},
                      {"last", formatIsoDateTime(s.timeMax)},
                      {"first_unix", s.timeMin},
                      {"last_unix", s.timeMax},
                      {"days", static_cast<double>(s.timeMax - s.timeMin) / 86400.0},
                      {"with_timestamp", s.withTimestamp}};
  } else {
    j["time_span"] = nullptr;
  }
  nlohmann::json events = nlohmann::json::object();
  for (const auto& [name, n] : s.eventCounts) events[name] = n;
  j["events"] = events;
  nlohmann::json attrs = nlohmann::json::array();
  for (const auto& a : s.attributes) {
    attrs.push_back({{"entity", a.entity},
                     {"name", a.name},
                     {"type", std::string(columnTypeName(a.type))},
                     {"distinct", a.distinct},
                     {"missing", a.missing}});
  }
  j["attributes"] = attrs;
  return j;
}

void printSummary(const Dataset& d, const DatasetSummary& s) {
  std::cout << "dataset       " << d.name << "  (" << d.source << ")\n"
            << "users         " << withCommas(s.users);
  if (s.usersWithoutInteractions) {
    std::cout << "  (" << withCommas(s.usersWithoutInteractions) << " without interactions)";
  }
  std::cout << "\nitems         " << withCommas(s.items);
  if (s.itemsWithoutInteractions) {
    std::cout << "  (" << withCommas(s.itemsWithoutInteractions) << " without interactions)";
  }
  std::cout << "\ninteractions  " << withCommas(s.interactions) << "\n"
            << "density       " << num(s.density) << "  (" << num(100.0 * s.density) << "%)\n"
            << "per user      " << quantilesText(s.perUser) << "\n"
            << "per item      " << quantilesText(s.perItem) << "\n";
  if (s.interactions > 0) {
    std::cout << "values        min " << num(s.valueMin) << "  max " << num(s.valueMax) << "  mean "
              << num(s.valueMean) << "\n";
    std::uint64_t top = 1;
    for (const auto& b : s.valueHistogram) top = std::max(top, b.count);
    for (const auto& b : s.valueHistogram) {
      std::string label;
      if (s.discreteValues) {
        label = num(b.lower);
      } else {
        label.append("[").append(num(b.lower)).append(", ").append(num(b.upper)).append(")");
      }
      char line[160];
      std::snprintf(line, sizeof line, "  %-22s %12s  ", label.c_str(),
                    withCommas(b.count).c_str());
      std::cout << line << std::string(static_cast<std::size_t>(40.0 * b.count / top), '#') << "\n";
    }
  }
  if (s.withTimestamp > 0) {
    std::cout << "time span     " << formatIsoDate(s.timeMin) << " .. " << formatIsoDate(s.timeMax)
              << "  (" << num(static_cast<double>(s.timeMax - s.timeMin) / 86400.0) << " days";
    if (s.withTimestamp < s.interactions) {
      std::cout << "; " << withCommas(s.interactions - s.withTimestamp) << " without timestamp";
    }
    std::cout << ")\n";
  } else {
    std::cout << "time span     (no timestamps)\n";
  }
  if (!s.eventCounts.empty()) {
    std::cout << "events       ";
    for (const auto& [name, n] : s.eventCounts) std::cout << " " << name << " " << withCommas(n);
    std::cout << "\n";
  }
  if (!s.attributes.empty()) {
    std::cout << "attributes\n";
    for (const auto& a : s.attributes) {
      char line[256];
      std::snprintf(line, sizeof line, "  %-5s %-24s %-12s %10s distinct %10s missing\n",
                    a.entity.c_str(), a.name.c_str(), std::string(columnTypeName(a.type)).c_str(),
                    withCommas(a.distinct).c_str(), withCommas(a.missing).c_str());
      std::cout << line;
    }
  }
}

}  // namespace

Action registerInspect(CLI::App& sub, Common& common) {
  auto path = std::make_shared<std::string>();
  auto data = std::make_shared<DataCliOptions>();
  sub.add_option("path", *path,
                 "Dataset: a delimited file, a folder (MovieLens, RecWorkbench) or an SQLite file")
      ->required();
  addDataOptions(sub, *data);
  return [path, data, &common]() {
    const DatasetOptions options = toDatasetOptions(*data);
    checkDataOptionsApply(*data, *path);
    TerminalTask task(common);
    const LoadResult r = loadDataset(*path, options, task.ctx());
    task.finish();
    const DatasetSummary s = summarizeDataset(r.dataset);
    if (common.json) {
      nlohmann::json j = summaryJson(r.dataset, s);
      j["load"] = loadAccountJson(r);
      // Warnings: the data loaded, but something in it will mislead (e.g. a timestamp in
      // milliseconds stretches the time span and the decay of time-aware models).
      nlohmann::json warnings = nlohmann::json::array();
      for (const auto& n : r.notes) {
        if (n.rfind("warning: ", 0) == 0) warnings.push_back(n.substr(9));
      }
      j["warnings"] = warnings;
      const auto& w = r.implausibleTimestamps;
      if (w.count > 0) {
        j["implausible_timestamps"] = {{"count", w.count},
                                       {"file", w.file},
                                       {"line", w.line},
                                       {"user", w.user},
                                       {"item", w.item},
                                       {"value", w.value},
                                       {"description", describeImplausibleTimestamp(w.value)},
                                       {"valid_from", "1970-01-01T00:00:00Z"},
                                       {"valid_until", "2100-01-01T00:00:00Z"}};
      } else {
        j["implausible_timestamps"] = nullptr;
      }
      printJson(j);
    } else {
      printSummary(r.dataset, s);
      std::cout << loadAccountText(r);
    }
    return 0;
  };
}

}  // namespace rwb::cli
