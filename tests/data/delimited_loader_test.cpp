// GCC 12 reports false -Wrestrict / -Wmaybe-uninitialized warnings inside libstdc++ when short
// string literals are assigned to std::string at -O2 (GCC bug 105651); they are not ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "core/data/delimited_loader.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {

/// Writes text to a temporary file and loads it.
LoadResult loadText(const std::string& text, DelimitedOptions options = {}) {
  test::TempDir dir;
  const auto path = (dir / "data.csv").string();
  test::writeFile(path, text);
  TaskContext ctx;
  return loadDelimited(path, options, ctx);
}

DelimitedOptions lenient() {
  DelimitedOptions o;
  o.strict = false;
  return o;
}

/// The ParseError thrown by a strict load of text.
ParseError strictError(const std::string& text, DelimitedOptions options = {}) {
  try {
    loadText(text, options);
  } catch (const ParseError& e) {
    return e;
  }
  FAIL("expected a ParseError");
  return ParseError("", 0, 0, "");
}

void checkAccount(const LoadResult& r) {
  for (const auto& t : r.tables) REQUIRE(t.rowsLoaded + t.rowsSkipped == t.rowsRead);
}

}  // namespace

TEST_CASE("Delimited: header with well-known names, any order", "[data][delimited]") {
  const auto r =
      loadText("timestamp,rating,itemId,userId\n100,4.5,i1,u1\n200,3,i2,u1\n50,1,i1,u2\n");
  const auto& d = r.dataset;
  REQUIRE(d.numInteractions() == 3);
  CHECK(d.numUsers() == 2);
  CHECK(d.numItems() == 2);
  CHECK(d.users.external(d.interactions.user[2]) == "u2");
  CHECK(d.items.external(d.interactions.item[1]) == "i2");
  CHECK(d.interactions.value[0] == Approx(4.5));
  CHECK(d.interactions.timestamp[2] == 50);
  CHECK(r.rowsRead() == 3);
  checkAccount(r);
}

TEST_CASE("Delimited: no header, positional columns, tab detected (u.data style)",
          "[data][delimited]") {
  const auto r = loadText("196\t242\t3\t881250949\n186\t302\t3\t891717742\n");
  REQUIRE(r.dataset.numInteractions() == 2);
  CHECK(r.dataset.users.external(0) == "196");
  CHECK(r.dataset.interactions.timestamp[1] == 891717742);
}

TEST_CASE("Delimited: explicit mapping by name and by position, implicit value",
          "[data][delimited]") {
  DelimitedOptions o;
  o.user.name = "Customer";
  o.item.position = 2;
  o.timestamp.name = "when";
  const auto r = loadText("Customer;when;Product\nc1;2024-01-02;p9\n", o);
  REQUIRE(r.dataset.numInteractions() == 1);
  CHECK(r.dataset.items.external(0) == "p9");
  CHECK(r.dataset.interactions.value[0] == Approx(1.0));
  CHECK(r.dataset.interactions.timestamp[0] == 1704153600);
}

TEST_CASE("Delimited: ISO dates, event types and ids kept exactly", "[data][delimited]") {
  const auto r = loadText(
      "user_id,item_id,event,timestamp\n007,\"A,1\",view,2024-01-02T03:04:05Z\n"
      "7,A,purchase,2024-01-02\n007,A,view,1704164645\n");
  const auto& d = r.dataset;
  REQUIRE(d.numInteractions() == 3);
  CHECK(d.users.external(0) == "007");
  CHECK(d.users.external(1) == "7");
  CHECK(d.items.external(0) == "A,1");
  CHECK(d.interactions.hasEvents());
  CHECK(d.interactions.eventNames == std::vector<std::string>{"view", "purchase"});
  CHECK(d.interactions.event == std::vector<std::uint8_t>{0, 1, 0});
  CHECK(d.interactions.timestamp[0] == 1704164645);
  CHECK(d.interactions.timestamp[2] == 1704164645);
}

TEST_CASE("Delimited: empty file and header-only file", "[data][delimited]") {
  CHECK_THROWS_AS(loadText(""), ParseError);
  CHECK(strictError("").reason() == "the file is empty");
  const auto lenientEmpty = loadText("", lenient());
  CHECK(lenientEmpty.rowsRead() == 0);
  CHECK(lenientEmpty.dataset.numInteractions() == 0);
  const auto headerOnly = loadText("user,item,rating\n");
  CHECK(headerOnly.dataset.numInteractions() == 0);
  CHECK(headerOnly.rowsRead() == 0);
  checkAccount(headerOnly);
}

TEST_CASE("Delimited: missing and unknown columns", "[data][delimited]") {
  auto e = strictError("user,rating\nu1,5\n");
  CHECK(e.line() == 1);
  CHECK_THAT(e.reason(), Catch::Contains("no item column"));
  DelimitedOptions o;
  o.value.name = "stars";
  e = strictError("user,item,rating\nu1,i1,5\n", o);
  CHECK_THAT(e.reason(), Catch::Contains("no column named 'stars'"));
  DelimitedOptions p;
  p.timestamp.position = 7;
  e = strictError("u1,i1,5\n", p);
  CHECK_THAT(e.reason(), Catch::Contains("out of range"));
  CHECK_THROWS_AS(loadText("onlyonecolumn\nx\n"), ParseError);
}

TEST_CASE("Delimited: wrong field count", "[data][delimited]") {
  const std::string text = "user,item,rating\nu1,i1,5\nu2,i2\nu3,i3,4,extra\nu4,i4,3\n";
  auto e = strictError(text);
  CHECK(e.line() == 3);
  CHECK_THAT(e.reason(), Catch::Contains("wrong number of fields"));
  const auto r = loadText(text, lenient());
  CHECK(r.rowsRead() == 4);
  CHECK(r.rowsLoaded() == 2);
  CHECK(r.rowsSkipped() == 2);
  CHECK(r.skippedByReason.at("wrong number of fields") == 2);
  REQUIRE(r.issues.size() == 2);
  CHECK(r.issues[1].line == 4);
  checkAccount(r);
}

TEST_CASE("Delimited: non-numeric, NaN and infinite values", "[data][delimited]") {
  const std::string text = "user,item,rating\nu1,i1,abc\nu1,i2,nan\nu1,i3,inf\nu1,i4,\nu1,i5,2\n";
  auto e = strictError(text);
  CHECK(e.line() == 2);
  CHECK(e.column() == 3);
  CHECK(std::string(e.what()).find("data.csv:2:3: value is not a number: 'abc'") !=
        std::string::npos);
  const auto r = loadText(text, lenient());
  CHECK(r.rowsLoaded() == 1);
  CHECK(r.skippedByReason.at("value is not a number") == 2);
  CHECK(r.skippedByReason.at("value is not finite") == 2);
  CHECK(r.dataset.numItems() == 1);  // rejected rows add no ids
  checkAccount(r);
}

TEST_CASE("Delimited: bad timestamps", "[data][delimited]") {
  const std::string text =
      "user,item,rating,timestamp\nu,i,1,2024-02-30\nu,i,1,soon\nu,i,1,\nu,i,1,2024-02-29\n";
  auto e = strictError(text);
  CHECK(e.line() == 2);
  CHECK(e.column() == 4);
  const auto r = loadText(text, lenient());
  CHECK(r.rowsLoaded() == 1);
  CHECK(r.rowsSkipped() == 3);
  checkAccount(r);
}

TEST_CASE("Delimited: unterminated quote, invalid UTF-8, Latin-1 option", "[data][delimited]") {
  auto e = strictError("user,item\nu1,i1\nu2,\"i2\nu3,i3\n");
  CHECK(e.line() == 3);
  CHECK_THAT(e.reason(), Catch::Contains("unterminated quoted field"));
  const std::string latin = "user,item\nu1,caf\xE9\nu2,ok\n";
  e = strictError(latin);
  CHECK(e.line() == 2);
  CHECK(e.column() == 2);
  CHECK_THAT(e.reason(), Catch::Contains("invalid UTF-8"));
  const auto r = loadText(latin, lenient());
  CHECK(r.rowsLoaded() == 1);
  CHECK(r.skippedByReason.count("invalid UTF-8 (use the Latin-1 encoding option if the file is "
                                "Latin-1)") == 1);
  DelimitedOptions l;
  l.encoding = TextEncoding::kLatin1;
  const auto ok = loadText(latin, l);
  CHECK(ok.dataset.items.external(0) == "caf\xC3\xA9");
}

TEST_CASE("Delimited: binary garbage is rejected cleanly", "[data][delimited]") {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 7919 + 13) % 256));
  CHECK_THROWS_AS(loadText(garbage), ParseError);
  // Lenient mode cannot skip its way through either: the bytes are not text (NUL bytes,
  // invalid UTF-8), which refuses the file rather than one row.
  CHECK_THROWS_AS(loadText(garbage, lenient()), ParseError);
}

TEST_CASE("Delimited: truncated last line, CRLF, blank lines", "[data][delimited]") {
  const auto r = loadText("user,item,rating\r\nu1,i1,5\r\n\r\nu2,i2,3");
  REQUIRE(r.dataset.numInteractions() == 2);
  CHECK(r.dataset.interactions.value[1] == Approx(3));
  CHECK(r.dataset.users.external(1) == "u2");
  CHECK(r.rowsRead() == 2);
}

TEST_CASE("Delimited: duplicate pairs are loaded and counted", "[data][delimited]") {
  const auto r = loadText("u,i,r\n1,1,5\n1,1,4\n1,2,3\n1,1,2\n2,1,1\n", [] {
    DelimitedOptions o;
    o.header = HeaderMode::kYes;
    o.user.name = "u";
    o.item.name = "i";
    o.value.name = "r";
    return o;
  }());
  CHECK(r.dataset.numInteractions() == 5);
  CHECK(r.duplicatePairs == 2);
}

TEST_CASE("Delimited: lenient lists at most 20 issues but counts all", "[data][delimited]") {
  std::string text = "user,item,rating\n";
  for (int i = 0; i < 50; ++i) text += "u,i,bad\n";
  text += "u,i,1\n";
  const auto r = loadText(text, lenient());
  CHECK(r.rowsSkipped() == 50);
  CHECK(r.issues.size() == LoadResult::kMaxIssues);
  CHECK(r.rowsLoaded() == 1);
  checkAccount(r);
}

TEST_CASE("Delimited: a base dataset shares id maps", "[data][delimited]") {
  test::TempDir dir;
  test::writeFile(dir / "train.csv", "user,item\na,x\nb,y\n");
  test::writeFile(dir / "test.csv", "user,item\nb,x\nc,z\n");
  TaskContext ctx;
  const auto train = loadDelimited((dir / "train.csv").string(), {}, ctx);
  const auto test = loadDelimited((dir / "test.csv").string(), {}, ctx, &train.dataset);
  CHECK(test.dataset.users.external(test.dataset.interactions.user[0]) == "b");
  CHECK(test.dataset.interactions.user[0] == 1);
  CHECK(test.dataset.interactions.item[0] == 0);
  CHECK(test.dataset.numUsers() == 3);
}

TEST_CASE("Delimited: cancel throws Cancelled", "[data][delimited]") {
  test::TempDir dir;
  std::string text = "user,item\n";
  for (int i = 0; i < 40000; ++i) text += std::to_string(i) + ",1\n";
  test::writeFile(dir / "c.csv", text);
  TaskContext ctx;
  ctx.requestStop();
  CHECK_THROWS_AS(loadDelimited((dir / "c.csv").string(), {}, ctx), Cancelled);
}

TEST_CASE("Delimited: indices follow first appearance with mixed integer and text ids",
          "[data][delimited]") {
  // Guards the deferred bulk interning of integer ids: switching to text ids mid-file must not
  // reorder indices.
  const auto r = loadText("user,item\n5,10\n3,10\nx7,11\n5,12\n007,10\n3,x\n9,10\n");
  const auto& d = r.dataset;
  CHECK(d.users.names() == std::vector<std::string>{"5", "3", "x7", "007", "9"});
  CHECK(d.items.names() == std::vector<std::string>{"10", "11", "12", "x"});
  CHECK(d.interactions.user == std::vector<Index>{0, 1, 2, 0, 3, 1, 4});
  CHECK(d.interactions.item == std::vector<Index>{0, 0, 1, 2, 0, 3, 0});
}

TEST_CASE("Delimited: progress reaches 1 and stays within [0, 1]", "[data][delimited]") {
  test::TempDir dir;
  std::string text = "user,item,rating\n";
  for (int i = 0; i < 100000; ++i)
    text += std::to_string(i % 977) + "," + std::to_string(i % 313) + ",1\n";
  test::writeFile(dir / "p.csv", text);
  TaskContext ctx;
  double last = -1, lo = 2, hi = -1;
  ctx.setProgressCallback(
      [&](double f, std::string_view) {
        last = f;
        lo = std::min(lo, f);
        hi = std::max(hi, f);
      },
      std::chrono::milliseconds(0));
  const auto r = loadDelimited((dir / "p.csv").string(), {}, ctx);
  CHECK(r.dataset.numInteractions() == 100000);
  CHECK(last == Approx(1.0));
  CHECK(lo >= 0.0);
  CHECK(hi <= 1.0);
}

TEST_CASE("Delimited: a first record of 1 MiB or more loads (issue 13: crashed in next())",
          "[data][delimited]") {
  // The exact file of the report, then a 3 MiB id in the middle of a headed file.
  const std::string first(std::size_t{1} << 20, 'a');
  const auto r = loadText(first + ",b\nu1,i1\n");
  REQUIRE(r.dataset.numInteractions() == 2);
  CHECK(r.dataset.users.external(0) == first);
  CHECK(r.dataset.items.external(1) == "i1");
  checkAccount(r);
  const std::string huge(std::size_t{3} << 20, 'x');
  const auto m = loadText("user,item,rating\nu1,i1,1\nu2," + huge + ",2\nu3,i3,3\n");
  REQUIRE(m.dataset.numInteractions() == 3);
  CHECK(m.dataset.items.external(1) == huge);
  CHECK(m.rowsRead() == 3);
  checkAccount(m);
}

TEST_CASE("Delimited: an unterminated quote skips its own line only (issue 13)",
          "[data][delimited]") {
  // Regression: in lenient mode the report said "skipped 1" while every later line was lost.
  const std::string text = "user,item,rating\nu1,i1,1\nu2,\"i2,2\nu3,i3,3\nu4,\"i4\",4\nu5,i5,5\n";
  const auto r = loadText(text, lenient());
  CHECK(r.rowsRead() == 5);
  CHECK(r.rowsLoaded() == 4);
  CHECK(r.rowsSkipped() == 1);
  REQUIRE(r.issues.size() == 1);
  CHECK(r.issues[0].line == 3);
  CHECK(r.issues[0].column == 2);
  CHECK_THAT(r.issues[0].reason, Catch::Contains("unterminated quoted field"));
  CHECK_THAT(r.issues[0].reason, Catch::Contains("character 4"));
  CHECK(r.dataset.users.names() == std::vector<std::string>{"u1", "u3", "u4", "u5"});
  CHECK(r.dataset.items.external(2) == "i4");
  checkAccount(r);
  const auto e = strictError(text);
  CHECK(e.line() == 3);
  CHECK(e.column() == 2);
  // A stray quote that pairs into a record of the right width of a quoted line break would be
  // loaded; one of the wrong width is split back into its lines.
  const auto w = loadText("user,item\nu1,\"i1\nu2,i2\",x\nu3,i3\n", lenient());
  CHECK(w.rowsRead() == 3);
  CHECK(w.rowsLoaded() == 1);
  CHECK(w.skippedByReason.at("unterminated quoted field") == 1);
  CHECK(w.skippedByReason.at("wrong number of fields") == 1);
  checkAccount(w);
}

TEST_CASE("Delimited: duplicate header names are refused naming both columns (issue 13)",
          "[data][delimited]") {
  // Regression: user_id,user_id,... was resolved silently to the first column.
  for (bool strict : {true, false}) {
    DelimitedOptions o;
    o.strict = strict;
    const auto e = strictError("user_id,user_id,item_id,rating\nu1,u2,i1,5\n", o);
    CHECK(e.file().find("data.csv") != std::string::npos);
    CHECK(e.line() == 1);
    CHECK(e.column() == 2);
    CHECK_THAT(e.reason(), Catch::Contains("duplicate column name 'user_id' (columns 1 and 2)"));
  }
  // Also when the duplicate is not a mapped column: the header is ambiguous either way.
  CHECK_THAT(strictError("user,item,note,note\nu,i,a,b\n").reason(),
             Catch::Contains("columns 3 and 4"));
  // Two spellings of one well-known name: ambiguous unless named exactly.
  const auto a = strictError("userId,user_id,item\nu1,u2,i1\n");
  CHECK(a.line() == 1);
  CHECK_THAT(a.reason(), Catch::Contains("columns 1 ('userId') and 2 ('user_id')"));
  DelimitedOptions exact;
  exact.user.name = "user_id";
  const auto ok = loadText("userId,user_id,item\nu1,u2,i1\n", exact);
  CHECK(ok.dataset.users.external(0) == "u2");
  // Empty header cells are not names: they may repeat.
  const auto blanks = loadText("user,item,,\nu,i,x,y\n");
  CHECK(blanks.dataset.numInteractions() == 1);
}

TEST_CASE("Delimited: implausible timestamps are loaded, counted and located (issue 13)",
          "[data][delimited]") {
  // Regression: one timestamp in year 3000 (or in milliseconds) was accepted without a word and
  // zeroed SAR's time decay for everyone.
  const auto r = loadText(
      "user,item,rating,timestamp\nu1,i1,1,1700000000\nu2,i2,1,32503680000\n"
      "u3,i3,1,1700000000000\nu4,i4,1,-5\nu5,i5,1,4102444799\n");
  CHECK(r.rowsLoaded() == 5);  // nothing is dropped
  const auto& w = r.implausibleTimestamps;
  CHECK(w.count == 3);
  CHECK(w.line == 3);
  CHECK(w.user == "u2");
  CHECK(w.item == "i2");
  CHECK(w.value == 32503680000);
  CHECK(w.file.find("data.csv") != std::string::npos);
  const auto note = std::find_if(r.notes.begin(), r.notes.end(),
                                 [](const std::string& n) { return n.rfind("warning: ", 0) == 0; });
  REQUIRE(note != r.notes.end());
  CHECK_THAT(*note, Catch::Contains("3 interaction(s)"));
  CHECK_THAT(*note, Catch::Contains("data.csv:3 (user 'u2', item 'i2')"));
  CHECK_THAT(*note, Catch::Contains("3000-01-01T00:00:00Z"));
  const auto clean = loadText("user,item,timestamp\nu1,i1,0\nu2,i2,2024-01-01\n");
  CHECK(clean.implausibleTimestamps.count == 0);
  CHECK(std::none_of(clean.notes.begin(), clean.notes.end(),
                     [](const std::string& n) { return n.rfind("warning: ", 0) == 0; }));
}

TEST_CASE("Delimited: CR-only line ends and UTF-16 are refused, not read as one row",
          "[data][delimited]") {
  // Before: "user,item\ru1,i1\ru2,i2" was one header row with garbled column names (or, without
  // a header, one row); UTF-16 was "contains a NUL byte (binary data?)".
  for (bool strict : {true, false}) {
    DelimitedOptions o;
    o.strict = strict;
    auto e = strictError("user,item\ru1,i1\ru2,i2\r", o);
    CHECK(e.line() == 1);
    CHECK_THAT(e.reason(), Catch::Contains("lone CR"));
    e = strictError(std::string("\xFF\xFEu\0,\0i\0\n\0", 10), o);
    CHECK_THAT(e.reason(), Catch::Contains("UTF-16"));
  }
  // CRLF, a final CR, and a CR inside a quoted field of an LF file are fine.
  CHECK(loadText("user,item\r\nu1,i1\r\nu2,i2\r").rowsLoaded() == 2);
  CHECK(loadText("user,item\nu1,\"a\rb\"\n").dataset.items.external(0) == "a\rb");
  CHECK(loadText("u1,i1\r").rowsLoaded() == 1);
}

TEST_CASE("Delimited: a stray quote that pairs into an invalid row still costs one line",
          "[data][delimited]") {
  // The quote on line 3 pairs with the literal quote of line 5 ("3\"" followed by ','): a record
  // of the right width whose value is not a number. Before: one skipped row for lines 3-5.
  const std::string text = "user,item,rating\nu1,i1,1\nu2,\"i2,2\nu3,i3,3\nu4,i4,3\",x\nu5,i5,5\n";
  const auto r = loadText(text, lenient());
  CHECK(r.rowsRead() == 5);  // one row per line
  CHECK(r.rowsLoaded() == 3);
  CHECK(r.skippedByReason.at("unterminated quoted field") == 1);
  CHECK(r.skippedByReason.at("wrong number of fields") == 1);  // line 5 read on its own
  REQUIRE(r.issues.size() == 2);
  CHECK(r.issues[0].line == 3);
  CHECK(r.dataset.users.names() == std::vector<std::string>{"u1", "u3", "u5"});
  checkAccount(r);
  CHECK(strictError(text).line() == 3);
  // A row that spans lines and is valid is loaded, with a note naming its lines.
  const auto m = loadText("user,item,rating\nu1,\"i1\nu2,i2\",5\nu3,i3,3\n");
  CHECK(m.rowsLoaded() == 2);
  CHECK(std::any_of(m.notes.begin(), m.notes.end(), [](const std::string& n) {
    return n.find("1 row(s) hold quoted line breaks and span several lines (first: lines 2-3)") !=
           std::string::npos;
  }));
}

TEST_CASE("Delimited: without a header, an invalid first row that spans lines costs one line",
          "[data][delimited]") {
  DelimitedOptions o = lenient();
  o.header = HeaderMode::kNo;
  const auto r = loadText("u1,\"i1,1\nu2,i2,2\nu3,i3\",x\nu4,i4,4\n", o);
  CHECK(r.rowsRead() == 4);
  CHECK(r.rowsLoaded() == 2);
  REQUIRE_FALSE(r.issues.empty());
  CHECK(r.issues[0].line == 1);
  CHECK(r.skippedByReason.at("unterminated quoted field") == 1);
  checkAccount(r);
}
