#include "core/export/comparison_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/eval/comparison.h"
#include "core/eval/evaluator.h"
#include "core/eval/metric.h"
#include "core/experiment/run_diff.h"
#include "core/experiment/run_statistics.h"
#include "core/store/project_store.h"
#include "core/store/run_annotations.h"
#include "core/util/error.h"

namespace rwb {

namespace {

// Colour-blind safe (Okabe-Ito), the order series take.
const char* const kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7",
                                "#56B4E9", "#D55E00", "#F0E442", "#000000"};

std::string esc(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string num(double v, int digits = 6) {
  if (!std::isfinite(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string pValue(double p) {
  if (!std::isfinite(p)) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, p < 1e-4 ? "%.1e" : "%.4f", p);
  return buf;
}

std::string utcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

struct ReportRun {
  StoredRun stored;
  std::string label;  ///< "#id name"
  RunLabels labels;
  bool champion = false;
  std::map<std::string, std::pair<double, double>> ci;
  nlohmann::json spec;
};

const char* const kStyle = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
h3{font-size:1.05em}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.best{background:#dff3df;font-weight:bold}tr.sig td{background:#fff4d6}
.ci{color:#666;font-size:.85em}.muted{color:#777}pre{background:#f7f7f7;padding:.5em;overflow:auto}
svg{display:block;margin:.5em 0}
)css";

}  // namespace

std::string svgBarChart(const std::string& title, const std::vector<std::string>& labels,
                        const std::vector<double>& values, const std::vector<double>& lower,
                        const std::vector<double>& upper) {
  const int labelW = 220, plotW = 360, valueW = 90, rowH = 22, top = 28;
  const int width = labelW + plotW + valueW,
            height = top + rowH * static_cast<int>(labels.size()) + 8;
  double lo = 0.0, hi = 0.0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    for (double v :
         {values[i], i < lower.size() ? lower[i] : NAN, i < upper.size() ? upper[i] : NAN}) {
      if (!std::isfinite(v)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (hi <= lo) hi = lo + 1.0;
  auto x = [&](double v) { return labelW + (v - lo) / (hi - lo) * plotW; };
  std::ostringstream s;
  s << "<svg width=\"" << width << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " "
    << height << "\" role=\"img\">"
    << "<title>" << esc(title) << "</title>"
    << "<text x=\"0\" y=\"16\" font-size=\"13\" font-weight=\"bold\">" << esc(title) << "</text>"
    << "<line x1=\"" << x(0) << "\" y1=\"" << top - 4 << "\" x2=\"" << x(0) << "\" y2=\""
    << height - 4 << "\" stroke=\"#999\"/>";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const int y = top + rowH * static_cast<int>(i);
    const double v = values[i];
    s << "<text x=\"" << labelW - 6 << "\" y=\"" << y + 15
      << "\" font-size=\"12\" text-anchor=\"end\">" << esc(labels[i]) << "</text>";
    if (std::isfinite(v)) {
      const double a = std::min(x(0), x(v)), b = std::max(x(0), x(v));
      s << "<rect x=\"" << a << "\" y=\"" << y + 3 << "\" width=\"" << std::max(b - a, 0.5)
        << "\" height=\"" << rowH - 6 << "\" fill=\"" << kPalette[i % 8] << "\"/>";
    }
    if (i < lower.size() && i < upper.size() && std::isfinite(lower[i]) &&
        std::isfinite(upper[i])) {
      const double a = x(lower[i]), b = x(upper[i]), m = y + rowH / 2.0;
      s << "<path d=\"M" << a << " " << m << "H" << b << "M" << a << " " << m - 5 << "V" << m + 5
        << "M" << b << " " << m - 5 << "V" << m + 5 << "\" stroke=\"#222\" fill=\"none\"/>";
    }
    s << "<text x=\"" << labelW + plotW + 6 << "\" y=\"" << y + 15 << "\" font-size=\"12\">"
      << num(v) << "</text>";
  }
  s << "</svg>";
  return s.str();
}

std::string svgLineChart(const std::string& title, const std::string& xLabel,
                         const std::vector<SvgSeries>& series) {
  const int width = 640, height = 300, left = 60, right = 170, top = 28, bottom = 40;
  const int plotW = width - left - right, plotH = height - top - bottom;
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const auto& sr : series) {
    for (const auto& [px, py] : sr.points) {
      if (!std::isfinite(px) || !std::isfinite(py)) continue;
      x0 = std::min(x0, px), x1 = std::max(x1, px), y0 = std::min(y0, py), y1 = std::max(y1, py);
    }
  }
  if (!std::isfinite(x0)) x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  if (x1 <= x0) x1 = x0 + 1;
  if (y1 <= y0) y1 = y0 + 1;
  auto X = [&](double v) { return left + (v - x0) / (x1 - x0) * plotW; };
  auto Y = [&](double v) { return top + plotH - (v - y0) / (y1 - y0) * plotH; };
  std::ostringstream s;
  s << "<svg width=\"" << width << "\" height=\"" << height << "\" viewBox=\"0 0 " << width << " "
    << height << "\" role=\"img\">"
    << "<title>" << esc(title) << "</title>"
    << "<text x=\"0\" y=\"16\" font-size=\"13\" font-weight=\"bold\">" << esc(title) << "</text>"
    << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << plotW << "\" height=\"" << plotH
    << "\" fill=\"none\" stroke=\"#999\"/>";
  for (int t = 0; t <= 4; ++t) {
    const double yv = y0 + (y1 - y0) * t / 4.0, xv = x0 + (x1 - x0) * t / 4.0;
    s << "<text x=\"" << left - 4 << "\" y=\"" << Y(yv) + 4
      << "\" font-size=\"10\" text-anchor=\"end\">" << num(yv, 4) << "</text>"
      << "<text x=\"" << X(xv) << "\" y=\"" << top + plotH + 14
      << "\" font-size=\"10\" text-anchor=\"middle\">" << num(xv, 0) << "</text>";
  }
  s << "<text x=\"" << left + plotW / 2 << "\" y=\"" << height - 6
    << "\" font-size=\"11\" text-anchor=\"middle\">" << esc(xLabel) << "</text>";
  for (std::size_t i = 0; i < series.size(); ++i) {
    std::ostringstream pts;
    for (const auto& [px, py] : series[i].points) {
      if (std::isfinite(px) && std::isfinite(py)) pts << X(px) << "," << Y(py) << " ";
    }
    s << "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" << kPalette[i % 8] << "\" points=\""
      << pts.str() << "\"/>"
      << "<rect x=\"" << left + plotW + 10 << "\" y=\"" << top + 16 * static_cast<int>(i)
      << "\" width=\"10\" height=\"10\" fill=\"" << kPalette[i % 8] << "\"/>"
      << "<text x=\"" << left + plotW + 24 << "\" y=\"" << top + 9 + 16 * static_cast<int>(i)
      << "\" font-size=\"11\">" << esc(series[i].name) << "</text>";
  }
  s << "</svg>";
  return s.str();
}

std::string comparisonReportHtml(const ProjectStore& store, const ReportOptions& options,
                                 TaskContext& ctx) {
  RunAnnotations notes(store);
  const auto allLabels = notes.allLabels();
  const auto champions = notes.champions();
  std::vector<std::int64_t> ids = options.runs;
  if (ids.empty()) {
    for (const RunSummary& s : store.listRuns()) {
      const auto l = allLabels.find(s.id);
      if (l == allLabels.end() || !l->second.archived) ids.push_back(s.id);
    }
    std::sort(ids.begin(), ids.end());
  }
  if (ids.empty()) throw Error("the project holds no run to report");

  std::vector<ReportRun> runs;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ctx.throwIfStopped();
    ctx.progress(0.5 * static_cast<double>(i) / static_cast<double>(ids.size()), "reading runs");
    ReportRun r;
    r.stored = store.loadRun(ids[i]);
    r.label = "#" + std::to_string(ids[i]) + " " + r.stored.record.name;
    if (auto l = allLabels.find(ids[i]); l != allLabels.end()) r.labels = l->second;
    const auto c = champions.find({r.stored.record.datasetFingerprint, r.stored.record.splitHash});
    r.champion = c != champions.end() && c->second == ids[i];
    if (r.stored.specId) r.spec = store.loadSpec(r.stored.specId);
    TaskContext sub(ctx, 0.0, 0.0);
    r.ci = bootstrapIntervals(r.stored.record, sub);
    runs.push_back(std::move(r));
  }

  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
    << esc(options.title) << "</title><style>" << kStyle << "</style></head><body>\n"
    << "<h1>" << esc(options.title) << "</h1>\n<p class=\"muted\">Project "
    << esc(store.path().filename().string()) << ", " << runs.size() << " run(s), written "
    << utcNow()
    << " UTC by RecWorkbench. Means of per-user metrics with bootstrap 95% confidence intervals "
       "(1,000 resamples); paired tests on the users every run evaluated.</p>\n";

  // The runs.
  h << "<h2>Runs</h2>\n<table><tr><th>run</th><th>model</th><th>status</th><th>tags</th>"
       "<th>note</th><th>champion</th><th>data</th><th>split hash</th><th>k</th>"
       "<th>fit s</th><th>created (UTC)</th></tr>\n";
  for (const ReportRun& r : runs) {
    const RunRecord& rec = r.stored.record;
    std::string tags;
    for (const auto& t : r.labels.tags) tags += (tags.empty() ? "" : ", ") + t;
    if (r.labels.archived) tags += tags.empty() ? "archived" : ", archived";
    h << "<tr><td>" << esc(r.label) << "</td><td>" << esc(rec.model) << "</td><td>"
      << runStatusName(rec.status) << "</td><td>" << esc(tags) << "</td><td>" << esc(r.labels.note)
      << "</td><td>" << (r.champion ? "&#9733; champion" : "") << "</td><td>"
      << esc(std::filesystem::path(rec.datasetSource).filename().string()) << "</td><td>"
      << esc(rec.splitHash) << "</td><td class=\"n\">" << rec.k << "</td><td class=\"n\">"
      << num(rec.fitSeconds, 3) << "</td><td>" << esc(r.stored.createdAt) << "</td></tr>\n";
  }
  h << "</table>\n";

  // Metrics, charts and tests per (dataset, split): runs are compared only on the same split.
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const RunRecord& rec = runs[i].stored.record;
    if (rec.status == RunStatus::kOk) groups[{rec.datasetFingerprint, rec.splitHash}].push_back(i);
  }
  std::size_t g = 0;
  for (const auto& [key, members] : groups) {
    ctx.throwIfStopped();
    ctx.progress(0.5 + 0.4 * static_cast<double>(g++) / static_cast<double>(groups.size()),
                 "comparing");
    const RunRecord& first = runs[members.front()].stored.record;
    h << "<h2>Split " << esc(key.second.empty() ? "unknown" : key.second) << " of "
      << esc(std::filesystem::path(first.datasetSource).filename().string()) << " ("
      << members.size() << " run(s))</h2>\n";
    std::set<std::string> metricNames;
    for (std::size_t i : members) {
      for (const auto& [m, v] : runs[i].stored.record.metrics) metricNames.insert(m);
    }
    std::map<std::string, bool> higher;
    std::map<std::string, std::size_t> bestOf;
    for (const auto& m : metricNames) {
      // core/eval's direction; a name it does not know counts as a score.
      try {
        higher[m] = createMetric(m, 10)->higherIsBetter();
      } catch (const Error&) {
        higher[m] = true;
      }
      double best = NAN;
      for (std::size_t i : members) {
        const auto it = runs[i].stored.record.metrics.find(m);
        if (it == runs[i].stored.record.metrics.end() || !std::isfinite(it->second)) continue;
        if (!std::isfinite(best) || (higher[m] ? it->second > best : it->second < best)) {
          best = it->second;
          bestOf[m] = i;
        }
      }
    }
    h << "<h3>Metrics</h3>\n<table><tr><th>run</th>";
    for (const auto& m : metricNames) h << "<th>" << esc(m) << "</th>";
    h << "</tr>\n";
    for (std::size_t i : members) {
      h << "<tr><td>" << esc(runs[i].label) << (runs[i].champion ? " &#9733;" : "") << "</td>";
      for (const auto& m : metricNames) {
        const auto& metrics = runs[i].stored.record.metrics;
        const auto it = metrics.find(m);
        const bool best = bestOf.count(m) && bestOf[m] == i && members.size() > 1;
        h << "<td class=\"n" << (best ? " best" : "") << "\">"
          << (it == metrics.end() ? "-" : num(it->second));
        if (auto c = runs[i].ci.find(m); c != runs[i].ci.end()) {
          h << "<br><span class=\"ci\">[" << num(c->second.first) << ", " << num(c->second.second)
            << "]</span>";
        }
        h << "</td>";
      }
      h << "</tr>\n";
    }
    h << "</table>\n";
    for (const auto& m : metricNames) {
      std::vector<std::string> labels;
      std::vector<double> values, lo, hi;
      for (std::size_t i : members) {
        const auto& metrics = runs[i].stored.record.metrics;
        const auto it = metrics.find(m);
        labels.push_back(runs[i].label);
        values.push_back(it == metrics.end() ? NAN : it->second);
        const auto c = runs[i].ci.find(m);
        lo.push_back(c == runs[i].ci.end() ? NAN : c->second.first);
        hi.push_back(c == runs[i].ci.end() ? NAN : c->second.second);
      }
      h << svgBarChart(m + (runs[members.front()].ci.count(m) ? " (95% CI)" : ""), labels, values,
                       lo, hi)
        << "\n";
    }

    // Paired tests between the runs of this split that have per-user vectors.
    std::vector<std::shared_ptr<const EvalResult>> evals;
    std::vector<const EvalResult*> ptrs;
    std::vector<std::string> names;
    for (std::size_t i : members) {
      if (runs[i].stored.record.perUser.empty()) continue;
      evals.push_back(evaluationOf(runs[i].stored.record));
      ptrs.push_back(evals.back().get());
      names.push_back(runs[i].label);
    }
    if (ptrs.size() >= 2) {
      TaskContext sub(ctx, 0.0, 0.0);
      const ComparisonResult cmp = compareRuns(ptrs, names, CompareOptions{}, sub);
      h << "<h3>Significance (paired, Holm-adjusted across pairs)</h3>\n"
           "<p class=\"muted\">Difference = second run minus first run over "
        << cmp.users.size()
        << " common users. Highlighted rows: Wilcoxon p &lt; 0.05 after adjustment.</p>\n"
           "<table><tr><th>metric</th><th>first</th><th>second</th><th>difference</th>"
           "<th>95% CI</th><th>t-test p</th><th>Wilcoxon p</th><th>Cohen's d_z</th></tr>\n";
      for (const MetricComparison& mc : cmp.metrics) {
        if (!mc.perUser) continue;
        for (const PairComparison& p : mc.pairs) {
          const bool sig = std::isfinite(p.wilcoxonHolm) && p.wilcoxonHolm < 0.05;
          h << "<tr" << (sig ? " class=\"sig\"" : "") << "><td>" << esc(mc.metric) << "</td><td>"
            << esc(names[p.a]) << "</td><td>" << esc(names[p.b]) << "</td><td class=\"n\">"
            << num(p.difference.estimate) << "</td><td class=\"n\">[" << num(p.difference.lower)
            << ", " << num(p.difference.upper) << "]</td><td class=\"n\">" << pValue(p.tTestHolm)
            << "</td><td class=\"n\">" << pValue(p.wilcoxonHolm) << "</td><td class=\"n\">"
            << num(p.cohensD, 3) << "</td></tr>\n";
        }
      }
      h << "</table>\n";
      for (const auto& w : cmp.warnings) h << "<p class=\"muted\">" << esc(w) << "</p>\n";
    }
  }

  // Learning curves, overlaid per curve metric.
  std::map<std::string, std::vector<SvgSeries>> curves;
  for (const ReportRun& r : runs) {
    std::map<std::string, SvgSeries> mine;
    for (const auto& [epoch, metrics] : r.stored.record.learningCurve) {
      for (const auto& [name, v] : metrics) {
        mine[name].name = r.label;
        mine[name].points.emplace_back(epoch, v);
      }
    }
    for (auto& [name, s] : mine) curves[name].push_back(std::move(s));
  }
  if (!curves.empty()) {
    h << "<h2>Learning curves</h2>\n";
    for (const auto& [name, series] : curves) h << svgLineChart(name, "epoch", series) << "\n";
  }

  // Configurations: what differs, then each run's parameters in full.
  std::vector<RunConfig> configs;
  for (const ReportRun& r : runs) configs.push_back(runConfig(r.stored.record, r.spec, r.label));
  const auto diff = diffConfigs(configs);
  h << "<h2>Configuration differences</h2>\n";
  if (runs.size() < 2) {
    h << "<p class=\"muted\">One run: nothing to compare.</p>\n";
  } else if (diff.empty()) {
    h << "<p>The configurations are identical.</p>\n";
  } else {
    h << "<table><tr><th>key</th>";
    for (const ReportRun& r : runs) h << "<th>" << esc(r.label) << "</th>";
    h << "</tr>\n";
    for (const auto& row : diff) {
      h << "<tr><td>" << esc(row.key) << "</td>";
      for (const auto& v : row.values) h << "<td>" << esc(configValueText(v)) << "</td>";
      h << "</tr>\n";
    }
    h << "</table>\n";
  }
  h << "<h2>Configurations</h2>\n";
  for (const ReportRun& r : runs) {
    const RunRecord& rec = r.stored.record;
    h << "<h3>" << esc(r.label) << " (" << esc(rec.model) << ")</h3>\n<pre>"
      << esc(nlohmann::json({{"params", rec.params},
                             {"seed", rec.seed},
                             {"k", rec.k},
                             {"threads", rec.threads},
                             {"code_version", rec.codeVersion}})
                 .dump(2))
      << "</pre>\n";
    if (!rec.error.empty()) h << "<p>Error: " << esc(rec.error) << "</p>\n";
  }

  const auto history = notes.championHistory();
  if (!history.empty()) {
    h << "<h2>Champion history</h2>\n<table><tr><th>since (UTC)</th><th>run</th>"
         "<th>dataset</th><th>split hash</th></tr>\n";
    for (const auto& e : history) {
      h << "<tr><td>" << esc(e.since) << "</td><td>#" << e.runId << " " << esc(e.runName)
        << (e.runDeleted ? " (deleted)" : "") << "</td><td>" << esc(e.datasetFingerprint)
        << "</td><td>" << esc(e.splitHash) << "</td></tr>\n";
    }
    h << "</table>\n";
  }
  h << "</body></html>\n";
  ctx.progress(1.0, "done");
  return h.str();
}

void writeComparisonReport(const ProjectStore& store, const ReportOptions& options,
                           const std::filesystem::path& out, TaskContext& ctx) {
  const std::string html = comparisonReportHtml(store, options, ctx);
  std::filesystem::path tmp = out;
  tmp += ".part";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw IoError("cannot write '" + out.string() + "'");
    f << html;
    f.close();
    if (!f) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      throw IoError("cannot write '" + out.string() + "'");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, out, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw IoError("cannot write '" + out.string() + "': " + ec.message());
  }
}

}  // namespace rwb
