// countDuplicatePairs against a brute-force count, on both item-index widths; the delimited
// loader's fast path (plainRows) against its general path.
#include "core/data/interaction_sink.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/data/csv_reader.h"
#include "core/data/dataset.h"
#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {
std::uint64_t bruteForce(const Dataset& d) {
  std::set<std::pair<Index, Index>> seen;
  std::uint64_t dups = 0;
  for (std::size_t k = 0; k < d.numInteractions(); ++k) {
    dups += !seen.insert({d.interactions.user[k], d.interactions.item[k]}).second;
  }
  return dups;
}

Dataset randomLog(std::size_t users, std::size_t items, std::size_t rows, std::uint64_t seed) {
  Dataset d;
  for (std::size_t i = 0; i < items; ++i) d.items.intern("i" + std::to_string(i));
  for (std::size_t u = 0; u < users; ++u) d.users.intern("u" + std::to_string(u));
  std::uint64_t s = seed;
  auto next = [&] {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return s >> 33;
  };
  for (std::size_t k = 0; k < rows; ++k) {
    // Few items per user on purpose, so that repeats are frequent.
    const auto u = static_cast<Index>(next() % users);
    const auto i = static_cast<Index>((u * 7919 + next() % 5) % items);
    d.interactions.push(u, i, 1.0f, kNoTimestamp);
  }
  return d;
}
}  // namespace

TEST_CASE("countDuplicatePairs counts repeats beyond the first occurrence", "[data][sink]") {
  for (const std::size_t items : {std::size_t{100}, std::size_t{65536}, std::size_t{70000}}) {
    DYNAMIC_SECTION("items " << items) {
      const auto d = randomLog(300, items, 5000, items);
      const auto want = bruteForce(d);
      CHECK(want > 0);
      CHECK(countDuplicatePairs(d) == want);
    }
  }
  CHECK(countDuplicatePairs(Dataset{}) == 0);
}

// InteractionSink::plainRows (the delimited loader's fast path) against the general path
// (CsvReader + row()): on random lines mixing plain rows with every kind of row the fast path
// must leave alone, both must give the same dataset, counts, issues and strict-mode error.
namespace {

struct Outcome {
  std::uint64_t fingerprint = 0, read = 0, loaded = 0, skipped = 0;
  std::vector<std::string> issues, events;
  std::map<std::string, std::uint64_t> byReason;
  std::string timestamps, error;
  std::uint64_t fastLines = 0;
};

Outcome fillOutcome(Outcome out, const LoadResult& r) {
  out.fingerprint = r.dataset.fingerprint();
  out.read = r.rowsRead();
  out.loaded = r.rowsLoaded();
  out.skipped = r.rowsSkipped();
  for (const auto& i : r.issues) out.issues.push_back(i.toString());
  out.byReason = r.skippedByReason;
  out.timestamps = r.implausibleTimestamps.toString();
  out.events = r.dataset.interactions.eventNames;
  return out;
}

void requireSame(const Outcome& a, const Outcome& b) {
  CHECK(a.error == b.error);
  CHECK(a.fingerprint == b.fingerprint);
  CHECK(a.read == b.read);
  CHECK(a.loaded == b.loaded);
  CHECK(a.skipped == b.skipped);
  CHECK(a.issues == b.issues);
  CHECK(a.byReason == b.byReason);
  CHECK(a.timestamps == b.timestamps);
  CHECK(a.events == b.events);
}

/// Reads text as the delimited loader does after its header (with or without the fast path).
Outcome viaSink(const std::string& text, const DelimitedOptions& options, const ColumnPlan& plan,
                bool fast) {
  LoadResult result;
  result.tables.emplace_back();
  result.tables.back().file = "t.csv";
  CsvFormat format;
  format.delimiter =
      options.delimiterText.empty() ? std::string(1, options.delimiter) : options.delimiterText;
  format.quote = options.quote;
  CsvReader reader(text, format, "t.csv");
  reader.setExpectedFields(plan.expectedFields);
  InteractionSink sink(result, result.tables.back(), plan, options, "t.csv");
  const bool useFast = fast && sink.plainRowsSupported(format.delimiter, options.quote);
  Outcome out;
  try {
    CsvRecord r;
    while (true) {
      if (useFast) {
        const auto lines = reader.completeLines();
        if (!lines.empty()) {
          std::uint64_t taken = 0;
          const auto used = sink.plainRows(lines, reader.nextLine(), taken);
          reader.skipLines(used, taken);
          out.fastLines += taken;
          if (used == lines.size()) continue;
        }
      }
      if (!reader.next(r)) break;
      if (r.blank()) continue;
      if (r.error == nullptr && !sink.row(r.fields, r.line, r.lastLine > r.line)) {
        if (!reader.splitAtStrayQuote(r)) sink.row(r.fields, r.line);
      }
      if (r.error != nullptr) {
        sink.reject(r.errorLine ? r.errorLine : r.line, r.errorField, r.error, r.errorDetail);
      }
    }
    sink.finish();
  } catch (const ParseError& e) {
    out.error = e.what();
  }
  return fillOutcome(std::move(out), result);
}

struct LineMaker {
  std::uint64_t s;
  std::string delimiter;
  std::size_t next(std::size_t n) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<std::size_t>((s >> 33) % n);
  }
  std::string pick(const std::vector<std::string>& pool, std::size_t plainShare) {
    if (next(100) < plainShare) return pool[next(3)];  // the first three are plain
    return pool[next(pool.size())];
  }
  // One line of `fields` columns; roles gives each column's pool.
  std::string line(const std::vector<const std::vector<std::string>*>& roles) {
    std::string out;
    const std::size_t shape = next(100);
    const std::size_t count = shape < 2   ? roles.size() - 1
                              : shape < 4 ? roles.size() + 1
                                          : roles.size();
    if (shape == 4) return "";
    for (std::size_t c = 0; c < count; ++c) {
      if (c > 0) out += delimiter;
      out += pick(*roles[c % roles.size()], 85);
    }
    if (shape == 5) out += '\r';
    if (shape == 6) out.insert(out.size() / 2, "\r");
    return out;
  }
};

}  // namespace

TEST_CASE("plainRows loads exactly what the general path loads", "[data][sink]") {
  const std::vector<std::string> ids{"1",
                                     "42",
                                     "0",
                                     "007",
                                     "4194303",
                                     "4194304",
                                     "u17",
                                     " 5 ",
                                     "5\t",
                                     "",
                                     "x y",
                                     "\"3\"",
                                     "\"a,b\"",
                                     "caf\xC3\xA9",
                                     "\xE9",
                                     "\"q",
                                     "a\"b",
                                     "\"m\nn\"",
                                     std::string("a\0b", 3),
                                     "12345678",
                                     "1234567890123456789",
                                     "1:2",
                                     "x:",
                                     ":",
                                     "4::"};
  const std::vector<std::string> values{"1",
                                        "5",
                                        "3",
                                        "3.5",
                                        "-2",
                                        "abc",
                                        "",
                                        " 4",
                                        "1e400",
                                        "0000000000000004",
                                        "1234567890123456",
                                        "nan",
                                        "\"4\"",
                                        "4e39"};
  const std::vector<std::string> times{"1600000000", "1600000001",
                                       "1500000000", "17000000000000",
                                       "2021-03-04", "2021-03-04T05:06:07Z",
                                       "x",          "",
                                       "-5",         "0",
                                       "1.5",        "99999999999999999999",
                                       "10:00"};
  std::vector<std::string> events{"view", "click", "buy", " buy ", ""};
  for (int e = 0; e < 300; ++e) events.push_back("e" + std::to_string(e));
  const std::vector<std::string> extra{"7", "z", "", "\"w\""};

  struct Config {
    const char* name;
    const char* delimiter;
    char quote;
    int user, item, value, timestamp, event;
    std::size_t fields;
  };
  const Config configs[] = {
      {"comma four columns", ",", '"', 0, 1, 2, 3, -1, 4},
      {"tab with events", "\t", '"', 0, 1, 2, 3, 4, 5},
      {"semicolon permuted", ";", '"', 2, 0, 3, 1, -1, 4},
      {"no quoting", ",", 0, 0, 1, 2, -1, -1, 4},
      {"ids only with an extra column", "|", '"', 1, 0, -1, -1, -1, 3},
      {"double colon", "::", '"', 0, 1, 2, 3, -1, 4},
      {"three bytes with events", ":-:", 0, 0, 1, 2, 3, 4, 5},
  };
  for (const auto& config : configs) {
    DYNAMIC_SECTION(config.name) {
      std::vector<const std::vector<std::string>*> roles(config.fields, &extra);
      roles[static_cast<std::size_t>(config.user)] = &ids;
      roles[static_cast<std::size_t>(config.item)] = &ids;
      if (config.value >= 0) roles[static_cast<std::size_t>(config.value)] = &values;
      if (config.timestamp >= 0) roles[static_cast<std::size_t>(config.timestamp)] = &times;
      if (config.event >= 0) roles[static_cast<std::size_t>(config.event)] = &events;
      ColumnPlan plan;
      plan.user = config.user;
      plan.item = config.item;
      plan.value = config.value;
      plan.timestamp = config.timestamp;
      plan.event = config.event;
      plan.expectedFields = config.fields;
      DelimitedOptions options;
      if (std::string(config.delimiter).size() == 1) {
        options.delimiter = config.delimiter[0];
      } else {
        options.delimiterText = config.delimiter;
      }
      options.quote = config.quote;
      for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        LineMaker maker{seed * 7919, config.delimiter};
        std::string text;
        for (int k = 0; k < 3000; ++k) text += maker.line(roles) + (k % 7 == 0 ? "\r\n" : "\n");
        if (seed % 2 == 0) text.pop_back();  // no final newline
        for (const bool strict : {false, true}) {
          options.strict = strict;
          const auto fast = viaSink(text, options, plan, true);
          const auto general = viaSink(text, options, plan, false);
          INFO("seed " << seed << " strict " << strict);
          requireSame(fast, general);
          if (!strict) {
            CHECK(fast.fastLines > 1000);  // the fast path did take most plain lines
            CHECK(general.skipped > 100);  // and the general path had bad rows to reject
          }
        }
      }
    }
  }
}

TEST_CASE("loadDelimited with its fast path equals the general path across read blocks",
          "[data][sink]") {
  // Over 2 MiB, so that lines straddle the reader's 1 MiB blocks.
  std::string text;
  std::uint64_t s = 99;
  auto next = [&](std::uint64_t n) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return (s >> 33) % n;
  };
  for (int k = 0; text.size() < (std::size_t{5} << 19); ++k) {
    const auto user = std::to_string(next(5000));
    const auto item =
        k % 1000 == 999 ? "\"i" + std::to_string(next(50)) + "\"" : std::to_string(next(900));
    const auto value = k % 777 == 0 ? std::string("bad") : std::to_string(1 + next(5));
    text += user + "," + item + "," + value + "," + std::to_string(1500000000 + next(100000000)) +
            (k % 3 == 0 ? "\r\n" : "\n");
  }
  test::TempDir dir;
  test::writeFile(dir / "big.csv", text);
  DelimitedOptions options;
  options.delimiter = ',';
  options.header = HeaderMode::kNo;
  options.strict = false;
  ColumnPlan plan;
  plan.user = 0;
  plan.item = 1;
  plan.value = 2;
  plan.timestamp = 3;
  plan.expectedFields = 4;
  TaskContext ctx;
  const auto loaded = loadDelimited((dir / "big.csv").string(), options, ctx);
  const auto general = viaSink(text, options, plan, false);
  CHECK(loaded.dataset.fingerprint() == general.fingerprint);
  CHECK(loaded.rowsRead() == general.read);
  CHECK(loaded.rowsLoaded() == general.loaded);
  CHECK(loaded.rowsSkipped() == general.skipped);
  CHECK(loaded.skippedByReason == general.byReason);
  CHECK(general.skipped > 5);
  CHECK(loaded.rowsRead() > 80000);
}

TEST_CASE("plainRows reads the first byte of a longer delimiter alone as field text",
          "[data][sink]") {
  // "1:23::5" has two fields ("1:23" and "5"), not three: a ':' alone is text, as in CsvReader.
  // (The first line always goes through CsvReader::next(): the fast path starts after it.)
  const std::string text = "4::5::6\n1:23::5\n1:2::3::4\n:1::2::3\n1::2::3:\n7::8::9\n";
  DelimitedOptions options;
  options.delimiterText = "::";
  options.strict = false;
  ColumnPlan plan;
  plan.user = 0;
  plan.item = 1;
  plan.value = 2;
  plan.expectedFields = 3;
  const auto fast = viaSink(text, options, plan, true);
  const auto general = viaSink(text, options, plan, false);
  requireSame(fast, general);
  CHECK(general.loaded == 4);
  CHECK(general.skipped == 2);
  CHECK(fast.fastLines >= 1);
}
