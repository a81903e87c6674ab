// recwb against the throwaway PostgreSQL of scripts/test.sh: scoring into tables over libpq and
// ODBC, reruns, concurrent shards, a shard killed mid-write and rerun, and credential hygiene.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <thread>

#include "cli_fixtures.h"
#include "cli_runner.h"
#include "core/util/pg_connection.h"

using namespace rwb;
using namespace rwb::test;

namespace {

/// A generated dataset of `users` users and a most_popular package trained on it (dir/m.rwbm).
std::string makePackage(const TempDir& dir, int users) {
  RWB_REQUIRE_SUCCESS(runRecwb({"generate", "--out", (dir / "gen").string(), "--users",
                                std::to_string(users), "--items", "200", "--interactions",
                                std::to_string(users * 3), "--seed", "5", "-q"}));
  const std::string pkg = (dir / "m.rwbm").string();
  RWB_REQUIRE_SUCCESS(runRecwb({"export", "--data", (dir / "gen" / "interactions.csv").string(),
                                "--model", "most_popular", "--out", pkg, "-q"}));
  return pkg;
}

std::string scalar(PgConnection& db, const std::string& sql) {
  const auto r = db.exec(sql, "test query");
  return PQgetvalue(r.get(), 0, 0);
}

/// Rows of `a` not in `b` plus rows of `b` not in `a`, over every column but scored_at.
std::string differences(PgConnection& db, const std::string& a, const std::string& b) {
  const std::string cols = "user_id, item_id, score, rank, fallback, model_id";
  return scalar(db, "SELECT count(*) FROM ((SELECT " + cols + " FROM " + a + " EXCEPT ALL SELECT " +
                        cols + " FROM " + b + ") UNION ALL (SELECT " + cols + " FROM " + b +
                        " EXCEPT ALL SELECT " + cols + " FROM " + a + ")) d");
}

/// Drops the test's tables at the end.
struct Tables {
  std::string uri;
  std::vector<std::string> names;
  std::string add(const std::string& prefix) {
    names.push_back(uniqueName(prefix));
    return names.back();
  }
  ~Tables() {
    try {
      PgConnection db(uri);
      for (const auto& t : names) db.exec("DROP TABLE IF EXISTS " + t, "cleaning up");
    } catch (...) {
    }
  }
};

}  // namespace

TEST_CASE("recwb score writes into PostgreSQL and ODBC tables; reruns replace a user's rows",
          "[cli][database]") {
  RWB_REQUIRE_TEST_DATABASE(uri, odbc);
  TempDir dir;
  const std::string pkg = makePackage(dir, 300);
  Tables tables{uri, {}};
  const std::string pg = tables.add("recs_pg"), od = tables.add("recs_odbc");
  const std::string tsv = (dir / "recs.tsv").string();
  RWB_REQUIRE_SUCCESS(runRecwb({"score", "--model", pkg, "--out", tsv, "-k", "5", "-q"}));
  for (int pass = 0; pass < 2; ++pass) {
    RWB_REQUIRE_SUCCESS(runRecwb({"score", "--model", pkg, "--out", uri, "--table", pg, "-k", "5",
                                  "--batch-users", "64", "-q"}));
    RWB_REQUIRE_SUCCESS(runRecwb({"score", "--model", pkg, "--out", odbc, "--table", od, "-k", "5",
                                  "--batch-users", "64", "-q"}));
  }
  PgConnection db(uri);
  // Twice written, once present: the rerun replaced every user's rows.
  CHECK(scalar(db, "SELECT count(*) FROM " + pg) == "1500");
  CHECK(scalar(db, "SELECT count(*) FROM " + od) == "1500");
  CHECK(differences(db, pg, od) == "0");
  CHECK(scalar(db, "SELECT count(DISTINCT model_id) FROM " + pg) == "1");
  CHECK(scalar(db, "SELECT count(*) FROM " + pg +
                       " WHERE scored_at > now() + interval '1 minute' "
                       "OR scored_at < now() - interval '1 hour'") == "0");
  // The table holds what the file holds, row for row.
  const auto fileRows = lines(readFile(tsv));
  REQUIRE(fileRows.size() == 1501);
  const auto r = db.exec(
      "SELECT user_id, item_id, score, rank, fallback FROM " + pg + " ORDER BY user_id, rank",
      "reading back");
  std::map<std::pair<std::string, std::string>, std::string> fromDb;
  for (int i = 0; i < PQntuples(r.get()); ++i) {
    fromDb[{PQgetvalue(r.get(), i, 0), PQgetvalue(r.get(), i, 3)}] =
        std::string(PQgetvalue(r.get(), i, 1)) + "|" + PQgetvalue(r.get(), i, 4) + "|" +
        std::to_string(std::strtod(PQgetvalue(r.get(), i, 2), nullptr));
  }
  for (std::size_t i = 1; i < fileRows.size(); ++i) {
    std::vector<std::string> f;
    std::stringstream ss(fileRows[i]);
    for (std::string part; std::getline(ss, part, '\t');) f.push_back(part);
    REQUIRE(f.size() == 5);
    CHECK(fromDb[{f[0], f[3]}] ==
          f[1] + "|" + f[4] + "|" + std::to_string(std::strtod(f[2].c_str(), nullptr)));
  }
  // --table without a database output, and a database output without --table, are refused.
  RWB_REQUIRE_FAILURE(runRecwb({"score", "--model", pkg, "--out", tsv, "--table", "x"}), 2,
                      "--table");
  RWB_REQUIRE_FAILURE(runRecwb({"score", "--model", pkg, "--out", uri}), 2, "--table");
}

TEST_CASE("recwb score: concurrent shards fill one table as a single process does",
          "[cli][database]") {
  RWB_REQUIRE_TEST_DATABASE(uri, odbc);
  TempDir dir;
  const std::string pkg = makePackage(dir, 2000);
  Tables tables{uri, {}};
  const std::string single = tables.add("recs_single"), pgShards = tables.add("recs_shards"),
                    odbcShards = tables.add("recs_oshards");
  RWB_REQUIRE_SUCCESS(runRecwb({"score", "--model", pkg, "--out", uri, "--table", single, "-q"}));
  std::vector<std::unique_ptr<RecwbProcess>> procs;
  for (int i = 0; i < 3; ++i) {
    procs.push_back(std::make_unique<RecwbProcess>(std::vector<std::string>{
        "score", "--model", pkg, "--out", uri, "--table", pgShards, "--shard",
        std::to_string(i) + "/3", "--batch-users", "100", "-q"}));
  }
  for (int i = 0; i < 2; ++i) {
    procs.push_back(std::make_unique<RecwbProcess>(std::vector<std::string>{
        "score", "--model", pkg, "--out", odbc, "--table", odbcShards, "--shard",
        std::to_string(i) + "/2", "--batch-users", "100", "-q"}));
  }
  for (auto& p : procs) RWB_REQUIRE_SUCCESS(p->wait(300));
  PgConnection db(uri);
  CHECK(scalar(db, "SELECT count(*) FROM " + single) == "20000");
  CHECK(differences(db, single, pgShards) == "0");
  CHECK(differences(db, single, odbcShards) == "0");
}

TEST_CASE(
    "recwb score: a shard killed mid-write leaves whole batches; its rerun completes the "
    "table",
    "[cli][database]") {
  RWB_REQUIRE_TEST_DATABASE(uri, odbc);
  TempDir dir;
  const std::string pkg = makePackage(dir, 6000);
  Tables tables{uri, {}};
  PgConnection db(uri);
  for (const std::string& out : {uri, odbc}) {
    INFO(out);
    const std::string single = tables.add("recs_single"), killed = tables.add("recs_killed");
    RWB_REQUIRE_SUCCESS(runRecwb({"score", "--model", pkg, "--out", out, "--table", single, "-q"}));
    // Small batches, so that the kill lands between and inside transactions.
    const std::vector<std::string> shard0 = {"score", "--model",       pkg,    "--out",
                                             out,     "--table",       killed, "--shard",
                                             "0/2",   "--batch-users", "20",   "-q"};
    bool interrupted = false;
    for (int attempt = 0; attempt < 3 && !interrupted; ++attempt) {
      db.exec("DROP TABLE IF EXISTS " + killed, "resetting");
      RecwbProcess p(shard0);
      // Waits for the first committed batch (a barrier on the table, not a fixed sleep).
      bool seen = false;
      for (int i = 0; i < 3000 && p.running() && !seen; ++i) {
        const auto r = PQexec(db.handle(), ("SELECT count(*) FROM " + killed).c_str());
        seen = PQresultStatus(r) == PGRES_TUPLES_OK && std::string(PQgetvalue(r, 0, 0)) != "0";
        PQclear(r);
        if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      const CliResult k = p.stop(SIGKILL, 30);
      interrupted = k.signal == SIGKILL && seen;
    }
    REQUIRE(interrupted);
    const long written = std::stol(scalar(db, "SELECT count(*) FROM " + killed));
    CHECK(written > 0);
    // No half-written batch: every user present has its whole list.
    CHECK(scalar(db, "SELECT count(*) FROM (SELECT user_id FROM " + killed +
                         " GROUP BY user_id HAVING count(*) <> 10) q") == "0");
    CHECK(written % 10 == 0);
    // The rerun of the killed shard and the other shard complete the job.
    RWB_REQUIRE_SUCCESS(runRecwb(shard0));
    // The kill interrupted the shard: its whole output is more than was written before it.
    CHECK(written < std::stol(scalar(db, "SELECT count(*) FROM " + killed)));
    RWB_REQUIRE_SUCCESS(runRecwb(
        {"score", "--model", pkg, "--out", out, "--table", killed, "--shard", "1/2", "-q"}));
    CHECK(differences(db, single, killed) == "0");
    CHECK(scalar(db, "SELECT count(*) FROM " + killed) == "60000");
  }
}

TEST_CASE("A planted database password appears in no output, file, package or table",
          "[cli][database]") {
  RWB_REQUIRE_TEST_DATABASE(uri, odbc);
  const std::string secret = uniqueName("Pl4nted");
  const std::string role = uniqueName("hyg");
  {
    PgConnection admin(uri);
    admin.exec("CREATE ROLE " + role + " LOGIN PASSWORD '" + secret + "'", "creating a role");
    admin.exec("GRANT CREATE ON DATABASE " + std::string(PQdb(admin.handle())) + " TO " + role,
               "granting");
  }
  // postgresql://ROLE:SECRET@host:port/db?options=-csearch_path=ROLE (a schema of its own).
  const auto hostPart = uri.substr(uri.find('@'));
  const std::string withSecret =
      "postgresql://" + role + ":" + secret + hostPart + "?options=-csearch_path%3D" + role;
  {
    PgConnection own(withSecret);
    own.exec("CREATE SCHEMA " + role + " AUTHORIZATION " + role +
                 "; CREATE TABLE interactions AS SELECT 'u' || (g % 40) AS user_id, 'i' || "
                 "(g % 30) AS item_id, g AS ts FROM generate_series(1, 1200) g",
             "preparing data");
  }
  TempDir dir, input;  // input holds the spec (which carries the password as the user wrote it)
  std::vector<CliResult> results;
  results.push_back(runRecwb({"inspect", withSecret, "--json"}));
  results.push_back(runRecwb({"inspect", withSecret, "--table", "missing"}));
  std::ofstream(input / "spec.json") << nlohmann::json{
      {"version", 1},
      {"dataset", {{"path", withSecret}, {"table", "interactions"}}},
      {"split", {{"method", "random"}, {"ratio", 0.8}, {"seed", 1}}},
      {"models", {{{"name", "most_popular"}}}},
      {"metrics", {{"k", 5}}},
      {"output",
       {{"recommendations", "recs/"}}}}.dump();
  const std::string project = (dir / "p.rwbp").string();
  results.push_back(runRecwb({"run", (input / "spec.json").string(), "--project", project, "--out",
                              (dir / "out").string()}));
  results.push_back(runRecwb({"runs", "list", "--project", project, "--json"}));
  // The stored spec has no password: the export finds it where libpq looks, the environment.
  const char* saved = std::getenv("PGPASSWORD");
  const std::string savedPw = saved ? saved : "";
  setenv("PGPASSWORD", secret.c_str(), 1);
  results.push_back(
      runRecwb({"export", "--project", project, "--run", "1", "--out", (dir / "m.rwbm").string()}));
  setenv("PGPASSWORD", savedPw.c_str(), 1);
  results.push_back(runRecwb({"export", "--data", withSecret, "--model", "most_popular", "--out",
                              (dir / "m2.rwbm").string()}));
  results.push_back(runRecwb({"score", "--model", (dir / "m.rwbm").string(), "--out", withSecret,
                              "--table", "recs", "--json"}));
  results.push_back(runRecwb({"score", "--model", (dir / "m.rwbm").string(), "--out",
                              (dir / "recs.tsv").string(), "--exclude-seen", withSecret}));
  results.push_back(runRecwb({"score", "--model", (dir / "m.rwbm").string(), "--out",
                              odbc + ";PWD=" + secret + ";Database=no_such_db", "--table", "x"}));
  for (std::size_t i = 0; i < results.size(); ++i) {
    INFO(results[i].describe());
    CHECK(results[i].cleanExit());
    CHECK(results[i].out.find(secret) == std::string::npos);
    CHECK(results[i].err.find(secret) == std::string::npos);
  }
  // The commands that should have worked did (so the files below exist).
  CHECK(results[0].exitCode == 0);
  CHECK(results[2].exitCode == 0);
  CHECK(results[4].exitCode == 0);
  CHECK(results[6].exitCode == 0);
  CHECK(results[7].exitCode == 0);
  CHECK(results.back().exitCode != 0);
  std::size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (!e.is_regular_file()) continue;
    ++files;
    INFO(e.path());
    CHECK(readFile(e.path()).find(secret) == std::string::npos);
  }
  CHECK(files >= 5);
  {
    PgConnection own(withSecret);
    const auto dump = own.exec("SELECT string_agg(t::text, '') FROM recs t", "reading back");
    CHECK(std::string(PQgetvalue(dump.get(), 0, 0)).find(secret) == std::string::npos);
    CHECK(std::string(PQgetvalue(dump.get(), 0, 0)).size() > 100);
    own.exec("DROP SCHEMA " + role + " CASCADE", "cleaning up");
  }
  PgConnection admin(uri);
  admin.exec("REVOKE CREATE ON DATABASE " + std::string(PQdb(admin.handle())) + " FROM " + role +
                 "; DROP ROLE " + role,
             "cleaning up");
}
