#include "ui/experiment_view.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QSplitter>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

#include "core/experiment/evaluation_protocol.h"
#include "core/experiment/experiment_spec.h"
#include "core/experiment/pipeline_stages.h"
#include "core/models/registry.h"
#include "core/prep/prep_spec.h"
#include "core/util/error.h"
#include "ui/chart_view.h"
#include "ui/data_controller.h"
#include "ui/model_text.h"
#include "ui/param_form.h"
#include "ui/run_engine.h"
#include "ui/search_form.h"
#include "ui/session.h"
#include "ui/task_runner.h"

namespace rwb::ui {

namespace {
enum QueueColumn {
  kColRun,
  kColModel,
  kColStatus,
  kColProgress,
  kColStage,
  kColEta,
  kColCancel,
  kColCount
};

const QStringList& metricChoices() {
  static const QStringList names{"precision", "recall", "ndcg", "map", "map_at_k", "hit_rate"};
  return names;
}

struct DayCounts {
  QVector<double> day, train, test;
  double testBeforeTrainEnd = 0.0;  ///< share of test rows older than the newest train row
  bool hasTime = false;
};

/// What a search chose, for the queue and the log.
QString searchSummary(const SearchHistory& h) {
  return ExperimentView::tr("%1 search: %2 candidates, best %3 = %4 on validation with %5")
      .arg(QString::fromStdString(h.method))
      .arg(h.trials.size())
      .arg(QString::fromStdString(h.metric))
      .arg(h.bestScore, 0, 'g', 4)
      .arg(QString::fromStdString(h.best.dump()));
}

/// The parameters an entry's search varies, as a sentence part: "auto search over the default
/// space", "auto search over a, b", "grid search over a, b".
QString searchDescription(const nlohmann::json& search) {
  if (search.is_string()) return ExperimentView::tr("auto search over the default space");
  QStringList names;
  if (search.contains("space") && search["space"].is_object()) {
    for (auto it = search["space"].begin(); it != search["space"].end(); ++it)
      names << QString::fromStdString(it.key());
  }
  return ExperimentView::tr("%1 search over %2")
      .arg(QString::fromStdString(search.value("method", std::string("grid"))),
           names.join(QStringLiteral(", ")));
}

/// True for "search": "auto" and {"method": "auto", ...}: the searches the tuning block sets.
bool isAutoSearch(const nlohmann::json& search) {
  return (search.is_string() && search == "auto") ||
         (search.is_object() && search.value("method", std::string()) == "auto");
}

/// Which split controls a method reads; the others are hidden and left out of the spec.
struct SplitControls {
  bool ratio = true;
  bool by = true;
  bool seed = true;
};

SplitControls splitControls(const QString& method) {
  if (method == "files") return {false, false, false};
  if (method == "random" || method == "cold_items" || method == "cold_users")
    return {true, false, true};
  if (method == "chronological") return {true, true, false};
  return {};  // recommenders, stratified
}

DayCounts dayCounts(const Dataset& train, const Dataset* test, TaskContext& ctx) {
  DayCounts out;
  std::map<std::int64_t, std::pair<double, double>> days;
  std::int64_t trainEnd = kNoTimestamp;
  for (std::int64_t t : train.interactions.timestamp) {
    if (t == kNoTimestamp) continue;
    days[t / 86400].first += 1.0;
    trainEnd = std::max(trainEnd, t);
  }
  ctx.throwIfStopped();
  std::size_t older = 0, total = 0;
  if (test != nullptr) {
    for (std::int64_t t : test->interactions.timestamp) {
      if (t == kNoTimestamp) continue;
      days[t / 86400].second += 1.0;
      ++total;
      older += t < trainEnd ? 1 : 0;
    }
  }
  out.hasTime = !days.empty();
  out.testBeforeTrainEnd =
      total > 0 ? static_cast<double>(older) / static_cast<double>(total) : 0.0;
  for (const auto& [d, c] : days) {
    out.day << static_cast<double>(d * 86400);
    out.train << c.first;
    out.test << c.second;
  }
  return out;
}

/// What a cold split holds out (core's splitter on the loaded data).
struct HeldOutCount {
  std::size_t held = 0;   ///< held-out items (cold_items) or users (cold_users)
  std::size_t total = 0;  ///< items or users of the data
  std::size_t testRows = 0;
};

/// The evaluation's default candidate set for a split method (core's parseEvaluation).
QString defaultCandidates(const QString& method) {
  return method == "cold_items" ? QStringLiteral("held_out") : QStringLiteral("catalogue");
}

/// One line per part of a feature configuration: the columns of its entries, else its size.
QString featuresSummary(const nlohmann::json& features) {
  QStringList parts;
  for (auto it = features.begin(); it != features.end(); ++it) {
    QStringList columns;
    if (it->is_array()) {
      for (const auto& e : *it) {
        if (e.is_object() && e.contains("column") && e["column"].is_string())
          columns << QString::fromStdString(e["column"].get<std::string>());
      }
    }
    parts << (columns.isEmpty() ? QString::fromStdString(it.key())
                                : QStringLiteral("%1: %2").arg(QString::fromStdString(it.key()),
                                                               columns.join(QStringLiteral(", "))));
  }
  return parts.join(QStringLiteral("; "));
}
}  // namespace

ExperimentView::ExperimentView(Session* session, TaskRunner* runner, QWidget* parent)
    : QWidget(parent), session_(session), runner_(runner) {
  setObjectName("ExperimentView");
  auto* outer = new QHBoxLayout(this);
  auto* split = new QSplitter(Qt::Horizontal, this);
  outer->addWidget(split);

  // Left: the spec editor.
  auto* scroll = new QScrollArea(split);
  scroll->setWidgetResizable(true);
  auto* editor = new QWidget(scroll);
  auto* left = new QVBoxLayout(editor);
  dataLabel_ = new QLabel(tr("No dataset loaded."), editor);
  dataLabel_->setWordWrap(true);
  left->addWidget(dataLabel_);
  // A loaded spec names its data: while that is not the loaded data, say so and offer both
  // ways out; a run never uses other data than the spec names unseen.
  specDataBox_ = new QWidget(editor);
  auto* specDataLayout = new QVBoxLayout(specDataBox_);
  specDataLayout->setContentsMargins(0, 0, 0, 0);
  specDataWarning_ = new QLabel(specDataBox_);
  specDataWarning_->setObjectName("specDataWarning");
  specDataWarning_->setWordWrap(true);
  specDataWarning_->setStyleSheet(QStringLiteral("color:#b00000"));
  auto* specDataButtons = new QHBoxLayout;
  auto* loadSpecData = new QPushButton(tr("Load the spec's data"), specDataBox_);
  loadSpecData->setObjectName("loadSpecData");
  auto* useLoaded = new QPushButton(tr("Run on the loaded data instead"), specDataBox_);
  useLoaded->setObjectName("useLoadedData");
  specDataButtons->addWidget(loadSpecData);
  specDataButtons->addWidget(useLoaded);
  specDataButtons->addStretch();
  specDataLayout->addWidget(specDataWarning_);
  specDataLayout->addLayout(specDataButtons);
  specDataBox_->hide();
  left->addWidget(specDataBox_);
  specOutput_ = new QLabel(editor);
  specOutput_->setObjectName("specOutput");
  specOutput_->setWordWrap(true);
  specOutput_->setStyleSheet(QStringLiteral("color:#a05000"));
  specOutput_->hide();
  left->addWidget(specOutput_);
  connect(loadSpecData, &QPushButton::clicked, this, &ExperimentView::loadSpecData);
  connect(useLoaded, &QPushButton::clicked, this, &ExperimentView::useLoadedData);

  auto* splitBox = new QGroupBox(tr("Split"), editor);
  auto* splitForm = new QFormLayout(splitBox);
  splitMethod_ = new QComboBox(splitBox);
  splitMethod_->setObjectName("splitMethod");
  splitMethod_->addItem(tr("Stratified random (Recommenders)"), "recommenders");
  // The group (per user / per item) is the Stratify row's, shown for these methods only.
  splitMethod_->addItem(tr("Stratified random"), "stratified");
  splitMethod_->addItem(tr("Chronological (earliest to train)"), "chronological");
  splitMethod_->addItem(tr("Random rows"), "random");
  splitMethod_->addItem(tr("Cold items (new items only in test)"), "cold_items");
  splitMethod_->addItem(tr("Cold users (new users only in test)"), "cold_users");
  splitMethod_->addItem(tr("Given train / test files"), "files");
  ratio_ = new QDoubleSpinBox(splitBox);
  ratio_->setRange(0.05, 0.95);
  ratio_->setSingleStep(0.05);
  ratio_->setValue(0.75);
  splitBy_ = new QComboBox(splitBox);
  splitBy_->addItem(tr("per user"), "user");
  splitBy_->addItem(tr("per item"), "item");
  seed_ = new QSpinBox(splitBox);
  seed_->setRange(0, 1 << 30);
  seed_->setValue(42);
  threads_ = new QSpinBox(splitBox);
  threads_->setRange(0, 256);
  threads_->setSpecialValueText(tr("all"));
  splitForm_ = splitForm;
  splitForm->addRow(tr("Method"), splitMethod_);
  splitForm->addRow(tr("Train ratio"), ratio_);
  splitForm->addRow(tr("Stratify"), splitBy_);
  splitForm->addRow(tr("Seed"), seed_);
  seed_->setToolTip(tr("Seed of the models and, for the random split methods, of the split"));
  splitForm->addRow(tr("Threads"), threads_);
  candidates_ = new QComboBox(splitBox);
  candidates_->setObjectName("candidates");
  candidates_->addItem(tr("Whole catalogue"), "catalogue");
  candidates_->addItem(tr("Held-out items (no training rows)"), "held_out");
  candidates_->addItem(tr("Items listed in a file..."), "file");
  candidates_->setToolTip(
      tr("The items each test user's list is ranked over (minus the user's training items). "
         "Cold items: rank the held-out items, or warm items fill every list."));
  splitForm->addRow(tr("Candidates"), candidates_);
  coldHistory_ = new QSpinBox(splitBox);
  coldHistory_->setObjectName("coldUserHistory");
  coldHistory_->setRange(0, 1000000);
  coldHistory_->setSpecialValueText(tr("attributes only"));
  coldHistory_->setSuffix(tr(" first events"));
  coldHistory_->setToolTip(
      tr("Each new user's first n events (by time) are given to the model "
         "as history and removed from the truth"));
  splitForm->addRow(tr("New users' history"), coldHistory_);
  heldOut_ = new QLabel(splitBox);
  heldOut_->setObjectName("heldOut");
  heldOut_->setWordWrap(true);
  splitForm->addRow(heldOut_);
  timeline_ = new ChartView(tr("Split timeline"), splitBox);
  timeline_->setMinimumHeight(180);
  splitForm->addRow(timeline_);
  warning_ = new QLabel(splitBox);
  warning_->setObjectName("leakageWarning");
  warning_->setWordWrap(true);
  warning_->setStyleSheet(QStringLiteral("color:#a05000"));
  splitForm->addRow(warning_);
  left->addWidget(splitBox);
  featuresNote_ = new QLabel(editor);
  featuresNote_->setObjectName("featuresNote");
  featuresNote_->setWordWrap(true);
  featuresNote_->hide();
  left->addWidget(featuresNote_);

  auto* modelBox = new QGroupBox(tr("Models"), editor);
  auto* modelLayout = new QVBoxLayout(modelBox);
  auto* addRow = new QHBoxLayout;
  modelChoice_ = new QComboBox(modelBox);
  for (const ModelInfo& m : modelRegistry()) {
    modelChoice_->addItem(QStringLiteral("%1 (%2)").arg(QString::fromStdString(m.displayName),
                                                        QString::fromStdString(m.family)),
                          QString::fromStdString(m.name));
    modelChoice_->setItemData(modelChoice_->count() - 1, QString::fromStdString(m.description),
                              Qt::ToolTipRole);
  }
  auto* add = new QPushButton(tr("Add"), modelBox);
  auto* remove = new QPushButton(tr("Remove"), modelBox);
  addRow->addWidget(modelChoice_, 1);
  addRow->addWidget(add);
  addRow->addWidget(remove);
  modelLayout->addLayout(addRow);
  models_ = new QListWidget(modelBox);
  models_->setObjectName("models");
  models_->setMaximumHeight(110);
  modelLayout->addWidget(models_);
  modelMessage_ = new QLabel(modelBox);
  modelMessage_->setObjectName("modelMessage");
  modelMessage_->setWordWrap(true);
  modelMessage_->setStyleSheet(QStringLiteral("color:#a05000"));
  modelMessage_->hide();
  modelLayout->addWidget(modelMessage_);
  modelInfo_ = new QLabel(modelBox);
  modelInfo_->setWordWrap(true);
  modelLayout->addWidget(modelInfo_);
  form_ = new ParamForm(modelBox);
  modelLayout->addWidget(form_);
  search_ = new SearchForm(modelBox);
  modelLayout->addWidget(search_);
  left->addWidget(modelBox);

  // The tuning block of the spec: shared by every auto search (default or custom space).
  tuningBox_ = new QGroupBox(tr("Tuning (auto and custom searches)"), editor);
  tuningBox_->setObjectName("tuning");
  auto* tuningForm = new QFormLayout(tuningBox_);
  budget_ = new QDoubleSpinBox(tuningBox_);
  budget_->setObjectName("tuningBudget");
  budget_->setRange(1, 1e7);
  budget_->setDecimals(0);
  budget_->setValue(TuningSpec{}.budgetSeconds);
  budget_->setSuffix(tr(" s"));
  budget_->setToolTip(
      tr("Wall-clock seconds of all the auto-searched runs together: their searches and the "
         "final fits of the chosen settings"));
  trials_ = new QSpinBox(tuningBox_);
  trials_->setObjectName("tuningTrials");
  trials_->setRange(0, 100000);
  trials_->setSpecialValueText(tr("no cap (the budget decides)"));
  trials_->setToolTip(
      tr("At most this many configurations per search; with a cap the budget "
         "does not reach, the search is fully reproducible"));
  validRatio_ = new QDoubleSpinBox(tuningBox_);
  validRatio_->setObjectName("tuningValidationRatio");
  validRatio_->setRange(0.05, 0.95);
  validRatio_->setSingleStep(0.05);
  validRatio_->setValue(TuningSpec{}.validationRatio);
  validRatio_->setToolTip(
      tr("Share of each user's training rows kept for fitting candidates; "
         "the rest is the validation the search selects on"));
  validSeed_ = new QSpinBox(tuningBox_);
  validSeed_->setObjectName("tuningValidationSeed");
  validSeed_->setRange(0, 1 << 30);
  validSeed_->setValue(static_cast<int>(TuningSpec{}.seed));
  tuningForm->addRow(tr("Budget"), budget_);
  tuningForm->addRow(tr("Trial cap"), trials_);
  tuningForm->addRow(tr("Validation: fit share"), validRatio_);
  tuningForm->addRow(tr("Validation seed"), validSeed_);
  tuningNote_ = new QLabel(tuningBox_);
  tuningNote_->setObjectName("tuningNote");
  tuningNote_->setWordWrap(true);
  tuningForm->addRow(tuningNote_);
  left->addWidget(tuningBox_);

  auto* metricBox = new QGroupBox(tr("Metrics"), editor);
  auto* metricForm = new QFormLayout(metricBox);
  metrics_ = new QListWidget(metricBox);
  metrics_->setMaximumHeight(118);
  for (const QString& m : metricChoices()) {
    auto* item = new QListWidgetItem(m, metrics_);
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(m == "map_at_k" || m == "hit_rate" ? Qt::Unchecked : Qt::Checked);
  }
  k_ = new QSpinBox(metricBox);
  k_->setRange(1, 1000);
  k_->setValue(10);
  primary_ = new QComboBox(metricBox);
  primary_->addItems(metricChoices());
  primary_->setCurrentText("ndcg");
  metricForm->addRow(tr("Compute"), metrics_);
  metricForm->addRow(tr("k"), k_);
  metricForm->addRow(tr("Primary"), primary_);
  left->addWidget(metricBox);

  auto* buttons = new QHBoxLayout;
  run_ = new QPushButton(tr("Run experiment"), editor);
  run_->setObjectName("run");
  run_->setDefault(true);
  auto* save = new QPushButton(tr("Save spec..."), editor);
  auto* load = new QPushButton(tr("Load spec..."), editor);
  buttons->addWidget(run_);
  buttons->addWidget(save);
  buttons->addWidget(load);
  left->addLayout(buttons);
  left->addStretch();
  scroll->setWidget(editor);
  // The editor scrolls vertically only: the splitter never squeezes it below its own width,
  // which would clip its buttons ("Load spec...") behind a horizontal scroll bar.
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  editor_ = editor;
  editorScroll_ = scroll;
  editor->installEventFilter(this);
  fitEditorWidth();
  split->addWidget(scroll);

  // Right: the run queue and learning curves.
  auto* right = new QSplitter(Qt::Vertical, split);
  queue_ = new QTableWidget(0, kColCount, right);
  queue_->setObjectName("queue");
  queue_->setHorizontalHeaderLabels(
      {tr("Run"), tr("Model"), tr("Status"), tr("Progress"), tr("Stage"), tr("ETA"), QString()});
  queue_->horizontalHeader()->setSectionResizeMode(kColStage, QHeaderView::Stretch);
  queue_->verticalHeader()->hide();
  queue_->setSelectionBehavior(QAbstractItemView::SelectRows);
  queue_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  curves_ = new ChartView(tr("Learning curves"), right);
  right->addWidget(queue_);
  right->addWidget(curves_);
  split->addWidget(right);
  split->setStretchFactor(0, 2);
  split->setStretchFactor(1, 3);
  split->setSizes({520, 780});
  split->setCollapsible(0, false);

  add->setObjectName("addModel");
  connect(add, &QPushButton::clicked, this, &ExperimentView::addPickedModel);
  connect(modelChoice_, &QComboBox::currentIndexChanged, modelMessage_, &QLabel::hide);
  connect(remove, &QPushButton::clicked, this, [this] {
    const int row = models_->currentRow();
    if (row < 0) return;
    formRow_ = -1;
    entries_.erase(entries_.begin() + row);
    delete models_->takeItem(row);
    selectModel(models_->currentRow());
  });
  connect(models_, &QListWidget::currentRowChanged, this, [this](int row) {
    storeForm();
    selectModel(row);
  });
  connect(form_, &ParamForm::changed, this, &ExperimentView::storeForm);
  connect(search_, &SearchForm::changed, this, [this] {
    storeForm();
    if (formRow_ >= 0 && formRow_ < models_->count()) {
      models_->item(formRow_)->setText(entryLabel(entries_[static_cast<std::size_t>(formRow_)]));
    }
    refreshTuning();
  });
  connect(splitMethod_, &QComboBox::currentIndexChanged, this, [this] {
    // A setting of another method never carries over unseen: a method starts per user.
    if (!loadingSpec_) {
      splitBy_->setCurrentIndex(0);
      // The candidate set and history start at the method's defaults, as in a spec.
      setCandidates(defaultCandidates(splitMethod_->currentData().toString()));
      coldHistory_->setValue(0);
    }
    refreshTimeline();
  });
  connect(ratio_, &QDoubleSpinBox::valueChanged, this, &ExperimentView::refreshHeldOut);
  connect(seed_, &QSpinBox::valueChanged, this, &ExperimentView::refreshHeldOut);
  connect(candidates_, &QComboBox::activated, this, [this] {
    if (candidates_->currentData().toString() != "file") return;
    const QString file = QFileDialog::getOpenFileName(
        this, tr("Candidate items (one item id per line)"), QFileInfo(candidatesFile_).path());
    if (!file.isEmpty()) {
      setCandidates(QStringLiteral("file"), file);
    } else if (candidatesFile_.isEmpty()) {
      setCandidates(defaultCandidates(splitMethod_->currentData().toString()));
    }
  });
  connect(run_, &QPushButton::clicked, this, &ExperimentView::runAll);
  connect(save, &QPushButton::clicked, this, &ExperimentView::saveSpecInteractive);
  connect(load, &QPushButton::clicked, this, &ExperimentView::loadSpecInteractive);
  connect(queue_, &QTableWidget::currentCellChanged, this, [this](int row) {
    if (row >= 0 && queue_->item(row, kColRun))
      showCurves(queue_->item(row, kColRun)->data(Qt::UserRole).toInt());
  });
  connect(session_, &Session::datasetChanged, this, &ExperimentView::onDataChanged);
  connect(session_, &Session::testSetChanged, this, &ExperimentView::onDataChanged);
  connect(session_, &Session::runRemoved, this, [this](int runId) {
    if (const int row = queueRow(runId); row >= 0) queue_->removeRow(row);
    if (curvesRun_ == runId) {
      curvesRun_ = 0;
      curves_->reset();
      curves_->replot();
    }
  });
  connect(session_, &Session::runsCleared, this, [this] {
    queue_->setRowCount(0);
    curves_->reset();
    curves_->replot();
  });
  connect(runner_, &TaskRunner::taskProgress, this,
          [this](int task, double f, const QString& stage) {
            auto it = taskToRun_.find(task);
            if (it == taskToRun_.end()) return;
            if (SessionRun* r = session_->run(it->second)) {
              if (r->state == RunState::kQueued) r->state = RunState::kRunning;
            }
            const int row = queueRow(it->second);
            if (row < 0) return;
            if (auto* bar = qobject_cast<QProgressBar*>(queue_->cellWidget(row, kColProgress))) {
              bar->setValue(static_cast<int>(f * 100));
            }
            queue_->item(row, kColStage)->setText(stage);
            queue_->item(row, kColStatus)->setText(tr("running"));
            const TaskInfo* info = runner_->info(task);
            const double eta = info ? info->etaSeconds() : -1.0;
            queue_->item(row, kColEta)
                ->setText(eta >= 0 ? tr("%1 s").arg(eta, 0, 'f', eta < 10 ? 1 : 0) : QString());
          });
  connect(runner_, &TaskRunner::taskEpoch, this,
          [this](int task, int epoch, const QStringList& names, const QList<double>& values) {
            auto it = taskToRun_.find(task);
            if (it == taskToRun_.end()) return;
            SessionRun* r = session_->run(it->second);
            if (r == nullptr) return;
            EpochMetrics m;
            for (int i = 0; i < names.size() && i < values.size(); ++i)
              m.emplace_back(names[i].toStdString(), values[i]);
            // A search fits many candidates one after another: an epoch that does not follow
            // the last one starts another fit, whose curve replaces the previous one.
            if (!r->record.learningCurve.empty() && epoch <= r->record.learningCurve.back().first)
              r->record.learningCurve.clear();
            r->record.learningCurve.emplace_back(epoch, std::move(m));
            if (curvesRun_ == r->id || curvesRun_ == 0) showCurves(r->id);
          });
  connect(runner_, &TaskRunner::taskFinished, this,
          [this](int task, TaskStatus status, const QString& msg) {
            auto it = taskToRun_.find(task);
            if (it == taskToRun_.end()) return;
            const int runId = it->second;
            taskToRun_.erase(it);
            runToTask_.erase(runId);
            if (SessionRun* r = session_->run(runId)) {
              if (status == TaskStatus::kCancelled) {
                r->state = RunState::kCancelled;
                r->record.status = RunStatus::kCancelled;
              }
              if (status == TaskStatus::kFailed) {
                r->state = RunState::kFailed;
                r->record.status = RunStatus::kFailed;
                r->record.error = msg.toStdString();
              }
              session_->notifyRunChanged(runId);
            }
            updateRow(runId);
            emit runFinished(runId);
          });
  onDataChanged();
  refreshTimeline();
}

void ExperimentView::onDataChanged() {
  auto data = session_->dataset();
  if (!data) {
    dataLabel_->setText(tr("No dataset loaded."));
  } else {
    QString t = tr("<b>Data</b>: %1 (%L2 interactions)")
                    .arg(session_->datasetPath().toHtmlEscaped())
                    .arg(data->numInteractions());
    if (session_->testSet()) {
      t += tr("<br><b>Test file</b>: %1 (%L2 interactions)")
               .arg(session_->testPath().toHtmlEscaped())
               .arg(session_->testSet()->numInteractions());
    }
    dataLabel_->setText(t);
  }
  const bool hasTest = session_->testSet() != nullptr;
  if (hasTest) setSplitMethod("files");
  refreshSpecData();
  refreshTimeline();
}

namespace {
/// A dataset entry as compared: canonical path, and the options as core/data reads them
/// (canonical words, defaults left out), so that two spellings of one setting compare equal.
nlohmann::json normalSource(const nlohmann::json& src) {
  nlohmann::json out = DataController::canonicalSource(src);
  const QString path = QString::fromStdString(src.value("path", std::string()));
  const QString canonical = QFileInfo(path).canonicalFilePath();
  out["path"] =
      (canonical.isEmpty() ? QFileInfo(path).absoluteFilePath() : canonical).toStdString();
  return out;
}

QString samePathKey(const QString& path) {
  const QString canonical = QFileInfo(path).canonicalFilePath();
  return canonical.isEmpty() ? QFileInfo(path).absoluteFilePath() : canonical;
}
}  // namespace

QString ExperimentView::specDataWarning() const {
  if (specData_.is_null()) return {};
  const nlohmann::json& named = specData_["dataset"];
  const QString namedPath = QString::fromStdString(named.value("path", std::string()));
  const QString namedTest = QString::fromStdString(specData_.value("test", std::string()));
  const QString ways =
      tr(" Load the spec's data, or run on the loaded data instead (the spec then names it).");
  if (!session_->dataset()) {
    return tr("The spec names the data %1, which is not loaded.").arg(namedPath) + ways;
  }
  const nlohmann::json& loaded = session_->sourceSpec();
  if (!loaded.contains("path")) {
    return tr("The spec names the data %1, but the loaded data (%2) was not read from a file: a "
              "run would use the loaded data.")
               .arg(namedPath, QString::fromStdString(session_->dataset()->name)) +
           ways;
  }
  const nlohmann::json a = normalSource(named), b = normalSource(loaded);
  if (a["path"] != b["path"]) {
    return tr("The spec names the data %1, but the loaded data is %2: a run would use the "
              "loaded data.")
               .arg(namedPath, session_->datasetPath()) +
           ways;
  }
  if (a != b) {
    return tr("The spec reads %1 with other settings (format, columns, options: %2) than the "
              "loaded data was read with (%3): a run would use the loaded rows.")
               .arg(namedPath, QString::fromStdString(named.dump()),
                    QString::fromStdString(loaded.dump())) +
           ways;
  }
  if (!namedTest.isEmpty() && samePathKey(namedTest) != samePathKey(session_->testPath())) {
    return tr("The spec's test file is %1, but %2: a run would use the loaded test set.")
               .arg(namedTest, session_->testPath().isEmpty()
                                   ? tr("no test file is loaded")
                                   : tr("the loaded test file is %1").arg(session_->testPath())) +
           ways;
  }
  return {};
}

void ExperimentView::refreshSpecData() {
  const QString warning = specDataWarning();
  if (!specData_.is_null() && warning.isEmpty()) {
    // The spec's data is the loaded data: from here on the editor follows the loaded data.
    specData_ = nullptr;
  }
  specDataWarning_->setText(warning);
  specDataBox_->setVisible(!warning.isEmpty());
}

void ExperimentView::useLoadedData() {
  if (specData_.is_null()) return;
  emit logMessage(
      tr("The spec's data %1 is replaced by the loaded data %2.")
          .arg(QString::fromStdString(specData_["dataset"].value("path", std::string())),
               session_->datasetPath()));
  specData_ = nullptr;
  refreshSpecData();
}

void ExperimentView::loadSpecData() {
  if (specData_.is_null()) return;
  emit loadDataRequested(specData_["dataset"],
                         QString::fromStdString(specData_.value("test", std::string())));
}

QString ExperimentView::specOutputNote() const {
  return specOutput_->isHidden() ? QString() : specOutput_->text();
}

void ExperimentView::setSplitMethod(const QString& method) {
  const int i = splitMethod_->findData(method);
  if (i >= 0) splitMethod_->setCurrentIndex(i);
}

void ExperimentView::setCandidates(const QString& kind, const QString& file) {
  if (!file.isEmpty()) candidatesFile_ = file;
  const int fileRow = candidates_->findData(QStringLiteral("file"));
  candidates_->setItemText(fileRow,
                           candidatesFile_.isEmpty()
                               ? tr("Items listed in a file...")
                               : tr("Items in %1").arg(QFileInfo(candidatesFile_).fileName()));
  candidates_->setItemData(fileRow, candidatesFile_, Qt::ToolTipRole);
  const int i = candidates_->findData(kind);
  if (i >= 0) candidates_->setCurrentIndex(i);
}

QString ExperimentView::candidates() const { return candidates_->currentData().toString(); }

QString ExperimentView::heldOutText() const { return heldOut_->text(); }

QString ExperimentView::featuresNote() const {
  return featuresNote_->isHidden() ? QString() : featuresNote_->text();
}

void ExperimentView::refreshHeldOut() {
  const QString method = splitMethod_->currentData().toString();
  const bool cold = method == "cold_items" || method == "cold_users";
  splitForm_->setRowVisible(heldOut_, cold);
  heldOut_->clear();
  const int request = ++heldOutGen_;
  auto data = session_->dataset();
  if (!cold || !data) return;
  const bool users = method == "cold_users";
  SplitOptions options;
  try {
    options = splitOptionsFromJson(spec()["split"]);
  } catch (const std::exception& e) {
    heldOut_->setText(QString::fromUtf8(e.what()));
    return;
  }
  heldOut_->setText(users ? tr("Counting the held-out users...")
                          : tr("Counting the held-out items..."));
  // Core's splitter, as a run splits (off the GUI thread: it touches every row).
  runner_->start<HeldOutCount>(
      tr("Held-out count"),
      [data, options, users](TaskContext& ctx) {
        const SplitDatasets parts = materializeSplit(*data, splitDataset(*data, options, ctx));
        HeldOutCount c;
        c.held = users ? usersWithInteractions(parts.test).size()
                       : heldOutItems(parts.train, parts.test).size();
        c.total = users ? data->numUsers() : data->numItems();
        c.testRows = parts.test.numInteractions();
        return c;
      },
      this,
      [this, request, data, users](HeldOutCount c) {
        if (request != heldOutGen_ || data != session_->dataset()) return;
        heldOut_->setText(
            (users ? tr("Held out: %L1 of %L2 users (%L3 test interactions); they are scored as "
                        "new users.")
                   : tr("Held out: %L1 of %L2 items (%L3 test interactions); with held-out "
                        "candidates each test user ranks these items."))
                .arg(c.held)
                .arg(c.total)
                .arg(c.testRows));
      },
      [this, request](const QString& error) {
        if (request == heldOutGen_) heldOut_->setText(error);
      });
}

QString ExperimentView::leakageWarning() const { return warning_->text(); }

void ExperimentView::refreshTimeline() {
  const bool files = splitMethod_->currentData().toString() == "files";
  const SplitControls used = splitControls(splitMethod_->currentData().toString());
  splitForm_->setRowVisible(ratio_, used.ratio);
  splitForm_->setRowVisible(splitBy_, used.by);
  splitForm_->setRowVisible(coldHistory_, splitMethod_->currentData().toString() == "cold_users");
  refreshHeldOut();
  timeline_->reset();
  warning_->clear();
  auto data = session_->dataset();
  if (!data) {
    timeline_->setMessage(tr("no dataset"));
    return;
  }
  auto test = files ? session_->testSet() : nullptr;
  if (files && !test) {
    warning_->setText(tr("No test file loaded: use File > Open Test Set..."));
  }
  runner_->start<DayCounts>(
      tr("Split timeline"),
      [data, test](TaskContext& ctx) { return dayCounts(*data, test.get(), ctx); }, this,
      [this, data, test, files](DayCounts c) {
        if (data != session_->dataset()) return;
        timeline_->reset();
        if (!c.hasTime) {
          timeline_->setMessage(tr("no timestamps: the split cannot leak the future"));
          return;
        }
        auto* tr1 = timeline_->addGraph();
        tr1->setName(files ? tr("train") : tr("all interactions (train and test interleave)"));
        tr1->setData(c.day, c.train, true);
        tr1->setPen(QPen(QColor(31, 119, 180), 1.2));
        tr1->setBrush(QColor(31, 119, 180, 60));
        if (files && test) {
          auto* te = timeline_->addGraph();
          te->setName(tr("test"));
          te->setData(c.day, c.test, true);
          te->setPen(QPen(QColor(255, 127, 14), 1.2));
          te->setBrush(QColor(255, 127, 14, 60));
        }
        auto ticker = QSharedPointer<QCPAxisTickerDateTime>(new QCPAxisTickerDateTime);
        ticker->setDateTimeFormat(QStringLiteral("yyyy-MM"));
        ticker->setDateTimeSpec(Qt::UTC);
        ticker->setTickCount(4);
        timeline_->xAxis->setTicker(ticker);
        timeline_->xAxis->setLabel(tr("day"));
        timeline_->yAxis->setLabel(tr("interactions"));
        timeline_->fit();
        // Headroom above the busiest day, so the legend (top right) never covers the curve.
        timeline_->yAxis->setRange(0, timeline_->yAxis->range().upper * 1.45);
        timeline_->replot();
        const QString method = splitMethod_->currentData().toString();
        if (!files && method != "chronological") {
          warning_->setText(
              tr("Leakage warning: a random split of time-stamped data trains on "
                 "interactions that happen after test interactions (the model sees "
                 "the future). Fine for comparing with published benchmarks; for an "
                 "estimate of production accuracy prefer a temporal split."));
        } else if (test && c.testBeforeTrainEnd > 0.05) {
          warning_->setText(tr("Leakage warning: %1% of the test interactions are older than the "
                               "newest training interaction, so train and test overlap in time "
                               "(a random split on time-ordered data).")
                                .arg(c.testBeforeTrainEnd * 100.0, 0, 'f', 1));
        }
      });
}

bool ExperimentView::addModel(const QString& name) {
  const ModelInfo* info = findModel(name.toStdString());
  if (info == nullptr) return false;
  storeForm();
  nlohmann::json entry{{"name", info->name}, {"params", info->schema.resolve(Params::object())}};
  entries_.push_back(entry);
  models_->addItem(entryLabel(entry));
  models_->setCurrentRow(models_->count() - 1);
  return true;
}

void ExperimentView::fitEditorWidth() {
  editorScroll_->setMinimumWidth(editor_->minimumSizeHint().width() +
                                 editorScroll_->verticalScrollBar()->sizeHint().width() +
                                 2 * editorScroll_->frameWidth());
}

bool ExperimentView::eventFilter(QObject* watched, QEvent* event) {
  // A parameter form or a warning line changes the editor's minimum width.
  if (watched == editor_ && event->type() == QEvent::LayoutRequest) fitEditorWidth();
  return QWidget::eventFilter(watched, event);
}

bool ExperimentView::addPickedModel() {
  const QString name = modelChoice_->currentData().toString();
  const ModelInfo* info = findModel(name.toStdString());
  if (info == nullptr) return false;
  storeForm();
  const Params defaults = info->schema.resolve(Params::object());
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const nlohmann::json& e = entries_[i];
    if (e["name"] == info->name && e["params"] == defaults && !e.contains("search")) {
      modelMessage_->setText(
          tr("%1 is already in the list (entry %2) with its default parameters: not added "
             "again. Select that entry to change its parameters, then Add to run another "
             "configuration.")
              .arg(QString::fromStdString(info->displayName))
              .arg(i + 1));
      modelMessage_->show();
      models_->setCurrentRow(static_cast<int>(i));
      return false;
    }
  }
  modelMessage_->hide();
  return addModel(name);
}

QString ExperimentView::modelMessage() const {
  return modelMessage_->isHidden() ? QString() : modelMessage_->text();
}

QString ExperimentView::entryLabel(const nlohmann::json& entry) {
  const ModelInfo* info = findModel(entry["name"].get<std::string>());
  QString label =
      entry.contains("run_name")
          ? QString::fromStdString(entry["run_name"].get<std::string>())
          : QString::fromStdString(info ? info->displayName : entry["name"].get<std::string>());
  if (entry.contains("search")) label += tr(" (search)");
  return label;
}

int ExperimentView::modelCount() const { return static_cast<int>(entries_.size()); }

void ExperimentView::selectModel(int row) {
  formRow_ = row;
  if (row < 0 || row >= static_cast<int>(entries_.size())) {
    form_->setSchema(ParamSchema{}, Params::object());
    search_->setModel(nullptr, nullptr);
    refreshTuning();
    modelInfo_->clear();
    formRow_ = -1;
    return;
  }
  const ModelInfo* info =
      findModel(entries_[static_cast<std::size_t>(row)]["name"].get<std::string>());
  if (info == nullptr) return;
  const nlohmann::json& entry = entries_[static_cast<std::size_t>(row)];
  QString text = QStringLiteral("<b>%1</b>: %2")
                     .arg(QString::fromStdString(info->displayName),
                          QString::fromStdString(info->description).toHtmlEscaped());
  modelInfo_->setText(text);
  form_->setSchema(info->schema, entries_[static_cast<std::size_t>(row)]["params"]);
  search_->setModel(info, entry.contains("search") ? entry["search"] : nlohmann::json());
  refreshTuning();
}

void ExperimentView::selectEntry(int row) { models_->setCurrentRow(row); }

bool ExperimentView::hasAutoSearch() const {
  return std::any_of(entries_.begin(), entries_.end(), [](const nlohmann::json& e) {
    return e.contains("search") && isAutoSearch(e["search"]);
  });
}

void ExperimentView::refreshTuning() {
  int autos = 0;
  for (const auto& e : entries_) autos += e.contains("search") && isAutoSearch(e["search"]);
  tuningNote_->setText(
      autos == 0 ? tr("No model has an auto search: the block is written only when it differs "
                      "from the defaults (`recwb run --tune` reads it).")
      : autos == 1
          ? tr("One auto search: it gets the whole budget, its final fit included.")
          : tr("%1 auto searches: each run gets an equal share of the budget, its final fit "
               "included (the CLI passes time one search leaves unused to the next).")
                .arg(autos));
}

void ExperimentView::storeForm() {
  if (formRow_ >= 0 && formRow_ < static_cast<int>(entries_.size())) {
    nlohmann::json& entry = entries_[static_cast<std::size_t>(formRow_)];
    entry["params"] = form_->values();
    const nlohmann::json search = search_->search();
    if (search.is_null()) {
      entry.erase("search");
    } else {
      entry["search"] = search;
    }
  }
}

nlohmann::json ExperimentView::spec() const {
  const_cast<ExperimentView*>(this)->storeForm();
  auto data = session_->dataset();
  nlohmann::json doc;
  doc["version"] = 1;
  doc["name"] = data ? data->name : std::string("experiment");
  // While the loaded spec's data is not the loaded data, the spec still names its own data
  // (saving it never swaps the data silently; runAll() refuses to run it).
  const bool pending = !specData_.is_null();
  doc["dataset"] = pending ? specData_["dataset"] : session_->sourceSpec();
  nlohmann::json split;
  const std::string method = splitMethod_->currentData().toString().toStdString();
  // Given files are written as core/experiment reads them: {"train", "test"}, no method.
  if (method != "files") split["method"] = method;
  if (method == "files") {
    split["train"] = pending ? specData_["dataset"].value("path", std::string())
                             : session_->datasetPath().toStdString();
    split["test"] =
        pending ? specData_.value("test", std::string()) : session_->testPath().toStdString();
  } else {
    // Only the options the visible method shows: a hidden control never reaches the split.
    const SplitControls used = splitControls(QString::fromStdString(method));
    if (used.ratio) split["ratio"] = ratio_->value();
    if (used.by) split["by"] = splitBy_->currentData().toString().toStdString();
    if (used.seed) split["seed"] = seed_->value();
  }
  doc["split"] = split;
  // The evaluation block when it is not the method's default of ranking the catalogue.
  nlohmann::json evaluation;
  const QString cand = candidates_->currentData().toString();
  if (cand == "file") {
    evaluation["candidates"] = {{"file", candidatesFile_.toStdString()}};
  } else if (cand != "catalogue" || method == "cold_items") {
    evaluation["candidates"] = cand.toStdString();
  }
  if (method == "cold_users" && coldHistory_->value() > 0) {
    evaluation["cold_user_history"] = coldHistory_->value();
  }
  if (!evaluation.is_null()) doc["evaluation"] = evaluation;
  if (!features_.is_null()) doc["features"] = features_;
  doc["models"] = nlohmann::json::array();
  for (const auto& e : entries_) doc["models"].push_back(e);
  nlohmann::json names = nlohmann::json::array();
  for (int i = 0; i < metrics_->count(); ++i) {
    if (metrics_->item(i)->checkState() == Qt::Checked)
      names.push_back(metrics_->item(i)->text().toStdString());
  }
  doc["metrics"] = {
      {"k", k_->value()}, {"names", names}, {"primary", primary_->currentText().toStdString()}};
  // The tuning block: for the auto searches, and kept without one when it is not the default
  // (`recwb run --tune` takes its validation and trial cap).
  const TuningSpec defaults;
  const bool defaultTuning = budget_->value() == defaults.budgetSeconds &&
                             trials_->value() == defaults.trials &&
                             std::abs(validRatio_->value() - defaults.validationRatio) < 1e-9 &&
                             static_cast<std::uint64_t>(validSeed_->value()) == defaults.seed;
  if (hasAutoSearch() || !defaultTuning) {
    // Whole seconds are written as integers, as one writes them by hand.
    const double b = budget_->value();
    nlohmann::json tuning{
        {"budget_seconds",
         b == std::round(b) ? nlohmann::json(std::llround(b)) : nlohmann::json(b)},
        {"validation", {{"ratio", validRatio_->value()}, {"seed", validSeed_->value()}}}};
    if (trials_->value() > 0) tuning["trials"] = trials_->value();
    doc["tuning"] = tuning;
  }
  doc["seeds"] = nlohmann::json::array({seed_->value()});
  doc["threads"] = threads_->value();
  if (!specOutputs_.is_null()) doc["output"] = specOutputs_;
  return doc;
}

QString ExperimentView::setSpec(const nlohmann::json& doc, const QString& baseDir) {
  try {
    if (!doc.is_object()) throw SpecError("$", "a spec is a JSON object");
    // The engine's own parser validates the document (as `recwb run` would). The editor's
    // documents may leave out the dataset (the session's data is used), the split and the
    // models: placeholders stand in for those during validation only.
    nlohmann::json check = doc;
    if (!check.contains("version")) check["version"] = kSpecVersion;
    if (!check.contains("split")) check["split"] = {{"method", "recommenders"}};
    if (!check.contains("dataset")) check["dataset"] = nlohmann::json::object();
    if (check["dataset"].is_object() && !check["dataset"].contains("path")) {
      check["dataset"]["path"] = ".";
    }
    const bool noModels =
        !check.contains("models") || (check["models"].is_array() && check["models"].empty());
    if (noModels) {
      check["models"] = nlohmann::json::array({{{"name", modelRegistry().front().name}}});
    }
    const ExperimentSpec parsed =
        parseExperimentSpec(check, baseDir.isEmpty() ? std::string(".") : baseDir.toStdString());

    // Everything the spec asks for must be shown by the editor, or the spec is refused: a
    // setting the view does not show would be dropped (or applied) unseen.
    const auto notShown = [](const std::string& path, const std::string& what) {
      return SpecError(path, what +
                                 " is not shown by the Experiment view; run this spec with "
                                 "`recwb run` instead");
    };
    if (!parsed.prep.empty()) throw notShown("$.prep", "a preparation step");
    if (!parsed.tuning.metric.empty()) throw notShown("$.tuning.metric", "a tuning metric");
    if (parsed.tuning.budgetSeconds != std::round(parsed.tuning.budgetSeconds) ||
        std::abs(std::round(parsed.tuning.validationRatio * 100.0) / 100.0 -
                 parsed.tuning.validationRatio) > 1e-12 ||
        parsed.tuning.validationRatio < validRatio_->minimum() ||
        parsed.tuning.validationRatio > validRatio_->maximum() ||
        parsed.tuning.seed > static_cast<std::uint64_t>(validSeed_->maximum())) {
      throw notShown("$.tuning",
                     "a budget that is not whole seconds, a validation ratio outside 0.05 .. "
                     "0.95 or with more than two decimals, or a seed above " +
                         std::to_string(validSeed_->maximum()));
    }
    if (parsed.seeds.size() > 1) throw notShown("$.seeds", "more than one seed");
    const QString method = QString::fromStdString(parsed.split.method);
    if (doc.contains("split") && splitControls(method).ratio &&
        (std::abs(std::round(parsed.split.ratio * 100.0) / 100.0 - parsed.split.ratio) > 1e-12 ||
         parsed.split.ratio < ratio_->minimum() || parsed.split.ratio > ratio_->maximum())) {
      throw notShown("$.split.ratio",
                     "a train ratio outside 0.05 .. 0.95 or with more than two "
                     "decimals");
    }
    for (std::uint64_t seed : {parsed.split.seed, parsed.seeds.front()}) {
      if (seed > static_cast<std::uint64_t>(seed_->maximum())) {
        throw notShown(doc.contains("seeds") || doc.contains("seed") ? "$.seeds" : "$.split.seed",
                       "a seed above " + std::to_string(seed_->maximum()));
      }
    }
    if (doc.contains("split") && splitControls(method).seed &&
        parsed.split.seed != parsed.seeds.front()) {
      // One Seed control serves the split and the models.
      throw notShown(doc.contains("seeds") ? "$.seeds" : "$.seed",
                     "a model seed different from the split seed");
    }
    if (doc.contains("split")) {
      if (splitMethod_->findData(method) < 0) {
        throw notShown("$.split.method", "the split method '" + parsed.split.method + "'");
      }
      for (auto it = doc["split"].begin(); it != doc["split"].end(); ++it) {
        static const std::set<std::string> shown{"method", "ratio", "by", "seed", "train", "test"};
        if (!shown.count(it.key())) throw notShown("$.split." + it.key(), "the split option");
      }
    }
    std::vector<nlohmann::json> entries;
    if (!noModels) {
      for (std::size_t i = 0; i < parsed.models.size(); ++i) {
        const ModelSpec& m = parsed.models[i];
        const nlohmann::json& given = doc["models"][i];
        // run_name and search are kept as written, so that the run is labelled by its name
        // and the runner performs the search (core/experiment search.h).
        nlohmann::json entry{{"name", m.name}, {"params", m.params}};
        if (given.contains("run_name")) entry["run_name"] = m.runName;
        if (given.contains("search")) entry["search"] = given["search"];
        entries.push_back(std::move(entry));
      }
    }

    // The data the spec names, as `recwb run` would read it (paths resolved); a spec that
    // names none runs on the loaded data.
    nlohmann::json named;
    if (doc.contains("dataset") && doc["dataset"].is_object() && doc["dataset"].contains("path")) {
      // Canonical words and resolved paths (attribute files too), as datasetSourceToJson
      // writes them: the entry a spec saved from here carries.
      DatasetSource source = parsed.dataset;
      if (parsed.split.method == "files") source.path = parsed.split.trainPath;
      named["dataset"] = datasetSourceToJson(source);
      if (parsed.split.method == "files") {
        named["test"] = parsed.split.testPath;
      }
    }

    loadingSpec_ = true;
    if (doc.contains("split")) {
      setSplitMethod(method);
      ratio_->setValue(parsed.split.ratio);
      splitBy_->setCurrentIndex(
          std::max(0, splitBy_->findData(QString::fromStdString(parsed.split.by))));
      if (doc["split"].contains("seed")) seed_->setValue(static_cast<int>(parsed.split.seed));
    }
    setCandidates(QString::fromStdString(parsed.evaluation.candidates),
                  QString::fromStdString(parsed.evaluation.candidatesFile));
    coldHistory_->setValue(static_cast<int>(parsed.evaluation.coldUserHistory));
    loadingSpec_ = false;
    if (doc.contains("seed") || doc.contains("seeds")) {
      seed_->setValue(static_cast<int>(parsed.seeds.front()));
    }
    if (doc.contains("metrics")) {
      k_->setValue(parsed.metrics.k);
      for (int i = 0; i < metrics_->count(); ++i) {
        const std::string n = metrics_->item(i)->text().toStdString();
        const bool on = std::find(parsed.metrics.names.begin(), parsed.metrics.names.end(), n) !=
                        parsed.metrics.names.end();
        metrics_->item(i)->setCheckState(on ? Qt::Checked : Qt::Unchecked);
      }
      primary_->setCurrentText(QString::fromStdString(parsed.metrics.primary));
    }
    threads_->setValue(parsed.threads);
    budget_->setValue(parsed.tuning.budgetSeconds);
    trials_->setValue(parsed.tuning.trials);
    validRatio_->setValue(parsed.tuning.validationRatio);
    validSeed_->setValue(static_cast<int>(parsed.tuning.seed));
    formRow_ = -1;
    entries_ = std::move(entries);
    models_->clear();
    for (const auto& e : entries_) models_->addItem(entryLabel(e));
    if (!entries_.empty()) models_->setCurrentRow(0);
    specData_ = named;
    // The feature configuration (validated above) is kept as written and named here; it is
    // edited in the spec file.
    features_ = doc.contains("features") ? doc["features"] : nlohmann::json();
    featuresNote_->setText(
        tr("<b>Features</b> (the spec's configuration, used by the models with a features "
           "parameter; edit it in the spec file): %1")
            .arg(featuresSummary(features_).toHtmlEscaped()));
    featuresNote_->setVisible(!features_.is_null());
    specOutputs_ = doc.contains("output") ? doc["output"] : nlohmann::json();
    if (specOutputs_.is_null()) {
      specOutput_->hide();
    } else {
      specOutput_->setText(
          tr("The spec's output (%1) is written by `recwb run` only: runs made here are recorded "
             "in the project, and saving the spec keeps the output block.")
              .arg(QString::fromStdString(specOutputs_.dump())));
      specOutput_->show();
    }
    refreshSpecData();
    return {};
  } catch (const std::exception& e) {
    loadingSpec_ = false;
    return QString::fromUtf8(e.what());
  }
}

QString ExperimentView::saveSpec(const QString& path) const {
  QSaveFile f(path);
  if (!f.open(QIODevice::WriteOnly)) return tr("cannot write '%1': %2").arg(path, f.errorString());
  f.write(QByteArray::fromStdString(spec().dump(2) + "\n"));
  if (!f.commit()) return tr("cannot write '%1': %2").arg(path, f.errorString());
  return {};
}

QString ExperimentView::loadSpec(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly)) return tr("cannot read '%1': %2").arg(path, f.errorString());
  try {
    return setSpec(nlohmann::json::parse(f.readAll().toStdString()),
                   QFileInfo(path).absolutePath());
  } catch (const nlohmann::json::parse_error& e) {
    return tr("%1: not valid JSON (%2)").arg(path, QString::fromUtf8(e.what()));
  }
}

void ExperimentView::saveSpecInteractive() {
  const QString path = QFileDialog::getSaveFileName(
      this, tr("Save experiment spec"), "experiment.json", tr("Experiment spec (*.json)"));
  if (path.isEmpty()) return;
  const QString err = saveSpec(path);
  if (!err.isEmpty())
    emit errorMessage(err);
  else
    emit logMessage(tr("Spec saved to %1; run it headless with: recwb run %1").arg(path));
}

void ExperimentView::loadSpecInteractive() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Open experiment spec"), QString(),
                                                    tr("Experiment spec (*.json)"));
  if (path.isEmpty()) return;
  const QString err = loadSpec(path);
  if (!err.isEmpty())
    emit errorMessage(err);
  else
    emit logMessage(tr("Spec loaded from %1").arg(path));
}

void ExperimentView::runAll() {
  if (const QString warning = specDataWarning(); !warning.isEmpty()) {
    emit errorMessage(warning);
    return;
  }
  if (!session_->dataset()) {
    emit errorMessage(tr("Load a dataset first (File > Import Data...)."));
    return;
  }
  if (entries_.empty()) addModel(modelChoice_->currentData().toString());
  storeForm();
  if (const QString why = search_->problem(); !why.isEmpty()) {
    emit errorMessage(tr("Search space of %1: %2").arg(models_->currentItem()->text(), why));
    return;
  }
  // Each model runs as its own task: the auto searches share the budget evenly.
  int autos = 0;
  for (const auto& e : entries_) autos += e.contains("search") && isAutoSearch(e["search"]);
  const double share = autos > 0 ? budget_->value() / autos : 0.0;
  for (const auto& e : entries_) startRun(e, share);
}

void ExperimentView::startRun(const nlohmann::json& entry, double budgetShare) {
  RunRequest req;
  req.spec = spec();
  req.spec["models"] = nlohmann::json::array({entry});
  if (entry.contains("search") && isAutoSearch(entry["search"])) {
    req.spec["tuning"]["budget_seconds"] = budgetShare;
  } else {
    req.spec.erase("tuning");
  }
  req.baseDir = QFileInfo(session_->datasetPath()).absolutePath().toStdString();
  req.data.data = session_->dataset();
  if (splitMethod_->currentData().toString() == "files") req.data.test = session_->testSet();
  // Only data read from a source the spec names can be rebuilt by `recwb export --project`:
  // record those runs.
  const bool fromSource = session_->sourceSpec().contains("path");
  if (fromSource && !session_->projectPath().isEmpty()) {
    req.projectPath = session_->projectPath().toStdString();
  }
  if (!fromSource) {
    // Data made in memory (tests, generators): the spec needs some dataset entry to parse.
    req.spec["dataset"] = {
        {"path", req.data.data->name.empty() ? std::string("memory") : req.data.data->name}};
  }

  SessionRun rec;
  rec.record.model = entry["name"].get<std::string>();
  rec.record.params = entry["params"];
  rec.state = RunState::kQueued;
  rec.dataset = QString::fromStdString(req.data.data->name);
  rec.started = QDateTime::currentDateTime();
  // Labelled by its run_name (else the model) and, once recorded, the project's run id: the
  // id `recwb runs` and `recwb export --run` take (Session runLabel).
  if (entry.contains("run_name")) rec.record.name = entry["run_name"].get<std::string>();
  const int runId = session_->addRun(std::move(rec));
  const QString label = session_->run(runId)->displayName;

  const int row = queue_->rowCount();
  queue_->insertRow(row);
  auto* runItem = new QTableWidgetItem(label);
  runItem->setData(Qt::UserRole, runId);
  queue_->setItem(row, kColRun, runItem);
  const std::string modelName = entry["name"].get<std::string>();
  QString what = modelWithParams(modelName, entry["params"]);
  if (entry.contains("search")) {
    what = tr("%1: %2, then refit on train")
               .arg(modelDisplayName(modelName), searchDescription(entry["search"]));
  }
  queue_->setItem(row, kColModel, new QTableWidgetItem(what));
  queue_->item(row, kColModel)->setToolTip(QString::fromStdString(entry.dump(2)));
  queue_->setItem(row, kColStatus, new QTableWidgetItem(tr("queued")));
  auto* bar = new QProgressBar(queue_);
  bar->setRange(0, 100);
  queue_->setCellWidget(row, kColProgress, bar);
  queue_->setItem(row, kColStage, new QTableWidgetItem);
  queue_->setItem(row, kColEta, new QTableWidgetItem);
  auto* cancel = new QToolButton(queue_);
  cancel->setText(tr("Cancel"));
  cancel->setObjectName(QStringLiteral("cancel%1").arg(runId));
  queue_->setCellWidget(row, kColCancel, cancel);
  queue_->scrollToItem(runItem);  // a long queue shows the run just started

  const int task = runner_->start<RunOutcome>(
      label, [req](TaskContext& ctx) { return executeRun(req, ctx); }, this,
      [this, runId](RunOutcome out) {
        SessionRun* r = session_->run(runId);
        if (r == nullptr) return;
        auto live = std::move(r->record.learningCurve);
        r->record = std::move(out.record);
        if (r->record.learningCurve.empty()) r->record.learningCurve = std::move(live);
        r->state = stateOf(r->record);
        r->ci = std::move(out.ci);
        r->displayMetrics = std::move(out.beyondAccuracy);
        r->train = out.train;
        r->test = out.test;
        r->split = QString::fromStdString(out.split);
        r->evaluation = out.evaluation;
        r->specId = out.specId;
        if (out.storeId != 0) {
          session_->setRecorded(runId, out.storeId);
          if (const int row = queueRow(runId); row >= 0)
            queue_->item(row, kColRun)->setText(r->displayName);
        }
        if (r->record.search) {
          emit logMessage(tr("%1: %2").arg(r->displayName, searchSummary(*r->record.search)));
        }
        emit logMessage(tr("%1 finished: fit %2 s%3")
                            .arg(r->displayName)
                            .arg(r->record.fitSeconds, 0, 'f', 3)
                            .arg(out.storeId ? tr("; recorded as run %1 in %2")
                                                   .arg(out.storeId)
                                                   .arg(session_->projectPath())
                                             : QString()));
        for (const auto& w : r->record.warnings) {
          emit logMessage(tr("%1: warning: %2").arg(r->displayName, QString::fromStdString(w)));
        }
      });
  taskToRun_[task] = runId;
  runToTask_[runId] = task;
  connect(cancel, &QToolButton::clicked, this, [this, runId] {
    const int t = taskOfRun(runId);
    if (t != 0) runner_->cancel(t);
  });
  if (curvesRun_ == 0) curvesRun_ = runId;
}

int ExperimentView::taskOfRun(int runId) const {
  auto it = runToTask_.find(runId);
  return it == runToTask_.end() ? 0 : it->second;
}

QList<int> ExperimentView::queuedRuns() const {
  QList<int> out;
  for (int r = 0; r < queue_->rowCount(); ++r)
    out << queue_->item(r, kColRun)->data(Qt::UserRole).toInt();
  return out;
}

QString ExperimentView::queueText(int runId) const {
  const int row = queueRow(runId);
  if (row < 0) return {};
  QStringList cells;
  for (int c : {kColRun, kColModel, kColStatus, kColStage}) {
    cells << (queue_->item(row, c) ? queue_->item(row, c)->text() : QString());
  }
  return cells.join(QLatin1Char('\t'));
}

int ExperimentView::queueRow(int runId) const {
  for (int r = 0; r < queue_->rowCount(); ++r) {
    if (queue_->item(r, kColRun)->data(Qt::UserRole).toInt() == runId) return r;
  }
  return -1;
}

void ExperimentView::updateRow(int runId) {
  const int row = queueRow(runId);
  const SessionRun* r = session_->run(runId);
  if (row < 0 || r == nullptr) return;
  queue_->item(row, kColStatus)->setText(r->stateName());
  if (r->state == RunState::kFailed) {
    const QString message = QString::fromStdString(r->record.error);
    queue_->item(row, kColStatus)->setForeground(QColor(180, 0, 0));
    queue_->item(row, kColStage)->setText(message);
    queue_->item(row, kColStage)->setToolTip(message);
  } else if (r->done()) {
    const double fit = r->record.fitSeconds;
    queue_->item(row, kColStage)
        ->setText(!r->record.search ? tr("fit %1 s").arg(fit, 0, 'f', 3)
                                    : tr("%1; final fit %2 s")
                                          .arg(searchSummary(*r->record.search))
                                          .arg(fit, 0, 'f', 3));
    queue_->item(row, kColStage)->setToolTip(queue_->item(row, kColStage)->text());
    if (auto* bar = qobject_cast<QProgressBar*>(queue_->cellWidget(row, kColProgress)))
      bar->setValue(100);
  }
  queue_->item(row, kColEta)->setText(QString());
  if (QWidget* w = queue_->cellWidget(row, kColCancel)) w->setEnabled(false);
  if (curvesRun_ == runId) showCurves(runId);
}

void ExperimentView::showCurves(int runId) {
  curvesRun_ = runId;
  const SessionRun* r = session_->run(runId);
  curves_->reset();
  if (r == nullptr) {
    curves_->replot();
    return;
  }
  std::map<std::string, std::pair<QVector<double>, QVector<double>>> series;
  for (const auto& [epoch, metrics] : r->record.learningCurve) {
    for (const auto& [name, v] : metrics) {
      series[name].first << epoch;
      series[name].second << v;
    }
  }
  if (series.empty()) {
    // reset() put the axes back to their blank state: nothing of the previous run's curves.
    curves_->setMessage(tr("%1: no epochs reported (not an iterative model)").arg(r->displayName));
    return;
  }
  static const QList<QColor> colors{QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44),
                                    QColor(214, 39, 40), QColor(148, 103, 189)};
  int i = 0;
  for (auto& [name, xy] : series) {
    const bool loss = QString::fromStdString(name).contains("loss");
    auto* g = curves_->addGraph(curves_->xAxis, loss ? curves_->yAxis : curves_->yAxis2);
    g->setName(QString::fromStdString(name));
    g->setData(xy.first, xy.second, true);
    g->setPen(QPen(colors[i++ % colors.size()], 1.8));
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 5));
  }
  curves_->yAxis2->setVisible(true);
  curves_->xAxis->setLabel(tr("epoch"));
  curves_->yAxis->setLabel(tr("loss"));
  curves_->yAxis2->setLabel(tr("validation metric"));
  curves_->rescaleAxes();
  curves_->replot();
}

}  // namespace rwb::ui
