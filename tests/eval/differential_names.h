#pragma once
// The library's ranking-metric names in the differential goldens (tests/data/differential) and
// ours, shared by the core and CLI differential tests.

#include <string>
#include <utility>
#include <vector>

namespace rwb::test {

inline const std::vector<std::pair<std::string, std::string>>& libraryMetricNames() {
  static const std::vector<std::pair<std::string, std::string>> names = {
      {"map", "map"},
      {"map_at_k", "map@10"},
      {"ndcg_at_k", "ndcg@10"},
      {"ndcg_at_k_raw", "ndcg_raw@10"},
      {"ndcg_at_k_exp", "ndcg_exp@10"},
      {"precision_at_k", "precision@10"},
      {"recall_at_k", "recall@10"}};
  return names;
}

}  // namespace rwb::test
