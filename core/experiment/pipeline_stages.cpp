#include "core/experiment/pipeline_stages.h"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <optional>
#include <random>
#include <set>

#include "core/data/dataset_loader.h"
#include "core/data/delimited_loader.h"
#include "core/eval/evaluator.h"
#include "core/prep/prep_spec.h"
#include "core/util/connection_string.h"
#include "core/util/error.h"

namespace rwb {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

nlohmann::json countsJson(const Dataset& d) {
  std::size_t users = 0, items = 0;
  for (auto c : d.userCounts()) users += c > 0;
  for (auto c : d.itemCounts()) items += c > 0;
  return {{"interactions", d.numInteractions()}, {"users", users}, {"items", items}};
}

void addLoadNotes(const LoadResult& r, std::vector<std::string>& notes) {
  const auto lines = r.accountNotes();
  notes.insert(notes.end(), lines.begin(), lines.end());
}

// Reads the spec's data source with core/data's loader and the spec's options as they are.
LoadResult loadSource(const DatasetSource& src, TaskContext& ctx) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool database = databaseKind(src.path) != DatabaseKind::kNone;
  if (!database && !fs::exists(src.path, ec)) {
    throw IoError("dataset path '" + src.path + "' does not exist");
  }
  LoadResult r = loadDataset(src.path, src.options, ctx);
  if (r.dataset.name.empty()) r.dataset.name = fs::path(src.path).filename().string();
  // Recorded with runs: a database source without its credentials.
  r.dataset.source = redactConnectionString(src.path);
  return r;
}

// Applies the spec's preparation steps in order (core/prep), noting what each removed.
Dataset applyPreparation(Dataset data, const nlohmann::json& steps, std::vector<std::string>& notes,
                         TaskContext& ctx) {
  if (steps.empty()) return data;
  PrepRunResult r = runPrep(data, prepStepsFromJson(steps, "$.prep"), ctx);
  for (const auto& report : r.reports) notes.push_back(report.summary());
  return std::move(r.dataset);
}

// Gives every dataset the id maps of the last one loaded (each was loaded on top of the
// previous, so the last holds every id and earlier indices are unchanged).
void shareIdMaps(std::vector<Dataset*> sets) {
  const Dataset* last = sets.back();
  for (Dataset* d : sets) {
    if (d != last) d->adoptIdMapsOf(*last);
  }
}

}  // namespace

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

namespace {

// Given files, once loaded (test on top of train, validation on top of test): share the id
// maps, prepare train, fingerprint and hash the files.
PreparedData prepareGivenFiles(const ExperimentSpec& spec, Dataset train, Dataset test,
                               std::optional<Dataset> valid, std::vector<std::string> notes,
                               std::string source, Clock::time_point t0, TaskContext& ctx) {
  PreparedData out;
  out.notes = std::move(notes);
  std::vector<Dataset*> sets = {&train, &test};
  if (valid) sets.push_back(&*valid);
  shareIdMaps(sets);
  out.loadSeconds = secondsSince(t0);
  const auto t1 = Clock::now();
  Dataset trainSet = applyPreparation(std::move(train), spec.prep, out.notes, ctx);
  const std::uint64_t fps[3] = {trainSet.fingerprint(), test.fingerprint(),
                                valid ? valid->fingerprint() : 0};
  out.datasetFingerprint = hex64(XXH3_64bits(fps, sizeof fps));
  // With given files the assignment is the files themselves: hash the per-file contents
  // (seeded differently from the fingerprint so the two are not mistaken for each other).
  out.splitHash = hex64(XXH3_64bits_withSeed(fps, sizeof fps, 1));
  out.datasetSource = std::move(source);
  out.summary = {{"train", countsJson(trainSet)},
                 {"test", countsJson(test)},
                 {"users", test.numUsers()},
                 {"items", test.numItems()}};
  if (valid) {
    out.summary["validation"] = countsJson(*valid);
    out.validation = std::make_shared<const Dataset>(std::move(*valid));
  }
  out.train = std::make_shared<const Dataset>(std::move(trainSet));
  out.test = std::make_shared<const Dataset>(std::move(test));
  out.splitSeconds = secondsSince(t1);
  return out;
}

// One loaded dataset: prepare, fingerprint, split.
PreparedData prepareAndSplit(const ExperimentSpec& spec, Dataset loaded,
                             std::vector<std::string> notes, std::string source,
                             Clock::time_point t0, TaskContext& ctx) {
  PreparedData out;
  out.notes = std::move(notes);
  out.loadSeconds = secondsSince(t0);
  const auto t1 = Clock::now();
  Dataset full = applyPreparation(std::move(loaded), spec.prep, out.notes, ctx);
  out.datasetFingerprint = hex64(full.fingerprint());
  out.datasetSource = std::move(source);

  TaskContext splitCtx(ctx, 0.8, 1.0);
  const SplitResult split = splitDataset(full, spec.split.options, splitCtx);
  if (split.train.empty() || split.test.empty()) {
    throw SpecError("$.split", "the split leaves " +
                                   std::string(split.train.empty() ? "train" : "test") +
                                   " empty on this dataset");
  }
  for (const auto& n : split.notes) out.notes.push_back(n);
  out.splitHash = hex64(split.hash());
  SplitDatasets parts = materializeSplit(full, split);
  Dataset train = std::move(parts.train);
  Dataset test = std::move(parts.test);
  if (parts.valid) out.validation = std::make_shared<const Dataset>(std::move(*parts.valid));
  out.summary = {{"loaded", countsJson(full)}, {"users", full.numUsers()},
                 {"items", full.numItems()},   {"train", countsJson(train)},
                 {"test", countsJson(test)},   {"dropped", split.rowsDropped}};
  out.train = std::make_shared<const Dataset>(std::move(train));
  out.test = std::make_shared<const Dataset>(std::move(test));
  out.splitSeconds = secondsSince(t1);
  ctx.progress(1.0, "data ready");
  return out;
}

std::string filesSource(const SplitSpec& split) {
  return split.trainPath + " | " + split.testPath +
         (split.validPath.empty() ? "" : " | " + split.validPath);
}

}  // namespace

LoadResult loadDatasetSource(const DatasetSource& source, TaskContext& ctx) {
  return loadSource(source, ctx);
}

LoadResult loadTestSource(const DatasetSource& source, const std::string& path, const Dataset& base,
                          TaskContext& ctx) {
  return loadDelimited(path, source.options.interactions, ctx, &base);
}

PreparedData prepareData(const ExperimentSpec& spec, TaskContext& ctx) {
  const auto t0 = Clock::now();
  std::vector<std::string> notes;
  if (spec.split.method == "files") {
    // Given files: the dataset entry supplies the loader options; train, test and validation
    // share one id space.
    DatasetSource src = spec.dataset;
    TaskContext c1(ctx, 0.0, 0.6), c2(ctx, 0.6, 0.9), c3(ctx, 0.9, 1.0);
    src.path = spec.split.trainPath;
    LoadResult train = loadSource(src, c1);
    LoadResult test = loadTestSource(src, spec.split.testPath, train.dataset, c2);
    std::optional<Dataset> valid;
    addLoadNotes(train, notes);
    addLoadNotes(test, notes);
    if (!spec.split.validPath.empty()) {
      LoadResult v = loadTestSource(src, spec.split.validPath, test.dataset, c3);
      addLoadNotes(v, notes);
      valid = std::move(v.dataset);
    }
    return prepareGivenFiles(spec, std::move(train.dataset), std::move(test.dataset),
                             std::move(valid), std::move(notes), filesSource(spec.split), t0, ctx);
  }
  TaskContext loadCtx(ctx, 0.0, 0.8);
  LoadResult loaded = loadSource(spec.dataset, loadCtx);
  addLoadNotes(loaded, notes);
  return prepareAndSplit(spec, std::move(loaded.dataset), std::move(notes),
                         redactConnectionString(spec.dataset.path), t0, ctx);
}

PreparedData prepareData(const ExperimentSpec& spec, const InMemoryData& data, TaskContext& ctx) {
  const auto t0 = Clock::now();
  if (!data.data) throw SpecError("$.dataset", "no dataset in memory");
  ctx.throwIfStopped();
  if (spec.split.method == "files") {
    if (!data.test) throw SpecError("$.split.test", "no test set in memory");
    if (!spec.split.validPath.empty() && !data.validation) {
      throw SpecError("$.split.valid", "no validation set in memory");
    }
    std::optional<Dataset> valid;
    if (data.validation && !spec.split.validPath.empty()) valid = *data.validation;
    return prepareGivenFiles(spec, *data.data, *data.test, std::move(valid), {},
                             data.source.empty() ? filesSource(spec.split) : data.source, t0, ctx);
  }
  return prepareAndSplit(
      spec, *data.data, {},
      data.source.empty() ? redactConnectionString(spec.dataset.path) : data.source, t0, ctx);
}

std::vector<Index> usersWithInteractions(const Dataset& data) {
  std::vector<char> has(data.numUsers(), 0);
  for (auto u : data.interactions.user) has[u] = 1;
  std::vector<Index> users;
  for (std::size_t u = 0; u < has.size(); ++u) {
    if (has[u]) users.push_back(static_cast<Index>(u));
  }
  return users;
}

TopKEvaluation evaluateTopK(std::span<const Index> users, std::span<const RecList> lists,
                            const Dataset& train, const Dataset& truth, const MetricsSpec& metrics,
                            TaskContext& ctx, std::span<const std::size_t> candidates) {
  EvalOptions options;
  options.candidates.assign(candidates.begin(), candidates.end());
  options.k = static_cast<std::size_t>(metrics.k);
  options.oracle = false;
  for (const auto& name : metrics.names) options.metrics.push_back(metricKey(name, metrics.k));
  const EvalResult r = evaluate(train, truth, users, lists, options, ctx);
  TopKEvaluation out;
  out.users = r.users;
  out.warnings = r.warnings;
  for (const auto& m : r.metrics) {
    out.metrics[m.name] = m.value;
    out.perUser[m.name] = m.perUserValues;
  }
  ctx.progress(1.0, "evaluated");
  return out;
}

std::map<std::string, double> evaluateAtCutoffs(std::span<const Index> users,
                                                std::span<const RecList> lists,
                                                const Dataset& train, const Dataset& truth,
                                                const MetricsSpec& metrics,
                                                std::span<const int> cutoffs, TaskContext& ctx) {
  EvalOptions options;
  options.k = static_cast<std::size_t>(metrics.k);
  options.oracle = false;
  std::set<std::string> keys;
  for (const int k : cutoffs) {
    if (k < 1) throw Error("metric cut-off must be at least 1, got " + std::to_string(k));
    if (k == metrics.k) continue;
    for (const auto& name : metrics.names) {
      const std::string key = metricKey(name, k);
      if (key != metricKey(name, metrics.k)) keys.insert(key);  // "map" has no cut-off
    }
  }
  std::map<std::string, double> out;
  if (keys.empty()) return out;
  options.metrics.assign(keys.begin(), keys.end());
  const EvalResult r = evaluate(train, truth, users, lists, options, ctx);
  for (const auto& m : r.metrics) out[m.name] = m.value;
  return out;
}

}  // namespace rwb
