// Randomised robustness (a libFuzzer-style harness run as a test): random bytes and mutations of
// valid files must end in a successful load or a clean rwb::ParseError, never anything else.
// ASan/UBSan builds make this the memory-safety check of the parsers.
// GCC 12 reports false -Wrestrict / -Wmaybe-uninitialized warnings inside libstdc++ when short
// string literals are assigned to std::string at -O2 (GCC bug 105651); they are not ours.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <catch2/catch.hpp>
#include <random>
#include <string>

#include "core/data/csv_reader.h"
#include "core/data/dataset_loader.h"
#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {

/// Loads bytes in strict and lenient mode; returns how many loads succeeded. Any exception
/// other than ParseError fails the test.
int loadBoth(const test::TempDir& dir, const std::string& bytes, int n) {
  const auto path = (dir / ("f" + std::to_string(n) + ".csv")).string();
  test::writeFile(path, bytes);
  int ok = 0;
  for (bool strict : {true, false}) {
    DatasetOptions o;
    o.format = DataFormat::kDelimited;
    o.interactions.strict = strict;
    TaskContext ctx;
    try {
      const auto r = loadDataset(path, o, ctx);
      for (const auto& t : r.tables) REQUIRE(t.rowsLoaded + t.rowsSkipped == t.rowsRead);
      REQUIRE(r.dataset.interactions.user.size() == r.dataset.interactions.item.size());
      ++ok;
    } catch (const ParseError& e) {
      REQUIRE(std::string(e.what()).size() > 0);
    }
  }
  std::filesystem::remove(path);
  return ok;
}

const char* const kValid =
    "user_id,item_id,rating,timestamp,event\n"
    "u1,i1,4.5,1700000000,view\n"
    "u2,\"i,2\",3,2024-01-02T03:04:05Z,click\n"
    "u1,\"multi\nline\",1,1700000100,view\n"
    "u3,i3,5,1700000200,purchase\r\n";

}  // namespace

TEST_CASE("Robustness: random bytes never crash the loader", "[data][fuzz]") {
  test::TempDir dir;
  std::mt19937 rng(12345);
  int successes = 0;
  for (int n = 0; n < 300; ++n) {
    std::string bytes(rng() % 600, '\0');
    // Bias towards the bytes the parser cares about.
    const std::string special = ",;\t|:\"\r\n0123456789.-eE ";
    for (auto& c : bytes) {
      c = rng() % 3 == 0 ? static_cast<char>(rng() % 256) : special[rng() % special.size()];
    }
    successes += loadBoth(dir, bytes, n);
  }
  CHECK(successes > 0);  // some random inputs are valid CSV; the loop really parses
}

TEST_CASE("Robustness: mutated valid files never crash the loader", "[data][fuzz]") {
  test::TempDir dir;
  int loaded = 0;
  std::mt19937 rng(777);
  const std::string base = kValid;
  REQUIRE(loadBoth(dir, base, -1) == 2);
  for (int n = 0; n < 400; ++n) {
    std::string bytes = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !bytes.empty(); ++k) {
      const std::size_t at = rng() % bytes.size();
      switch (rng() % 5) {
        case 0:
          bytes[at] = static_cast<char>(rng() % 256);
          break;  // flip
        case 1:
          bytes.erase(at, 1 + rng() % 8);
          break;  // delete
        case 2:
          bytes.insert(at, 1, "\",\n\r\0\xFF"[rng() % 6]);
          break;  // insert
        case 3:
          bytes.resize(at);
          break;  // truncate
        default:
          bytes.insert(at, bytes.substr(rng() % bytes.size(), 12));  // duplicate
      }
    }
    loaded += loadBoth(dir, bytes, n);
  }
  // Both outcomes occur (a fuzzer that only ever loads, or only ever refuses, tests nothing),
  // and lenient mode loads more of the mutants than strict mode can.
  INFO(loaded << " of 800 loads succeeded");
  CHECK(loaded > 0);
  CHECK(loaded < 800);
}

TEST_CASE("Robustness: the record reader on random input with every format", "[data][fuzz]") {
  std::mt19937 rng(99);
  for (int n = 0; n < 500; ++n) {
    std::string bytes(rng() % 400, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() % 256);
    CsvFormat f;
    f.delimiter = n % 3 == 0 ? "::" : (n % 3 == 1 ? "," : "\t");
    f.quote = n % 2 ? '"' : 0;
    f.latin1 = n % 5 == 0;
    CsvReader r(bytes, f, "random");
    CsvRecord rec;
    std::size_t records = 0;
    while (r.next(rec)) {
      ++records;
      REQUIRE(!rec.fields.empty());
      REQUIRE(records <= bytes.size() + 1);
    }
    REQUIRE(r.consumedBytes() <= bytes.size());
  }
}

TEST_CASE("Robustness: in lenient mode every line of a file with stray quotes is one row",
          "[data][fuzz]") {
  // Issue 13: stray quotes (a field opening with '"') and literal quotes inside values; no
  // legitimate quoted line break. Each line must be read as one row, loaded or skipped.
  test::TempDir dir;
  std::mt19937 rng(2024);
  for (int trial = 0; trial < 60; ++trial) {
    std::string text = "user,item,rating,timestamp\n";
    const int n = 5 + static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) {
      std::string f[4] = {"u" + std::to_string(rng() % 20), "i" + std::to_string(rng() % 50),
                          std::to_string(1 + rng() % 5), std::to_string(1600000000 + i)};
      const auto roll = rng() % 100;
      if (roll < 6) {
        f[rng() % 4].insert(0, "\"");  // stray opening quote
      } else if (roll < 9) {
        f[1] = "\"" + f[1] + "\"";  // properly quoted
      } else if (roll < 12) {
        f[2] += "\"";  // literal quote at a value's end
      }
      text += f[0] + "," + f[1] + "," + f[2] + "," + f[3];
      if (i + 1 < n || rng() % 2) text += "\n";
    }
    const auto path = (dir / "stray.csv").string();
    test::writeFile(path, text);
    DatasetOptions o;
    o.format = DataFormat::kDelimited;
    o.interactions.strict = false;
    TaskContext ctx;
    const auto r = loadDataset(path, o, ctx);
    INFO("trial " << trial);
    CHECK(r.rowsRead() == static_cast<std::uint64_t>(n));
    for (const auto& t : r.tables) REQUIRE(t.rowsLoaded + t.rowsSkipped == t.rowsRead);
  }
}
