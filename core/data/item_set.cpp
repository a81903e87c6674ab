#include "core/data/item_set.h"

#include <algorithm>
#include <fstream>
#include <unordered_map>

#include "core/util/error.h"

namespace rwb {

namespace {

std::string_view trim(std::string_view s) {
  const auto notSpace = [](char c) { return c != ' ' && c != '\t' && c != '\r'; };
  while (!s.empty() && !notSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && !notSpace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<Index> readItemSetFile(const std::string& path, const IdMap& items) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read item list '" + path + "'");
  std::unordered_map<Index, std::uint64_t> lineOf;
  std::vector<Index> out;
  std::string line;
  std::uint64_t lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    const std::string_view id = trim(line);
    if (id.empty()) continue;
    const auto index = items.find(id);
    if (!index) {
      throw ParseError(path, lineNo, 1, "item '" + std::string(id) + "' is not in the catalogue");
    }
    const auto [it, inserted] = lineOf.emplace(*index, lineNo);
    if (!inserted) {
      throw ParseError(path, lineNo, 1,
                       "item '" + std::string(id) + "' is listed twice (first on line " +
                           std::to_string(it->second) + ")");
    }
    out.push_back(*index);
  }
  if (in.bad()) throw IoError("cannot read item list '" + path + "'");
  if (out.empty()) throw ParseError(path, 0, 0, "the item list names no item");
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<Index> parseItemSetList(std::string_view list, const IdMap& items) {
  std::vector<Index> out;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    const std::size_t comma = std::min(list.find(',', pos), list.size());
    const std::string_view id = trim(list.substr(pos, comma - pos));
    if (id.empty()) throw Error("the item list has an empty id");
    const auto index = items.find(id);
    if (!index) throw Error("item '" + std::string(id) + "' is not in the catalogue");
    if (std::find(out.begin(), out.end(), *index) != out.end()) {
      throw Error("item '" + std::string(id) + "' is listed twice");
    }
    out.push_back(*index);
    pos = comma + 1;
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace rwb
