#include "core/experiment/pipeline_stages.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "core/data/delimited_loader.h"
#include "test_support.h"

using namespace rwb;

namespace {

DelimitedOptions tsvNoHeader() {
  DelimitedOptions o;
  o.delimiter = '\t';
  o.header = HeaderMode::kNo;
  return o;
}

}  // namespace

TEST_CASE("hand-computed ranking metrics", "[experiment][eval]") {
  // Two users; user 0 has relevant items {1, 3, 5}, user 1 has {2}.
  Dataset truth;
  for (const char* u : {"a", "b"}) truth.users.intern(u);
  for (int i = 0; i < 6; ++i) truth.items.intern(std::to_string(i));
  truth.interactions.push(0, 1, 1, kNoTimestamp);
  truth.interactions.push(0, 3, 1, kNoTimestamp);
  truth.interactions.push(0, 5, 1, kNoTimestamp);
  truth.interactions.push(1, 2, 1, kNoTimestamp);
  MetricsSpec m;
  m.k = 3;
  m.names = {"precision", "recall", "ndcg", "map", "map_at_k", "hit_rate"};
  std::vector<Index> users = {1, 0};  // out of order on purpose: results come back sorted
  std::vector<RecList> lists(2);
  lists[0].items = {{0, 3.f}, {4, 2.f}, {1, 1.f}};  // user 1: no hit
  lists[1].items = {{1, 3.f}, {2, 2.f}, {3, 1.f}};  // user 0: hits at ranks 1 and 3
  TaskContext ctx;
  const Dataset train = truth.emptyLike();
  const auto ev = evaluateTopK(users, lists, train, truth, m, ctx);
  REQUIRE(ev.users == std::vector<Index>{0, 1});
  const double l2 = 1.0 / std::log2(3.0), l3 = 1.0 / std::log2(4.0);
  CHECK(ev.perUser.at("precision@3")[0] == Approx(2.0 / 3.0));
  CHECK(ev.perUser.at("recall@3")[0] == Approx(2.0 / 3.0));
  CHECK(ev.perUser.at("ndcg@3")[0] == Approx((1.0 + l3) / (1.0 + l2 + l3)));
  CHECK(ev.perUser.at("map")[0] == Approx((1.0 + 2.0 / 3.0) / 3.0));
  CHECK(ev.perUser.at("map@3")[0] == Approx((1.0 + 2.0 / 3.0) / 3.0));
  CHECK(ev.perUser.at("hit_rate@3")[0] == 1.0);
  CHECK(ev.perUser.at("precision@3")[1] == 0.0);
  CHECK(ev.metrics.at("precision@3") == Approx(1.0 / 3.0));
  CHECK(ev.metrics.at("hit_rate@3") == Approx(0.5));
}

TEST_CASE("top-k metrics reproduce Microsoft Recommenders' values for its SAR lists",
          "[experiment][eval][shared]") {
  RWB_REQUIRE_SHARED_DATA(data);
  TaskContext ctx;
  const auto dir = data / "ml-100k-recsplit";
  const LoadResult train = loadDelimited((dir / "train.tsv").string(), tsvNoHeader(), ctx);
  const LoadResult test =
      loadDelimited((dir / "test.tsv").string(), tsvNoHeader(), ctx, &train.dataset);
  DelimitedOptions recOpt = tsvNoHeader();
  const LoadResult recs =
      loadDelimited((dir / "sar_top10.tsv").string(), recOpt, ctx, &test.dataset);
  // Lists in file order (the file is sorted by score within each user).
  std::vector<Index> users;
  std::vector<RecList> lists;
  const auto& log = recs.dataset.interactions;
  for (std::size_t r = 0; r < log.size(); ++r) {
    if (users.empty() || users.back() != log.user[r]) {
      users.push_back(log.user[r]);
      lists.emplace_back();
    }
    lists.back().items.push_back({log.item[r], log.value[r]});
  }
  MetricsSpec m;
  m.k = 10;
  m.names = {"precision", "recall", "ndcg", "map", "map_at_k"};
  const auto ev = evaluateTopK(users, lists, train.dataset, test.dataset, m, ctx);
  std::ifstream in(dir / "expected_metrics.json");
  const auto expected = nlohmann::json::parse(in);
  CHECK(ev.metrics.at("precision@10") ==
        Approx(expected["precision_at_k"].get<double>()).epsilon(1e-9));
  CHECK(ev.metrics.at("recall@10") == Approx(expected["recall_at_k"].get<double>()).epsilon(1e-9));
  CHECK(ev.metrics.at("ndcg@10") == Approx(expected["ndcg_at_k"].get<double>()).epsilon(1e-9));
  CHECK(ev.metrics.at("map") == Approx(expected["map"].get<double>()).epsilon(1e-9));
  CHECK(ev.metrics.at("map@10") == Approx(expected["map_at_k"].get<double>()).epsilon(1e-9));
}
