#include <iostream>

#include "cli.h"
#include "core/data/delimited_loader.h"

namespace rwb::cli {

Action registerInspect(CLI::App& sub, Common& common) {
  auto path = std::make_shared<std::string>();
  sub.add_option("path", *path, "Interactions file")->required();
  return [path, &common]() {
    TerminalTask task(common);
    DelimitedOptions opt;
    const LoadResult r = loadDelimited(*path, opt, task.ctx());
    task.finish();
    const Dataset& d = r.dataset;
    const double density = d.numUsers() && d.numItems()
                               ? static_cast<double>(d.numInteractions()) /
                                     (static_cast<double>(d.numUsers()) * d.numItems())
                               : 0.0;
    if (common.json) {
      printJson({{"users", d.numUsers()},
                 {"items", d.numItems()},
                 {"interactions", d.numInteractions()},
                 {"density", density}});
    } else {
      std::cout << "users         " << withCommas(d.numUsers()) << "\n"
                << "items         " << withCommas(d.numItems()) << "\n"
                << "interactions  " << withCommas(d.numInteractions()) << "\n"
                << "density       " << density << "\n";
    }
    return 0;
  };
}

}  // namespace rwb::cli
