#include "ui/chart_view.h"

#include <QFileDialog>
#include <QMenu>
#include <QToolTip>
#include <cmath>

namespace rwb::ui {

ChartView::ChartView(const QString& title, QWidget* parent) : QCustomPlot(parent), title_(title) {
  setObjectName(title);
  // Small enough that four charts and a table fit a 1024x700 window (the Data view).
  setMinimumSize(180, 140);
  setInteractions(QCP::iRangeDrag | QCP::iRangeZoom | QCP::iSelectPlottables | QCP::iSelectLegend);
  plotLayout()->insertRow(0);
  titleElement_ = new QCPTextElement(this, title, QFont(font().family(), 10, QFont::Bold));
  plotLayout()->addElement(0, 0, titleElement_);
  legend->setVisible(true);
  legend->setFont(QFont(font().family(), 8));
  legend->setBrush(QColor(255, 255, 255, 200));
  setMouseTracking(true);
  setNoAntialiasingOnDrag(true);
}

void ChartView::setTitleVisible(bool visible) {
  const bool shown = plotLayout()->hasElement(0, 0) && plotLayout()->element(0, 0) == titleElement_;
  if (visible == shown) return;
  if (visible) {
    plotLayout()->insertRow(0);
    plotLayout()->addElement(0, 0, titleElement_);
  } else {
    plotLayout()->take(titleElement_);
    plotLayout()->simplify();
  }
}

void ChartView::reset() {
  clearPlottables();
  clearItems();
  cellTips_.clear();
  // Extra layout elements beside the axis rect (a colour scale) belong to the last drawing.
  for (int c = plotLayout()->columnCount() - 1; c >= 1; --c) {
    for (int r = 0; r < plotLayout()->rowCount(); ++r) {
      if (QCPLayoutElement* e = plotLayout()->element(r, c)) plotLayout()->remove(e);
    }
  }
  plotLayout()->simplify();
  message_ = nullptr;
  xAxis->setScaleType(QCPAxis::stLinear);
  yAxis->setScaleType(QCPAxis::stLinear);
  xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
  yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
  xAxis->setLabel(QString());
  yAxis->setLabel(QString());
  yAxis2->setLabel(QString());
  yAxis2->setVisible(false);
  // A chart that draws nothing next must not keep the previous drawing's scales.
  for (QCPAxis* a : {xAxis, yAxis, yAxis2}) a->setRange(0.0, 1.0);
  legend->setVisible(true);
}

void ChartView::fit() {
  rescaleAxes();
  // A little air around the data so points on the border stay visible.
  for (QCPAxis* a : {xAxis, yAxis}) {
    QCPRange r = a->range();
    if (a->scaleType() == QCPAxis::stLogarithmic) {
      a->setRange(r.lower / 1.3, r.upper * 1.3);
    } else {
      const double pad = r.size() > 0 ? r.size() * 0.04 : 1.0;
      a->setRange(r.lower - pad, r.upper + pad);
    }
  }
  replot();
}

void ChartView::setMessage(const QString& text) {
  legend->setVisible(false);
  message_ = new QCPItemText(this);
  message_->position->setType(QCPItemPosition::ptAxisRectRatio);
  message_->position->setCoords(0.5, 0.5);
  message_->setText(text);
  message_->setColor(Qt::gray);
  replot();
}

bool ChartView::exportTo(const QString& path) {
  if (path.endsWith(QStringLiteral(".pdf"), Qt::CaseInsensitive)) return savePdf(path);
  return savePng(path, 0, 0, 2.0);
}

void ChartView::setCellTooltip(int x, int y, const QString& text) { cellTips_[{x, y}] = text; }

void ChartView::mouseMoveEvent(QMouseEvent* event) {
  QCustomPlot::mouseMoveEvent(event);
  if (event->buttons() != Qt::NoButton) return;
  const QString text = tooltipAt(event->position());
  if (text.isEmpty()) {
    QToolTip::hideText();
  } else {
    QToolTip::showText(event->globalPosition().toPoint(), text, this);
  }
}

QString ChartView::tooltipAt(const QPointF& pos) {
  double best = 10.0;  // pixels
  QString text;
  for (int i = 0; i < plottableCount(); ++i) {
    QCPAbstractPlottable* p = plottable(i);
    if (!p->visible()) continue;
    QVariant details;
    const double d = p->selectTest(pos, false, &details);
    if (d < 0 || d >= best) continue;
    const auto sel = details.value<QCPDataSelection>();
    auto* iface = p->interface1D();
    if (iface == nullptr || sel.isEmpty()) continue;
    const int idx = sel.dataRange(0).begin();
    if (idx < 0 || idx >= iface->dataCount()) continue;
    best = d;
    QString key = QString::number(iface->dataMainKey(idx), 'g', 6);
    if (auto* ticker = dynamic_cast<QCPAxisTickerText*>(p->keyAxis()->ticker().data())) {
      const auto& labels = ticker->ticks();
      auto it = labels.find(iface->dataMainKey(idx));
      if (it != labels.end()) key = it.value();
    } else if (dynamic_cast<QCPAxisTickerDateTime*>(p->keyAxis()->ticker().data())) {
      key = QDateTime::fromSecsSinceEpoch(static_cast<qint64>(iface->dataMainKey(idx)), Qt::UTC)
                .toString(QStringLiteral("yyyy-MM-dd"));
    }
    text = QStringLiteral("%1\n%2: %3\n%4: %5")
               .arg(p->name(), p->keyAxis()->label().isEmpty() ? tr("x") : p->keyAxis()->label(),
                    key, p->valueAxis()->label().isEmpty() ? tr("y") : p->valueAxis()->label(),
                    QString::number(iface->dataMainValue(idx), 'g', 6));
  }
  if (text.isEmpty() && !cellTips_.isEmpty() && axisRect()->rect().contains(pos.toPoint())) {
    const int x = static_cast<int>(std::lround(xAxis->pixelToCoord(pos.x())));
    const int y = static_cast<int>(std::lround(yAxis->pixelToCoord(pos.y())));
    text = cellTips_.value({x, y});
  }
  return text;
}

void ChartView::contextMenuEvent(QContextMenuEvent* event) {
  QMenu menu(this);
  menu.addAction(tr("Reset zoom"), this, [this] { fit(); });
  menu.addAction(legend->visible() ? tr("Hide legend") : tr("Show legend"), this, [this] {
    legend->setVisible(!legend->visible());
    replot();
  });
  menu.addSeparator();
  menu.addAction(tr("Export PNG..."), this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export chart"), title_ + ".png",
                                                      tr("PNG image (*.png)"));
    if (!path.isEmpty()) exportTo(path);
  });
  menu.addAction(tr("Export PDF..."), this, [this] {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export chart"), title_ + ".pdf",
                                                      tr("PDF document (*.pdf)"));
    if (!path.isEmpty()) exportTo(path);
  });
  menu.exec(event->globalPos());
}

}  // namespace rwb::ui
