// The thin Qt layer over the core: number formatting, the bucket tree model (checked by
// QAbstractItemModelTester while pages arrive and objects go), sorting and recursive filtering
// through the proxy, the age highlight, and the space chart's numbers.
#include "bucketproxymodel.h"
#include "buckettreemodel.h"
#include "format.h"
#include "guitest.h"
#include "spacechart.h"
#include "cache/cachekey.h"

#include <QHeaderView>
#include <QTreeWidget>

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTreeView>

using namespace s3cache;

namespace {

const QDateTime kNow = QDateTime(QDate(2024, 6, 1), QTime(12, 0), Qt::UTC);

ObjectInfo object(const QString &key, qint64 size, double ageDays)
{
    ObjectInfo o;
    o.key = key;
    o.size = size;
    o.lastModified = kNow.addSecs(qint64(-ageDays * 86400));
    return o;
}

QList<ObjectInfo> sampleBucket()
{
    return {object(QStringLiteral("ci/acme/webapp/archive.tar.zst"), 5'000'000, 1),
            object(QStringLiteral("ci/acme/webapp/archive.tgz"), 3'000'000, 40),
            object(QStringLiteral("ci/acme/api/archive.tar.zst"), 800'000, 20),
            object(QStringLiteral("ci/beta/tool/archive.tar.zst"), 20'000'000, 2),
            object(QStringLiteral("ci/beta/old/archive.tar.zst"), 100, 100),
            object(QStringLiteral("readme.txt"), 10, 0.5)};
}

QModelIndex findPath(const QAbstractItemModel *model, const QString &path, const QModelIndex &parent = {})
{
    for (int row = 0; row < model->rowCount(parent); ++row) {
        const QModelIndex index = model->index(row, 0, parent);
        if (index.data(BucketTreeModel::PathRole).toString() == path)
            return index;
        if (path.startsWith(index.data(BucketTreeModel::PathRole).toString())) {
            const QModelIndex found = findPath(model, path, index);
            if (found.isValid())
                return found;
        }
    }
    return {};
}

QStringList visibleObjects(const QAbstractItemModel *model, const QModelIndex &parent = {})
{
    QStringList keys;
    for (int row = 0; row < model->rowCount(parent); ++row) {
        const QModelIndex index = model->index(row, 0, parent);
        if (index.data(BucketTreeModel::IsObjectRole).toBool())
            keys << index.data(BucketTreeModel::PathRole).toString();
        keys += visibleObjects(model, index);
    }
    return keys;
}

} // namespace

class TestModels : public QObject
{
    Q_OBJECT
private slots:
    void formatBytes_data()
    {
        QTest::addColumn<qint64>("bytes");
        QTest::addColumn<QString>("text");
        QTest::newRow("zero") << qint64(0) << QStringLiteral("0 B");
        QTest::newRow("bytes") << qint64(1023) << QStringLiteral("1023 B");
        QTest::newRow("kib") << qint64(1536) << QStringLiteral("1.50 KiB");
        QTest::newRow("mib") << qint64(15) * 1024 * 1024 << QStringLiteral("15.0 MiB");
        QTest::newRow("gib") << qint64(3) * 1024 * 1024 * 1024 + qint64(200) * 1024 * 1024 << QStringLiteral("3.20 GiB");
        QTest::newRow("unknown") << qint64(-1) << QStringLiteral("?");
    }
    void formatBytes()
    {
        QFETCH(qint64, bytes);
        QFETCH(QString, text);
        QCOMPARE(Format::bytes(bytes), text);
    }

    void formatAgeAndDuration_data()
    {
        QTest::addColumn<qint64>("seconds");
        QTest::addColumn<QString>("age");
        QTest::addColumn<QString>("duration");
        QTest::newRow("seconds") << qint64(45) << QStringLiteral("< 1 min") << QStringLiteral("45 s");
        QTest::newRow("minutes") << qint64(185) << QStringLiteral("3 min") << QStringLiteral("3 min 05 s");
        QTest::newRow("hours") << qint64(3 * 3600 + 20 * 60) << QStringLiteral("3 h 20 min") << QStringLiteral("3 h 20 min");
        QTest::newRow("days") << qint64(2 * 86400 + 5 * 3600 + 60) << QStringLiteral("2 d 5 h") << QStringLiteral("53 h 01 min");
        QTest::newRow("whole hours") << qint64(3 * 3600 + 30) << QStringLiteral("3 h") << QStringLiteral("3 h 00 min");
        QTest::newRow("whole days") << qint64(3 * 86400 + 600) << QStringLiteral("3 d") << QStringLiteral("72 h 10 min");
        QTest::newRow("weeks") << qint64(14 * 86400 + 2 * 3600) << QStringLiteral("14 d") << QStringLiteral("338 h 00 min");
        QTest::newRow("unknown") << qint64(-1) << QStringLiteral("?") << QStringLiteral("?");
    }
    void formatAgeAndDuration()
    {
        QFETCH(qint64, seconds);
        QFETCH(QString, age);
        QFETCH(QString, duration);
        QCOMPARE(Format::age(seconds), age);
        QCOMPARE(Format::duration(seconds), duration);
        // "ago" reads as a sentence, never "just now ago" or "(just now old)".
        QCOMPARE(Format::ago(seconds), seconds < 0 ? QStringLiteral("?") : seconds < 60 ? QStringLiteral("just now") : age + QStringLiteral(" ago"));
    }

    void formatTlsErrorWithoutOpenSslText()
    {
        const Error e(ErrorKind::Auth, QStringLiteral("TlsError"),
                      QStringLiteral("listing s3://b: SSL handshake failed: error:0A00010B:SSL routines::wrong version number"));
        QCOMPARE(Format::errorMessage(e), QStringLiteral("listing s3://b: the TLS handshake failed (wrong version number)"));
        QVERIFY(!Format::errorHtml(e).contains(QStringLiteral("SSL routines")));
        QVERIFY(!Format::errorText(e).contains(QStringLiteral("error:0A")));
    }

    void formatCountAndError()
    {
        QCOMPARE(Format::count(0), QStringLiteral("0"));
        QCOMPARE(Format::count(1234567), QStringLiteral("1,234,567"));
        QCOMPARE(Format::count(-1000), QStringLiteral("-1,000"));
        Error e(ErrorKind::NotFound, QStringLiteral("NoSuchBucket"), QStringLiteral("The bucket <b> does not exist"));
        e.setHttpStatus(404).setRequestId(QStringLiteral("REQ1"));
        const QString html = Format::errorHtml(e);
        QVERIFY(html.startsWith(QStringLiteral("<b>NoSuchBucket</b> (HTTP 404): The bucket &lt;b&gt; does not exist")));
        QVERIFY(html.contains(QStringLiteral("request id REQ1")));
    }

    void treeModelStaysValidThroughPagesAndRemovals()
    {
        BucketTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        BucketProxyModel proxy;
        proxy.setBucketModel(&model);
        QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.sort(BucketTreeModel::SizeColumn, Qt::DescendingOrder);
        QTreeView view;
        view.setModel(&proxy);
        view.expandAll();
        model.setNow(kNow);

        const QList<ObjectInfo> all = sampleBucket();
        model.addObjects(all.mid(0, 2));
        view.expandAll();
        model.addObjects(all.mid(2));
        model.addObjects({object(QStringLiteral("ci/acme/webapp/archive.tgz"), 1'000'000, 0.1)});  // replaced
        QCOMPARE(model.summary().root()->objects, 6);
        const QModelIndex acme = findPath(&model, QStringLiteral("ci/acme/"));
        QCOMPARE(acme.siblingAtColumn(BucketTreeModel::SizeColumn).data(BucketTreeModel::SortRole).toLongLong(), 6'800'000);
        QCOMPARE(acme.siblingAtColumn(BucketTreeModel::ObjectsColumn).data().toString(), QStringLiteral("3"));
        QCOMPARE(acme.siblingAtColumn(BucketTreeModel::SizeColumn).data().toString(), QStringLiteral("6.48 MiB"));

        model.removeObjects({QStringLiteral("ci/beta/old/archive.tar.zst"), QStringLiteral("ci/beta/tool/archive.tar.zst")});
        QVERIFY(!findPath(&model, QStringLiteral("ci/beta/")).isValid());
        QCOMPARE(model.summary().root()->objects, 4);
        model.clear();
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(proxy.rowCount(), 0);
    }

    void sortingKeepsFoldersFirstAndSortsNumbersAsNumbers()
    {
        BucketTreeModel model;
        model.setNow(kNow);
        model.addObjects(sampleBucket());
        BucketProxyModel proxy;
        proxy.setBucketModel(&model);
        proxy.sort(BucketTreeModel::SizeColumn, Qt::DescendingOrder);
        // Top level: the folder "ci/" before the object "readme.txt" even though sorted descending.
        QCOMPARE(proxy.index(0, 0).data(BucketTreeModel::PathRole).toString(), QStringLiteral("ci/"));
        QCOMPARE(proxy.index(1, 0).data(BucketTreeModel::PathRole).toString(), QStringLiteral("readme.txt"));
        const QModelIndex ci = proxy.index(0, 0);
        // beta (20 MB) before acme (8.8 MB): by bytes, not by the text "19.1 MiB" vs "8.39 MiB".
        QCOMPARE(proxy.index(0, 0, ci).data(BucketTreeModel::PathRole).toString(), QStringLiteral("ci/beta/"));
        proxy.sort(BucketTreeModel::AgeColumn, Qt::AscendingOrder);
        const QModelIndex webapp = findPath(&proxy, QStringLiteral("ci/acme/webapp/"));
        QCOMPARE(proxy.index(0, 0, webapp).data(BucketTreeModel::PathRole).toString(), QStringLiteral("ci/acme/webapp/archive.tar.zst"));
    }

    void filterMatchesKeysAndKeepsTheirFolders_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<QStringList>("visible");
        QTest::newRow("empty") << QString() << QStringList{
            QStringLiteral("ci/acme/api/archive.tar.zst"), QStringLiteral("ci/acme/webapp/archive.tar.zst"),
            QStringLiteral("ci/acme/webapp/archive.tgz"), QStringLiteral("ci/beta/old/archive.tar.zst"),
            QStringLiteral("ci/beta/tool/archive.tar.zst"), QStringLiteral("readme.txt")};
        QTest::newRow("folder-path") << QStringLiteral("beta/TOOL") << QStringList{QStringLiteral("ci/beta/tool/archive.tar.zst")};
        QTest::newRow("file-name") << QStringLiteral(".tgz") << QStringList{QStringLiteral("ci/acme/webapp/archive.tgz")};
        QTest::newRow("whole-folder") << QStringLiteral("ci/acme/") << QStringList{
            QStringLiteral("ci/acme/api/archive.tar.zst"), QStringLiteral("ci/acme/webapp/archive.tar.zst"),
            QStringLiteral("ci/acme/webapp/archive.tgz")};
        QTest::newRow("nothing") << QStringLiteral("no-such-thing") << QStringList{};
    }
    void filterMatchesKeysAndKeepsTheirFolders()
    {
        QFETCH(QString, filter);
        QFETCH(QStringList, visible);
        BucketTreeModel model;
        model.addObjects(sampleBucket());
        BucketProxyModel proxy;
        proxy.setBucketModel(&model);
        proxy.sort(BucketTreeModel::NameColumn, Qt::AscendingOrder);
        proxy.setFilterText(filter);
        QStringList keys = visibleObjects(&proxy);
        keys.sort();
        QCOMPARE(keys, visible);
        // Pages arriving while filtered are filtered too.
        model.addObjects({object(QStringLiteral("ci/beta/tool/archive.tgz"), 1, 1)});
        QCOMPARE(visibleObjects(&proxy).contains(QStringLiteral("ci/beta/tool/archive.tgz")),
                 QStringLiteral("ci/beta/tool/archive.tgz").contains(filter, Qt::CaseInsensitive));
    }

    void filterFollowsPagesAndRemovals()
    {
        BucketTreeModel model;
        BucketProxyModel proxy;
        proxy.setBucketModel(&model);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QTreeView view;
        view.setModel(&proxy);
        proxy.setFilterText(QStringLiteral("webapp"));
        model.addObjects({object(QStringLiteral("ci/acme/api/archive.tar.zst"), 1, 1)});
        QCOMPARE(proxy.rowCount(), 0);
        // A match arrives below folders that were hidden, one of them new.
        model.addObjects({object(QStringLiteral("ci/acme/webapp/archive.tar.zst"), 2, 1),
                          object(QStringLiteral("ci/beta/deep/webapp-tools/archive.tgz"), 3, 1)});
        view.expandAll();
        QStringList keys = visibleObjects(&proxy);
        keys.sort();
        QCOMPARE(keys, (QStringList{QStringLiteral("ci/acme/webapp/archive.tar.zst"), QStringLiteral("ci/beta/deep/webapp-tools/archive.tgz")}));
        QVERIFY(!findPath(&proxy, QStringLiteral("ci/acme/api/")).isValid());
        // The only match below beta goes: beta goes from the view, acme stays.
        model.removeObjects({QStringLiteral("ci/beta/deep/webapp-tools/archive.tgz")});
        QVERIFY(!findPath(&proxy, QStringLiteral("ci/beta/")).isValid());
        QVERIFY(findPath(&proxy, QStringLiteral("ci/acme/")).isValid());
        // A non-matching object next to a match changes nothing visible; removing the match hides all.
        model.addObjects({object(QStringLiteral("ci/acme/webapp2/x.tar"), 4, 1)});
        QCOMPARE(visibleObjects(&proxy).size(), 2);
        model.removeObjects({QStringLiteral("ci/acme/webapp/archive.tar.zst"), QStringLiteral("ci/acme/webapp2/x.tar")});
        QCOMPARE(proxy.rowCount(), 0);
        proxy.setFilterText(QString());
        QCOMPARE(visibleObjects(&proxy), QStringList{QStringLiteral("ci/acme/api/archive.tar.zst")});
    }

    void largeFilteredListing()
    {
        // 20,000 objects in pages while a filter is active: each page costs the folders on its
        // path, not the whole tree (Qt's recursive filtering took minutes here).
        BucketTreeModel model;
        BucketProxyModel proxy;
        proxy.setBucketModel(&model);
        QTreeView view;
        view.setModel(&proxy);
        view.setUniformRowHeights(true);
        proxy.setFilterText(QStringLiteral("repo17/"));
        QStringList removed;
        for (int page = 0; page < 20; ++page) {
            QList<ObjectInfo> objects;
            for (int i = 0; i < 1000; ++i) {
                const int n = page * 1000 + i;
                objects << object(QStringLiteral("ci/org%1/repo%2/archive-%3.tar.zst").arg(n % 20).arg(n % 600).arg(n), n, 1);
                if (n % 3 == 0)
                    removed << objects.last().key;
            }
            model.addObjects(objects);
            view.expandAll();
        }
        const QStringList visible = visibleObjects(&proxy);
        QCOMPARE(visible.size(), 20'000 / 600 + 1);  // n % 600 == 17
        for (const QString &key : visible)
            QVERIFY(key.contains(QStringLiteral("/repo17/")));
        model.removeObjects(removed);  // repo17 is not a multiple of 3: all of it stays
        QCOMPARE(visibleObjects(&proxy).size(), 20'000 / 600 + 1);
        QCOMPARE(model.summary().root()->objects, 20'000 - removed.size());
    }

    void ageThresholdHighlights()
    {
        BucketTreeModel model;
        model.setNow(kNow);
        model.addObjects(sampleBucket());
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setAgeThreshold(14 * 86400);
        const auto expired = [&](const QString &path) {
            return findPath(&model, path).data(BucketTreeModel::ExpiredRole).toBool();
        };
        QVERIFY(expired(QStringLiteral("ci/acme/webapp/archive.tgz")));  // 40 days
        QVERIFY(expired(QStringLiteral("ci/acme/api/archive.tar.zst")));  // 20 days
        QVERIFY(!expired(QStringLiteral("ci/acme/webapp/archive.tar.zst")));
        QVERIFY(expired(QStringLiteral("ci/acme/webapp/")));  // holds an expired object
        QVERIFY(!expired(QStringLiteral("ci/beta/tool/")));
        QVERIFY(findPath(&model, QStringLiteral("ci/acme/webapp/archive.tgz")).data(Qt::BackgroundRole).isValid());
        QVERIFY(!findPath(&model, QStringLiteral("ci/beta/tool/")).data(Qt::BackgroundRole).isValid());

        changed.clear();
        model.setAgeThreshold(30 * 86400);
        QVERIFY(!changed.isEmpty());  // views repaint the highlight
        QVERIFY(!expired(QStringLiteral("ci/acme/api/archive.tar.zst")));
        QVERIFY(expired(QStringLiteral("ci/acme/webapp/archive.tgz")));
        QCOMPARE(findPath(&model, QStringLiteral("ci/acme/webapp/archive.tgz")).siblingAtColumn(BucketTreeModel::AgeColumn).data().toString(),
                 QStringLiteral("40 d"));
    }

    void chartShowsTheSummaryNumbers()
    {
        BucketTreeModel model;
        model.setNow(kNow);
        SpaceChart chart(&model);
        chart.resize(700, 450);
        chart.show();
        QSignalSpy updated(&chart, &SpaceChart::updated);
        model.addObjects(sampleBucket());
        QVERIFY(updated.wait(5000));  // coalesced redraw after the page
        QCOMPARE(chart.shares().size(), 5);  // four repositories and the bucket root
        QCOMPARE(chart.shares().first().label, QStringLiteral("ci/beta/tool"));
        QCOMPARE(chart.shares().first().bytes, 20'000'000);
        qint64 total = 0;
        for (const AgeBucket &b : chart.ages())
            total += b.objects;
        QCOMPARE(total, 6);
        QVERIFY(test::saveScreenshot(&chart, QStringLiteral("chart-repositories")));
        chart.setMode(SpaceChart::Mode::Ages);
        QCOMPARE(chart.mode(), SpaceChart::Mode::Ages);
        QVERIFY(test::saveScreenshot(&chart, QStringLiteral("chart-ages")));
    }

    // Issue 17, bug 5: a repository's branch folders count with it; every label is there in
    // full (no "\u2026" at the default size), every repository has a visible bar (not just the
    // largest), and the first age bucket has its label.
    void spaceTableReadsAtAnySize()
    {
        QCOMPARE(parseCacheKey(QStringLiteral("vela/acme/mobile/npm-feature/archive.tar.zst")).repository(), QStringLiteral("acme/mobile"));
        QCOMPARE(parseCacheKey(QStringLiteral("vela/acme/mobile/npm-feature/archive.tar.zst")).branch, QStringLiteral("npm-feature"));
        QCOMPARE(parseCacheKey(QStringLiteral("vela/acme/mobile/archive.tar.zst")).prefix, QStringLiteral("vela"));
        QCOMPARE(parseCacheKey(QStringLiteral("acme/mobile/archive.tar.zst")).repository(), QStringLiteral("acme/mobile"));
        QVERIFY(parseCacheKey(QStringLiteral("archive.tar.zst")).repository().isEmpty());

        BucketTreeModel model;
        model.setNow(kNow);
        SpaceChart chart(&model);
        chart.resize(420, 300);  // narrower than the details pane at 1024 px
        chart.show();
        QSignalSpy updated(&chart, &SpaceChart::updated);
        QList<ObjectInfo> objects = sampleBucket();
        objects << object(QStringLiteral("ci/acme/webapp/feature-login/archive.tar.zst"), 1'000'000, 0.2);
        model.addObjects(objects);
        QVERIFY(updated.wait(5000));
        QCOMPARE(chart.shares().size(), 5);  // the branch folder is not a repository of its own
        const auto share = [&](const QString &label) {
            for (const SpaceShare &s : chart.shares())
                if (s.label == label)
                    return s.bytes;
            return qint64(-1);
        };
        QCOMPARE(share(QStringLiteral("ci/acme/webapp")), 9'000'000);
        QTreeWidget *table = chart.table();
        QCOMPARE(table->topLevelItemCount(), 5);
        for (int i = 0; i < table->topLevelItemCount(); ++i) {
            QTreeWidgetItem *item = table->topLevelItem(i);
            QCOMPARE(item->text(0), chart.shares().at(i).label);
            QVERIFY2(item->data(3, Qt::UserRole + 1).toDouble() > 0, qPrintable(item->text(0)));  // a bar, however small
            QTRY_VERIFY(table->header()->sectionSize(0) >= table->fontMetrics().horizontalAdvance(item->text(0)));
        }
        chart.setMode(SpaceChart::Mode::Ages);
        QCOMPARE(table->topLevelItem(0)->text(0), QStringLiteral("< 1 day"));
        QVERIFY(test::saveScreenshot(&chart, QStringLiteral("chart-ages-narrow")));
    }
};

S3CACHE_GUI_TEST_MAIN(TestModels)
#include "tst_models.moc"
