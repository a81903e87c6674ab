// Regression tests for places where recwb did not meet the bad-input rule (vague message, exit 0
// on an error, message on stdout); each names what it guards.
#include <random>

#include "cli_fixtures.h"

using namespace rwb::test;
namespace fs = std::filesystem;

TEST_CASE("regression: an unknown command word is named (was: 'A subcommand is required')",
          "[cli]") {
  RWB_REQUIRE_FAILURE(runRecwb({"inspekt", "data.csv"}), 2, "unknown command 'inspekt' for 'recwb'",
                      "inspect, models");
  RWB_REQUIRE_FAILURE(runRecwb({"runs", "lst", "--project", "p.rwbp"}), 2,
                      "unknown command 'lst' for 'recwb runs'", "list, show, trials, delete");
}

TEST_CASE(
    "regression: an empty or header-only recommendations file is an error (was: exit 0, "
    "every metric undefined)",
    "[cli]") {
  TempDir dir;
  const auto [train, test] = splitSmall(dir);
  writeFile(dir / "empty.tsv", "");
  writeFile(dir / "header.tsv", "user\titem\tscore\trank\tfallback\n");
  writeFile(dir / "blank.tsv", "\n\n");
  for (const char* name : {"empty.tsv", "header.tsv", "blank.tsv"}) {
    const auto file = (dir / name).string();
    const std::string reason =
        std::string(name) == "header.tsv" ? "no recommendation rows" : "the file is empty";
    RWB_REQUIRE_FAILURE(runRecwb({"evaluate", "--train", train, "--test", test, "--recs", file}), 2,
                        file, reason);
    RWB_REQUIRE_FAILURE(runRecwb({"compare", file, file, "--train", train, "--test", test}), 2,
                        file, reason);
  }
}

TEST_CASE("regression: runs delete of an unknown id says so on stderr (was: on stdout only)",
          "[cli]") {
  TempDir dir;
  const auto project = projectWithOneRun(dir);
  const CliResult text = runRecwb({"runs", "delete", "42", "--project", project});
  RWB_REQUIRE_FAILURE(text, 1, "no run with id 42 in " + project);
  CHECK(text.out.empty());
  const CliResult json = runRecwb({"runs", "delete", "42", "--project", project, "--json"});
  RWB_REQUIRE_FAILURE(json, 1, "no run with id 42");
  CHECK(stdoutJson(json).at("deleted") == false);
  const CliResult list = runRecwb({"runs", "list", "--project", project, "--json"});
  RWB_REQUIRE_SUCCESS(list);
  CHECK(stdoutJson(list).size() == 1);
}

TEST_CASE(
    "regression: explain --load refuses a damaged model file naming it (was: a raw blob; "
    "a flipped byte crashed XGBoost with SIGSEGV)",
    "[cli]") {
  TempDir dir;
  const auto gen = generateSmall(dir).string();
  const auto saved = (dir / "gbdt.rwbm").string();
  const std::vector<std::string> explain = {"explain", gen,     "--user", "U00001", "-k",
                                            "2",       "--top", "5",      "--json"};
  auto fit = explain;
  fit.insert(fit.end(), {"--model", "gbdt", "--params", R"({"rounds": 10})", "--threads", "1",
                         "--save", saved});
  const CliResult first = runRecwb(fit);
  RWB_REQUIRE_SUCCESS(first);
  const std::string bytes = readFile(saved);
  const auto load = [&](const std::string& file) {
    auto args = explain;
    args.insert(args.end(), {"--load", file, "--threads", "1"});
    return runRecwb(args);
  };
  const CliResult again = load(saved);
  RWB_REQUIRE_SUCCESS(again);
  CHECK(again.out == first.out);

  // 30 random flipped bytes (the XGBoost trees are most of the file) and 4 truncations: each
  // copy is refused with the file named, or explains exactly like the original.
  const auto bad = (dir / "bad.rwbm").string();
  std::mt19937 rng(19);
  std::size_t refused = 0;
  for (int trial = 0; trial < 34; ++trial) {
    std::string copy = bytes;
    if (trial < 30) {
      const std::size_t at = rng() % copy.size();
      copy[at] = static_cast<char>(copy[at] ^ (1 + rng() % 255));
    } else {
      copy.resize(copy.size() * static_cast<std::size_t>(trial - 29) / 5);
    }
    writeFile(bad, copy);
    const CliResult r = load(bad);
    INFO("trial " << trial << "\n" << r.describe());
    REQUIRE(r.cleanExit());
    if (r.exitCode == 0) {
      CHECK(r.out == first.out);
    } else {
      CHECK(r.exitCode == 1);
      CHECK(r.err.find(bad) != std::string::npos);
      ++refused;
    }
  }
  CHECK(refused >= 4);

  // Other data, and a file that is not a package.
  RWB_REQUIRE_SUCCESS(runRecwb({"generate", "--out", (dir / "other").string(), "--users", "30",
                                "--items", "50", "--interactions", "400", "-q"}));
  RWB_REQUIRE_FAILURE(
      runRecwb({"explain", (dir / "other").string(), "--user", "U00001", "--load", saved}), 1,
      saved, "fitted on other data");
  writeFile(bad, "gbdt\n" + std::string(1000, 'x'));
  RWB_REQUIRE_FAILURE(load(bad), 1, bad);
}

TEST_CASE(
    "regression: split of a source without interactions is an error and writes nothing "
    "(was: exit 0 with empty train.tsv and test.tsv)",
    "[cli]") {
  TempDir dir;
  writeFile(dir / "header.csv", "user_id,item_id,value\n");
  writeFile(dir / "allbad.csv", "user_id,item_id,value\nu1,i1,x\nu2,i2,y\n");
  const auto out = dir / "split";
  RWB_REQUIRE_FAILURE(runRecwb({"split", (dir / "header.csv").string(), "--out", out.string()}), 2,
                      (dir / "header.csv").string(), "no interactions to split (0 rows read");
  CHECK_FALSE(fs::exists(out));
  RWB_REQUIRE_FAILURE(
      runRecwb({"split", (dir / "allbad.csv").string(), "--lenient", "--out", out.string()}), 2,
      "allbad.csv", "no interactions to split (2 rows read, 2 skipped)");
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE(
    "regression: split files of a source without timestamps, or with event types, load back "
    "(was: an empty timestamp field no loader reads; event types dropped)",
    "[cli]") {
  TempDir dir;
  std::string plain = "user,item,rating\n", events = "user_id,item_id,event,timestamp\n";
  for (int u = 0; u < 8; ++u) {
    for (int i = 0; i < 5; ++i) {
      const auto ui = "u" + std::to_string(u) + ",i" + std::to_string(i);
      plain += ui + "," + std::to_string(1 + (u + i) % 5) + "\n";
      events += ui + "," + (i % 2 ? "view" : "buy") + "," + std::to_string(100 * u + i) + "\n";
    }
  }
  writeFile(dir / "plain.csv", plain);
  writeFile(dir / "events.csv", events);
  for (const char* name : {"plain", "events"}) {
    const auto out = dir / (std::string(name) + "-split");
    RWB_REQUIRE_SUCCESS(runRecwb({"split", (dir / (std::string(name) + ".csv")).string(),
                                  "--method", "random", "--ratio", "0.8", "--out", out.string()}));
    for (const char* part : {"train.tsv", "test.tsv"}) {
      const CliResult r = runRecwb({"inspect", (out / part).string(), "--json"});
      RWB_REQUIRE_SUCCESS(r);
      if (std::string(name) == "events") CHECK(r.out.find("\"buy\"") != std::string::npos);
    }
  }
}

TEST_CASE(
    "regression: score into a missing folder names the folder (was: \"cannot write 'x'\" "
    "with no reason, or the hidden temporary file for SQLite)",
    "[cli]") {
  TempDir dir;
  const auto gen = generateSmall(dir);
  const auto pkg = (dir / "m.rwbm").string();
  RWB_REQUIRE_SUCCESS(
      runRecwb({"export", "--data", gen.string(), "--model", "most_popular", "--out", pkg, "-q"}));
  for (const char* name : {"r.tsv", "r.csv", "r.sqlite"}) {
    const auto out = (dir / "missing" / name).string();
    const CliResult r = runRecwb({"score", "--model", pkg, "--out", out});
    RWB_REQUIRE_FAILURE(r, 1, "cannot write '" + out + "'",
                        "no such folder '" + (dir / "missing").string() + "'");
    CHECK(r.err.find(".tmp") == std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir / "missing"));
}

TEST_CASE(
    "regression: evaluate/compare -k 0 and --resamples 0 state the valid range (was: '0 not "
    "in range 0.000000 to 1.797693e+308')",
    "[cli]") {
  const std::vector<std::vector<std::string>> cases = {
      {"evaluate", "--train", "a", "--test", "b", "--recs", "c", "-k", "0"},
      {"compare", "a", "b", "--train", "c", "--test", "d", "-k", "0"},
      {"compare", "a", "b", "--train", "c", "--test", "d", "--resamples", "0"},
  };
  for (const auto& args : cases) {
    const CliResult r = runRecwb(args);
    RWB_REQUIRE_FAILURE(r, 2, args[args.size() - 2] + ": Value 0 not in range 1 to ");
    CHECK(r.err.find("e+308") == std::string::npos);
    CHECK(r.err.find("0.000000 to") == std::string::npos);
  }
}

TEST_CASE("regression: serve on a host that is not a local address says so (was: 'no free port')",
          "[cli]") {
  TempDir dir;
  const auto gen = generateSmall(dir);
  const auto pkg = (dir / "m.rwbm").string();
  RWB_REQUIRE_SUCCESS(
      runRecwb({"export", "--data", gen.string(), "--model", "most_popular", "--out", pkg, "-q"}));
  for (const char* host : {"256.1.1.1", "192.0.2.1"}) {
    const CliResult r =
        runRecwb({"serve", "--model", pkg, "--host", host, "--port", "0"}, {}, 20.0);
    RWB_REQUIRE_FAILURE(r, 1, std::string("cannot listen on ") + host,
                        "not an address of this machine");
    CHECK(r.seconds < 10.0);
  }
}

TEST_CASE(
    "regression: a recommendations file whose first line is a bad row says why (was: "
    "'header has no user column')",
    "[cli]") {
  TempDir dir;
  const auto [train, test] = splitSmall(dir);
  writeFile(dir / "two.tsv", "U00001\tI00001\nU00001\tI00002\n");
  writeFile(dir / "word.tsv", "U00001\tI00001\thigh\nU00001\tI00002\tlow\n");
  RWB_REQUIRE_FAILURE(runRecwb({"evaluate", "--train", train, "--test", test, "--recs",
                                (dir / "two.tsv").string()}),
                      2, "two.tsv:1: expected at least 3 fields (user, item, score), found 2");
  RWB_REQUIRE_FAILURE(runRecwb({"evaluate", "--train", train, "--test", test, "--recs",
                                (dir / "word.tsv").string()}),
                      2, "word.tsv:1:3: score 'high' is not a number");
}

TEST_CASE(
    "regression: run --out naming a file fails before any work (was: 'internal error: "
    "filesystem error' after every model was fitted and recorded)",
    "[cli]") {
  TempDir dir;
  generateSmall(dir);
  writeFile(dir / "spec.json",
            R"({"version": 1, "dataset": {"path": "gen"}, "split": {"method": "chronological",
                "ratio": 0.8}, "models": [{"name": "most_popular"}],
                "output": {"recommendations": "recs/"}})");
  writeFile(dir / "taken", "a file\n");
  const auto project = (dir / "p.rwbp").string();
  for (const auto& out : {dir / "taken", dir / "taken" / "deeper"}) {
    const CliResult r = runRecwb(
        {"run", (dir / "spec.json").string(), "--project", project, "--out", out.string()});
    RWB_REQUIRE_FAILURE(r, 1, "cannot create folder '" + out.string() + "'",
                        (dir / "taken").string() + "' is not a folder");
    CHECK(r.out.empty());
    CHECK_FALSE(fs::exists(project));
  }
  CHECK(readFile(dir / "taken") == "a file\n");
}

TEST_CASE(
    "regression: a failed run's reason is on stderr (was: exit 1 with stderr empty, the "
    "reason on stdout)",
    "[cli]") {
  TempDir dir;
  const auto gen = generateSmall(dir);
  RWB_REQUIRE_SUCCESS(runRecwb(
      {"split", (gen / "interactions.csv").string(), "--out", (dir / "split").string(), "-q"}));
  // Split files carry no item attributes: content_similarity cannot fit, most_popular can.
  writeFile(dir / "spec.json",
            R"({"version": 1, "split": {"train": "split/train.tsv", "test": "split/test.tsv"},
                "models": [{"name": "most_popular"}, {"name": "content_similarity"}],
                "threads": 1})");
  for (const bool json : {false, true}) {
    std::vector<std::string> args = {"run", (dir / "spec.json").string(), "--out",
                                     (dir / "out").string()};
    if (json) args.push_back("--json");
    const CliResult r = runRecwb(args);
    RWB_REQUIRE_FAILURE(r, 1, "run 'content_similarity' failed: ", "content space is empty");
    if (!json) CHECK(r.out.find("content space is empty") == std::string::npos);
    const auto metrics = nlohmann::json::parse(readFile(dir / "out" / "metrics.json"));
    REQUIRE(metrics.at("runs").size() == 2);
    CHECK(metrics.at("runs")[0].at("status") == "ok");
    CHECK(metrics.at("runs")[1].at("status") == "failed");
  }
}

#if defined(__SANITIZE_THREAD__)
#define RWB_TEST_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RWB_TEST_UNDER_TSAN 1
#endif
#endif

TEST_CASE(
    "regression: running out of memory is reported as such (was: 'internal error: "
    "std::bad_alloc')",
    "[cli]") {
#if defined(__SANITIZE_ADDRESS__)
  // AddressSanitizer's operator new reports and aborts instead of throwing std::bad_alloc.
  WARN("skipped: the out-of-memory path cannot be reached under AddressSanitizer");
  return;
#endif
#ifdef RWB_TEST_UNDER_TSAN
  // So does ThreadSanitizer's (clang 14), whatever allocator_may_return_null says.
  WARN("skipped: the out-of-memory path cannot be reached under ThreadSanitizer");
  return;
#endif
  TempDir dir;
  // --max-memory lifts the estimate's guard so that the allocation itself fails.
  const CliResult r =
      runRecwb({"generate", "--out", (dir / "huge").string(), "--users", "10", "--items",
                "2000000000", "--interactions", "10", "--max-memory", "100T", "-q"});
  RWB_REQUIRE_FAILURE(r, 1, "recwb: error: out of memory");
  CHECK_FALSE(fs::exists(dir / "huge" / "items.csv"));
}

TEST_CASE(
    "regression: generate with huge sizes is refused before allocating, naming the estimate and "
    "the limit (was: allocated until the machine ran out of memory; issue 17)",
    "[cli]") {
  TempDir dir;
  const CliResult r =
      runRecwb({"generate", "--out", (dir / "huge").string(), "--users", "100000000", "--items",
                "2000000000", "--interactions", "500000000", "-q"});
  RWB_REQUIRE_FAILURE(r, 2, "recwb: error: generate: ", "need about", "available", "--max-memory");
  CHECK(r.seconds < 10.0);
  CHECK_FALSE(fs::exists(dir / "huge"));
}

TEST_CASE(
    "regression: data options that do not apply to the source are refused (was: ignored "
    "silently, e.g. --items for a dataset folder)",
    "[cli]") {
  TempDir dir;
  const auto gen = generateSmall(dir);
  const auto folder = gen.string(), file = (gen / "interactions.csv").string();
  writeFile(dir / "items.csv", "item_id,colour\nI00001,red\n");
  const auto items = (dir / "items.csv").string();
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> needles;
  };
  const std::vector<Case> cases = {
      {{"inspect", folder, "--items", items}, {"--items", "a dataset folder"}},
      {{"inspect", folder, "--users", items}, {"--users", "a dataset folder"}},
      {{"inspect", file, "--table", "events"},
       {"--table", "database sources only", "a delimited file"}},
      {{"inspect", folder, "--items-query", "SELECT 1"},
       {"--items-query", "database sources only"}},
      {{"split", folder, "--items", items, "--out", (dir / "s").string()}, {"--items"}},
      {{"explain", folder, "--items", items, "--user", "U00001"}, {"--items"}},
      {{"evaluate", "--train", file, "--test", file, "--recs", items, "--table", "t"}, {"--table"}},
  };
  for (const auto& c : cases) RWB_REQUIRE_FAILURE(runRecwb(c.args), 2, c.needles);
  CHECK_FALSE(fs::exists(dir / "s"));
  // Where they apply they are used: --items with a delimited interactions file.
  const CliResult ok = runRecwb({"inspect", file, "--items", items, "--json"});
  RWB_REQUIRE_SUCCESS(ok);
  CHECK(ok.out.find("\"colour\"") != std::string::npos);
}

TEST_CASE(
    "regression: runs list shows each run's model size and the project's; drop-model keeps the "
    "metrics, shrinks the file, and export of that run then says why it cannot (issue 17)",
    "[cli]") {
  TempDir dir;
  const auto project = projectWithOneRun(dir);
  const CliResult listed = runRecwb({"runs", "list", "--project", project});
  RWB_REQUIRE_SUCCESS(listed);
  CHECK(listed.out.find("model") != std::string::npos);
  CHECK(listed.out.find("models ") != std::string::npos);  // the project's total line
  const auto before = stdoutJson(runRecwb({"runs", "list", "--project", project, "--json"}));
  REQUIRE(before.size() == 1);
  const std::int64_t id = before[0].at("id");
  CHECK(before[0].at("model_stored_bytes").get<std::int64_t>() > 0);
  CHECK(before[0].at("model_dropped") == false);

  const CliResult dropped =
      runRecwb({"runs", "drop-model", std::to_string(id), "--project", project, "--json"});
  RWB_REQUIRE_SUCCESS(dropped);
  const auto d = stdoutJson(dropped);
  CHECK(d.at("model_bytes_released").get<std::int64_t>() > 0);
  CHECK(d.at("model_stored_bytes") == 0);

  const auto after = stdoutJson(runRecwb({"runs", "list", "--project", project, "--json"}));
  REQUIRE(after.size() == 1);
  CHECK(after[0].at("model_dropped") == true);
  CHECK(after[0].at("metrics") == before[0].at("metrics"));
  const auto info = stdoutJson(runRecwb({"runs", "info", "--project", project, "--json"}));
  CHECK(info.at("runs") == 1);
  CHECK(info.at("runs_with_model") == 0);

  RWB_REQUIRE_FAILURE(runRecwb({"export", "--project", project, "--run", std::to_string(id),
                                "--out", (dir / "m.rwbm").string()},
                               dir.path()),
                      1, "run " + std::to_string(id), "model was dropped", "drop-model");
  CHECK_FALSE(fs::exists(dir / "m.rwbm"));
  RWB_REQUIRE_FAILURE(runRecwb({"runs", "drop-model", "99", "--project", project}), 1,
                      "no run with id 99");
}
