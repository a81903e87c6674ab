#include "core/data/dataset_loader.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "core/data/dataset_summary.h"
#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {

std::string fixture(const std::string& name) {
  return (test::sourceDir() / "tests" / "data" / "fixtures" / name).string();
}

const AttributeColumn& column(const AttributeTable& t, const std::string& name) {
  const auto* c = t.find(name);
  REQUIRE(c != nullptr);
  return *c;
}

std::string itemAttr(const Dataset& d, const std::string& item, const std::string& col) {
  const auto idx = d.items.find(item);
  REQUIRE(idx.has_value());
  return column(d.itemAttributes, col).display(*idx);
}

void checkAccount(const LoadResult& r) {
  for (const auto& t : r.tables) REQUIRE(t.rowsLoaded + t.rowsSkipped == t.rowsRead);
}

}  // namespace

TEST_CASE("Format detection from the path", "[data][loader]") {
  CHECK(detectDataFormat(fixture("ml-1m")) == DataFormat::kMovieLens1M);
  CHECK(detectDataFormat(fixture("ml-latest")) == DataFormat::kMovieLensLatest);
  CHECK(detectDataFormat(fixture("recworkbench")) == DataFormat::kRecWorkbench);
  CHECK(detectDataFormat(fixture("recworkbench/interactions.csv")) == DataFormat::kDelimited);
  CHECK_THROWS_AS(detectDataFormat(fixture("no-such-thing")), IoError);
  CHECK_THROWS_AS(detectDataFormat(fixture("")), IoError);  // a folder with no known layout
  DataFormat f;
  CHECK(parseDataFormat("ML-1M", f));
  CHECK(f == DataFormat::kMovieLens1M);
  CHECK_FALSE(parseDataFormat("excel", f));
}

TEST_CASE("MovieLens 1M layout: ratings, Latin-1 titles, years, genres, demographics",
          "[data][loader][movielens]") {
  TaskContext ctx;
  const auto r = loadDataset(fixture("ml-1m"), {}, ctx);
  const auto& d = r.dataset;
  CHECK(d.name == "ml-1m");
  CHECK(d.numInteractions() == 5);
  CHECK(d.numUsers() == 3);
  CHECK(d.numItems() == 4);  // movie 4 has no ratings: kept as a cold-start item
  CHECK(itemAttr(d, "1", "title") == "Toy Story (1995)");
  CHECK(itemAttr(d, "3", "title") == "Caf\xC3\xA9 au lait (1993)");
  CHECK(itemAttr(d, "2", "year") == "1995");
  CHECK(itemAttr(d, "1", "genres") == "Animation|Children's|Comedy");
  CHECK(itemAttr(d, "4", "genres") == "Drama");
  CHECK(column(d.itemAttributes, "genres").type == ColumnType::kMultiCategorical);
  const auto& occ = column(d.userAttributes, "occupation");
  CHECK(occ.display(*d.users.find("1")) == "K-12 student");
  CHECK(column(d.userAttributes, "gender").display(*d.users.find("2")) == "M");
  CHECK(column(d.userAttributes, "age").numeric[*d.users.find("2")] == Approx(56));
  CHECK(r.tables.size() == 3);
  checkAccount(r);
}

TEST_CASE("MovieLens latest layout: quoted titles, year from title, tags",
          "[data][loader][movielens]") {
  TaskContext ctx;
  const auto r = loadDataset(fixture("ml-latest"), {}, ctx);
  const auto& d = r.dataset;
  CHECK(d.numInteractions() == 4);
  CHECK(d.numItems() == 4);
  CHECK(d.interactions.value[1] == Approx(4.5));
  CHECK(itemAttr(d, "2", "title") == "American President, The (1995)");
  CHECK(itemAttr(d, "3", "year").empty());    // "Babylon 5" has no year
  CHECK(itemAttr(d, "3", "genres").empty());  // "(no genres listed)"
  CHECK(itemAttr(d, "4", "year") == "2007");
  CHECK(itemAttr(d, "4", "title") == "Tag \"Only\" Movie (2007-2010)");
  CHECK(itemAttr(d, "1", "tags") == "pixar|fun");
  CHECK(itemAttr(d, "4", "tags") == "quotes, and commas");
  checkAccount(r);
}

TEST_CASE("MovieLens 100K from the reference data", "[data][loader][movielens][shared]") {
  RWB_REQUIRE_SHARED_DATA(shared);
  TaskContext ctx;
  const auto r = loadDataset((shared / "ml-100k").string(), {}, ctx);
  const auto& d = r.dataset;
  CHECK(d.numInteractions() == 100000);
  CHECK(d.numUsers() == 943);
  CHECK(d.numItems() == 1682);
  CHECK(r.rowsSkipped() == 0);
  CHECK(r.duplicatePairs == 0);
  // Issue 18: attribute rows are not interaction rows (the GUI said "rows read 102,625").
  CHECK(r.interactionRows().rowsRead == 100000);
  CHECK(r.interactionRows().rowsLoaded == 100000);
  CHECK(r.attributeRows().rowsRead == 1682 + 943);
  CHECK(r.rowsRead() == r.interactionRows().rowsRead + r.attributeRows().rowsRead);
  CHECK(itemAttr(d, "1", "title") == "Toy Story (1995)");
  CHECK(itemAttr(d, "1", "year") == "1995");
  CHECK(itemAttr(d, "1", "genres") == "Animation|Children's|Comedy");
  // Every field of u.item is an attribute: the release date as Unix seconds (01-Jan-1995 UTC),
  // the (always empty) video release date and the IMDb URL.
  CHECK(itemAttr(d, "1", "release_date") == "788918400");
  CHECK(itemAttr(d, "1", "video_release_date").empty());
  CHECK(itemAttr(d, "1", "url").find("imdb.com") != std::string::npos);
  CHECK(itemAttr(d, "267", "release_date").empty());  // "unknown": no date given
  CHECK(column(d.userAttributes, "occupation").display(*d.users.find("1")) == "technician");
  CHECK(column(d.userAttributes, "zip").display(*d.users.find("1")) == "85711");
  // u.item is Latin-1: every title must now be valid UTF-8 with the accents kept.
  bool accented = false;
  for (const auto& t : column(d.itemAttributes, "title").text) {
    accented = accented || t.find("\xC3") != std::string::npos;
  }
  CHECK(accented);
  const auto s = summarizeDataset(d);
  CHECK(s.perUser.min == Approx(20));
  CHECK(s.perUser.max == Approx(737));
  CHECK(s.valueHistogram.size() == 5);
  CHECK(s.valueHistogram[3].count == 34174);  // rating 4
}

TEST_CASE("RecWorkbench folder: interactions with events plus typed attributes", "[data][loader]") {
  TaskContext ctx;
  const auto r = loadDataset(fixture("recworkbench"), {}, ctx);
  const auto& d = r.dataset;
  CHECK(d.numInteractions() == 4);
  CHECK(d.interactions.eventNames == std::vector<std::string>{"view", "click", "purchase"});
  CHECK(d.numItems() == 4);  // p4 only in items.csv: cold-start item
  CHECK(d.numUsers() == 4);  // u4 only in users.csv
  CHECK(r.interactionRows().rowsRead == 4);
  CHECK(r.attributeRows().rowsRead == r.rowsRead() - 4);
  CHECK(r.attributeRows().rowsRead == 7);  // 4 items, 3 users
  CHECK(column(d.itemAttributes, "category").type == ColumnType::kCategorical);
  CHECK(column(d.itemAttributes, "price").type == ColumnType::kNumeric);
  CHECK(column(d.itemAttributes, "tags").type == ColumnType::kMultiCategorical);
  CHECK(column(d.itemAttributes, "description").type == ColumnType::kText);
  CHECK(std::isnan(column(d.itemAttributes, "price").numeric[*d.items.find("p3")]));
  CHECK(itemAttr(d, "p4", "price") == "25.5");
  CHECK(column(d.userAttributes, "age_band").type == ColumnType::kCategorical);
  CHECK(column(d.userAttributes, "region").display(*d.users.find("u4")) == "north");
  CHECK(column(d.userAttributes, "region").display(*d.users.find("u3")).empty());
  for (const auto& c : d.itemAttributes.columns) CHECK(c.rows() == d.numItems());
  for (const auto& c : d.userAttributes.columns) CHECK(c.rows() == d.numUsers());
  const auto s = summarizeDataset(d);
  CHECK(s.itemsWithoutInteractions == 1);
  CHECK(s.eventCounts.size() == 3);
  checkAccount(r);
}

TEST_CASE("Delimited file with separate attribute files", "[data][loader]") {
  DatasetOptions o;
  o.itemsPath = fixture("recworkbench/items.csv");
  o.itemAttributes.types["price"] = ColumnType::kText;  // explicit type wins over inference
  TaskContext ctx;
  const auto r = loadDataset(fixture("recworkbench/interactions.csv"), o, ctx);
  CHECK(column(r.dataset.itemAttributes, "price").type == ColumnType::kText);
  CHECK(r.dataset.userAttributes.empty());
}

TEST_CASE("Attribute type inference", "[data][attributes]") {
  const std::vector<std::string> nums{"1", "2.5", "", "-3"};
  CHECK(inferColumnType(nums) == ColumnType::kNumeric);
  const std::vector<std::string> zips{"02134", "90210", "10001"};
  CHECK(inferColumnType(zips) == ColumnType::kCategorical);
  const std::vector<std::string> multi{"a|b", "c", "a"};
  CHECK(inferColumnType(multi) == ColumnType::kMultiCategorical);
  const std::vector<std::string> titles{"The Big Lebowski (1998)", "Heat (1995)", "Fargo (1996)"};
  CHECK(inferColumnType(titles) == ColumnType::kText);
  const std::vector<std::string> brands{"acme", "bolt", "acme", "carry", "bolt"};
  CHECK(inferColumnType(brands) == ColumnType::kCategorical);
  const std::vector<std::string> empty{"", ""};
  CHECK(inferColumnType(empty) == ColumnType::kCategorical);
}

TEST_CASE("Attribute files: bad rows follow the strict / lenient policy", "[data][attributes]") {
  test::TempDir dir;
  test::writeFile(dir / "interactions.csv", "user_id,item_id\nu1,p1\n");
  test::writeFile(dir / "items.csv", "item_id,color\np1,red\n,blue\np2\np3,green\n");
  TaskContext ctx;
  CHECK_THROWS_AS(loadDataset(dir.path().string(), {}, ctx), ParseError);
  DatasetOptions o;
  o.interactions.strict = false;
  const auto r = loadDataset(dir.path().string(), o, ctx);
  CHECK(r.rowsSkipped() == 2);
  CHECK(r.dataset.numItems() == 2);  // p1 and p3
  checkAccount(r);
}

TEST_CASE("loadDataset with a base: MovieLens folder as base, recsplit test file on top",
          "[data][base][shared]") {
  RWB_REQUIRE_SHARED_DATA(shared);
  TaskContext ctx;
  const LoadResult folder = loadDataset((shared / "ml-100k").string(), DatasetOptions{}, ctx);
  DatasetOptions o;
  o.base = &folder.dataset;
  const LoadResult test = loadDataset((shared / "ml-100k-recsplit" / "test.tsv").string(), o, ctx);
  const Dataset& base = folder.dataset;
  const Dataset& d = test.dataset;
  // Every id of the base keeps its index; the recsplit ids are all MovieLens ids.
  REQUIRE(d.users.size() == base.users.size());
  REQUIRE(d.items.size() == base.items.size());
  CHECK(d.users.names() == base.users.names());
  CHECK(d.items.names() == base.items.names());
  // Only the test file's interactions, with the base's attributes kept.
  const LoadResult own =
      loadDataset((shared / "ml-100k-recsplit" / "test.tsv").string(), DatasetOptions{}, ctx);
  REQUIRE(d.numInteractions() == own.dataset.numInteractions());
  for (std::size_t r = 0; r < d.numInteractions(); r += 97) {
    CHECK(d.users.external(d.interactions.user[r]) ==
          own.dataset.users.external(own.dataset.interactions.user[r]));
    CHECK(d.items.external(d.interactions.item[r]) ==
          own.dataset.items.external(own.dataset.interactions.item[r]));
    CHECK(d.interactions.value[r] == own.dataset.interactions.value[r]);
  }
  CHECK(d.userAttributes.columns.size() == base.userAttributes.columns.size());
  CHECK(d.itemAttributes.columns.size() == base.itemAttributes.columns.size());
}

TEST_CASE("loadDataset with a base: RecWorkbench folder merges attributes into the base's",
          "[data][base]") {
  test::TempDir dir;
  test::writeFile(dir / "train.csv", "user,item,rating\nu1,i1,5\nu2,i2,3\n");
  test::writeFile(dir / "items.csv", "item_id,genre,year\ni1,rock,1990\ni2,jazz,2001\n");
  std::filesystem::create_directories(dir / "later");
  test::writeFile(dir / "later" / "interactions.csv", "user,item,rating\nu3,i3,4\nu1,i2,2\n");
  test::writeFile(dir / "later" / "items.csv", "item_id,genre,year\ni3,pop,2020\ni1,blues,1991\n");
  TaskContext ctx;
  DatasetOptions trainOpt;
  trainOpt.itemsPath = (dir / "items.csv").string();
  const LoadResult train = loadDataset((dir / "train.csv").string(), trainOpt, ctx);
  DatasetOptions o;
  o.base = &train.dataset;
  const LoadResult later = loadDataset((dir / "later").string(), o, ctx);
  const Dataset& d = later.dataset;
  CHECK(d.users.names() == std::vector<std::string>{"u1", "u2", "u3"});
  CHECK(d.items.names() == std::vector<std::string>{"i1", "i2", "i3"});
  REQUIRE(d.numInteractions() == 2);
  CHECK(d.interactions.user[1] == 0);
  CHECK(d.interactions.item[1] == 1);
  const auto* genre = d.itemAttributes.find("genre");
  REQUIRE(genre != nullptr);
  CHECK(genre->display(0) == "blues");  // the source's row wins
  CHECK(genre->display(1) == "jazz");   // the base's row is kept
  CHECK(genre->display(2) == "pop");    // new id, new row
  const auto* year = d.itemAttributes.find("year");
  REQUIRE(year != nullptr);
  CHECK(year->numeric.at(2) == 2020.0);
}

TEST_CASE("loadDataset with a base: event types are matched by name", "[data][base]") {
  test::TempDir dir;
  test::writeFile(dir / "train.csv", "user,item,event\nu1,i1,view\nu2,i2,purchase\n");
  test::writeFile(dir / "later.csv", "user,item,event\nu1,i2,purchase\nu3,i1,click\n");
  TaskContext ctx;
  const LoadResult train = loadDataset((dir / "train.csv").string(), DatasetOptions{}, ctx);
  DatasetOptions o;
  o.base = &train.dataset;
  const LoadResult later = loadDataset((dir / "later.csv").string(), o, ctx);
  const auto& log = later.dataset.interactions;
  REQUIRE(log.hasEvents());
  REQUIRE(log.size() == 2);
  // The base's names keep their codes; "click" is appended.
  CHECK(log.eventNames == std::vector<std::string>{"view", "purchase", "click"});
  CHECK(log.eventNames[log.event[0]] == "purchase");
  CHECK(log.eventNames[log.event[1]] == "click");
}

TEST_CASE("loadDataset with a base: a source without events does not take the base's event types",
          "[data][base]") {
  test::TempDir dir;
  test::writeFile(dir / "train.csv", "user,item,event\nu1,i1,view\nu2,i2,purchase\n");
  test::writeFile(dir / "later.csv", "user,item,rating\nu1,i2,5\nu3,i1,1\n");
  TaskContext ctx;
  const LoadResult train = loadDataset((dir / "train.csv").string(), DatasetOptions{}, ctx);
  REQUIRE(train.dataset.interactions.hasEvents());
  DatasetOptions o;
  o.base = &train.dataset;
  const LoadResult later = loadDataset((dir / "later.csv").string(), o, ctx);
  const auto& log = later.dataset.interactions;
  REQUIRE(log.size() == 2);
  // Before the fix every row read as "view", the base's first event type.
  CHECK_FALSE(log.hasEvents());
  CHECK(log.eventNames.empty());
  CHECK(log.value == std::vector<float>{5.0f, 1.0f});
  bool noted = false;
  for (const auto& n : later.notes) noted |= n.find("no event column") != std::string::npos;
  CHECK(noted);
  CHECK(later.dataset.users.names() == std::vector<std::string>{"u1", "u2", "u3"});
}

TEST_CASE("Summary: share of interactions on the top 20% of items", "[data][summary]") {
  Dataset d;
  for (const char* u : {"u1", "u2"}) d.users.intern(u);
  // Ten items with 6, 2, 1, 1 interactions and six without: the top two items (20%) hold 8 of 10.
  for (int i = 0; i < 10; ++i) d.items.intern("i" + std::to_string(i));
  const std::vector<std::pair<Index, int>> rows{{3, 6}, {1, 2}, {7, 1}, {0, 1}};
  for (const auto& [item, n] : rows) {
    for (int k = 0; k < n; ++k) d.interactions.push(static_cast<Index>(k % 2), item, 1.0f, k);
  }
  const auto s = summarizeDataset(d);
  CHECK(s.top20ItemShare == Approx(0.8));
  CHECK(s.itemsWithoutInteractions == 6);
  CHECK(s.perItem.max == Approx(6));  // the quantiles still see every active item
  CHECK(summarizeDataset(Dataset{}).top20ItemShare == 0.0);
}

TEST_CASE("Attribute files: a stray quote skips one line, multi-line titles stay (issue 13)",
          "[data][attributes]") {
  test::TempDir dir;
  test::writeFile(dir / "interactions.csv", "user_id,item_id\nu1,p1\n");
  test::writeFile(dir / "items.csv",
                  "item_id,title\np1,\"Bad\np2,Good\np3,\"Multi\nline\"\np4,Last\n");
  DatasetOptions o;
  o.interactions.strict = false;
  TaskContext ctx;
  const auto r = loadDataset(dir.path().string(), o, ctx);
  CHECK(r.rowsSkipped() == 1);
  REQUIRE(r.issues.size() == 1);
  CHECK(r.issues[0].line == 2);
  CHECK(r.dataset.numItems() == 4);  // p1 (interactions), p2, p3, p4
  CHECK(itemAttr(r.dataset, "p3", "title") == "Multi\nline");
  CHECK(itemAttr(r.dataset, "p4", "title") == "Last");
  checkAccount(r);
}

TEST_CASE("Attribute files: duplicate column names are refused (issue 13)", "[data][attributes]") {
  test::TempDir dir;
  test::writeFile(dir / "interactions.csv", "user_id,item_id\nu1,p1\n");
  test::writeFile(dir / "items.csv", "item_id,color,size,color\np1,red,L,blue\n");
  for (bool strict : {true, false}) {
    DatasetOptions o;
    o.interactions.strict = strict;
    TaskContext ctx;
    try {
      loadDataset(dir.path().string(), o, ctx);
      FAIL("expected a ParseError");
    } catch (const ParseError& e) {
      CHECK(e.file().find("items.csv") != std::string::npos);
      CHECK(e.line() == 1);
      CHECK(e.column() == 4);
      CHECK_THAT(e.reason(), Catch::Contains("'color' (columns 2 and 4)"));
    }
  }
}

TEST_CASE("adoptIdMapsOf and accountNotes: what a run shares and records of its loads",
          "[data][loader]") {
  test::TempDir dir;
  test::writeFile(dir / "train.csv", "user,item,rating\nu1,i1,5\nu2,i2,4\n");
  test::writeFile(dir / "test.csv", "user,item,rating\nu3,i1,5\nu1,i9,x\n");
  TaskContext ctx;
  DatasetOptions o;
  const auto train = loadDataset((dir / "train.csv").string(), o, ctx);
  DatasetOptions onTop;
  onTop.base = &train.dataset;
  onTop.interactions.strict = false;
  const auto test = loadDataset((dir / "test.csv").string(), onTop, ctx);
  Dataset t = train.dataset;
  REQUIRE(t.numUsers() == 2);
  t.adoptIdMapsOf(test.dataset);
  CHECK(t.numUsers() == 3);  // u3 from the test file
  CHECK(t.users.external(0) == "u1");
  CHECK(t.numInteractions() == 2);  // the training rows stay, their indices still valid
  CHECK(t.items.external(t.interactions.item[1]) == "i2");
  // The skipped row is recorded with its reason, after the loader's notes.
  const auto notes = test.accountNotes();
  REQUIRE(notes.size() >= 1);
  CHECK(notes.back().rfind("skipped 1 rows: ", 0) == 0);
}

TEST_CASE("MovieLens 100K: release dates become seconds; a malformed one is a located error",
          "[data][loader][movielens]") {
  test::TempDir dir;
  const std::string flags = "|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|1";
  test::writeFile(dir / "u.data", "1\t1\t5\t874965758\n1\t2\t3\t876893171\n");
  test::writeFile(dir / "u.item", "1|Good (1995)|02-Mar-1995|5-Apr-1996|http://x/1" + flags +
                                      "\n2|Old (1971)|4-Feb-1971||http://x/2" + flags + "\n");
  TaskContext ctx;
  const auto r = loadDataset(dir.path().string(), {}, ctx);
  const auto& d = r.dataset;
  CHECK(itemAttr(d, "1", "release_date") == "794102400");
  CHECK(itemAttr(d, "1", "video_release_date") == "828662400");
  CHECK(itemAttr(d, "1", "url") == "http://x/1");
  CHECK(itemAttr(d, "2", "release_date") == "34473600");
  test::writeFile(dir / "u.item", "1|Bad (1996)|1996-03-02||http://x/1" + flags + "\n");
  CHECK_THROWS_WITH(loadDataset(dir.path().string(), {}, ctx),
                    Catch::Contains("u.item:1:3: release date is not dd-Mon-yyyy"));
}
