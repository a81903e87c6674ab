#include "core/data/dataset_writer.h"

#include <fstream>
#include <sstream>

#include "core/data/dataset_loader.h"
#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {
std::string readAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("formatValue writes the shortest round-trip form", "[data][writer]") {
  CHECK(formatValue(4.0f) == "4");
  CHECK(formatValue(2.5f) == "2.5");
  CHECK(formatValue(0.1f) == "0.1");
  CHECK(formatValue(-3.0f) == "-3");
}

TEST_CASE("writeDatasetFolder writes the RecWorkbench layout with ids as read", "[data][writer]") {
  Dataset d;
  d.interactions.eventNames = {"view", "purchase"};
  d.interactions.push(d.users.intern("007"), d.items.intern("sku,1"), 1.0f, 1700000000, 0);
  d.interactions.push(d.users.intern("b"), d.items.intern("x"), 5.0f, kNoTimestamp, 1);
  d.items.intern("never-seen");
  AttributeColumn cat;
  cat.name = "category";
  cat.type = ColumnType::kCategorical;
  cat.codes = {cat.internCategory("Home & Kitchen"), cat.internCategory("Books"), -1};
  AttributeColumn desc;
  desc.name = "description";
  desc.type = ColumnType::kText;
  desc.text = {"a \"quoted\" lamp, white", "novel", ""};
  AttributeColumn price;
  price.name = "price";
  price.type = ColumnType::kNumeric;
  price.numeric = {19.99, 7.5, 3};
  d.itemAttributes.columns = {cat, price, desc};
  test::TempDir tmp;
  TaskContext ctx;
  const auto w = writeDatasetFolder(d, (tmp / "out").string(), {}, ctx);
  CHECK(w.files.size() == 2);  // no user attributes -> no users.csv
  CHECK(w.interactionRows == 2);
  CHECK(readAll(tmp / "out" / "interactions.csv") ==
        "user_id,item_id,event,value,timestamp\n"
        "007,\"sku,1\",view,1,1700000000\n"
        "b,x,purchase,5,\n");
  CHECK(readAll(tmp / "out" / "items.csv") ==
        "item_id,category,price,description\n"
        "\"sku,1\",Home & Kitchen,19.99,\"a \"\"quoted\"\" lamp, white\"\n"
        "x,Books,7.5,novel\n"
        "never-seen,,3,\n");
  CHECK_FALSE(std::filesystem::exists(tmp / "out" / "users.csv"));
}

TEST_CASE("writeInteractionsTsv writes u.data style rows, quoting ids that need it",
          "[data][writer]") {
  Dataset d;
  d.interactions.push(d.users.intern("196"), d.items.intern("242"), 3.0f, 881250949);
  d.interactions.push(d.users.intern("22"), d.items.intern("377"), 1.5f, kNoTimestamp);
  test::TempDir tmp;
  TaskContext ctx;
  writeInteractionsTsv(d, (tmp / "a.tsv").string(), ctx);
  CHECK(readAll(tmp / "a.tsv") == "196\t242\t3\t881250949\n22\t377\t1.5\t\n");
  // Issue 13: a tab inside an id is quoted (RFC 4180), never written raw.
  d.interactions.push(d.users.intern("22"), d.items.intern("bad\tid"), 1.0f, 5);
  writeInteractionsTsv(d, (tmp / "b.tsv").string(), ctx);
  CHECK(readAll(tmp / "b.tsv") ==
        "196\t242\t3\t881250949\n22\t377\t1.5\t\n22\t\"bad\tid\"\t1\t5\n");
  CHECK_THROWS_AS(writeInteractionsTsv(d, (tmp / "no-such-dir" / "c.tsv").string(), ctx), IoError);
}

TEST_CASE("ids with tabs, commas, quotes, line breaks and unicode survive write and load",
          "[data][writer]") {
  // Regression for issue 13 section 2: every writer quotes the same way and the loaders read
  // the quoted form back, so ids come back equal whatever they hold. (Not edge spaces: the
  // loaders trim ids, quoted or not, so no loaded dataset holds such an id.)
  const std::vector<std::string> users = {"tab\there",
                                          "comma,here",
                                          "say \"hi\"",
                                          "two\nlines",
                                          "cr\rlf",
                                          "in ner",
                                          "caf\xc3\xa9 \xe2\x9c\x93"};
  const std::vector<std::string> items = {
      "i\t1", "i,2", "\"i3\"", "i\n4", "i5", "i6", "\xe6\x97\xa5\xe6\x9c\xac"};
  Dataset d;
  d.interactions.eventNames = {"view", "add\tto cart"};
  for (std::size_t k = 0; k < users.size(); ++k) {
    d.interactions.push(d.users.intern(users[k]), d.items.intern(items[k]),
                        static_cast<float>(k + 1), 100 + static_cast<std::int64_t>(k),
                        static_cast<std::uint8_t>(k % 2));
  }
  test::TempDir tmp;
  TaskContext ctx;
  writeInteractionsTsv(d, (tmp / "t.tsv").string(), ctx);
  writeDatasetFolder(d, (tmp / "f").string(), {}, ctx);
  for (const auto& path : {tmp / "t.tsv", tmp / "f"}) {
    INFO(path.string());
    const auto back = loadDataset(path.string(), {}, ctx);
    const auto& log = back.dataset.interactions;
    REQUIRE(log.size() == users.size());
    for (std::size_t k = 0; k < users.size(); ++k) {
      CHECK(back.dataset.users.external(log.user[k]) == users[k]);
      CHECK(back.dataset.items.external(log.item[k]) == items[k]);
      CHECK(log.eventNames[log.event[k]] == d.interactions.eventNames[k % 2]);
      CHECK(log.value[k] == d.interactions.value[k]);
    }
  }
}

TEST_CASE("writeInteractionsTsv keeps event types behind a header, and they load back",
          "[data][writer]") {
  Dataset d;
  d.interactions.eventNames = {"view", "purchase"};
  d.interactions.push(d.users.intern("u1"), d.items.intern("i1"), 1.0f, 100, 1);
  d.interactions.push(d.users.intern("u2"), d.items.intern("i2"), 2.0f, 200, 0);
  test::TempDir tmp;
  TaskContext ctx;
  writeInteractionsTsv(d, (tmp / "e.tsv").string(), ctx);
  CHECK(readAll(tmp / "e.tsv") ==
        "user_id\titem_id\tevent\tvalue\ttimestamp\n"
        "u1\ti1\tpurchase\t1\t100\n"
        "u2\ti2\tview\t2\t200\n");
  const auto back = loadDataset((tmp / "e.tsv").string(), {}, ctx);
  const auto& log = back.dataset.interactions;
  REQUIRE(log.hasEvents());
  REQUIRE(log.size() == 2);
  CHECK(log.eventNames[log.event[0]] == "purchase");
  CHECK(log.eventNames[log.event[1]] == "view");
  CHECK(log.value == d.interactions.value);
}

TEST_CASE("logs without timestamps or events are written without those columns and load back",
          "[data][writer]") {
  Dataset d;
  d.interactions.push(d.users.intern("u1"), d.items.intern("i1"), 4.0f, kNoTimestamp);
  d.interactions.push(d.users.intern("u2"), d.items.intern("i2"), 2.5f, kNoTimestamp);
  test::TempDir tmp;
  TaskContext ctx;
  writeInteractionsTsv(d, (tmp / "a.tsv").string(), ctx);
  CHECK(readAll(tmp / "a.tsv") == "u1\ti1\t4\nu2\ti2\t2.5\n");
  writeDatasetFolder(d, (tmp / "f").string(), {}, ctx);
  CHECK(readAll(tmp / "f" / "interactions.csv") == "user_id,item_id,value\nu1,i1,4\nu2,i2,2.5\n");
  // Both load back as they were (before, an empty timestamp field made them unreadable).
  for (const auto& path : {tmp / "a.tsv", tmp / "f"}) {
    const auto back = loadDataset(path.string(), {}, ctx);
    const auto& log = back.dataset.interactions;
    REQUIRE(log.size() == 2);
    CHECK(log.value == d.interactions.value);
    CHECK(log.timestamp == d.interactions.timestamp);
    CHECK_FALSE(log.hasEvents());
  }
}

TEST_CASE("a cancelled write leaves no partial file", "[data][writer]") {
  Dataset d;
  for (int k = 0; k < 10; ++k) d.interactions.push(d.users.intern("u"), d.items.intern("i"), 1, k);
  test::TempDir tmp;
  TaskContext ctx;
  ctx.requestStop();
  CHECK_THROWS_AS(writeInteractionsTsv(d, (tmp / "a.tsv").string(), ctx), Cancelled);
  CHECK_FALSE(std::filesystem::exists(tmp / "a.tsv"));
  CHECK_THROWS_AS(writeDatasetFolder(d, (tmp / "f").string(), {}, ctx), Cancelled);
  CHECK_FALSE(std::filesystem::exists(tmp / "f" / "interactions.csv"));
}
