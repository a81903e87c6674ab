#include "core/prep/generator.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <set>
#include <string_view>

#include "core/data/timestamps.h"
#include "core/prep/random.h"
#include "core/util/error.h"
#include "core/util/memory.h"

namespace rwb {

namespace {

constexpr std::int64_t kDay = 86400;

struct CategorySpec {
  std::string_view name;
  double catalogueShare;  ///< relative share of the catalogue
  double medianPrice;     ///< in currency units
  std::vector<std::string_view> nouns;
  std::vector<std::string_view> terms;
};

// Category names, product nouns and descriptive terms. Terms are what users come to prefer, so
// descriptions carry signal that a text feature can pick up.
const std::vector<CategorySpec>& categories() {
  static const std::vector<CategorySpec> list = {
      {"Electronics",
       1.4,
       60.0,
       {"headphones", "speaker", "charger", "smartwatch", "keyboard", "webcam", "power bank",
        "earbuds"},
       {"wireless", "bluetooth", "noise-cancelling", "fast-charging", "portable", "waterproof",
        "usb-c", "hd", "ergonomic", "rgb", "compact", "long-battery"}},
      {"Home & Kitchen",
       1.3,
       35.0,
       {"cookware set", "blender", "knife set", "cutting board", "coffee maker", "storage jars",
        "towel set", "table lamp"},
       {"stainless", "nonstick", "ceramic", "bamboo", "dishwasher-safe", "cast-iron", "glass",
        "minimalist", "airtight", "cotton", "rustic", "space-saving"}},
      {"Clothing",
       1.3,
       30.0,
       {"t-shirt", "jeans", "jacket", "sweater", "dress", "hoodie", "sneakers", "scarf"},
       {"organic-cotton", "denim", "slim-fit", "oversized", "linen", "merino", "rain-proof",
        "vintage", "stretch", "striped", "knit", "casual"}},
      {"Sports & Outdoors",
       1.0,
       45.0,
       {"yoga mat", "running shoes", "tent", "backpack", "water bottle", "dumbbells",
        "cycling gloves", "trekking poles"},
       {"breathable", "lightweight", "trail", "insulated", "quick-dry", "non-slip", "adjustable",
        "reflective", "ultralight", "durable", "grip", "compression"}},
      {"Beauty",
       0.9,
       22.0,
       {"face serum", "moisturizer", "shampoo", "lipstick", "perfume", "sunscreen", "face mask",
        "body lotion"},
       {"vegan", "organic", "fragrance-free", "hydrating", "vitamin-c", "spf50", "matte",
        "anti-aging", "sensitive-skin", "natural", "cruelty-free", "hyaluronic"}},
      {"Toys & Games",
       0.8,
       25.0,
       {"puzzle", "building set", "board game", "plush toy", "rc car", "doll", "card game",
        "science kit"},
       {"educational", "wooden", "stem", "cooperative", "1000-piece", "family", "magnetic",
        "creative", "glow-in-the-dark", "collectible", "strategy", "interactive"}},
      {"Books",
       0.9,
       15.0,
       {"novel", "cookbook", "biography", "thriller", "travel guide", "children's book",
        "poetry collection", "history book"},
       {"paperback", "hardcover", "bestseller", "illustrated", "mystery", "fantasy", "romance",
        "sci-fi", "memoir", "classic-edition", "award-winning", "large-print"}},
      {"Garden",
       0.6,
       28.0,
       {"planter", "seed kit", "garden hose", "pruning shears", "bird feeder", "compost bin",
        "watering can", "raised bed"},
       {"perennial", "heirloom", "self-watering", "galvanized", "terracotta", "drought-tolerant",
        "cedar", "solar", "ergonomic-grip", "weatherproof", "herb", "pollinator"}},
      {"Pet Supplies",
       0.6,
       20.0,
       {"dog bed", "cat tree", "chew toy", "pet food", "litter box", "leash", "aquarium filter",
        "grooming brush"},
       {"grain-free", "orthopedic", "chew-resistant", "catnip", "hypoallergenic", "washable",
        "salmon", "senior", "puppy", "self-cleaning", "calming", "retractable"}},
      {"Grocery",
       0.7,
       8.0,
       {"coffee beans", "green tea", "granola", "olive oil", "dark chocolate", "pasta", "hot sauce",
        "honey"},
       {"fairtrade", "single-origin", "gluten-free", "cold-pressed", "raw", "spicy", "decaf",
        "whole-grain", "sugar-free", "artisan", "roasted", "keto"}},
      {"Baby",
       0.5,
       25.0,
       {"stroller", "diaper bag", "baby monitor", "crib sheet", "teether", "high chair",
        "baby carrier", "bottle set"},
       {"bpa-free", "foldable", "newborn", "muslin", "convertible", "soft-touch", "night-vision",
        "travel", "mesh", "hypoallergenic-fabric", "easy-clean", "lightweight-frame"}},
      {"Office",
       0.6,
       18.0,
       {"notebook", "fountain pen", "desk organizer", "monitor stand", "planner", "stapler",
        "desk chair", "whiteboard"},
       {"recycled", "dotted", "refillable", "height-adjustable", "dated-2026", "magnetic-board",
        "walnut", "a5", "gel-ink", "stackable", "lumbar", "undated"}},
  };
  return list;
}

constexpr std::array<std::string_view, 3> kSegments{"budget", "mainstream", "premium"};
constexpr std::array<double, 3> kSegmentShare{0.30, 0.50, 0.20};
constexpr std::array<std::string_view, 6> kAgeBands{"18-24", "25-34", "35-44",
                                                    "45-54", "55-64", "65+"};
constexpr std::array<double, 6> kAgeShare{0.12, 0.24, 0.22, 0.18, 0.14, 0.10};
constexpr std::array<std::string_view, 5> kRegions{"north", "south", "east", "west", "central"};
constexpr std::array<double, 5> kRegionShare{0.22, 0.24, 0.20, 0.18, 0.16};

// Category indices (into categories()) favoured by each age band and region.
const std::array<std::vector<int>, 6> kAgeFavourites{{
    {0, 2, 3, 4, 5},    // 18-24: electronics, clothing, sports, beauty, games
    {0, 1, 2, 3, 10},   // 25-34: electronics, home, clothing, sports, baby
    {1, 5, 7, 10, 11},  // 35-44: home, toys, garden, baby, office
    {1, 6, 7, 9, 11},   // 45-54: home, books, garden, grocery, office
    {1, 6, 7, 8, 9},    // 55-64: home, books, garden, pets, grocery
    {4, 6, 7, 8, 9},    // 65+: beauty, books, garden, pets, grocery
}};
const std::array<std::vector<int>, 5> kRegionFavourites{{
    {3, 6},   // north: sports, books
    {4, 7},   // south: beauty, garden
    {0, 11},  // east: electronics, office
    {3, 9},   // west: sports, grocery
    {1, 8},   // central: home, pets
}};

constexpr std::array<std::string_view, 20> kBrandHeads{
    "Zen", "Nu",  "Ar",  "Vel", "Kor", "Lum", "Sol", "Tri", "Ora", "Max",
    "Bel", "Cas", "Dor", "Eli", "Fen", "Gra", "Hal", "Iso", "Jun", "Kai"};
constexpr std::array<std::string_view, 12> kBrandTails{"tro", "via", "ix", "ora", "ex", "ana",
                                                       "ium", "o",   "ea", "ent", "ar", "is"};
constexpr std::array<double, 3> kTierPrice{0.6, 1.0, 1.9};  // budget, mid, premium brands
constexpr std::array<double, 3> kTierShare{0.35, 0.45, 0.20};
constexpr std::array<std::array<std::string_view, 3>, 3> kTierWords{{
    {"value", "basic", "everyday"},
    {"classic", "essential", "modern"},
    {"premium", "deluxe", "professional"},
}};

// Relative activity by hour of day (UTC) and the weekend lift.
constexpr std::array<double, 24> kHourWeight{1.0, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5,
                                             2.0, 2.2, 2.3, 2.4, 2.6, 2.5, 2.3, 2.3,
                                             2.4, 2.7, 3.2, 3.6, 3.8, 3.4, 2.6, 1.6};

struct Brand {
  std::string name;
  int category;
  int tier;
  double appeal;
};

struct Item {
  int category;
  int brand;  ///< global brand index
  double price;
  double logPriceRatio;  ///< log(price / category median)
  double popularity;     ///< long-tail base appeal
  std::int64_t launch;
  bool launchedInPeriod;
  std::vector<int> terms;  ///< indices into the category's terms
  std::string description;
};

struct User {
  int segment, age, region;
  std::vector<int> categories;  ///< preferred, strongest first
  std::vector<int> brands;
  std::vector<std::pair<int, int>> terms;  ///< (category, term index)
  std::int64_t join;
  double activity;
};

struct Event {
  std::int64_t t;
  Index user;
  Index item;
  std::uint8_t event;  ///< 0 view, 1 click, 2 purchase
  std::uint64_t seq;   ///< generation order, the final tie-breaker
};

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

template <std::size_t N>
int pickShare(Rng& rng, const std::array<double, N>& shares) {
  return static_cast<int>(rng.weighted(std::span<const double>(shares.data(), N)));
}

/// Draws k distinct indices with probability proportional to weights (successive draws).
std::vector<int> drawDistinct(Rng& rng, std::vector<double> weights, int k) {
  std::vector<int> out;
  for (int n = 0; n < k; ++n) {
    double total = 0;
    for (double w : weights) total += w;
    if (total <= 0) break;
    const auto i = rng.weighted(weights);
    out.push_back(static_cast<int>(i));
    weights[i] = 0.0;
  }
  return out;
}

void validate(const GeneratorOptions& o) {
  if (o.users < 10) throw SpecError("generate.users", "must be at least 10");
  if (o.items < 4 * categories().size()) {
    throw SpecError("generate.items",
                    "must be at least " + std::to_string(4 * categories().size()));
  }
  if (o.interactions < o.users) {
    throw SpecError("generate.interactions", "must be at least the number of users");
  }
  if (o.interactions > 500'000'000ull) {
    throw SpecError("generate.interactions", "must be at most 500,000,000");
  }
  if (o.days < 7) throw SpecError("generate.days", "must be at least 7");
  if (!(o.newItemShare >= 0.0 && o.newItemShare <= 0.5)) {
    throw SpecError("generate.new_item_share", "must be in [0, 0.5]");
  }
  // Every timestamp written (events in [start, end), launches of new items up to 30 days after
  // end) must be plausible: no silent wrap-around, no dates the loaders would warn about.
  if (o.start < kPlausibleTimestampBegin || o.start >= kPlausibleTimestampEnd) {
    throw SpecError("generate.start", std::to_string(o.start) + " is not a plausible Unix time (" +
                                          describeImplausibleTimestamp(o.start) + ")");
  }
  const std::int64_t lastDay = (kPlausibleTimestampEnd - o.start) / kDay - 30;
  if (static_cast<std::int64_t>(o.days) > lastDay) {
    throw SpecError("generate.days",
                    std::to_string(o.days) + " days from " + std::to_string(o.start) +
                        " run past 2100-01-01 (at most " +
                        std::to_string(std::max<std::int64_t>(lastDay, 0)) +
                        " days from this start, counting 30 days of launches after the period)");
  }
  const std::uint64_t need = estimateGeneratorBytes(o);
  std::uint64_t limit = o.memoryLimitBytes;
  std::string limitWhy = "the limit given";
  if (limit == 0) {
    const std::uint64_t avail = availableMemoryBytes();
    limit = avail / 10 * 8;
    limitWhy = "80% of the " + formatBytes(avail) + " available";
    if (avail == 0) return;
  }
  if (need > limit) {
    throw SpecError("generate", std::to_string(o.users) + " users, " + std::to_string(o.items) +
                                    " items and " + std::to_string(o.interactions) +
                                    " interactions need about " + formatBytes(need) +
                                    " of memory, more than " + formatBytes(limit) + " (" +
                                    limitWhy + "); reduce the sizes or raise --max-memory");
  }
}

std::string padded(char prefix, std::size_t n, int width) {
  std::string digits = std::to_string(n);
  std::string s(1, prefix);
  if (static_cast<int>(digits.size()) < width) {
    s.append(static_cast<std::size_t>(width) - digits.size(), '0');
  }
  s += digits;
  return s;
}

}  // namespace

std::uint64_t estimateGeneratorBytes(const GeneratorOptions& o) {
  return (64ull << 20) + 60ull * o.interactions + 640ull * o.users + 640ull * o.items;
}

GeneratorResult generateRetailDataset(const GeneratorOptions& o, TaskContext& ctx) {
  validate(o);
  const auto& cats = categories();
  const int numCats = static_cast<int>(cats.size());
  const std::int64_t end = o.start + static_cast<std::int64_t>(o.days) * kDay;
  // Independent streams per stage, so that e.g. more users do not change the catalogue.
  Rng brandRng(linearStreamSeed(o.seed, 1));
  Rng itemRng(linearStreamSeed(o.seed, 2));
  Rng userRng(linearStreamSeed(o.seed, 3));
  Rng eventRng(linearStreamSeed(o.seed, 4));
  ctx.progress(0.0, "generating catalogue");

  // Brands: eight per category with distinct invented names, a price tier and a Zipf appeal.
  std::vector<Brand> brands;
  std::vector<std::vector<int>> brandsOf(cats.size());
  std::set<std::string> usedNames;
  for (int c = 0; c < numCats; ++c) {
    for (int b = 0; b < 8; ++b) {
      std::string name;
      do {
        name = std::string(kBrandHeads[brandRng.below(kBrandHeads.size())]) +
               std::string(kBrandTails[brandRng.below(kBrandTails.size())]);
      } while (!usedNames.insert(name).second);
      brandsOf[static_cast<std::size_t>(c)].push_back(static_cast<int>(brands.size()));
      brands.push_back({name, c, pickShare(brandRng, kTierShare), 1.0 / std::pow(b + 1.0, 0.8)});
    }
  }

  // Items. Categories get at least 4 items each, the rest by catalogue share.
  std::vector<double> catShare;
  for (const auto& c : cats) catShare.push_back(c.catalogueShare);
  std::vector<Item> items(o.items);
  std::vector<std::uint32_t> popRank(o.items);
  std::iota(popRank.begin(), popRank.end(), 0u);
  itemRng.shuffle(popRank);
  const auto numNew = static_cast<std::uint32_t>(std::llround(o.newItemShare * o.items));
  for (std::uint32_t i = 0; i < o.items; ++i) {
    Item& it = items[i];
    it.category = i < 4u * static_cast<std::uint32_t>(numCats)
                      ? static_cast<int>(i % static_cast<std::uint32_t>(numCats))
                      : static_cast<int>(itemRng.weighted(catShare));
    const auto& spec = cats[static_cast<std::size_t>(it.category)];
    const auto& own = brandsOf[static_cast<std::size_t>(it.category)];
    std::vector<double> bw;
    for (int b : own) bw.push_back(brands[static_cast<std::size_t>(b)].appeal);
    it.brand = own[itemRng.weighted(bw)];
    const Brand& brand = brands[static_cast<std::size_t>(it.brand)];
    const double raw = spec.medianPrice * kTierPrice[static_cast<std::size_t>(brand.tier)] *
                       std::exp(0.35 * itemRng.normal());
    // Shop prices: whole units ending in .99 (at least 0.99).
    it.price = std::max(0.0, std::floor(raw)) + 0.99;
    it.logPriceRatio = std::log(it.price / spec.medianPrice);
    it.popularity = 1.0 / std::pow(popRank[i] + 10.0, 0.9);
    // The last numNew items launch after the period (cold-start items); 16 % launch during it.
    if (i >= o.items - numNew) {
      it.launch = end + static_cast<std::int64_t>(itemRng.below(30 * kDay));
      it.launchedInPeriod = false;
    } else if (itemRng.chance(0.16)) {
      it.launch = o.start + static_cast<std::int64_t>(itemRng.below(
                                static_cast<std::uint64_t>(end - o.start - 7 * kDay)));
      it.launchedInPeriod = true;
    } else {
      it.launch = o.start - static_cast<std::int64_t>(itemRng.below(365 * kDay));
      it.launchedInPeriod = false;
    }
    // Description: tier word, brand, 2-3 terms, noun, and sometimes ", <term>" or "with <term>".
    std::vector<double> tw(spec.terms.size());
    for (std::size_t k = 0; k < tw.size(); ++k) tw[k] = 1.0 / (1.0 + 0.15 * static_cast<double>(k));
    const int numTerms = 2 + static_cast<int>(itemRng.below(2)) + (itemRng.chance(0.4) ? 1 : 0);
    it.terms = drawDistinct(itemRng, tw, numTerms);
    const int priceTier = it.logPriceRatio < -0.3 ? 0 : (it.logPriceRatio > 0.35 ? 2 : 1);
    std::string d(kTierWords[static_cast<std::size_t>(priceTier)][itemRng.below(3)]);
    d[0] = static_cast<char>(d[0] - 'a' + 'A');
    d += ' ';
    d += brand.name;
    const std::size_t inline_ = std::min<std::size_t>(2, it.terms.size());
    for (std::size_t k = 0; k < inline_; ++k) {
      d += ' ';
      d += spec.terms[static_cast<std::size_t>(it.terms[k])];
    }
    d += ' ';
    d += spec.nouns[itemRng.below(spec.nouns.size())];
    for (std::size_t k = inline_; k < it.terms.size(); ++k) {
      d += ", ";
      d += spec.terms[static_cast<std::size_t>(it.terms[k])];
    }
    it.description = std::move(d);
  }
  ctx.throwIfStopped();

  // Users: demographics, then tastes drawn from demographics-dependent category weights.
  ctx.progress(0.1, "generating users");
  std::vector<User> users(o.users);
  for (auto& u : users) {
    u.segment = pickShare(userRng, kSegmentShare);
    u.age = pickShare(userRng, kAgeShare);
    u.region = pickShare(userRng, kRegionShare);
    std::vector<double> cw(cats.size(), 1.0);
    for (int c : kAgeFavourites[static_cast<std::size_t>(u.age)]) {
      cw[static_cast<std::size_t>(c)] *= 3.0;
    }
    for (int c : kRegionFavourites[static_cast<std::size_t>(u.region)]) {
      cw[static_cast<std::size_t>(c)] *= 2.0;
    }
    u.categories = drawDistinct(userRng, cw, userRng.chance(0.4) ? 3 : 2);
    // Brands of the preferred categories; tiers matching the segment are three times as likely.
    std::vector<double> bw(brands.size(), 0.0);
    for (int c : u.categories) {
      for (int b : brandsOf[static_cast<std::size_t>(c)]) {
        const Brand& br = brands[static_cast<std::size_t>(b)];
        bw[static_cast<std::size_t>(b)] = br.appeal * (br.tier == u.segment ? 3.0 : 1.0);
      }
    }
    u.brands = drawDistinct(userRng, bw, 1 + static_cast<int>(userRng.below(3)));
    // Three terms from the preferred categories' vocabularies.
    std::vector<std::pair<int, int>> pool;
    for (int c : u.categories) {
      for (std::size_t k = 0; k < cats[static_cast<std::size_t>(c)].terms.size(); ++k) {
        pool.emplace_back(c, static_cast<int>(k));
      }
    }
    userRng.shuffle(pool);
    u.terms.assign(pool.begin(), pool.begin() + 3);
    u.join = userRng.chance(0.65)
                 ? o.start
                 : o.start + static_cast<std::int64_t>(userRng.below(
                                 static_cast<std::uint64_t>(end - o.start - 14 * kDay)));
    // Heavy-tailed activity, scaled by the share of the period the user is around.
    u.activity = std::exp(1.0 * userRng.normal()) * static_cast<double>(end - u.join) /
                 static_cast<double>(end - o.start);
  }
  ctx.throwIfStopped();

  // Rows per user: one each, the rest split by activity with largest remainders (exact total).
  std::vector<std::uint64_t> quota(o.users, 1);
  {
    double total = 0;
    for (const auto& u : users) total += u.activity;
    const std::uint64_t rest = o.interactions - o.users;
    std::vector<std::pair<double, std::uint32_t>> remainders;
    std::uint64_t given = 0;
    for (std::uint32_t k = 0; k < o.users; ++k) {
      const double share = static_cast<double>(rest) * users[k].activity / total;
      const auto whole = static_cast<std::uint64_t>(std::floor(share));
      quota[k] += whole;
      given += whole;
      remainders.emplace_back(share - std::floor(share), k);
    }
    std::sort(remainders.begin(), remainders.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (std::uint64_t k = 0; given < rest; ++k, ++given) quota[remainders[k].second] += 1;
  }

  // Day weights (weekend lift, slow growth) as a cumulative vector; 2026-01-01 is a Thursday.
  std::vector<double> dayCum(o.days);
  {
    double acc = 0;
    const auto firstWeekday = static_cast<int>(((o.start / kDay) % 7 + 4) % 7);  // 0 = Sunday
    for (std::uint32_t d = 0; d < o.days; ++d) {
      const int wd = (firstWeekday + static_cast<int>(d)) % 7;
      acc += (wd == 0 || wd == 6 ? 1.3 : 1.0) * (1.0 + 0.3 * d / o.days);
      dayCum[d] = acc;
    }
  }
  std::vector<double> hourCum(24);
  std::partial_sum(kHourWeight.begin(), kHourWeight.end(), hourCum.begin());

  // Static popularity over launched-before-end items (exploration draws and fallback).
  std::vector<double> popCum(o.items);
  {
    double acc = 0;
    for (std::uint32_t i = 0; i < o.items; ++i) {
      if (items[i].launch < end) acc += items[i].popularity * (items[i].launchedInPeriod ? 2.5 : 1);
      popCum[i] = acc;
    }
  }
  std::vector<std::uint32_t> byPopularity(o.items);
  std::iota(byPopularity.begin(), byPopularity.end(), 0u);
  std::sort(byPopularity.begin(), byPopularity.end(), [&](std::uint32_t a, std::uint32_t b) {
    return items[a].popularity != items[b].popularity ? items[a].popularity > items[b].popularity
                                                      : a < b;
  });
  std::uint32_t fallbackItem = 0;
  for (auto i : byPopularity) {
    if (items[i].launch <= o.start) {
      fallbackItem = i;
      break;
    }
  }

  ctx.progress(0.2, "generating events");
  std::vector<Event> events;
  events.reserve(o.interactions);
  std::vector<double> w(o.items), cum(o.items);
  std::uint64_t seq = 0;
  for (std::uint32_t uIdx = 0; uIdx < o.users; ++uIdx) {
    if ((uIdx & 63) == 0) {
      ctx.throwIfStopped();
      ctx.progress(0.2 + 0.7 * uIdx / o.users, "generating events");
    }
    const User& u = users[uIdx];
    auto matchOf = [&](std::uint32_t i, int& catRank, bool& brandHit, int& termHits) {
      const Item& it = items[i];
      catRank = -1;
      for (std::size_t k = 0; k < u.categories.size(); ++k) {
        if (u.categories[k] == it.category) catRank = static_cast<int>(k);
      }
      brandHit = std::find(u.brands.begin(), u.brands.end(), it.brand) != u.brands.end();
      termHits = 0;
      for (const auto& [c, t] : u.terms) {
        if (c == it.category && std::find(it.terms.begin(), it.terms.end(), t) != it.terms.end()) {
          ++termHits;
        }
      }
    };
    auto priceFit = [&](const Item& it) {
      switch (u.segment) {
        case 0:
          return std::exp(-1.0 * it.logPriceRatio);
        case 2:
          return std::exp(0.9 * it.logPriceRatio);
        default:
          return std::exp(-0.5 * it.logPriceRatio * it.logPriceRatio);
      }
    };
    double acc = 0;
    for (std::uint32_t i = 0; i < o.items; ++i) {
      const Item& it = items[i];
      int catRank;
      bool brandHit;
      int termHits;
      matchOf(i, catRank, brandHit, termHits);
      double x = 0.0;
      if (it.launch < end) {
        static constexpr std::array<double, 3> kCatBoost{10.0, 6.0, 4.0};
        x = it.popularity * (it.launchedInPeriod ? 2.5 : 1.0) *
            (catRank >= 0 ? kCatBoost[static_cast<std::size_t>(catRank)] : 1.0) *
            (brandHit ? 2.5 : 1.0) * std::pow(1.8, termHits) * priceFit(it);
      }
      w[i] = x;
      acc += x;
      cum[i] = acc;
    }
    const std::size_t firstDay = static_cast<std::size_t>((u.join - o.start) / kDay);
    const double dayLo = firstDay == 0 ? 0.0 : dayCum[firstDay - 1];
    std::uint64_t left = quota[uIdx];
    while (left > 0) {
      // A session: a weighted day and hour at or after the user joined, then 1-5 views.
      const double x = dayLo + eventRng.uniform() * (dayCum.back() - dayLo);
      const auto day = static_cast<std::int64_t>(std::min<std::size_t>(
          static_cast<std::size_t>(std::upper_bound(dayCum.begin(), dayCum.end(), x) -
                                   dayCum.begin()),
          o.days - 1));
      const auto hour = static_cast<std::int64_t>(eventRng.pick(hourCum));
      std::int64_t t =
          o.start + day * kDay + hour * 3600 + static_cast<std::int64_t>(eventRng.below(3600));
      const int views = 1 + static_cast<int>(eventRng.below(5));
      for (int v = 0; v < views && left > 0; ++v) {
        t += 20 + static_cast<std::int64_t>(eventRng.below(300));
        // 80 % of views follow the user's taste, 20 % browse by popularity. Items must be
        // launched; those in their first three weeks get a novelty lift (rejection sampling).
        std::uint32_t item = fallbackItem;
        for (int tries = 0; tries < 64; ++tries) {
          const bool explore = eventRng.chance(0.2);
          const auto cand =
              static_cast<std::uint32_t>(explore ? eventRng.pick(popCum) : eventRng.pick(cum));
          const Item& it = items[cand];
          if (it.launch > t) continue;
          const bool novel = it.launchedInPeriod && t - it.launch < 21 * kDay;
          if (it.launchedInPeriod && !novel && !eventRng.chance(0.4)) continue;
          item = cand;
          break;
        }
        events.push_back({t, uIdx, item, 0, seq++});
        --left;
        int catRank;
        bool brandHit;
        int termHits;
        matchOf(item, catRank, brandHit, termHits);
        const double m = (catRank >= 0 ? 1.0 : 0.0) + (brandHit ? 1.0 : 0.0) + 0.6 * termHits +
                         (priceFit(items[item]) > 1.0 ? 0.5 : 0.0);
        if (left == 0 || !eventRng.chance(sigmoid(-1.8 + 0.9 * m))) continue;
        const std::int64_t tc = t + 5 + static_cast<std::int64_t>(eventRng.below(90));
        events.push_back({tc, uIdx, item, 1, seq++});
        --left;
        if (left == 0 || !eventRng.chance(sigmoid(-2.4 + 0.9 * m))) continue;
        const std::int64_t tp = tc + 60 + static_cast<std::int64_t>(eventRng.below(1200));
        events.push_back({tp, uIdx, item, 2, seq++});
        --left;
      }
    }
  }
  ctx.progress(0.9, "assembling dataset");
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.t != b.t) return a.t < b.t;
    if (a.user != b.user) return a.user < b.user;
    return a.seq < b.seq;
  });

  GeneratorResult result;
  Dataset& d = result.dataset;
  d.name = "retail-sample";
  d.source = "recwb generate --seed " + std::to_string(o.seed) + " --users " +
             std::to_string(o.users) + " --items " + std::to_string(o.items) + " --interactions " +
             std::to_string(o.interactions);
  const int uWidth = std::max<int>(5, static_cast<int>(std::to_string(o.users).size()));
  const int iWidth = std::max<int>(5, static_cast<int>(std::to_string(o.items).size()));
  d.users.reserve(o.users);
  d.items.reserve(o.items);
  for (std::uint32_t k = 0; k < o.users; ++k) d.users.intern(padded('U', k + 1, uWidth));
  for (std::uint32_t k = 0; k < o.items; ++k) d.items.intern(padded('I', k + 1, iWidth));
  d.interactions.eventNames = {"view", "click", "purchase"};
  d.interactions.reserve(events.size(), true);
  static constexpr std::array<float, 3> kValues{kViewValue, kClickValue, kPurchaseValue};
  for (const auto& e : events) d.interactions.push(e.user, e.item, kValues[e.event], e.t, e.event);

  auto categorical = [](std::string name, auto&& labels) {
    AttributeColumn c;
    c.name = std::move(name);
    c.type = ColumnType::kCategorical;
    for (const auto& l : labels) c.internCategory(l);
    return c;
  };
  std::vector<std::string_view> catNames;
  for (const auto& c : cats) catNames.push_back(c.name);
  std::vector<std::string_view> brandNames;
  for (const auto& b : brands) brandNames.push_back(b.name);
  AttributeColumn category = categorical("category", catNames);
  AttributeColumn brand = categorical("brand", brandNames);
  AttributeColumn price;
  price.name = "price";
  price.type = ColumnType::kNumeric;
  AttributeColumn description;
  description.name = "description";
  description.type = ColumnType::kText;
  for (const auto& it : items) {
    category.codes.push_back(it.category);
    brand.codes.push_back(it.brand);
    price.numeric.push_back(it.price);
    description.text.push_back(it.description);
    result.truth.itemLaunch.push_back(it.launch);
  }
  d.itemAttributes.columns = {std::move(category), std::move(brand), std::move(price),
                              std::move(description)};

  AttributeColumn segment = categorical("segment", kSegments);
  AttributeColumn age = categorical("age_band", kAgeBands);
  AttributeColumn region = categorical("region", kRegions);
  for (const auto& u : users) {
    segment.codes.push_back(u.segment);
    age.codes.push_back(u.age);
    region.codes.push_back(u.region);
    result.truth.userCategories.emplace_back(u.categories.begin(), u.categories.end());
    result.truth.userBrands.emplace_back(u.brands.begin(), u.brands.end());
    std::vector<std::string> terms;
    for (const auto& [c, t] : u.terms) {
      terms.emplace_back(cats[static_cast<std::size_t>(c)].terms[static_cast<std::size_t>(t)]);
    }
    result.truth.userTerms.push_back(std::move(terms));
  }
  d.userAttributes.columns = {std::move(segment), std::move(age), std::move(region)};
  ctx.progress(1.0, "generated");
  return result;
}

}  // namespace rwb
