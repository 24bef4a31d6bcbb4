// LocalStore: the embedded file:// store must behave like a bucket: atomic writes, metadata,
// S3-style listing order and prefixes, deletes that leave no empty folders, and reads that never
// mix two versions of an object, and metadata that always belongs to the object it comes with.
#include "cache/deletejob.h"
#include "cache/localstore.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>
#include <unistd.h>

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
    static QByteArray readFile(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    static bool writeFile(const QString &path, const QByteArray &data)
    {
        QFile f(path);
        return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(data) == data.size();
    }
    static QMap<QString, QString> fingerprint(const QString &value)
    {
        return {{QStringLiteral("s3cache-fingerprint"), value}};
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

    // Two rebuilds of one key write at the same time: whichever commits last wins, and its
    // metadata comes with it.
    void concurrentWritersLastCommitWins_data()
    {
        QTest::addColumn<bool>("aCommitsFirst");
        QTest::newRow("A then B") << true;
        QTest::newRow("B then A") << false;
    }
    void concurrentWritersLastCommitWins()
    {
        QFETCH(bool, aCommitsFirst);
        QTemporaryDir dir;
        LocalStore store(dir.path(), QStringLiteral("b"));
        const QString key = QStringLiteral("acme/webapp/archive.tar.zst");
        auto a = store.openWrite(key, fingerprint(QStringLiteral("A")));
        auto b = store.openWrite(key, fingerprint(QStringLiteral("B")));
        QVERIFY(a.ok() && b.ok());
        QCOMPARE((*a)->write("A"), 1);
        QCOMPARE((*b)->write("B"), 1);
        ObjectWriter *first = aCommitsFirst ? a->get() : b->get();
        ObjectWriter *second = aCommitsFirst ? b->get() : a->get();
        QVERIFY(!first->commit());
        QVERIFY(!second->commit());
        const auto info = store.head(key);
        QVERIFY(info.ok());
        const QByteArray content = readAll(store, *info);
        QCOMPARE(content, QByteArray(aCommitsFirst ? "B" : "A"));
        QCOMPARE(info->metadata.value(QStringLiteral("s3cache-fingerprint")), QString::fromLatin1(content));
    }

    // Whatever order the steps of two commits (sidecar, object rename) of one key end up in, and
    // wherever a commit is killed (kill -9), head() returns either no metadata or the metadata of
    // the object it describes: never another version's, which would make the next rebuild say
    // "cache unchanged" for a tree the object does not hold. Each row builds, from two real
    // commits A and B, the files an interleaving or a crash leaves behind: the object file of one
    // (kept alive by a hard link, so it is the very file, inode and all) and the sidecar of one.
    void metadataNeverDescribesAnotherVersion_data()
    {
        QTest::addColumn<QString>("object");   // "A" or "B": whose object file ends up at the key
        QTest::addColumn<QString>("sidecar");  // "A", "B", "old-format B" or "none"
        QTest::addColumn<QString>("expected");  // fingerprint head() reports ("" = no metadata)
        QTest::newRow("A commits, then B") << "B" << "B" << "B";
        QTest::newRow("B commits, then A") << "A" << "A" << "A";
        // The race of the old commit (object renamed, then metadata written): A's metadata
        // write lands after B has committed.
        QTest::newRow("A's metadata lands after B's commit") << "B" << "A" << "";
        // The same steps in the other order: B's sidecar is written, then A's object renamed.
        QTest::newRow("A's object lands after B's sidecar") << "A" << "B" << "";
        // A writes object A, B replaces it: a kill at each step of B's commit.
        QTest::newRow("B killed before its sidecar") << "A" << "A" << "A";
        QTest::newRow("B killed between sidecar and object") << "A" << "B" << "";
        QTest::newRow("B killed after its object") << "B" << "B" << "B";
        QTest::newRow("B killed before any metadata") << "B" << "none" << "";
        // Written by an s3cache before sidecars named their object: it cannot be told from a
        // stale one, so it is not trusted (one re-upload).
        QTest::newRow("old-format sidecar") << "B" << "old-format B" << "";
    }
    void metadataNeverDescribesAnotherVersion()
    {
        QFETCH(QString, object);
        QFETCH(QString, sidecar);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        LocalStore store(dir.path(), QStringLiteral("b"));
        const QString key = QStringLiteral("acme/webapp/archive.tar.zst");
        const QString objectPath = store.bucketPath() + QStringLiteral("/") + key;
        const QString sidecarPath = store.bucketPath() + QStringLiteral("/.s3cache-meta/") + key + QStringLiteral(".json");
        QMap<QString, QString> keptObject;  // writer -> hard link to its object file
        QMap<QString, QByteArray> keptSidecar;  // writer -> its sidecar's bytes
        for (const QString &writer : {QStringLiteral("A"), QStringLiteral("B")}) {
            // Different sizes, as two archives of different trees nearly always have.
            QVERIFY(!put(store, key, writer.toLatin1().repeated(writer == u"A" ? 3 : 5), fingerprint(writer)));
            keptObject[writer] = dir.filePath(QStringLiteral("object-") + writer);
            QCOMPARE(::link(QFile::encodeName(objectPath).constData(), QFile::encodeName(keptObject[writer]).constData()), 0);
            keptSidecar[writer] = readFile(sidecarPath);
            QVERIFY(!keptSidecar[writer].isEmpty());
        }
        QCOMPARE(::rename(QFile::encodeName(keptObject[object]).constData(), QFile::encodeName(objectPath).constData()), 0);
        if (sidecar == u"none")
            QVERIFY(QFile::remove(sidecarPath));
        else if (sidecar == u"old-format B")
            QVERIFY(writeFile(sidecarPath, R"({"s3cache-fingerprint": "B"})"));
        else
            QVERIFY(writeFile(sidecarPath, keptSidecar[sidecar]));

        const auto info = store.head(key);
        QVERIFY2(info.ok(), qPrintable(info.error().toString()));
        const QByteArray content = readAll(store, *info);
        QCOMPARE(content, object.toLatin1().repeated(object == u"A" ? 3 : 5));
        QCOMPARE(info->metadata.value(QStringLiteral("s3cache-fingerprint")), expected);
        // The next commit puts both back in step.
        QVERIFY(!put(store, key, "C", fingerprint(QStringLiteral("C"))));
        QCOMPARE(store.head(key)->metadata.value(QStringLiteral("s3cache-fingerprint")), QStringLiteral("C"));
    }

    // Aging an object by its mtime (how tests and people backdate a file store's LastModified)
    // keeps its metadata; rewriting it in place (same inode) drops it.
    void touchedObjectKeepsMetadataRewrittenObjectLosesIt()
    {
        QTemporaryDir dir;
        LocalStore store(dir.path(), QStringLiteral("b"));
        const QString key = QStringLiteral("k");
        QVERIFY(!put(store, key, "hello", fingerprint(QStringLiteral("F"))));
        QFile f(store.bucketPath() + QStringLiteral("/k"));
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.setFileTime(QDateTime::currentDateTimeUtc().addDays(-30), QFileDevice::FileModificationTime));
        f.close();
        QCOMPARE(store.head(key)->metadata.value(QStringLiteral("s3cache-fingerprint")), QStringLiteral("F"));
        QVERIFY(writeFile(store.bucketPath() + QStringLiteral("/k"), "other content"));
        QCOMPARE(store.head(key)->metadata, (QMap<QString, QString>()));
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

    // A commit killed part way leaves temporary files in the hidden folders: never listed.
    void leftoversOfKilledCommitsAreNotListed()
    {
        QTemporaryDir dir;
        LocalStore store(dir.path(), QStringLiteral("b"));
        QVERIFY(!put(store, QStringLiteral("k"), "x", fingerprint(QStringLiteral("F"))));
        QVERIFY(writeFile(store.bucketPath() + QStringLiteral("/.s3cache-meta/k.json.AbC123"), "{"));
        QVERIFY(writeFile(store.bucketPath() + QStringLiteral("/.s3cache-tmp/upload-XyZ789"), "partial"));
        QStringList seen;
        QVERIFY(!store.list(QString(), [&](const QList<ObjectInfo> &page) {
            for (const ObjectInfo &o : page)
                seen << o.key;
            return true;
        }));
        QCOMPARE(seen, QStringList{QStringLiteral("k")});
        QCOMPARE(store.head(QStringLiteral("k"))->metadata.value(QStringLiteral("s3cache-fingerprint")), QStringLiteral("F"));
    }

    void removeDeletesAndTidies()
    {
        QTemporaryDir dir;
        LocalStore store(dir.path(), QStringLiteral("b"));
        QVERIFY(!put(store, QStringLiteral("a/b/c/k1"), "1"));
        QVERIFY(!put(store, QStringLiteral("a/k2"), "2"));
        const RemoveResult removed = store.remove({QStringLiteral("a/b/c/k1"), QStringLiteral("a/missing")});
        QVERIFY(!removed.error);
        QVERIFY(removed.failed.isEmpty());
        QCOMPARE(removed.deleted.size(), 2);  // S3 semantics: deleting a missing key succeeds
        QVERIFY(!QDir(dir.path() + QStringLiteral("/b/a/b")).exists());
        QVERIFY(store.head(QStringLiteral("a/k2")).ok());
        QVERIFY(!store.head(QStringLiteral("a/b/c/k1")).ok());
        // The sidecar goes with its object.
        QVERIFY(!QFile::exists(dir.path() + QStringLiteral("/b/.s3cache-meta/a/b/c/k1.json")));
        QVERIFY(QFile::exists(dir.path() + QStringLiteral("/b/.s3cache-meta/a/k2.json")));
    }

    // A key the store refuses does not hide the keys deleted beside it.
    void removeKeepsWhatWasDeletedWhenAKeyFails()
    {
        QTemporaryDir dir;
        LocalStore store(dir.path(), QStringLiteral("b"));
        QVERIFY(!put(store, QStringLiteral("k1"), "1"));
        QVERIFY(!put(store, QStringLiteral("k2"), "2"));
        const RemoveResult removed = store.remove({QStringLiteral("k1"), QStringLiteral("../outside"), QStringLiteral("k2")});
        QVERIFY(!removed.error);
        QCOMPARE(removed.deleted, (QStringList{QStringLiteral("k1"), QStringLiteral("k2")}));
        QCOMPARE(removed.failed.size(), 1);
        QCOMPARE(removed.failed.first().first, QStringLiteral("../outside"));
        QCOMPARE(removed.failed.first().second.kind(), ErrorKind::InvalidInput);
        QVERIFY(!store.head(QStringLiteral("k2")).ok());
    }

    // The deletion path batches, goes on past a refused key into the next batch, and its result
    // counts every key that is gone; the error says how many are left.
    void deletionGoesOnAcrossBatchesPastARefusedKey()
    {
        QTemporaryDir dir;
        LocalStore store(dir.path(), QStringLiteral("b"));
        const auto object = [](const QString &key, qint64 size) {
            ObjectInfo o;
            o.key = key;
            o.size = size;
            return o;
        };
        QList<ObjectInfo> objects{object(QStringLiteral("../refused"), 5)};
        const int count = int(ObjectStore::maxRemoveBatch) + 1;
        for (int i = 0; i < count; ++i) {
            const QString key = QStringLiteral("k%1").arg(i);
            QVERIFY(!put(store, key, "xy"));
            objects << object(key, 2);
        }
        DeleteJob job(store, objects);
        const Error e = job.exec();
        QCOMPARE(e.kind(), ErrorKind::InvalidInput);
        QVERIFY2(e.message().startsWith(QStringLiteral("1 of %1 objects not deleted: ").arg(count + 1)), qPrintable(e.message()));
        QCOMPARE(job.result().deleted.size(), count);
        QCOMPARE(job.result().bytesFreed, 2 * count);
        QCOMPARE(job.result().failed, QStringList{QStringLiteral("../refused")});
        QVERIFY(!store.head(QStringLiteral("k%1").arg(count - 1)).ok());
    }
};

QTEST_GUILESS_MAIN(TestLocalStore)
#include "tst_localstore.moc"
