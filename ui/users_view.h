#pragma once
/// \file
/// UsersView: one user at a time. Find a user by id or attribute, see their history (train vs
/// test marked), and the top-k lists of up to four runs side by side with test hits highlighted.

#include <QWidget>
#include <array>
#include <memory>

#include "core/data/dataset.h"

class QComboBox;
class QGridLayout;
class QLabel;
class QLineEdit;
class QSpinBox;
class QStandardItemModel;
class QTableView;

namespace rwb::ui {

class EntityTableModel;
class Session;
class TableView;

class UsersView : public QWidget {
  Q_OBJECT
 public:
  static constexpr int kPanels = 4;
  /// The top-k table of a panel (for tests: column widths at a given window size).
  QTableView* panelView(int panel) const { return panelViews_[static_cast<std::size_t>(panel)]; }
  explicit UsersView(Session* session, QWidget* parent = nullptr);
  /// Shows the user with this external id. Returns false when no dataset knows it.
  bool showUser(const QString& externalId);
  QString currentUser() const { return user_; }
  /// Rows of the history table, and of panel p's top-k list; test hits of panel p.
  int historyRows() const;
  int listRows(int panel) const;
  int listHits(int panel) const;
  /// Chooses the run shown in a panel (0 = none).
  void setPanelRun(int panel, int runId);
  /// The run shown in a panel (0 = none).
  int panelRun(int panel) const;
  /// The line saying that the panels show runs on different train/test splits ("" when they
  /// all share the compared split). Empty panels are filled with runs on the split compared in
  /// Compare only; a run on another split is shown only when chosen, and then said so.
  QString splitNote() const;
  /// Shows the items most similar to an item (external id) according to the run of the panel
  /// last explained (the first panel by default; Model::similarItems). Returns the number of
  /// similar items listed.
  int showSimilar(const QString& itemId);
  /// Explains why panel `panel`'s run recommends item `itemId` to the current user: the
  /// contributing features with signed contributions (models implementing Explainable, as
  /// `recwb explain` shows them) or, for other models, the user's history items most similar
  /// to it according to the model (the history that drove it). Returns the rows listed.
  int explainItem(int panel, const QString& itemId);
  /// "features", "history" or "" (nothing explained yet): what the explanation table lists.
  QString explanationKind() const { return explanationKind_; }
  /// Signed contributions of the explanation table's rows, in order.
  QList<double> explanationValues() const;

 signals:
  void itemRequested(const QString& item);

 public slots:
  /// Rebuilds the run choices and lists now (otherwise done lazily, when visible).
  void refreshRuns();

 protected:
  void showEvent(QShowEvent* event) override;
  void resizeEvent(QResizeEvent* event) override;

 private:
  void scheduleRefresh();
  bool dirty_ = true;
  bool scheduled_ = false;
  void refreshHistory();
  void refreshPanel(int panel);
  void refreshSplitNote();
  QString itemTitle(const Dataset& d, Index item) const;
  Session* session_;
  QString user_;
  QLineEdit* find_ = nullptr;
  QLabel* header_ = nullptr;
  QLabel* splitNote_ = nullptr;
  QSpinBox* k_ = nullptr;
  EntityTableModel* usersModel_ = nullptr;
  TableView* users_ = nullptr;
  QStandardItemModel* history_ = nullptr;
  TableView* historyTable_ = nullptr;
  std::array<QComboBox*, kPanels> runBox_{};
  std::array<QStandardItemModel*, kPanels> lists_{};
  std::array<QWidget*, kPanels> panelBoxes_{};
  std::array<QTableView*, kPanels> panelViews_{};
  QGridLayout* panelGrid_ = nullptr;
  int panelColumns_ = 0;  ///< panels per row (4 when wide, 2 when narrow)
  void arrangePanels();
  std::array<int, kPanels> hits_{};
  QLabel* similarLabel_ = nullptr;
  QLabel* explainLabel_ = nullptr;
  QStandardItemModel* explain_ = nullptr;
  QString explanationKind_;
  QTableView* explainView_ = nullptr;
  int similarPanel_ = 0;
  QLineEdit* findItem_ = nullptr;
  QStandardItemModel* similar_ = nullptr;
};

}  // namespace rwb::ui
