#pragma once
/// \file
/// CurvesPage: the Compare tab with the learning curves of every compared run overlaid on the
/// same axes, one curve name at a time (loss, a validation metric), one colour per run.

#include <QStringList>

#include "ui/compare_page.h"

class QComboBox;

namespace rwb::ui {

class CurvesPage : public ComparePage {
  Q_OBJECT
 public:
  explicit CurvesPage(QWidget* parent = nullptr);
  void draw(const CompareContext& c) override;
  /// The curve names offered (those of the compared runs) and the one drawn.
  QComboBox* curveSelector() const { return curve_; }
  /// Runs drawn in the last draw.
  const QStringList& runs() const { return runs_; }

 private:
  void redraw();
  QComboBox* curve_ = nullptr;
  CompareContext last_;
  QStringList runs_;
};

}  // namespace rwb::ui
