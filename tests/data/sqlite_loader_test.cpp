#include <algorithm>
#include <catch2/catch.hpp>

#include "core/data/dataset_loader.h"
#include "core/util/error.h"
#include "core/util/sqlite_db.h"
#include "test_support.h"

using namespace rwb;

namespace {

// Runs SQL on a test database (created when missing); an SQLite error fails the test with
// its message.
void exec(const std::string& path, const std::string& sql) {
  SqliteDb(path, SqliteDb::Mode::kCreate).exec(sql);
}

std::string makeDb(const test::TempDir& dir) {
  const auto path = (dir / "shop.db").string();
  exec(path,
       "CREATE TABLE ratings(uid INTEGER, iid TEXT, stars REAL, ts INTEGER);"
       "INSERT INTO ratings VALUES (1,'a',5,100),(1,'b',3.5,200),(2,'a',NULL,300),"
       "(3,'c',4,'2024-01-01');"
       "CREATE TABLE items(iid TEXT, genre TEXT, price REAL);"
       "INSERT INTO items VALUES ('a','rock',9.5),('b','jazz',NULL),('z','pop',1);"
       "CREATE TABLE people(id INTEGER, city TEXT);"
       "INSERT INTO people VALUES (1,'Oslo'),(2,'Rome');");
  return path;
}

}  // namespace

TEST_CASE("SQLite: interactions from a table with column mapping", "[data][sqlite]") {
  test::TempDir dir;
  const auto path = makeDb(dir);
  DatasetOptions o;
  o.table = "ratings";
  o.interactions.user.name = "uid";
  o.interactions.item.name = "iid";
  o.interactions.value.name = "stars";
  o.interactions.timestamp.name = "ts";
  TaskContext ctx;
  CHECK_THROWS_AS(loadDataset(path, o, ctx), ParseError);  // NULL rating, strict
  try {
    loadDataset(path, o, ctx);
  } catch (const ParseError& e) {
    CHECK(e.line() == 3);
    CHECK(e.column() == 3);
  }
  o.interactions.strict = false;
  const auto r = loadDataset(path, o, ctx);
  const auto& d = r.dataset;
  CHECK(r.rowsRead() >= 4);
  CHECK(d.numInteractions() == 3);
  CHECK(d.users.external(0) == "1");
  CHECK(d.interactions.value[1] == Approx(3.5));
  CHECK(d.interactions.timestamp[2] == 1704067200);
  // The "items" table is picked up automatically; "z" has no interactions (cold start).
  const auto* genre = d.itemAttributes.find("genre");
  REQUIRE(genre != nullptr);
  CHECK(genre->display(*d.items.find("a")) == "rock");
  CHECK(d.items.find("z").has_value());
  for (const auto& t : r.tables) CHECK(t.rowsLoaded + t.rowsSkipped == t.rowsRead);
}

TEST_CASE("SQLite: interactions and users from queries", "[data][sqlite]") {
  test::TempDir dir;
  const auto path = makeDb(dir);
  DatasetOptions o;
  o.query = "SELECT uid AS user_id, iid AS item_id, stars AS rating FROM ratings WHERE stars >= 4";
  o.usersQuery = "SELECT id AS user_id, city FROM people";
  TaskContext ctx;
  const auto r = loadDataset(path, o, ctx);
  CHECK(r.dataset.numInteractions() == 2);
  const auto* city = r.dataset.userAttributes.find("city");
  REQUIRE(city != nullptr);
  CHECK(city->display(*r.dataset.users.find("2")) == "Rome");
}

TEST_CASE("SQLite: clear errors for missing tables, bad SQL, non-databases", "[data][sqlite]") {
  test::TempDir dir;
  const auto path = makeDb(dir);
  TaskContext ctx;
  DatasetOptions o;
  o.table = "nope";
  CHECK_THROWS_AS(loadDataset(path, o, ctx), IoError);
  o.table.clear();
  o.query = "SELEC oops";
  CHECK_THROWS_AS(loadDataset(path, o, ctx), IoError);
  test::writeFile(dir / "fake.db", "this is not a database at all, just text\n");
  DatasetOptions plain;
  plain.table = "ratings";
  CHECK_THROWS_AS(loadDataset((dir / "fake.db").string(), plain, ctx), IoError);
  DatasetOptions none;  // no interactions/ratings/events table and no table given
  exec((dir / "other.sqlite").string(), "CREATE TABLE t(x);");
  CHECK_THROWS_AS(loadDataset((dir / "other.sqlite").string(), none, ctx), IoError);
}

TEST_CASE("SQLite: bad input is reported with the place and the reason", "[data][sqlite]") {
  test::TempDir dir;
  const auto path = (dir / "bad.db").string();
  exec(path,
       "CREATE TABLE interactions(user TEXT, item TEXT, rating REAL);"
       "INSERT INTO interactions VALUES ('u1','i1',4),('u2','i2','four'),(NULL,'i3',3),"
       "('u3',NULL,2),('u4','i4',X'00FF');"
       "CREATE TABLE users(user_id TEXT, age INTEGER);"
       "INSERT INTO users VALUES ('u1', 30), (NULL, 40);");
  TaskContext ctx;
  SECTION("missing table names the database and lists the tables") {
    DatasetOptions o;
    o.table = "ratings";
    CHECK_THROWS_WITH(loadDataset(path, o, ctx), Catch::Contains("no table 'ratings'") &&
                                                     Catch::Contains("interactions, users"));
  }
  SECTION("a text value in a numeric column, strict: ParseError at that row and column") {
    try {
      loadDataset(path, DatasetOptions{}, ctx);
      FAIL("expected a ParseError");
    } catch (const ParseError& e) {
      CHECK(e.line() == 2);
      CHECK(e.column() == 3);
      CHECK_THAT(std::string(e.what()), Catch::Contains("bad.db#interactions"));
    }
  }
  SECTION("lenient: NULL ids, wrong types and BLOBs are skipped and counted with reasons") {
    DatasetOptions o;
    o.interactions.strict = false;
    const LoadResult r = loadDataset(path, o, ctx);
    CHECK(r.dataset.numInteractions() == 1);
    REQUIRE(r.tables.size() >= 2);
    CHECK(r.tables[0].rowsRead == 5);
    CHECK(r.tables[0].rowsSkipped == 4);
    std::string reasons;
    for (const auto& [reason, n] : r.skippedByReason) reasons += reason + ";";
    CHECK_THAT(reasons, Catch::Contains("BLOB"));
    CHECK_THAT(reasons, Catch::Contains("empty"));
    // The users table: the row with a NULL id is skipped, the other merged.
    CHECK(r.tables[1].rowsRead == 2);
    CHECK(r.tables[1].rowsSkipped == 1);
    const auto* age = r.dataset.userAttributes.find("age");
    REQUIRE(age != nullptr);
    CHECK(age->numeric.at(*r.dataset.users.find("u1")) == 30.0);
  }
  SECTION("a query error names the query") {
    DatasetOptions o;
    o.query = "SELECT user, item FROM interactions WHERE nope = 1";
    CHECK_THROWS_WITH(loadDataset(path, o, ctx),
                      Catch::Contains("no such column: nope") && Catch::Contains("#query"));
  }
}

TEST_CASE("SQLite: a base dataset gives the same indices as the delimited reader",
          "[data][sqlite][base]") {
  test::TempDir dir;
  test::writeFile(dir / "train.tsv", "user\titem\trating\nu1\ti1\t5\nu2\ti2\t3\n");
  const auto path = (dir / "test.db").string();
  exec(path,
       "CREATE TABLE interactions(user TEXT, item TEXT, rating REAL);"
       "INSERT INTO interactions VALUES ('u2','i1',4),('u9','i7',1);"
       "CREATE TABLE items(item_id TEXT, genre TEXT);"
       "INSERT INTO items VALUES ('i7','rock');");
  test::writeFile(dir / "test.tsv", "user\titem\trating\nu2\ti1\t4\nu9\ti7\t1\n");
  TaskContext ctx;
  const LoadResult train = loadDataset((dir / "train.tsv").string(), DatasetOptions{}, ctx);
  DatasetOptions o;
  o.base = &train.dataset;
  const LoadResult fromDb = loadDataset(path, o, ctx);
  const LoadResult fromTsv = loadDataset((dir / "test.tsv").string(), o, ctx);
  for (const LoadResult* r : {&fromDb, &fromTsv}) {
    const Dataset& d = r->dataset;
    CHECK(d.users.names() == std::vector<std::string>{"u1", "u2", "u9"});
    CHECK(d.items.names() == std::vector<std::string>{"i1", "i2", "i7"});
    REQUIRE(d.numInteractions() == 2);
    CHECK(d.interactions.user[0] == 1);
    CHECK(d.interactions.item[0] == 0);
    CHECK(d.interactions.user[1] == 2);
    CHECK(d.interactions.item[1] == 2);
  }
  const auto* genre = fromDb.dataset.itemAttributes.find("genre");
  REQUIRE(genre != nullptr);
  CHECK(genre->display(2) == "rock");
  CHECK(genre->display(0).empty());
}

TEST_CASE("SQLite: duplicate result column names are refused (issue 13)", "[data][sqlite]") {
  test::TempDir dir;
  const auto path = makeDb(dir);
  DatasetOptions o;
  o.query = "SELECT uid AS user_id, iid AS user_id, iid AS item_id FROM ratings";
  TaskContext ctx;
  CHECK_THROWS_WITH(loadDataset(path, o, ctx),
                    Catch::Contains("duplicate column name 'user_id' (columns 1 and 2)"));
  DatasetOptions a;
  a.table = "ratings";
  a.interactions.user.name = "uid";
  a.interactions.item.name = "iid";
  a.interactions.strict = false;
  a.itemsQuery = "SELECT iid, genre, price AS genre FROM items";
  CHECK_THROWS_WITH(loadDataset(path, a, ctx), Catch::Contains("columns 2 and 3"));
}

TEST_CASE("SQLite: implausible timestamps are counted and located by row (issue 13)",
          "[data][sqlite]") {
  test::TempDir dir;
  const auto path = (dir / "ms.db").string();
  exec(path,
       "CREATE TABLE interactions(user_id TEXT, item_id TEXT, timestamp INTEGER);"
       "INSERT INTO interactions VALUES ('u1','a',1700000000),('u2','b',1700000000123),"
       "('u3','c',1700000000456);");
  TaskContext ctx;
  const auto r = loadDataset(path, {}, ctx);
  CHECK(r.rowsLoaded() == 3);
  CHECK(r.implausibleTimestamps.count == 2);
  CHECK(r.implausibleTimestamps.line == 2);
  CHECK(r.implausibleTimestamps.user == "u2");
  CHECK(r.implausibleTimestamps.file.find("ms.db#interactions") != std::string::npos);
  CHECK(std::any_of(r.notes.begin(), r.notes.end(), [](const std::string& n) {
    return n.find("looks like milliseconds") != std::string::npos;
  }));
}
