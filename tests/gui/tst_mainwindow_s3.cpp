// The desktop app against real S3 servers from the test harness (moto; moto_iam checks every
// signature): a profile with typed-in credentials whose secret, with no keychain service,
// stays in memory for the session only; Test connection showing the server's own error codes;
// browse, inspect, restore, delete and an age-flush preview on a seeded bucket.
#include "bucketproxymodel.h"
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
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QToolButton>
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

        // Issue 17, bug 7: the next session has the profile but no keychain holds the secret:
        // it asks for it (no MissingSecret failure), and connects with what is typed.
        auto next = std::make_unique<MainWindow>(m_settings.get(), QStringLiteral("s3cache-gui-test"));
        next->show();
        QSignalSpy failed(next->session(), &Session::connectFailed);
        QSignalSpy nextListed(next->bucketView(), &BucketView::listingFinished);
        next->connectionBar()->connectProfile(QStringLiteral("moto"));
        QInputDialog *prompt = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((prompt = next->connectionBar()->secretPrompt()), 30000);
        QVERIFY(prompt->isVisible());
        QCOMPARE(prompt->textEchoMode(), QLineEdit::Password);
        QVERIFY2(prompt->labelText().contains(m_moto.accessKey), qPrintable(prompt->labelText()));
        QVERIFY(test::saveScreenshot(prompt, QStringLiteral("s3-secret-prompt")));
        QVERIFY(failed.isEmpty());
        prompt->setTextValue(kTypedSecret);
        prompt->accept();
        QVERIFY(nextListed.wait(60000));
        QVERIFY(!nextListed.first().first().value<Error>());
        QCOMPARE(next->bucketView()->model()->summary().root()->objects, 3);
        QVERIFY(failed.isEmpty());
        // The Edit dialog says where the secret really is: not "in the system keychain".
        next->connectionBar()->editProfile();
        ProfileDialog *edit = next->connectionBar()->dialog();
        QVERIFY(edit);
        const QLabel *note = nullptr;
        for (const QLabel *label : edit->findChildren<QLabel *>())
            if (label->text().contains(QStringLiteral("secret key")))
                note = label;
        QVERIFY(note);
        QVERIFY2(!note->text().contains(QStringLiteral("is kept in the system keychain")), qPrintable(note->text()));
        QVERIFY2(note->text().contains(QStringLiteral("this session only")), qPrintable(note->text()));
        edit->reject();
        m_settings->sync();
        QFile again(m_settings->fileName());
        QVERIFY(again.open(QIODevice::ReadOnly));
        QVERIFY(!again.readAll().contains(kTypedSecret.toUtf8()));
        closeWindow(next);
    }

    // The bucket picker: "List buckets" fills the editable combo from ListBuckets, on a worker
    // thread (the dialog answers meanwhile); with keys that may not list buckets (moto_iam's
    // s3cache-nolist user), the note says so and the typed name stays usable.
    void bucketPickerOffersTheServersBuckets()
    {
        ProfileStore store(m_settings.get(), QStringLiteral("s3cache-gui-test"));
        ConnectionProfile blank;
        blank.server = m_moto.endpoint;
        blank.region = m_moto.region;
        blank.credentials = CredentialMode::AccessKey;
        blank.accessKey = m_moto.accessKey;
        ProfileDialog dialog(&store, blank);
        dialog.show();
        QVERIFY(dialog.bucketCombo()->isEditable());
        QVERIFY(dialog.bucketEdit()->text().isEmpty());
        dialog.secretKeyEdit()->setText(m_moto.secretKey);
        QSignalSpy listed(&dialog, &ProfileDialog::bucketsListed);
        dialog.listBucketsButton()->click();
        QVERIFY(listed.isEmpty());  // asynchronous: the click returns before the answer
        QVERIFY(listed.wait(60000));
        QVERIFY2(listed.first().first().toBool(), qPrintable(dialog.bucketNote()->text()));
        QStringList offered;
        for (int i = 0; i < dialog.bucketCombo()->count(); ++i)
            offered << dialog.bucketCombo()->itemText(i);
        QVERIFY2(offered.contains(m_bucket), qPrintable(offered.join(u' ')));
        QCOMPARE(offered, [&] { QStringList sorted = offered; sorted.sort(); return sorted; }());
        QCOMPARE(dialog.profile().bucket, offered.first());  // the empty field took the first one
        QVERIFY2(dialog.bucketNote()->text().contains(QStringLiteral("listed")), qPrintable(dialog.bucketNote()->text()));
        dialog.bucketCombo()->setCurrentIndex(int(offered.indexOf(m_bucket)));
        QCOMPARE(dialog.profile().bucket, m_bucket);
        QVERIFY(test::saveScreenshot(&dialog, QStringLiteral("s3-profile-buckets")));

        QString error;
        const test::TestServer iam = test::testServer(QStringLiteral("moto_iam"), &error);
        QVERIFY2(iam.isValid(), qPrintable(error));
        QVERIFY(!iam.noListAccessKey.isEmpty());
        ConnectionProfile scoped = blank;
        scoped.server = iam.endpoint;
        scoped.accessKey = iam.noListAccessKey;
        scoped.bucket = QStringLiteral("typed-bucket");
        ProfileDialog denied(&store, scoped);
        denied.show();
        denied.secretKeyEdit()->setText(iam.noListSecretKey);
        QSignalSpy deniedListed(&denied, &ProfileDialog::bucketsListed);
        denied.listBucketsButton()->click();
        QVERIFY(deniedListed.wait(60000));
        QCOMPARE(deniedListed.first().first().toBool(), false);
        QVERIFY2(denied.bucketNote()->text().contains(QStringLiteral("may not list buckets (AccessDenied)")),
                 qPrintable(denied.bucketNote()->text()));
        QVERIFY(denied.bucketNote()->isVisible());
        QVERIFY(denied.bucketCombo()->isEditable());
        QCOMPARE(denied.bucketCombo()->count(), 0);
        QCOMPARE(denied.profile().bucket, QStringLiteral("typed-bucket"));
        QVERIFY(test::saveScreenshot(&denied, QStringLiteral("s3-profile-buckets-denied")));
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

    // Issue 17, bug 1: the server goes away under a live session (the relay in front of moto
    // closes): F5 keeps the rows, the expanded folder and the selection, the banner says the
    // tree is the earlier listing, and the connection bar no longer says "Connected".
    void serverGoneRefreshKeepsTheTree()
    {
        test::TcpRelay relay(m_moto.endpoint);
        ConnectionProfile profile = profileFor(m_moto, m_bucket);
        profile.server = relay.endpoint();
        profile.name = QStringLiteral("relay");
        auto w = std::make_unique<MainWindow>(m_settings.get(), QStringLiteral("s3cache-gui-test"));
        w->show();
        QSignalSpy listed(w->bucketView(), &BucketView::listingFinished);
        w->connectionBar()->connectAdHoc(profile, m_moto.secretKey);
        QVERIFY(listed.wait(60000));
        QVERIFY(!listed.first().first().value<Error>());
        BucketView *view = w->bucketView();
        const qint64 objects = view->model()->summary().root()->objects;
        QVERIFY(objects >= 3);
        QVERIFY(view->select(kWeb));
        const QModelIndex acme = view->proxy()->mapFromSource(
            view->model()->indexOf(view->model()->summary().find(QStringLiteral("ci/acme/"))));
        QVERIFY(view->tree()->isExpanded(acme));
        QVERIFY(w->connectionBar()->statusText().startsWith(QStringLiteral("Connected")));

        relay.kill();
        listed.clear();
        w->actions()->refresh()->trigger();
        QVERIFY(view->isListing());
        QCOMPARE(view->model()->summary().root()->objects, objects);  // not emptied while it lists
        QVERIFY(listed.wait(120000));
        const Error error = listed.first().first().value<Error>();
        QVERIFY(error);
        QCOMPARE(view->model()->summary().root()->objects, objects);
        QVERIFY(view->proxy()->rowCount() > 0);
        QVERIFY(view->tree()->isExpanded(view->proxy()->mapFromSource(
            view->model()->indexOf(view->model()->summary().find(QStringLiteral("ci/acme/"))))));
        QCOMPARE(view->currentNode() ? view->currentNode()->path : QString(), kWeb);
        QVERIFY2(view->banner()->text().contains(QStringLiteral("listed before")), qPrintable(view->banner()->text()));
        QVERIFY2(!w->connectionBar()->statusText().startsWith(QStringLiteral("Connected")),
                 qPrintable(w->connectionBar()->statusText()));
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("s3-server-gone")));
        closeWindow(w);
    }

    // Issue 17, bug 1: a server that stops answering (connections open, nothing sent): the
    // listing times out instead of "listing…" for minutes, and Cancel stops it at once; the
    // tree keeps its rows both times.
    void hungServerListingTimesOutOrIsCancelled()
    {
        test::TcpRelay relay(m_moto.endpoint);
        ConnectionProfile profile = profileFor(m_moto, m_bucket);
        profile.server = relay.endpoint();
        profile.name = QStringLiteral("relay");
        auto w = std::make_unique<MainWindow>(m_settings.get(), QStringLiteral("s3cache-gui-test"));
        w->show();
        QSignalSpy listed(w->bucketView(), &BucketView::listingFinished);
        w->connectionBar()->connectAdHoc(profile, m_moto.secretKey);
        QVERIFY(listed.wait(60000));
        QVERIFY(!listed.first().first().value<Error>());
        BucketView *view = w->bucketView();
        const qint64 objects = view->model()->summary().root()->objects;

        relay.hang();
        view->setListingTimeoutMs(2000);
        listed.clear();
        view->refresh();
        QVERIFY(view->cancelButton()->isVisible());
        QVERIFY(listed.wait(60000));
        const Error timeout = listed.first().first().value<Error>();
        QCOMPARE(timeout.code(), QStringLiteral("Timeout"));
        QCOMPARE(view->model()->summary().root()->objects, objects);
        QVERIFY(!view->cancelButton()->isVisible());
        QVERIFY2(w->connectionBar()->statusText().startsWith(QStringLiteral("Not responding")),
                 qPrintable(w->connectionBar()->statusText()));
        QVERIFY2(view->banner()->text().contains(QStringLiteral("Timeout")), qPrintable(view->banner()->text()));

        view->setListingTimeoutMs(600'000);
        listed.clear();
        view->refresh();
        QVERIFY(view->isListing());
        view->cancelButton()->click();
        QVERIFY(listed.wait(60000));
        QCOMPARE(listed.first().first().value<Error>().kind(), ErrorKind::Cancelled);
        QCOMPARE(view->model()->summary().root()->objects, objects);
        QVERIFY2(view->banner()->text().contains(QStringLiteral("cancelled")), qPrintable(view->banner()->text()));
        QVERIFY2(view->footer()->text().contains(QStringLiteral("incomplete")), qPrintable(view->footer()->text()));
        closeWindow(w);
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
