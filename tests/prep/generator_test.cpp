#include "core/prep/generator.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/data/dataset_writer.h"
#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {

const GeneratorResult& defaultSample() {
  static const GeneratorResult g = [] {
    TaskContext ctx;
    return generateRetailDataset(GeneratorOptions{}, ctx);
  }();
  return g;
}

std::string readAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::int32_t codeOf(const Dataset& d, const char* column, Index item) {
  return d.itemAttributes.find(column)->codes[item];
}

}  // namespace

TEST_CASE("generator: same seed gives identical bytes, another seed different data",
          "[prep][generator]") {
  GeneratorOptions o;
  o.users = 300;
  o.items = 500;
  o.interactions = 8000;
  TaskContext ctx;
  const auto a = generateRetailDataset(o, ctx);
  const auto b = generateRetailDataset(o, ctx);
  CHECK(a.dataset.fingerprint() == b.dataset.fingerprint());
  test::TempDir tmp;
  writeDatasetFolder(a.dataset, (tmp / "a").string(), {}, ctx);
  writeDatasetFolder(b.dataset, (tmp / "b").string(), {}, ctx);
  for (const char* f : {"interactions.csv", "items.csv", "users.csv"}) {
    INFO(f);
    const auto bytes = readAll(tmp / "a" / f);
    CHECK(bytes.size() > 100);
    CHECK(bytes == readAll(tmp / "b" / f));
  }
  o.seed = 43;
  const auto c = generateRetailDataset(o, ctx);
  CHECK(c.dataset.fingerprint() != a.dataset.fingerprint());
  CHECK(c.dataset.interactions.item != a.dataset.interactions.item);
}

TEST_CASE("generator: sizes, schema and time span", "[prep][generator]") {
  const auto& g = defaultSample();
  const Dataset& d = g.dataset;
  const GeneratorOptions o;
  CHECK(d.numUsers() == 2000);
  CHECK(d.numItems() == 3000);
  CHECK(d.numInteractions() == 100000);
  REQUIRE(d.interactions.eventNames == std::vector<std::string>{"view", "click", "purchase"});
  REQUIRE(d.interactions.hasEvents());
  std::array<std::size_t, 3> perEvent{};
  for (std::size_t k = 0; k < d.numInteractions(); ++k) {
    const auto e = d.interactions.event[k];
    ++perEvent[e];
    CHECK(d.interactions.value[k] == (e == 0 ? 1.0f : e == 1 ? 2.0f : 5.0f));
  }
  CHECK(perEvent[0] > perEvent[1]);
  CHECK(perEvent[1] > perEvent[2]);
  CHECK(perEvent[2] > 2000);
  const auto& ts = d.interactions.timestamp;
  CHECK(std::is_sorted(ts.begin(), ts.end()));
  CHECK(ts[0] >= o.start);
  CHECK(ts[ts.size() - 1] < o.start + (o.days + 1) * 86400);
  CHECK((ts[ts.size() - 1] - ts[0]) / 86400 >= 150);  // several months
  for (const char* col : {"category", "brand", "price", "description"}) {
    REQUIRE(d.itemAttributes.find(col) != nullptr);
    CHECK(d.itemAttributes.find(col)->rows() == d.numItems());
  }
  for (const char* col : {"segment", "age_band", "region"}) {
    REQUIRE(d.userAttributes.find(col) != nullptr);
    CHECK(d.userAttributes.find(col)->rows() == d.numUsers());
  }
  CHECK(d.users.external(0) == "U00001");
  CHECK(d.items.external(2999) == "I03000");
}

TEST_CASE("generator: long tail, cold-start items, no event before an item's launch",
          "[prep][generator]") {
  const auto& g = defaultSample();
  const Dataset& d = g.dataset;
  auto counts = d.itemCounts();
  const auto untouched = std::count(counts.begin(), counts.end(), 0u);
  CHECK(untouched >= 100);  // 4 % new items, plus the far tail
  std::sort(counts.begin(), counts.end(), std::greater<>());
  std::uint64_t top = 0;
  for (std::size_t k = 0; k < counts.size() / 10; ++k) top += counts[k];
  CHECK(static_cast<double>(top) / d.numInteractions() > 0.4);  // top 10 % items: > 40 %
  for (std::size_t k = 0; k < d.numInteractions(); ++k) {
    if (d.interactions.timestamp[k] < g.truth.itemLaunch[d.interactions.item[k]]) {
      FAIL("row " << k << " precedes its item's launch");
    }
  }
}

TEST_CASE("generator: purchases concentrate on each user's planted tastes", "[prep][generator]") {
  const auto& g = defaultSample();
  const Dataset& d = g.dataset;
  const auto& log = d.interactions;
  const auto* description = d.itemAttributes.find("description");
  // Global distribution of purchases over categories and brands: the chance baseline.
  std::vector<double> catShare(12, 0.0),
      brandShare(d.itemAttributes.find("brand")->categories.size());
  double purchases = 0;
  for (std::size_t k = 0; k < log.size(); ++k) {
    if (log.event[k] != 2) continue;
    catShare[static_cast<std::size_t>(codeOf(d, "category", log.item[k]))] += 1;
    brandShare[static_cast<std::size_t>(codeOf(d, "brand", log.item[k]))] += 1;
    purchases += 1;
  }
  REQUIRE(purchases > 0);
  double inCat = 0, catChance = 0, inBrand = 0, brandChance = 0, withTerm = 0;
  for (std::size_t k = 0; k < log.size(); ++k) {
    if (log.event[k] != 2) continue;
    const auto& cats = g.truth.userCategories[log.user[k]];
    const auto& brands = g.truth.userBrands[log.user[k]];
    inCat += std::count(cats.begin(), cats.end(), codeOf(d, "category", log.item[k]));
    for (auto c : cats) catChance += catShare[static_cast<std::size_t>(c)] / purchases;
    inBrand += std::count(brands.begin(), brands.end(), codeOf(d, "brand", log.item[k]));
    for (auto b : brands) brandChance += brandShare[static_cast<std::size_t>(b)] / purchases;
    for (const auto& term : g.truth.userTerms[log.user[k]]) {
      if (description->text[log.item[k]].find(term) != std::string::npos) {
        withTerm += 1;
        break;
      }
    }
  }
  inCat /= purchases;
  catChance /= purchases;
  inBrand /= purchases;
  brandChance /= purchases;
  withTerm /= purchases;
  INFO("category " << inCat << " vs chance " << catChance << "; brand " << inBrand << " vs "
                   << brandChance << "; term " << withTerm);
  CHECK(inCat > 0.75);
  CHECK(inCat > 3.0 * catChance);
  CHECK(inBrand > 3.0 * brandChance);
  CHECK(withTerm > 0.3);
}

TEST_CASE("generator: segments shape the prices users buy at", "[prep][generator]") {
  const auto& g = defaultSample();
  const Dataset& d = g.dataset;
  const auto* segment = d.userAttributes.find("segment");
  const auto* price = d.itemAttributes.find("price");
  std::array<std::vector<double>, 3> paid;
  for (std::size_t k = 0; k < d.numInteractions(); ++k) {
    if (d.interactions.event[k] != 2) continue;
    paid[static_cast<std::size_t>(segment->codes[d.interactions.user[k]])].push_back(
        price->numeric[d.interactions.item[k]]);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  REQUIRE(segment->categories[0] == "budget");
  REQUIRE(segment->categories[2] == "premium");
  CHECK(median(paid[0]) < median(paid[1]));
  CHECK(median(paid[1]) < median(paid[2]));
}

TEST_CASE("generator: invalid options are rejected", "[prep][generator]") {
  TaskContext ctx;
  GeneratorOptions o;
  o.users = 5;
  CHECK_THROWS_WITH(generateRetailDataset(o, ctx), Catch::Contains("generate.users"));
  o = {};
  o.interactions = 10;
  CHECK_THROWS_AS(generateRetailDataset(o, ctx), SpecError);
  o = {};
  o.newItemShare = 0.9;
  CHECK_THROWS_AS(generateRetailDataset(o, ctx), SpecError);
  o = {};
  ctx.requestStop();
  CHECK_THROWS_AS(generateRetailDataset(o, ctx), Cancelled);
}

TEST_CASE("regression: generator timestamps never wrap or leave the plausible range (issue 17)",
          "[prep][generator]") {
  TaskContext ctx;
  GeneratorOptions o;
  o.start = std::numeric_limits<std::int64_t>::max() - 100;  // start + days * 86400 would wrap
  CHECK_THROWS_WITH(generateRetailDataset(o, ctx), Catch::Contains("generate.start"));
  o = {};
  o.start = -1;
  CHECK_THROWS_WITH(generateRetailDataset(o, ctx), Catch::Contains("generate.start"));
  o = {};
  o.days = 4'000'000'000u;  // 11 million years
  CHECK_THROWS_WITH(generateRetailDataset(o, ctx),
                    Catch::Contains("generate.days") && Catch::Contains("2100-01-01"));
  o = {};
  o.start = 4102444800 - 40 * 86400;  // 40 days before 2100: a 7-day period plus launches fits
  o.days = 11;
  CHECK_THROWS_WITH(generateRetailDataset(o, ctx),
                    Catch::Contains("generate.days") && Catch::Contains("at most 10 days"));
}

TEST_CASE(
    "regression: generate refuses sizes beyond the memory limit before allocating, with "
    "the estimate and the limit (issue 17)",
    "[prep][generator]") {
  TaskContext ctx;
  GeneratorOptions o;
  o.users = 400'000'000u;
  o.items = 4'000'000'000u;
  o.interactions = 500'000'000ull;
  // 4e9 items alone are 2.3 TiB: refused by the default limit on any machine this runs on.
  CHECK(estimateGeneratorBytes(o) > (2ull << 40));
  CHECK_THROWS_WITH(generateRetailDataset(o, ctx),
                    Catch::Contains("need about") && Catch::Contains("TiB") &&
                        Catch::Contains("available") && Catch::Contains("--max-memory"));
  // An explicit limit is named as such, and a small dataset under it runs.
  o = {};
  o.memoryLimitBytes = 1ull << 20;
  CHECK_THROWS_WITH(generateRetailDataset(o, ctx),
                    Catch::Contains("1.00 MiB") && Catch::Contains("the limit given"));
  o.users = 20;
  o.items = 60;
  o.interactions = 100;
  o.memoryLimitBytes = 1ull << 30;
  CHECK(generateRetailDataset(o, ctx).dataset.numInteractions() == 100);
}

TEST_CASE("committed sample-data/ is exactly what recwb generate writes by default",
          "[prep][generator]") {
  // Guards sample-data/README.md's reproduction command: change the generator, regenerate.
  const auto dir = test::sourceDir() / "sample-data";
  if (!std::filesystem::exists(dir / "interactions.csv")) {
    WARN("skipped: sample-data/ not present");
    return;
  }
  test::TempDir tmp;
  TaskContext ctx;
  writeDatasetFolder(defaultSample().dataset, tmp.path().string(), {}, ctx);
  for (const char* f : {"interactions.csv", "items.csv", "users.csv"}) {
    INFO(f);
    CHECK(readAll(tmp / f) == readAll(dir / f));
  }
}
