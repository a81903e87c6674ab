// Fuzz target: the MovieLens folder readers (core/data/movielens_loader). Input: one byte that
// picks the layout (100K, 1M, latest) and strict or lenient, then up to three files separated
// by a line "~~~": the layout's interactions, items and users (tags for latest) files, in that
// order. A file left out of the input is absent from the folder.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/data/dataset_loader.h"
#include "core/util/error.h"
#include "dataset_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  namespace fs = std::filesystem;
  const std::uint8_t opt = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  static const std::array<std::array<const char*, 3>, 3> kFiles{{
      {"u.data", "u.item", "u.user"},
      {"ratings.dat", "movies.dat", "users.dat"},
      {"ratings.csv", "movies.csv", "tags.csv"},
  }};
  static const std::array<rwb::DataFormat, 3> kLayouts{rwb::DataFormat::kMovieLens100K,
                                                       rwb::DataFormat::kMovieLens1M,
                                                       rwb::DataFormat::kMovieLensLatest};
  const std::size_t layout = (opt & 3) % 3;
  const fs::path dir = rwb::fuzz::scratchDir() / "ml";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto parts = rwb::fuzz::splitParts(text, "\n~~~\n");
  for (std::size_t i = 0; i < parts.size() && i < 3; ++i) {
    rwb::fuzz::writeBytes(dir / kFiles[layout][i], parts[i]);
  }
  rwb::DatasetOptions o;
  o.interactions.strict = (opt & 4) == 0;
  try {
    rwb::TaskContext ctx;
    rwb::fuzz::checkLoad(rwb::loadMovieLens(dir.string(), kLayouts[layout], o, ctx));
  } catch (const rwb::Error&) {
  }
  return 0;
}
