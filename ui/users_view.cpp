#include "ui/users_view.h"

#include <QComboBox>
#include <QDateTime>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <unordered_set>

#include "ui/entity_table_model.h"
#include "ui/session.h"
#include "ui/table_view.h"

namespace rwb::ui {

namespace {
const QColor kHit(190, 235, 190);
const QColor kTest(255, 236, 200);

QStandardItem* numberItem(double v, int decimals) {
  auto* it = new QStandardItem;
  it->setData(decimals < 0
                  ? QVariant(v)
                  : QVariant(std::round(v * std::pow(10, decimals)) / std::pow(10, decimals)),
              Qt::DisplayRole);
  it->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return it;
}
}  // namespace

UsersView::UsersView(Session* session, QWidget* parent) : QWidget(parent), session_(session) {
  setObjectName("UsersView");
  auto* layout = new QHBoxLayout(this);
  auto* split = new QSplitter(Qt::Horizontal, this);
  layout->addWidget(split);

  auto* left = new QWidget(split);
  auto* leftLayout = new QVBoxLayout(left);
  leftLayout->setContentsMargins(0, 0, 0, 0);
  auto* findRow = new QHBoxLayout;
  find_ = new QLineEdit(left);
  find_->setObjectName("findUser");
  find_->setPlaceholderText(tr("User id"));
  auto* go = new QPushButton(tr("Show"), left);
  findRow->addWidget(find_);
  findRow->addWidget(go);
  leftLayout->addLayout(findRow);
  usersModel_ = new EntityTableModel(EntityTableModel::Kind::kUsers, this);
  users_ = new TableView(tr("users"), left);
  users_->setSourceModel(usersModel_);
  leftLayout->addWidget(new QLabel(tr("Find by id or attribute:"), left));
  leftLayout->addWidget(users_);
  split->addWidget(left);

  auto* right = new QWidget(split);
  auto* rightLayout = new QVBoxLayout(right);
  rightLayout->setContentsMargins(0, 0, 0, 0);
  auto* top = new QHBoxLayout;
  header_ = new QLabel(tr("Choose a user."), right);
  header_->setObjectName("userHeader");
  k_ = new QSpinBox(right);
  k_->setRange(1, 100);
  k_->setValue(10);
  top->addWidget(header_, 1);
  top->addWidget(new QLabel(tr("k"), right));
  top->addWidget(k_);
  rightLayout->addLayout(top);
  auto* vsplit = new QSplitter(Qt::Vertical, right);
  history_ = new QStandardItemModel(this);
  historyTable_ = new TableView(tr("history"), vsplit);
  historyTable_->setSourceModel(history_);
  auto* panels = new QWidget(vsplit);
  auto* grid = new QHBoxLayout(panels);
  grid->setContentsMargins(0, 0, 0, 0);
  for (int p = 0; p < kPanels; ++p) {
    auto* box = new QWidget(panels);
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    runBox_[p] = new QComboBox(box);
    runBox_[p]->setObjectName(QStringLiteral("panelRun%1").arg(p));
    lists_[p] = new QStandardItemModel(this);
    auto* view = new QTableView(box);
    view->setModel(lists_[p]);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 4);
    view->horizontalHeader()->setStretchLastSection(true);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    v->addWidget(runBox_[p]);
    v->addWidget(view);
    connect(view, &QTableView::clicked, this, [this, p](const QModelIndex& idx) {
      if (QStandardItem* it = lists_[p]->item(idx.row(), 1)) showSimilar(it->text());
    });
    grid->addWidget(box);
    connect(runBox_[p], &QComboBox::currentIndexChanged, this, [this, p] { refreshPanel(p); });
  }
  auto* similarBox = new QWidget(vsplit);
  auto* sv = new QVBoxLayout(similarBox);
  sv->setContentsMargins(0, 0, 0, 0);
  similarLabel_ = new QLabel(tr("Click an item to see its most similar items."), similarBox);
  similar_ = new QStandardItemModel(this);
  auto* similarView = new QTableView(similarBox);
  similarView->setModel(similar_);
  similarView->verticalHeader()->hide();
  similarView->verticalHeader()->setDefaultSectionSize(similarView->fontMetrics().height() + 4);
  similarView->horizontalHeader()->setStretchLastSection(true);
  similarView->setEditTriggers(QAbstractItemView::NoEditTriggers);
  sv->addWidget(similarLabel_);
  sv->addWidget(similarView);
  vsplit->addWidget(historyTable_);
  vsplit->addWidget(panels);
  vsplit->addWidget(similarBox);
  connect(historyTable_->view(), &QTableView::clicked, this, [this](const QModelIndex& idx) {
    const QModelIndex src = historyTable_->proxy()->mapToSource(idx);
    if (QStandardItem* it = history_->item(src.row(), 0)) showSimilar(it->text());
  });
  vsplit->setStretchFactor(0, 2);
  vsplit->setStretchFactor(1, 3);
  vsplit->setStretchFactor(2, 1);
  rightLayout->addWidget(vsplit);
  split->addWidget(right);
  split->setStretchFactor(0, 1);
  split->setStretchFactor(1, 4);

  connect(go, &QPushButton::clicked, this, [this] { showUser(find_->text().trimmed()); });
  connect(find_, &QLineEdit::returnPressed, this, [this] { showUser(find_->text().trimmed()); });
  connect(users_->view(), &QTableView::activated, this, [this](const QModelIndex& idx) {
    const QModelIndex src = users_->proxy()->mapToSource(idx);
    showUser(usersModel_->data(usersModel_->index(src.row(), 0), Qt::ToolTipRole).toString());
  });
  connect(users_->view(), &QTableView::clicked, this, [this](const QModelIndex& idx) {
    const QModelIndex src = users_->proxy()->mapToSource(idx);
    showUser(usersModel_->data(usersModel_->index(src.row(), 0), Qt::ToolTipRole).toString());
  });
  connect(k_, &QSpinBox::valueChanged, this, [this] {
    for (int p = 0; p < kPanels; ++p) refreshPanel(p);
  });
  connect(session_, &Session::datasetChanged, this, [this] {
    usersModel_->setDataset(session_->dataset());
    user_.clear();
    refreshHistory();
  });
  connect(session_, &Session::testSetChanged, this, &UsersView::refreshHistory);
  connect(session_, &Session::runAdded, this, &UsersView::scheduleRefresh);
  connect(session_, &Session::runChanged, this, &UsersView::scheduleRefresh);
  connect(session_, &Session::runsCleared, this, &UsersView::scheduleRefresh);
  refreshRuns();
}

void UsersView::scheduleRefresh() {
  dirty_ = true;
  if (scheduled_ || !isVisible()) return;
  scheduled_ = true;
  QTimer::singleShot(0, this, [this] {
    scheduled_ = false;
    if (dirty_ && isVisible()) refreshRuns();
  });
}

void UsersView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (dirty_) refreshRuns();
}

void UsersView::refreshRuns() {
  dirty_ = false;
  // Keep each panel's choice; fill empty panels with the first finished runs not yet shown.
  std::vector<int> chosen(kPanels, 0);
  for (int p = 0; p < kPanels; ++p)
    chosen[static_cast<std::size_t>(p)] = runBox_[p]->currentData().toInt();
  std::vector<int> done;
  for (const auto& r : session_->runs()) {
    if (r.status == "done" && r.fitted) done.push_back(r.id);
  }
  for (int p = 0; p < kPanels; ++p) {
    int& c = chosen[static_cast<std::size_t>(p)];
    if (c != 0 && std::find(done.begin(), done.end(), c) == done.end()) c = 0;
    if (c == 0) {
      for (int id : done) {
        if (std::find(chosen.begin(), chosen.end(), id) == chosen.end()) {
          c = id;
          break;
        }
      }
    }
  }
  for (int p = 0; p < kPanels; ++p) {
    QComboBox* box = runBox_[p];
    box->blockSignals(true);
    box->clear();
    box->addItem(tr("(no run)"), 0);
    for (int id : done) box->addItem(session_->run(id)->displayName, id);
    box->setCurrentIndex(std::max(0, box->findData(chosen[static_cast<std::size_t>(p)])));
    box->blockSignals(false);
    refreshPanel(p);
  }
  refreshHistory();
}

void UsersView::setPanelRun(int panel, int runId) {
  if (panel < 0 || panel >= kPanels) return;
  runBox_[panel]->setCurrentIndex(std::max(0, runBox_[panel]->findData(runId)));
}

bool UsersView::showUser(const QString& externalId) {
  auto data = session_->dataset();
  if (!data || externalId.isEmpty() || !data->users.find(externalId.toStdString())) {
    header_->setText(
        tr("<span style='color:#b00'>Unknown user '%1'.</span>").arg(externalId.toHtmlEscaped()));
    return false;
  }
  if (dirty_) refreshRuns();
  user_ = externalId;
  find_->setText(externalId);
  refreshHistory();
  for (int p = 0; p < kPanels; ++p) refreshPanel(p);
  return true;
}

QString UsersView::itemTitle(const Dataset& d, Index item) const {
  for (const auto& col : d.itemAttributes.columns) {
    if (col.type == ColumnType::kText && item < col.rows())
      return QString::fromStdString(col.text[item]);
  }
  return {};
}

int UsersView::showSimilar(const QString& itemId) {
  similar_->clear();
  similar_->setHorizontalHeaderLabels({tr("#"), tr("item"), tr("similarity"), tr("title")});
  const int runId = runBox_[0]->currentData().toInt();
  const RunRecord* r = runId ? session_->run(runId) : nullptr;
  if (r == nullptr || !r->fitted || !r->train) {
    similarLabel_->setText(tr("Similar items need a finished run in the first panel."));
    return 0;
  }
  const auto item = r->train->items.find(itemId.toStdString());
  if (!item || *item >= r->fitted->numItems()) {
    similarLabel_->setText(tr("Item %1 is unknown to %2.").arg(itemId, r->displayName));
    return 0;
  }
  const auto sims = r->fitted->similarItems(*item, 10);
  int rank = 1;
  for (const ScoredItem& s : sims) {
    QList<QStandardItem*> row;
    row << numberItem(rank++, 0);
    row << new QStandardItem(QString::fromStdString(r->train->items.external(s.item)));
    row << numberItem(s.score, 4);
    row << new QStandardItem(itemTitle(*r->train, s.item));
    similar_->appendRow(row);
  }
  const QString title = itemTitle(*r->train, *item);
  similarLabel_->setText(
      tr("<b>Items most similar to %1%2</b> according to %3")
          .arg(itemId.toHtmlEscaped(),
               title.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(title.toHtmlEscaped()),
               r->displayName.toHtmlEscaped()));
  return static_cast<int>(sims.size());
}

int UsersView::historyRows() const { return history_->rowCount(); }
int UsersView::listRows(int panel) const {
  return panel >= 0 && panel < kPanels ? lists_[panel]->rowCount() : 0;
}
int UsersView::listHits(int panel) const {
  return panel >= 0 && panel < kPanels ? hits_[panel] : 0;
}

void UsersView::refreshHistory() {
  history_->clear();
  history_->setHorizontalHeaderLabels(
      {tr("item"), tr("title"), tr("value"), tr("time"), tr("set")});
  auto data = session_->dataset();
  if (!data || user_.isEmpty()) {
    header_->setText(data ? tr("Choose a user.") : tr("No dataset loaded."));
    return;
  }
  const std::string uid = user_.toStdString();
  // The train/test of the first finished run when there is one (its split), else the loaded
  // dataset and test file.
  std::shared_ptr<const Dataset> train = data, test = session_->testSet();
  for (const auto& r : session_->runs()) {
    if (r.status == "done" && r.train) {
      train = r.train;
      test = r.test;
      break;
    }
  }
  std::size_t nTrain = 0, nTest = 0;
  auto add = [&](const Dataset& d, bool isTest) {
    const auto u = d.users.find(uid);
    if (!u) return;
    const auto& in = d.interactions;
    for (std::size_t i = 0; i < in.size(); ++i) {
      if (in.user[i] != *u) continue;
      QList<QStandardItem*> row;
      row << new QStandardItem(QString::fromStdString(d.items.external(in.item[i])));
      row << new QStandardItem(itemTitle(d, in.item[i]));
      row << numberItem(in.value[i], -1);
      row << new QStandardItem(in.timestamp[i] == kNoTimestamp
                                   ? QString()
                                   : QDateTime::fromSecsSinceEpoch(in.timestamp[i], Qt::UTC)
                                         .toString(QStringLiteral("yyyy-MM-dd hh:mm")));
      row << new QStandardItem(isTest ? tr("test") : tr("train"));
      if (isTest) {
        for (auto* it : row) it->setBackground(kTest);
      }
      history_->appendRow(row);
      (isTest ? nTest : nTrain) += 1;
    }
  };
  add(*train, false);
  if (test) add(*test, true);
  historyTable_->view()->sortByColumn(3, Qt::DescendingOrder);
  historyTable_->view()->resizeColumnsToContents();
  header_->setText(tr("<b>User %1</b>: %L2 training and %L3 test interactions (test rows shaded; "
                      "recommended test items in green)")
                       .arg(user_.toHtmlEscaped())
                       .arg(nTrain)
                       .arg(nTest));
}

void UsersView::refreshPanel(int panel) {
  QStandardItemModel* list = lists_[panel];
  list->clear();
  list->setHorizontalHeaderLabels({tr("#"), tr("item"), tr("score"), tr("title")});
  hits_[panel] = 0;
  const int runId = runBox_[panel]->currentData().toInt();
  const RunRecord* r = runId ? session_->run(runId) : nullptr;
  if (r == nullptr || !r->fitted || user_.isEmpty() || !r->train) return;
  const Dataset& train = *r->train;
  const auto u = train.users.find(user_.toStdString());
  if (!u || *u >= r->fitted->numUsers()) {
    list->appendRow(new QStandardItem(tr("user unknown to this model")));
    return;
  }
  std::unordered_set<std::string> testItems;
  if (r->test) {
    const auto tu = r->test->users.find(user_.toStdString());
    if (tu) {
      const auto& in = r->test->interactions;
      for (std::size_t i = 0; i < in.size(); ++i) {
        if (in.user[i] == *tu) testItems.insert(r->test->items.external(in.item[i]));
      }
    }
  }
  const RecList recs = r->fitted->recommend(*u, static_cast<std::size_t>(k_->value()), true);
  int rank = 1;
  for (const ScoredItem& s : recs.items) {
    const std::string id = train.items.external(s.item);
    QList<QStandardItem*> row;
    row << numberItem(rank++, 0);
    row << new QStandardItem(QString::fromStdString(id));
    row << numberItem(s.score, 4);
    row << new QStandardItem(itemTitle(train, s.item));
    const bool hit = testItems.count(id) > 0;
    if (hit) {
      ++hits_[panel];
      for (auto* it : row) it->setBackground(kHit);
    }
    const QString tip =
        (hit ? tr("Test hit: the user interacted with this item in the test set.\n") : QString()) +
        (recs.fallback
             ? tr("From the popularity fallback: the model knows nothing about this user.")
             : tr("Score %1 from %2; this model type offers no per-item explanation.")
                   .arg(s.score)
                   .arg(r->displayName));
    for (auto* it : row) it->setToolTip(tip);
    list->appendRow(row);
  }
  runBox_[panel]->setToolTip(tr("%1 hits in the top %2").arg(hits_[panel]).arg(k_->value()));
}

}  // namespace rwb::ui
