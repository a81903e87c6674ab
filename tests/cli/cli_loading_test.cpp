// Issue 13, section 2 (loading without silent data loss), end to end through recwb: each file
// below was reported by a user; none may crash, print "internal error", or exit 0 with a wrong
// or partial result.
#include "cli_fixtures.h"

using namespace rwb::test;

TEST_CASE("recwb on a first record of 1 MiB: a clean result, no SIGSEGV (issue 13)", "[cli]") {
  TempDir dir;
  writeFile(dir / "f.csv", std::string(std::size_t{1} << 20, 'a') + ",b\nu1,i1\n");
  const auto file = (dir / "f.csv").string();
  const CliResult inspect = runRecwb({"inspect", file, "--json", "-q"});
  RWB_REQUIRE_SUCCESS(inspect);
  const auto j = stdoutJson(inspect);
  CHECK(j.at("interactions") == 2);
  CHECK(j.at("load").at("skipped") == 0);
  RWB_REQUIRE_SUCCESS(runRecwb({"split", file, "--out", (dir / "s").string(), "-q"}));
  CHECK(lines(readFile(dir / "s" / "train.tsv")).size() +
            lines(readFile(dir / "s" / "test.tsv")).size() >=
        2);
}

TEST_CASE("recwb --lenient on an unterminated quote skips that line only (issue 13)", "[cli]") {
  TempDir dir;
  writeFile(dir / "q.csv", "user,item,rating\nu1,i1,1\nu2,\"i2,2\nu3,i3,3\nu4,\"i4\",4\nu5,i5,5\n");
  const auto file = (dir / "q.csv").string();
  RWB_REQUIRE_FAILURE(runRecwb({"inspect", file}), 2, "q.csv:3:2: unterminated quoted field");
  const CliResult r = runRecwb({"inspect", file, "--lenient", "--json", "-q"});
  RWB_REQUIRE_SUCCESS(r);
  const auto j = stdoutJson(r);
  CHECK(j.at("interactions") == 4);
  CHECK(j.at("load").at("read") == 5);
  CHECK(j.at("load").at("skipped") == 1);
  CHECK(j.at("load").at("issues").dump().find("q.csv:3:2") != std::string::npos);
}

TEST_CASE("recwb refuses duplicate header names naming both columns (issue 13)", "[cli]") {
  TempDir dir;
  writeFile(dir / "d.csv", "user_id,user_id,item_id,rating\nu1,u2,i1,5\n");
  const auto file = (dir / "d.csv").string();
  for (const char* mode : {"--lenient", "-q"}) {
    RWB_REQUIRE_FAILURE(runRecwb({"inspect", file, mode}), 2,
                        "d.csv:1:2: duplicate column name 'user_id' (columns 1 and 2)");
  }
}

TEST_CASE("recwb inspect warns about implausible timestamps, located (issue 13)", "[cli]") {
  TempDir dir;
  writeFile(dir / "t.csv",
            "user,item,rating,timestamp\nu1,i1,1,1700000000\nu2,i2,1,32503680000\n"
            "u3,i3,1,1700000000000\n");
  const auto file = (dir / "t.csv").string();
  const CliResult text = runRecwb({"inspect", file, "-q"});
  RWB_REQUIRE_SUCCESS(text);
  CHECK(text.out.find("warning: 2 interaction(s) have a timestamp outside") != std::string::npos);
  CHECK(text.out.find("t.csv:3 (user 'u2', item 'i2')") != std::string::npos);
  CHECK(text.out.find("3000-01-01T00:00:00Z") != std::string::npos);
  const CliResult json = runRecwb({"inspect", file, "--json", "-q"});
  RWB_REQUIRE_SUCCESS(json);
  const auto j = stdoutJson(json);
  REQUIRE(j.at("warnings").size() == 1);
  const auto& w = j.at("implausible_timestamps");
  CHECK(w.at("count") == 2);
  CHECK(w.at("line") == 3);
  CHECK(w.at("user") == "u2");
  CHECK(w.at("value") == 32503680000LL);
  const CliResult clean =
      runRecwb({"inspect", (sampleData() / "interactions.csv").string(), "--json", "-q"});
  RWB_REQUIRE_SUCCESS(clean);
  CHECK(stdoutJson(clean).at("warnings").empty());
  CHECK(stdoutJson(clean).at("implausible_timestamps").is_null());
}
