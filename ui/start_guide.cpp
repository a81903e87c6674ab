#include "ui/start_guide.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QToolButton>

namespace rwb::ui {

const QStringList& StartGuide::guideModels() {
  static const QStringList models{"most_popular", "itemknn", "logistic_regression"};
  return models;
}

StartGuide::StartGuide(QWidget* parent) : QFrame(parent) {
  setObjectName("startGuide");
  setFrameShape(QFrame::StyledPanel);
  setStyleSheet(QStringLiteral("#startGuide { background: #eef4fb; }"));
  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(8, 4, 4, 4);
  auto* title = new QLabel(tr("<b>Start here</b>"), this);
  steps_ = new QLabel(this);
  steps_->setObjectName("startSteps");
  steps_->setWordWrap(true);
  steps_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  next_button_ = new QPushButton(this);
  next_button_->setObjectName("startNext");
  auto* close = new QToolButton(this);
  close->setObjectName("startClose");
  close->setText(QStringLiteral("\u2715"));
  close->setAutoRaise(true);
  close->setToolTip(tr("Hide the guide (Help > Start Here shows it again)"));
  layout->addWidget(title);
  layout->addWidget(steps_, 1);
  layout->addWidget(next_button_);
  layout->addWidget(close);
  connect(next_button_, &QPushButton::clicked, this, [this] {
    if (next_ != kDone) emit stepRequested(next_);
  });
  connect(close, &QToolButton::clicked, this, [this] {
    hide();
    emit dismissed();
  });
  setProgress(false, false, 0, false);
}

void StartGuide::setProgress(bool dataLoaded, bool splitSeen, int runsDone, bool compared) {
  const int want = static_cast<int>(guideModels().size());
  const bool ran = runsDone >= want;
  const bool done[] = {dataLoaded, dataLoaded && splitSeen, ran, ran && compared};
  const QString text[] = {
      tr("1. Load data (the bundled sample: File > Open Sample Data)"),
      tr("2. Pick a train/test split (Experiment tab)"),
      tr("3. Run three models: most popular, ItemKNN, logistic regression (%1 of %2 runs done)")
          .arg(std::min(runsDone, want))
          .arg(want),
      tr("4. Compare them (Compare tab: metrics with CIs, significance, slices)")};
  next_ = kDone;
  lines_.clear();
  QStringList html;
  for (int i = 0; i < 4; ++i) {
    if (next_ == kDone && !done[i]) next_ = static_cast<Step>(i);
    lines_ << (done[i] ? QStringLiteral("\u2713 ") : QStringLiteral("  ")) + text[i];
    html << (done[i] ? QStringLiteral("<span style='color:#2a7a2a'>\u2713 %1</span>")
                     : (next_ == i ? QStringLiteral("<b>%1</b>") : QStringLiteral("%1")))
                .arg(text[i].toHtmlEscaped());
  }
  steps_->setText(html.join(QStringLiteral(" &nbsp;\u2192&nbsp; ")));
  static const char* const kButton[] = {QT_TR_NOOP("Load sample data"),
                                        QT_TR_NOOP("Go to the split"),
                                        QT_TR_NOOP("Run the three models"), QT_TR_NOOP("Compare")};
  next_button_->setVisible(next_ != kDone);
  if (next_ != kDone) next_button_->setText(tr(kButton[next_]));
}

QString StartGuide::stepsText() const { return lines_.join(QLatin1Char('\n')); }

}  // namespace rwb::ui
