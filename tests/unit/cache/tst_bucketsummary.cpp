// BucketSummary: keys grouped into folders with exact totals, built page by page, updated by
// removals, and the numbers behind the GUI's charts and delete confirmation. The observer
// protocol is checked against the tree itself, since a Qt model relies on it row for row.
#include "cache/bucketsummary.h"
#include "cache/cachekey.h"

#include <QTest>

using namespace s3cache;

namespace {

const QDateTime kNow = QDateTime(QDate(2024, 6, 1), QTime(12, 0), Qt::UTC);

ObjectInfo object(const QString &key, qint64 size, qint64 ageDays)
{
    ObjectInfo o;
    o.key = key;
    o.size = size;
    o.lastModified = kNow.addDays(-ageDays);
    return o;
}

// Records the notifications and checks each against the tree: rows announced before an
// insertion do not exist yet and exist after it, removed rows the other way round.
class RecordingObserver : public BucketObserver
{
public:
    QStringList events;
    const BucketNode *pendingParent = nullptr;
    size_t countBefore = 0;
    int pendingFirst = 0;
    int pendingLast = 0;
    bool consistent = true;

    void beginInsert(const BucketNode *parent, int first, int last) override
    {
        events << QStringLiteral("insert %1 %2-%3").arg(parent->path).arg(first).arg(last);
        pendingParent = parent;
        countBefore = parent->children.size();
        pendingFirst = first;
        pendingLast = last;
        consistent = consistent && size_t(first) == countBefore && last >= first;
    }
    void endInsert() override
    {
        consistent = consistent && pendingParent->children.size() == countBefore + size_t(pendingLast - pendingFirst + 1);
        for (size_t row = 0; row < pendingParent->children.size(); ++row)
            consistent = consistent && pendingParent->children[row]->row == int(row) && pendingParent->children[row]->parent == pendingParent;
    }
    void beginRemove(const BucketNode *parent, int first, int last) override
    {
        events << QStringLiteral("remove %1 %2-%3").arg(parent->path).arg(first).arg(last);
        pendingParent = parent;
        countBefore = parent->children.size();
        pendingFirst = first;
        pendingLast = last;
        consistent = consistent && first >= 0 && size_t(last) < countBefore;
    }
    void endRemove() override
    {
        consistent = consistent && pendingParent->children.size() == countBefore - size_t(pendingLast - pendingFirst + 1);
    }
    void changed(const BucketNode *node) override { events << QStringLiteral("changed %1").arg(node->path); }
    void beginReset() override { events << QStringLiteral("reset"); }
    void endReset() override {}
};

QStringList childNames(const BucketNode *node)
{
    QStringList names;
    for (const auto &child : node->children)
        names << child->name + (child->isObject ? QString() : QStringLiteral("/"));
    return names;
}

// Every folder's totals equal the sum over its children and rows match positions.
bool totalsConsistent(const BucketNode *node)
{
    if (node->isObject)
        return true;
    qint64 bytes = 0;
    qint64 objects = 0;
    QDateTime oldest;
    QDateTime newest;
    for (size_t row = 0; row < node->children.size(); ++row) {
        const BucketNode *child = node->children[row].get();
        if (child->row != int(row) || child->parent != node || !totalsConsistent(child))
            return false;
        bytes += child->bytes;
        objects += child->objects;
        if (!oldest.isValid() || child->oldest < oldest)
            oldest = child->oldest;
        if (!newest.isValid() || child->newest > newest)
            newest = child->newest;
    }
    return bytes == node->bytes && objects == node->objects && oldest == node->oldest && newest == node->newest;
}

} // namespace

class TestBucketSummary : public QObject
{
    Q_OBJECT
private slots:
    void groupsKeysIntoFoldersWithTotals()
    {
        BucketSummary s;
        s.addObjects({object(QStringLiteral("ci/acme/web/archive.tar.zst"), 100, 1),
                      object(QStringLiteral("ci/acme/web/archive.tgz"), 50, 30),
                      object(QStringLiteral("ci/acme/api/archive.tar.zst"), 7, 3),
                      object(QStringLiteral("top.tar"), 1, 0)});
        const BucketNode *root = s.root();
        QCOMPARE(childNames(root), (QStringList{QStringLiteral("ci/"), QStringLiteral("top.tar")}));
        QCOMPARE(root->objects, 4);
        QCOMPARE(root->bytes, 158);
        const BucketNode *acme = s.find(QStringLiteral("ci/acme/"));
        QVERIFY(acme);
        QCOMPARE(acme->path, QStringLiteral("ci/acme/"));
        QCOMPARE(childNames(acme), (QStringList{QStringLiteral("web/"), QStringLiteral("api/")}));
        QCOMPARE(acme->bytes, 157);
        QCOMPARE(acme->objects, 3);
        QCOMPARE(acme->oldest, kNow.addDays(-30));
        QCOMPARE(acme->newest, kNow.addDays(-1));
        const BucketNode *tgz = s.find(QStringLiteral("ci/acme/web/archive.tgz"));
        QVERIFY(tgz && tgz->isObject);
        QCOMPARE(tgz->object.size, 50);
        QCOMPARE(tgz->parent, s.find(QStringLiteral("ci/acme/web/")));
        QVERIFY(totalsConsistent(root));
        QVERIFY(!s.find(QStringLiteral("ci/acme/web")));      // a folder needs its slash
        QVERIFY(!s.find(QStringLiteral("ci/other/")));
    }

    void objectAndFolderMayShareAName()
    {
        BucketSummary s;
        s.addObjects({object(QStringLiteral("a/b"), 1, 0), object(QStringLiteral("a/b/c"), 2, 0)});
        QVERIFY(s.find(QStringLiteral("a/b"))->isObject);
        QVERIFY(!s.find(QStringLiteral("a/b/"))->isObject);
        QCOMPARE(s.find(QStringLiteral("a/"))->objects, 2);
        s.removeObjects({QStringLiteral("a/b")});
        QVERIFY(!s.find(QStringLiteral("a/b")));
        QCOMPARE(s.find(QStringLiteral("a/b/"))->objects, 1);
        QVERIFY(totalsConsistent(s.root()));
    }

    void pagesAreAnnouncedAsOneBlockPerExistingFolder()
    {
        BucketSummary s;
        RecordingObserver observer;
        s.setObserver(&observer);
        s.addObjects({object(QStringLiteral("p/a/r1/x"), 1, 0), object(QStringLiteral("p/a/r2/x"), 2, 0)});
        // The whole new subtree hangs below the root: one insertion, and the root's totals.
        QCOMPARE(observer.events, (QStringList{QStringLiteral("insert  0-0"), QStringLiteral("changed ")}));

        observer.events.clear();
        s.addObjects({object(QStringLiteral("p/a/r3/x"), 4, 0), object(QStringLiteral("p/a/r1/y"), 8, 0),
                      object(QStringLiteral("p/a/r4/x"), 16, 0), object(QStringLiteral("q/z"), 32, 0)});
        QVERIFY(observer.consistent);
        QVERIFY(observer.events.contains(QStringLiteral("insert p/a/ 2-3")));  // r3 and r4 together
        QVERIFY(observer.events.contains(QStringLiteral("insert p/a/r1/ 1-1")));
        QVERIFY(observer.events.contains(QStringLiteral("insert  1-1")));      // q/
        QVERIFY(observer.events.contains(QStringLiteral("changed p/a/")));
        QVERIFY(observer.events.contains(QStringLiteral("changed p/a/r1/")));
        QVERIFY(!observer.events.contains(QStringLiteral("changed p/a/r3/")));  // new: nothing to update
        QCOMPARE(s.root()->bytes, 63);
        QVERIFY(totalsConsistent(s.root()));
    }

    void aKeyListedAgainIsUpdatedInPlace()
    {
        BucketSummary s;
        s.addObjects({object(QStringLiteral("o/r/a"), 10, 40), object(QStringLiteral("o/r/b"), 5, 2)});
        RecordingObserver observer;
        s.setObserver(&observer);
        s.addObjects({object(QStringLiteral("o/r/a"), 30, 1)});  // rebuilt: bigger and fresh
        QVERIFY(!observer.events.join(QLatin1Char(',')).contains(QStringLiteral("insert")));
        QVERIFY(observer.events.contains(QStringLiteral("changed o/r/a")));
        const BucketNode *repo = s.find(QStringLiteral("o/r/"));
        QCOMPARE(repo->objects, 2);
        QCOMPARE(repo->bytes, 35);
        QCOMPARE(repo->oldest, kNow.addDays(-2));  // the 40-day-old version is gone
        QVERIFY(totalsConsistent(s.root()));
    }

    void removalDropsEmptyFoldersAndKeepsTotalsExact()
    {
        BucketSummary s;
        s.addObjects({object(QStringLiteral("o/r1/a"), 1, 50), object(QStringLiteral("o/r1/b"), 2, 10),
                      object(QStringLiteral("o/r2/a"), 4, 5), object(QStringLiteral("o/r3/a"), 8, 1),
                      object(QStringLiteral("o/r3/b"), 16, 1), object(QStringLiteral("o/r4/a"), 32, 1)});
        RecordingObserver observer;
        s.setObserver(&observer);
        s.removeObjects({QStringLiteral("o/r1/a"), QStringLiteral("o/r2/a"), QStringLiteral("o/r3/a"),
                         QStringLiteral("o/r3/b"), QStringLiteral("unknown/key"), QStringLiteral("o/")});
        QVERIFY(observer.consistent);
        // r2 and r3 emptied: one contiguous range; r1 keeps b.
        QVERIFY(observer.events.contains(QStringLiteral("remove o/ 1-2")));
        QVERIFY(observer.events.contains(QStringLiteral("remove o/r1/ 0-0")));
        QVERIFY(observer.events.contains(QStringLiteral("changed o/r1/")));
        QCOMPARE(childNames(s.find(QStringLiteral("o/"))), (QStringList{QStringLiteral("r1/"), QStringLiteral("r4/")}));
        QCOMPARE(s.find(QStringLiteral("o/r4/"))->row, 1);
        QCOMPARE(s.root()->objects, 2);
        QCOMPARE(s.root()->bytes, 34);
        QCOMPARE(s.find(QStringLiteral("o/r1/"))->oldest, kNow.addDays(-10));
        QVERIFY(totalsConsistent(s.root()));

        s.removeObjects({QStringLiteral("o/r1/b"), QStringLiteral("o/r4/a")});
        QCOMPARE(s.root()->children.size(), size_t(0));
        QCOMPARE(s.root()->objects, 0);
        QCOMPARE(s.root()->bytes, 0);
        QVERIFY(!s.root()->oldest.isValid());
    }

    void clearResets()
    {
        BucketSummary s;
        RecordingObserver observer;
        s.setObserver(&observer);
        s.addObjects({object(QStringLiteral("a/b"), 1, 0)});
        s.clear();
        QCOMPARE(observer.events.last(), QStringLiteral("reset"));
        QCOMPARE(s.root()->objects, 0);
        QVERIFY(!s.find(QStringLiteral("a/")));
    }

    void objectsUnderCountsNestedSelectionsOnce()
    {
        BucketSummary s;
        s.addObjects({object(QStringLiteral("o/r/a"), 1, 0), object(QStringLiteral("o/r/b"), 2, 0),
                      object(QStringLiteral("o/s/a"), 4, 0)});
        const QList<ObjectInfo> picked = BucketSummary::objectsUnder(
            {s.find(QStringLiteral("o/r/")), s.find(QStringLiteral("o/r/a")), s.find(QStringLiteral("o/s/a"))});
        QStringList keys;
        for (const ObjectInfo &o : picked)
            keys << o.key;
        keys.sort();
        QCOMPARE(keys, (QStringList{QStringLiteral("o/r/a"), QStringLiteral("o/r/b"), QStringLiteral("o/s/a")}));
    }

    // The one "space by repository": cachekey.h's, where a repository is the key's org/repo and
    // its branch folders count with it (issue 17: acme/mobile/npm-feature is acme/mobile's).
    void spaceByKeyRepository()
    {
        BucketSummary s;
        s.addObjects({object(QStringLiteral("ci/acme/web/archive.tar.zst"), 500, 0),
                      object(QStringLiteral("ci/acme/web/archive.tgz"), 100, 0),
                      object(QStringLiteral("ci/acme/api/archive.tar.zst"), 300, 0),
                      object(QStringLiteral("ci/acme/mobile/archive.tar.zst"), 40, 0),
                      object(QStringLiteral("ci/acme/mobile/npm-feature/archive.tar.zst"), 45, 0),
                      object(QStringLiteral("ci/beta/lib/archive.tar.zst"), 20, 0),
                      object(QStringLiteral("loose.tar"), 10, 0)});
        const QList<SpaceShare> top = s3cache::spaceByKeyRepository(s.root(), 3);
        QCOMPARE(top.size(), 4);
        QCOMPARE(top[0].label, QStringLiteral("ci/acme/web"));
        QCOMPARE(top[0].bytes, 600);
        QCOMPARE(top[0].objects, 2);
        QCOMPARE(top[1].label, QStringLiteral("ci/acme/api"));
        QCOMPARE(top[2].label, QStringLiteral("ci/acme/mobile"));
        QCOMPARE(top[2].bytes, 85);
        QCOMPARE(top[2].objects, 2);
        QCOMPARE(top[3].label, QStringLiteral("other"));
        QCOMPARE(top[3].bytes, 30);  // ci/beta/lib + the bucket root's object
        QCOMPARE(top[3].objects, 2);

        const QList<SpaceShare> all = s3cache::spaceByKeyRepository(s.root(), 10);
        QCOMPARE(all.size(), 5);
        QCOMPARE(all.last().label, QStringLiteral("(bucket root)"));
        const QList<SpaceShare> acme = s3cache::spaceByKeyRepository(s.find(QStringLiteral("ci/acme/")), 10);
        QCOMPARE(acme.size(), 3);
        QCOMPARE(acme[0].label, QStringLiteral("ci/acme/web"));
    }

    void ageHistogram_data()
    {
        QTest::addColumn<qint64>("ageSeconds");
        QTest::addColumn<QString>("bucket");
        constexpr qint64 day = 86400;
        QTest::newRow("fresh") << qint64(0) << QStringLiteral("< 1 day");
        QTest::newRow("future-clock-skew") << qint64(-600) << QStringLiteral("< 1 day");
        QTest::newRow("just-under-a-day") << day - 1 << QStringLiteral("< 1 day");
        QTest::newRow("one-day") << day << QStringLiteral("1-3 days");
        QTest::newRow("thirteen-days") << 13 * day << QStringLiteral("7-14 days");
        QTest::newRow("fourteen-days") << 14 * day << QStringLiteral("14-30 days");
        QTest::newRow("ninety-days") << 90 * day << QStringLiteral("90+ days");
        QTest::newRow("years") << 1000 * day << QStringLiteral("90+ days");
    }

    void ageHistogram()
    {
        QFETCH(qint64, ageSeconds);
        QFETCH(QString, bucket);
        BucketSummary s;
        ObjectInfo o = object(QStringLiteral("a/b"), 42, 0);
        o.lastModified = kNow.addSecs(-ageSeconds);
        s.addObjects({o});
        const QList<AgeBucket> histogram = BucketSummary::ageHistogram(s.root(), kNow);
        QCOMPARE(histogram.size(), 7);
        for (const AgeBucket &b : histogram) {
            QCOMPARE(b.objects, b.label == bucket ? 1 : 0);
            QCOMPARE(b.bytes, b.label == bucket ? 42 : 0);
        }
    }

    void hundredThousandObjectsInPages()
    {
        BucketSummary s;
        RecordingObserver observer;
        s.setObserver(&observer);
        qint64 expectedBytes = 0;
        for (int page = 0; page < 100; ++page) {
            QList<ObjectInfo> objects;
            for (int i = 0; i < 1000; ++i) {
                const int n = page * 1000 + i;
                objects << object(QStringLiteral("ci/org%1/repo%2/archive-%3.tar.zst").arg(n % 20).arg(n % 700).arg(n), n % 997, n % 60);
                expectedBytes += n % 997;
            }
            s.addObjects(objects);
        }
        QVERIFY(observer.consistent);
        QCOMPARE(s.root()->objects, 100'000);
        QCOMPARE(s.root()->bytes, expectedBytes);
        QCOMPARE(s.find(QStringLiteral("ci/"))->children.size(), size_t(20));
        QVERIFY(totalsConsistent(s.root()));
    }
};

QTEST_GUILESS_MAIN(TestBucketSummary)
#include "tst_bucketsummary.moc"
