#include "ui/log_pane.h"

#include <QDateTime>
#include <QPlainTextEdit>

namespace rwb::ui {

LogPane::LogPane(QWidget* parent) : QDockWidget(tr("Log"), parent) {
  setObjectName("LogPane");
  text_ = new QPlainTextEdit(this);
  text_->setReadOnly(true);
  text_->setMaximumBlockCount(5000);
  text_->setFont(QFont(QStringLiteral("monospace"), 9));
  setWidget(text_);
}

QString LogPane::text() const { return text_->toPlainText(); }

void LogPane::info(const QString& message) { append(message, QString()); }

void LogPane::error(const QString& message) { append(message, QStringLiteral("#b00000")); }

void LogPane::append(const QString& message, const QString& color) {
  const QString stamp = QTime::currentTime().toString(QStringLiteral("HH:mm:ss"));
  QString html = QStringLiteral("<span style='color:#888'>%1</span> ").arg(stamp);
  html +=
      color.isEmpty()
          ? message.toHtmlEscaped()
          : QStringLiteral("<span style='color:%1'>%2</span>").arg(color, message.toHtmlEscaped());
  text_->appendHtml(html);
}

}  // namespace rwb::ui
