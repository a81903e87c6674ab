#pragma once
/// \file
/// TrialsPage: the Compare tab with the hyperparameter search of one run (a run whose record
/// holds a search history, made here or read from the project): the trials table (parameters,
/// validation metric, fit time, rung and budget; the winner marked), a parameter-vs-metric
/// scatter (log axis when the parameter is searched on a log scale) and parallel coordinates
/// (one axis per searched parameter plus the metric, lines coloured by the metric).

#include <QStringList>
#include <string>
#include <vector>

#include "core/experiment/run_record.h"
#include "ui/compare_page.h"

class QComboBox;
class QTabWidget;
class QTableWidget;

namespace rwb {
struct ModelInfo;
}

namespace rwb::ui {

/// The axes a search's trials are drawn on.
struct TrialsLayout {
  /// The parameters the search varied (values differ between trials), in the schema's order;
  /// the budget parameter (epochs / iterations of Hyperband rungs) is the budget column.
  std::vector<std::string> params;
  std::vector<bool> logScale;  ///< per parameter: searched log-uniformly, every value > 0
  /// Per parameter: the values of a bool or choice parameter in axis order (empty: numeric).
  std::vector<std::vector<std::string>> categories;
  std::string budgetParam;  ///< "epochs", "iterations" or "" (not an iterative model)
};

/// The layout of a search of `model` (null: parameters in name order, none log).
TrialsLayout trialsLayout(const SearchHistory& history, const ModelInfo* model);

/// A trial's value of layout parameter p on its axis: the number, or a category's index.
double trialValue(const SearchTrial& trial, const TrialsLayout& layout, std::size_t p);

class TrialsPage : public ComparePage {
  Q_OBJECT
 public:
  explicit TrialsPage(QWidget* parent = nullptr);
  void draw(const CompareContext& c) override;

  /// The compared runs with a search (item data: run id) and the one shown.
  QComboBox* runSelector() const { return run_; }
  /// The scatter's parameter.
  QComboBox* paramSelector() const { return param_; }
  QTabWidget* views() const { return views_; }
  QTableWidget* table() const { return table_; }
  ChartView* scatter() const { return chart_; }
  ChartView* parallel() const { return parallel_; }
  /// Points of the scatter (finished trials) and lines of the parallel coordinates.
  int scatterPoints() const { return scatterPoints_; }
  int parallelLines() const { return parallelLines_; }
  /// The parallel coordinates' axes, left to right (the searched parameters, then the metric).
  const QStringList& parallelAxes() const { return axes_; }
  /// Shows a run's search (a run id of runSelector()).
  void showRun(int runId);

 private:
  void redraw();
  void fillTable(const SearchHistory& h, const TrialsLayout& layout);
  void drawScatter(const SearchHistory& h, const TrialsLayout& layout);
  void drawParallel(const SearchHistory& h, const TrialsLayout& layout);

  QComboBox* run_ = nullptr;
  QComboBox* param_ = nullptr;
  QTabWidget* views_ = nullptr;
  QTableWidget* table_ = nullptr;
  ChartView* parallel_ = nullptr;
  CompareContext last_;
  int shownRun_ = 0;
  int scatterPoints_ = 0;
  int parallelLines_ = 0;
  QStringList axes_;
};

}  // namespace rwb::ui
