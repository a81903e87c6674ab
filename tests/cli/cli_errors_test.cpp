// Bad input is normal input: every recwb subcommand, given a missing, garbled or inconsistent
// input, exits non-zero by itself (no signal, no sanitizer report), says on stderr where (file and
// line/column, JSON path or flag) and why, and leaves no output that looks valid.
#include <random>

#include "cli_fixtures.h"
#include "core/util/sqlite_db.h"

using namespace rwb::test;
namespace fs = std::filesystem;

namespace {

/// Names of the regular files under dir (recursively), relative to it.
std::set<std::string> filesIn(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.insert(fs::relative(e.path(), dir).string());
  }
  return out;
}

/// Garbled interaction files: name, content, the place and the reason the error must name.
struct Garbled {
  const char* name;
  std::string content;
  const char* place;
  const char* reason;
};

std::vector<Garbled> garbledInteractions() {
  std::string junk;
  std::mt19937 rng(11);
  for (int i = 0; i < 600; ++i) junk += static_cast<char>(rng() & 0xFF);
  junk[3] = '\0';
  return {
      {"badnum.csv", "user_id,item_id,value\nu1,i1,1\nu2,i2,abc\n", "badnum.csv:3:3",
       "not a number"},
      {"columns.csv", "user_id,item_id,value\nu1,i1,1\nu2,i2\n", "columns.csv:3",
       "wrong number of fields"},
      {"empty.csv", "", "empty.csv", "empty"},
      {"junk.csv", junk, "junk.csv:1", "NUL byte"},
      {"quote.csv", "user_id,item_id,value\nu1,\"i1,1\nu2,i2,2\n", "quote.csv:2:2",
       "unterminated quoted field"},
      {"utf8.csv", "user_id,item_id,value\nu1,i\xff\xfe,1\n", "utf8.csv:2:2", "invalid UTF-8"},
      {"time.csv", "user_id,item_id,value,timestamp\nu1,i1,1,yesterday\n", "time.csv:2:4",
       "not a timestamp"},
      {"nan.csv", "user_id,item_id,value\nu1,i1,nan\n", "nan.csv:2:3", "not finite"},
      {"noid.csv", "user_id,item_id,value\n,i1,1\n", "noid.csv:2:1", "user id is empty"},
  };
}

}  // namespace

TEST_CASE("usage errors exit 2 and name the flag or argument", "[cli]") {
  SECTION("no subcommand") { RWB_REQUIRE_FAILURE(runRecwb({}), 2, "A subcommand is required"); }

  SECTION("an unknown flag, for every subcommand") {
    // Each line is a valid invocation (files need not exist: parsing fails first).
    const std::vector<std::vector<std::string>> valid = {
        {"inspect", "d.csv"},
        {"models"},
        {"split", "d.csv", "--out", "o"},
        {"generate", "--out", "o"},
        {"export", "--data", "d.csv", "--model", "sar", "--out", "m.rwbm"},
        {"score", "--model", "m.rwbm", "--out", "r.tsv"},
        {"serve", "--model", "m.rwbm"},
        {"evaluate", "--train", "a", "--test", "b", "--recs", "c"},
        {"compare", "a", "b", "--train", "c", "--test", "d"},
        {"run", "spec.json"},
        {"runs", "list", "--project", "p.rwbp"},
        {"explain", "d.csv", "--user", "u"},
    };
    for (auto args : valid) {
      args.push_back("--no-such-flag");
      RWB_REQUIRE_FAILURE(runRecwb(args), 2, "--no-such-flag");
    }
  }

  SECTION("a missing required option") {
    RWB_REQUIRE_FAILURE(runRecwb({"split", "d.csv"}), 2, "--out is required");
    RWB_REQUIRE_FAILURE(runRecwb({"score", "--out", "r.tsv"}), 2, "--model is required");
    RWB_REQUIRE_FAILURE(runRecwb({"evaluate", "--train", "a", "--recs", "c"}), 2,
                        "--test is required");
    RWB_REQUIRE_FAILURE(runRecwb({"explain", "d.csv"}), 2, "--user is required");
    RWB_REQUIRE_FAILURE(runRecwb({"compare", "a.tsv", "--train", "a", "--test", "b"}), 2, "recs");
    RWB_REQUIRE_FAILURE(runRecwb({"export", "--project", "p.rwbp", "--out", "m.rwbm"}), 2,
                        "--project requires --run");
    RWB_REQUIRE_FAILURE(runRecwb({"export", "--out", "m.rwbm"}), 2, "--project", "--data");
  }

  SECTION("bad option values") {
    const auto data = (sampleData() / "interactions.csv").string();
    struct Case {
      std::vector<std::string> args;
      std::vector<std::string> needles;
    };
    const std::vector<Case> cases = {
        {{"split", data, "--out", "o", "--ratio", "abc"}, {"--ratio", "abc"}},
        {{"split", data, "--out", "o", "--ratio", "1.5"}, {"ratio", "between 0 and 1"}},
        {{"split", data, "--out", "o", "--method", "bogus"}, {"--method", "'bogus'", "random"}},
        {{"split", data, "--out", "o", "--by", "row"}, {"--by", "'row'"}},
        {{"split", data, "--out", "o", "--seed", "-x"}, {"--seed"}},
        {{"inspect", data, "--format", "parquet"}, {"--format", "'parquet'"}},
        {{"inspect", data, "--delimiter", "abcdef"}, {"--delimiter", "'abcdef'"}},
        {{"inspect", data, "--encoding", "ebcdic"}, {"--encoding", "'ebcdic'"}},
        {{"inspect", data, "--header", "--no-header"}, {"--header", "--no-header"}},
        {{"score", "--model", "m.rwbm", "--out", "r.tsv", "-k", "0"}, {"-k", "0"}},
        {{"score", "--model", "m.rwbm", "--out", "r.tsv", "--shard", "3/2"}, {"--shard", "3/2"}},
        {{"generate", "--out", "o", "--users", "5"}, {"users", "at least 10"}},
        {{"generate", "--out", "o", "--users", "many"}, {"--users", "many"}},
        {{"compare", "a", "b", "--train", "c", "--test", "d", "--level", "2"}, {"--level"}},
        {{"run", "spec.json", "--threads", "-1"}, {"--threads"}},
        {{"evaluate", "--train", "a", "--test", "b", "--recs", "c", "--labels", "x"}, {"--labels"}},
    };
    for (const auto& c : cases) RWB_REQUIRE_FAILURE(runRecwb(c.args), 2, c.needles);
  }
}

TEST_CASE("a missing input file: non-zero exit naming the file, no output written", "[cli]") {
  TempDir dir;
  const auto gen = generateSmall(dir);
  const auto data = (gen / "interactions.csv").string();
  const auto absent = (dir / "absent.csv").string();
  RWB_REQUIRE_SUCCESS(runRecwb({"export", "--data", data, "--model", "most_popular", "--out",
                                (dir / "m.rwbm").string(), "-q"}));
  const auto pkg = (dir / "m.rwbm").string();
  RWB_REQUIRE_SUCCESS(runRecwb({"score", "--model", pkg, "--out", (dir / "r.tsv").string()}));
  const auto recs = (dir / "r.tsv").string();
  const auto before = filesIn(dir.path());

  const std::vector<std::vector<std::string>> cases = {
      {"inspect", absent},
      {"inspect", data, "--items", absent},
      {"inspect", data, "--users", absent},
      {"split", absent, "--out", (dir / "split").string()},
      {"export", "--data", absent, "--model", "most_popular", "--out", (dir / "x.rwbm").string()},
      {"score", "--model", (dir / "absent.rwbm").string(), "--out", (dir / "x.tsv").string()},
      {"score", "--model", pkg, "--users", absent, "--out", (dir / "x.tsv").string()},
      {"score", "--model", pkg, "--exclude-seen", absent, "--out", (dir / "x.tsv").string()},
      {"score", "--model", pkg, "--user-attributes", absent, "--out", (dir / "x.tsv").string()},
      {"evaluate", "--train", absent, "--test", data, "--recs", recs},
      {"evaluate", "--train", data, "--test", absent, "--recs", recs},
      {"evaluate", "--train", data, "--test", data, "--recs", absent},
      {"compare", recs, absent, "--train", data, "--test", data},
      {"run", (dir / "absent.json").string(), "--out", (dir / "out").string()},
      {"runs", "list", "--project", (dir / "absent.rwbp").string()},
      {"explain", absent, "--user", "U00001"},
      {"explain", gen.string(), "--user", "U00001", "--load", (dir / "absent.bin").string()},
  };
  for (const auto& args : cases) {
    // Every message names the missing path; the reason wording differs by reader.
    RWB_REQUIRE_FAILURE(runRecwb(args), 1, "absent.");
  }
  // Nothing was created: no split folder, package, recommendations, metrics or project file.
  CHECK(filesIn(dir.path()) == before);
  CHECK_FALSE(fs::exists(dir / "split"));
  CHECK_FALSE(fs::exists(dir / "out"));
}

TEST_CASE("garbled interaction files: file:line[:column] and the reason, exit 2, nothing written",
          "[cli]") {
  TempDir dir;
  const auto gen = generateSmall(dir);
  RWB_REQUIRE_SUCCESS(runRecwb(
      {"split", (gen / "interactions.csv").string(), "--out", (dir / "ok").string(), "-q"}));
  const auto train = (dir / "ok" / "train.tsv").string(), test = (dir / "ok" / "test.tsv").string();
  RWB_REQUIRE_SUCCESS(runRecwb({"export", "--data", train, "--model", "most_popular", "--out",
                                (dir / "ok" / "m.rwbm").string(), "-q"}));
  RWB_REQUIRE_SUCCESS(runRecwb({"score", "--model", (dir / "ok" / "m.rwbm").string(), "--out",
                                (dir / "ok" / "r.tsv").string(), "-q"}));
  const auto recs = (dir / "ok" / "r.tsv").string();

  for (const auto& g : garbledInteractions()) {
    const auto file = (dir / g.name).string();
    writeFile(file, g.content);
    const auto out = dir / "out";
    const std::vector<std::vector<std::string>> cases = {
        {"inspect", file},
        {"split", file, "--out", out.string()},
        {"export", "--data", file, "--model", "most_popular", "--out", (out / "m.rwbm").string()},
        {"evaluate", "--train", file, "--test", test, "--recs", recs},
        {"evaluate", "--train", train, "--test", file, "--recs", recs},
        {"score", "--model", (dir / "ok" / "m.rwbm").string(), "--exclude-seen", file, "--out",
         (dir / "scored.tsv").string()},
        {"explain", file, "--model", "content_similarity", "--user", "u1"},
    };
    for (const auto& args : cases) {
      RWB_REQUIRE_FAILURE(runRecwb(args), 2, g.place, g.reason);
      CHECK_FALSE(fs::exists(out));
      CHECK_FALSE(fs::exists(dir / "scored.tsv"));
    }
  }
}

TEST_CASE("--lenient skips bad rows but accounts for each, in text and JSON", "[cli]") {
  TempDir dir;
  std::string csv = "user_id,item_id,value\n";
  for (int i = 0; i < 20; ++i) {
    csv += "u" + std::to_string(i % 5) + ",i" + std::to_string(i) + ",";
    csv += (i == 4 ? "x" : i == 11 ? "inf" : "1");
    csv += "\n";
  }
  writeFile(dir / "d.csv", csv);
  const auto file = (dir / "d.csv").string();
  RWB_REQUIRE_FAILURE(runRecwb({"split", file, "--out", (dir / "s").string()}), 2, "d.csv:6:3");

  const CliResult json =
      runRecwb({"split", file, "--lenient", "--out", (dir / "s").string(), "--json"});
  RWB_REQUIRE_SUCCESS(json);
  const auto j = stdoutJson(json);
  CHECK(j.at("rows") == 18);
  CHECK(j.at("train").get<int>() + j.at("test").get<int>() == 18);
  CHECK(j.at("load").at("skipped") == 2);
  const std::string issues = j.at("load").at("issues").dump();
  CHECK(issues.find("d.csv:6:3") != std::string::npos);
  CHECK(issues.find("d.csv:13:3") != std::string::npos);
  CHECK(lines(readFile(dir / "s" / "train.tsv")).size() +
            lines(readFile(dir / "s" / "test.tsv")).size() ==
        18);

  const CliResult text = runRecwb({"split", file, "--lenient", "--out", (dir / "s").string()});
  RWB_REQUIRE_SUCCESS(text);
  CHECK(text.out.find("skipped 2") != std::string::npos);
  CHECK(text.out.find("d.csv:6:3: value is not a number") != std::string::npos);

  const CliResult inspect = runRecwb({"inspect", file, "--lenient"});
  RWB_REQUIRE_SUCCESS(inspect);
  CHECK(inspect.out.find("read 20, loaded 18, skipped 2") != std::string::npos);
}

TEST_CASE("garbled recommendation files: file:line:column and the reason, exit 2", "[cli]") {
  TempDir dir;
  const auto gen = generateSmall(dir);
  RWB_REQUIRE_SUCCESS(runRecwb(
      {"split", (gen / "interactions.csv").string(), "--out", (dir / "ok").string(), "-q"}));
  const auto train = (dir / "ok" / "train.tsv").string(), test = (dir / "ok" / "test.tsv").string();
  const std::string head = "user\titem\tscore\trank\n";
  const std::vector<Garbled> cases = {
      {"score.tsv", head + "U00001\tI00001\t0.5\t1\nU00001\tI00002\tabc\t2\n", "score.tsv:3:3",
       "not a number"},
      {"rank.tsv", head + "U00001\tI00001\t0.5\t0\n", "rank.tsv:2:4", "not a positive integer"},
      {"twice.tsv", head + "U00001\tI00001\t0.5\t1\nU00001\tI00001\t0.4\t2\n", "twice.tsv:3:2",
       "listed twice"},
      {"short.tsv", head + "U00001\tI00001\n", "short.tsv:2",
       "expected at least 4 fields, found 2"},
      {"inf.tsv", "U00001\tI00001\tinf\n", "inf.tsv:1:3", "not finite"},
      {"noid.tsv", head + "\tI00001\t0.5\t1\n", "noid.tsv:2:1", "empty id"},
      {"nouser.tsv", "customer\tsku\tscore\nU00001\tI00001\t0.5\n", "nouser.tsv:1",
       "header has no user column"},
  };
  for (const auto& c : cases) {
    writeFile(dir / c.name, c.content);
    const auto file = (dir / c.name).string();
    RWB_REQUIRE_FAILURE(runRecwb({"evaluate", "--train", train, "--test", test, "--recs", file}), 2,
                        c.place, c.reason);
    RWB_REQUIRE_FAILURE(runRecwb({"compare", file, file, "--train", train, "--test", test}), 2,
                        c.place, c.reason);
  }
  // --per-user is written only after a successful evaluation.
  CHECK_FALSE(fs::exists(dir / "pu.tsv"));
  RWB_REQUIRE_FAILURE(
      runRecwb({"evaluate", "--train", train, "--test", test, "--recs",
                (dir / "score.tsv").string(), "--per-user", (dir / "pu.tsv").string()}),
      2, "score.tsv:3:3");
  CHECK_FALSE(fs::exists(dir / "pu.tsv"));
  writeFile(dir / "good.tsv", head + "U00001\tI00001\t0.5\t1\n");
  RWB_REQUIRE_FAILURE(runRecwb({"evaluate", "--train", train, "--test", test, "--recs",
                                (dir / "good.tsv").string(), "--metrics", "precision@5,bogus"}),
                      2, "unknown metric 'bogus'");
}

TEST_CASE("unknown model names and bad parameters name the flag and the parameter", "[cli]") {
  TempDir dir;
  const auto gen = generateSmall(dir).string();
  const auto pkg = (dir / "m.rwbm").string();
  struct Case {
    std::string model, params;
    std::vector<std::string> needles;
  };
  const std::vector<Case> cases = {
      {"nomodel", "{}", {"--model", "unknown model 'nomodel'", "most_popular"}},
      {"ials", R"({"factors": 0})", {"params.factors", "out of range"}},
      {"ials", R"({"factors": "many"})", {"params.factors", "must be an integer"}},
      {"sar", R"({"similarity": "psychic"})", {"params.similarity", "'psychic'", "jaccard"}},
      {"sar", R"({"neighbours": 5})", {"params.neighbours", "unknown parameter"}},
      {"sar", R"([1, 2])", {"params", "must be an object"}},
      {"sar", R"({"threshold": )", {"--params", "not valid JSON"}},
  };
  for (const auto& c : cases) {
    RWB_REQUIRE_FAILURE(
        runRecwb({"export", "--data", gen, "--model", c.model, "--params", c.params, "--out", pkg}),
        2, c.needles[0], c.needles[1]);
    CHECK_FALSE(fs::exists(pkg));
    RWB_REQUIRE_FAILURE(
        runRecwb({"explain", gen, "--model", c.model, "--params", c.params, "--user", "U00001"}), 2,
        c.needles[0], c.needles[1]);
  }
  // Explain-specific: ids and models it cannot explain.
  RWB_REQUIRE_FAILURE(runRecwb({"explain", gen, "--model", "content_similarity", "--user", "NOPE"}),
                      2, "--user", "unknown user id 'NOPE'");
  RWB_REQUIRE_FAILURE(runRecwb({"explain", gen, "--model", "content_similarity", "--user", "U00001",
                                "--item", "NOPE"}),
                      2, "--item", "unknown item id 'NOPE'");
  RWB_REQUIRE_FAILURE(runRecwb({"explain", gen, "--model", "most_popular", "--user", "U00001"}), 1,
                      "'most_popular' does not provide explanations");
}

TEST_CASE("bad experiment specs name the JSON path (or file:line:column), exit 2, write nothing",
          "[cli]") {
  TempDir dir;
  generateSmall(dir);
  const std::string split = R"("split": {"method": "chronological", "ratio": 0.8})";
  const auto spec = [&](const std::string& body) {
    return R"({"version": 1, "dataset": {"path": "gen"}, )" + body + "}";
  };
  struct Case {
    std::string text;
    int code;
    std::vector<std::string> needles;
  };
  std::string junk(300, '\0');
  std::mt19937 rng(5);
  for (auto& ch : junk) ch = static_cast<char>(rng() & 0xFF);
  const std::vector<Case> cases = {
      {spec(split + R"(, "models": [{"name": "nomodel"}])"),
       2,
       {"$.models[0].name", "unknown model 'nomodel'"}},
      {spec(split + R"(, "models": [{"name": "sar"}, {"name": "ials", "params": {"factors": 0}}])"),
       2,
       {"$.models[1].params.factors", "out of range"}},
      {spec(split + R"(, "models": [{"name": "sar", "params": {"similarity": 3}}])"),
       2,
       {"$.models[0].params.similarity"}},
      {spec(split + R"(, "models": [{"name": "sar"}], "extra": true)"),
       2,
       {"$.extra", "unknown key"}},
      {spec(R"("split": {"method": "chronological", "ratio": 2}, "models": [{"name": "sar"}])"),
       2,
       {"$.split.ratio"}},
      {spec(split + R"(, "models": {"name": "sar"})"), 2, {"$.models"}},
      {spec(split + R"(, "models": [{"name": "sar"}], "metrics": {"names": ["bogus"]})"),
       2,
       {"$.metrics.names[0]", "unknown metric 'bogus'"}},
      {R"({"version": 2, "models": [{"name": "sar"}]})", 2, {"$.version", "version 2"}},
      {"[1, 2]", 2, {"$", "must be an object"}},
      {"{\"version\": 1,\n  \"models\": [,]}", 2, {"spec.json:2:", "malformed JSON"}},
      {"", 2, {"spec.json:", "malformed JSON"}},
      {junk, 2, {"spec.json:1:", "malformed JSON"}},
      {R"({"version": 1, "dataset": {"path": "nowhere"}, )" + split +
           R"(, "models": [{"name": "sar"}]})",
       1,
       {"nowhere", "does not exist"}},
  };
  for (const auto& c : cases) {
    writeFile(dir / "spec.json", c.text);
    RWB_REQUIRE_FAILURE(runRecwb({"run", (dir / "spec.json").string(), "--project",
                                  (dir / "p.rwbp").string(), "--out", (dir / "out").string()}),
                        c.code, c.needles);
    CHECK_FALSE(fs::exists(dir / "out"));
    if (c.code == 2) {
      CHECK_FALSE(fs::exists(dir / "p.rwbp"));
    } else if (fs::exists(dir / "p.rwbp")) {
      // The project is opened (and the spec stored) before the data is read: it may exist, but
      // it must not record a run.
      const CliResult list =
          runRecwb({"runs", "list", "--project", (dir / "p.rwbp").string(), "--json"});
      RWB_REQUIRE_SUCCESS(list);
      CHECK(stdoutJson(list).empty());
      fs::remove(dir / "p.rwbp");
    }
  }

  // Bad data behind a valid spec: the data file's place, not the spec's.
  writeFile(dir / "bad.csv", "user_id,item_id,value\nu1,i1,1\nu2,i2,abc\n");
  writeFile(dir / "spec.json", R"({"version": 1, "dataset": {"path": "bad.csv"}, )" + split +
                                   R"(, "models": [{"name": "sar"}]})");
  RWB_REQUIRE_FAILURE(
      runRecwb({"run", (dir / "spec.json").string(), "--out", (dir / "out").string()}), 2,
      "bad.csv:3:3", "not a number");
  CHECK_FALSE(fs::exists(dir / "out" / "metrics.json"));
}

TEST_CASE("damaged model packages are refused naming the file, or score exactly like the original",
          "[cli]") {
  TempDir dir;
  const auto gen = generateSmall(dir);
  const auto good = (dir / "good.rwbm").string();
  RWB_REQUIRE_SUCCESS(
      runRecwb({"export", "--data", gen.string(), "--model", "most_popular", "--out", good, "-q"}));
  RWB_REQUIRE_SUCCESS(runRecwb({"score", "--model", good, "--out", (dir / "good.tsv").string()}));
  const std::string reference = readFile(dir / "good.tsv");
  const std::string bytes = readFile(good);
  REQUIRE(bytes.size() > 4096);
  const auto bad = (dir / "bad.rwbm").string();
  const auto out = dir / "out.tsv";

  SECTION("truncated anywhere") {
    for (std::size_t size : {std::size_t{0}, std::size_t{16}, std::size_t{100}, std::size_t{1024},
                             std::size_t{4096}, bytes.size() / 2, bytes.size() - 1}) {
      INFO("truncated to " << size << " of " << bytes.size() << " bytes");
      writeFile(bad, bytes.substr(0, size));
      RWB_REQUIRE_FAILURE(runRecwb({"score", "--model", bad, "--out", out.string()}), 1,
                          "'" + bad + "'");
      CHECK_FALSE(fs::exists(out));
    }
    writeFile(bad, bytes + std::string(100, '\0'));
    RWB_REQUIRE_FAILURE(runRecwb({"score", "--model", bad, "--out", out.string()}), 1,
                        "truncated or padded");
  }

  SECTION("bytes flipped: refused, or the same scores when only SQLite's slack space changed") {
    // 40 random places, plus places known to hold content: an id in the users and items blobs,
    // the model type in the metadata. Those must always be refused.
    std::vector<std::size_t> places, content;
    for (const char* needle : {"U00017", "I00042", "most_popular"}) {
      const std::size_t at = bytes.rfind(needle);
      REQUIRE(at != std::string::npos);
      content.push_back(at + 2);
    }
    std::mt19937 rng(7);
    for (int trial = 0; trial < 40; ++trial) places.push_back(rng() % bytes.size());
    places.insert(places.end(), content.begin(), content.end());
    std::size_t refused = 0, contentRefused = 0;
    for (const std::size_t at : places) {
      std::string copy = bytes;
      copy[at] = static_cast<char>(copy[at] ^ 0x5A);
      writeFile(bad, copy);
      const CliResult r = runRecwb({"score", "--model", bad, "--out", out.string()});
      INFO("byte " << at << " flipped\n" << r.describe());
      REQUIRE(r.cleanExit());
      if (r.exitCode == 0) {
        CHECK(readFile(out) == reference);
      } else {
        CHECK(r.exitCode == 1);
        CHECK(r.err.find("'" + bad + "'") != std::string::npos);
        CHECK_FALSE(fs::exists(out));
        ++refused;
        contentRefused += std::find(content.begin(), content.end(), at) != content.end();
      }
      fs::remove(out);
    }
    CHECK(contentRefused == content.size());
    CHECK(refused > content.size());
  }

  SECTION("files that are not packages") {
    writeFile(bad, "user,item\nu1,i1\n");
    RWB_REQUIRE_FAILURE(runRecwb({"score", "--model", bad, "--out", out.string()}), 1, bad);
    // A valid SQLite file of another kind (a project file written by `recwb run`).
    const auto project = projectWithOneRun(dir);
    RWB_REQUIRE_FAILURE(runRecwb({"score", "--model", project, "--out", out.string()}), 1,
                        "p.rwbp' is not a RecWorkbench model package");
    CHECK_FALSE(fs::exists(out));
  }
}

TEST_CASE("project files: missing, foreign or damaged; unknown run ids", "[cli]") {
  TempDir dir;
  const auto project = projectWithOneRun(dir);

  const auto absent = (dir / "absent.rwbp").string();
  RWB_REQUIRE_FAILURE(runRecwb({"runs", "list", "--project", absent}), 1, "absent.rwbp",
                      "does not exist");
  CHECK_FALSE(fs::exists(absent));
  RWB_REQUIRE_FAILURE(runRecwb({"runs", "show", "99", "--project", project}), 1,
                      "no run with id 99");
  RWB_REQUIRE_FAILURE(runRecwb({"runs", "show", "first", "--project", project}), 2, "first");
  RWB_REQUIRE_FAILURE(
      runRecwb({"export", "--project", project, "--run", "99", "--out", (dir / "m.rwbm").string()}),
      1, "no run with id 99");
  CHECK_FALSE(fs::exists(dir / "m.rwbm"));

  // A package is an SQLite file too, but not a project.
  RWB_REQUIRE_SUCCESS(runRecwb({"export", "--data", (dir / "gen").string(), "--model",
                                "most_popular", "--out", (dir / "pkg.rwbm").string(), "-q"}));
  RWB_REQUIRE_FAILURE(runRecwb({"runs", "list", "--project", (dir / "pkg.rwbm").string()}), 1,
                      "pkg.rwbm", "not a RecWorkbench project");

  const std::string bytes = readFile(project);
  writeFile(dir / "cut.rwbp", bytes.substr(0, bytes.size() / 3));
  RWB_REQUIRE_FAILURE(runRecwb({"runs", "list", "--project", (dir / "cut.rwbp").string()}), 1,
                      "cut.rwbp");
  // A stored model whose bytes changed (disk, copy): refused by its checksum, never handed to
  // a model loader (XGBoost's crashed on such bytes), and the run's figures still list.
  std::filesystem::copy_file(project, dir / "bent.rwbp");
  rwb::SqliteDb((dir / "bent.rwbp").string(), rwb::SqliteDb::Mode::kReadWrite)
      .exec("UPDATE model_blobs SET data = substr(data, 1, 20) || X'5A' || substr(data, 22)");
  RWB_REQUIRE_FAILURE(runRecwb({"export", "--project", (dir / "bent.rwbp").string(), "--run", "1",
                                "--out", (dir / "bent.rwbm").string()}),
                      1, "run 1", "does not match its checksum");
  CHECK_FALSE(fs::exists(dir / "bent.rwbm"));
  RWB_REQUIRE_SUCCESS(runRecwb({"runs", "list", "--project", (dir / "bent.rwbp").string()}));
  writeFile(dir / "text.rwbp", "not a database\n");
  RWB_REQUIRE_FAILURE(runRecwb({"run", (dir / "spec.json").string(), "--project",
                                (dir / "text.rwbp").string(), "--out", (dir / "o2").string()}),
                      1, "text.rwbp");
  CHECK_FALSE(fs::exists(dir / "o2"));
}

TEST_CASE("failures after an output was opened leave no file that looks valid", "[cli]") {
  TempDir dir;
  const auto gen = generateSmall(dir);
  const auto pkg = (dir / "m.rwbm").string();
  RWB_REQUIRE_SUCCESS(
      runRecwb({"export", "--data", gen.string(), "--model", "most_popular", "--out", pkg, "-q"}));
  writeFile(dir / "bad.csv", "user_id,item_id\nU00001,I00001\nU00002\n");
  const auto before = filesIn(dir.path());

  // score opens its output before it reads --exclude-seen and --user-attributes.
  for (const char* flag : {"--exclude-seen", "--user-attributes", "--users"}) {
    for (const char* out : {"r.tsv", "r.csv", "r.sqlite"}) {
      RWB_REQUIRE_FAILURE(runRecwb({"score", "--model", pkg, flag, (dir / "bad.csv").string(),
                                    "--out", (dir / out).string()}),
                          2, "bad.csv:3", "wrong number of fields");
    }
  }
  // An existing output is left as it was.
  writeFile(dir / "keep.tsv", "earlier\n");
  RWB_REQUIRE_FAILURE(runRecwb({"score", "--model", pkg, "--exclude-seen",
                                (dir / "bad.csv").string(), "--out", (dir / "keep.tsv").string()}),
                      2, "bad.csv:3");
  CHECK(readFile(dir / "keep.tsv") == "earlier\n");
  fs::remove(dir / "keep.tsv");
  // Output folders that cannot be written.
  RWB_REQUIRE_FAILURE(
      runRecwb({"score", "--model", pkg, "--out", (dir / "no/such/r.tsv").string()}), 1,
      "no/such/r.tsv");
  RWB_REQUIRE_FAILURE(runRecwb({"export", "--data", gen.string(), "--model", "most_popular",
                                "--out", (dir / "no/such/m.rwbm").string()}),
                      1, "no/such/m.rwbm");
  CHECK(filesIn(dir.path()) == before);
}
