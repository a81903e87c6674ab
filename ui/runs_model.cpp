#include "ui/runs_model.h"

#include <QColor>
#include <QFont>
#include <cmath>
#include <set>

#include "core/models/fitted_summary.h"
#include "ui/metric_info.h"
#include "ui/model_text.h"
#include "ui/session.h"
#include "ui/table_view.h"

namespace rwb::ui {

namespace {
// Metrics come right after what names the run, so they are on screen without scrolling; the
// long descriptive fields (parameters, split) come last.
const QStringList kLeadingFields{"run", "champion", "status"};
const QStringList kTrailingFields{"fit seconds", "model MB", "model",    "params",    "fitted",
                                  "dataset",     "split",    "protocol", "split hash"};
constexpr int kTrailingNumeric = 2;  // "fit seconds", "model MB"

/// A metric value as shown: 4 decimals, the 95% CI beside it when there is one.
QString metricText(const MetricFigure& m) {
  const QString v = QString::number(m.value, 'f', 4);
  if (!m.hasCi) return v;
  return QStringLiteral("%1 [%2, %3]")
      .arg(v, QString::number(m.lo, 'f', 4), QString::number(m.hi, 'f', 4));
}
}  // namespace

QString runCellText(const SessionRun& r) {
  QString text = r.displayName;
  if (!r.tags.empty()) {
    QStringList tags;
    for (const auto& t : r.tags) tags << QString::fromStdString(t);
    text += QStringLiteral(" [%1]").arg(tags.join(QStringLiteral(", ")));
  }
  if (r.archived) text += QObject::tr(" (archived)");
  return text;
}

QString splitHashLabel(const std::string& h) {
  return h.empty() ? QObject::tr("unknown") : QString::fromStdString(h);
}

RunsModel::RunsModel(Session* session, QObject* parent)
    : QAbstractTableModel(parent), session_(session) {
  refresh();
}

void RunsModel::refresh() {
  beginResetModel();
  std::set<std::string> metricNames;
  for (const auto& r : session_->runs()) {
    for (const auto& k : r.metricNames()) metricNames.insert(k);
  }
  fields_ = kLeadingFields;
  firstMetric_ = static_cast<int>(fields_.size());
  for (const auto& m : metricNames) fields_ << QString::fromStdString(m);
  endNumeric_ = static_cast<int>(fields_.size()) + kTrailingNumeric;
  fields_ << kTrailingFields;
  // Directions once per refresh: bestRun() runs for every painted cell.
  higher_.clear();
  for (const QString& f : numericFields()) higher_[f] = higherIsBetter(f);
  endResetModel();
}

void RunsModel::setTransposed(bool t) {
  beginResetModel();
  transposed_ = t;
  endResetModel();
}

int RunsModel::rowCount(const QModelIndex& parent) const {
  if (parent.isValid()) return 0;
  return transposed_ ? static_cast<int>(fields_.size()) : static_cast<int>(session_->runs().size());
}

int RunsModel::columnCount(const QModelIndex& parent) const {
  if (parent.isValid()) return 0;
  return transposed_ ? static_cast<int>(session_->runs().size()) : static_cast<int>(fields_.size());
}

QStringList RunsModel::numericFields() const {
  QStringList out;
  for (int i = firstMetric_; i < endNumeric_; ++i) out << fields_[i];
  return out;
}

bool RunsModel::isNumeric(int field) const { return field >= firstMetric_ && field < endNumeric_; }

int RunsModel::runId(int runIndex) const {
  const auto& runs = session_->runs();
  return runIndex >= 0 && runIndex < static_cast<int>(runs.size())
             ? runs[static_cast<std::size_t>(runIndex)].id
             : 0;
}

double RunsModel::value(int runIndex, const QString& field) const {
  const auto& runs = session_->runs();
  if (runIndex < 0 || runIndex >= static_cast<int>(runs.size())) return std::nan("");
  const SessionRun& r = runs[static_cast<std::size_t>(runIndex)];
  if (!r.done()) return std::nan("");
  if (field == "fit seconds") return r.record.fitSeconds;
  if (field == "model MB") return static_cast<double>(r.record.modelBytes) / 1e6;
  const auto m = r.metric(field.toStdString());
  return m ? m->value : std::nan("");
}

void RunsModel::setSplitGroup(const std::string& splitHash) {
  beginResetModel();
  group_ = splitHash;
  endResetModel();
}

bool RunsModel::compared(int runIndex) const {
  const auto& runs = session_->runs();
  if (runIndex < 0 || runIndex >= static_cast<int>(runs.size())) return false;
  const SessionRun& r = runs[static_cast<std::size_t>(runIndex)];
  return r.done() && comparisonKey(r.record) == group_ && session_->shown(r);
}

int RunsModel::bestRun(const QString& field) const {
  int best = -1;
  double bestValue = 0.0;
  auto dir = higher_.find(field);
  const bool up = dir != higher_.end() ? dir->second : higherIsBetter(field);
  for (int i = 0; i < static_cast<int>(session_->runs().size()); ++i) {
    if (!compared(i)) continue;
    const double v = value(i, field);
    if (std::isnan(v)) continue;
    if (best < 0 || (up ? v > bestValue : v < bestValue)) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}

QVariant RunsModel::cell(int run, int field, int role) const {
  const auto& runs = session_->runs();
  if (run < 0 || run >= static_cast<int>(runs.size()) || field < 0 || field >= fields_.size())
    return {};
  const SessionRun& r = runs[static_cast<std::size_t>(run)];
  const QString& name = fields_[field];
  const bool numeric = isNumeric(field);
  if (role == Qt::DisplayRole) {
    if (name == "run") return runCellText(r);
    if (name == "model") return modelDisplayName(r.record.model);
    if (name == "status") return r.stateName();
    if (name == "dataset") return r.dataset;
    if (name == "split") return r.split;
    if (name == "protocol") return QString::fromStdString(protocolLabel(r.record));
    if (name == "split hash") return QString::fromStdString(r.record.splitHash);
    if (name == "params") return paramSummary(r.record.model, r.record.params);
    // What the model tuned during fit (core's text, as `recwb run` prints it); small JSON.
    if (name == "fitted") return QString::fromStdString(fittedSummaryText(r.record.fittedSummary));
    if (name == "champion") return r.champion ? QStringLiteral("\u2605") : QString();
    const double v = value(run, name);
    if (std::isnan(v)) return {};
    if (name == "model MB" || name == "fit seconds") return QString::number(v, 'f', 3);
    const auto m = r.metric(name.toStdString());
    return m ? metricText(*m) : QString::number(v, 'f', 4);
  }
  // Sorting (TableView sorts by kSortRole when a model gives it): numbers as numbers.
  if (role == kSortRole) {
    if (!numeric) return cell(run, field, Qt::DisplayRole);
    const double v = value(run, name);
    return std::isnan(v) ? QVariant() : QVariant(v);
  }
  const bool otherSplit = r.done() && !compared(run);
  if (role == Qt::ToolTipRole) {
    if (otherSplit) {
      return tr("not compared: different splits or protocols (hash %1 vs %2)")
          .arg(splitHashLabel(comparisonKey(r.record)), splitHashLabel(group_));
    }
    if (name == "params") {
      return tr("All parameters (the cell shows those that differ from the defaults):\n%1")
          .arg(QString::fromStdString(r.record.params.dump(2)));
    }
    if (name == "fitted" && !r.record.fittedSummary.empty()) {
      const auto j = nlohmann::json::parse(r.record.fittedSummary, nullptr, false);
      return tr("What the model tuned during fit (on held-out training data unless \"not "
                "tuned\"):\n%1\n\n%2")
          .arg(QString::fromStdString(fittedSummaryText(j)), QString::fromStdString(j.dump(2)));
    }
    if (name == "run" && !r.note.isEmpty()) return r.note;
    if (name == "status" && !r.record.error.empty()) return QString::fromStdString(r.record.error);
    if (numeric) {
      const auto m = r.metric(name.toStdString());
      if (m && m->hasCi) {
        return tr("%1: %2 (95% CI %3 .. %4, bootstrap over users)")
            .arg(name)
            .arg(m->value, 0, 'f', 6)
            .arg(m->lo, 0, 'f', 6)
            .arg(m->hi, 0, 'f', 6);
      }
    }
    return {};
  }
  if (role == Qt::TextAlignmentRole && numeric) return QVariant(Qt::AlignRight | Qt::AlignVCenter);
  if ((role == Qt::BackgroundRole || role == Qt::FontRole) && numeric && runs.size() > 1 &&
      bestRun(name) == run) {
    if (role == Qt::BackgroundRole) return QColor(200, 240, 200);
    QFont f;
    f.setBold(true);
    return f;
  }
  if (role == Qt::ForegroundRole && r.state == RunState::kFailed) return QColor(180, 0, 0);
  if (role == Qt::ForegroundRole && otherSplit) return QColor(150, 150, 150);
  return {};
}

QVariant RunsModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid()) return {};
  return transposed_ ? cell(index.column(), index.row(), role)
                     : cell(index.row(), index.column(), role);
}

QVariant RunsModel::headerData(int section, Qt::Orientation o, int role) const {
  const bool fieldHeader = (o == Qt::Horizontal) != transposed_;
  if (fieldHeader) {
    if (section < 0 || section >= fields_.size()) return {};
    if (role == Qt::DisplayRole) return fields_[section];
    if (role == Qt::ToolTipRole && isNumeric(section)) {
      return metricTooltip(fields_[section]) + (higherIsBetter(fields_[section])
                                                    ? tr("<br>higher is better")
                                                    : tr("<br>lower is better"));
    }
    return {};
  }
  if (role == Qt::DisplayRole) {
    const auto& runs = session_->runs();
    if (section >= 0 && section < static_cast<int>(runs.size()))
      return runs[static_cast<std::size_t>(section)].displayName;
  }
  return QAbstractTableModel::headerData(section, o, role);
}

}  // namespace rwb::ui
