#include <iostream>

#include "cli.h"
#include "core/models/registry.h"

namespace rwb::cli {

Action registerModels(CLI::App&, Common& common) {
  return [&common]() {
    if (common.json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& m : modelRegistry()) {
        out.push_back({{"name", m.name},
                       {"display_name", m.displayName},
                       {"family", m.family},
                       {"description", m.description},
                       {"params", m.schema.toJson()}});
      }
      printJson(out);
      return 0;
    }
    for (const auto& m : modelRegistry()) {
      std::cout << m.name << "  (" << m.family << ")  " << m.description << "\n";
      for (const auto& p : m.schema.params) {
        std::cout << "    " << p.name << " : " << paramTypeName(p.type) << " = "
                  << p.defaultValue.dump();
        if (p.min || p.max) {
          std::cout << "  in [" << (p.min ? std::to_string(*p.min) : "-inf") << ", "
                    << (p.max ? std::to_string(*p.max) : "inf") << "]";
        }
        if (!p.choices.empty()) {
          std::cout << "  one of";
          for (const auto& c : p.choices) std::cout << " " << c;
        }
        std::cout << "\n      " << p.description << "\n";
      }
    }
    return 0;
  };
}

}  // namespace rwb::cli
