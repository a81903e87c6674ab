#include "ui/data_controller.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>
#include <filesystem>

#include "core/data/dataset_loader.h"
#include "core/experiment/pipeline_stages.h"
#include "core/util/connection_string.h"
#include "ui/session.h"
#include "ui/task_runner.h"

namespace rwb::ui {

namespace {
constexpr int kMaxRecent = 8;

/// The result of a load task: the dataset plus its report.
struct Loaded {
  std::shared_ptr<Dataset> data;
  LoadResult report;
};

DatasetSource toSource(const nlohmann::json& j) {
  return datasetSourceFromJson(j, "$.dataset", std::filesystem::current_path());
}

QString absolute(const QString& path) { return QFileInfo(path).absoluteFilePath(); }
}  // namespace

DataController::DataController(Session* session, TaskRunner* runner, QObject* parent)
    : QObject(parent), session_(session), runner_(runner) {
  connect(runner_, &TaskRunner::taskProgress, this,
          [this](int id, double fraction, const QString& stage) {
            if (id == task_) emit loadProgress(fraction, stage);
          });
}

void DataController::track(int task) { task_ = task; }

QStringList DataController::recentFiles() const {
  return QSettings().value(QStringLiteral("recent/files")).toStringList();
}

void DataController::clearRecentFiles() {
  QSettings().remove(QStringLiteral("recent/files"));
  emit recentFilesChanged();
}

void DataController::addRecent(const QString& path) {
  QStringList list = recentFiles();
  list.removeAll(path);
  list.prepend(path);
  while (list.size() > kMaxRecent) list.removeLast();
  QSettings().setValue(QStringLiteral("recent/files"), list);
  emit recentFilesChanged();
}

QString DataController::defaultDataFile(const QString& path) {
  QFileInfo fi(path);
  if (!fi.isDir()) return path;
  QDir dir(path);
  for (const QString& name :
       {QStringLiteral("interactions.csv"), QStringLiteral("u.data"), QStringLiteral("ratings.csv"),
        QStringLiteral("train.tsv"), QStringLiteral("train.csv")}) {
    if (dir.exists(name)) return dir.filePath(name);
  }
  const QStringList any = dir.entryList({"*.csv", "*.tsv"}, QDir::Files, QDir::Name);
  return any.isEmpty() ? path : dir.filePath(any.first());
}

bool DataController::openSampleData() {
  const QString dir = QStringLiteral(RWB_SAMPLE_DATA_DIR);
  if (!QFileInfo(dir).isDir()) return false;
  if (defaultDataFile(dir) == dir) return false;
  DatasetOptions o;
  o.interactions.strict = false;
  loadData(dir, o);
  return true;
}

nlohmann::json DataController::canonicalSource(const nlohmann::json& source) {
  try {
    return datasetSourceToJson(toSource(source));
  } catch (const std::exception&) {
    return source;
  }
}

void DataController::loadData(const QString& path, const DatasetOptions& options) {
  // A folder with a known layout (RecWorkbench folder with items.csv / users.csv, MovieLens) is
  // loaded as a whole so that its attribute tables come with the interactions.
  QString target = path;
  DatasetOptions o = options;
  o.format = DataFormat::kDelimited;
  if (QFileInfo(path).isDir()) {
    DataFormat f = DataFormat::kDelimited;
    try {
      f = detectDataFormat(path.toStdString());
    } catch (const std::exception&) {
      f = DataFormat::kDelimited;
    }
    if (f == DataFormat::kRecWorkbench || f == DataFormat::kMovieLens100K ||
        f == DataFormat::kMovieLens1M || f == DataFormat::kMovieLensLatest) {
      o.format = DataFormat::kAuto;
    } else {
      target = defaultDataFile(path);
    }
  }
  const nlohmann::json src = datasetSourceToJson({absolute(target).toStdString(), o});
  // A recsplit-style file holds its own held-out test file: offer it as the test set.
  QString test;
  QFileInfo fi(target);
  if (o.format == DataFormat::kDelimited && fi.fileName().startsWith(QStringLiteral("train"))) {
    const QString candidate =
        fi.dir().filePath(fi.fileName().replace(0, 5, QStringLiteral("test")));
    if (QFileInfo::exists(candidate)) test = absolute(candidate);
  }
  loadSource(src, test);
}

std::string DataController::connectionFor(const std::string& source) const {
  const auto it = credentials_.find(source);
  return it == credentials_.end() ? source : it->second;
}

void DataController::loadDatabase(const QString& sourceIn, const QString& password,
                                  const DatasetOptions& options) {
  std::string source = sourceIn.trimmed().toStdString();
  const bool server = databaseKind(source) != DatabaseKind::kNone;
  if (!server) source = absolute(QString::fromStdString(source)).toStdString();
  const std::string shown = redactConnectionString(source);
  const std::string full = withPassword(source, password.toStdString());
  if (full != shown) {
    credentials_[shown] = full;
  } else {
    credentials_.erase(shown);
  }
  DatasetOptions o = options;
  o.format = server ? DataFormat::kAuto : DataFormat::kSqlite;
  loadSource(datasetSourceToJson({shown, o}));
}

void DataController::loadSource(const nlohmann::json& given, const QString& testPath) {
  DatasetSource src;
  try {
    src = toSource(given);
  } catch (const std::exception& e) {
    const QString message = QString::fromUtf8(e.what());
    emit status(tr("Loading failed"));
    emit errorMessage(tr("Cannot load the dataset entry"), message);
    emit loadFailed(message);
    return;
  }
  // A server source with credentials in it is kept without them; they serve this session only.
  const bool server = databaseKind(src.path) != DatabaseKind::kNone;
  if (server) {
    const std::string shown = redactConnectionString(src.path);
    if (shown != src.path) credentials_[shown] = src.path;
    src.path = shown;
  }
  // Kept in canonical form: a spec saved from the GUI names the data as datasetSourceToJson
  // writes it, whatever spelling the entry came with.
  const nlohmann::json source = datasetSourceToJson(src);
  const QString file = QString::fromStdString(src.path);
  QFileInfo fi(file);
  // A server source is named by its loader (the database's name).
  const std::string name = server ? std::string()
                                  : (fi.isDir() || fi.fileName() == QStringLiteral("u.data") ||
                                             fi.fileName().startsWith(QStringLiteral("train"))
                                         ? (fi.isDir() ? fi.fileName() : fi.dir().dirName())
                                         : fi.completeBaseName())
                                        .toStdString();
  emit logMessage(tr("Loading %1 ...").arg(file));
  const QString label = server ? file : fi.fileName();
  emit status(tr("Loading %1 ...").arg(label));
  emit loadStarted(file);
  track(runner_->start<Loaded>(
      tr("Loading %1").arg(label),
      [src, name, connect = connectionFor(src.path)](TaskContext& ctx) {
        DatasetSource read = src;
        read.path = connect;
        Loaded out;
        out.report = loadDatasetSource(read, ctx);
        out.data = std::make_shared<Dataset>(std::move(out.report.dataset));
        if (!name.empty()) out.data->name = name;
        return out;
      },
      this,
      [this, file, source, testPath](Loaded l) {
        const auto data = l.data;
        emit logMessage(tr("Loaded %1: %L2 users, %L3 items, %L4 interactions (%L5 rows skipped); "
                           "%L6 item and %L7 user attribute columns.")
                            .arg(file)
                            .arg(data->numUsers())
                            .arg(data->numItems())
                            .arg(data->numInteractions())
                            .arg(l.report.rowsSkipped())
                            .arg(data->itemAttributes.columns.size())
                            .arg(data->userAttributes.columns.size()));
        emit status(tr("%1: %L2 interactions")
                        .arg(QString::fromStdString(data->name))
                        .arg(data->numInteractions()));
        session_->setSourceSpec(source);
        session_->setDataset(std::const_pointer_cast<const Dataset>(data), std::move(l.report),
                             file);
        addRecent(file);
        if (!testPath.isEmpty()) {
          loadTestSet(testPath, DelimitedOptions{});
        } else {
          emit dataReady();
        }
        emit datasetLoaded();
      },
      [this, label](const QString& e) {
        emit status(tr("Loading failed"));
        emit errorMessage(tr("Cannot load %1").arg(label), e);
        emit loadFailed(e);
      }));
}

void DataController::loadTestSet(const QString& path, const DelimitedOptions& options) {
  auto base = session_->dataset();
  if (!base) return;
  const std::string p = absolute(path).toStdString();
  // Read with the dataset entry's options, as `recwb run` reads a split's test file.
  const nlohmann::json source = session_->sourceSpec();
  const bool fromSpec = source.contains("path");
  track(runner_->start<Loaded>(
      tr("Loading test set %1").arg(QFileInfo(path).fileName()),
      [p, options, base, source, fromSpec](TaskContext& ctx) {
        Loaded out;
        out.report = fromSpec ? loadTestSource(toSource(source), p, *base, ctx)
                              : loadDelimited(p, options, ctx, base.get());
        out.data = std::make_shared<Dataset>(std::move(out.report.dataset));
        out.data->name = base->name + "-test";
        return out;
      },
      this,
      [this, path, base](Loaded l) {
        if (base != session_->dataset()) return;  // the dataset changed meanwhile
        const std::size_t newUsers = l.data->numUsers() - base->numUsers();
        const std::size_t newItems = l.data->numItems() - base->numItems();
        emit logMessage(
            tr("Test set %1: %L2 interactions; %L3 users and %L4 items not in the training "
               "data.")
                .arg(path)
                .arg(l.data->numInteractions())
                .arg(newUsers)
                .arg(newItems));
        session_->setTestSet(std::const_pointer_cast<const Dataset>(l.data), absolute(path));
        emit dataReady();
      },
      [this, path](const QString& e) {
        emit errorMessage(tr("Cannot load test set %1").arg(path), e);
      }));
}

}  // namespace rwb::ui
