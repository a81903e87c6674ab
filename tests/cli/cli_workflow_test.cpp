// Happy paths of every recwb subcommand on the bundled sample data and small generated data:
// each checks what the command wrote or printed, not only its exit code.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <thread>

#include "cli_fixtures.h"
#include "core/eval/metric.h"
#include "core/util/sqlite_db.h"

using namespace rwb::test;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kSubcommands = {
    "inspect",  "models",  "split", "generate", "export", "score",  "serve",
    "evaluate", "compare", "run",   "runs",     "report", "explain"};

std::size_t countLines(const fs::path& p) { return lines(readFile(p)).size(); }

}  // namespace

TEST_CASE("recwb --help lists every subcommand, each has its own help, --version names the build",
          "[cli]") {
  const CliResult help = runRecwb({"--help"});
  RWB_REQUIRE_SUCCESS(help);
  for (const auto& name : kSubcommands) {
    INFO(name);
    CHECK(help.out.find("\n  " + name + " ") != std::string::npos);
    const CliResult sub = runRecwb({name, "--help"});
    RWB_REQUIRE_SUCCESS(sub);
    CHECK(sub.out.find("Usage:") != std::string::npos);
    CHECK(sub.out.find(name) != std::string::npos);
  }
  const CliResult version = runRecwb({"--version"});
  RWB_REQUIRE_SUCCESS(version);
  CHECK(version.out.rfind("recwb ", 0) == 0);
}

TEST_CASE("evaluate --help lists every metric name the evaluator knows", "[cli]") {
  const CliResult help = runRecwb({"evaluate", "--help"});
  RWB_REQUIRE_SUCCESS(help);
  REQUIRE_FALSE(rwb::knownMetricNames().empty());
  for (const auto& name : rwb::knownMetricNames()) {
    INFO(name);
    // A whole entry of the list: "map" must not pass on "map@k" alone.
    const bool listed = help.out.find(" " + name + ",") != std::string::npos ||
                        help.out.find(" " + name + ".") != std::string::npos;
    CHECK(listed);
  }
  CHECK(help.out.find("r_precision@k") != std::string::npos);
  CHECK(help.out.find("r_precision_at_k") != std::string::npos);
}

TEST_CASE("models lists the registry with each model's parameters", "[cli]") {
  const CliResult json = runRecwb({"models", "--json"});
  RWB_REQUIRE_SUCCESS(json);
  const auto list = stdoutJson(json);
  REQUIRE(list.is_array());
  std::set<std::string> names;
  for (const auto& m : list) {
    names.insert(m.at("name").get<std::string>());
    CHECK(m.at("params").is_array());
  }
  for (const char* expected : {"most_popular", "sar", "itemknn", "ease", "ials", "bpr",
                               "content_similarity", "logistic_regression", "gbdt", "two_stage"}) {
    INFO(expected);
    CHECK(names.count(expected) == 1);
  }
  const auto sar =
      std::find_if(list.begin(), list.end(), [](const auto& m) { return m.at("name") == "sar"; });
  REQUIRE(sar != list.end());
  bool similarity = false;
  for (const auto& p : sar->at("params")) {
    if (p.at("name") == "similarity") similarity = p.dump().find("jaccard") != std::string::npos;
  }
  CHECK(similarity);

  const CliResult text = runRecwb({"models"});
  RWB_REQUIRE_SUCCESS(text);
  for (const auto& n : names) CHECK(("\n" + text.out).find("\n" + n + "  (") != std::string::npos);
}

TEST_CASE("inspect summarises the sample data and accounts for every row read", "[cli]") {
  // Expected counts come from the files themselves, not from the loader.
  std::map<std::string, std::uint64_t> events;
  std::set<std::string> users, items;
  long long firstTime = std::numeric_limits<long long>::max();
  const auto rows = lines(readFile(sampleData() / "interactions.csv"));
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto f = fields(rows[i], ',');
    REQUIRE(f.size() == 5);
    users.insert(f[0]);
    items.insert(f[1]);
    ++events[f[2]];
    firstTime = std::min(firstTime, std::stoll(f[4]));
  }
  const std::size_t itemRows = countLines(sampleData() / "items.csv") - 1;
  const std::size_t userRows = countLines(sampleData() / "users.csv") - 1;

  const CliResult r = runRecwb({"inspect", sampleData().string(), "--json"});
  RWB_REQUIRE_SUCCESS(r);
  const auto j = stdoutJson(r);
  CHECK(j.at("interactions") == rows.size() - 1);
  CHECK(j.at("users") == userRows);  // users.csv lists every user, also those without events
  CHECK(j.at("items") == itemRows);
  CHECK(j.at("items_without_interactions") == itemRows - items.size());
  for (const auto& [event, n] : events) CHECK(j.at("events").at(event) == n);
  const auto& load = j.at("load");
  CHECK(load.at("read") == rows.size() - 1 + itemRows + userRows);
  CHECK(load.at("loaded") == load.at("read"));
  CHECK(load.at("skipped") == 0);
  REQUIRE(load.at("tables").size() == 3);
  CHECK(j.at("time_span").at("first_unix") == firstTime);

  const CliResult text = runRecwb({"inspect", (sampleData() / "interactions.csv").string()});
  RWB_REQUIRE_SUCCESS(text);
  CHECK(text.out.find("interactions  100,000") != std::string::npos);
  CHECK(text.out.find("read 100,000, loaded 100,000, skipped 0") != std::string::npos);
}

TEST_CASE("generate is seeded: the same seed gives the same bytes, counts match the files",
          "[cli]") {
  TempDir dir;
  const auto run = [&](const std::string& out, const std::string& seed) {
    const CliResult r =
        runRecwb({"generate", "--out", (dir / out).string(), "--users", "40", "--items", "60",
                  "--interactions", "800", "--seed", seed, "--json"});
    RWB_REQUIRE_SUCCESS(r);
    return stdoutJson(r);
  };
  const auto a = run("a", "7");
  run("b", "7");
  run("c", "8");
  CHECK(a.at("users") == 40);
  CHECK(a.at("items") == 60);
  CHECK(a.at("interactions") == 800);
  CHECK(countLines(dir / "a" / "interactions.csv") == 801);
  CHECK(countLines(dir / "a" / "items.csv") == 61);
  CHECK(countLines(dir / "a" / "users.csv") == 41);
  std::uint64_t perEvent = 0;
  for (const auto& [name, n] : a.at("events").items()) perEvent += n.get<std::uint64_t>();
  CHECK(perEvent == 800);
  for (const char* f : {"interactions.csv", "items.csv", "users.csv"}) {
    CHECK(readFile(dir / "a" / f) == readFile(dir / "b" / f));
  }
  CHECK(readFile(dir / "a" / "interactions.csv") != readFile(dir / "c" / "interactions.csv"));

  const CliResult inspect = runRecwb({"inspect", (dir / "a").string(), "--json"});
  RWB_REQUIRE_SUCCESS(inspect);
  const auto s = stdoutJson(inspect);
  CHECK(s.at("interactions") == 800);
  CHECK(s.at("items") == 60);
  CHECK(s.at("items_without_interactions") == a.at("items_without_interactions"));
}

#if defined(__x86_64__) && defined(__GLIBC__)
TEST_CASE("generate with its defaults reproduces the bundled sample data byte for byte", "[cli]") {
  // sample-data/README.md promises this (glibc, x86-64); it guards the generator and the data.
#if defined(__clang__)
  // Open: a clang build (seen in the ThreadSanitizer build) generates other bytes than the GCC
  // build that made sample-data; the GCC suite keeps the promise checked.
  WARN("skipped: clang builds generate different sample data (open issue)");
  return;
#endif
  TempDir dir;
  RWB_REQUIRE_SUCCESS(runRecwb({"generate", "--out", (dir / "s").string(), "-q"}));
  for (const char* f : {"interactions.csv", "items.csv", "users.csv"}) {
    INFO(f);
    CHECK(readFile(dir / "s" / f) == readFile(sampleData() / f));
  }
}
#endif

TEST_CASE("split: every input row lands in exactly one of train, valid and test", "[cli]") {
  TempDir dir;
  const auto input = sampleData() / "interactions.csv";
  std::multiset<std::string> expected;
  const auto rows = lines(readFile(input));
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto f = fields(rows[i], ',');
    expected.insert(f[0] + "\t" + f[1] + "\t" + f[2] + "\t" + f[3] + "\t" + f[4]);
  }
  // The sample data has event types: split files keep them behind a header row.
  const std::string header = "user_id\titem_id\tevent\tvalue\ttimestamp";
  const auto dataRows = [&](const fs::path& file) {
    auto l = lines(readFile(file));
    REQUIRE(!l.empty());
    CHECK(l.front() == header);
    l.erase(l.begin());
    return l;
  };
  const auto outRows = [&](const fs::path& folder, std::initializer_list<const char*> files) {
    std::multiset<std::string> out;
    for (const char* f : files) {
      for (auto& l : dataRows(folder / f)) out.insert(std::move(l));
    }
    return out;
  };

  SECTION("random 0.8: counts add up, same seed same split, other seed other split") {
    const auto split = [&](const std::string& out, const std::string& seed) {
      const CliResult r = runRecwb({"split", input.string(), "--method", "random", "--ratio", "0.8",
                                    "--seed", seed, "--out", (dir / out).string(), "--json"});
      RWB_REQUIRE_SUCCESS(r);
      return stdoutJson(r);
    };
    const auto a = split("a", "5");
    CHECK(a.at("rows") == expected.size());
    CHECK(a.at("train").get<std::size_t>() + a.at("test").get<std::size_t>() == expected.size());
    CHECK(a.at("dropped") == 0);
    CHECK(dataRows(dir / "a" / "train.tsv").size() == a.at("train").get<std::size_t>());
    CHECK(dataRows(dir / "a" / "test.tsv").size() == a.at("test").get<std::size_t>());
    CHECK(a.at("train").get<double>() / static_cast<double>(expected.size()) ==
          Approx(0.8).margin(0.005));
    CHECK(outRows(dir / "a", {"train.tsv", "test.tsv"}) == expected);
    CHECK_FALSE(fs::exists(dir / "a" / "valid.tsv"));

    const auto b = split("b", "5");
    CHECK(b.at("split_hash") == a.at("split_hash"));
    CHECK(readFile(dir / "b" / "test.tsv") == readFile(dir / "a" / "test.tsv"));
    const auto c = split("c", "6");
    CHECK(c.at("split_hash") != a.at("split_hash"));
  }

  SECTION("chronological with a validation share; a later split without one removes valid.tsv") {
    const auto out = (dir / "chrono").string();
    const CliResult r = runRecwb({"split", input.string(), "--method", "chronological", "--ratio",
                                  "0.8", "--valid-ratio", "0.1", "--out", out, "--json"});
    RWB_REQUIRE_SUCCESS(r);
    const auto j = stdoutJson(r);
    const std::size_t train = j.at("train"), valid = j.at("valid"), test = j.at("test");
    CHECK(valid > 0);
    CHECK(train + valid + test == expected.size());
    CHECK(dataRows(dir / "chrono" / "valid.tsv").size() == valid);
    CHECK(outRows(dir / "chrono", {"train.tsv", "valid.tsv", "test.tsv"}) == expected);
    // Chronological by user: each user's test events are not older than their training events.
    std::map<std::string, long long> lastTrain;
    for (const auto& l : dataRows(dir / "chrono" / "train.tsv")) {
      const auto f = fields(l, '\t');
      lastTrain[f[0]] = std::max(lastTrain[f[0]], std::stoll(f[4]));
    }
    std::size_t checked = 0, older = 0;
    for (const auto& l : dataRows(dir / "chrono" / "test.tsv")) {
      const auto f = fields(l, '\t');
      if (lastTrain.count(f[0]) == 0) continue;
      older += std::stoll(f[4]) < lastTrain[f[0]];
      ++checked;
    }
    CHECK(checked > 1000);
    CHECK(older == 0);

    RWB_REQUIRE_SUCCESS(runRecwb({"split", input.string(), "--method", "chronological", "--ratio",
                                  "0.8", "--out", out, "-q"}));
    CHECK_FALSE(fs::exists(dir / "chrono" / "valid.tsv"));
    CHECK(outRows(dir / "chrono", {"train.tsv", "test.tsv"}) == expected);
  }

  SECTION("leave_last_n 1: one test row per user, their latest") {
    const CliResult r = runRecwb({"split", input.string(), "--method", "leave_last_n", "--n", "1",
                                  "--out", (dir / "lln").string()});
    RWB_REQUIRE_SUCCESS(r);
    CHECK(r.out.find("train ") != std::string::npos);
    std::map<std::string, long long> lastTrain;
    for (const auto& l : dataRows(dir / "lln" / "train.tsv")) {
      const auto f = fields(l, '\t');
      lastTrain[f[0]] = std::max(lastTrain[f[0]], std::stoll(f[4]));
    }
    std::map<std::string, int> perUser;
    std::size_t repeated = 0, older = 0;
    for (const auto& l : dataRows(dir / "lln" / "test.tsv")) {
      const auto f = fields(l, '\t');
      repeated += ++perUser[f[0]] > 1;
      older += std::stoll(f[4]) < lastTrain[f[0]];
    }
    CHECK(repeated == 0);
    CHECK(older == 0);
    CHECK(perUser.size() > 1900);
    CHECK(outRows(dir / "lln", {"train.tsv", "test.tsv"}) == expected);
  }
}

TEST_CASE("export then score: one ranked top-k list per user without their training items",
          "[cli]") {
  TempDir dir;
  const auto split = splitSample(dir);
  const auto train = itemsByUser(split / "train.tsv");
  const auto test = itemsByUser(split / "test.tsv");
  const auto pkg = (dir / "sar.rwbm").string();
  const CliResult ex = runRecwb({"export", "--data", (split / "train.tsv").string(), "--model",
                                 "sar", "--out", pkg, "--json"});
  RWB_REQUIRE_SUCCESS(ex);
  const auto info = stdoutJson(ex);
  CHECK(info.dump().find("\"sar\"") != std::string::npos);
  REQUIRE(fs::is_regular_file(pkg));

  const auto recs = dir / "recs.tsv";
  const CliResult sc =
      runRecwb({"score", "--model", pkg, "-k", "5", "--out", recs.string(), "--json"});
  RWB_REQUIRE_SUCCESS(sc);
  const auto sj = stdoutJson(sc);
  CHECK(sj.at("users") == train.size());
  CHECK(sj.at("rows") == 5 * train.size());
  CHECK(lines(readFile(recs)).front() == "user\titem\tscore\trank\tfallback");
  const auto lists = readRecs(recs, '\t', true);
  REQUIRE(lists.size() == train.size());
  std::size_t badLists = 0;
  for (const auto& [user, list] : lists) {
    bool ok = list.size() == 5;
    std::set<std::string> distinct;
    for (std::size_t r = 0; ok && r < list.size(); ++r) {
      ok = list[r].rank == static_cast<long>(r + 1) &&
           (r == 0 || list[r].score <= list[r - 1].score) && list[r].fallback == "none" &&
           train.at(user).count(list[r].item) == 0;
      distinct.insert(list[r].item);
    }
    if (!ok || distinct.size() != 5) {
      UNSCOPED_INFO("bad list for user " << user);
      ++badLists;
    }
  }
  CHECK(badLists == 0);

  {
    INFO("CSV and SQLite outputs hold the same rows");
    RWB_REQUIRE_SUCCESS(
        runRecwb({"score", "--model", pkg, "-k", "5", "--out", (dir / "recs.csv").string()}));
    std::string csv = readFile(dir / "recs.csv");
    std::replace(csv.begin(), csv.end(), ',', '\t');
    CHECK(csv == readFile(recs));
    RWB_REQUIRE_SUCCESS(
        runRecwb({"score", "--model", pkg, "-k", "5", "--out", (dir / "recs.sqlite").string()}));
    rwb::SqliteDb db((dir / "recs.sqlite").string(), rwb::SqliteDb::Mode::kReadOnly);
    auto count = db.prepare("SELECT COUNT(*), COUNT(DISTINCT user) FROM recommendations");
    REQUIRE(count.step());
    CHECK(count.columnInt(0) == static_cast<std::int64_t>(5 * train.size()));
    CHECK(count.columnInt(1) == static_cast<std::int64_t>(train.size()));
  }

  {
    INFO("two shards together are the unsharded output");
    std::multiset<std::string> sharded;
    std::set<std::string> users0;
    for (const char* shard : {"0/2", "1/2"}) {
      const auto out = dir / (std::string("shard") + shard[0] + ".tsv");
      RWB_REQUIRE_SUCCESS(runRecwb(
          {"score", "--model", pkg, "-k", "5", "--shard", shard, "--out", out.string(), "-q"}));
      const auto l = lines(readFile(out));
      for (std::size_t i = 1; i < l.size(); ++i) {
        sharded.insert(l[i]);
        if (shard[0] == '0') users0.insert(fields(l[i], '\t')[0]);
      }
    }
    auto all = lines(readFile(recs));
    all.erase(all.begin());
    CHECK(sharded == std::multiset<std::string>(all.begin(), all.end()));
    CHECK(users0.size() > 0);
    CHECK(users0.size() < train.size());
  }

  {
    INFO("--users picks users; an unknown one gets the popularity list; repeats are counted");
    writeFile(dir / "users.csv", "user_id\nU00001\nNOPE\nU00002\nU00001\n");
    const auto out = dir / "some.tsv";
    const CliResult picked =
        runRecwb({"score", "--model", pkg, "--users", (dir / "users.csv").string(), "-k", "3",
                  "--out", out.string()});
    RWB_REQUIRE_SUCCESS(picked);
    CHECK(picked.err.find("users.csv: 1 repeated user id (each user is scored once)") !=
          std::string::npos);
    const auto some = readRecs(out, '\t', true);
    REQUIRE(some.size() == 3);
    CHECK(some.at("NOPE").front().fallback == "popularity");
    CHECK(some.at("U00001").front().fallback == "none");
    for (std::size_t r = 0; r < 3; ++r)
      CHECK(some.at("U00001")[r].item == lists.at("U00001")[r].item);
  }

  {
    INFO("--exclude-seen also removes the items of another interactions file");
    const auto out = dir / "unseen.tsv";
    RWB_REQUIRE_SUCCESS(runRecwb({"score", "--model", pkg, "-k", "5", "--exclude-seen",
                                  (split / "test.tsv").string(), "--out", out.string()}));
    std::size_t changed = 0;
    std::size_t seen = 0;
    for (const auto& [user, list] : readRecs(out, '\t', true)) {
      REQUIRE(list.size() == 5);
      for (const auto& row : list) {
        seen += train.at(user).count(row.item);
        if (test.count(user)) seen += test.at(user).count(row.item);
      }
      changed += list.front().item != lists.at(user).front().item;
    }
    CHECK(seen == 0);
    CHECK(changed > 0);
  }
}

TEST_CASE("evaluate and compare score the files written by split and score", "[cli]") {
  TempDir dir;
  const auto split = splitSample(dir);
  const auto trainPath = (split / "train.tsv").string(), testPath = (split / "test.tsv").string();
  std::map<std::string, std::string> recFiles;
  for (const char* model : {"sar", "most_popular"}) {
    const auto pkg = dir / (std::string(model) + ".rwbm");
    RWB_REQUIRE_SUCCESS(
        runRecwb({"export", "--data", trainPath, "--model", model, "--out", pkg.string(), "-q"}));
    recFiles[model] = (dir / (std::string(model) + ".tsv")).string();
    RWB_REQUIRE_SUCCESS(
        runRecwb({"score", "--model", pkg.string(), "-k", "5", "--out", recFiles[model], "-q"}));
  }

  // precision@5, recall@5 and hit_rate@5 recomputed here from the two files.
  const auto test = itemsByUser(split / "test.tsv");
  const auto lists = readRecs(recFiles["sar"], '\t', true);
  double precision = 0.0, recall = 0.0, hit = 0.0;
  std::size_t users = 0;
  for (const auto& [user, relevant] : test) {
    const auto it = lists.find(user);
    if (it == lists.end()) continue;
    std::size_t hits = 0;
    for (const auto& row : it->second) hits += relevant.count(row.item);
    precision += static_cast<double>(hits) / 5.0;
    recall += static_cast<double>(hits) / static_cast<double>(relevant.size());
    hit += hits > 0 ? 1.0 : 0.0;
    ++users;
  }
  REQUIRE(users > 1000);

  const auto perUser = dir / "per_user.tsv";
  const CliResult ev =
      runRecwb({"evaluate", "--train", trainPath, "--test", testPath, "--recs", recFiles["sar"],
                "-k", "5", "--per-user", perUser.string(), "--json"});
  RWB_REQUIRE_SUCCESS(ev);
  const auto j = stdoutJson(ev);
  CHECK(j.at("evaluated_users") == users);
  CHECK(j.at("test_users") == test.size());
  const auto& m = j.at("metrics");
  CHECK(m.at("precision@5").at("value").get<double>() == Approx(precision / users).epsilon(1e-12));
  CHECK(m.at("recall@5").at("value").get<double>() == Approx(recall / users).epsilon(1e-12));
  CHECK(m.at("hit_rate@5").at("value").get<double>() == Approx(hit / users).epsilon(1e-12));
  // The per-user file: one row per evaluated user; its column means are the reported values.
  const auto pu = lines(readFile(perUser));
  REQUIRE(pu.size() == users + 1);
  const auto header = fields(pu[0], '\t');
  const auto col = std::find(header.begin(), header.end(), "precision@5") - header.begin();
  REQUIRE(col < static_cast<long>(header.size()));
  double sum = 0.0;
  for (std::size_t i = 1; i < pu.size(); ++i) sum += std::stod(fields(pu[i], '\t')[col]);
  CHECK(sum / users == Approx(precision / users).epsilon(1e-12));

  const CliResult text = runRecwb(
      {"evaluate", "--train", trainPath, "--test", testPath, "--recs", recFiles["sar"], "-k", "5"});
  RWB_REQUIRE_SUCCESS(text);
  CHECK(text.out.find("precision@5") != std::string::npos);

  {
    INFO("compare: the same means as evaluate, differences are b - a, p-values in [0, 1]");
    const CliResult cmp = runRecwb({"compare", recFiles["sar"], recFiles["most_popular"], "--train",
                                    trainPath, "--test", testPath, "-k", "5", "--metrics",
                                    "precision@5,recall@5", "--resamples", "200", "--json"});
    RWB_REQUIRE_SUCCESS(cmp);
    const auto c = stdoutJson(cmp);
    CHECK(c.at("users") == users);
    REQUIRE(c.at("metrics").size() == 2);
    const auto& p = c.at("metrics")[0];
    CHECK(p.at("metric") == "precision@5");
    const double a = p.at("runs")[0].at("mean"), b = p.at("runs")[1].at("mean");
    CHECK(a == Approx(precision / users).epsilon(1e-12));
    CHECK(p.at("runs")[0].at("ci_lower").get<double>() <= a);
    CHECK(p.at("runs")[0].at("ci_upper").get<double>() >= a);
    const auto& pair = p.at("comparisons")[0];
    CHECK(pair.at("difference").get<double>() == Approx(b - a).margin(1e-12));
    for (const char* key : {"t_p", "wilcoxon_p"}) {
      CHECK(pair.at(key).get<double>() >= 0.0);
      CHECK(pair.at(key).get<double>() <= 1.0);
    }
  }

  {
    INFO("compare a file with itself: every difference is 0");
    fs::copy_file(recFiles["sar"], dir / "sar_copy.tsv");
    const CliResult cmp =
        runRecwb({"compare", recFiles["sar"], (dir / "sar_copy.tsv").string(), "--train", trainPath,
                  "--test", testPath, "-k", "5", "--resamples", "50", "--json"});
    RWB_REQUIRE_SUCCESS(cmp);
    const auto same = stdoutJson(cmp);
    REQUIRE(same.at("metrics").size() == 5);
    for (const auto& metric : same.at("metrics")) {
      CHECK(metric.at("comparisons")[0].at("difference").get<double>() == 0.0);
    }
  }
}

TEST_CASE("run records its runs; runs list/show/delete read them; export --project packages one",
          "[cli]") {
  TempDir dir;
  const auto split = splitSample(dir);
  writeFile(dir / "spec.json", R"({
  "version": 1,
  "name": "cli-test",
  "split": {"train": "split/train.tsv", "test": "split/test.tsv"},
  "models": [{"name": "most_popular"}, {"name": "sar"}],
  "metrics": {"k": 5, "names": ["precision", "ndcg"]},
  "threads": 1,
  "output": {"recommendations": "recs/"}
})");
  const auto project = (dir / "p.rwbp").string();
  const CliResult run = runRecwb({"run", (dir / "spec.json").string(), "--project", project,
                                  "--out", (dir / "out").string(), "--json"});
  RWB_REQUIRE_SUCCESS(run);
  const auto metrics = nlohmann::json::parse(readFile(dir / "out" / "metrics.json"));
  CHECK(stdoutJson(run) == metrics);
  REQUIRE(metrics.at("runs").size() == 2);
  std::map<std::string, nlohmann::json> byName;
  for (const auto& r : metrics.at("runs")) {
    CHECK(r.at("status") == "ok");
    byName[r.at("name")] = r;
  }
  REQUIRE(byName.count("sar") == 1);
  const double sarNdcg = byName["sar"].at("metrics").at("ndcg@5");
  CHECK(sarNdcg > 0.0);

  // The run's top-k file, evaluated by `recwb evaluate`, gives the run's own numbers.
  const auto recs = dir / "out" / "recs" / "sar.tsv";
  REQUIRE(fs::is_regular_file(recs));
  const CliResult ev = runRecwb({"evaluate", "--train", (split / "train.tsv").string(), "--test",
                                 (split / "test.tsv").string(), "--recs", recs.string(), "-k", "5",
                                 "--metrics", "precision@5,ndcg@5", "--json"});
  RWB_REQUIRE_SUCCESS(ev);
  const auto evm = stdoutJson(ev).at("metrics");
  CHECK(evm.at("ndcg@5").at("value").get<double>() == Approx(sarNdcg).epsilon(1e-9));
  CHECK(evm.at("precision@5").at("value").get<double>() ==
        Approx(byName["sar"].at("metrics").at("precision@5").get<double>()).epsilon(1e-9));

  const CliResult list = runRecwb({"runs", "list", "--project", project, "--json"});
  RWB_REQUIRE_SUCCESS(list);
  const auto listed = stdoutJson(list);
  REQUIRE(listed.size() == 2);
  std::int64_t sarId = 0;
  for (const auto& r : listed) {
    const auto& recorded = byName.at(r.at("name").get<std::string>());
    CHECK(r.at("experiment") == "cli-test");
    for (const auto& [k, v] : recorded.at("metrics").items()) {
      CHECK(r.at("metrics").at(k).get<double>() == Approx(v.get<double>()).epsilon(1e-12));
    }
    if (r.at("name") == "sar") sarId = r.at("id");
  }
  REQUIRE(sarId > 0);
  const CliResult listText = runRecwb({"runs", "list", "--project", project});
  RWB_REQUIRE_SUCCESS(listText);
  CHECK(listText.out.find("cli-test") != std::string::npos);

  const CliResult show =
      runRecwb({"runs", "show", std::to_string(sarId), "--project", project, "--json"});
  RWB_REQUIRE_SUCCESS(show);
  const auto shown = stdoutJson(show);
  CHECK(shown.at("name") == "sar");
  CHECK(shown.at("params").at("similarity") == "jaccard");
  CHECK(shown.at("metrics").at("ndcg@5").get<double>() == Approx(sarNdcg).epsilon(1e-12));

  {
    INFO("export --project --run: scoring the package reproduces the run's lists");
    const auto pkg = (dir / "run.rwbm").string();
    RWB_REQUIRE_SUCCESS(runRecwb(
        {"export", "--project", project, "--run", std::to_string(sarId), "--out", pkg, "-q"}));
    const auto scored = dir / "scored.tsv";
    RWB_REQUIRE_SUCCESS(
        runRecwb({"score", "--model", pkg, "-k", "5", "--out", scored.string(), "-q"}));
    const auto fromRun = readRecs(recs, '\t', false);
    const auto fromPkg = readRecs(scored, '\t', true);
    REQUIRE(fromRun.size() > 1000);
    std::size_t differ = 0;
    for (const auto& [user, list] : fromRun) {
      const auto it = fromPkg.find(user);
      bool same = it != fromPkg.end() && it->second.size() == list.size();
      for (std::size_t r = 0; same && r < list.size(); ++r)
        same = it->second[r].item == list[r].item;
      if (!same) {
        UNSCOPED_INFO("lists differ for user " << user);
        ++differ;
      }
    }
    CHECK(differ == 0);
  }

  {
    INFO("runs delete removes one run");
    const CliResult del =
        runRecwb({"runs", "delete", std::to_string(sarId), "--project", project, "--json"});
    RWB_REQUIRE_SUCCESS(del);
    CHECK(stdoutJson(del).at("deleted") == true);
    const CliResult after = runRecwb({"runs", "list", "--project", project, "--json"});
    RWB_REQUIRE_SUCCESS(after);
    const auto left = stdoutJson(after);
    REQUIRE(left.size() == 1);
    CHECK(left[0].at("name") == "most_popular");
  }
}

TEST_CASE("explain: contributions add up to the model's output; --save/--load agree", "[cli]") {
  // --threads 1 throughout: XGBoost's OpenMP team spins on a loaded 2-core machine (this tiny
  // GBDT fit took 24 s with all cores and other builds running, 0.1 s with one thread).
  TempDir dir;
  const auto data = generateSmall(dir).string();
  const auto history = [&] {
    std::map<std::string, std::set<std::string>> h;
    const auto rows = lines(readFile(fs::path(data) / "interactions.csv"));
    for (std::size_t i = 1; i < rows.size(); ++i) {
      const auto f = fields(rows[i], ',');
      h[f[0]].insert(f[1]);
    }
    return h;
  }();
  const std::string user = history.begin()->first;

  SECTION("gbdt and logistic regression: bias + contributions = output") {
    for (const auto& [model, params] : std::vector<std::pair<std::string, std::string>>{
             {"gbdt", R"({"rounds": 10})"}, {"logistic_regression", "{}"}}) {
      INFO(model);
      const CliResult r =
          runRecwb({"explain", data, "--model", model, "--params", params, "--user", user, "--item",
                    "I00001", "--top", "1000", "--threads", "1", "--json"});
      RWB_REQUIRE_SUCCESS(r);
      const auto j = stdoutJson(r);
      CHECK(j.at("model") == model);
      REQUIRE(j.at("explanations").size() == 1);
      const auto& e = j.at("explanations")[0];
      CHECK(e.at("user") == user);
      CHECK(e.at("item") == "I00001");
      CHECK(e.at("output_kind") == "logit");
      REQUIRE(e.at("features").size() > 3);
      double sum = e.at("bias");
      for (const auto& f : e.at("features")) sum += f.at("contribution").get<double>();
      CHECK(sum == Approx(e.at("output").get<double>()).margin(1e-4));
    }
  }

  SECTION("content_similarity: the history items' contributions add up to the score") {
    const CliResult r = runRecwb({"explain", data, "--model", "content_similarity", "--user", user,
                                  "--item", "I00002", "--top", "1000", "--threads", "1", "--json"});
    RWB_REQUIRE_SUCCESS(r);
    const auto j = stdoutJson(r);
    const auto& e = j.at("explanations")[0];
    REQUIRE(e.at("history").size() > 0);
    double sum = 0.0;
    for (const auto& h : e.at("history")) {
      CHECK(history.at(user).count(h.at("item").get<std::string>()) == 1);
      sum += h.at("contribution").get<double>();
    }
    CHECK(sum == Approx(e.at("output").get<double>()).margin(1e-5));
  }

  SECTION("top-k explanations: k distinct unseen items; --save then --load prints the same") {
    const auto blob = (dir / "gbdt.bin").string();
    const CliResult fit =
        runRecwb({"explain", data, "--model", "gbdt", "--params", R"({"rounds": 10})", "--user",
                  user, "-k", "3", "--global", "--threads", "1", "--save", blob, "--json"});
    RWB_REQUIRE_SUCCESS(fit);
    const auto j = stdoutJson(fit);
    REQUIRE(j.at("explanations").size() == 3);
    std::set<std::string> items;
    for (const auto& e : j.at("explanations")) {
      items.insert(e.at("item").get<std::string>());
      CHECK(history.at(user).count(e.at("item").get<std::string>()) == 0);
    }
    CHECK(items.size() == 3);
    const auto& imp = j.at("global_importance");
    REQUIRE(imp.size() > 1);
    for (std::size_t i = 1; i < imp.size(); ++i) {
      CHECK(imp[i].at("mean_abs_contribution").get<double>() <=
            imp[i - 1].at("mean_abs_contribution").get<double>());
    }
    REQUIRE(fs::file_size(blob) > 0);
    const CliResult load = runRecwb(
        {"explain", data, "--load", blob, "--user", user, "-k", "3", "--global", "--json"});
    RWB_REQUIRE_SUCCESS(load);
    CHECK(stdoutJson(load) == j);
    const CliResult text = runRecwb(
        {"explain", data, "--load", blob, "--user", user, "--item", *items.begin(), "--top", "3"});
    RWB_REQUIRE_SUCCESS(text);
    CHECK(text.out.rfind("user " + user + ", item " + *items.begin() + ": logit ", 0) == 0);
  }
}

namespace {
/// CPU seconds (user + system) a running process has used, from /proc/<pid>/stat.
double cpuSeconds(pid_t pid) {
  const std::string stat = readFile("/proc/" + std::to_string(pid) + "/stat");
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0.0;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // Fields after the command name start at field 3 (state); utime and stime are 14 and 15.
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}
}  // namespace

TEST_CASE("run: Ctrl-C (SIGINT) inside a fit cancels cleanly with exit 130 and a record", "[cli]") {
  TempDir dir;
  const auto spec = [&](int epochs) {
    return R"({"version": 1, "name": "cancel", "dataset": {"path": ")" + sampleData().string() +
           R"("}, "split": {"method": "chronological", "ratio": 0.8},
  "models": [{"name": "bpr", "params": {"epochs": )" +
           std::to_string(epochs) + R"(}}], "threads": 1})";
  };
  // What start-up, loading and splitting cost in this build (a sanitizer build is 5-20 times
  // slower): a whole run with one epoch, in CPU time so that a loaded machine does not matter.
  writeFile(dir / "one.json", spec(1));
  rusage before{}, after{};
  getrusage(RUSAGE_CHILDREN, &before);
  RWB_REQUIRE_SUCCESS(
      runRecwb({"run", (dir / "one.json").string(), "--out", (dir / "one").string(), "-q"}));
  getrusage(RUSAGE_CHILDREN, &after);
  const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  const double setUp = seconds(after.ru_utime) - seconds(before.ru_utime) +
                       seconds(after.ru_stime) - seconds(before.ru_stime);
  writeFile(dir / "spec.json", spec(10000));
  RecwbProcess run({"run", (dir / "spec.json").string(), "--out", (dir / "out").string(),
                    "--project", (dir / "p.rwbp").string()});
  // Interrupt once it is surely training: twice the one-epoch run's CPU (10000 epochs take
  // minutes, so the fit is still running then).
  const double interruptAt = 2.0 * setUp + 0.2;
  INFO("one-epoch run: " << setUp << " s CPU; interrupting at " << interruptAt << " s CPU");
  const auto start = std::chrono::steady_clock::now();
  while (run.running() && cpuSeconds(run.pid()) < interruptAt &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(run.running());
  const auto signalled = std::chrono::steady_clock::now();
  const CliResult r = run.stop(SIGINT, 30.0);
  const double afterSignal =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
  INFO(r.describe());
  REQUIRE(r.cleanExit());
  CHECK(r.exitCode == 130);
  CHECK(r.err.find("cancelled") != std::string::npos);
  CHECK(afterSignal < 10.0);
  const auto metrics = nlohmann::json::parse(readFile(dir / "out" / "metrics.json"));
  CHECK(metrics.at("cancelled") == true);
  REQUIRE(metrics.at("runs").size() == 1);
  CHECK(metrics.at("runs")[0].at("status") == "cancelled");
  const CliResult list =
      runRecwb({"runs", "list", "--project", (dir / "p.rwbp").string(), "--json"});
  RWB_REQUIRE_SUCCESS(list);
  for (const auto& stored : stdoutJson(list)) CHECK(stored.at("status") != "ok");
}

TEST_CASE(
    "other sources and options: SQLite tables, dataset folders as user lists, slices, "
    "three-way compare with Holm",
    "[cli]") {
  TempDir dir;
  const auto gen = generateSmall(dir);

  {
    INFO("inspect an SQLite database: interactions and item attributes from tables");
    rwb::SqliteDb db((dir / "shop.db").string(), rwb::SqliteDb::Mode::kCreate);
    db.exec(
        "CREATE TABLE events(user_id TEXT, item_id TEXT, value REAL, timestamp INTEGER);"
        "INSERT INTO events VALUES ('u1','i1',1,100), ('u2','i2',2,200), ('u1','i2',1,300);"
        "CREATE TABLE items(item_id TEXT, color TEXT);"
        "INSERT INTO items VALUES ('i1','red'), ('i2','blue'), ('i3','green');");
  }
  const CliResult sql = runRecwb({"inspect", (dir / "shop.db").string(), "--table", "events",
                                  "--items-table", "items", "--json"});
  RWB_REQUIRE_SUCCESS(sql);
  const auto s = stdoutJson(sql);
  CHECK(s.at("users") == 2);
  CHECK(s.at("items") == 3);
  CHECK(s.at("items_without_interactions") == 1);
  CHECK(s.at("interactions") == 3);
  CHECK(s.at("load").at("read") == 6);
  RWB_REQUIRE_FAILURE(runRecwb({"inspect", (dir / "shop.db").string(), "--table", "orders"}), 1,
                      "no table 'orders'", "events");

  const auto split = dir / "split";
  RWB_REQUIRE_SUCCESS(runRecwb({"split", (gen / "interactions.csv").string(), "--seed", "2",
                                "--out", split.string(), "-q"}));
  const auto train = (split / "train.tsv").string(), test = (split / "test.tsv").string();
  std::vector<std::string> recs;
  for (const char* model : {"most_popular", "sar", "itemknn"}) {
    const auto pkg = (dir / (std::string(model) + ".rwbm")).string();
    RWB_REQUIRE_SUCCESS(
        runRecwb({"export", "--data", train, "--model", model, "--out", pkg, "-q"}));
    recs.push_back((dir / (std::string(model) + ".tsv")).string());
    RWB_REQUIRE_SUCCESS(runRecwb({"score", "--model", pkg, "-k", "5", "--out", recs.back(), "-q"}));
  }

  {
    INFO("score --users FOLDER scores exactly that dataset's users");
    RWB_REQUIRE_SUCCESS(runRecwb({"generate", "--out", (dir / "few").string(), "--users", "12",
                                  "--items", "50", "--interactions", "100", "-q"}));
    const auto out = dir / "few.tsv";
    RWB_REQUIRE_SUCCESS(runRecwb({"score", "--model", (dir / "sar.rwbm").string(), "--users",
                                  (dir / "few").string(), "-k", "2", "--out", out.string()}));
    const auto lists = readRecs(out, '\t', true);
    CHECK(lists.size() == 12);
    CHECK(lists.count("U00012") == 1);
    CHECK(lists.count("U00013") == 0);
  }

  {
    INFO("evaluate --slices: the user-activity slices partition the evaluated users");
    const CliResult ev = runRecwb({"evaluate", "--train", train, "--test", test, "--recs", recs[1],
                                   "-k", "5", "--slices", "--json"});
    RWB_REQUIRE_SUCCESS(ev);
    const auto j = stdoutJson(ev);
    std::size_t users = 0;
    for (const auto& slice : j.at("slices")) {
      if (slice.at("dimension") == "user_activity")
        users += slice.at("evaluated_users").get<std::size_t>();
    }
    CHECK(users == j.at("evaluated_users").get<std::size_t>());
    const CliResult text = runRecwb(
        {"evaluate", "--train", train, "--test", test, "--recs", recs[1], "-k", "5", "--slices"});
    RWB_REQUIRE_SUCCESS(text);
    CHECK(text.out.find("user_activity/") != std::string::npos);
  }

  {
    INFO("compare three files: three pairs, Holm-adjusted p >= raw p");
    const CliResult cmp =
        runRecwb({"compare", recs[0], recs[1], recs[2], "--train", train, "--test", test, "-k", "5",
                  "--metrics", "ndcg@5", "--resamples", "100", "--json"});
    RWB_REQUIRE_SUCCESS(cmp);
    const auto c = stdoutJson(cmp);
    CHECK(c.at("runs").size() == 3);
    const auto& pairs = c.at("metrics")[0].at("comparisons");
    REQUIRE(pairs.size() == 3);
    for (const auto& p : pairs) {
      CHECK(p.at("t_p_holm").get<double>() >= p.at("t_p").get<double>());
      CHECK(p.at("t_p_holm").get<double>() <= 1.0);
    }
    const CliResult text =
        runRecwb({"compare", recs[0], recs[1], recs[2], "--train", train, "--test", test, "-k", "5",
                  "--metrics", "ndcg@5", "--resamples", "100"});
    RWB_REQUIRE_SUCCESS(text);
    CHECK(text.out.find("(Holm ") != std::string::npos);
  }
}
