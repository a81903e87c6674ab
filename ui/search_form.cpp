#include "ui/search_form.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QStandardItemModel>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

#include "ui/param_form.h"

namespace rwb::ui {

namespace {

bool numeric(const ParamSpec& p) {
  return p.type == ParamType::kInt || p.type == ParamType::kFloat;
}

bool searchable(const ParamSpec& p) {
  return numeric(p) || p.type == ParamType::kBool || p.type == ParamType::kChoice;
}

/// A value as the list cell writes it: numbers shortest round trip, strings bare.
QString valueText(const nlohmann::json& v) {
  if (v.is_string()) return QString::fromStdString(v.get<std::string>());
  if (v.is_number_float()) return QString::number(v.get<double>(), 'g', 17);
  return QString::fromStdString(v.dump());
}

/// A JSON number for a range bound: integral for integer parameters, as one writes them.
nlohmann::json bound(const ParamSpec& p, double v) {
  if (p.type == ParamType::kInt) return static_cast<long long>(std::llround(v));
  return v;
}

/// Parses one list entry as the parameter's type; false when it is not one.
bool parseValue(const ParamSpec& p, const QString& text, nlohmann::json* out) {
  const QString t = text.trimmed();
  bool ok = false;
  switch (p.type) {
    case ParamType::kInt: {
      const long long v = t.toLongLong(&ok);
      if (ok) *out = v;
      return ok;
    }
    case ParamType::kFloat: {
      const double v = t.toDouble(&ok);
      if (ok && std::isfinite(v)) *out = v;
      return ok && std::isfinite(v);
    }
    case ParamType::kBool:
      if (t != "true" && t != "false") return false;
      *out = t == "true";
      return true;
    case ParamType::kChoice:
      for (const auto& c : p.choices) {
        if (t.toStdString() == c) {
          *out = c;
          return true;
        }
      }
      return false;
    case ParamType::kString:
      return false;
  }
  return false;
}

QString rangeText(const ParamSpec& p) {
  if (!p.search) return {};
  if (p.search->min && p.search->max) {
    return QStringLiteral("%1 %2..%3%4")
        .arg(QString::fromStdString(p.name))
        .arg(*p.search->min)
        .arg(*p.search->max)
        .arg(p.search->logScale ? SearchForm::tr(" (log)") : QString());
  }
  QStringList values;
  const auto& vs = p.search->values;
  if (vs.empty() && p.type == ParamType::kBool)
    values << "false"
           << "true";
  if (vs.empty() && p.type == ParamType::kChoice) {
    for (const auto& c : p.choices) values << QString::fromStdString(c);
  }
  for (const auto& v : vs) values << valueText(v);
  return QStringLiteral("%1 {%2}").arg(QString::fromStdString(p.name), values.join(", "));
}

}  // namespace

SearchForm::SearchForm(QWidget* parent) : QWidget(parent) {
  setObjectName("SearchForm");
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* row = new QFormLayout;
  row->setContentsMargins(0, 0, 0, 0);
  mode_ = new QComboBox(this);
  mode_->setObjectName("searchMode");
  mode_->addItem(tr("Defaults (no search)"), QString::fromLatin1(kDefaults));
  mode_->addItem(tr("Auto search (default space)"), QString::fromLatin1(kAuto));
  mode_->addItem(tr("Custom space"), QString::fromLatin1(kCustom));
  mode_->setToolTip(
      tr("Auto and custom searches run Hyperband + TPE on a validation split carved from train, "
         "within the experiment's tuning budget; the winner is refit on train and tested once"));
  row->addRow(tr("Search"), mode_);
  layout->addLayout(row);
  note_ = new QLabel(this);
  note_->setObjectName("searchNote");
  note_->setWordWrap(true);
  layout->addWidget(note_);
  table_ = new QTableWidget(0, kColumnCount, this);
  table_->setObjectName("searchSpace");
  table_->setHorizontalHeaderLabels(
      {tr("Parameter"), tr("Low"), tr("High"), tr("Log"), tr("Values")});
  table_->horizontalHeaderItem(kColumnValues)
      ->setToolTip(tr("Comma-separated values to choose from (they replace the range); empty = the "
                      "range low..high"));
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(kColumnParam, QHeaderView::ResizeToContents);
  table_->horizontalHeader()->setSectionResizeMode(kColumnValues, QHeaderView::Stretch);
  table_->setColumnWidth(kColumnLow, 76);
  table_->setColumnWidth(kColumnHigh, 76);
  table_->setColumnWidth(kColumnLog, 36);
  table_->setMinimumHeight(190);
  table_->setSelectionMode(QAbstractItemView::NoSelection);
  layout->addWidget(table_);
  problem_ = new QLabel(this);
  problem_->setObjectName("searchProblem");
  problem_->setWordWrap(true);
  problem_->setStyleSheet(QStringLiteral("color:#b00000"));
  layout->addWidget(problem_);
  connect(mode_, &QComboBox::currentIndexChanged, this, [this] {
    refreshVisibility();
    refreshProblem();
    if (!filling_) emit changed();
  });
  connect(table_, &QTableWidget::itemChanged, this, [this] {
    if (filling_) return;
    refreshProblem();
    emit changed();
  });
  setModel(nullptr, nullptr);
}

void SearchForm::setModel(const ModelInfo* model, const nlohmann::json& search) {
  filling_ = true;
  model_ = model;
  budgetParam_.clear();
  kept_ = nullptr;
  const int keptRow = mode_->findData(QString::fromLatin1(kKept));
  if (keptRow >= 0) mode_->removeItem(keptRow);
  if (model != nullptr) {
    for (const char* b : {"epochs", "iterations"}) {
      const ParamSpec* p = model->schema.find(b);
      if (p != nullptr && p->type == ParamType::kInt && budgetParam_.empty()) budgetParam_ = b;
    }
  }
  // Auto needs a default space; a model without one can still be given a custom space.
  bool hasDefault = false;
  if (model != nullptr) {
    for (const ParamSpec& p : model->schema.params) hasDefault = hasDefault || p.search.has_value();
  }
  auto* items = qobject_cast<QStandardItemModel*>(mode_->model());
  items->item(mode_->findData(QString::fromLatin1(kAuto)))->setEnabled(hasDefault);

  nlohmann::json space;
  QString mode = QString::fromLatin1(kDefaults);
  if (search.is_string() && search == "auto") {
    mode = QString::fromLatin1(kAuto);
  } else if (search.is_object() && search.value("method", std::string("grid")) == "auto") {
    mode = QString::fromLatin1(kCustom);
    space = search.value("space", nlohmann::json::object());
  } else if (search.is_object()) {
    kept_ = search;
    mode_->addItem(tr("As in the spec (%1 search)")
                       .arg(QString::fromStdString(search.value("method", std::string("grid")))),
                   QString::fromLatin1(kKept));
    mode = QString::fromLatin1(kKept);
  }
  fillTable(space);
  mode_->setCurrentIndex(mode_->findData(mode));
  mode_->setEnabled(model != nullptr);
  filling_ = false;
  refreshVisibility();
  refreshProblem();
}

void SearchForm::fillTable(const nlohmann::json& space) {
  table_->setRowCount(0);
  if (model_ == nullptr) return;
  const bool custom = space.is_object() && !space.empty();
  for (const ParamSpec& p : model_->schema.params) {
    if (!searchable(p) || p.name == budgetParam_) continue;
    const int row = table_->rowCount();
    table_->insertRow(row);
    const nlohmann::json given =
        custom && space.contains(p.name) ? space[p.name] : nlohmann::json();
    auto* name = new QTableWidgetItem(QString::fromStdString(p.name));
    name->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
    name->setCheckState((custom ? !given.is_null() : p.search.has_value()) ? Qt::Checked
                                                                           : Qt::Unchecked);
    QString tip = QString::fromStdString(p.description);
    if (p.search && !p.search->whenParam.empty()) {
      tip += tr("\nSearched only when %1 is searched and takes %2")
                 .arg(QString::fromStdString(p.search->whenParam),
                      QString::fromStdString(nlohmann::json(p.search->whenValues).dump()));
    }
    name->setToolTip(tip);
    table_->setItem(row, kColumnParam, name);
    auto* log = new QTableWidgetItem;
    QStringList values;
    if (numeric(p)) {
      // The default space's range, else the schema's valid range, else around the default.
      const double def = p.defaultValue.is_number() ? p.defaultValue.get<double>() : 0.0;
      double lo = p.min.value_or(def == 0.0 ? 0.0 : def / 10.0);
      double hi = p.max.value_or(def == 0.0 ? 1.0 : def * 10.0);
      bool isLog = p.logScale;
      if (p.search && p.search->min && p.search->max) {
        lo = *p.search->min;
        hi = *p.search->max;
        isLog = p.search->logScale;
      }
      if (given.is_object()) {
        lo = given.value("min", lo);
        hi = given.value("max", hi);
        isLog = given.value("log", isLog);
      } else if (given.is_array()) {
        for (const auto& v : given) values << valueText(v);
      }
      for (int c : {kColumnLow, kColumnHigh}) {
        auto* box = new ExactDoubleSpinBox(table_);
        box->setRange(p.min ? *p.min : -1e12, p.max ? *p.max : 1e12);
        box->setValue(c == kColumnLow ? lo : hi);
        box->setFrame(false);
        connect(box, &QDoubleSpinBox::valueChanged, this, [this] {
          if (filling_) return;
          refreshProblem();
          emit changed();
        });
        table_->setCellWidget(row, c, box);
      }
      log->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
      log->setCheckState(isLog ? Qt::Checked : Qt::Unchecked);
    } else {
      log->setFlags(Qt::NoItemFlags);
      std::vector<nlohmann::json> vs;
      if (given.is_array()) {
        vs.assign(given.begin(), given.end());
      } else if (p.search && !p.search->values.empty()) {
        vs = p.search->values;
      } else if (p.type == ParamType::kBool) {
        vs = {false, true};
      } else {
        for (const auto& c : p.choices) vs.emplace_back(c);
      }
      for (const auto& v : vs) values << valueText(v);
    }
    table_->setItem(row, kColumnLog, log);
    auto* edit = new QLineEdit(values.join(QStringLiteral(", ")), table_);
    edit->setFrame(false);
    edit->setPlaceholderText(numeric(p) ? tr("range") : QString());
    connect(edit, &QLineEdit::textChanged, this, [this] {
      if (filling_) return;
      refreshProblem();
      emit changed();
    });
    table_->setCellWidget(row, kColumnValues, edit);
  }
}

int SearchForm::rowOf(const QString& param) const {
  for (int r = 0; r < table_->rowCount(); ++r) {
    if (table_->item(r, kColumnParam)->text() == param) return r;
  }
  return -1;
}

void SearchForm::setRow(const QString& param, bool searched, double low, double high, bool log,
                        const QString& values) {
  const int r = rowOf(param);
  if (r < 0) return;
  table_->item(r, kColumnParam)->setCheckState(searched ? Qt::Checked : Qt::Unchecked);
  if (auto* box = qobject_cast<QDoubleSpinBox*>(table_->cellWidget(r, kColumnLow)))
    box->setValue(low);
  if (auto* box = qobject_cast<QDoubleSpinBox*>(table_->cellWidget(r, kColumnHigh)))
    box->setValue(high);
  if (table_->item(r, kColumnLog)->flags() & Qt::ItemIsUserCheckable)
    table_->item(r, kColumnLog)->setCheckState(log ? Qt::Checked : Qt::Unchecked);
  static_cast<QLineEdit*>(table_->cellWidget(r, kColumnValues))->setText(values);
}

void SearchForm::setMode(const QString& mode) {
  const int i = mode_->findData(mode);
  if (i >= 0) mode_->setCurrentIndex(i);
}

QString SearchForm::mode() const { return mode_->currentData().toString(); }

nlohmann::json SearchForm::customSpace(QString* why) const {
  nlohmann::json space = nlohmann::json::object();
  if (model_ == nullptr) return space;
  for (int r = 0; r < table_->rowCount(); ++r) {
    if (table_->item(r, kColumnParam)->checkState() != Qt::Checked) continue;
    const std::string name = table_->item(r, kColumnParam)->text().toStdString();
    const ParamSpec* p = model_->schema.find(name);
    if (p == nullptr) continue;
    const QString text = static_cast<QLineEdit*>(table_->cellWidget(r, kColumnValues))->text();
    if (!text.trimmed().isEmpty()) {
      nlohmann::json list = nlohmann::json::array();
      for (const QString& part : text.split(QLatin1Char(','))) {
        nlohmann::json v;
        if (!parseValue(*p, part, &v)) {
          if (why->isEmpty()) {
            *why = tr("%1: '%2' is not a value of this parameter")
                       .arg(QString::fromStdString(name), part.trimmed());
          }
          // Written as typed: the spec's parser refuses it with its place, nothing is dropped.
          v = part.trimmed().toStdString();
        }
        list.push_back(v);
      }
      space[name] = list;
      continue;
    }
    if (!numeric(*p)) {
      if (why->isEmpty())
        *why = tr("%1: list the values to search").arg(QString::fromStdString(name));
      continue;
    }
    const double lo = static_cast<QDoubleSpinBox*>(table_->cellWidget(r, kColumnLow))->value();
    const double hi = static_cast<QDoubleSpinBox*>(table_->cellWidget(r, kColumnHigh))->value();
    const bool log = table_->item(r, kColumnLog)->checkState() == Qt::Checked;
    if (lo > hi && why->isEmpty())
      *why = tr("%1: low is above high").arg(QString::fromStdString(name));
    if (log && lo <= 0.0 && why->isEmpty())
      *why = tr("%1: a log-scale range needs low > 0").arg(QString::fromStdString(name));
    space[name] = {{"min", bound(*p, lo)}, {"max", bound(*p, hi)}, {"log", log}};
  }
  if (space.empty() && why->isEmpty()) *why = tr("check at least one parameter to search");
  return space;
}

nlohmann::json SearchForm::search() const {
  const QString m = mode();
  if (m == kAuto) return "auto";
  if (m == kKept) return kept_;
  if (m == kCustom) {
    QString why;
    return {{"method", "auto"}, {"space", customSpace(&why)}};
  }
  return nullptr;
}

QString SearchForm::problem() const {
  if (mode() != kCustom) return {};
  QString why;
  customSpace(&why);
  return why;
}

void SearchForm::refreshVisibility() {
  const QString m = mode();
  table_->setVisible(m == kCustom);
  QString note;
  if (model_ != nullptr && m == kAuto) {
    QStringList parts;
    for (const ParamSpec& p : model_->schema.params) {
      if (p.search) parts << rangeText(p);
    }
    note = tr("Tuned over the default space: %1. The other parameters keep the values above.")
               .arg(parts.join(QStringLiteral("; ")));
  } else if (m == kCustom) {
    note = tr("Tuned over the checked parameters; the others keep the values above.");
    if (!budgetParam_.empty()) {
      note +=
          tr(" %1 is the Hyperband budget (set above).").arg(QString::fromStdString(budgetParam_));
    }
  } else if (m == kKept) {
    note = tr("The spec's %1 search is kept as written (edit it in the spec file).")
               .arg(QString::fromStdString(kept_.value("method", std::string("grid"))));
  }
  note_->setText(note);
  note_->setVisible(!note.isEmpty());
}

void SearchForm::refreshProblem() {
  const QString why = problem();
  problem_->setText(why);
  problem_->setVisible(!why.isEmpty());
}

}  // namespace rwb::ui
