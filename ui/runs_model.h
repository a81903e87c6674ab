#pragma once
/// \file
/// RunsModel: the session's runs as a table for the Compare view. One row per run (one column
/// per run when transposed) with status, split, parameters, timings and every metric; the best
/// value of each numeric column among the runs on the compared split (core/eval's direction).

#include <QAbstractTableModel>
#include <QStringList>
#include <map>
#include <string>

namespace rwb::ui {

class Session;
struct SessionRun;

/// The run column's text: the label, then the tags in brackets and "(archived)".
QString runCellText(const SessionRun& run);

/// A split hash as shown ("unknown" when a run recorded none).
QString splitHashLabel(const std::string& hash);

/// The runs as a table: one row per run (or one column per run when transposed). Fields: run,
/// champion, status, every metric (value and its 95% CI "0.4123 [0.4010, 0.4240]"), fit
/// seconds, model MB, model, the parameters that differ from the model's defaults (all of
/// them in the tooltip), dataset, split, split hash. Numeric cells give their number under
/// kSortRole.
class RunsModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  explicit RunsModel(Session* session, QObject* parent = nullptr);
  void refresh();
  void setTransposed(bool t);
  bool transposed() const { return transposed_; }
  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation o, int role) const override;
  /// Field names (columns when not transposed).
  const QStringList& fields() const { return fields_; }
  /// Numeric fields (metrics, timings) in display order.
  QStringList numericFields() const;
  /// Run id of a run index (row when not transposed).
  int runId(int runIndex) const;
  /// Value of a numeric field for a run, NaN when absent.
  double value(int runIndex, const QString& field) const;
  /// True for the metric, fit seconds and model MB fields.
  bool isNumeric(int field) const;
  /// Index of the run with the best value of a field among the compared runs (those on the
  /// selected split), -1 when none.
  int bestRun(const QString& field) const;
  /// Runs are compared (best marks, charts, paired tests) only within one split and protocol:
  /// core/experiment comparisonKey of their records (the split hash, plus the protocol of runs
  /// not ranked over the catalogue).
  void setSplitGroup(const std::string& splitHash);
  const std::string& splitGroup() const { return group_; }
  /// True when a run index is a finished run on the selected split that passes the session's
  /// runs filter (Session::shown).
  bool compared(int runIndex) const;

 private:
  QVariant cell(int run, int field, int role) const;
  Session* session_;
  QStringList fields_;
  int firstMetric_ = 0;
  int endNumeric_ = 0;  ///< one past "model MB"
  bool transposed_ = false;
  std::string group_;
  std::map<QString, bool> higher_;  ///< higherIsBetter() of each numeric field
};

}  // namespace rwb::ui
