#pragma once
/// \file
/// SignificancePage: the Compare tab showing the pairwise significance matrix of the runs on the
/// compared split (core/eval compareRuns: Wilcoxon signed-rank p-values, Holm-corrected, with the
/// mean difference; p < 0.05 in bold), computed off the GUI thread.

#include <QStringList>

#include "ui/compare_page.h"

namespace rwb::ui {

class SignificancePage : public ComparePage {
  Q_OBJECT
 public:
  explicit SignificancePage(QWidget* parent = nullptr);
  void draw(const CompareContext& c) override;
  /// Run names of the last paired comparison drawn (empty when none was made).
  const QStringList& runs() const { return runs_; }

 private:
  QStringList runs_;
};

}  // namespace rwb::ui
