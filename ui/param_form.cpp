#include "ui/param_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSpinBox>
#include <cmath>
#include <limits>

namespace rwb::ui {

ExactDoubleSpinBox::ExactDoubleSpinBox(QWidget* parent) : QDoubleSpinBox(parent) {
  setDecimals(std::numeric_limits<double>::max_exponent10 +
              std::numeric_limits<double>::max_digits10);  // no rounding by the box
}

QString ExactDoubleSpinBox::textFromValue(double v) const {
  return QString::number(v, 'g', QLocale::FloatingPointShortest);
}

double ExactDoubleSpinBox::valueFromText(const QString& text) const {
  return text.trimmed().toDouble();
}

QValidator::State ExactDoubleSpinBox::validate(QString& text, int&) const {
  bool ok = false;
  const double v = text.trimmed().toDouble(&ok);
  if (!ok) return QValidator::Intermediate;  // "1e-", "-": still being typed
  return v >= minimum() && v <= maximum() ? QValidator::Acceptable : QValidator::Intermediate;
}

ParamForm::ParamForm(QWidget* parent) : QWidget(parent) {
  form_ = new QFormLayout(this);
  form_->setContentsMargins(0, 0, 0, 0);
}

void ParamForm::setSchema(const ParamSchema& schema, const Params& values) {
  while (form_->rowCount() > 0) form_->removeRow(0);
  editors_.clear();
  schema_ = schema;
  for (const ParamSpec& p : schema.params) {
    const nlohmann::json v =
        values.is_object() && values.contains(p.name) ? values[p.name] : p.defaultValue;
    QWidget* editor = nullptr;
    switch (p.type) {
      case ParamType::kInt: {
        auto* box = new QSpinBox(this);
        box->setRange(
            p.min ? static_cast<int>(std::max(*p.min, -2e9)) : std::numeric_limits<int>::min(),
            p.max ? static_cast<int>(std::min(*p.max, 2e9)) : std::numeric_limits<int>::max());
        box->setValue(v.is_number() ? v.get<int>() : 0);
        box->setGroupSeparatorShown(true);
        connect(box, &QSpinBox::valueChanged, this, &ParamForm::changed);
        editor = box;
        break;
      }
      case ParamType::kFloat: {
        auto* box = new ExactDoubleSpinBox(this);
        box->setRange(p.min ? *p.min : -1e12, p.max ? *p.max : 1e12);
        const double d = v.is_number() ? v.get<double>() : 0.0;
        box->setSingleStep(d != 0.0 ? std::pow(10.0, std::floor(std::log10(std::abs(d)))) : 0.1);
        box->setValue(d);
        connect(box, &QDoubleSpinBox::valueChanged, this, &ParamForm::changed);
        editor = box;
        break;
      }
      case ParamType::kBool: {
        auto* box = new QCheckBox(this);
        box->setChecked(v.is_boolean() && v.get<bool>());
        connect(box, &QCheckBox::toggled, this, &ParamForm::changed);
        editor = box;
        break;
      }
      case ParamType::kChoice: {
        auto* box = new QComboBox(this);
        for (const auto& c : p.choices) box->addItem(QString::fromStdString(c));
        if (v.is_string()) box->setCurrentText(QString::fromStdString(v.get<std::string>()));
        connect(box, &QComboBox::currentIndexChanged, this, &ParamForm::changed);
        editor = box;
        break;
      }
      case ParamType::kString: {
        auto* box = new QLineEdit(this);
        if (v.is_string()) box->setText(QString::fromStdString(v.get<std::string>()));
        connect(box, &QLineEdit::textChanged, this, &ParamForm::changed);
        editor = box;
        break;
      }
    }
    QString tip = QString::fromStdString(p.description);
    if (p.min || p.max) {
      tip += tr("\nrange %1 .. %2%3")
                 .arg(p.min ? QString::number(*p.min) : QStringLiteral("-inf"),
                      p.max ? QString::number(*p.max) : QStringLiteral("inf"),
                      p.logScale ? tr(" (log scale)") : QString());
    }
    tip += tr("\ndefault %1").arg(QString::fromStdString(p.defaultValue.dump()));
    editor->setToolTip(tip);
    editor->setObjectName(QString::fromStdString(p.name));
    auto* label = new QLabel(QString::fromStdString(p.name), this);
    label->setToolTip(tip);
    form_->addRow(label, editor);
    editors_.push_back(editor);
  }
  if (schema.params.empty()) form_->addRow(new QLabel(tr("This model has no parameters."), this));
}

Params ParamForm::values() const {
  Params out = Params::object();
  for (std::size_t i = 0; i < schema_.params.size() && i < editors_.size(); ++i) {
    const ParamSpec& p = schema_.params[i];
    QWidget* e = editors_[i];
    switch (p.type) {
      case ParamType::kInt:
        out[p.name] = static_cast<long long>(static_cast<QSpinBox*>(e)->value());
        break;
      case ParamType::kFloat:
        out[p.name] = static_cast<QDoubleSpinBox*>(e)->value();
        break;
      case ParamType::kBool:
        out[p.name] = static_cast<QCheckBox*>(e)->isChecked();
        break;
      case ParamType::kChoice:
        out[p.name] = static_cast<QComboBox*>(e)->currentText().toStdString();
        break;
      case ParamType::kString:
        out[p.name] = static_cast<QLineEdit*>(e)->text().toStdString();
        break;
    }
  }
  return out;
}

}  // namespace rwb::ui
