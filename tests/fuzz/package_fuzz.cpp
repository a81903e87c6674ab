// Fuzz target: the model package loader (core/export/model_package) and the model state it
// carries. Input: one mode byte, then bytes.
//   mode even: the bytes are a package file, read by ModelPackage::load.
//   mode odd:  the bytes are a package's "model" blob, read by loadModelFromBytes: the
//              checksum that guards a whole package would stop almost every mutation before the
//              model state is read, so this path feeds the state validation directly.
// Whatever loads is then used as the server uses it (top-k lists, similar items), so state that
// passes validation but indexes out of bounds is found by ASan.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/export/batch_scorer.h"
#include "core/export/model_package.h"
#include "core/models/registry.h"
#include "core/util/error.h"
#include "fuzz_support.h"

namespace {

void exercise(const rwb::Model& model) {
  // Bounded work: a state that claims billions of users is not a reason to time out.
  for (rwb::Index u = 0; u < std::min<std::size_t>(model.numUsers(), 3); ++u) {
    const auto list = model.recommend(u, 5);
    for (const auto& s : list.items) rwb::fuzz::check(s.item < model.numItems(), "item in range");
  }
  if (model.numItems() > 0) (void)model.similarItems(0, 5);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    if ((data[0] & 1) == 0) {
      const auto path = rwb::fuzz::scratchDir() / "model.rwbm";
      rwb::fuzz::writeBytes(path, bytes);
      const auto pkg = rwb::ModelPackage::load(path.string());
      exercise(pkg->model());
      if (pkg->users().size() > 0) {
        (void)rwb::recommendExternal(*pkg, pkg->users().external(0), 5, true, nullptr);
      }
      (void)rwb::recommendExternal(*pkg, "no such user", 5, true, nullptr);
    } else {
      const auto model = rwb::loadModelFromBytes(bytes);
      exercise(*model);
    }
  } catch (const rwb::Error&) {
  }
  return 0;
}
