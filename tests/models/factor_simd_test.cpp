// The factor kernels are dispatched at run time (base SSE2 / AVX2 / AVX-512F). The contract is
// that the level changes speed only: every level must produce bit-identical models and lists.

#include "core/models/factor_kernels.h"
#include "core/models/factor_model.h"
#include "core/models/registry.h"
#include "planted_data.h"
#include "test_support.h"

using namespace rwb;

namespace {

struct LimitGuard {
  ~LimitGuard() { factor::limitSimdLevel(factor::SimdLevel::kAvx512); }
};

struct Snapshot {
  std::vector<float> users, items;
  std::vector<RecList> lists;
};

Snapshot fitAt(factor::SimdLevel level, const std::string& name, const Params& params,
               const Dataset& d) {
  factor::limitSimdLevel(level);
  auto m = createModel(name, params);
  TaskContext ctx;
  m->fit({d, nullptr, 5, 2}, ctx);
  const auto& fm = dynamic_cast<const FactorModel&>(*m);
  Snapshot s;
  for (Index u = 0; u < m->numUsers(); ++u) {
    const auto r = fm.userFactors(u);
    s.users.insert(s.users.end(), r.begin(), r.end());
  }
  for (Index i = 0; i < m->numItems(); ++i) {
    const auto r = fm.itemFactors(i);
    s.items.insert(s.items.end(), r.begin(), r.end());
  }
  std::vector<Index> users(m->numUsers());
  for (std::size_t u = 0; u < users.size(); ++u) users[u] = static_cast<Index>(u);
  s.lists = m->recommendBatch(users, 7, true, ctx);
  return s;
}

}  // namespace

TEST_CASE("factor kernels: every SIMD level gives bit-identical models and top-k",
          "[models][factor][simd]") {
  LimitGuard guard;
  const auto detected = factor::detectedSimdLevel();
  INFO("detected " << factor::simdLevelName(detected));
  // 53 items: a partial last top-k panel; factor counts cover the padded (20), the
  // register-resident (32, 64) and the generic (72) kernel widths.
  const auto p = test::plantedCommunities(70, 53, 8);
  for (int f : {20, 32, 64, 72}) {
    for (const std::string name : {"ials", "bpr"}) {
      INFO(name << " factors " << f);
      const Params params = name == "ials" ? Params{{"factors", f}, {"iterations", 4}}
                                           : Params{{"factors", f}, {"epochs", 8}};
      const Snapshot base = fitAt(factor::SimdLevel::kBase, name, params, p.data);
      REQUIRE(!base.users.empty());
      for (int level = 1; level <= static_cast<int>(detected); ++level) {
        INFO("level " << factor::simdLevelName(static_cast<factor::SimdLevel>(level)));
        const Snapshot s = fitAt(static_cast<factor::SimdLevel>(level), name, params, p.data);
        CHECK(s.users == base.users);
        CHECK(s.items == base.items);
        REQUIRE(s.lists.size() == base.lists.size());
        for (std::size_t u = 0; u < s.lists.size(); ++u)
          CHECK(s.lists[u].items == base.lists[u].items);
      }
    }
  }
}

// The AVX-512 iALS passes take 16 rows at a time (their horizontal sums together); rows of 24
// (users) and about 120 (items) observed pairs run whole blocks and a remainder. The data above
// has rows shorter than 16.
TEST_CASE("factor kernels: iALS on rows longer than 16 pairs is bit-identical at every level",
          "[models][factor][simd]") {
  LimitGuard guard;
  const auto detected = factor::detectedSimdLevel();
  const auto p = test::plantedCommunities(300, 60, 24, 7);
  for (int f : {32, 64}) {
    INFO("factors " << f);
    const Params params{{"factors", f}, {"iterations", 3}};
    const Snapshot base = fitAt(factor::SimdLevel::kBase, "ials", params, p.data);
    REQUIRE(!base.users.empty());
    for (int level = 1; level <= static_cast<int>(detected); ++level) {
      INFO("level " << factor::simdLevelName(static_cast<factor::SimdLevel>(level)));
      const Snapshot s = fitAt(static_cast<factor::SimdLevel>(level), "ials", params, p.data);
      CHECK(s.users == base.users);
      CHECK(s.items == base.items);
    }
  }
}

TEST_CASE("factor kernels: the level can be capped and named", "[models][factor][simd]") {
  LimitGuard guard;
  factor::limitSimdLevel(factor::SimdLevel::kBase);
  CHECK(factor::simdLevel() == factor::SimdLevel::kBase);
  factor::limitSimdLevel(factor::SimdLevel::kAvx512);
  CHECK(factor::simdLevel() == factor::detectedSimdLevel());
  CHECK(std::string(factor::simdLevelName(factor::SimdLevel::kAvx2)) == "avx2");
}
