#pragma once
/// \file
/// MetricAtKPage: the Compare tab showing curves of the chosen metric family over every cut-off k
/// the evaluation produced: the run's k and the cut-offs every GUI run evaluates in the same pass
/// (kCurveCutoffs: 1, 5, 10, 20, 50, 100), on a logarithmic k axis.

#include <QStringList>

#include "ui/compare_page.h"

namespace rwb::ui {

class MetricAtKPage : public ComparePage {
  Q_OBJECT
 public:
  explicit MetricAtKPage(QWidget* parent = nullptr);
  void draw(const CompareContext& c) override;
  /// Runs drawn as curves by the last draw.
  const QStringList& drawnRuns() const { return drawnRuns_; }

 private:
  QStringList drawnRuns_;
};

}  // namespace rwb::ui
