#include "ui/model_text.h"

#include <QObject>
#include <QStringList>

#include "core/models/registry.h"

namespace rwb::ui {

namespace {
constexpr int kMaxValueChars = 16;
}

QString modelDisplayName(const std::string& model) {
  const ModelInfo* info = findModel(model);
  return QString::fromStdString(info ? info->displayName : model);
}

QString paramSummary(const std::string& model, const Params& params) {
  const ModelInfo* info = findModel(model);
  const Params differing = info ? info->schema.nonDefault(params) : params;
  if (!differing.is_object() || differing.empty()) return QObject::tr("defaults");
  QStringList parts;
  for (auto it = differing.begin(); it != differing.end(); ++it) {
    QString value = it.value().is_string() ? QString::fromStdString(it.value().get<std::string>())
                                           : QString::fromStdString(it.value().dump());
    if (value.size() > kMaxValueChars) value = value.left(kMaxValueChars - 1) + QChar(0x2026);
    parts << QStringLiteral("%1=%2").arg(QString::fromStdString(it.key()), value);
  }
  return parts.join(QStringLiteral(", "));
}

QString modelWithParams(const std::string& model, const Params& params) {
  return QStringLiteral("%1 (%2)").arg(modelDisplayName(model), paramSummary(model, params));
}

}  // namespace rwb::ui
