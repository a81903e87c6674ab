// File > Open from Database: the dialog's live preview and mapping against SQLite (the same
// core/data/sql_rows path as the servers), the load into the session and a project that reopens
// it; with `--database`, against the throwaway PostgreSQL of scripts/test-databases.sh: a
// password typed in the dialog reaches neither the project file, the settings, the log pane nor
// the load report, and a slow preview is cancelled. Without the server those cases report
// "skipped: no test database".
#include "ui/database_dialog.h"

#include <sqlite3.h>

#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>
#include <random>

#include "core/util/connection_string.h"
#include "core/util/pg_connection.h"
#include "ui/data_controller.h"
#include "ui/data_view.h"
#include "ui/experiment_view.h"
#include "ui/log_pane.h"
#include "ui/main_window.h"
#include "ui/session.h"

using namespace rwb;
using namespace rwb::ui;

namespace {

bool execSql(const QString& file, const std::string& sql) {
  sqlite3* db = nullptr;
  bool ok = sqlite3_open(file.toUtf8().constData(), &db) == SQLITE_OK &&
            sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(db);
  return ok;
}

/// `rows` ratings of 60 customers over 30 products (customer, product, stars, ts), and items.
std::string shopSql(const std::string& table, int rows) {
  std::string sql = "CREATE TABLE " + table +
                    "(customer TEXT, product TEXT, stars REAL, ts INTEGER);"
                    "INSERT INTO " +
                    table + " VALUES ";
  std::mt19937 rng(3);
  for (int r = 0; r < rows; ++r) {
    sql += (r ? "," : "") + std::string("('c") + std::to_string(r % 60) + "','p" +
           std::to_string(rng() % 30) + "'," + std::to_string(1 + static_cast<int>(rng() % 5)) +
           "," + std::to_string(1700000000 + r * 60) + ")";
  }
  return sql + ";";
}

QString makeShop(const QTemporaryDir& dir) {
  const QString file = dir.filePath("shop.db");
  if (!execSql(file, shopSql("ratings", 900) +
                         "CREATE TABLE items(product TEXT, genre TEXT);"
                         "INSERT INTO items VALUES ('p1','drama'),('p2','comedy');")) {
    return {};
  }
  return file;
}

bool waitPreview(DatabaseDialog& d) {
  if (!d.previewRunning()) return true;
  QSignalSpy done(&d, &DatabaseDialog::previewFinished);
  return done.wait(30000);
}

QString headers(const QAbstractItemModel* m) {
  QStringList out;
  for (int c = 0; c < m->columnCount(); ++c) out << m->headerData(c, Qt::Horizontal).toString();
  return out.join(QLatin1Char('|'));
}

QByteArray fileBytes(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

/// Every value QSettings holds, as text (recent lists, remembered specs).
QString settingsText() {
  QSettings s;
  QString out;
  for (const QString& k : s.allKeys()) out += k + QLatin1Char('=') + s.value(k).toString() + '\n';
  return out;
}

}  // namespace

class DatabaseDialogTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
  }

  /// The preview shows the first rows with names and types off the GUI thread, fills the
  /// mapping boxes from the result's names, and says what the loader detects.
  void previewShowsNamesTypesAndMapping() {
    QTemporaryDir dir;
    const QString db = makeShop(dir);
    QVERIFY(!db.isEmpty());
    DatabaseDialog d(db);
    // The preview runs on a worker: the constructor returned before it ended.
    QVERIFY(d.previewRunning());
    QVERIFY(waitPreview(d));
    QCOMPARE(d.previewModel()->rowCount(), int(DatabaseDialog::kPreviewRows));
    QVERIFY(d.preview().more);
    QVERIFY2(d.previewStatus().contains(db + "#ratings"), qPrintable(d.previewStatus()));
    QVERIFY2(d.previewError().isEmpty(), qPrintable(d.previewError()));
    // The headers carry the name, the role the loader detected and the declared type; the boxes
    // say what detection picks and list every column with its type.
    QString h = headers(d.previewModel());
    QVERIFY2(h.contains(QString::fromUtf8("customer \u2192 user\nTEXT")) &&
                 h.contains(QString::fromUtf8("ts \u2192 timestamp\nINTEGER")) &&
                 h.contains(QStringLiteral("|stars\nREAL|")),
             qPrintable(h));
    const QStringList choices = d.columnChoices("user");
    QCOMPARE(choices.value(0), QStringLiteral("(detect: customer)"));
    QVERIFY2(choices.contains("stars (REAL)"), qPrintable(choices.join(", ")));
    QCOMPARE(d.columnChoices("value").value(0), QStringLiteral("(detect)"));
    QCOMPARE(d.preview().value, -1);

    // "stars" is no well-known value name: chosen by hand.
    QVERIFY(d.setColumn("value", "stars"));
    QVERIFY(waitPreview(d));
    QVERIFY2(d.previewError().isEmpty(), qPrintable(d.previewError()));
    QCOMPARE(d.preview().user, 0);
    QCOMPARE(d.preview().item, 1);
    QCOMPARE(d.preview().value, 2);
    h = headers(d.previewModel());
    QVERIFY2(h.contains(QString::fromUtf8("stars \u2192 value\nREAL")), qPrintable(h));
    QVERIFY2(d.previewStatus().contains("accepts 50"), qPrintable(d.previewStatus()));
    const DatasetOptions o = d.options();
    QVERIFY(o.interactions.user.name.empty());  // detected
    QCOMPARE(o.interactions.value.name, std::string("stars"));
    QVERIFY(o.table.empty());  // the default table: the loader picks "ratings" as the preview did

    // A query instead of the table; the columns keep their names.
    d.setQuery(0, "SELECT customer, product, stars FROM ratings WHERE stars >= 4 LIMIT 7");
    QVERIFY(waitPreview(d));
    QCOMPARE(d.previewModel()->rowCount(), 7);
    QVERIFY(!d.preview().more);
    QCOMPARE(d.options().query,
             std::string("SELECT customer, product, stars FROM ratings WHERE stars >= 4 LIMIT 7"));

    // The item attributes tab previews the items table and offers its columns as the id.
    d.showPart(1);
    QVERIFY(waitPreview(d));
    QCOMPARE(d.previewModel()->rowCount(), 2);
    QVERIFY(d.columnChoices("items_id").contains("genre (TEXT)"));
    QVERIFY(d.setColumn("items_id", "product"));
    QVERIFY(waitPreview(d));
    QCOMPARE(d.options().itemAttributes.id.name, std::string("product"));
  }

  /// Bad values, bad SQL and bad sources are shown inline, located, with the GUI responsive.
  void previewLocatesErrors() {
    QTemporaryDir dir;
    const QString db = makeShop(dir);
    QVERIFY(execSql(db, "UPDATE ratings SET stars = 'lots' WHERE rowid = 4;"));
    DatabaseDialog d(db);
    QVERIFY(waitPreview(d));
    QVERIFY(d.setColumn("user", "customer"));
    QVERIFY(waitPreview(d));
    QVERIFY(d.setColumn("item", "product"));
    QVERIFY(waitPreview(d));
    QVERIFY(d.setColumn("value", "stars"));
    QVERIFY(waitPreview(d));
    QVERIFY2(d.previewError().startsWith("Row 4, column 3 'stars': "),
             qPrintable(d.previewError()));
    QVERIFY(d.previewStatus().contains("Cannot load with these settings"));
    // The offending cell is marked and carries the message.
    auto* model = qobject_cast<QStandardItemModel*>(d.previewModel());
    QVERIFY(model != nullptr);
    QCOMPARE(model->item(3, 2)->text(), QStringLiteral("lots"));
    QVERIFY(!model->item(3, 2)->toolTip().isEmpty());
    QVERIFY(model->item(2, 2)->toolTip().isEmpty());
    // Lenient: the row is skipped and counted; the others load.
    d.setLenient(true);
    QVERIFY(waitPreview(d));
    QVERIFY(d.previewError().isEmpty());
    QVERIFY2(
        d.previewStatus().contains("Row 4, column 3") && d.previewStatus().contains("accepts 49"),
        qPrintable(d.previewStatus()));

    // A mapped column the result does not have: refused inline, naming the columns.
    d.setQuery(0, "SELECT customer AS who, product AS what FROM ratings");
    QVERIFY(waitPreview(d));
    QVERIFY2(d.previewError().contains("no column named 'customer'") &&
                 d.previewError().contains("who, what"),
             qPrintable(d.previewError()));
    QCOMPARE(d.previewModel()->rowCount(), int(DatabaseDialog::kPreviewRows));

    d.setQuery(0, "SELEC customer FROM ratings");
    QVERIFY(waitPreview(d));
    QVERIFY2(d.previewError().contains("syntax error") && d.previewError().contains(db),
             qPrintable(d.previewError()));
    QCOMPARE(d.previewModel()->rowCount(), 0);
    d.setTable(0, "nope");
    QVERIFY(waitPreview(d));
    QVERIFY2(d.previewError().contains("no table 'nope'") && d.previewError().contains("ratings"),
             qPrintable(d.previewError()));
    d.setSource(dir.filePath("missing.db"));
    QVERIFY(waitPreview(d));
    QVERIFY2(d.previewError().contains("missing.db"), qPrintable(d.previewError()));
    d.setSource("postgresql://nobody:hunter2@127.0.0.1:1/none?connect_timeout=5");
    QVERIFY(waitPreview(d));
    QVERIFY2(!d.previewError().isEmpty() && !d.previewError().contains("hunter2") &&
                 !d.previewStatus().contains("hunter2"),
             qPrintable(d.previewError()));

    // A newer preview replaces one in flight; a cancel drops it.
    d.setSource(db);
    d.refreshPreview();
    QVERIFY(d.previewRunning());
    d.cancelPreview();
    QVERIFY(!d.previewRunning());
    QCOMPARE(d.previewStatus(), QStringLiteral("Preview cancelled."));
  }

  /// Load goes through the data controller's background load; the session, the report and the
  /// project name the source with its table and mapping, and reopening the project reloads it.
  void loadIntoSessionAndReopenProject() {
    QTemporaryDir dir;
    const QString db = makeShop(dir);
    const QString project = dir.filePath("db.rwbproj");
    QSettings().clear();
    {
      MainWindow w;
      w.setQuiet(true);
      QCOMPARE(w.newProject(project), QString());
      DatabaseDialog d(db);
      QVERIFY(waitPreview(d));
      QVERIFY(d.setColumn("user", "customer"));
      QVERIFY(d.setColumn("item", "product"));
      QVERIFY(d.setColumn("value", "stars"));
      QVERIFY(waitPreview(d));
      QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
      w.dataController()->loadDatabase(d.source(), d.password(), d.options());
      QVERIFY(loaded.wait(30000));
      const auto data = w.session()->dataset();
      QCOMPARE(data->numInteractions(), std::size_t{900});
      QCOMPARE(data->numUsers(), std::size_t{60});
      QCOMPARE(data->itemAttributes.columns.size(), std::size_t{1});  // genre
      const nlohmann::json src = w.session()->sourceSpec();
      QCOMPARE(QString::fromStdString(src.value("path", "")), QFileInfo(db).absoluteFilePath());
      QCOMPARE(src.value("format", ""), std::string("sqlite"));
      QCOMPARE(src["columns"].value("user", ""), std::string("customer"));
      const QString report = w.dataView()->reportText();
      QVERIFY2(report.contains("Read from " + QFileInfo(db).absoluteFilePath() + "#ratings"),
               qPrintable(report));
      QCOMPARE(w.saveProject(), QString());
    }
    MainWindow w;
    w.setQuiet(true);
    QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
    w.openProject(project);
    QVERIFY(loaded.wait(30000));
    QCOMPARE(w.session()->dataset()->numInteractions(), std::size_t{900});
    QCOMPARE(QString::fromStdString(w.session()->sourceSpec()["columns"].value("item", "")),
             QStringLiteral("product"));
  }
};

/// Against the throwaway PostgreSQL server (RWB_TEST_PG_URI, PGPASSWORD).
class DatabaseServerTest : public QObject {
  Q_OBJECT

 private:
  std::string uri_, password_, table_;

  bool haveServer() {
    uri_ = qEnvironmentVariable("RWB_TEST_PG_URI").toStdString();
    password_ = qEnvironmentVariable("PGPASSWORD").toStdString();
    return !uri_.empty() && !password_.empty();
  }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
    if (!haveServer()) {
      QSKIP(
          "skipped: no test database (RWB_TEST_PG_URI / PGPASSWORD unset; scripts/test.sh "
          "starts one)");
    }
    std::random_device rd;
    table_ = "ui_" + std::to_string(rd() % 1000000000u);
    PgConnection db(uri_);
    db.exec(shopSql(table_, 900), "creating the test table");
  }

  /// A case that unsets PGPASSWORD and fails midway must not take the server from the others.
  void cleanup() {
    if (!password_.empty()) qputenv("PGPASSWORD", QByteArray::fromStdString(password_));
  }

  void cleanupTestCase() {
    if (table_.empty()) return;
    try {
      PgConnection db(uri_);
      db.exec("DROP TABLE " + table_, "dropping the test table");
    } catch (const std::exception&) {
    }
  }

  /// A password typed in the dialog (and none in the environment) opens the server for this
  /// session, and is found in no file, setting, log line or report; reopening the project later
  /// gets it from the environment.
  void typedPasswordIsNeverStored() {
    QTemporaryDir dir;
    const QString project = dir.filePath("pg.rwbproj");
    const QString uri = QString::fromStdString(uri_);
    const QByteArray secret = QByteArray::fromStdString(password_);
    qunsetenv("PGPASSWORD");  // the dialog's field is the only place the password is
    QString log, report;
    {
      MainWindow w;
      w.setQuiet(true);
      QCOMPARE(w.newProject(project), QString());
      DatabaseDialog d(uri);
      d.setTable(0, QString::fromStdString(table_));
      QVERIFY(waitPreview(d));
      // Without a password the server refuses: said inline, nothing frozen.
      QVERIFY2(d.previewError().contains("password"), qPrintable(d.previewError()));
      d.setPassword(QString::fromStdString(password_));
      d.refreshPreview();
      QVERIFY(waitPreview(d));
      QVERIFY2(d.previewError().isEmpty(), qPrintable(d.previewError()));
      QCOMPARE(d.previewModel()->rowCount(), int(DatabaseDialog::kPreviewRows));
      QVERIFY(d.setColumn("value", "stars"));
      QVERIFY(waitPreview(d));
      QVERIFY2(d.previewError().isEmpty(), qPrintable(d.previewError()));
      // The server's own type names (REAL is PostgreSQL's "real").
      QVERIFY2(
          headers(d.previewModel())
              .contains(QString::fromUtf8("stars \u2192 value\nreal|ts \u2192 timestamp\ninteger")),
          qPrintable(headers(d.previewModel())));

      QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
      w.dataController()->loadDatabase(d.source(), d.password(), d.options());
      QVERIFY(loaded.wait(60000));
      QCOMPARE(w.session()->dataset()->numInteractions(), std::size_t{900});
      // A run is recorded in the project with its spec and data source.
      QVERIFY(w.experimentView()->addModel("most_popular"));
      QSignalSpy finished(w.experimentView(), &ExperimentView::runFinished);
      w.experimentView()->runAll();
      QVERIFY(finished.wait(120000));
      QCOMPARE(w.saveProject(), QString());
      // A wrong password planted the same way fails with a message that does not hold it.
      QSignalSpy failed(&w, &MainWindow::loadFailed);
      w.dataController()->loadDatabase(uri, "wrong-" + QString::fromStdString(password_),
                                       d.options());
      QVERIFY(failed.wait(60000));
      log = w.logPane()->text();
      report = w.dataView()->reportText();
      QVERIFY2(report.contains(QStringLiteral("Read from %1#%2")
                                   .arg(QString::fromStdString(redactConnectionString(uri_)),
                                        QString::fromStdString(table_))),
               qPrintable(report));
      QVERIFY2(QString::fromStdString(w.session()->sourceSpec().dump()).contains(uri),
               w.session()->sourceSpec().dump().c_str());
    }
    QVERIFY2(!log.contains(QString::fromStdString(password_)), qPrintable(log));
    QVERIFY(log.contains("Loaded " + uri));
    QVERIFY(!report.contains(QString::fromStdString(password_)));
    QVERIFY(!report.isEmpty());
    const QByteArray stored = fileBytes(project);
    QVERIFY(stored.size() > 0);
    QVERIFY(stored.contains(QByteArray::fromStdString(table_)));  // the spec is in there
    // ... naming the server as it is (not as a file path), without the password.
    QVERIFY(stored.contains("\"path\":\"" + uri.toUtf8() + "\""));
    QVERIFY(!stored.contains(secret));
    QVERIFY(!fileBytes(project + "-wal").contains(secret));
    QVERIFY(!settingsText().contains(QString::fromStdString(password_)));

    // A new session: the password comes from the environment, as .pgpass would give it.
    qputenv("PGPASSWORD", secret);
    MainWindow w;
    w.setQuiet(true);
    QSignalSpy loaded(&w, &MainWindow::datasetLoaded);
    w.openProject(project);
    QVERIFY2(loaded.wait(60000), qPrintable(w.logPane()->text()));
    QCOMPARE(w.session()->dataset()->numInteractions(), std::size_t{900});
  }

  /// A slow query is previewed off the GUI thread and cancelled on the server.
  void slowPreviewIsCancelled() {
    DatabaseDialog d(QString::fromStdString(uri_));
    QVERIFY(waitPreview(d));
    d.setQuery(0, "SELECT 'u' AS user_id, 'i' AS item_id FROM pg_sleep(30)");
    QVERIFY(d.previewRunning());
    // The GUI thread stays free while the server sleeps.
    QElapsedTimer t;
    t.start();
    int ticks = 0;
    QTimer tick;
    connect(&tick, &QTimer::timeout, [&] { ++ticks; });
    tick.start(20);
    QTest::qWait(500);
    QVERIFY2(ticks >= 15, qPrintable(QString::number(ticks)));
    QVERIFY(d.previewRunning());
    d.cancelPreview();
    QVERIFY(!d.previewRunning());
    QVERIFY(t.elapsed() < 5000);
    // A type error of the server's rows is located like a file's.
    d.setQuery(0,
               "SELECT 'u' AS user_id, 'i' AS item_id, 'x' AS rating UNION ALL "
               "SELECT 'u2', 'i2', 'not a number'");
    QVERIFY(waitPreview(d));
    QVERIFY2(d.previewError().startsWith("Row 1, column 3 'rating'"), qPrintable(d.previewError()));
  }
};

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  app.setOrganizationName(QStringLiteral("RecWorkbenchTest"));
  app.setApplicationName(QStringLiteral("test_ui_db"));
  // `--database` runs the server cases (their own CTest entry); anything else goes to QtTest.
  QStringList args = app.arguments();
  const bool server = args.removeAll(QStringLiteral("--database")) > 0;
  if (server) {
    DatabaseServerTest t;
    return QTest::qExec(&t, args);
  }
  DatabaseDialogTest t;
  return QTest::qExec(&t, args);
}

#include "database_dialog_test.moc"
