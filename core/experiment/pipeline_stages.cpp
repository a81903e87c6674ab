#include "core/experiment/pipeline_stages.h"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <random>

#include "core/data/delimited_loader.h"
#include "core/util/error.h"

namespace rwb {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

ColumnRef columnRef(const nlohmann::json& columns, const char* key) {
  ColumnRef c;
  if (!columns.contains(key)) return c;
  const auto& v = columns[key];
  if (v.is_string()) {
    c.name = v.get<std::string>();
  } else {
    c.position = v.get<int>();
  }
  return c;
}

DelimitedOptions delimitedOptions(const DatasetSource& src) {
  DelimitedOptions o;
  const auto& opt = src.options;
  if (opt.contains("delimiter")) {
    const auto d = opt["delimiter"].get<std::string>();
    o.delimiter = d == "\\t" ? '\t' : d[0];
  }
  if (opt.contains("header")) {
    const auto h = opt["header"].get<std::string>();
    o.header = h == "yes" ? HeaderMode::kYes : h == "no" ? HeaderMode::kNo : HeaderMode::kAuto;
  }
  if (opt.contains("encoding")) {
    o.encoding = opt["encoding"] == "latin1" ? TextEncoding::kLatin1 : TextEncoding::kUtf8;
  }
  if (opt.contains("strict")) o.strict = opt["strict"].get<bool>();
  if (opt.contains("implicit_value")) o.implicitValue = opt["implicit_value"].get<float>();
  o.user = columnRef(src.columns, "user");
  o.item = columnRef(src.columns, "item");
  o.value = columnRef(src.columns, "value");
  o.timestamp = columnRef(src.columns, "timestamp");
  o.event = columnRef(src.columns, "event");
  return o;
}

nlohmann::json countsJson(const Dataset& d) {
  std::size_t users = 0, items = 0;
  for (auto c : d.userCounts()) users += c > 0;
  for (auto c : d.itemCounts()) items += c > 0;
  return {{"interactions", d.numInteractions()}, {"users", users}, {"items", items}};
}

void addLoadNotes(const LoadResult& r, std::vector<std::string>& notes) {
  for (const auto& n : r.notes) notes.push_back(n);
  for (const auto& [reason, count] : r.skippedByReason) {
    notes.push_back("skipped " + std::to_string(count) + " rows: " + reason);
  }
}

// Integration point with core/data: becomes loadDataset(path, DatasetOptions, ctx) when the
// data module's auto-detecting loader lands. Today: delimited files and the MovieLens u.data
// layout.
LoadResult loadSource(const DatasetSource& src, TaskContext& ctx) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool isDir = fs::is_directory(src.path, ec);
  if (!isDir && !fs::exists(src.path, ec)) {
    throw IoError("dataset path '" + src.path + "' does not exist");
  }
  std::string format = src.format;
  if (format == "auto") {
    const auto ext = fs::path(src.path).extension().string();
    if (isDir) {
      format = "movielens";
    } else if (ext == ".db" || ext == ".sqlite" || ext == ".sqlite3") {
      format = "sqlite";
    } else {
      format = "delimited";
    }
  }
  if (format == "sqlite") {
    throw SpecError("$.dataset.format",
                    "SQLite sources are read by core/data's loadDataset, which this build does "
                    "not have yet");
  }
  if (format == "movielens") {
    const fs::path file = isDir ? fs::path(src.path) / "u.data" : fs::path(src.path);
    if (!fs::exists(file, ec)) {
      throw IoError("'" + src.path + "' is not a MovieLens 100K folder (no u.data)");
    }
    DelimitedOptions o = delimitedOptions(src);
    if (o.delimiter == 0) o.delimiter = '\t';
    if (src.options.find("header") == src.options.end()) o.header = HeaderMode::kNo;
    LoadResult r = loadDelimited(file.string(), o, ctx);
    r.dataset.name = fs::path(src.path).filename().string();
    r.dataset.source = src.path;
    return r;
  }
  if (isDir) {
    throw SpecError("$.dataset.path",
                    "'" + src.path + "' is a folder; format \"" + format + "\" needs a file");
  }
  LoadResult r = loadDelimited(src.path, delimitedOptions(src), ctx);
  r.dataset.source = src.path;
  return r;
}

// Integration point with core/prep: each step is applied in order. No preparation step is
// available in this build yet, so any step is rejected before anything runs.
Dataset applyPreparation(Dataset data, const nlohmann::json& steps, TaskContext& ctx) {
  for (std::size_t i = 0; i < steps.size(); ++i) {
    throw SpecError("$.prep[" + std::to_string(i) + "].step",
                    "unknown preparation step '" + steps[i]["step"].get<std::string>() +
                        "' (preparation steps come with core/prep, not in this build)");
  }
  ctx.throwIfStopped();
  return data;
}

// Gives every dataset the id maps of the last one loaded (each was loaded on top of the
// previous, so the last holds every id and earlier indices are unchanged).
void shareIdMaps(std::vector<Dataset*> sets) {
  const Dataset* last = sets.back();
  for (Dataset* d : sets) {
    if (d == last) continue;
    d->users = last->users;
    d->items = last->items;
    d->userAttributes = last->userAttributes;
    d->itemAttributes = last->itemAttributes;
  }
}

}  // namespace

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

RowSplit stratifiedSplit(const Dataset& data, double ratio, bool byItem, std::uint64_t seed,
                         std::size_t minRows, TaskContext& ctx) {
  const auto& log = data.interactions;
  const std::size_t n = log.size();
  const std::vector<Index>& group = byItem ? log.item : log.user;
  const std::size_t numGroups = byItem ? data.numItems() : data.numUsers();
  std::vector<std::uint32_t> counts(numGroups, 0);
  for (auto g : group) ++counts[g];

  RowSplit out;
  out.assignment.assign(n, 2);
  // numpy's legacy RandomState(seed).rand(n): MT19937 seeded by init_genrand, 53-bit doubles.
  std::mt19937 mt(static_cast<std::uint32_t>(seed));
  struct Row {
    Index group;
    double draw;
    std::uint32_t row;
  };
  std::vector<Row> rows;
  rows.reserve(n);
  for (std::size_t r = 0; r < n; ++r) {
    if (counts[group[r]] < minRows) continue;
    const std::uint32_t a = mt() >> 5;
    const std::uint32_t b = mt() >> 6;
    rows.push_back(
        {group[r], (a * 67108864.0 + b) / 9007199254740992.0, static_cast<std::uint32_t>(r)});
    if ((r & 0xFFFF) == 0) ctx.throwIfStopped();
  }
  std::sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) {
    if (x.group != y.group) return x.group < y.group;
    if (x.draw != y.draw) return x.draw < y.draw;
    return x.row < y.row;
  });
  ctx.throwIfStopped();
  for (std::size_t s = 0; s < rows.size();) {
    std::size_t e = s;
    while (e < rows.size() && rows[e].group == rows[s].group) ++e;
    // Round half to even, as numpy's round().
    const double cut = std::nearbyint(ratio * static_cast<double>(e - s));
    for (std::size_t j = s; j < e; ++j) {
      out.assignment[rows[j].row] = static_cast<double>(j - s + 1) <= cut ? 0 : 1;
    }
    s = e;
  }
  for (std::size_t r = 0; r < n; ++r) {
    if (out.assignment[r] == 0) out.train.push_back(static_cast<std::uint32_t>(r));
    if (out.assignment[r] == 1) out.test.push_back(static_cast<std::uint32_t>(r));
  }
  return out;
}

PreparedData prepareData(const ExperimentSpec& spec, TaskContext& ctx) {
  PreparedData out;
  const auto t0 = Clock::now();
  if (spec.split.method == "files") {
    // Given files: the dataset entry supplies the loader options; train, test and validation
    // share one id space.
    DatasetSource src = spec.dataset;
    TaskContext c1(ctx, 0.0, 0.6), c2(ctx, 0.6, 0.9), c3(ctx, 0.9, 1.0);
    src.path = spec.split.trainPath;
    LoadResult train = loadSource(src, c1);
    DelimitedOptions o = delimitedOptions(src);
    LoadResult test = loadDelimited(spec.split.testPath, o, c2, &train.dataset);
    std::vector<Dataset*> sets = {&train.dataset, &test.dataset};
    LoadResult valid;
    if (!spec.split.validPath.empty()) {
      valid = loadDelimited(spec.split.validPath, o, c3, &test.dataset);
      sets.push_back(&valid.dataset);
    }
    shareIdMaps(sets);
    addLoadNotes(train, out.notes);
    addLoadNotes(test, out.notes);
    if (!spec.split.validPath.empty()) addLoadNotes(valid, out.notes);
    out.loadSeconds = secondsSince(t0);
    const auto t1 = Clock::now();
    Dataset trainSet = applyPreparation(std::move(train.dataset), spec.prep, ctx);
    const std::uint64_t fps[3] = {trainSet.fingerprint(), test.dataset.fingerprint(),
                                  spec.split.validPath.empty() ? 0 : valid.dataset.fingerprint()};
    out.datasetFingerprint = hex64(XXH3_64bits(fps, sizeof fps));
    // With given files the assignment is the files themselves: hash the per-file contents
    // (seeded differently from the fingerprint so the two are not mistaken for each other).
    out.splitHash = hex64(XXH3_64bits_withSeed(fps, sizeof fps, 1));
    out.datasetSource = spec.split.trainPath + " | " + spec.split.testPath +
                        (spec.split.validPath.empty() ? "" : " | " + spec.split.validPath);
    out.summary = {{"train", countsJson(trainSet)},
                   {"test", countsJson(test.dataset)},
                   {"users", test.dataset.numUsers()},
                   {"items", test.dataset.numItems()}};
    if (!spec.split.validPath.empty()) out.summary["validation"] = countsJson(valid.dataset);
    if (!spec.split.validPath.empty()) {
      out.validation = std::make_shared<const Dataset>(std::move(valid.dataset));
    }
    out.train = std::make_shared<const Dataset>(std::move(trainSet));
    out.test = std::make_shared<const Dataset>(std::move(test.dataset));
    out.splitSeconds = secondsSince(t1);
    return out;
  }

  TaskContext loadCtx(ctx, 0.0, 0.8);
  LoadResult loaded = loadSource(spec.dataset, loadCtx);
  addLoadNotes(loaded, out.notes);
  out.loadSeconds = secondsSince(t0);
  const auto t1 = Clock::now();
  Dataset full = applyPreparation(std::move(loaded.dataset), spec.prep, ctx);
  out.datasetFingerprint = hex64(full.fingerprint());
  out.datasetSource = spec.dataset.path;

  // Integration point with core/prep's splitters; "recommenders" is the only method today.
  TaskContext splitCtx(ctx, 0.8, 1.0);
  const RowSplit split =
      stratifiedSplit(full, spec.split.ratio, spec.split.by == "item", spec.split.seed,
                      static_cast<std::size_t>(spec.split.minRating), splitCtx);
  if (split.train.empty() || split.test.empty()) {
    throw SpecError("$.split.ratio", "the split leaves " +
                                         std::string(split.train.empty() ? "train" : "test") +
                                         " empty on this dataset");
  }
  out.splitHash = hex64(XXH3_64bits(split.assignment.data(), split.assignment.size()));
  Dataset train = full.withRows(split.train);
  Dataset test = full.withRows(split.test);
  out.summary = {{"loaded", countsJson(full)},
                 {"users", full.numUsers()},
                 {"items", full.numItems()},
                 {"train", countsJson(train)},
                 {"test", countsJson(test)},
                 {"dropped", full.numInteractions() - split.train.size() - split.test.size()}};
  out.train = std::make_shared<const Dataset>(std::move(train));
  out.test = std::make_shared<const Dataset>(std::move(test));
  out.splitSeconds = secondsSince(t1);
  ctx.progress(1.0, "data ready");
  return out;
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
                            const Dataset& truth, const MetricsSpec& metrics, TaskContext& ctx) {
  if (users.size() != lists.size()) {
    throw Error("evaluateTopK: " + std::to_string(users.size()) + " users but " +
                std::to_string(lists.size()) + " lists");
  }
  const Csr relevant = truth.userItemMatrix(true);
  const std::size_t k = static_cast<std::size_t>(metrics.k);
  std::vector<double> discount(k + 1, 0.0);
  for (std::size_t r = 1; r <= k; ++r) discount[r] = 1.0 / std::log2(static_cast<double>(r) + 1.0);

  // Order users ascending so per-user vectors of different runs line up.
  std::vector<std::size_t> order(users.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return users[a] < users[b]; });

  TopKEvaluation out;
  std::vector<std::string> keys;
  for (const auto& name : metrics.names) {
    keys.push_back(metricKey(name, metrics.k));
    out.perUser[keys.back()];
  }
  for (std::size_t oi = 0; oi < order.size(); ++oi) {
    const std::size_t i = order[oi];
    const Index u = users[i];
    if (u >= relevant.rows || relevant.rowSize(u) == 0 || lists[i].items.empty()) continue;
    const std::size_t nRel = relevant.rowSize(u);
    const std::size_t n = std::min(k, lists[i].items.size());
    std::size_t hits = 0;
    double dcg = 0.0, precSum = 0.0;
    for (std::size_t r = 1; r <= n; ++r) {
      if (relevant.contains(u, lists[i].items[r - 1].item)) {
        ++hits;
        dcg += discount[r];
        precSum += static_cast<double>(hits) / static_cast<double>(r);
      }
    }
    double idcg = 0.0;
    for (std::size_t r = 1; r <= std::min(nRel, k); ++r) idcg += discount[r];
    out.users.push_back(u);
    for (std::size_t m = 0; m < metrics.names.size(); ++m) {
      const std::string& name = metrics.names[m];
      double v = 0.0;
      if (name == "precision") {
        v = static_cast<double>(hits) / static_cast<double>(k);
      } else if (name == "recall") {
        v = static_cast<double>(hits) / static_cast<double>(nRel);
      } else if (name == "ndcg") {
        v = dcg / idcg;
      } else if (name == "map") {
        v = precSum / static_cast<double>(nRel);
      } else if (name == "map_at_k") {
        v = precSum / static_cast<double>(std::min(nRel, k));
      } else if (name == "hit_rate") {
        v = hits > 0 ? 1.0 : 0.0;
      } else {
        throw SpecError("$.metrics.names", "unknown metric '" + name + "'");
      }
      out.perUser[keys[m]].push_back(v);
    }
    if ((oi & 0x3FF) == 0) ctx.throwIfStopped();
  }
  for (const auto& key : keys) {
    const auto& v = out.perUser[key];
    // Sum in user order: the mean is the same whatever the thread count.
    double sum = 0.0;
    for (double x : v) sum += x;
    out.metrics[key] = v.empty() ? 0.0 : sum / static_cast<double>(v.size());
  }
  ctx.progress(1.0, "evaluated");
  return out;
}

}  // namespace rwb
