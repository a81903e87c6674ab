#pragma once
/// \file
/// ParamForm: an editor generated from a model's ParamSchema (spin boxes with the schema's
/// ranges, check boxes, choice lists, text), never hard-coding a parameter.

#include <QDoubleSpinBox>
#include <QWidget>
#include <vector>

#include "core/models/param_schema.h"

class QFormLayout;

namespace rwb::ui {

/// A spin box that keeps every digit of a double: a fixed number of decimals would round small
/// defaults (logistic regression's tol = 1e-7 became 0, so GUI runs differed from `recwb run`).
/// Shows and reads the shortest round-trip text, exponent notation included ("1e-07").
class ExactDoubleSpinBox final : public QDoubleSpinBox {
 public:
  explicit ExactDoubleSpinBox(QWidget* parent);
  QString textFromValue(double v) const override;
  double valueFromText(const QString& text) const override;
  QValidator::State validate(QString& text, int& pos) const override;
};

class ParamForm : public QWidget {
  Q_OBJECT
 public:
  explicit ParamForm(QWidget* parent = nullptr);
  /// Rebuilds the form for schema, showing `values` (missing names show the defaults).
  void setSchema(const ParamSchema& schema, const Params& values);
  /// The current values of every parameter.
  Params values() const;
  /// Number of editors (for tests).
  int editorCount() const { return static_cast<int>(editors_.size()); }

 signals:
  void changed();

 private:
  QFormLayout* form_ = nullptr;
  ParamSchema schema_;
  std::vector<QWidget*> editors_;
};

}  // namespace rwb::ui
