#pragma once
// Inputs the CLI tests build with recwb itself: a small generated dataset and a split of the
// bundled sample data. Each helper REQUIREs that its recwb call succeeded.

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cli_runner.h"

namespace rwb::test {

/// stdout parsed as JSON (the test fails when it is not JSON).
inline nlohmann::json stdoutJson(const CliResult& r) {
  INFO(r.describe());
  nlohmann::json j;
  REQUIRE_NOTHROW(j = nlohmann::json::parse(r.out));
  return j;
}

/// A seeded generated dataset folder (interactions.csv, items.csv, users.csv): 60 users,
/// 80 items, 1,500 events.
inline std::filesystem::path generateSmall(const TempDir& dir, const std::string& name = "gen") {
  const auto out = dir / name;
  RWB_REQUIRE_SUCCESS(runRecwb({"generate", "--out", out.string(), "--users", "60", "--items", "80",
                                "--interactions", "1500", "--seed", "3", "-q"}));
  return out;
}

/// generateSmall(dir) (in dir/gen) recorded by `recwb run` as one most_popular run in
/// dir/p.rwbp (spec dir/spec.json, output dir/o); returns the project's path.
inline std::string projectWithOneRun(const TempDir& dir) {
  generateSmall(dir);
  writeFile(dir / "spec.json",
            R"({"version": 1, "dataset": {"path": "gen"}, "split": {"method": "chronological",
                "ratio": 0.8}, "models": [{"name": "most_popular"}]})");
  const auto project = (dir / "p.rwbp").string();
  RWB_REQUIRE_SUCCESS(runRecwb({"run", (dir / "spec.json").string(), "--project", project, "--out",
                                (dir / "o").string(), "-q"}));
  return project;
}

/// generateSmall(dir) split by `recwb split` with its defaults into dir/s: {train, test} paths.
inline std::pair<std::string, std::string> splitSmall(const TempDir& dir) {
  const auto gen = generateSmall(dir);
  RWB_REQUIRE_SUCCESS(runRecwb(
      {"split", (gen / "interactions.csv").string(), "--out", (dir / "s").string(), "-q"}));
  return {(dir / "s" / "train.tsv").string(), (dir / "s" / "test.tsv").string()};
}

/// The sample interactions split at random 80/20 (seed 1) into dir/split/train.tsv, test.tsv.
inline std::filesystem::path splitSample(const TempDir& dir) {
  const auto out = dir / "split";
  RWB_REQUIRE_SUCCESS(
      runRecwb({"split", (sampleData() / "interactions.csv").string(), "--method", "random",
                "--ratio", "0.8", "--seed", "1", "--out", out.string(), "-q"}));
  return out;
}

/// Rows of a TSV interactions file written by split (header row when it has events) as user ->
/// set of items.
inline std::map<std::string, std::set<std::string>> itemsByUser(const std::filesystem::path& tsv) {
  std::map<std::string, std::set<std::string>> out;
  for (const auto& line : lines(readFile(tsv))) {
    if (line.rfind("user_id\t", 0) == 0) continue;  // the header of split files with events
    const auto f = fields(line, '\t');
    if (f.size() >= 2) out[f[0]].insert(f[1]);
  }
  return out;
}

/// One top-k list per user from a recommendations file (user, item, score, rank[, ...]; the
/// first line is skipped when `header`), in file order.
struct RecRow {
  std::string item;
  double score = 0.0;
  long rank = 0;
  std::string fallback;
};
inline std::map<std::string, std::vector<RecRow>> readRecs(const std::filesystem::path& file,
                                                           char delimiter, bool header) {
  std::map<std::string, std::vector<RecRow>> out;
  const auto all = lines(readFile(file));
  for (std::size_t i = header ? 1 : 0; i < all.size(); ++i) {
    const auto f = fields(all[i], delimiter);
    if (f.size() < 4) FAIL(file.string() << ": line " << i + 1 << " has fewer than 4 fields");
    out[f[0]].push_back({f[1], std::stod(f[2]), std::stol(f[3]), f.size() > 4 ? f[4] : ""});
  }
  return out;
}

}  // namespace rwb::test
