#pragma once
/// \file
/// DatabaseDialog (File > Open from Database...): a database source (PostgreSQL URI, ODBC
/// source, SQLite file) with a password for this session only, the table or query of the
/// interactions and of the optional item / user attribute tables, the column mapping filled
/// from the result's column names, and a live preview of the first rows. The preview is read
/// by core/data's previewDatabase (the loader's own row streams and readers) on a worker
/// thread: the dialog never waits for the server, a newer preview cancels the older one, and a
/// bad URI, query, mapping or value is shown inline with its row and column.

#include <QDialog>
#include <QFutureWatcher>
#include <QStandardItemModel>
#include <array>
#include <memory>

#include "core/data/database_preview.h"
#include "core/data/dataset_loader.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QTabWidget;
class QTableView;
class QTimer;

namespace rwb {
class TaskContext;
}

namespace rwb::ui {

/// What a preview worker hands back: the preview, or the engine's message, or cancelled.
struct PreviewOutcome {
  DatabasePreview preview;
  QString failure;
  bool cancelled = false;
};

class DatabaseDialog : public QDialog {
  Q_OBJECT
 public:
  /// source: a source to start with (e.g. a project's redacted URI), or empty.
  explicit DatabaseDialog(const QString& source = {}, QWidget* parent = nullptr);
  ~DatabaseDialog() override;

  /// The source as typed (it may hold a password: pass it to the loader, never store it).
  QString source() const;
  /// The password field (for this session only; empty = the environment, ~/.pgpass or odbc.ini).
  QString password() const;
  /// The options as set: tables or queries, column mapping, strict or lenient.
  DatasetOptions options() const;

  /// Rows a preview reads.
  static constexpr std::size_t kPreviewRows = 50;

  // For tests and the screenshot tour.
  void setSource(const QString& source);
  void setPassword(const QString& password);
  /// part 0 = interactions, 1 = item attributes, 2 = user attributes.
  void setTable(int part, const QString& table);
  void setQuery(int part, const QString& query);
  /// Chooses a mapped column by name (role: "user", "item", "value", "timestamp", "items_id",
  /// "users_id"); "" = detect. False when the preview offers no such column.
  bool setColumn(const QString& role, const QString& column);
  void setLenient(bool lenient);
  void showPart(int part);
  bool previewRunning() const;
  /// The last preview shown (empty names while none), and its inline status text.
  const DatabasePreview& preview() const { return preview_; }
  QString previewStatus() const;
  /// The inline error of the last preview ("" when it read fine).
  QString previewError() const { return error_; }
  QAbstractItemModel* previewModel() const { return model_; }
  /// Column choices of a role's box (after a preview): "(detect)" first, then the names.
  QStringList columnChoices(const QString& role) const;

 public slots:
  /// Starts a preview of the current part now (cancelling one in flight).
  void refreshPreview();
  /// Cancels the preview in flight (if any).
  void cancelPreview();

 signals:
  /// A preview ended (shown, failed or cancelled).
  void previewFinished();

 private:
  struct Part {
    QRadioButton* useTable = nullptr;
    QRadioButton* useQuery = nullptr;
    QLineEdit* table = nullptr;
    QPlainTextEdit* query = nullptr;
  };
  QWidget* buildPart(int part);
  QComboBox* roleBox(const QString& role) const;
  void schedulePreview();
  void showPreview(const DatabasePreview& p);
  void showFailure(const QString& message);
  void fillColumnChoices(const DatabasePreview& p, int part);
  PreviewTable currentTable() const;

  QLineEdit* source_ = nullptr;
  QLineEdit* password_ = nullptr;
  QTabWidget* parts_ = nullptr;
  std::array<Part, 3> part_;
  QComboBox* user_ = nullptr;
  QComboBox* item_ = nullptr;
  QComboBox* value_ = nullptr;
  QComboBox* time_ = nullptr;
  QComboBox* itemsId_ = nullptr;
  QComboBox* usersId_ = nullptr;
  QCheckBox* lenient_ = nullptr;
  QLabel* status_ = nullptr;
  QProgressBar* busy_ = nullptr;
  QPushButton* cancel_ = nullptr;
  QTableView* table_ = nullptr;
  QStandardItemModel* model_ = nullptr;
  QTimer* debounce_ = nullptr;
  int generation_ = 0;  ///< the newest preview started; older results are dropped
  /// The context of the preview in flight (shared with its worker, which may outlive the
  /// dialog while a connection attempt cannot be interrupted).
  std::shared_ptr<TaskContext> running_;
  DatabasePreview preview_;
  QString error_;
  bool filling_ = false;
};

}  // namespace rwb::ui
