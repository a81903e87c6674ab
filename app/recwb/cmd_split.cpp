// recwb split: split an interactions file into train / test (/ valid) TSV files.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli.h"
#include "core/data/dataset_loader.h"
#include "core/data/dataset_writer.h"
#include "core/prep/splitter.h"
#include "core/util/error.h"
#include "data_options.h"

namespace rwb::cli {

namespace {
struct SplitArgs {
  std::string path;
  DataCliOptions data;
  std::string method = "random";
  std::string by = "user";
  std::string out;
  SplitOptions options;
  std::int64_t cutoff = 0;
  bool cutoffSet = false;
};
}  // namespace

Action registerSplit(CLI::App& sub, Common& common) {
  auto a = std::make_shared<SplitArgs>();
  sub.add_option("path", a->path,
                 "Interactions: delimited file, SQLite database or dataset folder (MovieLens, "
                 "RecWorkbench layout)")
      ->required();
  addDataOptions(sub, a->data);
  sub.add_option("--method,-m", a->method, "Split method: " + splitMethodNames())
      ->capture_default_str();
  sub.add_option("--ratio,-r", a->options.ratio,
                 "Train share in (0, 1): of rows, or of users/items for cold_* methods")
      ->capture_default_str();
  sub.add_option("--by", a->by, "Group of stratified, chronological, recommenders: user|item")
      ->capture_default_str();
  sub.add_option("--seed,-s", a->options.seed, "Random seed")->capture_default_str();
  sub.add_option("--valid-ratio", a->options.validRatio,
                 "Share of train moved to DIR/valid.tsv, in [0, 1); 0 = none")
      ->capture_default_str();
  sub.add_option("--n", a->options.n, "leave_last_n: events per user held out")
      ->capture_default_str();
  sub.add_option("--cutoff", a->cutoff,
                 "time_cutoff: Unix seconds (default: the --ratio quantile of timestamps)");
  sub.add_option("--min-count", a->options.minCount,
                 "recommenders: drop groups with fewer rows (the library's min_rating)")
      ->capture_default_str();
  sub.add_option("--out,-o", a->out, "Output folder (created if missing)")->required();
  return [a, &common, &sub]() {
    const auto method = splitMethodFromName(a->method);
    if (!method) {
      throw SpecError("--method", "unknown split method '" + a->method + "' (one of " +
                                      splitMethodNames() + ")");
    }
    if (a->by != "user" && a->by != "item") {
      throw SpecError("--by", "must be 'user' or 'item', got '" + a->by + "'");
    }
    SplitOptions o = a->options;
    o.method = *method;
    o.by = a->by == "item" ? SplitBy::kItem : SplitBy::kUser;
    if (sub.count("--cutoff") > 0) o.cutoff = a->cutoff;

    checkDataOptionsApply(a->data, a->path);
    TerminalTask task(common);
    TaskContext load(task.ctx(), 0.0, 0.5);
    const LoadResult loaded = loadDataset(a->path, toDatasetOptions(a->data), load);
    const Dataset& data = loaded.dataset;
    // Empty train and test files would only fail later, as "the file is empty".
    if (data.numInteractions() == 0) {
      throw ParseError(a->path, 0, 0,
                       "no interactions to split (" + withCommas(loaded.rowsRead()) +
                           " rows read, " + withCommas(loaded.rowsSkipped()) + " skipped)");
    }
    TaskContext splitCtx(task.ctx(), 0.5, 0.7);
    const SplitResult split = splitDataset(data, o, splitCtx);
    const SplitDatasets parts = materializeSplit(data, split);

    std::error_code ec;
    std::filesystem::create_directories(a->out, ec);
    if (ec || !std::filesystem::is_directory(a->out)) {
      throw IoError("cannot create folder '" + a->out + "': " + ec.message());
    }
    const std::filesystem::path dir(a->out);
    TaskContext writeCtx(task.ctx(), 0.7, 1.0);
    std::vector<std::string> files;
    writeInteractionsTsv(parts.train, (dir / "train.tsv").string(), writeCtx);
    files.push_back((dir / "train.tsv").string());
    writeInteractionsTsv(parts.test, (dir / "test.tsv").string(), writeCtx);
    files.push_back((dir / "test.tsv").string());
    // A stale valid.tsv from an earlier run would be mistaken for part of this split.
    std::filesystem::remove(dir / "valid.tsv", ec);
    if (parts.valid) {
      writeInteractionsTsv(*parts.valid, (dir / "valid.tsv").string(), writeCtx);
      files.push_back((dir / "valid.tsv").string());
    }
    task.finish();

    char hash[17];
    std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(split.hash()));
    if (common.json) {
      nlohmann::json j{{"input", a->path},
                       {"method", std::string(splitMethodName(o.method))},
                       {"rows", data.numInteractions()},
                       {"train", split.train.size()},
                       {"test", split.test.size()},
                       {"valid", split.valid.size()},
                       {"dropped", split.rowsDropped},
                       {"split_hash", hash},
                       {"files", files},
                       {"notes", split.notes}};
      if (split.cutoff) j["cutoff"] = *split.cutoff;
      j["load"] = loadAccountJson(loaded);
      printJson(j);
    } else {
      const double n = std::max<double>(1.0, static_cast<double>(data.numInteractions()));
      auto line = [&](const char* name, std::size_t rows) {
        std::printf("%-6s %12s rows  %5.1f%%\n", name, withCommas(rows).c_str(),
                    100.0 * static_cast<double>(rows) / n);
      };
      std::printf("method %s, %s rows read from %s\n",
                  std::string(splitMethodName(o.method)).c_str(),
                  withCommas(data.numInteractions()).c_str(), a->path.c_str());
      line("train", split.train.size());
      if (parts.valid) line("valid", split.valid.size());
      line("test", split.test.size());
      if (split.rowsDropped > 0) line("drop", split.rowsDropped);
      if (split.cutoff) std::printf("cutoff %lld\n", static_cast<long long>(*split.cutoff));
      for (const auto& note : split.notes) std::printf("note   %s\n", note.c_str());
      std::printf("split hash %s, written to %s\n", hash, a->out.c_str());
      // Lenient loads skip rows: say so, with the reasons, rather than lose them silently.
      if (loaded.rowsSkipped() > 0) std::printf("%s", loadAccountText(loaded).c_str());
    }
    return 0;
  };
}

}  // namespace rwb::cli
