// recwb export / score / serve with approximate retrieval (--retrieval hnsw).
#include <filesystem>

#include "cli_fixtures.h"

using namespace rwb::test;

TEST_CASE("recwb export --retrieval hnsw stores an index that score uses; other models refuse",
          "[cli][retrieval]") {
  TempDir dir;
  const auto gen = generateSmall(dir);
  const auto data = (gen / "interactions.csv").string();
  const auto pkg = (dir / "ials.rwbm").string();
  const CliResult exported = runRecwb({"export", "--data", data, "--model", "ials", "--retrieval",
                                       "hnsw", "--threads", "1", "--out", pkg, "-q"});
  RWB_REQUIRE_SUCCESS(exported);
  CHECK(exported.out.find("retrieval index: hnsw (ip, M=16") != std::string::npos);
  CHECK(exported.out.find("recall@10") != std::string::npos);

  // The package's metadata records the index (inspect-free: score --json reports it).
  const CliResult scored = runRecwb(
      {"score", "--model", pkg, "-k", "5", "--out", (dir / "a.tsv").string(), "--json", "-q"});
  RWB_REQUIRE_SUCCESS(scored);
  const auto j = stdoutJson(scored);
  REQUIRE(j["retrieval"].is_object());
  CHECK(j["retrieval"]["method"] == "hnsw");
  CHECK(j["retrieval"]["recall"].get<double>() >= 0.0);
  const auto recs = readRecs(dir / "a.tsv", '\t', true);
  CHECK(recs.size() == 60);
  for (const auto& [user, rows] : recs) CHECK(rows.size() == 5);
  const CliResult exact = runRecwb({"score", "--model", pkg, "-k", "5", "--retrieval", "exact",
                                    "--out", (dir / "e.tsv").string(), "--json", "-q"});
  RWB_REQUIRE_SUCCESS(exact);
  CHECK(stdoutJson(exact)["retrieval"] == "exact");

  // A model without user and item vectors: a located error, exit 2, nothing written.
  const auto pop = (dir / "pop.rwbm").string();
  RWB_REQUIRE_SUCCESS(
      runRecwb({"export", "--data", data, "--model", "most_popular", "--out", pop, "-q"}));
  RWB_REQUIRE_FAILURE(
      runRecwb({"score", "--model", pop, "--retrieval", "hnsw", "--out", (dir / "p.tsv").string()}),
      2, "--retrieval", "most_popular", "inner-product");
  CHECK_FALSE(std::filesystem::exists(dir / "p.tsv"));
  RWB_REQUIRE_FAILURE(runRecwb({"export", "--data", data, "--model", "ease", "--retrieval", "hnsw",
                                "--out", (dir / "ease.rwbm").string()}),
                      2, "--retrieval", "inner-product");
  CHECK_FALSE(std::filesystem::exists(dir / "ease.rwbm"));
  RWB_REQUIRE_FAILURE(runRecwb({"serve", "--model", pop, "--retrieval", "hnsw", "--port", "0"}), 2,
                      "--retrieval", "no retrieval index");

  // score --retrieval hnsw on a factor package without an index builds one for the run.
  const auto plain = (dir / "plain.rwbm").string();
  RWB_REQUIRE_SUCCESS(runRecwb({"export", "--data", data, "--model", "bpr", "--out", plain, "-q"}));
  const CliResult built = runRecwb({"score", "--model", plain, "--retrieval", "hnsw", "-k", "3",
                                    "--out", (dir / "b.tsv").string()});
  RWB_REQUIRE_SUCCESS(built);
  CHECK(built.err.find("retrieval: hnsw") != std::string::npos);
}
