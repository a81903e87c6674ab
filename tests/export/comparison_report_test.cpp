#include "core/export/comparison_report.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <regex>

#include "core/store/project_store.h"
#include "core/store/run_annotations.h"
#include "core/util/error.h"
#include "test_support.h"

using namespace rwb;

namespace {

RunRecord run(const std::string& name, double shift) {
  RunRecord r;
  r.name = name;
  r.model = shift > 0 ? "bpr" : "most_popular";
  r.status = RunStatus::kOk;
  r.datasetFingerprint = "fp";
  r.datasetSource = "/data/log <1>.tsv";
  r.splitHash = "split1";
  r.params = {{"factors", shift > 0 ? 64 : 32}};
  r.k = 10;
  r.evaluatedUsers = {0, 1, 2, 3, 4, 5, 6, 7};
  std::vector<double> v;
  for (int u = 0; u < 8; ++u) v.push_back(0.1 * (u % 4) + shift);
  double mean = 0.0;
  for (double x : v) mean += x / 8.0;
  r.perUser = {{"ndcg@10", v}};
  r.metrics = {{"ndcg@10", mean}, {"catalog_coverage", 0.125 + shift}};
  r.learningCurve = {{1, {{"loss", 0.9 - shift}}}, {2, {{"loss", 0.5 - shift}}}};
  return r;
}

std::string readText(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::string fixed6(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

}  // namespace

TEST_CASE("the comparison report is one self-contained HTML file with the runs' numbers",
          "[export]") {
  test::TempDir dir;
  ProjectStore store(dir / "p.rwbproj");
  const RunRecord a = run("pop <baseline>", 0.0), b = run("bpr", 0.25);
  const auto ida = store.saveRun(a), idb = store.saveRun(b);
  RunAnnotations notes(store);
  notes.addTag(idb, "candidate");
  notes.setNote(idb, "tuned & ready");
  notes.setChampion(idb);

  ReportOptions options;
  options.title = "Weekly comparison";
  TaskContext ctx;
  const auto out = dir / "report.html";
  writeComparisonReport(store, options, out, ctx);
  const std::string html = readText(out);

  // Self-contained: no external reference of any kind, no script.
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("href=") == std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("</html>") != std::string::npos);

  // The runs' numbers, names (escaped), tags, note, champion, diff, charts.
  CHECK(html.find("Weekly comparison") != std::string::npos);
  CHECK(html.find(fixed6(a.metrics.at("ndcg@10"))) != std::string::npos);
  CHECK(html.find(fixed6(b.metrics.at("ndcg@10"))) != std::string::npos);
  CHECK(html.find(fixed6(b.metrics.at("catalog_coverage"))) != std::string::npos);
  CHECK(html.find("#" + std::to_string(ida) + " pop &lt;baseline&gt;") != std::string::npos);
  CHECK(html.find("pop <baseline>") == std::string::npos);
  CHECK(html.find("candidate") != std::string::npos);
  CHECK(html.find("tuned &amp; ready") != std::string::npos);
  CHECK(html.find("Champion history") != std::string::npos);
  CHECK(html.find("params.factors") != std::string::npos);
  CHECK(html.find("Significance") != std::string::npos);
  CHECK(html.find("Learning curves") != std::string::npos);
  std::size_t svgs = 0;
  for (std::size_t p = html.find("<svg"); p != std::string::npos; p = html.find("<svg", p + 1))
    ++svgs;
  CHECK(svgs == 3);  // two metrics and one learning curve
  // Every CI printed encloses its run's mean.
  const std::regex ci(R"(>([0-9.]+)<br><span class="ci">\[([0-9.]+), ([0-9.]+)\])");
  int cis = 0;
  for (auto it = std::sregex_iterator(html.begin(), html.end(), ci); it != std::sregex_iterator();
       ++it, ++cis) {
    const double v = std::stod((*it)[1]), lo = std::stod((*it)[2]), hi = std::stod((*it)[3]);
    CHECK(lo <= v);
    CHECK(v <= hi);
  }
  CHECK(cis == 2);
  CHECK_FALSE(std::filesystem::exists(dir / "report.html.part"));
}

TEST_CASE("the report of chosen runs holds only them; no run is an error", "[export]") {
  test::TempDir dir;
  ProjectStore store(dir / "p.rwbproj");
  TaskContext ctx;
  CHECK_THROWS_AS(comparisonReportHtml(store, {}, ctx), Error);
  const auto ida = store.saveRun(run("first", 0.0));
  store.saveRun(run("second", 0.25));
  ReportOptions options;
  options.runs = {ida};
  const std::string html = comparisonReportHtml(store, options, ctx);
  CHECK(html.find("first") != std::string::npos);
  CHECK(html.find("second") == std::string::npos);
  options.runs = {ida + 100};
  CHECK_THROWS_AS(comparisonReportHtml(store, options, ctx), StoreError);
  // Archived runs are left out of the default report.
  RunAnnotations(store).setArchived(ida, true);
  const std::string all = comparisonReportHtml(store, {}, ctx);
  CHECK(all.find("first") == std::string::npos);
  CHECK(all.find("second") != std::string::npos);
}
