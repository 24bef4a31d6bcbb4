// RestoreJob's key search (issue 9) on the embedded local store: the exact key and its legacy
// name are exact hits; then each near key in order - a prefix restores the newest object under
// it (ties: the greatest key), the first prefix that has any wins; lookupOnly downloads nothing.

#include "cache/localstore.h"
#include "cache/restorejob.h"
#include "cache/storefactory.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;

class TestRestoreKeys : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void search_data();
    void search();
    void nearKeyLookupsFromConfig();

private:
    // Stores a (not extractable) object with the given age in seconds.
    void put(const QString &key, int ageSeconds);
    QString storeRoot() const { return m_dir.path() + QStringLiteral("/store"); }

    QTemporaryDir m_dir;
    std::unique_ptr<LocalStore> m_store;
};

void TestRestoreKeys::init()
{
    QDir(storeRoot()).removeRecursively();
    m_store = std::make_unique<LocalStore>(storeRoot(), QStringLiteral("b"));
}

void TestRestoreKeys::put(const QString &key, int ageSeconds)
{
    Result<std::unique_ptr<ObjectWriter>> writer = m_store->openWrite(key, {});
    QVERIFY2(writer.ok(), qPrintable(writer.error().toString()));
    QCOMPARE((*writer)->write("not an archive"), qint64(14));
    QVERIFY(!(*writer)->commit());
    QFile file(storeRoot() + QStringLiteral("/b/") + key);
    QVERIFY(file.open(QIODevice::ReadWrite));
    QVERIFY(file.setFileTime(QDateTime::currentDateTimeUtc().addSecs(-ageSeconds), QFileDevice::FileModificationTime));
}

void TestRestoreKeys::search_data()
{
    QTest::addColumn<QStringList>("objects");        // "key@age-in-seconds"
    QTest::addColumn<QStringList>("fallbackKeys");
    QTest::addColumn<QStringList>("nearKeys");       // "prefix*" or an exact key
    QTest::addColumn<QString>("matched");            // empty: miss
    QTest::addColumn<bool>("exact");
    QTest::addColumn<QString>("matchedBy");

    const QStringList none;
    const QStringList near{QStringLiteral("a/w/npm-*"), QStringLiteral("a/w/main/k.tar.zst"), QStringLiteral("a/w/*")};
    const auto row = [](const char *name) -> QTestData & { return QTest::newRow(name); };
    row("exact") << QStringList{QStringLiteral("a/w/k.tar.zst@100"), QStringLiteral("a/w/npm-1.tar.zst@1")} << none << near
                 << QStringLiteral("a/w/k.tar.zst") << true << QString();
    row("legacy-name-is-exact") << QStringList{QStringLiteral("a/w/archive.tgz@100")} << QStringList{QStringLiteral("a/w/archive.tgz")}
                                << near << QStringLiteral("a/w/archive.tgz") << true << QString();
    row("newest-under-first-prefix") << QStringList{QStringLiteral("a/w/npm-old.tar.zst@300"), QStringLiteral("a/w/npm-new.tar.zst@100"),
                                                    QStringLiteral("a/w/npm-mid.tar.zst@200"), QStringLiteral("a/w/newer.tar.zst@1")}
                                     << none << near << QStringLiteral("a/w/npm-new.tar.zst") << false << QStringLiteral("a/w/npm-");
    row("tie-greatest-key") << QStringList{QStringLiteral("a/w/npm-a.tar.zst@50"), QStringLiteral("a/w/npm-b.tar.zst@50")}
                            << none << near << QStringLiteral("a/w/npm-b.tar.zst") << false << QStringLiteral("a/w/npm-");
    row("prefix-is-not-a-folder") << QStringList{QStringLiteral("a/w/npm-x/deep.tar.zst@10")} << none << near
                                  << QStringLiteral("a/w/npm-x/deep.tar.zst") << false << QStringLiteral("a/w/npm-");
    row("then-exact-near-key") << QStringList{QStringLiteral("a/w/main/k.tar.zst@500")} << none << near
                               << QStringLiteral("a/w/main/k.tar.zst") << false << QStringLiteral("a/w/main/k.tar.zst");
    row("then-last-prefix") << QStringList{QStringLiteral("a/w/yarn.tar.zst@500"), QStringLiteral("a/other/npm-1.tar.zst@1")}
                            << none << near << QStringLiteral("a/w/yarn.tar.zst") << false << QStringLiteral("a/w/");
    row("miss") << QStringList{QStringLiteral("a/other/npm-1.tar.zst@1"), QStringLiteral("a/wx.tar.zst@1")} << none << near
                << QString() << false << QString();
    row("miss-no-near-keys") << QStringList{QStringLiteral("a/w/npm-1.tar.zst@1")} << none << none << QString() << false << QString();
}

void TestRestoreKeys::search()
{
    QFETCH(QStringList, objects);
    QFETCH(QStringList, fallbackKeys);
    QFETCH(QStringList, nearKeys);
    QFETCH(QString, matched);
    QFETCH(bool, exact);
    QFETCH(QString, matchedBy);
    for (const QString &o : objects)
        put(o.section(u'@', 0, 0), o.section(u'@', 1).toInt());

    const QString ws = m_dir.path() + QStringLiteral("/ws");
    QVERIFY(QDir().mkpath(ws));
    RestoreOptions options;
    options.key = QStringLiteral("a/w/k.tar.zst");
    options.fallbackKeys = fallbackKeys;
    for (const QString &k : nearKeys)
        options.nearKeys << KeyLookup{k.endsWith(u'*') ? k.chopped(1) : k, k.endsWith(u'*'), QStringLiteral("test")};
    options.workspace = ws;
    options.lookupOnly = true;  // the objects are not archives: a download would fail

    RestoreJob job(*m_store, options);
    const Error error = job.exec();
    QVERIFY2(!error, qPrintable(error.toString()));
    const RestoreResult &r = job.result();
    QCOMPARE(r.hit, !matched.isEmpty());
    QCOMPARE(r.matchedKey, matched);
    QCOMPARE(r.exact, exact);
    QCOMPARE(r.matchedBy.key, matchedBy);
    if (r.hit) {
        QCOMPARE(r.object.key, matched);
        QCOMPARE(r.object.size, qint64(14));
    }
    QCOMPARE(QDir(ws).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());

    // Without lookupOnly the same object is downloaded: here it is no archive, so it fails.
    if (r.hit) {
        options.lookupOnly = false;
        RestoreJob download(*m_store, options);
        QVERIFY(download.exec());
        QCOMPARE(QDir(ws).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());
    }
}

void TestRestoreKeys::nearKeyLookupsFromConfig()
{
    Config config;
    config.restoreKeys = {QStringLiteral("o/r/dev-"), QStringLiteral("o/r/")};
    config.defaultBranch = QStringLiteral("main");
    config.defaultBranchKey = QStringLiteral("o/r/main-x.tar.zst");
    config.defaultBranchRestoreKeys = {QStringLiteral("o/r/main-"), QStringLiteral("o/r/")};
    const QList<KeyLookup> lookups = nearKeyLookups(config);
    QCOMPARE(lookups.size(), 4);  // "o/r/" once
    QCOMPARE(lookups[0], (KeyLookup{QStringLiteral("o/r/dev-"), true, QStringLiteral("restore key")}));
    QCOMPARE(lookups[1], (KeyLookup{QStringLiteral("o/r/"), true, QStringLiteral("restore key")}));
    QCOMPARE(lookups[2], (KeyLookup{QStringLiteral("o/r/main-x.tar.zst"), false, QStringLiteral("default branch main")}));
    QCOMPARE(lookups[3], (KeyLookup{QStringLiteral("o/r/main-"), true, QStringLiteral("restore key of default branch main")}));
    QVERIFY(nearKeyLookups(Config{}).isEmpty());
}

QTEST_GUILESS_MAIN(TestRestoreKeys)
#include "tst_restorekeys.moc"
