// The small jobs behind the GUI's browse/download/delete on the embedded local store:
// PagedListJob hands every object over page by page, DownloadJob writes a file atomically and
// leaves nothing behind on failure, DeleteJob reports exactly what it deleted.
#include "cache/deletejob.h"
#include "cache/downloadjob.h"
#include "cache/headjob.h"
#include "cache/localstore.h"
#include "cache/pagedlistjob.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;

namespace {

Error put(ObjectStore &store, const QString &key, const QByteArray &data, const QMap<QString, QString> &meta = {})
{
    auto writer = store.openWrite(key, meta, data.size());
    if (!writer.ok())
        return writer.error();
    if ((*writer)->write(data) != data.size())
        return (*writer)->streamError();
    return (*writer)->commit();
}

// Many objects fast: a local store's objects are plain files under <root>/<bucket>/<key>.
void writeObjectFile(const LocalStore &store, const QString &key, const QByteArray &data)
{
    const QString path = store.bucketPath() + QLatin1Char('/') + key;
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    if (f.open(QIODevice::WriteOnly))
        f.write(data);
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}

} // namespace

class TestTransferJobs : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::unique_ptr<LocalStore> m_store;

private slots:
    void init()
    {
        QDir(m_dir.path()).removeRecursively();
        QDir().mkpath(m_dir.path());
        m_store = std::make_unique<LocalStore>(m_dir.path() + QStringLiteral("/store"), QStringLiteral("bucket"));
    }

    void pagedListDeliversEveryObjectInOrderBeforeFinished()
    {
        for (int i = 0; i < 2001; ++i)
            writeObjectFile(*m_store, QStringLiteral("ci/org/repo/archive-%1.tar").arg(i, 4, 10, QLatin1Char('0')), "x");
        QVERIFY(!put(*m_store, QStringLiteral("elsewhere/archive.tar"), "x"));
        auto *job = new PagedListJob(*m_store, QStringLiteral("ci/"), this);
        QStringList keys;
        int pages = 0;
        bool pageAfterFinish = false;
        QSignalSpy finished(job, &Job::finished);
        connect(job, &PagedListJob::page, this, [&](const QList<ObjectInfo> &page) {
            ++pages;
            pageAfterFinish = pageAfterFinish || !finished.isEmpty();
            for (const ObjectInfo &o : page)
                keys << o.key;
        });
        job->start();
        QVERIFY(finished.wait(30000));
        QVERIFY2(!job->error(), qPrintable(job->error().toString()));
        QCOMPARE(pages, 3);  // pages of 1000, 1000 and 1
        QVERIFY(!pageAfterFinish);
        QCOMPARE(keys.size(), 2001);
        QCOMPARE(job->count(), 2001);
        QCOMPARE(keys.first(), QStringLiteral("ci/org/repo/archive-0000.tar"));
        QCOMPARE(keys.last(), QStringLiteral("ci/org/repo/archive-2000.tar"));
        QVERIFY(std::is_sorted(keys.cbegin(), keys.cend()));
        delete job;
    }

    void pagedListCancelled()
    {
        for (int i = 0; i < 1001; ++i)
            writeObjectFile(*m_store, QStringLiteral("k%1").arg(i), "x");
        PagedListJob job(*m_store, QString());
        int pages = 0;
        connect(&job, &PagedListJob::page, this, [&] { ++pages; job.cancel(); });
        QCOMPARE(job.exec().kind(), ErrorKind::Cancelled);
        QCOMPARE(pages, 1);
    }

    void headReadsMetadata()
    {
        QVERIFY(!put(*m_store, QStringLiteral("o/r/archive.tar.zst"), "abc", {{QStringLiteral("s3cache-files"), QStringLiteral("12")}}));
        HeadJob head(*m_store, QStringLiteral("o/r/archive.tar.zst"));
        QVERIFY(!head.exec());
        QCOMPARE(head.result().size, 3);
        QCOMPARE(head.result().metadata.value(QStringLiteral("s3cache-files")), QStringLiteral("12"));
        HeadJob missing(*m_store, QStringLiteral("o/r/none"));
        QCOMPARE(missing.exec().kind(), ErrorKind::NotFound);
    }

    void downloadWritesTheWholeObject()
    {
        QByteArray data(3 * 1024 * 1024 + 17, Qt::Uninitialized);
        QRandomGenerator(7).fillRange(reinterpret_cast<quint32 *>(data.data()), data.size() / 4);
        QVERIFY(!put(*m_store, QStringLiteral("o/r/archive.tar.zst"), data));
        const QString target = m_dir.path() + QStringLiteral("/out.tar.zst");
        auto *job = new DownloadJob(*m_store, QStringLiteral("o/r/archive.tar.zst"), target, this);
        QSignalSpy finished(job, &Job::finished);
        QSignalSpy progress(job, &Job::progress);
        job->start();
        QVERIFY(finished.wait(30000));
        QVERIFY2(!job->error(), qPrintable(job->error().toString()));
        QCOMPARE(job->result().bytes, data.size());
        QCOMPARE(readFile(target), data);
        QVERIFY(!progress.isEmpty());
        const JobProgress last = progress.last().first().value<JobProgress>();
        QCOMPARE(last.bytesDone, data.size());
        QCOMPARE(last.bytesTotal, data.size());
        delete job;
    }

    void failedOrCancelledDownloadKeepsThePreviousFile()
    {
        QVERIFY(!put(*m_store, QStringLiteral("o/r/archive.tar.zst"), QByteArray(2 * 1024 * 1024, 'n')));
        const QString target = m_dir.path() + QStringLiteral("/out.tar.zst");
        QFile previous(target);
        QVERIFY(previous.open(QIODevice::WriteOnly));
        previous.write("previous");
        previous.close();

        DownloadJob missing(*m_store, QStringLiteral("o/r/none.tar.zst"), target);
        QCOMPARE(missing.exec().kind(), ErrorKind::NotFound);
        QCOMPARE(readFile(target), QByteArray("previous"));

        DownloadJob cancelled(*m_store, QStringLiteral("o/r/archive.tar.zst"), target);
        cancelled.cancel();
        QCOMPARE(cancelled.exec().kind(), ErrorKind::Cancelled);
        QCOMPARE(readFile(target), QByteArray("previous"));

        DownloadJob noDirectory(*m_store, QStringLiteral("o/r/archive.tar.zst"), m_dir.path() + QStringLiteral("/no/such/dir/f"));
        const Error e = noDirectory.exec();
        QCOMPARE(e.kind(), ErrorKind::Io);
        QVERIFY2(e.message().contains(QStringLiteral("/no/such/dir/f")), qPrintable(e.message()));

        // Only the target and the store remain: no temporary files beside the target.
        QCOMPARE(QDir(m_dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{QStringLiteral("out.tar.zst")});
    }

    void deleteRemovesExactlyTheChosenObjects()
    {
        QList<ObjectInfo> chosen;
        for (int i = 0; i < 300; ++i) {
            const QString key = QStringLiteral("o/r/archive-%1.tar").arg(i);
            writeObjectFile(*m_store, key, QByteArray(i % 10, 'x'));
            if (i % 2 == 0)
                chosen << *m_store->head(key);
        }
        QVERIFY(!put(*m_store, QStringLiteral("keep/archive.tar"), "keep"));
        qint64 chosenBytes = 0;
        for (const ObjectInfo &o : std::as_const(chosen))
            chosenBytes += o.size;
        QList<ObjectInfo> withDuplicate = chosen;
        withDuplicate << chosen.first();
        DeleteJob job(*m_store, withDuplicate);
        QSignalSpy progress(&job, &Job::progress);
        QVERIFY(!job.exec());
        QCOMPARE(job.result().deleted.size(), 150);
        QCOMPARE(job.result().bytesFreed, chosenBytes);
        QCOMPARE(progress.size(), 1);  // one batch
        QVERIFY(!m_store->head(QStringLiteral("o/r/archive-0.tar")).ok());
        QVERIFY(m_store->head(QStringLiteral("o/r/archive-1.tar")).ok());
        QVERIFY(m_store->head(QStringLiteral("keep/archive.tar")).ok());
    }

    void deleteInBatchesOfAThousand()
    {
        QList<ObjectInfo> all;
        for (int i = 0; i < 2001; ++i) {
            ObjectInfo o;
            o.key = QStringLiteral("gone/k%1").arg(i);  // missing keys count as deleted, like S3
            o.size = 1;
            all << o;
        }
        DeleteJob job(*m_store, all);
        QSignalSpy progress(&job, &Job::progress);
        QVERIFY(!job.exec());
        QCOMPARE(progress.size(), 3);
        QCOMPARE(progress.at(0).first().value<JobProgress>().itemsDone, 1000);
        QCOMPARE(progress.last().first().value<JobProgress>().itemsTotal, 2001);
        QCOMPARE(job.result().bytesFreed, 2001);
    }

    void deleteSaysWhatWasDoneWhenAKeyIsRefused()
    {
        QVERIFY(!put(*m_store, QStringLiteral("a/archive.tar"), "a"));
        ObjectInfo good = *m_store->head(QStringLiteral("a/archive.tar"));
        ObjectInfo bad;
        bad.key = QStringLiteral("../escape");  // refused by the local store
        DeleteJob job(*m_store, {good, bad});
        const Error e = job.exec();
        QCOMPARE(e.kind(), ErrorKind::InvalidInput);
        QVERIFY2(e.message().contains(QStringLiteral("../escape")), qPrintable(e.message()));
        // The refused key fails the job; the one deleted is still reported (flush counts it).
        QCOMPARE(job.result().deleted, QStringList{good.key});
        QVERIFY(!m_store->head(good.key).ok());
    }
};

QTEST_GUILESS_MAIN(TestTransferJobs)
#include "tst_transferjobs.moc"
