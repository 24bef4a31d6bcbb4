// The desktop app against real S3 servers from the test harness (moto; moto_iam checks every
// signature): a profile with typed-in credentials whose secret, with no keychain service,
// stays in memory for the session only; Test connection showing the server's own error codes;
// browse, inspect, restore, delete and an age-flush preview on a seeded bucket.
#include "bucketview.h"
#include "buckettreemodel.h"
#include "cacheactions.h"
#include "connectionbar.h"
#include "detailspane.h"
#include "archiveentrymodel.h"
#include "flushdialog.h"
#include "guitest.h"
#include "jobpanel.h"
#include "jobprogresswidget.h"
#include "mainwindow.h"
#include "messagebanner.h"
#include "profiledialog.h"
#include "profilestore.h"
#include "session.h"

#include "cache/rebuildjob.h"
#include "cache/s3store.h"
#include "testservers.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTreeWidget>

using namespace s3cache;

namespace {

const QString kWeb = QStringLiteral("ci/acme/webapp/archive.tar.zst");
const QString kApi = QStringLiteral("ci/acme/api/archive.tgz");
const QString kTool = QStringLiteral("ci/beta/tool/archive.tar.zst");
// moto checks no signatures, so any secret works there: one that cannot be mistaken on disk.
const QString kTypedSecret = QStringLiteral("gui-typed-secret-7f3a9c-must-never-be-on-disk");

} // namespace

class TestMainWindowS3 : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<QSettings> m_settings;
    test::TestServer m_moto;
    QString m_bucket;

    S3ClientConfig configFor(const test::TestServer &server, const QString &bucket) const
    {
        EndpointOptions options;
        options.server = server.endpoint;
        options.bucket = bucket;
        options.region = server.region;
        S3ClientConfig config;
        config.endpoint = *resolveEndpoint(options);
        config.credentials = {server.accessKey, server.secretKey, {}, QStringLiteral("test")};
        return config;
    }

    ConnectionProfile profileFor(const test::TestServer &server, const QString &bucket) const
    {
        ConnectionProfile p;
        p.name = server.name;
        p.server = server.endpoint;
        p.bucket = bucket;
        p.region = server.region;
        p.credentials = CredentialMode::AccessKey;
        p.accessKey = server.accessKey;
        return p;
    }

    std::unique_ptr<MainWindow> openConnected()
    {
        auto window = std::make_unique<MainWindow>(m_settings.get(), QStringLiteral("s3cache-gui-test"));
        window->show();
        QSignalSpy listed(window->bucketView(), &BucketView::listingFinished);
        window->connectionBar()->connectAdHoc(profileFor(m_moto, m_bucket), m_moto.secretKey);
        if (!listed.wait(60000) || listed.first().first().value<Error>())
            qWarning("listing failed");
        return window;
    }

    void closeWindow(std::unique_ptr<MainWindow> &window)
    {
        window->session()->cancelAll();
        QTRY_COMPARE_WITH_TIMEOUT(window->session()->runningJobs(), 0, 60000);
        window.reset();
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_settings = std::make_unique<QSettings>(m_dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
        QString error;
        m_moto = test::testServer(QStringLiteral("moto"), &error);
        QVERIFY2(m_moto.isValid(), qPrintable(error));
        m_bucket = test::uniqueBucketName(QStringLiteral("gui"));
        const S3CallResult created = S3Connection(configFor(m_moto, m_bucket)).createBucket();
        QVERIFY2(!created.error, qPrintable(created.error.toString()));
        S3Store store(configFor(m_moto, m_bucket));
        int seed = 10;
        for (const QString &key : {kWeb, kApi, kTool}) {
            const QString ws = m_dir.filePath(QStringLiteral("ws-%1").arg(seed));
            test::makeWorkspace(ws, seed++, 15);
            const Error e = test::rebuildInto(store, key, ws);
            QVERIFY2(!e, qPrintable(e.toString()));
        }
    }

    void typedCredentialsStayInMemoryWithoutKeychain()
    {
        auto w = std::make_unique<MainWindow>(m_settings.get(), QStringLiteral("s3cache-gui-test"));
        w->show();
        w->connectionBar()->newProfile();
        ProfileDialog *dialog = w->connectionBar()->dialog();
        QVERIFY(dialog);
        dialog->nameEdit()->setText(QStringLiteral("moto"));
        dialog->serverEdit()->setText(m_moto.endpoint);
        dialog->bucketEdit()->setText(m_bucket);
        dialog->credentialsCombo()->setCurrentIndex(int(CredentialMode::AccessKey));
        QVERIFY(dialog->secretKeyEdit()->isEnabled());
        dialog->accessKeyEdit()->setText(m_moto.accessKey);
        dialog->secretKeyEdit()->setText(kTypedSecret);
        QSignalSpy tested(dialog, &ProfileDialog::testFinished);
        dialog->testButton()->click();
        QVERIFY(tested.wait(60000));
        QVERIFY2(tested.first().first().toBool(), qPrintable(dialog->banner()->text()));
        QVERIFY2(dialog->banner()->text().contains(QStringLiteral("3 objects")), qPrintable(dialog->banner()->text()));
        QVERIFY(test::saveScreenshot(dialog, QStringLiteral("s3-profile-tested")));

        QSignalSpy listed(w->bucketView(), &BucketView::listingFinished);
        dialog->saveButton()->click();
        QVERIFY(listed.wait(60000));
        QVERIFY(!listed.first().first().value<Error>());
        QCOMPARE(w->bucketView()->model()->summary().root()->objects, 3);
        // No keychain service in the test environment: the user is told where the secret is.
        QTRY_VERIFY_WITH_TIMEOUT(w->banner()->text().contains(QStringLiteral("this session only")), 10000);
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("s3-browse")));

        m_settings->sync();
        QFile ini(m_settings->fileName());
        QVERIFY(ini.open(QIODevice::ReadOnly));
        const QByteArray stored = ini.readAll();
        QVERIFY(stored.contains(m_moto.accessKey.toUtf8()));
        QVERIFY(!stored.contains(kTypedSecret.toUtf8()));
        closeWindow(w);

        // The next session has the profile but not the secret: connecting says what is missing.
        auto next = std::make_unique<MainWindow>(m_settings.get(), QStringLiteral("s3cache-gui-test"));
        next->show();
        QSignalSpy failed(next->session(), &Session::connectFailed);
        next->connectionBar()->connectProfile(QStringLiteral("moto"));
        QVERIFY(failed.wait(30000));
        QCOMPARE(failed.first().first().value<Error>().code(), QStringLiteral("MissingSecret"));
        QVERIFY2(next->banner()->text().contains(QStringLiteral("MissingSecret")), qPrintable(next->banner()->text()));
        closeWindow(next);
    }

    void testConnectionShowsTheServersError_data()
    {
        QTest::addColumn<QString>("server");
        QTest::addColumn<QString>("bucket");
        QTest::addColumn<QString>("secret");
        QTest::addColumn<QString>("code");
        QTest::newRow("missing-bucket") << QStringLiteral("moto") << QStringLiteral("s3c-no-such-bucket") << QString()
                                        << QStringLiteral("NoSuchBucket");
        QTest::newRow("wrong-secret") << QStringLiteral("moto_iam") << QStringLiteral("s3c-any") << QStringLiteral("wrong-secret-key")
                                      << QStringLiteral("SignatureDoesNotMatch");
    }

    void testConnectionShowsTheServersError()
    {
        QFETCH(QString, server);
        QFETCH(QString, bucket);
        QFETCH(QString, secret);
        QFETCH(QString, code);
        QString error;
        const test::TestServer s = test::testServer(server, &error);
        QVERIFY2(s.isValid(), qPrintable(error));
        ProfileStore store(m_settings.get(), QStringLiteral("s3cache-gui-test"));
        ConnectionProfile p = profileFor(s, bucket);
        p.name.clear();  // a new profile
        ProfileDialog dialog(&store, p);
        dialog.nameEdit()->setText(QStringLiteral("probe"));
        dialog.secretKeyEdit()->setText(secret.isEmpty() ? s.secretKey : secret);
        dialog.show();
        QSignalSpy tested(&dialog, &ProfileDialog::testFinished);
        dialog.testButton()->click();
        QVERIFY(tested.wait(60000));
        QCOMPARE(tested.first().first().toBool(), false);
        QCOMPARE(dialog.banner()->type(), MessageBanner::Type::Error);
        QVERIFY2(dialog.banner()->text().contains(code), qPrintable(dialog.banner()->text()));
        QVERIFY2(dialog.banner()->text().contains(QStringLiteral("HTTP 4")), qPrintable(dialog.banner()->text()));
        QVERIFY(!dialog.banner()->text().contains(s.secretKey));
        QVERIFY(test::saveScreenshot(&dialog, QStringLiteral("s3-test-") + QString::fromLatin1(QTest::currentDataTag())));
    }

    void inspectRestoreDeleteAndFlushPreview()
    {
        auto w = openConnected();
        DetailsPane *details = w->details();
        QSignalSpy shown(details, &DetailsPane::metadataShown);
        QVERIFY(w->bucketView()->select(kApi));
        QVERIFY(shown.wait(30000));
        const S3CallResult stored = S3Connection(configFor(m_moto, m_bucket)).headObject(kApi);
        QVERIFY2(!stored.error, qPrintable(stored.error.toString()));
        QCOMPARE(details->field(QStringLiteral("Format")), stored.info.metadata.value(Metadata::format));
        QVERIFY(details->field(QStringLiteral("Format")).contains(QStringLiteral("gz")));
        QCOMPARE(details->field(QStringLiteral("Files")), stored.info.metadata.value(Metadata::files));
        QSignalSpy inspected(details, &DetailsPane::inspectFinished);
        details->inspect();
        QVERIFY(inspected.wait(60000));
        QVERIFY2(details->banner()->isHidden(), qPrintable(details->banner()->text()));
        QCOMPARE(details->entries()->entries().size(),
                 qsizetype(test::treeContents(m_dir.filePath(QStringLiteral("ws-11"))).size()));
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("s3-inspect")));

        const QString target = m_dir.filePath(QStringLiteral("restored"));
        QDir().mkpath(target);
        QVERIFY(w->actions()->startRestore(kApi, target));
        JobProgressWidget *row = w->jobPanel()->rows().first();
        QTRY_VERIFY_WITH_TIMEOUT(row->isFinished(), 60000);
        QVERIFY2(!row->failed(), qPrintable(row->statusText()));
        QCOMPARE(test::treeContents(target), test::treeContents(m_dir.filePath(QStringLiteral("ws-11"))));

        // Flush preview: everything was written seconds ago, so nothing is old enough.
        QVERIFY(w->bucketView()->select(QStringLiteral("ci/acme/")));
        w->actions()->flush()->trigger();
        FlushDialog *flush = w->actions()->flushDialog();
        QVERIFY(flush);
        flush->unitCombo()->setCurrentIndex(0);  // hours
        flush->ageSpin()->setValue(1);
        QSignalSpy previewed(flush, &FlushDialog::previewFinished);
        flush->previewButton()->click();
        QVERIFY(previewed.wait(60000));
        QVERIFY2(flush->resultText().startsWith(QStringLiteral("0 of 2 caches would be deleted")), qPrintable(flush->resultText()));
        QVERIFY(!flush->runButton()->isEnabled());
        flush->close();

        // Delete one object on the server.
        QList<ObjectInfo> objects{w->bucketView()->model()->summary().find(kTool)->object};
        QVERIFY(w->actions()->startDelete(objects));
        JobProgressWidget *deleted = w->jobPanel()->rows().first();
        QTRY_VERIFY_WITH_TIMEOUT(deleted->isFinished(), 60000);
        QVERIFY2(!deleted->failed(), qPrintable(deleted->statusText()));
        const S3CallResult head = S3Connection(configFor(m_moto, m_bucket)).headObject(kTool);
        QCOMPARE(head.error.kind(), ErrorKind::NotFound);
        QVERIFY(!w->bucketView()->model()->summary().find(kTool));
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("s3-after-delete")));
        closeWindow(w);
    }
};

S3CACHE_GUI_TEST_MAIN(TestMainWindowS3)
#include "tst_mainwindow_s3.moc"
