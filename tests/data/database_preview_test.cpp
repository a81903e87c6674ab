// previewDatabase: the first rows of a database source read by the loader itself (SQLite here;
// PostgreSQL and ODBC in database_loader_test.cpp), and withPassword.
#include "core/data/database_preview.h"

#include <catch2/catch.hpp>

#include "core/util/connection_string.h"
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

std::string shopDb(const test::TempDir& dir) {
  const auto path = (dir / "shop.db").string();
  std::string sql =
      "CREATE TABLE ratings(customer TEXT, product TEXT, stars REAL, ts INTEGER);"
      "CREATE TABLE items(product TEXT, genre TEXT);"
      "INSERT INTO items VALUES ('p1','drama'),('p2','comedy');";
  for (int r = 0; r < 120; ++r) {
    sql += "INSERT INTO ratings VALUES ('u" + std::to_string(r % 7) + "','p" +
           std::to_string(r % 5) + "'," + std::to_string(1 + r % 5) + "," +
           std::to_string(1700000000 + r) + ");";
  }
  exec(path, sql);
  return path;
}

}  // namespace

TEST_CASE("previewDatabase: first rows, names, types and the resolved mapping", "[data]") {
  test::TempDir dir;
  const std::string db = shopDb(dir);
  DatasetOptions o;
  o.interactions.user.name = "customer";
  o.interactions.item.name = "product";
  o.interactions.value.name = "stars";
  TaskContext ctx;
  const DatabasePreview p = previewDatabase(db, o, PreviewTable::kInteractions, 50, ctx);
  CHECK(p.names == std::vector<std::string>{"customer", "product", "stars", "ts"});
  CHECK(p.types == std::vector<std::string>{"TEXT", "TEXT", "REAL", "INTEGER"});
  REQUIRE(p.rows.size() == 50);
  CHECK(p.more);
  CHECK(p.rows[0] == std::vector<std::string>{"u0", "p0", "1.0", "1700000000"});
  CHECK(p.where == db + "#ratings");
  CHECK(p.user == 0);
  CHECK(p.item == 1);
  CHECK(p.value == 2);
  CHECK(p.timestamp == 3);  // "ts" is a well-known timestamp name
  CHECK(p.error.empty());
  CHECK(p.rowsLoaded == 50);

  // A query: expression columns are typed by their first value; fewer rows than asked.
  o.query =
      "SELECT customer AS user_id, product AS item_id, stars * 2 AS score FROM ratings "
      "LIMIT 3";
  o.interactions = DelimitedOptions{};
  const DatabasePreview q = previewDatabase(db, o, PreviewTable::kInteractions, 50, ctx);
  CHECK(q.rows.size() == 3);
  CHECK_FALSE(q.more);
  CHECK(q.types[2] == "real");
  CHECK(q.where == db + "#query");
  CHECK(q.value == 2);

  // The items table is previewed by its default name.
  const DatabasePreview items = previewDatabase(db, o, PreviewTable::kItemAttributes, 50, ctx);
  CHECK(items.names == std::vector<std::string>{"product", "genre"});
  CHECK(items.rows.size() == 2);
  CHECK(items.error.empty());
  CHECK_THROWS_WITH(previewDatabase(db, o, PreviewTable::kUserAttributes, 50, ctx),
                    Catch::Contains("no user attribute table"));
}

TEST_CASE("previewDatabase: bad mapping, bad values and bad SQL are located", "[data]") {
  test::TempDir dir;
  const std::string db = shopDb(dir);
  exec(db, "UPDATE ratings SET stars = 'lots' WHERE rowid = 4;");
  TaskContext ctx;
  DatasetOptions o;
  o.interactions.user.name = "customer";
  o.interactions.item.name = "product";
  o.interactions.value.name = "stars";

  // Strict: the first bad value, at its row and column; the rows are still shown.
  const DatabasePreview strict = previewDatabase(db, o, PreviewTable::kInteractions, 50, ctx);
  CHECK(strict.rows.size() == 50);
  CHECK(strict.errorRow == 4);
  CHECK(strict.errorColumn == 3);
  CHECK_THAT(strict.error, Catch::Contains(db + "#ratings") && Catch::Contains("lots"));

  // Lenient: every bad row is an issue; the others load.
  o.interactions.strict = false;
  const DatabasePreview lenient = previewDatabase(db, o, PreviewTable::kInteractions, 50, ctx);
  CHECK(lenient.error.empty());
  REQUIRE(lenient.issues.size() == 1);
  CHECK(lenient.issues[0].row == 4);
  CHECK(lenient.issues[0].column == 3);
  CHECK(lenient.rowsLoaded == 49);

  // A column the result does not have: a mapping error, no row or column.
  o.interactions.value.name = "rating";
  const DatabasePreview mapping = previewDatabase(db, o, PreviewTable::kInteractions, 50, ctx);
  CHECK_THAT(mapping.error, Catch::Contains("rating"));
  CHECK(mapping.errorRow == 0);
  CHECK(mapping.user == -1);

  // Bad SQL and a missing table: thrown with the database named.
  o.query = "SELEC nothing";
  CHECK_THROWS_AS(previewDatabase(db, o, PreviewTable::kInteractions, 50, ctx), IoError);
  o.query.clear();
  o.table = "nope";
  CHECK_THROWS_WITH(previewDatabase(db, o, PreviewTable::kInteractions, 50, ctx),
                    Catch::Contains("no table 'nope'") && Catch::Contains("ratings"));
  CHECK_THROWS_AS(
      previewDatabase((dir / "missing.db").string(), o, PreviewTable::kInteractions, 50, ctx),
      IoError);
  // Cancelled before it starts: nothing is returned.
  TaskContext stopped;
  stopped.requestStop();
  o.table.clear();
  CHECK_THROWS_AS(previewDatabase(db, o, PreviewTable::kInteractions, 50, stopped), Cancelled);
}

TEST_CASE("withPassword adds a session password that redaction removes again", "[data]") {
  const std::string uri = withPassword("postgresql://ann@db.example:5432/shop", "p@ss w/rd");
  CHECK(uri == "postgresql://ann@db.example:5432/shop?password=p%40ss%20w%2Frd");
  CHECK(redactConnectionString(uri) == "postgresql://ann@db.example:5432/shop");
  // A password already in the URI is replaced, not doubled.
  CHECK(withPassword("postgresql://ann:old@h/db?sslmode=require", "new") ==
        "postgresql://ann@h/db?sslmode=require&password=new");
  CHECK(withPassword("odbc:warehouse", "a;b}c") == "odbc:DSN=warehouse;PWD={a;b}}c}");
  CHECK(redactConnectionString(withPassword("odbc:warehouse", "a;b}c")) == "odbc:DSN=warehouse;");
  CHECK(withPassword("odbc:DSN=wh;UID=ann;PWD=old;", "new") == "odbc:DSN=wh;UID=ann;PWD={new}");
  CHECK(withPassword("postgresql://h/db", "") == "postgresql://h/db");
  CHECK(withPassword("data/ratings.csv", "x") == "data/ratings.csv");
}
