// The include rules of docs/architecture.md, checked on the source tree: every
// `#include "core/<module>/..."` in core/ must be an allowed edge, and core never includes Qt,
// ui/ or app/.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// module -> modules it may include (itself always allowed). Keep in step with
// docs/architecture.md.
const std::map<std::string, std::set<std::string>> kAllowed = {
    {"util", {}},
    {"data", {"util"}},
    {"prep", {"util", "data"}},
    {"features", {"util", "data"}},
    {"models", {"util", "data", "features"}},
    {"eval", {"util", "data"}},
    {"experiment", {"util", "data", "prep", "features", "models", "eval"}},
    {"store", {"util", "data", "eval", "experiment"}},
    {"export", {"util", "data", "features", "models", "eval", "experiment", "store"}},
};

struct Include {
  std::string file;
  int line;
  std::string target;
};

std::vector<Include> includesOf(const fs::path& file, const fs::path& root) {
  static const std::regex re(R"(^\s*#\s*include\s*[<"]([^>"]+)[>"])");
  std::vector<Include> out;
  std::ifstream in(file);
  std::string text;
  int n = 0;
  while (std::getline(in, text)) {
    ++n;
    std::smatch m;
    if (std::regex_search(text, m, re)) {
      out.push_back({fs::relative(file, root).generic_string(), n, m[1].str()});
    }
  }
  return out;
}

}  // namespace

TEST_CASE("core modules include only the layers below them (docs/architecture.md)",
          "[util][architecture]") {
  const fs::path root = RWB_SOURCE_DIR;
  const fs::path core = root / "core";
  REQUIRE(fs::is_directory(core));
  std::vector<std::string> violations;
  std::size_t files = 0, edges = 0;
  for (const auto& entry : fs::recursive_directory_iterator(core)) {
    const auto ext = entry.path().extension();
    if (!entry.is_regular_file() || (ext != ".h" && ext != ".cpp")) continue;
    const std::string module = fs::relative(entry.path(), core).begin()->string();
    const auto rule = kAllowed.find(module);
    if (rule == kAllowed.end()) {
      violations.push_back(entry.path().generic_string() + ": module '" + module +
                           "' is not in the layer table");
      continue;
    }
    ++files;
    for (const Include& inc : includesOf(entry.path(), root)) {
      const std::string where = inc.file + ":" + std::to_string(inc.line) + ": ";
      if (inc.target.rfind("Q", 0) == 0 || inc.target.rfind("ui/", 0) == 0 ||
          inc.target.rfind("app/", 0) == 0 || inc.target.find("qcustomplot") != std::string::npos) {
        violations.push_back(where + "core must not include '" + inc.target + "'");
        continue;
      }
      if (inc.target.rfind("core/", 0) != 0) continue;
      const auto slash = inc.target.find('/', 5);
      if (slash == std::string::npos) continue;
      const std::string to = inc.target.substr(5, slash - 5);
      ++edges;
      if (to != module && !rule->second.count(to)) {
        violations.push_back(where + module + " -> " + to + " ('" + inc.target + "')");
      }
    }
  }
  for (const auto& v : violations) UNSCOPED_INFO(v);
  CHECK(files > 100);  // the walk found the tree
  CHECK(edges > 100);
  CHECK(violations.empty());
}

TEST_CASE("the layer table allows no cycle", "[util][architecture]") {
  // Depth-first search over the allowed edges: an edge that points up the table would let two
  // modules include each other.
  std::map<std::string, int> state;  // 0 new, 1 on stack, 2 done
  std::function<bool(const std::string&)> cyclic = [&](const std::string& m) {
    if (state[m] == 1) return true;
    if (state[m] == 2) return false;
    state[m] = 1;
    for (const auto& to : kAllowed.at(m)) {
      if (cyclic(to)) return true;
    }
    state[m] = 2;
    return false;
  };
  for (const auto& [m, _] : kAllowed) CHECK_FALSE(cyclic(m));
}

TEST_CASE("every test case that needs ../shared/data is tagged [shared]", "[util][architecture]") {
  // CTest runs [shared] test cases as their own entry and reports it as skipped when the data is
  // absent (cmake/RwbHelpers.cmake); an untagged one would pass silently instead.
  const fs::path tests = fs::path(RWB_SOURCE_DIR) / "tests";
  static const std::regex testCase(R"(TEST_CASE\s*\()");
  std::vector<std::string> untagged;
  std::size_t uses = 0;
  for (const auto& entry : fs::recursive_directory_iterator(tests)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".cpp") continue;
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::size_t> starts;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), testCase);
         it != std::sregex_iterator(); ++it) {
      starts.push_back(static_cast<std::size_t>(it->position()));
    }
    starts.push_back(text.size());
    for (std::size_t k = 0; k + 1 < starts.size(); ++k) {
      const std::string block = text.substr(starts[k], starts[k + 1] - starts[k]);
      if (block.find("RWB_REQUIRE_SHARED_DATA(") == std::string::npos) continue;
      ++uses;
      const std::string head = block.substr(0, block.find('{'));
      if (head.find("[shared]") == std::string::npos) {
        untagged.push_back(fs::relative(entry.path(), tests).generic_string() + ": " +
                           head.substr(0, 80));
      }
    }
  }
  for (const auto& u : untagged) UNSCOPED_INFO(u);
  CHECK(uses >= 10);
  CHECK(untagged.empty());
}
