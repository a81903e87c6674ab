// recwb generate: write the seeded retail sample dataset in the RecWorkbench folder layout.
#include <cstdio>
#include <iostream>

#include "cli.h"
#include "core/data/dataset_writer.h"
#include "core/prep/generator.h"
#include "core/util/memory.h"

namespace rwb::cli {

Action registerGenerate(CLI::App& sub, Common& common) {
  auto out = std::make_shared<std::string>();
  auto o = std::make_shared<GeneratorOptions>();
  sub.add_option("--out,-o", *out, "Output folder (created if missing; files replaced)")
      ->required();
  sub.add_option("--seed,-s", o->seed, "Random seed")->capture_default_str();
  sub.add_option("--users", o->users, "Number of users (>= 10)")->capture_default_str();
  sub.add_option("--items", o->items, "Number of items (>= 48)")->capture_default_str();
  sub.add_option("--interactions", o->interactions, "Number of event rows (>= users)")
      ->capture_default_str();
  sub.add_option("--days", o->days, "Length of the period in days (>= 7)")->capture_default_str();
  sub.add_option("--start", o->start, "First day, Unix seconds")->capture_default_str();
  sub.add_option("--new-item-share", o->newItemShare,
                 "Share of items launched after the period (never interacted with)")
      ->capture_default_str();
  auto maxMemory = std::make_shared<std::string>();
  sub.add_option("--max-memory", *maxMemory,
                 "Refuse when the estimated memory exceeds this size (e.g. 8G; default 80% of "
                 "the available memory)");
  return [out, o, maxMemory, &common]() {
    if (!maxMemory->empty()) o->memoryLimitBytes = parseByteSize(*maxMemory, "--max-memory");
    TerminalTask task(common);
    TaskContext gen(task.ctx(), 0.0, 0.7);
    const GeneratorResult g = generateRetailDataset(*o, gen);
    TaskContext write(task.ctx(), 0.7, 1.0);
    const WriteResult w = writeDatasetFolder(g.dataset, *out, {}, write);
    task.finish();
    const Dataset& d = g.dataset;
    std::vector<std::uint64_t> perEvent(d.interactions.eventNames.size(), 0);
    for (auto e : d.interactions.event) ++perEvent[e];
    std::uint64_t untouched = 0;
    for (auto c : d.itemCounts()) untouched += c == 0;
    char fp[17];
    std::snprintf(fp, sizeof fp, "%016llx", static_cast<unsigned long long>(d.fingerprint()));
    if (common.json) {
      nlohmann::json events;
      for (std::size_t e = 0; e < perEvent.size(); ++e) {
        events[d.interactions.eventNames[e]] = perEvent[e];
      }
      printJson({{"out", *out},
                 {"seed", o->seed},
                 {"users", d.numUsers()},
                 {"items", d.numItems()},
                 {"items_without_interactions", untouched},
                 {"interactions", d.numInteractions()},
                 {"events", events},
                 {"fingerprint", fp},
                 {"files", w.files}});
    } else {
      std::printf("users         %s\n", withCommas(d.numUsers()).c_str());
      std::printf("items         %s (%s without interactions)\n", withCommas(d.numItems()).c_str(),
                  withCommas(untouched).c_str());
      std::printf("interactions  %s\n", withCommas(d.numInteractions()).c_str());
      for (std::size_t e = 0; e < perEvent.size(); ++e) {
        std::printf("  %-10s  %s\n", d.interactions.eventNames[e].c_str(),
                    withCommas(perEvent[e]).c_str());
      }
      std::printf("fingerprint   %s\n", fp);
      for (const auto& f : w.files) std::printf("wrote         %s\n", f.c_str());
    }
    return 0;
  };
}

}  // namespace rwb::cli
