#pragma once
/// \file
/// ImportDialog: choose how a delimited interactions file is read (delimiter, header, encoding,
/// column mapping, strict or lenient; the words are core/data's, dataset_options_json.h) with a
/// live preview of the first rows parsed by the engine's own loader with the current settings.
/// Rejected rows are highlighted with the reason.

#include <QDialog>
#include <QStandardItemModel>
#include <nlohmann/json.hpp>

#include "core/data/dataset_loader.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QCheckBox;
class QTableView;

namespace rwb::ui {

class ImportDialog : public QDialog {
  Q_OBJECT
 public:
  /// path: a file, or a folder (its files are offered in the file box).
  explicit ImportDialog(const QString& path, QWidget* parent = nullptr);

  QString filePath() const;
  /// The options as currently set in the dialog (format "delimited"), read from the dialog's
  /// words by core/data's datasetOptionsFromJson, as a spec's dataset entry is read.
  DatasetOptions options() const;
  /// The dialog's settings in the JSON form of DatasetOptions (datasetOptionsToJson's keys).
  nlohmann::json optionsJson() const;

  /// Number of preview rows (first lines of the file) parsed on every settings change.
  static constexpr int kPreviewLines = 200;

  /// Preview state, for tests: rows shown, and the rows flagged as rejected (0-based preview
  /// rows) with their reasons.
  int previewRowCount() const { return preview_->rowCount(); }
  QStringList rejectedReasons() const { return rejected_; }
  QList<int> rejectedRows() const { return rejectedRows_; }
  QString previewStatus() const;

 public slots:
  void refreshPreview();

 private:
  void readHead();
  void fillColumnChoices();
  QComboBox* columnBox(const QString& name);

  QString folder_;
  QComboBox* file_ = nullptr;
  QComboBox* delimiter_ = nullptr;
  QComboBox* header_ = nullptr;
  QComboBox* encoding_ = nullptr;
  QComboBox* user_ = nullptr;
  QComboBox* item_ = nullptr;
  QComboBox* value_ = nullptr;
  QComboBox* time_ = nullptr;
  QCheckBox* lenient_ = nullptr;
  QLabel* status_ = nullptr;
  QTableView* table_ = nullptr;
  QStandardItemModel* preview_ = nullptr;
  QByteArray head_;  ///< the first kPreviewLines lines of the file, as bytes
  QStringList rejected_;
  QList<int> rejectedRows_;
  bool updating_ = false;
};

}  // namespace rwb::ui
