#pragma once
/// \file
/// SearchForm: how one model of the Experiment view is tuned. "Defaults" (no search), "Auto
/// search (default space)" (the spec's "search": "auto") or "Custom space" ({"method": "auto",
/// "space": {...}}: per parameter a range low..high, optionally log-scale, or a list of values,
/// starting from the schema's default space). A search the spec gave in another form (grid,
/// random, halving) is kept as written. The budget, trial cap and validation of every auto
/// search are the experiment's "tuning" block (ExperimentView).

#include <QWidget>
#include <nlohmann/json.hpp>

#include "core/models/registry.h"

class QComboBox;
class QLabel;
class QTableWidget;

namespace rwb::ui {

class SearchForm : public QWidget {
  Q_OBJECT
 public:
  /// The choices of the mode selector (item data of searchMode()).
  static constexpr const char* kDefaults = "defaults";
  static constexpr const char* kAuto = "auto";
  static constexpr const char* kCustom = "custom";
  static constexpr const char* kKept = "kept";  ///< a spec's grid / random / halving search

  explicit SearchForm(QWidget* parent = nullptr);
  /// Shows the search of a model entry: `search` is the entry's "search" value (null when it
  /// has none). A custom space shows its own ranges; the parameters it leaves out show the
  /// default space's, unchecked. model null: the form is emptied.
  void setModel(const ModelInfo* model, const nlohmann::json& search);
  /// The entry's "search" value as the spec writes it: null (defaults), "auto", the custom
  /// {"method": "auto", "space": {...}} or the kept search.
  nlohmann::json search() const;
  /// Why the custom space cannot be written (a list value that is not of the parameter's
  /// type, no parameter checked, low above high, a log range not above 0); "" when it can.
  QString problem() const;
  /// The mode selector (kDefaults, kAuto, kCustom and, for a kept search, kKept).
  QComboBox* modeSelector() const { return mode_; }
  void setMode(const QString& mode);
  QString mode() const;
  /// The custom space's table: one row per searchable parameter (columns kColumn*).
  QTableWidget* spaceTable() const { return table_; }
  /// Row of a parameter in spaceTable() (-1 when absent).
  int rowOf(const QString& param) const;
  /// Edits one row of the custom space (as a user would): checked, low, high, log, and the
  /// values text ("" = the range).
  void setRow(const QString& param, bool searched, double low, double high, bool log,
              const QString& values = {});

  enum Column { kColumnParam, kColumnLow, kColumnHigh, kColumnLog, kColumnValues, kColumnCount };

 signals:
  void changed();

 private:
  void fillTable(const nlohmann::json& space);
  void refreshVisibility();
  void refreshProblem();
  /// The custom space ({"name": range object or list}); problems go to `why`.
  nlohmann::json customSpace(QString* why) const;

  const ModelInfo* model_ = nullptr;
  std::string budgetParam_;  ///< the model's Hyperband resource, never in the space
  QComboBox* mode_ = nullptr;
  QLabel* note_ = nullptr;
  QTableWidget* table_ = nullptr;
  QLabel* problem_ = nullptr;
  nlohmann::json kept_;  ///< the spec's own search (grid / random / halving)
  bool filling_ = false;
};

}  // namespace rwb::ui
