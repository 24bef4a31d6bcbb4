// Cache lifecycle on the embedded local store: last-used markers (written by restore hits, joined
// by listings, hidden from restore keys, deleted with their cache), the flush plan (age from the
// write or the last use, a budget evicting the least recently used, checked against a brute-force
// model), a flush that keeps what changed between its two listings, and the platform record.
#include "cache/flushjob.h"
#include "cache/lastused.h"
#include "cache/listjob.h"
#include "cache/localstore.h"
#include "cache/rebuildjob.h"
#include "cache/restorejob.h"

#include "util/platform.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <utime.h>

#include <functional>

using namespace s3cache;

namespace {

const QDateTime kNow = QDateTime(QDate(2026, 6, 1), QTime(12, 0), Qt::UTC);

ObjectInfo cache(const QString &key, qint64 size, const QDateTime &written, const QDateTime &used = {})
{
    ObjectInfo o;
    o.key = key;
    o.size = size;
    o.lastModified = written;
    o.lastUsed = used;
    return o;
}

QSet<QString> deletedKeys(const FlushPlan &plan)
{
    QSet<QString> keys;
    for (const ObjectInfo &o : plan.deleted())
        keys.insert(o.key);
    return keys;
}

// The budget's rule written the slow way: the kept caches are the most recently used ones that
// fit, counted from the most recent; the first that does not fit and everything older go.
QSet<QString> modelDeleted(const QList<ObjectInfo> &caches, const FlushPolicy &policy)
{
    QSet<QString> deleted;
    QList<ObjectInfo> young;
    for (const ObjectInfo &c : caches) {
        const QDateTime use = c.lastUsed.isValid() && c.lastUsed > c.lastModified ? c.lastUsed : c.lastModified;
        const QDateTime from = policy.ageFrom == AgeFrom::Used ? use : c.lastModified;
        if (from.secsTo(policy.now) > policy.maxAgeSeconds)
            deleted.insert(c.key);
        else
            young << c;
    }
    if (policy.maxBytes < 0)
        return deleted;
    // Most recent use first; a tie goes to the newer write, then to the greater key.
    for (qsizetype i = 0; i < young.size(); ++i) {
        for (qsizetype j = i + 1; j < young.size(); ++j) {
            const auto key = [](const ObjectInfo &c) {
                const QDateTime use = c.lastUsed.isValid() && c.lastUsed > c.lastModified ? c.lastUsed : c.lastModified;
                return std::tuple(use, c.lastModified, c.key);
            };
            if (key(young[j]) > key(young[i]))
                young.swapItemsAt(i, j);
        }
    }
    qint64 sum = 0;
    bool full = false;
    for (const ObjectInfo &c : young) {
        if (!full && sum + c.size <= policy.maxBytes) {
            sum += c.size;
            continue;
        }
        full = true;
        deleted.insert(c.key);
    }
    return deleted;
}

void writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(data);
}

void setMtime(const QString &path, const QDateTime &when)
{
    const struct utimbuf times{when.toSecsSinceEpoch(), when.toSecsSinceEpoch()};
    QCOMPARE(::utime(QFile::encodeName(path).constData(), &times), 0);
}

// A store that runs a hook before its n-th listing: what another build does between a flush's
// two listings.
class HookedStore : public ObjectStore
{
public:
    HookedStore(ObjectStore &inner, std::function<void(int)> beforeList, std::shared_ptr<int> lists = std::make_shared<int>(0))
        : m_inner(inner), m_beforeList(std::move(beforeList)), m_lists(std::move(lists))
    {
    }
    HookedStore(ObjectStorePtr view, std::function<void(int)> beforeList, std::shared_ptr<int> lists)
        : m_view(std::move(view)), m_inner(*m_view), m_beforeList(std::move(beforeList)), m_lists(std::move(lists))
    {
    }
    QString describe() const override { return m_inner.describe(); }
    QString uri(const QString &key) const override { return m_inner.uri(key); }
    std::unique_ptr<ObjectStore> withContext(const CallContext &context) const override
    {
        return std::make_unique<HookedStore>(m_inner.withContext(context), m_beforeList, m_lists);
    }
    Result<ObjectInfo> head(const QString &key) override { return m_inner.head(key); }
    Result<std::unique_ptr<ObjectStream>> openRead(const ObjectInfo &info) override { return m_inner.openRead(info); }
    Result<std::unique_ptr<ObjectWriter>> openWrite(const QString &key, const QMap<QString, QString> &metadata,
                                                    qint64 sizeHint) override
    {
        return m_inner.openWrite(key, metadata, sizeHint);
    }
    Error list(const QString &prefix, const std::function<bool(const QList<ObjectInfo> &)> &page) override
    {
        m_beforeList(++*m_lists);
        return m_inner.list(prefix, page);
    }
    RemoveResult remove(const QStringList &keys) override
    {
        removed += keys;
        return m_inner.remove(keys);
    }
    QStringList removed;

private:
    ObjectStorePtr m_view;
    ObjectStore &m_inner;
    std::function<void(int)> m_beforeList;
    std::shared_ptr<int> m_lists;
};

} // namespace

class TestLifecycle : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString storeRoot() const { return m_dir.path() + QStringLiteral("/store"); }
    QString bucketPath() const { return storeRoot() + QStringLiteral("/b/"); }

    // A cache object in the local store (any bytes: flush never reads them), backdated.
    void put(LocalStore &store, const QString &key, qint64 size, const QDateTime &written)
    {
        auto w = store.openWrite(key, {}, size);
        QVERIFY(w.ok());
        (*w)->write(QByteArray(size, 'c'));
        QVERIFY(!(*w)->commit());
        setMtime(bucketPath() + key, written);
    }
    void markUsed(LocalStore &store, const QString &key, const QDateTime &used)
    {
        QVERIFY(!recordUse(store, key));
        setMtime(bucketPath() + LastUsed::markerKey(key), used);
    }
    QStringList keysInStore(LocalStore &store)
    {
        QStringList keys;
        const Error error = store.list(QString(), [&keys](const QList<ObjectInfo> &page) {
            for (const ObjectInfo &o : page)
                keys << o.key;
            return true;
        });
        if (error)
            keys << QStringLiteral("list failed: ") + error.toString();
        keys.sort();
        return keys;
    }

    // A workspace with node_modules/x.js, to be cached at `key`.
    RebuildOptions rebuildOptions(const QString &key)
    {
        const QString ws = m_dir.path() + QStringLiteral("/ws");
        QDir(ws).removeRecursively();
        writeFile(ws + QStringLiteral("/node_modules/x.js"), "x");
        RebuildOptions rebuild;
        rebuild.key = key;
        rebuild.workspace = ws;
        rebuild.mounts = {QStringLiteral("node_modules")};
        return rebuild;
    }

private slots:
    void init()
    {
        QDir(storeRoot()).removeRecursively();
    }

    void budgetEvictsLeastRecentlyUsedFirst()
    {
        const QList<ObjectInfo> caches{
            cache(QStringLiteral("a"), 100, kNow.addDays(-10), kNow.addDays(-1)),  // written long ago, used yesterday
            cache(QStringLiteral("b"), 100, kNow.addDays(-2)),                      // never restored: its write counts
            cache(QStringLiteral("c"), 100, kNow.addDays(-5), kNow.addDays(-4)),
            cache(QStringLiteral("d"), 100, kNow.addDays(-3), kNow.addDays(-6)),    // rebuilt after its last use
        };
        FlushPolicy policy{.maxAgeSeconds = 30 * 86400, .ageFrom = AgeFrom::Written, .maxBytes = 250, .now = kNow};
        FlushPlan plan = planFlush(caches, policy);
        // Uses: a -1d, b -2d, d -3d, c -4d: 250 bytes keep a and b.
        QCOMPARE(deletedKeys(plan), (QSet<QString>{QStringLiteral("c"), QStringLiteral("d")}));
        QCOMPARE(plan.keptBytes, 200);
        QCOMPARE(plan.deletedBytes, 200);
        QCOMPARE(plan.decisions.first().cache.key, QStringLiteral("a"));  // most recently used first
        QCOMPARE(plan.decisions.last().reason, FlushDecision::Reason::OverBudget);
        QCOMPARE(describeDecision(plan.decisions.last(), policy), QStringLiteral("over the 250 B budget, least recently used"));

        // Strict LRU: a budget smaller than any cache keeps nothing.
        policy.maxBytes = 50;
        QCOMPARE(planFlush(caches, policy).deletedCount(), 4);
    }

    void ageCountsFromTheWriteOrTheLastUse()
    {
        const QList<ObjectInfo> caches{
            cache(QStringLiteral("restored-daily"), 1, kNow.addDays(-20), kNow.addDays(-1)),
            cache(QStringLiteral("never-restored"), 1, kNow.addDays(-20)),
            cache(QStringLiteral("fresh"), 1, kNow.addDays(-1)),
        };
        FlushPolicy policy{.maxAgeSeconds = 14 * 86400, .now = kNow};
        // The default, the plugin's meaning: age of the write.
        QCOMPARE(deletedKeys(planFlush(caches, policy)),
                 (QSet<QString>{QStringLiteral("restored-daily"), QStringLiteral("never-restored")}));
        policy.ageFrom = AgeFrom::Used;
        const FlushPlan plan = planFlush(caches, policy);
        QCOMPARE(deletedKeys(plan), (QSet<QString>{QStringLiteral("never-restored")}));
        QCOMPARE(describeDecision(plan.decisions.last(), policy), QStringLiteral("not used for 14 days"));
    }

    void planAgreesWithABruteForceModel()
    {
        QRandomGenerator random(20261201);
        for (int round = 0; round < 200; ++round) {
            QList<ObjectInfo> caches;
            const int n = 1 + int(random.bounded(80));
            for (int i = 0; i < n; ++i) {
                // Whole hours, so that ties happen and the tie rules are exercised.
                const QDateTime written = kNow.addSecs(-3600 * qint64(random.bounded(24 * 40)));
                const QDateTime used = random.bounded(3) == 0 ? QDateTime()
                                                             : kNow.addSecs(-3600 * qint64(random.bounded(24 * 40)));
                caches << cache(QStringLiteral("k%1").arg(i), 1 + random.bounded(1000), written, used);
            }
            const FlushPolicy policy{.maxAgeSeconds = 3600 * qint64(random.bounded(24 * 50)),
                                     .ageFrom = random.bounded(2) ? AgeFrom::Used : AgeFrom::Written,
                                     .maxBytes = random.bounded(4) == 0 ? -1 : qint64(random.bounded(n * 600)),
                                     .now = kNow};
            const FlushPlan plan = planFlush(caches, policy);
            QCOMPARE(deletedKeys(plan), modelDeleted(caches, policy));
            QCOMPARE(plan.decisions.size(), caches.size());
            if (policy.maxBytes >= 0)
                QVERIFY(plan.keptBytes <= policy.maxBytes);
        }
    }

    void listingJoinsMarkersAcrossPagesAndInAnyOrder()
    {
        const QDateTime used = kNow.addDays(-1);
        ObjectInfo marker = cache(LastUsed::markerKey(QStringLiteral("r/a.tar.zst")), 0, used);
        CacheListing listing;
        // The cache ends one page, its marker begins the next: handed on again, updated.
        QCOMPARE(listing.add({cache(QStringLiteral("r/a.tar.zst"), 10, kNow.addDays(-3))}).first().lastUsed, QDateTime());
        // A folder placeholder is an object like any other (list shows it, flush deletes it).
        QCOMPARE(listing.add({marker, cache(QStringLiteral("r/dir/"), 0, kNow)}).size(), 1);
        const QList<ObjectInfo> updated = listing.takeUpdated();
        QCOMPARE(updated.size(), 1);
        QCOMPARE(updated.first().lastUsed, used);
        QVERIFY(listing.takeUpdated().isEmpty());
        // A marker before its cache (a store that does not sort), and one whose cache is gone.
        const QList<ObjectInfo> added = listing.add({cache(LastUsed::markerKey(QStringLiteral("r/b.tgz")), 0, used),
                                                     cache(LastUsed::markerKey(QStringLiteral("r/gone")), 0, used),
                                                     cache(QStringLiteral("r/b.tgz"), 5, kNow)});
        QCOMPARE(added.size(), 1);
        QCOMPARE(added.first().lastUsed, used);
        QCOMPARE(listing.caches().size(), 3);
        QCOMPARE(listing.orphanMarkers().size(), 1);
        QCOMPARE(listing.orphanMarkers().first().key, LastUsed::markerKey(QStringLiteral("r/gone")));
    }

    void restoreRecordsItsUseAndRestoreKeysNeverPickAMarker()
    {
        LocalStore store(storeRoot(), QStringLiteral("b"));
        const RebuildOptions rebuild = rebuildOptions(QStringLiteral("acme/web/main-1/archive.tar.zst"));
        RebuildJob written(store, rebuild);
        QVERIFY(!written.exec());
        QCOMPARE(written.result().outcome, RebuildResult::Outcome::Uploaded);
        QCOMPARE(store.head(rebuild.key)->metadata.value(Metadata::platform), platformName());
        QCOMPARE(store.head(rebuild.key)->metadata.value(Metadata::mounts), QStringLiteral("node_modules"));

        RestoreOptions restore;
        restore.key = QStringLiteral("acme/web/main-2/archive.tar.zst");
        restore.nearKeys = {{QStringLiteral("acme/web/main-"), true, QStringLiteral("restore key")}};
        restore.workspace = m_dir.path() + QStringLiteral("/ws2");
        QDir().mkpath(restore.workspace);
        // Twice: the second time the marker is the newest object under the restore key.
        for (int i = 0; i < 2; ++i) {
            RestoreJob job(store, restore);
            const Error error = job.exec();
            QVERIFY2(!error, qPrintable(error.toString()));
            QVERIFY(job.result().hit);
            QCOMPARE(job.result().matchedKey, rebuild.key);
            QVERIFY(!job.result().recordError);
            QVERIFY(store.head(LastUsed::markerKey(rebuild.key)).ok());
        }
        ListJob list(store, QStringLiteral("acme/"));
        QVERIFY(!list.exec());
        QCOMPARE(list.objects().size(), 1);  // the marker is not a cache
        QVERIFY(list.objects().first().lastUsed.isValid());

        // No record with record_use: false, nor for a lookup.
        QVERIFY(!store.remove({LastUsed::markerKey(rebuild.key)}).error);
        restore.recordUse = false;
        RestoreJob quiet(store, restore);
        QVERIFY(!quiet.exec());
        restore.recordUse = true;
        restore.lookupOnly = true;
        RestoreJob lookup(store, restore);
        QVERIFY(!lookup.exec());
        QVERIFY(lookup.result().hit);
        QVERIFY(!store.head(LastUsed::markerKey(rebuild.key)).ok());
    }

    void restorePassesOverACacheOfAnotherPlatform()
    {
        LocalStore store(storeRoot(), QStringLiteral("b"));
        const RebuildOptions rebuild = rebuildOptions(QStringLiteral("acme/web/archive.tar.zst"));
        RebuildJob written(store, rebuild);
        QVERIFY(!written.exec());

        // The same archive as a runner of another arch would have written it.
        const ObjectInfo ours = *store.head(rebuild.key);
        QMap<QString, QString> metadata = ours.metadata;
        metadata.insert(Metadata::platform, QStringLiteral("linux/riscv64"));
        QByteArray bytes = (*store.openRead(ours))->readAll();
        auto w = store.openWrite(rebuild.key, metadata, bytes.size());
        (*w)->write(bytes);
        QVERIFY(!(*w)->commit());

        RestoreOptions restore;
        restore.key = rebuild.key;
        restore.workspace = m_dir.path() + QStringLiteral("/elsewhere");
        QDir().mkpath(restore.workspace);
        RestoreJob refused(store, restore);
        QVERIFY(!refused.exec());
        QVERIFY(!refused.result().hit);
        QCOMPARE(refused.result().otherPlatform.size(), 1);
        QCOMPARE(refused.result().platform, platformName());
        QVERIFY(!QFileInfo::exists(restore.workspace + QStringLiteral("/node_modules/x.js")));
        QVERIFY(!store.head(LastUsed::markerKey(rebuild.key)).ok());  // passed over: not a use

        restore.crossPlatform = true;
        RestoreJob accepted(store, restore);
        const Error error = accepted.exec();
        QVERIFY2(!error, qPrintable(error.toString()));
        QVERIFY(accepted.result().hit);
        QVERIFY(QFileInfo::exists(restore.workspace + QStringLiteral("/node_modules/x.js")));

        // This platform's rebuild replaces it, although the files are the same (its restores
        // would pass over it for ever).
        RebuildJob replace(store, rebuild);
        QVERIFY(!replace.exec());
        QCOMPARE(replace.result().outcome, RebuildResult::Outcome::Uploaded);
        QCOMPARE(store.head(rebuild.key)->metadata.value(Metadata::platform), platformName());
        RebuildJob same(store, rebuild);
        QVERIFY(!same.exec());
        QCOMPARE(same.result().outcome, RebuildResult::Outcome::Unchanged);
    }

    void flushDeletesMarkersWithTheirCachesAndOrphans()
    {
        LocalStore store(storeRoot(), QStringLiteral("b"));
        put(store, QStringLiteral("r/old.tar.zst"), 10, kNow.addDays(-30));
        markUsed(store, QStringLiteral("r/old.tar.zst"), kNow.addDays(-20));
        put(store, QStringLiteral("r/used.tar.zst"), 10, kNow.addDays(-30));
        markUsed(store, QStringLiteral("r/used.tar.zst"), kNow.addDays(-1));
        QVERIFY(!recordUse(store, QStringLiteral("r/gone.tar.zst")));  // a restore that raced a deletion

        FlushOptions options;
        options.prefix = QStringLiteral("r/");
        options.maxAgeSeconds = 14 * 86400;
        options.ageFrom = AgeFrom::Used;
        options.now = kNow;
        options.dryRun = true;
        FlushJob preview(store, options);
        QVERIFY(!preview.exec());
        QCOMPARE(preview.result().plan.deletedCount(), 1);
        QCOMPARE(preview.result().orphanMarkers.size(), 1);
        QCOMPARE(keysInStore(store).size(), 5);

        options.dryRun = false;
        FlushJob flush(store, options);
        QVERIFY(!flush.exec());
        QCOMPARE(flush.result().deleted, 1);
        QCOMPARE(flush.result().bytesFreed, 10);
        QCOMPARE(keysInStore(store), (QStringList{QStringLiteral("r/used.tar.zst"),
                                                  LastUsed::markerKey(QStringLiteral("r/used.tar.zst"))}));
    }

    void flushKeepsWhatChangedBetweenItsListings()
    {
        LocalStore local(storeRoot(), QStringLiteral("b"));
        for (const QString &key : {QStringLiteral("r/restored"), QStringLiteral("r/rebuilt"), QStringLiteral("r/idle")})
            put(local, key, 10, kNow.addDays(-3));
        // Between the plan's listing and the check before deleting, one cache is restored (its use
        // recorded) and one rebuilt (a new object at the key).
        HookedStore store(local, [&](int listing) {
            if (listing != 2)
                return;
            markUsed(local, QStringLiteral("r/restored"), kNow.addSecs(-1));
            put(local, QStringLiteral("r/rebuilt"), 12, kNow.addSecs(-1));
        });
        FlushOptions options;
        options.prefix = QStringLiteral("r/");
        options.maxAgeSeconds = 30 * 86400;
        options.maxBytes = 5;  // every cache is over it
        options.now = kNow;
        FlushJob flush(store, options);
        QVERIFY(!flush.exec());
        QCOMPARE(flush.result().deleted, 1);
        QCOMPARE(keysInStore(local), (QStringList{QStringLiteral("r/rebuilt"), QStringLiteral("r/restored"),
                                                  LastUsed::markerKey(QStringLiteral("r/restored"))}));
        int changed = 0;
        for (const FlushDecision &d : flush.result().plan.decisions)
            changed += d.reason == FlushDecision::Reason::Changed ? 1 : 0;
        QCOMPARE(changed, 2);
    }
};

QTEST_GUILESS_MAIN(TestLifecycle)
#include "tst_lifecycle.moc"
