// PostgreSQL (libpq) and ODBC sources against the throwaway server of scripts/test.sh.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "core/data/database_preview.h"
#include "core/data/dataset_loader.h"
#include "core/util/connection_string.h"
#include "core/util/error.h"
#include "core/util/pg_connection.h"
#include "test_support.h"

using namespace rwb;

namespace {

/// A schema of its own for one test case (dropped at the end), and the two sources that see
/// its tables first: the URI with search_path set, the ODBC DSN with ConnSettings.
class TestSchema {
 public:
  TestSchema(const std::string& uri, const std::string& odbc)
      : baseUri_(uri), name_(test::uniqueName("t")) {
    PgConnection db(uri);
    db.exec("CREATE SCHEMA " + name_, "creating the test schema");
    uri_ =
        uri + (uri.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + name_;
    const std::string dsn = odbc.substr(5);
    odbc_ = "odbc:" + (dsn.find('=') == std::string::npos ? "DSN=" + dsn : dsn) +
            ";ConnSettings=SET search_path TO " + name_;
  }
  ~TestSchema() {
    try {
      PgConnection db(baseUri_);
      db.exec("DROP SCHEMA " + name_ + " CASCADE", "dropping the test schema");
    } catch (...) {
    }
  }
  void exec(const std::string& sql) {
    PgConnection db(uri_);
    db.exec(sql, "preparing test data");
  }
  const std::string& uri() const { return uri_; }
  const std::string& odbc() const { return odbc_; }

 private:
  std::string baseUri_, name_, uri_, odbc_;
};

const char* kShopSql =
    "CREATE TABLE interactions(user_id text, item_id text, rating double precision, ts "
    "timestamptz);"
    "INSERT INTO interactions VALUES ('u1','i1',4.5,'2024-01-02 03:04:05+00'),"
    "('u1','i2',3,'2024-01-03 00:00:00+00'),('u2','i1',1.25,'2024-02-01 12:00:00+02'),"
    "('u3','i3',5,'2023-12-31 23:59:59.5+00');"
    "CREATE TABLE items(item_id text, genre text, price numeric);"
    "INSERT INTO items VALUES ('i1','drama',9.5),('i2','comedy',3),('i4','drama',1);"
    "CREATE TABLE users(user_id text, age integer);"
    "INSERT INTO users VALUES ('u1',30),('u2',41);";

const char* kShopCsv =
    "user_id,item_id,rating,ts\n"
    "u1,i1,4.5,2024-01-02T03:04:05Z\n"
    "u1,i2,3,2024-01-03T00:00:00Z\n"
    "u2,i1,1.25,2024-02-01T10:00:00Z\n"
    "u3,i3,5,2023-12-31T23:59:59.5Z\n";

void checkSameInteractions(const Dataset& a, const Dataset& b) {
  REQUIRE(a.numInteractions() == b.numInteractions());
  REQUIRE(a.users.names() == b.users.names());
  // Items of the attribute table without interactions come after those of the interactions.
  REQUIRE(a.items.size() >= b.items.size());
  for (Index i = 0; i < b.items.size(); ++i) CHECK(a.items.external(i) == b.items.external(i));
  for (std::size_t r = 0; r < a.numInteractions(); ++r) {
    CHECK(a.interactions.user[r] == b.interactions.user[r]);
    CHECK(a.interactions.item[r] == b.interactions.item[r]);
    CHECK(a.interactions.value[r] == b.interactions.value[r]);
    CHECK(a.interactions.timestamp[r] == b.interactions.timestamp[r]);
  }
}

}  // namespace

TEST_CASE("Database sources: interactions and attributes round-trip as from a file",
          "[data][database]") {
  RWB_REQUIRE_TEST_DATABASE(uri, odbc);
  TestSchema schema(uri, odbc);
  schema.exec(kShopSql);
  test::TempDir dir;
  test::writeFile(dir / "shop.csv", kShopCsv);
  TaskContext ctx;
  const LoadResult file = loadDataset((dir / "shop.csv").string(), DatasetOptions{}, ctx);
  for (const std::string& source : {schema.uri(), schema.odbc()}) {
    INFO(source);
    CHECK(detectDataFormat(source) ==
          (source == schema.uri() ? DataFormat::kPostgreSql : DataFormat::kOdbc));
    const LoadResult r = loadDataset(source, DatasetOptions{}, ctx);
    checkSameInteractions(r.dataset, file.dataset);
    CHECK(r.rowsRead() == 4 + 3 + 2);
    CHECK(r.rowsSkipped() == 0);
    // Attribute-only item i4 gets an index; columns typed as from items.csv.
    REQUIRE(r.dataset.items.find("i4").has_value());
    const AttributeColumn* genre = r.dataset.itemAttributes.find("genre");
    const AttributeColumn* price = r.dataset.itemAttributes.find("price");
    const AttributeColumn* age = r.dataset.userAttributes.find("age");
    REQUIRE(genre != nullptr);
    REQUIRE(price != nullptr);
    REQUIRE(age != nullptr);
    CHECK(genre->type == ColumnType::kCategorical);
    CHECK(price->type == ColumnType::kNumeric);
    CHECK(price->numeric[*r.dataset.items.find("i1")] == Approx(9.5));
    CHECK(age->numeric[*r.dataset.users.find("u2")] == Approx(41));
    CHECK(r.dataset.source.find("#interactions") != std::string::npos);
  }
}

TEST_CASE("Database sources: queries, column mapping and explicit attribute tables",
          "[data][database]") {
  RWB_REQUIRE_TEST_DATABASE(uri, odbc);
  TestSchema schema(uri, odbc);
  schema.exec(
      "CREATE TABLE orders(customer text, sku text, qty integer, kind text);"
      "INSERT INTO orders SELECT 'c' || (g % 7), 's' || (g % 11), g % 3 + 1, "
      "CASE WHEN g % 2 = 0 THEN 'view' ELSE 'buy' END FROM generate_series(1, 500) g;"
      "CREATE TABLE catalogue(sku text, brand text);"
      "INSERT INTO catalogue SELECT 's' || g, 'b' || (g % 2) FROM generate_series(0, 10) g;");
  TaskContext ctx;
  for (const std::string& source : {schema.uri(), schema.odbc()}) {
    INFO(source);
    DatasetOptions o;
    o.query = "SELECT customer, sku, qty, kind FROM orders WHERE kind = 'buy'";
    o.interactions.user.name = "customer";
    o.interactions.item.name = "sku";
    o.interactions.value.name = "qty";
    o.interactions.event.name = "kind";
    o.itemsTable = "catalogue";
    const LoadResult r = loadDataset(source, o, ctx);
    CHECK(r.dataset.numInteractions() == 250);
    CHECK(r.dataset.numUsers() == 7);
    CHECK(r.dataset.interactions.eventNames == std::vector<std::string>{"buy"});
    CHECK(r.dataset.itemAttributes.find("brand") != nullptr);
    CHECK(r.dataset.source.find("#query") != std::string::npos);
    // A mapping to a column the result does not have names it.
    DatasetOptions wrong = o;
    wrong.interactions.user.name = "client";
    CHECK_THROWS_WITH(loadDataset(source, wrong, ctx), Catch::Contains("no column named 'client'"));
    DatasetOptions missing;
    missing.table = "nope";
    CHECK_THROWS_WITH(loadDataset(source, missing, ctx), Catch::Contains("no table 'nope'"));
  }
}

TEST_CASE("Database sources: bad values are located by row and column", "[data][database]") {
  RWB_REQUIRE_TEST_DATABASE(uri, odbc);
  TestSchema schema(uri, odbc);
  schema.exec(
      "CREATE TABLE interactions(n integer, user_id text, item_id text, rating text, "
      "blob bytea);"
      "INSERT INTO interactions VALUES (1,'u1','i1','4',NULL),(2,'u2','i2','four',NULL),"
      "(3,NULL,'i3','3',NULL),(4,'u4','i4','2','\\x00ff'::bytea);");
  TaskContext ctx;
  for (const std::string& source : {schema.uri(), schema.odbc()}) {
    INFO(source);
    DatasetOptions o;
    o.query = "SELECT user_id, item_id, rating, blob FROM interactions ORDER BY n";
    try {
      loadDataset(source, o, ctx);
      FAIL("strict load of a text rating did not throw");
    } catch (const ParseError& e) {
      CHECK(e.line() == 2);
      CHECK(e.column() == 3);
      CHECK(e.file().find("#query") != std::string::npos);
    }
    o.interactions.strict = false;
    const LoadResult r = loadDataset(source, o, ctx);
    CHECK(r.rowsRead() == 4);
    CHECK(r.rowsLoaded() == 1);
    CHECK(r.rowsSkipped() == 3);
    REQUIRE(r.issues.size() == 3);
    CHECK(r.issues[0].line == 2);
    CHECK(r.issues[0].column == 3);
    CHECK(r.issues[1].line == 3);
    CHECK(r.issues[1].column == 1);
    CHECK(r.issues[2].line == 4);
    CHECK(r.issues[2].column == 4);
    CHECK_THAT(r.issues[2].reason, Catch::Contains("binary"));
  }
}

TEST_CASE("Database sources: a load is cancelled between batches and while the server works",
          "[data][database]") {
  RWB_REQUIRE_TEST_DATABASE(uri, odbc);
  TestSchema schema(uri, odbc);
  schema.exec(
      "CREATE TABLE interactions AS SELECT 'u' || (g % 1000) AS user_id, 'i' || (g % 500) AS "
      "item_id FROM generate_series(1, 100000) g;");
  for (const std::string& source : {schema.uri(), schema.odbc()}) {
    INFO(source);
    TaskContext ctx;
    std::atomic<int> calls{0};
    ctx.setProgressCallback(
        [&](double, std::string_view) {
          if (calls++ == 0) ctx.requestStop();
        },
        std::chrono::milliseconds(0));
    CHECK_THROWS_AS(loadDataset(source, DatasetOptions{}, ctx), Cancelled);
  }
  // A statement the server is still running is cancelled on the server (no wait for its end).
  TaskContext ctx;
  DatasetOptions slow;
  slow.query = "SELECT 'u' AS user_id, 'i' AS item_id FROM pg_sleep(60)";
  std::atomic<bool> done{false};
  std::thread stopper([&] {
    PgConnection watch(uri);
    // Waits until the server runs the statement, then cancels (a barrier, not a fixed sleep).
    for (int i = 0; i < 600 && !done; ++i) {
      const auto r = watch.exec(
          "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'DECLARE rwb_rows%pg_sleep%'",
          "watching");
      if (std::string(PQgetvalue(r.get(), 0, 0)) != "0") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ctx.requestStop();
  });
  const auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(loadDataset(schema.uri(), slow, ctx), Cancelled);
  done = true;
  stopper.join();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30));
}

TEST_CASE("Database sources: credentials never reach messages or the recorded source",
          "[data][database]") {
  RWB_REQUIRE_TEST_DATABASE(uri, odbc);
  const std::string secret = test::uniqueName("Pw9");
  TaskContext ctx;
  // A wrong password in the URI: the refusal names the server, not the password.
  std::string withPassword = uri;
  withPassword.insert(withPassword.find('@'), ":" + secret);
  try {
    loadDataset(withPassword, DatasetOptions{}, ctx);
    FAIL("a wrong password was accepted");
  } catch (const IoError& e) {
    CHECK_THAT(e.what(), !Catch::Contains(secret));
    CHECK_THAT(e.what(), Catch::Contains("127.0.0.1"));
  }
  try {
    loadDataset(odbc + ";PWD=" + secret + ";Database=nonexistent_db", DatasetOptions{}, ctx);
    FAIL("a missing database was accepted");
  } catch (const IoError& e) {
    CHECK_THAT(e.what(), !Catch::Contains(secret));
  }
  // A right password: the recorded source has none.
  TestSchema schema(uri, odbc);
  schema.exec(
      "CREATE TABLE interactions(user_id text, item_id text); INSERT INTO interactions "
      "VALUES ('u', 'i');");
  const char* pw = std::getenv("PGPASSWORD");
  REQUIRE(pw != nullptr);
  std::string good = schema.uri();
  good.insert(good.find('@'), std::string(":") + pw);
  const LoadResult r = loadDataset(good, DatasetOptions{}, ctx);
  CHECK(r.dataset.numInteractions() == 1);
  CHECK_THAT(r.dataset.source, !Catch::Contains(pw));
  CHECK(r.dataset.source == redactConnectionString(good) + "#interactions");
}

TEST_CASE("redactConnectionString removes every credential form", "[data]") {
  CHECK(redactConnectionString("postgresql://ann:s3cr%40t@db.example:5432/shop?sslmode=require") ==
        "postgresql://ann@db.example:5432/shop?sslmode=require");
  CHECK(redactConnectionString("postgres://h/db?user=ann&password=x&sslpassword=y&port=1") ==
        "postgres://h/db?user=ann&port=1");
  CHECK(redactConnectionString("postgresql://a:b@c@host/db") == "postgresql://a@host/db");
  CHECK(redactConnectionString("odbc:DSN=wh;UID=ann;PWD={a;b}}c};Database=x") ==
        "odbc:DSN=wh;UID=ann;Database=x");
  CHECK(redactConnectionString("odbc:Driver={X};Server=s;Password=p") ==
        "odbc:Driver={X};Server=s;");
  CHECK(redactConnectionString("odbc:warehouse") == "odbc:warehouse");
  CHECK(redactConnectionString("host=h password='a b' dbname=d") == "host=h dbname=d");
  CHECK(redactConnectionString("data/ratings.csv") == "data/ratings.csv");
  CHECK(databaseKind("PostgreSQL://x") == DatabaseKind::kPostgreSql);
  CHECK(databaseKind("odbc:x") == DatabaseKind::kOdbc);
  CHECK(databaseKind("odbcfile.csv") == DatabaseKind::kNone);
  CHECK(odbcConnectionString("odbc:wh") == "DSN=wh");
  CHECK(odbcConnectionString("odbc:DSN=wh;UID=a") == "DSN=wh;UID=a");
}

TEST_CASE("Database sources: previews name the server's column types and locate bad values",
          "[data][database]") {
  RWB_REQUIRE_TEST_DATABASE(uri, odbc);
  TestSchema schema(uri, odbc);
  schema.exec(kShopSql);
  schema.exec("INSERT INTO interactions VALUES ('u9', NULL, 2, NULL)");
  TaskContext ctx;
  for (const std::string& source : {schema.uri(), schema.odbc()}) {
    INFO(source);
    DatasetOptions o;
    const DatabasePreview p = previewDatabase(source, o, PreviewTable::kInteractions, 3, ctx);
    CHECK(p.names == std::vector<std::string>{"user_id", "item_id", "rating", "ts"});
    REQUIRE(p.types.size() == 4);
    CHECK(p.types[0] == "text");
    CHECK_THAT(p.types[3], Catch::Contains("timestamp"));
    CHECK(p.rows.size() == 3);
    CHECK(p.more);
    CHECK(p.error.empty());
    CHECK(p.where == redactConnectionString(source) + "#interactions");
    // All rows: the fifth has no item, located at its row and column.
    const DatabasePreview all = previewDatabase(source, o, PreviewTable::kInteractions, 50, ctx);
    CHECK_FALSE(all.more);
    CHECK(all.errorRow == 5);
    CHECK(all.errorColumn == 2);
    const DatabasePreview users =
        previewDatabase(source, o, PreviewTable::kUserAttributes, 50, ctx);
    CHECK(users.rows.size() == 2);
    CHECK_THAT(users.types[1], Catch::Contains("int"));
  }
}

TEST_CASE("A PostgreSQL server that accepts and never answers times out with a clear error",
          "[data]") {
  // No server needed: a loopback socket that listens (the kernel completes the handshake) and
  // never reads, as a hung server or a black-holing proxy would.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(fd, 8) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::string base =
      "postgresql://rwb:secret@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/db";
  const auto attempt = [](const std::string& uri) {
    const auto t0 = std::chrono::steady_clock::now();
    std::string message;
    try {
      PgConnection c(uri);
    } catch (const IoError& e) {
      message = e.what();
    }
    return std::make_pair(
        message, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  };
  const char* env = std::getenv("PGCONNECT_TIMEOUT");
  const std::string saved = env != nullptr ? env : "";
  ::unsetenv("PGCONNECT_TIMEOUT");
  SECTION("the URI's own connect_timeout wins") {
    const auto [message, seconds] = attempt(base + "?connect_timeout=2");
    INFO(message);
    CHECK(message.find("cannot connect to PostgreSQL") != std::string::npos);
    CHECK(message.find("timeout") != std::string::npos);
    CHECK(message.find("secret") == std::string::npos);
    CHECK(seconds < PgConnection::kDefaultConnectTimeoutSeconds - 2);
  }
  SECTION("without one, the default bounds the wait") {
    const auto [message, seconds] = attempt(base);
    INFO(message);
    CHECK(message.find("timeout") != std::string::npos);
    CHECK(seconds >= PgConnection::kDefaultConnectTimeoutSeconds - 1);
    CHECK(seconds < PgConnection::kDefaultConnectTimeoutSeconds + 20);
  }
  if (env != nullptr) ::setenv("PGCONNECT_TIMEOUT", saved.c_str(), 1);
  ::close(fd);
}
