#include "ui/database_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrent>

#include "core/util/connection_string.h"
#include "core/util/error.h"
#include "core/util/task_context.h"

namespace rwb::ui {

namespace {

constexpr int kDebounceMs = 500;
const QColor kBadRow(255, 225, 225);
const QColor kBadCell(255, 170, 170);

QString red(const QString& text) {
  return QStringLiteral("<span style='color:#b00'>%1</span>").arg(text.toHtmlEscaped());
}

}  // namespace

DatabaseDialog::DatabaseDialog(const QString& source, QWidget* parent) : QDialog(parent) {
  setWindowTitle(tr("Open from database"));
  setObjectName("DatabaseDialog");
  resize(940, 680);
  auto* layout = new QVBoxLayout(this);
  auto* form = new QFormLayout;

  auto* sourceRow = new QHBoxLayout;
  source_ = new QLineEdit(source, this);
  source_->setObjectName("source");
  source_->setPlaceholderText(
      tr("postgresql://user@host:5432/database, odbc:DSN, or an SQLite file"));
  source_->setToolTip(
      tr("A libpq URI (postgresql://...), an ODBC data source (odbc:NAME or odbc:KEY=value;...) "
         "or an SQLite file. The project keeps it without any password."));
  auto* browse = new QPushButton(tr("SQLite File..."), this);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getOpenFileName(
        this, tr("Open an SQLite database"), QString(),
        tr("SQLite databases (*.sqlite *.sqlite3 *.db);;All files (*)"));
    if (!f.isEmpty()) source_->setText(f);
  });
  sourceRow->addWidget(source_, 1);
  sourceRow->addWidget(browse);
  form->addRow(tr("Source"), sourceRow);

  password_ = new QLineEdit(this);
  password_->setObjectName("password");
  password_->setEchoMode(QLineEdit::Password);
  password_->setPlaceholderText(
      tr("for this session only; empty: PGPASSWORD, ~/.pgpass, odbc.ini"));
  password_->setToolTip(
      tr("Used for this session's connections only: never written to the project, a spec, the "
         "log or a report. Leave empty when the environment (PGPASSWORD), ~/.pgpass or the "
         "DSN's odbc.ini entry provides it; then reopening the project needs no password."));
  form->addRow(tr("Password"), password_);
  layout->addLayout(form);

  parts_ = new QTabWidget(this);
  parts_->setObjectName("parts");
  parts_->addTab(buildPart(0), tr("Interactions"));
  parts_->addTab(buildPart(1), tr("Item attributes"));
  parts_->addTab(buildPart(2), tr("User attributes"));
  parts_->setMaximumHeight(parts_->sizeHint().height());
  layout->addWidget(parts_);

  lenient_ = new QCheckBox(tr("Skip bad rows (count them with their reason) instead of stopping "
                              "at the first one"),
                           this);
  lenient_->setObjectName("lenient");
  layout->addWidget(lenient_);

  auto* previewRow = new QHBoxLayout;
  status_ = new QLabel(this);
  status_->setObjectName("previewStatus");
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  busy_ = new QProgressBar(this);
  busy_->setRange(0, 0);
  busy_->setMaximumWidth(120);
  busy_->setVisible(false);
  auto* refresh = new QPushButton(tr("Preview"), this);
  refresh->setObjectName("refreshPreview");
  cancel_ = new QPushButton(tr("Cancel Preview"), this);
  cancel_->setObjectName("cancelPreview");
  cancel_->setEnabled(false);
  previewRow->addWidget(status_, 1);
  previewRow->addWidget(busy_);
  previewRow->addWidget(refresh);
  previewRow->addWidget(cancel_);
  layout->addLayout(previewRow);

  model_ = new QStandardItemModel(this);
  table_ = new QTableView(this);
  table_->setObjectName("preview");
  table_->setModel(model_);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 4);
  layout->addWidget(table_, 1);

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
  buttons->button(QDialogButtonBox::Ok)->setText(tr("Load"));
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  layout->addWidget(buttons);
  auto* load = buttons->button(QDialogButtonBox::Ok);
  load->setEnabled(!source.trimmed().isEmpty());
  connect(source_, &QLineEdit::textChanged, this,
          [load](const QString& t) { load->setEnabled(!t.trimmed().isEmpty()); });

  debounce_ = new QTimer(this);
  debounce_->setSingleShot(true);
  debounce_->setInterval(kDebounceMs);
  connect(debounce_, &QTimer::timeout, this, &DatabaseDialog::refreshPreview);
  connect(refresh, &QPushButton::clicked, this, &DatabaseDialog::refreshPreview);
  connect(cancel_, &QPushButton::clicked, this, &DatabaseDialog::cancelPreview);
  // Typing waits for a pause; a choice previews at once.
  connect(source_, &QLineEdit::textEdited, this, &DatabaseDialog::schedulePreview);
  connect(password_, &QLineEdit::textEdited, this, &DatabaseDialog::schedulePreview);
  connect(parts_, &QTabWidget::currentChanged, this, &DatabaseDialog::refreshPreview);
  connect(lenient_, &QCheckBox::toggled, this, &DatabaseDialog::refreshPreview);
  for (QComboBox* b : {user_, item_, value_, time_, itemsId_, usersId_}) {
    connect(b, &QComboBox::currentIndexChanged, this, [this] {
      if (!filling_) refreshPreview();
    });
  }
  if (!source.trimmed().isEmpty()) {
    refreshPreview();
  } else {
    status_->setText(tr("Give a source to see its first %1 rows.").arg(kPreviewRows));
  }
}

DatabaseDialog::~DatabaseDialog() {
  // The worker holds only its own copies and the shared context: it is told to stop and not
  // waited for, since a connection attempt (libpq, ODBC) cannot be interrupted and closing the
  // dialog must not wait for a server that does not answer.
  if (running_) running_->requestStop();
}

QWidget* DatabaseDialog::buildPart(int part) {
  auto* page = new QWidget(this);
  auto* grid = new QFormLayout(page);
  static const char* kNames[] = {"", "items_", "users_"};
  const QString prefix = QString::fromLatin1(kNames[part]);
  Part& p = part_[static_cast<std::size_t>(part)];
  p.useTable = new QRadioButton(tr("Table"), page);
  p.useQuery = new QRadioButton(tr("Query"), page);
  p.useTable->setChecked(true);
  p.table = new QLineEdit(page);
  p.table->setObjectName(prefix + "table");
  p.table->setPlaceholderText(part == 0   ? tr("interactions, ratings or events when empty")
                              : part == 1 ? tr("items when there is one")
                                          : tr("users when there is one"));
  p.query = new QPlainTextEdit(page);
  p.query->setObjectName(prefix + "query");
  p.query->setPlaceholderText(tr("SELECT ... (read as it is, in a read-only transaction)"));
  p.query->setFixedHeight(p.query->fontMetrics().height() * 3 + 12);
  p.query->setEnabled(false);
  grid->addRow(p.useTable, p.table);
  grid->addRow(p.useQuery, p.query);
  connect(p.useQuery, &QRadioButton::toggled, this, [this, part](bool query) {
    Part& q = part_[static_cast<std::size_t>(part)];
    q.query->setEnabled(query);
    q.table->setEnabled(!query);
    refreshPreview();
  });
  connect(p.table, &QLineEdit::textEdited, this, &DatabaseDialog::schedulePreview);
  connect(p.query, &QPlainTextEdit::textChanged, this, [this] {
    if (!filling_) schedulePreview();
  });

  auto makeBox = [page](const QString& name) {
    auto* box = new QComboBox(page);
    box->setObjectName(name);
    box->setMinimumContentsLength(14);
    box->addItem(tr("(detect)"), QString());
    return box;
  };
  auto* columns = new QHBoxLayout;
  if (part == 0) {
    user_ = makeBox("user");
    item_ = makeBox("item");
    value_ = makeBox("value");
    time_ = makeBox("timestamp");
    for (auto [label, box] :
         {std::pair{tr("User"), user_}, std::pair{tr("Item"), item_},
          std::pair{tr("Rating / value"), value_}, std::pair{tr("Timestamp"), time_}}) {
      columns->addWidget(new QLabel(label, page));
      columns->addWidget(box);
    }
  } else {
    QComboBox*& box = part == 1 ? itemsId_ : usersId_;
    box = makeBox(prefix + "id");
    columns->addWidget(new QLabel(part == 1 ? tr("Item id") : tr("User id"), page));
    columns->addWidget(box);
    columns->addWidget(new QLabel(tr("(the other columns become attributes, typed as in "
                                     "items.csv / users.csv)"),
                                  page));
  }
  columns->addStretch();
  grid->addRow(tr("Columns"), columns);
  return page;
}

QComboBox* DatabaseDialog::roleBox(const QString& role) const {
  if (role == QLatin1String("user")) return user_;
  if (role == QLatin1String("item")) return item_;
  if (role == QLatin1String("value")) return value_;
  if (role == QLatin1String("timestamp")) return time_;
  if (role == QLatin1String("items_id")) return itemsId_;
  if (role == QLatin1String("users_id")) return usersId_;
  return nullptr;
}

QString DatabaseDialog::source() const { return source_->text().trimmed(); }
QString DatabaseDialog::password() const { return password_->text(); }

DatasetOptions DatabaseDialog::options() const {
  DatasetOptions o;
  const auto text = [this](int part, bool query) {
    const Part& p = part_[static_cast<std::size_t>(part)];
    if (query != p.useQuery->isChecked()) return std::string();
    return (query ? p.query->toPlainText() : p.table->text()).trimmed().toStdString();
  };
  o.table = text(0, false);
  o.query = text(0, true);
  o.itemsTable = text(1, false);
  o.itemsQuery = text(1, true);
  o.usersTable = text(2, false);
  o.usersQuery = text(2, true);
  const auto column = [](QComboBox* box) {
    ColumnRef ref;
    ref.name = box->currentData().toString().toStdString();
    return ref;
  };
  o.interactions.user = column(user_);
  o.interactions.item = column(item_);
  o.interactions.value = column(value_);
  o.interactions.timestamp = column(time_);
  o.interactions.strict = !lenient_->isChecked();
  o.itemAttributes.id = column(itemsId_);
  o.userAttributes.id = column(usersId_);
  o.itemAttributes.strict = o.userAttributes.strict = o.interactions.strict;
  return o;
}

void DatabaseDialog::setSource(const QString& source) {
  source_->setText(source);
  refreshPreview();
}
void DatabaseDialog::setPassword(const QString& password) { password_->setText(password); }

void DatabaseDialog::setTable(int part, const QString& table) {
  Part& p = part_[static_cast<std::size_t>(part)];
  p.table->setText(table);
  if (p.useTable->isChecked()) {
    refreshPreview();
  } else {
    p.useTable->setChecked(true);  // previews through the toggle
  }
}

void DatabaseDialog::setQuery(int part, const QString& query) {
  Part& p = part_[static_cast<std::size_t>(part)];
  filling_ = true;
  p.query->setPlainText(query);
  filling_ = false;
  if (p.useQuery->isChecked()) {
    refreshPreview();
  } else {
    p.useQuery->setChecked(true);
  }
}

bool DatabaseDialog::setColumn(const QString& role, const QString& column) {
  QComboBox* box = roleBox(role);
  if (box == nullptr) return false;
  const int i = box->findData(column);
  if (i < 0) return false;
  box->setCurrentIndex(i);
  return true;
}

void DatabaseDialog::setLenient(bool lenient) { lenient_->setChecked(lenient); }
void DatabaseDialog::showPart(int part) { parts_->setCurrentIndex(part); }
bool DatabaseDialog::previewRunning() const { return running_ != nullptr; }
QString DatabaseDialog::previewStatus() const { return status_->text(); }

QStringList DatabaseDialog::columnChoices(const QString& role) const {
  QStringList out;
  if (QComboBox* box = roleBox(role)) {
    for (int i = 0; i < box->count(); ++i) out << box->itemText(i);
  }
  return out;
}

PreviewTable DatabaseDialog::currentTable() const {
  switch (parts_->currentIndex()) {
    case 1:
      return PreviewTable::kItemAttributes;
    case 2:
      return PreviewTable::kUserAttributes;
    default:
      return PreviewTable::kInteractions;
  }
}

void DatabaseDialog::schedulePreview() { debounce_->start(); }

void DatabaseDialog::cancelPreview() {
  debounce_->stop();
  if (!running_) return;
  running_->requestStop();
  running_.reset();
  ++generation_;  // its result, if it still comes, is dropped
  busy_->setVisible(false);
  cancel_->setEnabled(false);
  status_->setText(tr("Preview cancelled."));
  emit previewFinished();
}

void DatabaseDialog::refreshPreview() {
  debounce_->stop();
  if (running_) running_->requestStop();
  running_.reset();
  const int generation = ++generation_;
  if (source().isEmpty()) {
    busy_->setVisible(false);
    cancel_->setEnabled(false);
    status_->setText(tr("Give a source to see its first %1 rows.").arg(kPreviewRows));
    return;
  }
  const std::string target = withPassword(source().toStdString(), password().toStdString());
  const DatasetOptions options = this->options();
  const PreviewTable part = currentTable();
  auto ctx = std::make_shared<TaskContext>();
  running_ = ctx;
  busy_->setVisible(true);
  cancel_->setEnabled(true);
  status_->setText(tr("Reading the first %1 rows of %2 ...")
                       .arg(kPreviewRows)
                       .arg(QString::fromStdString(redactConnectionString(target))));
  auto* watcher = new QFutureWatcher<PreviewOutcome>(this);
  connect(watcher, &QFutureWatcher<PreviewOutcome>::finished, this, [this, watcher, generation] {
    watcher->deleteLater();
    if (generation != generation_) return;  // a newer preview (or a cancel) replaced it
    running_.reset();
    busy_->setVisible(false);
    cancel_->setEnabled(false);
    const PreviewOutcome out = watcher->result();
    if (out.cancelled) {
      status_->setText(tr("Preview cancelled."));
    } else if (!out.failure.isEmpty()) {
      showFailure(out.failure);
    } else {
      showPreview(out.preview);
    }
    emit previewFinished();
  });
  watcher->setFuture(QtConcurrent::run([target, options, part, ctx] {
    PreviewOutcome out;
    try {
      out.preview = previewDatabase(target, options, part, kPreviewRows, *ctx);
    } catch (const Cancelled&) {
      out.cancelled = true;
    } catch (const std::exception& e) {
      out.failure = QString::fromUtf8(e.what());
    }
    return out;
  }));
}

void DatabaseDialog::showFailure(const QString& message) {
  model_->clear();
  preview_ = DatabasePreview{};
  error_ = message;
  status_->setText(red(tr("Cannot read: %1").arg(message)));
}

void DatabaseDialog::fillColumnChoices(const DatabasePreview& p, int part) {
  filling_ = true;
  const auto fill = [&p](QComboBox* box, int detected) {
    const QString keep = box->currentData().toString();
    box->clear();
    box->addItem(detected >= 0 && detected < static_cast<int>(p.names.size())
                     ? tr("(detect: %1)").arg(QString::fromStdString(p.names[detected]))
                     : tr("(detect)"),
                 QString());
    for (std::size_t c = 0; c < p.names.size(); ++c) {
      const QString name = QString::fromStdString(p.names[c]);
      const QString type = QString::fromStdString(p.types[c]);
      box->addItem(type.isEmpty() ? name : QStringLiteral("%1 (%2)").arg(name, type), name);
    }
    const int i = box->findData(keep);
    box->setCurrentIndex(i >= 0 ? i : 0);
  };
  if (part == 0) {
    fill(user_, p.user);
    fill(item_, p.item);
    fill(value_, p.value);
    fill(time_, p.timestamp);
  } else {
    fill(part == 1 ? itemsId_ : usersId_, -1);
  }
  filling_ = false;
}

void DatabaseDialog::showPreview(const DatabasePreview& p) {
  preview_ = p;
  error_.clear();
  const int part = parts_->currentIndex();
  fillColumnChoices(p, part);
  model_->clear();
  model_->setColumnCount(static_cast<int>(p.names.size()));
  const std::pair<int, QString> roles[] = {{p.user, tr("user")},
                                           {p.item, tr("item")},
                                           {p.value, tr("value")},
                                           {p.timestamp, tr("timestamp")},
                                           {p.event, tr("event")}};
  for (std::size_t c = 0; c < p.names.size(); ++c) {
    QString header = QString::fromStdString(p.names[c]);
    for (const auto& [col, role] : roles) {
      if (col == static_cast<int>(c)) header += QStringLiteral(" \u2192 ") + role;
    }
    const QString type = QString::fromStdString(p.types[c]);
    auto* h = new QStandardItem(type.isEmpty() ? header : header + QLatin1Char('\n') + type);
    model_->setHorizontalHeaderItem(static_cast<int>(c), h);
  }
  std::map<std::uint64_t, const PreviewIssue*> issues;
  for (const auto& issue : p.issues) issues.emplace(issue.row, &issue);
  for (std::size_t r = 0; r < p.rows.size(); ++r) {
    QList<QStandardItem*> items;
    const std::uint64_t row = r + 1;
    const auto issue = issues.find(row);
    for (std::size_t c = 0; c < p.rows[r].size(); ++c) {
      auto* item = new QStandardItem(QString::fromStdString(p.rows[r][c]));
      const std::uint64_t column = c + 1;
      if (issue != issues.end()) {
        item->setBackground(issue->second->column == column ? kBadCell : kBadRow);
        item->setToolTip(QString::fromStdString(issue->second->reason));
      }
      if (p.errorRow == row && (p.errorColumn == column || p.errorColumn == 0)) {
        item->setBackground(kBadCell);
        item->setToolTip(QString::fromStdString(p.error));
      }
      items << item;
    }
    model_->appendRow(items);
  }
  table_->resizeColumnsToContents();
  if (p.errorRow > 0) table_->scrollTo(model_->index(static_cast<int>(p.errorRow) - 1, 0));

  const QString where = QString::fromStdString(p.where);
  QString s = p.more ? tr("%1: the first %L2 rows (more follow)").arg(where).arg(p.rows.size())
                     : tr("%1: all %L2 rows").arg(where).arg(p.rows.size());
  if (!p.error.empty()) {
    QString located;
    if (p.errorRow > 0 && p.errorColumn > 0 && p.errorColumn <= p.names.size()) {
      located = tr("Row %1, column %2 '%3': ")
                    .arg(p.errorRow)
                    .arg(p.errorColumn)
                    .arg(QString::fromStdString(p.names[p.errorColumn - 1]));
    } else if (p.errorRow > 0) {
      located = tr("Row %1: ").arg(p.errorRow);
    }
    error_ = located + QString::fromStdString(p.error);
    s += QStringLiteral(".<br>") + red(tr("Cannot load with these settings: %1").arg(error_));
  } else {
    s += tr("; the loader accepts %L1 of them").arg(p.rowsLoaded);
    if (!p.issues.empty()) {
      const PreviewIssue& first = p.issues.front();
      s += QStringLiteral(".<br>") +
           red(tr("Row %1, column %2: %3 (%4, highlighted)")
                   .arg(first.row)
                   .arg(first.column)
                   .arg(QString::fromStdString(first.reason),
                        p.issues.size() == 1 ? tr("1 bad row skipped")
                                             : tr("%L1 bad rows skipped").arg(p.issues.size())));
    } else {
      s += QLatin1Char('.');
    }
  }
  status_->setText(s);
}

}  // namespace rwb::ui
