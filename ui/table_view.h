#pragma once
/// \file
/// TableView: every table of the workbench. Sortable through a QSortFilterProxyModel, filtered by
/// a text box (all columns), virtualised (uniform row heights, no per-row widgets) and exportable
/// to CSV from its context menu.

#include <QSortFilterProxyModel>
#include <QTableView>
#include <QWidget>
#include <functional>

class QLineEdit;
class QMenu;
class QLabel;

namespace rwb::ui {

/// A model role a table sorts by when the model gives it (numbers behind formatted text, e.g.
/// "0.4123 [0.4010, 0.4240]"); cells without it sort by their display text.
inline constexpr int kSortRole = Qt::UserRole + 100;

/// Writes the model (as displayed: headers, then DisplayRole of every row) as RFC 4180 CSV.
/// With rowHeaders, each line starts with the row's vertical header (e.g. the field names of
/// a transposed table). Returns an error message, empty on success.
QString exportCsv(const QAbstractItemModel& model, const QString& path, bool rowHeaders = false);

/// Quotes a CSV field when it contains a delimiter, quote or line break.
QString csvField(const QString& text);

class TableView : public QWidget {
  Q_OBJECT
 public:
  explicit TableView(const QString& name, QWidget* parent = nullptr);
  /// Shows `model` (not owned) through the sort/filter proxy.
  void setSourceModel(QAbstractItemModel* model);
  QTableView* view() const { return view_; }
  QSortFilterProxyModel* proxy() const { return proxy_; }
  /// Source-model row of a view row.
  int sourceRow(int viewRow) const;
  void setFilterVisible(bool visible);
  bool exportTo(const QString& path, QString* error = nullptr) const;
  /// Adds an owner's entries at the top of the context menu, for the row under the cursor
  /// (`index` of the proxy, maybe invalid).
  void setMenuHook(std::function<void(QMenu& menu, const QModelIndex& index)> hook) {
    menuHook_ = std::move(hook);
  }
  /// Recounts the rows shown (after rows were hidden or shown by the owner).
  void updateCount();

 private:
  void showMenu(const QPoint& pos);
  std::function<void(QMenu&, const QModelIndex&)> menuHook_;
  QString name_;
  QLineEdit* filter_ = nullptr;
  QLabel* count_ = nullptr;
  QTableView* view_ = nullptr;
  QSortFilterProxyModel* proxy_ = nullptr;
};

}  // namespace rwb::ui
