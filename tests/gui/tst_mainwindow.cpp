// The desktop app end to end on a seeded local store (file://, no server): create a profile and
// test its connection, browse with totals, sort and filter, inspect metadata and archive
// entries, restore into a folder and compare, download the raw archive, delete with a
// confirmation, age-flush with a preview, cancel a held restore, errors in their pane,
// keyboard use and remembered window state. Each test saves screenshots into the build tree.
#include "bucketproxymodel.h"
#include "bucketview.h"
#include "buckettreemodel.h"
#include "cacheactions.h"
#include "cachetablemodel.h"
#include "connectionbar.h"
#include "detailspane.h"
#include "archiveentrymodel.h"
#include "flushdialog.h"
#include "format.h"
#include "guitest.h"
#include "jobpanel.h"
#include "jobprogresswidget.h"
#include "mainwindow.h"
#include "messagebanner.h"
#include "profiledialog.h"
#include "profilestore.h"
#include "session.h"
#include "spacechart.h"

#include "cache/chunkindex.h"
#include "cache/dedupformat.h"
#include "cache/dedupreader.h"
#include "cache/lastused.h"
#include "util/platform.h"
#include "cache/rebuildjob.h"

#include <QAction>
#include <QCheckBox>
#include <QAbstractSpinBox>
#include <QClipboard>
#include <QHeaderView>
#include <QKeyEvent>
#include <QKeySequence>
#include <QMenu>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QLabel>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTreeView>
#include <QTreeWidget>

#include <sys/stat.h>

using namespace s3cache;

namespace {

const QString kBucket = QStringLiteral("ci");
const QString kWeb = QStringLiteral("ci-cache/acme/webapp/archive.tar.zst");
const QString kWebOld = QStringLiteral("ci-cache/acme/webapp/archive.tgz");
const QString kApi = QStringLiteral("ci-cache/acme/api/archive.tar.zst");
const QString kTool = QStringLiteral("ci-cache/beta/tool/archive.tar.zst");
const QString kOld = QStringLiteral("ci-cache/beta/old/archive.tar.zst");
constexpr qint64 kDay = 86400;

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<QSettings> m_settings;

    QString storeRoot() const { return m_dir.filePath(QStringLiteral("store")); }
    QString workspace(const QString &name) const { return m_dir.filePath(QStringLiteral("ws-") + name); }
    LocalStore store() const { return LocalStore(storeRoot(), kBucket); }

    ConnectionProfile localProfile() const
    {
        ConnectionProfile p;
        p.name = QStringLiteral("local");
        p.server = QUrl::fromLocalFile(storeRoot()).toString();
        p.bucket = kBucket;
        return p;
    }

    std::unique_ptr<MainWindow> openWindow()
    {
        auto window = std::make_unique<MainWindow>(m_settings.get(), QStringLiteral("s3cache-gui-test"));
        window->show();
        window->activateWindow();
        return window;
    }

    // A window connected to the seeded store with the listing finished.
    std::unique_ptr<MainWindow> openConnected()
    {
        auto window = openWindow();
        if (!window->profiles()->contains(QStringLiteral("local")))
            window->profiles()->save(localProfile(), QString());
        QSignalSpy listed(window->bucketView(), &BucketView::listingFinished);
        window->connectionBar()->connectProfile(QStringLiteral("local"));
        if (!listed.wait(30000) || listed.first().first().value<Error>())
            qWarning("listing failed");
        return window;
    }

    // Jobs must finish before their window goes (the app waits the same way on close).
    void closeWindow(std::unique_ptr<MainWindow> &window)
    {
        window->session()->cancelAll();
        QTRY_COMPARE_WITH_TIMEOUT(window->session()->runningJobs(), 0, 30000);
        window.reset();
    }

    const BucketNode *node(MainWindow *w, const QString &path) const
    {
        return w->bucketView()->model()->summary().find(path);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_settings = std::make_unique<QSettings>(m_dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
        test::makeWorkspace(workspace(QStringLiteral("web")), 1, 40);
        test::makeWorkspace(workspace(QStringLiteral("api")), 2, 12);
        test::makeWorkspace(workspace(QStringLiteral("tool")), 3, 25);
    }

    void init()
    {
        QDir(storeRoot()).removeRecursively();
        QDir().mkpath(storeRoot());
        LocalStore s = store();
        const QList<std::tuple<QString, QString, qint64>> seed{
            {kWeb, QStringLiteral("web"), 3600}, {kWebOld, QStringLiteral("web"), 40 * kDay},
            {kApi, QStringLiteral("api"), 20 * kDay}, {kTool, QStringLiteral("tool"), 2 * kDay},
            {kOld, QStringLiteral("api"), 100 * kDay}};
        for (const auto &[key, ws, age] : seed) {
            const Error e = test::rebuildInto(s, key, workspace(ws));
            QVERIFY2(!e, qPrintable(e.toString()));
            QVERIFY(test::setLocalAge(s, key, age));
        }
    }

    void createProfileTestConnectionAndConnect()
    {
        m_settings->clear();
        auto w = openWindow();
        QVERIFY(w->connectionBar()->currentProfile().isEmpty());
        w->connectionBar()->newProfile();
        ProfileDialog *dialog = w->connectionBar()->dialog();
        QVERIFY(dialog);
        QTRY_VERIFY(dialog->isVisible());
        dialog->nameEdit()->setText(QStringLiteral("local"));
        dialog->serverEdit()->setText(QUrl::fromLocalFile(m_dir.filePath(QStringLiteral("no-such-dir"))).toString());
        dialog->bucketEdit()->setText(kBucket);
        QVERIFY(!dialog->credentialsCombo()->isEnabled());  // a local store needs none

        // A failing test shows the error plainly in the dialog.
        QSignalSpy tested(dialog, &ProfileDialog::testFinished);
        dialog->testButton()->click();
        QVERIFY(tested.wait(10000));
        QCOMPARE(tested.first().first().toBool(), false);
        QCOMPARE(dialog->banner()->type(), MessageBanner::Type::Error);
        QVERIFY2(dialog->banner()->text().contains(QStringLiteral("NoSuchDirectory")), qPrintable(dialog->banner()->text()));
        QVERIFY(test::saveScreenshot(dialog, QStringLiteral("profile-dialog-error")));

        dialog->serverEdit()->setText(localProfile().server);
        tested.clear();
        dialog->testButton()->click();
        QVERIFY(tested.wait(10000));
        QVERIFY2(tested.first().first().toBool(), qPrintable(dialog->banner()->text()));
        QVERIFY2(dialog->banner()->text().contains(QStringLiteral("Connected to")), qPrintable(dialog->banner()->text()));

        // Save connects at once.
        QSignalSpy listed(w->bucketView(), &BucketView::listingFinished);
        dialog->saveButton()->click();
        QVERIFY(listed.wait(30000));
        QVERIFY(!listed.first().first().value<Error>());
        QCOMPARE(w->profiles()->names(), QStringList{QStringLiteral("local")});
        QCOMPARE(w->connectionBar()->currentProfile(), QStringLiteral("local"));
        QCOMPARE(w->bucketView()->model()->summary().root()->objects, 5);
        QVERIFY(w->windowTitle().contains(QStringLiteral("local")));
        closeWindow(w);
    }

    void browseTotalsSortAndFilter()
    {
        auto w = openConnected();
        BucketView *view = w->bucketView();
        LocalStore s = store();
        qint64 acmeBytes = 0;
        for (const QString &key : {kWeb, kWebOld, kApi})
            acmeBytes += s.head(key)->size;
        const BucketNode *acme = node(w.get(), QStringLiteral("ci-cache/acme/"));
        QVERIFY(acme);
        QCOMPARE(acme->bytes, acmeBytes);
        QCOMPARE(acme->objects, 3);

        view->tree()->expandAll();
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("main-browse")));

        // Sorting by size puts the bigger organisation first.
        view->tree()->sortByColumn(BucketTreeModel::SizeColumn, Qt::DescendingOrder);
        BucketProxyModel *proxy = view->proxy();
        const QModelIndex top = proxy->index(0, 0);
        const QString bigger = node(w.get(), QStringLiteral("ci-cache/acme/"))->bytes > node(w.get(), QStringLiteral("ci-cache/beta/"))->bytes
                                   ? QStringLiteral("ci-cache/acme/") : QStringLiteral("ci-cache/beta/");
        QCOMPARE(proxy->index(0, 0, top).data(BucketTreeModel::PathRole).toString(), bigger);

        // The filter keeps the folders that lead to a match.
        view->filterEdit()->setText(QStringLiteral("beta/tool"));
        QCOMPARE(proxy->rowCount(), 1);
        QCOMPARE(proxy->rowCount(top), 1);
        QCOMPARE(proxy->index(0, 0, top).data(BucketTreeModel::PathRole).toString(), QStringLiteral("ci-cache/beta/"));
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("main-filtered")));
        view->filterEdit()->setText(QStringLiteral("nothing-like-this"));
        QCOMPARE(proxy->rowCount(), 0);
        view->filterEdit()->clear();
        QCOMPARE(proxy->rowCount(top), 2);

        // Highlight: 14 days by default, then 60.
        const auto expired = [&](const QString &path) { return w->bucketView()->model()->isExpired(node(w.get(), path)); };
        QVERIFY(expired(kWebOld));
        QVERIFY(expired(kApi));
        QVERIFY(!expired(kTool));
        view->ageSpin()->setValue(60);
        QVERIFY(!expired(kWebOld));
        QVERIFY(expired(kOld));
        QVERIFY(expired(QStringLiteral("ci-cache/beta/")));

        // The chart shows the same numbers.
        w->tabs()->setCurrentWidget(w->chart());
        QTRY_COMPARE(w->chart()->shares().size(), 4);
        QCOMPARE(w->chart()->shares().first().bytes, std::max({node(w.get(), QStringLiteral("ci-cache/acme/webapp/"))->bytes,
                                                               node(w.get(), QStringLiteral("ci-cache/beta/tool/"))->bytes,
                                                               node(w.get(), QStringLiteral("ci-cache/acme/api/"))->bytes,
                                                               node(w.get(), QStringLiteral("ci-cache/beta/old/"))->bytes}));
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("main-chart")));
        closeWindow(w);
    }

    void inspectShowsMetadataAndEntries()
    {
        auto w = openConnected();
        const auto filesOnDisk = [this] {  // but the settings, which QSettings writes when it likes
            auto files = test::treeContents(m_dir.path());
            files.removeIf([](const auto &it) { return it.key().startsWith(QStringLiteral("settings.ini")); });
            return files;
        };
        const auto before = filesOnDisk();
        DetailsPane *details = w->details();
        QSignalSpy shown(details, &DetailsPane::metadataShown);
        QVERIFY(w->bucketView()->select(kWeb));
        QVERIFY(shown.wait(10000));
        QCOMPARE(details->currentKey(), kWeb);
        const ObjectInfo head = *store().head(kWeb);
        QVERIFY(!head.metadata.value(Metadata::format).isEmpty());
        QCOMPARE(details->field(QStringLiteral("Format")), head.metadata.value(Metadata::format));
        QCOMPARE(details->field(QStringLiteral("Fingerprint")), head.metadata.value(Metadata::fingerprint));
        QCOMPARE(details->field(QStringLiteral("Files")), head.metadata.value(Metadata::files));
        QVERIFY(details->field(QStringLiteral("Written by")).startsWith(QStringLiteral("s3cache ")));
        QCOMPARE(details->field(QStringLiteral("Platform")), platformName());
        QCOMPARE(details->field(QStringLiteral("Last used")), QStringLiteral("never (no restore recorded)"));

        QSignalSpy inspected(details, &DetailsPane::inspectFinished);
        w->actions()->inspect()->trigger();
        QVERIFY(inspected.wait(30000));
        QVERIFY2(details->banner()->isHidden(), qPrintable(details->banner()->text()));
        QStringList archived;
        for (const ArchiveEntryInfo &e : details->entries()->entries())
            archived << e.path;
        const QStringList expected = test::treeContents(workspace(QStringLiteral("web"))).keys();
        QVERIFY(expected.size() > 40);
        for (const QString &path : expected)
            QVERIFY2(archived.contains(path) || archived.contains(path + QLatin1Char('/')), qPrintable(path));
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("details-inspect")));

        // Inspecting extracted nothing anywhere.
        QCOMPARE(filesOnDisk(), before);
        closeWindow(w);
    }

    void restoreIntoFolderMatchesTheWorkspace()
    {
        auto w = openConnected();
        QVERIFY(w->bucketView()->select(kTool));
        const QString target = m_dir.filePath(QStringLiteral("restored"));
        QDir().mkpath(target);
        w->actions()->restore()->trigger();
        QFileDialog *chooser = w->findChild<QFileDialog *>();
        QVERIFY(chooser);
        QTRY_VERIFY(chooser->isVisible());
        chooser->setDirectory(target);
        chooser->selectFile(target);
        QVERIFY(QMetaObject::invokeMethod(chooser, "accept"));
        QTRY_COMPARE(w->jobPanel()->rows().size(), 1);
        JobProgressWidget *row = w->jobPanel()->rows().first();
        QTRY_VERIFY_WITH_TIMEOUT(row->isFinished(), 30000);
        QVERIFY2(!row->failed(), qPrintable(row->statusText()));
        QVERIFY2(row->statusText().startsWith(QStringLiteral("Restored")), qPrintable(row->statusText()));
        QCOMPARE(test::treeContents(target), test::treeContents(workspace(QStringLiteral("tool"))));
        // The Jobs dock shows the whole job, outcome included, without scrolling (bug 6).
        QVERIFY(w->jobsDock()->isVisible());
        QTRY_VERIFY(w->jobPanel()->height() >= row->sizeHint().height());
        // After a restore: "Open folder" beside Dismiss.
        QCOMPARE(row->actionButtons().size(), 1);
        QVERIFY(row->actionButtons().first()->text().contains(QStringLiteral("Open folder")));
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("restore-done")));

        // The folder is not empty now: restoring there again asks first; Cancel starts nothing.
        w->actions()->restoreAsking(kTool, target);
        QMessageBox *question = w->actions()->nonEmptyQuestion();
        QVERIFY(question);
        QTRY_VERIFY(question->isVisible());
        QVERIFY2(question->text().contains(QStringLiteral("not empty")), qPrintable(question->text()));
        question->button(QMessageBox::Cancel)->click();
        QTRY_VERIFY(!w->actions()->nonEmptyQuestion());
        QCOMPARE(w->jobPanel()->rows().size(), 1);
        QDir(target).removeRecursively();
        closeWindow(w);
    }

    // The archive layer's warnings reach the job panel, not only a CLI log: a cache holding a
    // setuid file restores it without the bit and says so in the job's row.
    void restoreWarningsShowInTheJobPanel()
    {
        const QString source = workspace(QStringLiteral("suid"));
        QVERIFY(QDir().mkpath(source + QStringLiteral("/node_modules/.bin")));
        QFile helper(source + QStringLiteral("/node_modules/.bin/helper"));
        QVERIFY(helper.open(QIODevice::WriteOnly) && helper.write("#!/bin/sh\n") > 0);
        helper.close();
        QCOMPARE(chmod(QFile::encodeName(helper.fileName()).constData(), 04755), 0);
        const QString key = QStringLiteral("ci-cache/beta/suid/archive.tar.zst");
        LocalStore s = store();
        const Error e = test::rebuildInto(s, key, source);  // the mount node_modules
        QVERIFY2(!e, qPrintable(e.toString()));

        auto w = openConnected();
        const QString target = m_dir.filePath(QStringLiteral("restored-suid"));
        QDir().mkpath(target);
        QVERIFY(w->actions()->startRestore(key, target));  // the folder dialog: restoreIntoFolderMatchesTheWorkspace
        QTRY_COMPARE(w->jobPanel()->rows().size(), 1);
        JobProgressWidget *row = w->jobPanel()->rows().first();
        QTRY_VERIFY_WITH_TIMEOUT(row->isFinished(), 30000);
        QVERIFY2(!row->failed(), qPrintable(row->statusText()));
        QVERIFY2(row->warningsText().contains(QStringLiteral("setuid, setgid or sticky bits")), qPrintable(row->warningsText()));
        struct stat st;
        QCOMPARE(stat(QFile::encodeName(target + QStringLiteral("/node_modules/.bin/helper")).constData(), &st), 0);
        QCOMPARE(st.st_mode & 07777, mode_t(0755));
        QDir(target).removeRecursively();
        closeWindow(w);
    }

    void downloadRawArchive()
    {
        auto w = openConnected();
        QVERIFY(w->bucketView()->select(kWebOld));
        const QString file = m_dir.filePath(QStringLiteral("download.tgz"));
        w->actions()->download()->trigger();
        QFileDialog *chooser = w->findChild<QFileDialog *>();
        QVERIFY(chooser);
        chooser->selectFile(file);
        QVERIFY(QMetaObject::invokeMethod(chooser, "accept"));
        QTRY_COMPARE(w->jobPanel()->rows().size(), 1);
        JobProgressWidget *row = w->jobPanel()->rows().first();
        QTRY_VERIFY_WITH_TIMEOUT(row->isFinished(), 30000);
        QVERIFY2(!row->failed(), qPrintable(row->statusText()));
        QFile downloaded(file);
        QVERIFY(downloaded.open(QIODevice::ReadOnly));
        QFile original(store().bucketPath() + QLatin1Char('/') + kWebOld);
        QVERIFY(original.open(QIODevice::ReadOnly));
        QCOMPARE(downloaded.readAll(), original.readAll());
        QFile::remove(file);
        closeWindow(w);
    }

    void deleteAsksWithCountAndBytes()
    {
        auto w = openConnected();
        BucketView *view = w->bucketView();
        QVERIFY(view->select(QStringLiteral("ci-cache/beta/")));
        const qint64 betaBytes = node(w.get(), QStringLiteral("ci-cache/beta/"))->bytes;

        // Cancel: nothing happens.
        w->actions()->remove()->trigger();
        QMessageBox *box = w->findChild<QMessageBox *>();
        QVERIFY(box);
        QVERIFY2(box->text().contains(QStringLiteral("Delete 2 objects")), qPrintable(box->text()));
        QVERIFY2(box->text().contains(Format::bytes(betaBytes)), qPrintable(box->text()));
        QVERIFY(test::saveScreenshot(box, QStringLiteral("delete-confirm")));
        box->button(QMessageBox::Cancel)->click();
        QTRY_VERIFY(!w->findChild<QMessageBox *>());
        QVERIFY(store().head(kTool).ok());
        QCOMPARE(w->jobPanel()->rows().size(), 0);

        // Confirm: both objects go, from the bucket and from the tree.
        w->actions()->remove()->trigger();
        box = w->findChild<QMessageBox *>();
        QVERIFY(box);
        QAbstractButton *confirm = nullptr;
        for (QAbstractButton *b : box->buttons()) {
            if (b->text().startsWith(QStringLiteral("Delete")))
                confirm = b;
        }
        QVERIFY(confirm);
        confirm->click();
        QTRY_COMPARE(w->jobPanel()->rows().size(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(w->jobPanel()->rows().first()->isFinished(), 30000);
        QVERIFY2(!w->jobPanel()->rows().first()->failed(), qPrintable(w->jobPanel()->rows().first()->statusText()));
        QCOMPARE(store().head(kTool).error().kind(), ErrorKind::NotFound);
        QCOMPARE(store().head(kOld).error().kind(), ErrorKind::NotFound);
        QVERIFY(store().head(kWeb).ok());
        QVERIFY(!node(w.get(), QStringLiteral("ci-cache/beta/")));
        QCOMPARE(w->bucketView()->model()->summary().root()->objects, 3);
        closeWindow(w);
    }

    void ageFlushPreviewThenRun()
    {
        auto w = openConnected();
        QVERIFY(w->bucketView()->select(QStringLiteral("ci-cache/acme/")));
        w->actions()->flush()->trigger();
        FlushDialog *dialog = w->actions()->flushDialog();
        QVERIFY(dialog);
        QCOMPARE(dialog->prefixEdit()->text(), QStringLiteral("ci-cache/acme/"));
        QCOMPARE(dialog->ageSpin()->value(), 14);
        QVERIFY(!dialog->runButton()->isEnabled());
        // "Older &than:" is Alt+T for the age, not a literal ampersand.
        const QList<QLabel *> labels = dialog->findChildren<QLabel *>();
        QVERIFY(std::any_of(labels.cbegin(), labels.cend(), [dialog](const QLabel *l) {
            return l->text() == QStringLiteral("Older &than:") && l->buddy() == dialog->ageSpin();
        }));

        // Every cache of the prefix is listed with its decision, those to delete first.
        const auto decisions = [dialog] {
            QStringList out;
            for (int i = 0; i < dialog->previewList()->topLevelItemCount(); ++i)
                out << dialog->previewList()->topLevelItem(i)->text(0) + u' ' + dialog->previewList()->topLevelItem(i)->text(4);
            return out;
        };
        QSignalSpy previewed(dialog, &FlushDialog::previewFinished);
        dialog->previewButton()->click();
        QVERIFY(previewed.wait(30000));
        QCOMPARE(dialog->previewList()->topLevelItemCount(), 3);
        QVERIFY2(decisions().filter(QStringLiteral(" Delete: older than 14 days")).size() == 2, qPrintable(decisions().join(u'\n')));  // 40 and 20 days old
        QVERIFY2(decisions().last().startsWith(kWeb + QStringLiteral(" Keep: within the age")), qPrintable(decisions().join(u'\n')));
        QVERIFY2(dialog->resultText().startsWith(QStringLiteral("2 of 3 caches would be deleted")), qPrintable(dialog->resultText()));
        QVERIFY(dialog->runButton()->isEnabled());
        QVERIFY2(dialog->runButton()->text().contains(QStringLiteral("2 caches")), qPrintable(dialog->runButton()->text()));
        QVERIFY(test::saveScreenshot(dialog, QStringLiteral("flush-preview")));
        QVERIFY(store().head(kApi).ok());  // a preview deletes nothing

        // Counted from the last use, the old archive.tgz that a restore used just now stays.
        LocalStore local = store();
        QVERIFY(!recordUse(local, kWebOld));
        dialog->ageFromCombo()->setCurrentIndex(1);
        QVERIFY(!dialog->runButton()->isEnabled());
        previewed.clear();
        dialog->previewButton()->click();
        QVERIFY(previewed.wait(30000));
        QVERIFY2(decisions().first().startsWith(kApi + QStringLiteral(" Delete: not used for 14 days")), qPrintable(decisions().join(u'\n')));
        QVERIFY2(decisions().filter(QStringLiteral(" Delete:")).size() == 1, qPrintable(decisions().join(u'\n')));
        QVERIFY(dialog->previewList()->findItems(kWebOld, Qt::MatchExactly).first()->text(3) != QStringLiteral("never"));

        // A budget evicts the least recently used: a 3 MiB cache written 5 days ago and never
        // restored goes, the small ones fit in 1 MiB.
        const QString big = QStringLiteral("ci-cache/acme/big/archive.tar");
        {
            auto writer = local.openWrite(big, {}, 3 << 20);
            QVERIFY(writer.ok());
            (*writer)->write(QByteArray(3 << 20, 'b'));
            QVERIFY(!(*writer)->commit());
            QVERIFY(test::setLocalAge(local, big, 5 * kDay));
        }
        dialog->budgetCheck()->setChecked(true);
        dialog->budgetSpin()->setValue(0.001);
        QCOMPARE(dialog->options().maxBytes, qint64(0.001 * double(1 << 30)));
        previewed.clear();
        dialog->previewButton()->click();
        QVERIFY(previewed.wait(30000));
        QCOMPARE(dialog->previewList()->topLevelItemCount(), 4);
        QVERIFY2(decisions().contains(big + QStringLiteral(" Delete: over the 1.0 MiB budget, least recently used")),
                 qPrintable(decisions().join(u'\n')));
        QCOMPARE(decisions().filter(QStringLiteral(" Delete:")).size(), 2);  // and kApi, by age
        QCOMPARE(decisions().filter(QStringLiteral(" Keep: within the age and the budget")).size(), 2);
        QVERIFY(!local.remove({big}).error);
        dialog->budgetCheck()->setChecked(false);
        dialog->ageFromCombo()->setCurrentIndex(0);

        // Changing the age invalidates the preview.
        dialog->ageSpin()->setValue(30);
        QVERIFY(!dialog->runButton()->isEnabled());
        previewed.clear();
        dialog->previewButton()->click();
        QVERIFY(previewed.wait(30000));
        QCOMPARE(dialog->previewList()->topLevelItemCount(), 3);
        QVERIFY2(decisions().first().startsWith(kWebOld + QStringLiteral(" Delete: older than 30 days")), qPrintable(decisions().join(u'\n')));
        QCOMPARE(decisions().filter(QStringLiteral(" Delete:")).size(), 1);

        QSignalSpy flushed(dialog, &FlushDialog::flushFinished);
        dialog->runButton()->click();
        QVERIFY(flushed.wait(30000));
        QVERIFY2(dialog->resultText().startsWith(QStringLiteral("Deleted 1 object,")), qPrintable(dialog->resultText()));
        QCOMPARE(store().head(kWebOld).error().kind(), ErrorKind::NotFound);
        QCOMPARE(store().head(LastUsed::markerKey(kWebOld)).error().kind(), ErrorKind::NotFound);  // with its cache
        QVERIFY(store().head(kApi).ok());
        QVERIFY(store().head(kOld).ok());  // outside the prefix
        QTRY_VERIFY(!node(w.get(), kWebOld));
        QCOMPARE(w->jobPanel()->rows().size(), 1);
        QTRY_VERIFY(w->jobPanel()->rows().first()->isFinished());
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("flush-done")));
        dialog->close();
        closeWindow(w);
    }

    // Issue 17: the GUI's flush collects the dedup chunk area of the prefix it flushes, as the
    // CLI's does: two dedup caches under "dd/" share "dd/.chunks/"; flushing "dd/" deletes the
    // old one and condemns the packs only it used (older than the 6 h grace period).
    void ageFlushCollectsTheChunkArea()
    {
        LocalStore s = store();
        const QString area = QStringLiteral("dd/.chunks/");
        const QString oldKey = QStringLiteral("dd/acme/api/cache.dedup");
        const QString newKey = QStringLiteral("dd/acme/web/cache.dedup");
        for (const auto &[key, ws] : {std::pair{oldKey, QStringLiteral("api")}, std::pair{newKey, QStringLiteral("web")}}) {
            const Error e = test::rebuildDedupInto(s, key, workspace(ws), area);
            QVERIFY2(!e, qPrintable(e.toString()));
        }
        QVERIFY(test::setLocalAge(s, oldKey, 30 * kDay));
        const QDir packs(s.bucketPath() + QLatin1Char('/') + area + QStringLiteral("packs"));
        QVERIFY(!packs.entryList(QDir::Files).isEmpty());
        for (const QString &pack : packs.entryList(QDir::Files))
            QVERIFY(test::setLocalAge(s, area + QStringLiteral("packs/") + pack, 2 * kDay));
        // A restore found a bad chunk in a pack the kept cache uses: the flush says so.
        const Result<ObjectInfo> kept = s.head(newKey);
        QVERIFY(kept.ok());
        const QByteArray keptPack = readManifest(s, *kept)->table.packs.first();
        QVERIFY(!markDamaged(s, area, keptPack, QStringLiteral("test")));

        auto w = openConnected();
        QVERIFY(w->bucketView()->select(QStringLiteral("dd/")));
        w->actions()->flush()->trigger();
        FlushDialog *dialog = w->actions()->flushDialog();
        QVERIFY(dialog);
        QCOMPARE(dialog->prefixEdit()->text(), QStringLiteral("dd/"));
        QCOMPARE(dialog->options().chunkArea, area);
        QSignalSpy previewed(dialog, &FlushDialog::previewFinished);
        dialog->previewButton()->click();
        QVERIFY(previewed.wait(30000));
        QVERIFY2(dialog->resultText().startsWith(QStringLiteral("1 of 2 caches would be deleted")), qPrintable(dialog->resultText()));
        QVERIFY2(dialog->resultText().contains(QStringLiteral("Chunk area dd/.chunks/: ")), qPrintable(dialog->resultText()));
        QVERIFY2(dialog->resultText().contains(QStringLiteral("used by 2 dedup caches.")), qPrintable(dialog->resultText()));
        // The preview reads the area as it is: the old cache still uses its packs.
        QVERIFY(!QFileInfo::exists(s.bucketPath() + QLatin1Char('/') + Dedup::condemnedKey(area)));  // a preview writes nothing

        QSignalSpy flushed(dialog, &FlushDialog::flushFinished);
        dialog->runButton()->click();
        QVERIFY(flushed.wait(30000));
        QVERIFY2(dialog->resultText().startsWith(QStringLiteral("Deleted 1 object,")), qPrintable(dialog->resultText()));
        QVERIFY2(dialog->resultText().contains(QStringLiteral("Chunk area dd/.chunks/: ")), qPrintable(dialog->resultText()));
        QVERIFY2(dialog->resultText().contains(QStringLiteral("used by 1 dedup cache.")), qPrintable(dialog->resultText()));
        QVERIFY2(dialog->resultText().contains(QStringLiteral(" 0 unused packs (0 B) deleted.")), qPrintable(dialog->resultText()));
        QVERIFY2(dialog->resultText().contains(QStringLiteral("condemned: a flush after the grace period deletes them")),
                 qPrintable(dialog->resultText()));
        QVERIFY2(dialog->resultText().contains(QStringLiteral(" 1 pack marked damaged by a restore")), qPrintable(dialog->resultText()));
        // The old cache's packs are on the condemned list: the next flush after the grace deletes them.
        QVERIFY(QFileInfo::exists(s.bucketPath() + QLatin1Char('/') + Dedup::condemnedKey(area)));
        QVERIFY(s.head(newKey).ok());
        QCOMPARE(s.head(oldKey).error().kind(), ErrorKind::NotFound);
        // The job list's outcome line says it too.
        QTRY_VERIFY(!w->jobPanel()->rows().isEmpty() && w->jobPanel()->rows().first()->isFinished());
        QVERIFY2(w->jobPanel()->rows().first()->statusText().contains(QStringLiteral("Chunk area dd/.chunks/: ")),
                 qPrintable(w->jobPanel()->rows().first()->statusText()));
        QVERIFY(test::saveScreenshot(dialog, QStringLiteral("flush-chunks")));
        dialog->close();
        closeWindow(w);
    }

    void cancelHeldRestoreLeavesTheFolderAsItWas()
    {
        auto w = openConnected();
        auto faults = std::make_shared<test::Faults>();
        faults->holdReadsAfter = 256;  // within the first KiB of the archive
        w->session()->wrapStore([faults](std::shared_ptr<ObjectStore> store) {
            return std::make_shared<test::FaultyStore>(std::move(store), faults);
        });
        const QString target = m_dir.filePath(QStringLiteral("cancel-target"));
        QDir().mkpath(target);
        QFile keep(target + QStringLiteral("/keep.txt"));
        QVERIFY(keep.open(QIODevice::WriteOnly));
        keep.write("mine");
        keep.close();
        const auto before = test::treeContents(target);

        QVERIFY(w->actions()->startRestore(kWeb, target));
        QTRY_VERIFY2_WITH_TIMEOUT(faults->holding.load() > 0, qPrintable(w->jobPanel()->rows().first()->statusText()), 30000);
        JobProgressWidget *row = w->jobPanel()->rows().first();
        QVERIFY(!row->isFinished());
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("restore-running")));
        row->button()->click();  // Cancel
        QTRY_VERIFY_WITH_TIMEOUT(row->isFinished(), 30000);
        QVERIFY2(row->statusText().startsWith(QStringLiteral("Cancelled")), qPrintable(row->statusText()));
        QVERIFY(!row->failed());
        QCOMPARE(test::treeContents(target), before);  // no staging directory, no partial files
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("restore-cancelled")));
        closeWindow(w);
    }

    void errorsShowInThePaneAndLeaveTheViewConsistent()
    {
        auto w = openConnected();
        // An object deleted behind the app's back: the details pane says so, with the code.
        QVERIFY(store().remove({kApi}).deleted == QStringList{kApi});
        QSignalSpy inspected(w->details(), &DetailsPane::inspectFinished);
        QVERIFY(w->bucketView()->select(kApi));
        w->details()->inspect();
        QVERIFY(inspected.wait(30000));
        QVERIFY(w->details()->banner()->isVisible());
        QVERIFY2(w->details()->banner()->text().contains(QStringLiteral("NoSuchKey")), qPrintable(w->details()->banner()->text()));
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("error-inspect")));

        // A failing listing: the bucket pane shows the server's code and message.
        auto faults = std::make_shared<test::Faults>();
        faults->listError = Error(ErrorKind::AccessDenied, QStringLiteral("AccessDenied"), QStringLiteral("Access Denied"))
                                .setHttpStatus(403);
        w->session()->wrapStore([faults](std::shared_ptr<ObjectStore> store) {
            return std::make_shared<test::FaultyStore>(std::move(store), faults);
        });
        QSignalSpy listed(w->bucketView(), &BucketView::listingFinished);
        w->actions()->refresh()->trigger();
        QVERIFY(listed.wait(30000));
        QCOMPARE(listed.first().first().value<Error>().code(), QStringLiteral("AccessDenied"));
        MessageBanner *banner = w->bucketView()->banner();
        QVERIFY(banner->isVisible());
        QVERIFY2(banner->text().contains(QStringLiteral("AccessDenied (HTTP 403): Access Denied")), qPrintable(banner->text()));
        QVERIFY(!w->bucketView()->isListing());
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("error-listing")));

        // Fixed: the next refresh clears the message and lists again.
        faults->listError = Error();
        listed.clear();
        w->actions()->refresh()->trigger();
        QVERIFY(listed.wait(30000));
        QVERIFY(!banner->isVisible());
        QCOMPARE(w->bucketView()->model()->summary().root()->objects, 4);

        // A profile that cannot connect: the window's banner says why.
        ConnectionProfile broken = localProfile();
        broken.name = QStringLiteral("broken");
        broken.server = QUrl::fromLocalFile(m_dir.filePath(QStringLiteral("gone"))).toString();
        w->profiles()->save(broken, QString());
        QSignalSpy failed(w->session(), &Session::connectFailed);
        w->connectionBar()->connectProfile(QStringLiteral("broken"));
        QVERIFY(failed.wait(10000));
        QVERIFY(w->banner()->isVisible());
        QVERIFY2(w->banner()->text().contains(QStringLiteral("NoSuchDirectory")), qPrintable(w->banner()->text()));
        QCOMPARE(w->bucketView()->model()->rowCount(), 0);  // nothing from the previous connection lingers
        QVERIFY(!w->actions()->refresh()->isEnabled());
        w->profiles()->remove(QStringLiteral("broken"));
        closeWindow(w);
    }

    void keyboard()
    {
        auto w = openConnected();
        QVERIFY(QTest::qWaitForWindowActive(w.get()));
        BucketView *view = w->bucketView();

        QTest::keyClick(w.get(), Qt::Key_F, Qt::ControlModifier);
        QTRY_VERIFY(view->filterEdit()->hasFocus());
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
        QTRY_VERIFY(view->ageSpin()->hasFocus());
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
        QTRY_VERIFY(view->tree()->hasFocus());

        // Del in the filter edits text; Del on the tree asks to delete.
        view->filterEdit()->setFocus();
        QTest::keyClick(view->filterEdit(), Qt::Key_Delete);
        QVERIFY(!w->findChild<QMessageBox *>());
        QVERIFY(view->select(kTool));
        view->tree()->setFocus();
        QTest::keyClick(view->tree(), Qt::Key_Delete);
        QMessageBox *box = nullptr;
        QTRY_VERIFY((box = w->findChild<QMessageBox *>()));
        QVERIFY2(box->text().contains(QStringLiteral("Delete 1 object (")), qPrintable(box->text()));  // not "1 objects"
        box->button(QMessageBox::Cancel)->click();
        QVERIFY(store().head(kTool).ok());

        // F5 lists again.
        QSignalSpy listed(view, &BucketView::listingFinished);
        QTest::keyClick(view->tree(), Qt::Key_F5);
        QVERIFY(listed.wait(30000));
        closeWindow(w);
    }

    void remembersGeometryAndLastProfile()
    {
        auto w = openConnected();
        w->resize(1000, 700);
        w->bucketView()->setAgeThresholdDays(9);
        w->jobsDock()->show();  // saved as open: the next start must not reopen it empty (bug 6)
        w->close();
        QVERIFY(!w->isVisible());
        closeWindow(w);
        QCOMPARE(m_settings->value(QStringLiteral("session/lastProfile")).toString(), QStringLiteral("local"));

        auto again = openWindow();
        QCOMPARE(again->size(), QSize(1000, 700));
        QCOMPARE(again->connectionBar()->currentProfile(), QStringLiteral("local"));
        QCOMPARE(again->bucketView()->ageSpin()->value(), 9);
        QVERIFY(!again->jobsDock()->isVisible());
        closeWindow(again);
    }

    // Issue 17, bug 1 on a local store: a refresh that fails keeps the rows, the expanded
    // folders and the selection; one that succeeds removes only what is gone, and keeps them too.
    void refreshKeepsRowsExpansionAndSelection()
    {
        auto w = openConnected();
        BucketView *view = w->bucketView();
        const auto proxyIndex = [&](const QString &path) {
            return view->proxy()->mapFromSource(view->model()->indexOf(node(w.get(), path)));
        };
        view->tree()->expand(proxyIndex(QStringLiteral("ci-cache/")));
        view->tree()->expand(proxyIndex(QStringLiteral("ci-cache/acme/")));
        QVERIFY(view->select(kApi));
        QVERIFY(w->connectionBar()->statusText().startsWith(QStringLiteral("Connected")));

        auto faults = std::make_shared<test::Faults>();
        faults->listError = Error(ErrorKind::Transient, QStringLiteral("NetworkError"),
                                  QStringLiteral("listing: Connection refused"));
        w->session()->wrapStore([faults](std::shared_ptr<ObjectStore> store) {
            return std::make_shared<test::FaultyStore>(std::move(store), faults);
        });
        QSignalSpy listed(view, &BucketView::listingFinished);
        QTest::keyClick(view->tree(), Qt::Key_F5);
        QVERIFY(listed.wait(30000));
        QCOMPARE(listed.first().first().value<Error>().code(), QStringLiteral("NetworkError"));
        QCOMPARE(view->model()->summary().root()->objects, 5);
        QVERIFY(view->tree()->isExpanded(proxyIndex(QStringLiteral("ci-cache/acme/"))));
        QVERIFY(view->currentNode());
        QCOMPARE(view->currentNode()->path, kApi);
        QCOMPARE(w->details()->currentKey(), kApi);
        QVERIFY2(view->banner()->text().contains(QStringLiteral("the 5 objects listed before")), qPrintable(view->banner()->text()));
        QVERIFY2(!w->connectionBar()->statusText().startsWith(QStringLiteral("Connected")),
                 qPrintable(w->connectionBar()->statusText()));
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("refresh-failed-keeps-tree")));

        // Back, and one cache deleted behind the app's back: only that row goes.
        faults->listError = Error();
        QVERIFY(store().remove({kTool}).deleted == QStringList{kTool});
        listed.clear();
        QTest::keyClick(view->tree(), Qt::Key_F5);
        QVERIFY(listed.wait(30000));
        QVERIFY(!listed.first().first().value<Error>());
        QCOMPARE(view->model()->summary().root()->objects, 4);
        QVERIFY(!node(w.get(), kTool));
        QVERIFY(view->tree()->isExpanded(proxyIndex(QStringLiteral("ci-cache/acme/"))));
        QCOMPARE(view->currentNode() ? view->currentNode()->path : QString(), kApi);
        QVERIFY(w->connectionBar()->statusText().startsWith(QStringLiteral("Connected")));
        QVERIFY(view->banner()->isHidden());
        closeWindow(w);
    }

    // Issue 17, bug 2: the filter never leaves a hidden cache current; matches show expanded;
    // the footer counts what matches; Esc clears it. The Caches view filters the same way.
    void filterDropsHiddenCurrentAndCountsMatches()
    {
        auto w = openConnected();
        BucketView *view = w->bucketView();
        QSignalSpy shown(w->details(), &DetailsPane::metadataShown);
        QVERIFY(view->select(kWeb));
        QVERIFY(shown.wait(10000));
        QVERIFY(w->actions()->restore()->isEnabled());

        view->filterEdit()->setText(QStringLiteral("beta/"));
        QVERIFY(!view->currentNode());
        QVERIFY(w->details()->currentKey().isEmpty());
        QVERIFY(!w->actions()->restore()->isEnabled());
        QVERIFY(!w->actions()->inspect()->isEnabled());
        QVERIFY(!w->actions()->download()->isEnabled());
        // The matches are open, not folders to expand one by one.
        const QModelIndex tool = view->proxy()->mapFromSource(view->model()->indexOf(node(w.get(), kTool)));
        QVERIFY(tool.isValid());
        for (QModelIndex i = tool.parent(); i.isValid(); i = i.parent())
            QVERIFY(view->tree()->isExpanded(i));
        QVERIFY2(view->footer()->text().startsWith(QStringLiteral("2 of 5 objects match")), qPrintable(view->footer()->text()));
        QCOMPARE(view->cacheProxy()->rowCount(), 2);
        QVERIFY2(view->cachesSummary().startsWith(QStringLiteral("2 of 5 caches match")), qPrintable(view->cachesSummary()));
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("filter-matches")));

        // A selection the filter keeps stays.
        QVERIFY(view->select(kTool));
        view->filterEdit()->setText(QStringLiteral("beta/t"));
        QCOMPARE(view->currentNode() ? view->currentNode()->path : QString(), kTool);

        QVERIFY(QTest::qWaitForWindowActive(w.get()));
        view->filterEdit()->setFocus();
        QTest::keyClick(view->filterEdit(), Qt::Key_Escape);
        QVERIFY(view->filterEdit()->text().isEmpty());
        QVERIFY2(view->footer()->text().startsWith(QStringLiteral("5 objects")), qPrintable(view->footer()->text()));
        QCOMPARE(view->cacheProxy()->rowCount(), 5);
        closeWindow(w);
    }

    // Issue 17, bug 3: Test connection, then Enter saves (the focus must not have moved to Cancel).
    void enterAfterTestConnectionSaves()
    {
        m_settings->clear();
        auto w = openWindow();
        w->connectionBar()->newProfile();
        ProfileDialog *dialog = w->connectionBar()->dialog();
        QVERIFY(dialog);
        QVERIFY(QTest::qWaitForWindowActive(dialog));
        dialog->nameEdit()->setText(QStringLiteral("local"));
        dialog->serverEdit()->setText(localProfile().server);
        dialog->bucketEdit()->setText(kBucket);
        QSignalSpy tested(dialog, &ProfileDialog::testFinished);
        dialog->testButton()->setFocus();
        QTest::keyClick(dialog->testButton(), Qt::Key_Space);  // as a keyboard user does
        QVERIFY(tested.wait(10000));
        QVERIFY(tested.first().first().toBool());
        QWidget *focus = QApplication::focusWidget();
        QVERIFY(focus);
        QSignalSpy listed(w->bucketView(), &BucketView::listingFinished);
        QTest::keyClick(focus, Qt::Key_Return);
        QTRY_VERIFY(!w->connectionBar()->dialog());
        QCOMPARE(w->profiles()->names(), QStringList{QStringLiteral("local")});
        QVERIFY(listed.wait(30000));
        closeWindow(w);
    }

    // Issue 17, bug 4: Ctrl+E edits the profile at once, even with the focus in the filter.
    // Issue 17, bug 4: Ctrl+E at start did nothing, because the focused filter field took it as
    // end-of-line. QLineEdit only does that where the platform's key scheme binds Ctrl+E to
    // MoveToEndOfLine (X11, KDE, GNOME, macOS); the offscreen platform's default scheme does
    // not, so there the field is made to claim Ctrl+E as such a line edit does (it accepts the
    // ShortcutOverride). The window's shortcut must win either way.
    void ctrlEEditsTheProfileFromTheFilter()
    {
        auto w = openConnected();
        QVERIFY(QTest::qWaitForWindowActive(w.get()));
        QLineEdit *filter = w->bucketView()->filterEdit();
        QVERIFY(!filter->hasFocus());  // the list has it at start
        const QKeySequence ctrlE(Qt::CTRL | Qt::Key_E);
        struct ClaimsCtrlE : QObject
        {
            bool eventFilter(QObject *, QEvent *event) override
            {
                if (event->type() == QEvent::ShortcutOverride) {
                    const auto *key = static_cast<QKeyEvent *>(event);
                    if (key->key() == Qt::Key_E && key->modifiers() == Qt::ControlModifier)
                        event->accept();  // as QLineEdit does for MoveToEndOfLine; BucketView's filter comes after
                }
                return false;
            }
        } claims;
        if (!QKeySequence::keyBindings(QKeySequence::MoveToEndOfLine).contains(ctrlE))
            filter->installEventFilter(&claims);  // installed last: runs before BucketView's own filter
        w->bucketView()->focusFilter();
        QTRY_VERIFY(filter->hasFocus());
        filter->setText(QStringLiteral("web"));
        filter->setCursorPosition(0);
        QTest::keyClick(filter, Qt::Key_E, Qt::ControlModifier);
        QTRY_VERIFY(w->connectionBar()->dialog());
        QCOMPARE(w->connectionBar()->dialog()->nameEdit()->text(), QStringLiteral("local"));
        QCOMPARE(filter->cursorPosition(), 0);  // not taken as end-of-line
        w->connectionBar()->dialog()->reject();
        filter->removeEventFilter(&claims);
        closeWindow(w);
    }

    // The flat Caches view: one row per cache with its repository, the header summary, the
    // clipboard (key, address, restore command line) and the context menu.
    void cachesViewAndClipboard()
    {
        auto w = openConnected();
        BucketView *view = w->bucketView();
        view->showCaches(true);
        QCOMPARE(view->cacheProxy()->rowCount(), 5);
        QVERIFY2(view->cachesSummary().startsWith(QStringLiteral("5 caches, ")), qPrintable(view->cachesSummary()));
        QVERIFY2(view->cachesSummary().contains(QStringLiteral("older than 14 d")), qPrintable(view->cachesSummary()));
        QStringList repositories;
        for (int row = 0; row < view->cacheProxy()->rowCount(); ++row)
            repositories << view->cacheProxy()->index(row, CacheTableModel::RepositoryColumn).data().toString();
        repositories.sort();
        QCOMPARE(repositories, (QStringList{QStringLiteral("acme/api"), QStringLiteral("acme/webapp"), QStringLiteral("acme/webapp"),
                                            QStringLiteral("beta/old"), QStringLiteral("beta/tool")}));
        QVERIFY(view->select(kApi));
        QCOMPARE(view->currentNode() ? view->currentNode()->path : QString(), kApi);
        QVERIFY(w->actions()->restore()->isEnabled());
        w->actions()->copyKey()->trigger();
        QCOMPARE(QGuiApplication::clipboard()->text(), kApi);
        w->actions()->copyCommand()->trigger();
        const QString command = QGuiApplication::clipboard()->text();
        QVERIFY2(command.startsWith(QStringLiteral("s3cache restore --server ")), qPrintable(command));
        QVERIFY2(command.contains(QStringLiteral("--bucket ci --key ") + kApi), qPrintable(command));
        w->actions()->copyUri()->trigger();
        QVERIFY2(QGuiApplication::clipboard()->text().endsWith(QStringLiteral("/ci/") + kApi), qPrintable(QGuiApplication::clipboard()->text()));

        QTableView *table = view->cacheTable();
        const QModelIndex current = table->currentIndex();
        QVERIFY(current.isValid());
        emit table->customContextMenuRequested(table->visualRect(current).center());
        QTRY_VERIFY(w->actions()->contextMenu() && w->actions()->contextMenu()->isVisible());
        QVERIFY(w->actions()->contextMenu()->actions().contains(w->actions()->copyCommand()));
        QVERIFY(w->actions()->contextMenu()->actions().contains(w->actions()->restore()));
        w->actions()->contextMenu()->close();
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("caches-view")));
        view->showCaches(false);
        closeWindow(w);
    }

    // Issue 17, bug 6: in a narrow window (640 px) the names stay readable: the name column keeps
    // a whole "archive.tar.zst" and the numbers give way (the view scrolls sideways).
    void narrowWindowKeepsNamesReadable()
    {
        auto w = openConnected();
        w->resize(640, 480);
        BucketView *view = w->bucketView();
        view->tree()->expandAll();
        const int fileName = view->tree()->fontMetrics().horizontalAdvance(QStringLiteral("archive.tar.zst"));
        QTRY_VERIFY(view->tree()->header()->sectionSize(BucketTreeModel::NameColumn) >= fileName);
        view->showCaches(true);
        QTRY_VERIFY(view->cacheTable()->horizontalHeader()->sectionSize(CacheTableModel::KeyColumn)
                    >= view->cacheTable()->fontMetrics().horizontalAdvance(QStringLiteral("ci-cache/acme/archive.tar.zst")));
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("narrow-640")));
        view->showCaches(false);
        closeWindow(w);
    }

    // Accessibility: every input of the window and its dialogs has a label (its buddy) or an
    // accessible name, so a screen reader can say what it is.
    void everyInputHasALabelOrName()
    {
        auto w = openConnected();
        w->connectionBar()->editProfile();
        QVERIFY(w->connectionBar()->dialog());
        w->actions()->flush()->trigger();
        QVERIFY(w->actions()->flushDialog());
        QStringList unnamed;
        QList<QWidget *> roots{w.get(), w->connectionBar()->dialog(), w->actions()->flushDialog()};
        for (QWidget *root : roots) {
            QSet<const QWidget *> buddies;
            for (const QLabel *label : root->findChildren<QLabel *>())
                if (label->buddy())
                    buddies.insert(label->buddy());
            QList<QWidget *> inputs;
            for (QWidget *input : root->findChildren<QWidget *>()) {
                const bool isInput = qobject_cast<QLineEdit *>(input) || qobject_cast<QAbstractSpinBox *>(input)
                                     || qobject_cast<QComboBox *>(input)
                                     || (qobject_cast<QAbstractItemView *>(input) && !qobject_cast<QHeaderView *>(input));
                // The line edit inside a spin box or a combo box is part of it.
                const bool part = qobject_cast<QAbstractSpinBox *>(input->parentWidget())
                                  || qobject_cast<QComboBox *>(input->parentWidget())
                                  || (input->parentWidget() && qobject_cast<QComboBox *>(input->parentWidget()->parentWidget()));
                if (isInput && !part && input->accessibleName().isEmpty() && !buddies.contains(input))
                    unnamed << QStringLiteral("%1 in %2").arg(QString::fromLatin1(input->metaObject()->className()),
                                                              QString::fromLatin1(root->metaObject()->className()));
            }
        }
        QVERIFY2(unnamed.isEmpty(), qPrintable(unnamed.join(QStringLiteral(", "))));
        w->actions()->flushDialog()->close();
        w->connectionBar()->dialog()->reject();
        closeWindow(w);
    }

    // The first start without a profile shows what to do, in the middle of the window.
    void emptyStateOnFirstStart()
    {
        m_settings->clear();
        auto w = openWindow();
        QVERIFY(w->emptyState()->isVisible());
        QVERIFY(w->emptyState()->findChild<QPushButton *>(QStringLiteral("emptyNewProfile")));
        QVERIFY(w->emptyState()->findChild<QPushButton *>(QStringLiteral("emptyOpenLocal")));
        QVERIFY(!w->jobsDock()->isVisible());
        QVERIFY(test::saveScreenshot(w.get(), QStringLiteral("empty-state")));
        QSignalSpy listed(w->bucketView(), &BucketView::listingFinished);
        w->openLocalStore(QDir(storeRoot()).filePath(kBucket));
        QVERIFY(listed.wait(30000));
        QVERIFY(!listed.first().first().value<Error>());
        QVERIFY(!w->emptyState()->isVisible());
        QCOMPARE(w->bucketView()->model()->summary().root()->objects, 5);
        closeWindow(w);
    }

    // Issue 17, bug 9: quitting while a job runs asks; "Keep running" keeps it.
    void closingWaitsForRunningJobs()
    {
        auto w = openConnected();
        auto faults = std::make_shared<test::Faults>();
        faults->holdReadsAfter = 0;
        w->session()->wrapStore([faults](std::shared_ptr<ObjectStore> store) {
            return std::make_shared<test::FaultyStore>(std::move(store), faults);
        });
        const QString file = m_dir.filePath(QStringLiteral("never.tar.zst"));
        QVERIFY(w->actions()->startDownload(kWeb, file));
        QTRY_VERIFY_WITH_TIMEOUT(faults->holding.load() > 0, 30000);
        w->close();
        QMessageBox *question = nullptr;
        QTRY_VERIFY((question = w->quitQuestion()) && question->isVisible());
        QVERIFY2(question->text().contains(QStringLiteral("1 job still running")), qPrintable(question->text()));
        QVERIFY(test::saveScreenshot(question, QStringLiteral("quit-question")));
        QAbstractButton *keep = nullptr;
        QAbstractButton *quit = nullptr;
        for (QAbstractButton *b : question->buttons()) {
            if (b->text().contains(QStringLiteral("Keep")))
                keep = b;
            else if (b->text().contains(QStringLiteral("quit")))
                quit = b;
        }
        QVERIFY(keep && quit);
        keep->click();
        QTRY_VERIFY(!w->quitQuestion());
        QVERIFY(w->isVisible());
        QCOMPARE(w->jobPanel()->runningCount(), 1);
        w->close();
        QTRY_VERIFY((question = w->quitQuestion()) && question->isVisible());
        for (QAbstractButton *b : question->buttons())
            if (b->text().contains(QStringLiteral("quit")))
                b->click();  // cancels, then closes once the download stopped
        QTRY_VERIFY_WITH_TIMEOUT(!w->isVisible(), 30000);
        QCOMPARE(w->session()->runningJobs(), 0);
        QVERIFY(!QFile::exists(file));
        w.reset();
    }
};

S3CACHE_GUI_TEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
