#include "ui/import_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableView>
#include <QTemporaryFile>
#include <QVBoxLayout>

#include "core/data/dataset_options_json.h"
#include "core/util/error.h"

namespace rwb::ui {

namespace {
QString decode(const QByteArray& bytes, TextEncoding enc) {
  return enc == TextEncoding::kLatin1 ? QString::fromLatin1(bytes) : QString::fromUtf8(bytes);
}

/// The delimiter the preview table splits on for display (the loader decides for itself).
QChar displayDelimiter(const QString& firstLine, char chosen) {
  if (chosen != 0) return QLatin1Char(chosen);
  QChar best = QLatin1Char(',');
  qsizetype bestCount = 0;
  for (QChar c : {QChar('\t'), QChar(','), QChar(';'), QChar('|')}) {
    const auto n = firstLine.count(c);
    if (n > bestCount) {
      best = c;
      bestCount = n;
    }
  }
  return best;
}

/// Files of a folder that look like interaction tables come first.
QStringList candidateFiles(const QString& folder) {
  QDir dir(folder);
  QStringList all = dir.entryList(QDir::Files, QDir::Name);
  QStringList preferred, rest;
  for (const QString& f : all) {
    const QString l = f.toLower();
    if (l == "u.data" || l.contains("rating") || l.contains("interaction") || l.contains("event") ||
        l.startsWith("train")) {
      preferred << f;
    } else if (l.endsWith(".csv") || l.endsWith(".tsv") || l.endsWith(".txt") ||
               l.endsWith(".data")) {
      rest << f;
    }
  }
  return preferred + rest;
}
}  // namespace

ImportDialog::ImportDialog(const QString& path, QWidget* parent) : QDialog(parent) {
  setWindowTitle(tr("Import interactions"));
  setObjectName("ImportDialog");
  resize(900, 620);
  auto* layout = new QVBoxLayout(this);
  auto* form = new QFormLayout;
  file_ = new QComboBox(this);
  file_->setObjectName("file");
  QFileInfo fi(path);
  if (fi.isDir()) {
    folder_ = fi.absoluteFilePath();
    for (const QString& f : candidateFiles(folder_)) file_->addItem(f, QDir(folder_).filePath(f));
  } else {
    file_->addItem(fi.fileName(), fi.absoluteFilePath());
  }
  form->addRow(tr("File"), file_);
  auto* format = new QComboBox(this);
  for (const auto& w : dataFormatWords()) {
    if (w.word != dataFormatName(DataFormat::kDelimited)) continue;
    format->addItem(QString::fromUtf8(w.word.data(), static_cast<qsizetype>(w.word.size())));
    format->setItemData(
        0, QString::fromUtf8(w.meaning.data(), static_cast<qsizetype>(w.meaning.size())),
        Qt::ToolTipRole);
  }
  format->setToolTip(
      tr("Other formats (MovieLens folders, SQLite) arrive with the data module's "
         "format detection"));
  form->addRow(tr("Format"), format);

  auto* options = new QHBoxLayout;
  // Every choice is a word of core/data's vocabulary (the spec's and recwb's words); the
  // meaning is the tooltip.
  const auto wordBox = [this](const char* name, const std::vector<OptionWord>& words) {
    auto* box = new QComboBox(this);
    box->setObjectName(QString::fromLatin1(name));
    for (const auto& w : words) {
      const QString word = QString::fromUtf8(w.word.data(), static_cast<qsizetype>(w.word.size()));
      box->addItem(word, word);
      box->setItemData(
          box->count() - 1,
          QString::fromUtf8(w.meaning.data(), static_cast<qsizetype>(w.meaning.size())),
          Qt::ToolTipRole);
    }
    return box;
  };
  delimiter_ = wordBox("delimiter", delimiterWords());
  header_ = wordBox("header", headerModeWords());
  encoding_ = wordBox("encoding", textEncodingWords());
  options->addWidget(new QLabel(tr("Delimiter"), this));
  options->addWidget(delimiter_);
  options->addWidget(new QLabel(tr("Header"), this));
  options->addWidget(header_);
  options->addWidget(new QLabel(tr("Encoding"), this));
  options->addWidget(encoding_);
  options->addStretch();
  form->addRow(tr("Reading"), options);

  auto* columns = new QHBoxLayout;
  user_ = columnBox(tr("User"));
  item_ = columnBox(tr("Item"));
  value_ = columnBox(tr("Value"));
  time_ = columnBox(tr("Timestamp"));
  for (auto [label, box] : {std::pair{tr("User"), user_}, std::pair{tr("Item"), item_},
                            std::pair{tr("Value"), value_}, std::pair{tr("Timestamp"), time_}}) {
    columns->addWidget(new QLabel(label, this));
    columns->addWidget(box);
  }
  columns->addStretch();
  form->addRow(tr("Columns"), columns);
  lenient_ = new QCheckBox(tr("Skip bad rows (count them with their reason) instead of stopping "
                              "at the first one"),
                           this);
  lenient_->setObjectName("lenient");
  lenient_->setChecked(true);
  form->addRow(QString(), lenient_);
  layout->addLayout(form);

  status_ = new QLabel(this);
  status_->setWordWrap(true);
  status_->setObjectName("previewStatus");
  layout->addWidget(status_);
  preview_ = new QStandardItemModel(this);
  table_ = new QTableView(this);
  table_->setObjectName("preview");
  table_->setModel(preview_);
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 4);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  layout->addWidget(table_, 1);

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  buttons->button(QDialogButtonBox::Ok)->setText(tr("Import"));
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  layout->addWidget(buttons);

  auto changed = [this] {
    if (!updating_) refreshPreview();
  };
  connect(file_, &QComboBox::currentIndexChanged, this, [this] {
    readHead();
    fillColumnChoices();
    refreshPreview();
  });
  for (QComboBox* b : {delimiter_, header_, encoding_}) {
    connect(b, &QComboBox::currentIndexChanged, this, [this] {
      fillColumnChoices();
      refreshPreview();
    });
  }
  for (QComboBox* b : {user_, item_, value_, time_}) {
    connect(b, &QComboBox::currentIndexChanged, this, changed);
  }
  connect(lenient_, &QCheckBox::toggled, this, changed);
  readHead();
  fillColumnChoices();
  refreshPreview();
}

QComboBox* ImportDialog::columnBox(const QString& name) {
  auto* box = new QComboBox(this);
  box->setObjectName(name.toLower());
  box->setMinimumContentsLength(10);
  return box;
}

QString ImportDialog::filePath() const { return file_->currentData().toString(); }

void ImportDialog::readHead() {
  head_.clear();
  QFile f(filePath());
  if (!f.open(QIODevice::ReadOnly)) return;
  for (int i = 0; i < kPreviewLines + 1 && !f.atEnd(); ++i) head_ += f.readLine(1 << 20);
}

void ImportDialog::fillColumnChoices() {
  updating_ = true;
  const DelimitedOptions o = options().interactions;
  const QString text = decode(head_, o.encoding);
  const QString first = text.section(QLatin1Char('\n'), 0, 0).trimmed();
  const QChar delim = displayDelimiter(first, o.delimiter);
  const QStringList fields = first.split(delim);
  for (QComboBox* b : {user_, item_, value_, time_}) {
    const QVariant keep = b->currentData();
    b->clear();
    b->addItem(tr("(detect)"), -1);
    for (int i = 0; i < fields.size(); ++i) {
      b->addItem(tr("#%1: %2").arg(i + 1).arg(fields[i].left(24)), i);
    }
    const int idx = b->findData(keep);
    b->setCurrentIndex(idx >= 0 ? idx : 0);
  }
  updating_ = false;
}

nlohmann::json ImportDialog::optionsJson() const {
  nlohmann::json j;
  j["format"] = std::string(dataFormatName(DataFormat::kDelimited));
  nlohmann::json columns = nlohmann::json::object();
  for (auto [key, box] : {std::pair{"user", user_}, std::pair{"item", item_},
                          std::pair{"value", value_}, std::pair{"timestamp", time_}}) {
    const QVariant position = box->currentData();  // invalid while the box is being filled
    if (position.isValid() && position.toInt() >= 0) columns[key] = position.toInt();
  }
  if (!columns.empty()) j["columns"] = columns;
  j["options"] = {{"delimiter", delimiter_->currentData().toString().toStdString()},
                  {"header", header_->currentData().toString().toStdString()},
                  {"encoding", encoding_->currentData().toString().toStdString()},
                  {"strict", !lenient_->isChecked()}};
  return j;
}

DatasetOptions ImportDialog::options() const {
  return datasetOptionsFromJson(optionsJson(), "import dialog");
}

QString ImportDialog::previewStatus() const { return status_->text(); }

void ImportDialog::refreshPreview() {
  preview_->clear();
  rejected_.clear();
  rejectedRows_.clear();
  if (head_.isEmpty()) {
    status_->setText(tr("<span style='color:#b00'>Cannot read '%1' (missing or empty).</span>")
                         .arg(filePath().toHtmlEscaped()));
    return;
  }
  // The preview is parsed by the engine's loader itself, on the first lines only, always lenient
  // so that every bad row can be shown with its reason.
  QTemporaryFile tmp;
  if (!tmp.open()) {
    status_->setText(tr("Cannot create a temporary file for the preview."));
    return;
  }
  QByteArray lines = head_;
  const int nl = static_cast<int>(lines.count('\n'));
  if (nl > kPreviewLines) lines.truncate(static_cast<qsizetype>(lines.lastIndexOf('\n')));
  tmp.write(lines);
  tmp.flush();
  DelimitedOptions opt = options().interactions;
  opt.strict = false;
  std::map<std::uint64_t, QString> issueByLine;
  QString error;
  LoadResult result;
  try {
    TaskContext ctx;
    result = loadDelimited(tmp.fileName().toStdString(), opt, ctx);
    for (const auto& issue : result.issues) {
      issueByLine[issue.line] =
          issue.column > 0
              ? tr("column %1: %2").arg(issue.column).arg(QString::fromStdString(issue.reason))
              : QString::fromStdString(issue.reason);
    }
  } catch (const ParseError& e) {
    error = QString::fromStdString(e.reason());
  } catch (const std::exception& e) {
    error = QString::fromUtf8(e.what());
  }

  const QString text = decode(lines, opt.encoding);
  QStringList rawLines = text.split(QLatin1Char('\n'));
  const QChar delim = displayDelimiter(rawLines.value(0), opt.delimiter);
  int nonEmpty = 0;
  for (const QString& l : rawLines) nonEmpty += l.trimmed().isEmpty() ? 0 : 1;
  const bool headerSkipped =
      error.isEmpty() && result.rowsRead() + 1 == static_cast<std::uint64_t>(nonEmpty);
  int maxCols = 0;
  int row = 0;
  for (int lineNo = 1; lineNo <= rawLines.size(); ++lineNo) {
    QString line = rawLines[lineNo - 1];
    if (line.endsWith(QLatin1Char('\r'))) line.chop(1);
    if (line.isEmpty()) continue;
    const QStringList fields = line.split(delim);
    if (headerSkipped && row == 0 && lineNo == 1 && preview_->rowCount() == 0 &&
        preview_->columnCount() == 0) {
      preview_->setColumnCount(static_cast<int>(fields.size()));
      preview_->setHorizontalHeaderLabels(fields);
      continue;
    }
    QList<QStandardItem*> items;
    for (const QString& f : fields) items << new QStandardItem(f);
    maxCols = std::max(maxCols, static_cast<int>(fields.size()));
    auto it = issueByLine.find(static_cast<std::uint64_t>(lineNo));
    if (it != issueByLine.end()) {
      const QString reason = tr("line %1: %2").arg(lineNo).arg(it->second);
      for (QStandardItem* i : items) {
        i->setBackground(QColor(255, 205, 205));
        i->setToolTip(reason);
      }
      rejected_ << reason;
      rejectedRows_ << row;
    }
    preview_->appendRow(items);
    preview_->setVerticalHeaderItem(row, new QStandardItem(QString::number(lineNo)));
    ++row;
  }
  if (preview_->columnCount() < maxCols) preview_->setColumnCount(maxCols);
  table_->resizeColumnsToContents();

  if (!error.isEmpty()) {
    status_->setText(tr("<span style='color:#b00'>Cannot read with these settings: %1</span>")
                         .arg(error.toHtmlEscaped()));
    return;
  }
  QString s = tr("Preview of the first %L1 rows: %L2 loaded, %L3 rejected")
                  .arg(result.rowsRead())
                  .arg(result.rowsLoaded())
                  .arg(result.rowsSkipped());
  if (!rejected_.isEmpty()) {
    s += QStringLiteral("<br><span style='color:#b00'>") + rejected_.first().toHtmlEscaped() +
         (rejected_.size() > 1 ? tr(" (and %1 more, highlighted)").arg(rejected_.size() - 1)
                               : tr(" (highlighted)")) +
         QStringLiteral("</span>");
  }
  s += tr("<br>%L1 users, %L2 items in the preview%3.")
           .arg(result.dataset.numUsers())
           .arg(result.dataset.numItems())
           .arg(result.dataset.interactions.hasTimestamps() ? tr(", with timestamps")
                                                            : tr(", no timestamps"));
  status_->setText(s);
}

}  // namespace rwb::ui
