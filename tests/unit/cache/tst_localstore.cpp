// LocalStore: the embedded file:// store must behave like a bucket: atomic writes, metadata,
// S3-style listing order and prefixes, deletes that leave no empty folders, and reads that never
// mix two versions of an object.
#include "cache/localstore.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;

class TestLocalStore : public QObject
{
    Q_OBJECT
private:
    static QByteArray readAll(ObjectStore &store, const ObjectInfo &info)
    {
        auto stream = store.openRead(info);
        if (!stream.ok())
            return "ERROR " + stream.error().toString().toUtf8();
        return (*stream)->readAll();
    }
    static Error put(ObjectStore &store, const QString &key, const QByteArray &data, const QMap<QString, QString> &meta = {})
    {
        auto writer = store.openWrite(key, meta);
        if (!writer.ok())
            return writer.error();
        if ((*writer)->write(data) != data.size())
            return (*writer)->streamError();
        return (*writer)->commit();
    }

private slots:
    void writeCommitReadWithMetadata()
    {
        QTemporaryDir dir;
        LocalStore store(dir.path(), QStringLiteral("bucket"));
        QVERIFY(!put(store, QStringLiteral("org/repo/archive.tar.zst"), "hello", {{QStringLiteral("s3cache-fingerprint"), QStringLiteral("abc")}}));
        const auto info = store.head(QStringLiteral("org/repo/archive.tar.zst"));
        QVERIFY2(info.ok(), qPrintable(info.error().toString()));
        QCOMPARE(info->size, 5);
        QCOMPARE(info->metadata.value(QStringLiteral("s3cache-fingerprint")), QStringLiteral("abc"));
        QVERIFY(qAbs(info->lastModified.secsTo(QDateTime::currentDateTimeUtc())) < 60);
        QCOMPARE(readAll(store, *info), QByteArray("hello"));
        // Plain files with the same keys: a cache can be looked at with ls and tar.
        QVERIFY(QFile::exists(dir.path() + QStringLiteral("/bucket/org/repo/archive.tar.zst")));
    }

    void uncommittedWriteLeavesNothing()
    {
        QTemporaryDir dir;
        LocalStore store(dir.path(), QStringLiteral("b"));
        QVERIFY(!put(store, QStringLiteral("k"), "old"));
        {
            auto writer = store.openWrite(QStringLiteral("k"), {});
            QVERIFY(writer.ok());
            (*writer)->write("new data that is never committed");
            // destroyed without commit
        }
        QCOMPARE(readAll(store, *store.head(QStringLiteral("k"))), QByteArray("old"));
        QDir tmp(dir.path() + QStringLiteral("/b/.s3cache-tmp"));
        QCOMPARE(tmp.entryList(QDir::Files | QDir::Hidden), QStringList());
    }

    void readerKeepsItsVersionWhenReplaced()
    {
        QTemporaryDir dir;
        LocalStore store(dir.path(), QStringLiteral("b"));
        QVERIFY(!put(store, QStringLiteral("k"), QByteArray(100000, 'a')));
        const auto info = store.head(QStringLiteral("k"));
        auto stream = store.openRead(*info);
        QVERIFY(stream.ok());
        const QByteArray first = (*stream)->read(10);
        QVERIFY(!put(store, QStringLiteral("k"), QByteArray(100000, 'b')));
        const QByteArray rest = (*stream)->readAll();
        QCOMPARE(first + rest, QByteArray(100000, 'a'));
        // A reader opened with the old head() refuses the new version instead of mixing.
        const auto stale = store.openRead(*info);
        QVERIFY(!stale.ok());
        QCOMPARE(stale.error().code(), QStringLiteral("PreconditionFailed"));
    }

    void missingObjectIsNotFound()
    {
        QTemporaryDir dir;
        LocalStore store(dir.path(), QStringLiteral("b"));
        const auto info = store.head(QStringLiteral("nope/archive.tar.zst"));
        QVERIFY(!info.ok());
        QCOMPARE(info.error().kind(), ErrorKind::NotFound);
    }

    void badKeysAreRefused_data()
    {
        QTest::addColumn<QString>("key");
        QTest::newRow("dotdot") << "a/../b";
        QTest::newRow("dot") << "./a";
        QTest::newRow("leading slash") << "/etc/passwd";
        QTest::newRow("double slash") << "a//b";
        QTest::newRow("reserved meta") << ".s3cache-meta/x";
    }
    void badKeysAreRefused()
    {
        QFETCH(QString, key);
        QTemporaryDir dir;
        LocalStore store(dir.path(), QStringLiteral("b"));
        const auto writer = store.openWrite(key, {}, -1);
        QVERIFY(!writer.ok());
        QCOMPARE(writer.error().kind(), ErrorKind::InvalidInput);
        QVERIFY(!store.head(key).ok());
    }

    void listIsSortedPrefixedAndPaged()
    {
        QTemporaryDir dir;
        LocalStore store(dir.path(), QStringLiteral("b"));
        const QStringList keys{QStringLiteral("acme/webapp/b.tgz"), QStringLiteral("acme/webapp/a.tar.zst"),
                               QStringLiteral("acme/webapp-other/x"), QStringLiteral("acme/webapp/sub/c")};
        for (const QString &k : keys)
            QVERIFY(!put(store, k, "x"));
        QStringList seen;
        QVERIFY(!store.list(QStringLiteral("acme/webapp/"), [&](const QList<ObjectInfo> &page) {
            for (const ObjectInfo &o : page)
                seen << o.key;
            return true;
        }));
        QCOMPARE(seen, (QStringList{QStringLiteral("acme/webapp/a.tar.zst"), QStringLiteral("acme/webapp/b.tgz"),
                                    QStringLiteral("acme/webapp/sub/c")}));
        // Pages hold at most 1000 objects.
        for (int i = 0; i < 1100; ++i)
            QVERIFY(!put(store, QStringLiteral("many/o%1").arg(i, 4, 10, QLatin1Char('0')), "z"));
        QList<int> pages;
        QVERIFY(!store.list(QStringLiteral("many/"), [&](const QList<ObjectInfo> &page) {
            pages << int(page.size());
            return true;
        }));
        QCOMPARE(pages, (QList<int>{1000, 100}));
    }

    void removeDeletesAndTidies()
    {
        QTemporaryDir dir;
        LocalStore store(dir.path(), QStringLiteral("b"));
        QVERIFY(!put(store, QStringLiteral("a/b/c/k1"), "1"));
        QVERIFY(!put(store, QStringLiteral("a/k2"), "2"));
        const auto deleted = store.remove({QStringLiteral("a/b/c/k1"), QStringLiteral("a/missing")});
        QVERIFY(deleted.ok());
        QCOMPARE(deleted->size(), 2);  // S3 semantics: deleting a missing key succeeds
        QVERIFY(!QDir(dir.path() + QStringLiteral("/b/a/b")).exists());
        QVERIFY(store.head(QStringLiteral("a/k2")).ok());
        QVERIFY(!store.head(QStringLiteral("a/b/c/k1")).ok());
    }
};

QTEST_GUILESS_MAIN(TestLocalStore)
#include "tst_localstore.moc"
