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
#include <cmath>
#include <unordered_set>

#include "core/models/explanation.h"
#include "ui/entity_table_model.h"
#include "ui/runs_model.h"
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
  left->setMinimumWidth(230);
  split->addWidget(left);

  auto* right = new QWidget(split);
  auto* rightLayout = new QVBoxLayout(right);
  rightLayout->setContentsMargins(0, 0, 0, 0);
  auto* top = new QHBoxLayout;
  header_ = new QLabel(tr("Choose a user."), right);
  header_->setObjectName("userHeader");
  // A long header (user id, history counts) wraps instead of widening the window.
  header_->setWordWrap(true);
  header_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  k_ = new QSpinBox(right);
  k_->setRange(1, 100);
  k_->setValue(10);
  top->addWidget(header_, 1);
  findItem_ = new QLineEdit(right);
  findItem_->setObjectName("findItem");
  findItem_->setPlaceholderText(tr("Item id"));
  findItem_->setMaximumWidth(140);
  findItem_->setToolTip(
      tr("Item mode: the item's most similar items according to the first "
         "panel's run"));
  auto* similarButton = new QPushButton(tr("Similar items"), right);
  top->addWidget(findItem_);
  top->addWidget(similarButton);
  connect(similarButton, &QPushButton::clicked, this,
          [this] { showSimilar(findItem_->text().trimmed()); });
  connect(findItem_, &QLineEdit::returnPressed, this,
          [this] { showSimilar(findItem_->text().trimmed()); });
  top->addWidget(new QLabel(tr("k"), right));
  top->addWidget(k_);
  rightLayout->addLayout(top);
  splitNote_ = new QLabel(right);
  splitNote_->setObjectName("usersSplitNote");
  splitNote_->setWordWrap(true);
  splitNote_->setStyleSheet(QStringLiteral("color:#a05000"));
  splitNote_->hide();
  rightLayout->addWidget(splitNote_);
  auto* vsplit = new QSplitter(Qt::Vertical, right);
  history_ = new QStandardItemModel(this);
  historyTable_ = new TableView(tr("history"), vsplit);
  historyTable_->setSourceModel(history_);
  auto* panels = new QWidget(vsplit);
  panelGrid_ = new QGridLayout(panels);
  panelGrid_->setContentsMargins(0, 0, 0, 0);
  for (int p = 0; p < kPanels; ++p) {
    auto* box = panelBoxes_[static_cast<std::size_t>(p)] = new QWidget(panels);
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    runBox_[p] = new QComboBox(box);
    runBox_[p]->setObjectName(QStringLiteral("panelRun%1").arg(p));
    lists_[p] = new QStandardItemModel(this);
    auto* view = panelViews_[static_cast<std::size_t>(p)] = new QTableView(box);
    view->setModel(lists_[p]);
    view->verticalHeader()->hide();
    view->verticalHeader()->setDefaultSectionSize(view->fontMetrics().height() + 4);
    // Rank, item id and score as narrow as their contents; the title takes the rest (its full
    // text is in the tooltip).
    view->horizontalHeader()->setStretchLastSection(true);
    view->horizontalHeader()->setMinimumSectionSize(24);
    view->setWordWrap(false);
    view->setTextElideMode(Qt::ElideRight);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    v->addWidget(runBox_[p]);
    v->addWidget(view);
    connect(view, &QTableView::clicked, this, [this, p](const QModelIndex& idx) {
      if (QStandardItem* it = lists_[p]->item(idx.row(), 1)) {
        explainItem(p, it->text());
        showSimilar(it->text());
      }
    });
    connect(runBox_[p], &QComboBox::currentIndexChanged, this, [this, p] {
      refreshPanel(p);
      refreshSplitNote();
    });
  }
  auto* bottom = new QSplitter(Qt::Horizontal, vsplit);
  auto* explainBox = new QWidget(bottom);
  auto* ev = new QVBoxLayout(explainBox);
  ev->setContentsMargins(0, 0, 0, 0);
  explainLabel_ =
      new QLabel(tr("Click a recommended item to see why it was recommended."), explainBox);
  explainLabel_->setWordWrap(true);
  explain_ = new QStandardItemModel(this);
  auto* explainView = explainView_ = new QTableView(explainBox);
  explainView->setObjectName("explanation");
  explainView->setModel(explain_);
  explainView->verticalHeader()->hide();
  explainView->verticalHeader()->setDefaultSectionSize(explainView->fontMetrics().height() + 4);
  explainView->horizontalHeader()->setStretchLastSection(true);
  explainView->setEditTriggers(QAbstractItemView::NoEditTriggers);
  ev->addWidget(explainLabel_);
  ev->addWidget(explainView);
  auto* similarBox = new QWidget(bottom);
  auto* sv = new QVBoxLayout(similarBox);
  sv->setContentsMargins(0, 0, 0, 0);
  similarLabel_ = new QLabel(tr("Click an item (or type an item id above) to see its most "
                                "similar items."),
                             similarBox);
  similarLabel_->setWordWrap(true);
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
  bottom->addWidget(explainBox);
  bottom->addWidget(similarBox);
  vsplit->addWidget(bottom);
  connect(historyTable_->view(), &QTableView::clicked, this, [this](const QModelIndex& idx) {
    const QModelIndex src = historyTable_->proxy()->mapToSource(idx);
    if (QStandardItem* it = history_->item(src.row(), 0)) showSimilar(it->text());
  });
  vsplit->setStretchFactor(0, 2);
  vsplit->setStretchFactor(1, 3);
  vsplit->setStretchFactor(2, 3);
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
  connect(session_, &Session::runRemoved, this, &UsersView::scheduleRefresh);
  connect(session_, &Session::comparedSplitChanged, this, &UsersView::scheduleRefresh);
  arrangePanels();
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
  arrangePanels();
  if (dirty_) refreshRuns();
}

void UsersView::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  arrangePanels();
}

void UsersView::arrangePanels() {
  // Four panels side by side need about 330 px each to show rank, item, score and a readable
  // title; narrower windows (1024 px) put them two by two.
  const int columns = width() >= 4 * 330 + 250 ? 4 : 2;
  if (columns == panelColumns_) return;
  panelColumns_ = columns;
  for (QWidget* box : panelBoxes_) panelGrid_->removeWidget(box);
  for (int p = 0; p < kPanels; ++p) {
    panelGrid_->addWidget(panelBoxes_[static_cast<std::size_t>(p)], p / columns, p % columns);
  }
}

void UsersView::refreshRuns() {
  dirty_ = false;
  // Keep each panel's choice; fill empty panels with the first finished runs not yet shown
  // that are on the split compared in Compare (runs on other splits were evaluated on other
  // test users and items: they are listed, marked, and shown only when chosen).
  const std::string split = session_->comparedSplit();
  std::vector<int> chosen(kPanels, 0);
  for (int p = 0; p < kPanels; ++p)
    chosen[static_cast<std::size_t>(p)] = runBox_[p]->currentData().toInt();
  std::vector<int> done, onSplit;
  for (const auto& r : session_->runs()) {
    if (!r.done() || !r.record.fitted) continue;
    done.push_back(r.id);
    if (comparisonKey(r.record) == split) onSplit.push_back(r.id);
  }
  for (int p = 0; p < kPanels; ++p) {
    int& c = chosen[static_cast<std::size_t>(p)];
    if (c != 0 && std::find(done.begin(), done.end(), c) == done.end()) c = 0;
    if (c == 0) {
      for (int id : onSplit) {
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
    for (int id : done) {
      const SessionRun* r = session_->run(id);
      const bool other = comparisonKey(r->record) != split;
      box->addItem(other ? tr("%1 [other split %2]")
                               .arg(r->displayName, splitHashLabel(comparisonKey(r->record)))
                         : r->displayName,
                   id);
      if (other) {
        box->setItemData(box->count() - 1,
                         tr("Evaluated on another train/test split (hash %1) than the one "
                            "compared (hash %2): its test hits count against other test items.")
                             .arg(splitHashLabel(comparisonKey(r->record)), splitHashLabel(split)),
                         Qt::ToolTipRole);
      }
    }
    box->setCurrentIndex(std::max(0, box->findData(chosen[static_cast<std::size_t>(p)])));
    box->blockSignals(false);
    refreshPanel(p);
  }
  refreshSplitNote();
  refreshHistory();
}

int UsersView::panelRun(int panel) const {
  return panel >= 0 && panel < kPanels ? runBox_[panel]->currentData().toInt() : 0;
}

QString UsersView::splitNote() const {
  return splitNote_->isHidden() ? QString() : splitNote_->text();
}

void UsersView::refreshSplitNote() {
  const std::string split = session_->comparedSplit();
  QStringList others;
  for (int p = 0; p < kPanels; ++p) {
    const int id = panelRun(p);
    const SessionRun* r = id ? session_->run(id) : nullptr;
    if (r == nullptr || comparisonKey(r->record) == split) continue;
    others << tr("panel %1: %2 (hash %3)")
                  .arg(p + 1)
                  .arg(r->displayName, splitHashLabel(comparisonKey(r->record)));
  }
  if (others.isEmpty()) {
    splitNote_->clear();
    splitNote_->hide();
    return;
  }
  splitNote_->setText(
      tr("Different splits side by side: %1 is on another train/test split than the one compared "
         "(hash %2, chosen in Compare). Its top-k list and test hits come from other training "
         "and test data, so its hits are not comparable with the other panels'; the history's "
         "test rows are those of split %2.")
          .arg(others.join(QStringLiteral(", ")), splitHashLabel(split)));
  splitNote_->show();
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
  // The panel last clicked (first panel by default) decides whose similarity is shown.
  int runId = runBox_[similarPanel_]->currentData().toInt();
  if (runId == 0) runId = runBox_[0]->currentData().toInt();
  const SessionRun* r = runId ? session_->run(runId) : nullptr;
  if (r == nullptr || !r->record.fitted || !r->train) {
    similarLabel_->setText(tr("Similar items need a finished run in a panel."));
    return 0;
  }
  const auto item = r->train->items.find(itemId.toStdString());
  if (!item || *item >= r->record.fitted->numItems()) {
    similarLabel_->setText(tr("Item %1 is unknown to %2.").arg(itemId, r->displayName));
    return 0;
  }
  const auto sims = r->record.fitted->similarItems(*item, 10);
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

QList<double> UsersView::explanationValues() const {
  QList<double> out;
  for (int r = 0; r < explain_->rowCount(); ++r) {
    if (QStandardItem* it = explain_->item(r, 2)) out << it->data(Qt::UserRole).toDouble();
  }
  return out;
}

int UsersView::explainItem(int panel, const QString& itemId) {
  explain_->clear();
  if (panel >= 0 && panel < kPanels) similarPanel_ = panel;
  explanationKind_.clear();
  const int runId = panel >= 0 && panel < kPanels ? runBox_[panel]->currentData().toInt() : 0;
  const SessionRun* r = runId ? session_->run(runId) : nullptr;
  if (r == nullptr || !r->record.fitted || !r->train || user_.isEmpty()) {
    explainLabel_->setText(tr("Explanations need a user and a finished run in the panel."));
    return 0;
  }
  const Dataset& train = *r->train;
  const auto u = train.users.find(user_.toStdString());
  const auto item = train.items.find(itemId.toStdString());
  if (!u || !item || *u >= r->record.fitted->numUsers() || *item >= r->record.fitted->numItems()) {
    explainLabel_->setText(tr("%1 cannot explain item %2 for user %3 (unknown to the model).")
                               .arg(r->displayName, itemId, user_));
    return 0;
  }
  const QString title = itemTitle(train, *item);
  const QString what =
      tr("<b>Why %1 recommends %2%3 to %4</b>")
          .arg(r->displayName.toHtmlEscaped(), itemId.toHtmlEscaped(),
               title.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(title.toHtmlEscaped()),
               user_.toHtmlEscaped());
  auto signedItem = [](double v) {
    auto* it = numberItem(v, 5);
    it->setData(v, Qt::UserRole);
    it->setForeground(v >= 0 ? QColor(20, 120, 20) : QColor(180, 20, 20));
    return it;
  };
  if (const auto* ex = dynamic_cast<const Explainable*>(r->record.fitted.get())) {
    Explanation e;
    try {
      e = ex->explain(*u, *item);
    } catch (const std::exception& err) {
      explainLabel_->setText(what + QStringLiteral(": ") + QString::fromUtf8(err.what()));
      return 0;
    }
    truncateExplanation(e, 15);
    if (!e.features.empty()) {
      explanationKind_ = QStringLiteral("features");
      explain_->setHorizontalHeaderLabels({tr("feature"), tr("value"), tr("contribution")});
      for (const FeatureContribution& f : e.features) {
        QList<QStandardItem*> row;
        row << new QStandardItem(QString::fromStdString(f.feature));
        row << numberItem(f.value, 4);
        row << signedItem(f.contribution);
        explain_->appendRow(row);
      }
    } else {
      explanationKind_ = QStringLiteral("history");
      explain_->setHorizontalHeaderLabels({tr("history item"), tr("weight"), tr("contribution")});
      for (const HistoryContribution& h : e.history) {
        QList<QStandardItem*> row;
        const QString id = QString::fromStdString(train.items.external(h.item));
        const QString t = itemTitle(train, h.item);
        row << new QStandardItem(t.isEmpty() ? id : id + QStringLiteral("  ") + t);
        row << numberItem(h.weight, 4);
        row << signedItem(h.contribution);
        explain_->appendRow(row);
      }
    }
    explainView_->resizeColumnsToContents();
    explainLabel_->setText(
        what + tr(": output %1 = %2 (%3) = bias %4 + the contributions below "
                  "(largest %5 shown)")
                   .arg(QString::fromStdString(e.outputKind))
                   .arg(e.output, 0, 'g', 5)
                   .arg(e.outputKind == "logit"
                            ? tr("P = %1").arg(1.0 / (1.0 + std::exp(-e.output)), 0, 'f', 4)
                            : QString::fromStdString(e.outputKind))
                   .arg(e.bias, 0, 'g', 5)
                   .arg(explain_->rowCount()));
    return explain_->rowCount();
  }
  // Any other model: the user's training items most similar to the recommended one, by the
  // model's own item similarity (Model::similarItems), are the history that drove it.
  std::unordered_set<Index> history;
  const auto& in = train.interactions;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in.user[i] == *u) history.insert(in.item[i]);
  }
  const auto sims = r->record.fitted->similarItems(*item, r->record.fitted->numItems());
  explanationKind_ = QStringLiteral("history");
  explain_->setHorizontalHeaderLabels({tr("history item"), tr("title"), tr("similarity")});
  for (const ScoredItem& s : sims) {
    if (history.count(s.item) == 0 || s.score <= 0.0f) continue;
    QList<QStandardItem*> row;
    row << new QStandardItem(QString::fromStdString(train.items.external(s.item)));
    row << new QStandardItem(itemTitle(train, s.item));
    row << signedItem(s.score);
    explain_->appendRow(row);
    if (explain_->rowCount() >= 15) break;
  }
  explainView_->resizeColumnsToContents();
  explainLabel_->setText(
      what + (explain_->rowCount() > 0
                  ? tr(": the user's history items most similar to it according to the model "
                       "(%1 of %2 history items shown)")
                        .arg(explain_->rowCount())
                        .arg(history.size())
                  : tr(": none of the user's history items is similar to it; the score comes "
                       "from the model's global factors or popularity")));
  return explain_->rowCount();
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
  // The train/test of the first finished run on the compared split (else of the first
  // finished run) when there is one, else the loaded dataset and test file.
  std::shared_ptr<const Dataset> train = data, test = session_->testSet();
  const std::string split = session_->comparedSplit();
  const SessionRun* first = nullptr;
  for (const auto& r : session_->runs()) {
    if (!r.done() || !r.train) continue;
    if (first == nullptr ||
        (comparisonKey(r.record) == split && comparisonKey(first->record) != split)) {
      first = &r;
    }
  }
  if (first != nullptr) {
    train = first->train;
    test = first->test;
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
  const SessionRun* r = runId ? session_->run(runId) : nullptr;
  if (r == nullptr || !r->record.fitted || user_.isEmpty() || !r->train) return;
  const Dataset& train = *r->train;
  const auto u = train.users.find(user_.toStdString());
  if (!u || *u >= r->record.fitted->numUsers()) {
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
  const RecList recs = r->record.fitted->recommend(*u, static_cast<std::size_t>(k_->value()), true);
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
             : tr("Score %1 from %2. Click to see why (explanation below).")
                   .arg(s.score)
                   .arg(r->displayName));
    const QString title = row.back()->text();
    for (auto* it : row) it->setToolTip(title.isEmpty() ? tip : title + QStringLiteral("\n") + tip);
    list->appendRow(row);
  }
  QTableView* view = panelViews_[static_cast<std::size_t>(panel)];
  for (int c = 0; c < 3; ++c) view->resizeColumnToContents(c);
  runBox_[panel]->setToolTip(tr("%1 hits in the top %2").arg(hits_[panel]).arg(k_->value()));
}

}  // namespace rwb::ui
