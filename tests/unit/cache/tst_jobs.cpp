// The cache jobs on the embedded local store: rebuild -> restore round trip, skip when
// unchanged, dry runs, flush by age (with an injected clock), cancellation, the `timeout`
// deadline, and the asynchronous start() path the GUI uses.
#include <filesystem>
#include "cache/flushjob.h"
#include "cache/inspectjob.h"
#include "cache/localstore.h"
#include "cache/rebuildjob.h"
#include "cache/restorejob.h"

#include "archive/contentstate.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <fcntl.h>
#include <sys/stat.h>

#include <utility>

using namespace s3cache;

namespace {

void writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(data);
}

// path -> content (or link target) of every file and link below root, but for the workspace's
// content state (.s3cache-state: local to each workspace, never cached)
QMap<QString, QByteArray> contents(const QString &root)
{
    QMap<QString, QByteArray> out;
    QDirIterator it(root, QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot | QDir::System,
                    QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QFileInfo fi(path);
        const QString rel = QDir(root).relativeFilePath(path);
        if (rel == ContentState::fileName())
            continue;
        if (fi.isSymLink())
            out.insert(rel, "-> " + QByteArray::fromStdString(std::filesystem::read_symlink(path.toStdString()).string()));
        else if (fi.isDir())
            out.insert(rel, "<dir>");
        else {
            QFile f(path);
            f.open(QIODevice::ReadOnly);
            out.insert(rel, f.readAll());
        }
    }
    return out;
}

// A job that stands for any loop of a real one: it checks its cancellation and nothing else.
class WaitingJob : public Job
{
protected:
    Error run() override
    {
        cancellation()->wait();  // until cancel() or the deadline: a hang here is ctest's timeout
        return cancelledError();  // what every loop returns when it sees the flag
    }
};

class QuickJob : public Job
{
protected:
    Error run() override { return {}; }
};

// Holds the job, at its first progress report of `phase`, until its deadline has passed:
// what a phase that takes longer than `timeout` looks like to the code after it, without a
// test that depends on how fast this machine is.
void holdUntilDeadline(Job &job, JobPhase phase)
{
    QObject::connect(&job, &Job::progress, &job, [&job, phase, held = false](const JobProgress &p) mutable {
        if (p.phase == phase && !std::exchange(held, true))
            job.cancellation()->wait();
    }, Qt::DirectConnection);
}

// Forwards to a store; the first write into an upload waits until the job's cancellation
// trips (the deadline): an upload that takes longer than `timeout`.
class HeldWriter : public ObjectWriter
{
public:
    HeldWriter(std::unique_ptr<ObjectWriter> inner, CancellationPtr cancellation)
        : m_inner(std::move(inner)), m_cancellation(std::move(cancellation))
    {
        open(QIODevice::WriteOnly);
    }
    Error commit() override { return m_inner->commit(); }
    void abort() override { m_inner->abort(); }

protected:
    qint64 readData(char *, qint64) override { return -1; }
    qint64 writeData(const char *data, qint64 len) override
    {
        if (m_cancellation && !std::exchange(m_held, true))
            m_cancellation->wait();
        const qint64 n = m_inner->write(data, len);
        if (n < 0)
            setStreamError(m_inner->streamError());
        return n;
    }

private:
    std::unique_ptr<ObjectWriter> m_inner;
    CancellationPtr m_cancellation;
    bool m_held = false;
};

class HoldingStore : public ObjectStore
{
public:
    explicit HoldingStore(ObjectStore &inner) : m_inner(inner) {}
    // A job's view: the inner store's view, held at the job's cancellation.
    HoldingStore(ObjectStorePtr view, CancellationPtr cancellation)
        : m_view(std::move(view)), m_inner(*m_view), m_cancellation(std::move(cancellation))
    {
    }
    QString describe() const override { return m_inner.describe(); }
    QString uri(const QString &key) const override { return m_inner.uri(key); }
    std::unique_ptr<ObjectStore> withContext(const CallContext &context) const override
    {
        return std::make_unique<HoldingStore>(m_inner.withContext(context), context.cancellation);
    }
    Result<ObjectInfo> head(const QString &key) override { return m_inner.head(key); }
    Result<std::unique_ptr<ObjectStream>> openRead(const ObjectInfo &info) override { return m_inner.openRead(info); }
    Result<std::unique_ptr<ObjectWriter>> openWrite(const QString &key, const QMap<QString, QString> &metadata,
                                                    qint64 sizeHint) override
    {
        Result<std::unique_ptr<ObjectWriter>> writer = m_inner.openWrite(key, metadata, sizeHint);
        if (!writer.ok())
            return writer;
        return std::unique_ptr<ObjectWriter>(std::make_unique<HeldWriter>(std::move(*writer), m_cancellation));
    }
    Error list(const QString &prefix, const std::function<bool(const QList<ObjectInfo> &)> &page) override
    {
        return m_inner.list(prefix, page);
    }
    RemoveResult remove(const QStringList &keys) override { return m_inner.remove(keys); }

private:
    ObjectStorePtr m_view;
    ObjectStore &m_inner;
    CancellationPtr m_cancellation;
};

// Every file below `dir`, relative to it (an empty or missing folder gives none).
QStringList filesBelow(const QString &dir)
{
    QStringList out;
    QDirIterator it(dir, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext())
        out << QDir(dir).relativeFilePath(it.next());
    return out;
}

} // namespace

class TestJobs : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString ws() const { return m_dir.path() + QStringLiteral("/ws"); }

    void makeTree(const QString &root)
    {
        for (int i = 0; i < 20; ++i)
            writeFile(root + QStringLiteral("/node_modules/p%1/index.js").arg(i), QByteArray::number(i).repeated(100));
        writeFile(root + QStringLiteral("/.gradle/caches/x.bin"), QByteArray(300000, 'g'));
        writeFile(root + QStringLiteral("/src/main.c"), "int main;");
        QDir().mkpath(root + QStringLiteral("/node_modules/.bin"));
        QFile::link(QStringLiteral("../p1/index.js"), root + QStringLiteral("/node_modules/.bin/p1"));
    }

    RebuildOptions rebuildOptions(const QString &workspace) const
    {
        RebuildOptions o;
        o.key = QStringLiteral("acme/webapp/archive.tar.zst");
        o.workspace = workspace;
        o.mounts = {QStringLiteral("node_modules"), QStringLiteral(".gradle")};
        return o;
    }

private slots:
    void init()
    {
        QDir(m_dir.path()).removeRecursively();
        QDir().mkpath(m_dir.path());
    }

    void rebuildRestoreRoundTrip()
    {
        LocalStore store(m_dir.path() + QStringLiteral("/store"), QStringLiteral("b"));
        makeTree(ws());
        RebuildJob rebuild(store, rebuildOptions(ws()));
        const Error e = rebuild.exec();
        QVERIFY2(!e, qPrintable(e.toString()));
        QCOMPARE(rebuild.result().outcome, RebuildResult::Outcome::Uploaded);
        QCOMPARE(rebuild.result().fileCount, 21);
        QVERIFY(rebuild.result().objectSize > 0);

        const QString ws2 = m_dir.path() + QStringLiteral("/ws2");
        writeFile(ws2 + QStringLiteral("/src/main.c"), "int main;");
        RestoreOptions ro;
        ro.key = rebuildOptions(ws()).key;
        ro.workspace = ws2;
        RestoreJob restore(store, ro);
        const Error re = restore.exec();
        QVERIFY2(!re, qPrintable(re.toString()));
        QVERIFY(restore.result().hit);
        QCOMPARE(contents(ws2), contents(ws()));

        // The restored tree is recognised as unchanged: no second upload.
        RebuildJob again(store, rebuildOptions(ws2));
        QVERIFY(!again.exec());
        QCOMPARE(again.result().outcome, RebuildResult::Outcome::Unchanged);

        // One changed file changes the fingerprint.
        writeFile(ws2 + QStringLiteral("/node_modules/p3/index.js"), "changed");
        RebuildJob changed(store, rebuildOptions(ws2));
        QVERIFY(!changed.exec());
        QCOMPARE(changed.result().outcome, RebuildResult::Outcome::Uploaded);
        QVERIFY(changed.result().fingerprint != again.result().fingerprint);
    }

    void sameSizeEditWithPinnedMtimeIsUploaded()
    {
        // echo AAAA > f; rebuild; echo BBBB > f; (mtime pinned back); rebuild -> uploaded, and a
        // restore gives BBBB. npm's fixed 1985 mtimes make every same-size patch bump this case.
        LocalStore store(m_dir.path() + QStringLiteral("/store"), QStringLiteral("b"));
        const QString file = ws() + QStringLiteral("/node_modules/f");
        const struct timespec pinned[2] = {{499162500, 0}, {499162500, 0}};
        writeFile(file, "AAAA\n");
        QCOMPARE(utimensat(AT_FDCWD, QFile::encodeName(file).constData(), pinned, 0), 0);
        RebuildJob first(store, rebuildOptions(ws()));
        QVERIFY(!first.exec());
        QCOMPARE(first.result().outcome, RebuildResult::Outcome::Uploaded);
        writeFile(file, "BBBB\n");
        QCOMPARE(utimensat(AT_FDCWD, QFile::encodeName(file).constData(), pinned, 0), 0);
        RebuildJob second(store, rebuildOptions(ws()));
        QVERIFY(!second.exec());
        QCOMPARE(second.result().outcome, RebuildResult::Outcome::Uploaded);
        QVERIFY(second.result().fingerprint != first.result().fingerprint);

        const QString ws2 = m_dir.path() + QStringLiteral("/ws2");
        QDir().mkpath(ws2);
        RestoreOptions ro;
        ro.key = rebuildOptions(ws()).key;
        ro.workspace = ws2;
        RestoreJob restore(store, ro);
        QVERIFY(!restore.exec());
        QFile restored(ws2 + QStringLiteral("/node_modules/f"));
        QVERIFY(restored.open(QIODevice::ReadOnly));
        QCOMPARE(restored.readAll(), QByteArray("BBBB\n"));
    }

    void restoreRecordsTheContentState()
    {
        LocalStore store(m_dir.path() + QStringLiteral("/store"), QStringLiteral("b"));
        makeTree(ws());
        // Files changed in the clock tick the scan starts in are not recorded (contentstate.h).
        const qint64 newest = FileStamp::of([&] {
            struct stat st {};
            lstat(QFile::encodeName(ws() + QStringLiteral("/src/main.c")).constData(), &st);
            return st;
        }()).ctimeNs;
        QTRY_VERIFY_WITH_TIMEOUT(ContentState::clockFloor() > newest, 5000);
        RebuildJob rebuild(store, rebuildOptions(ws()));
        QVERIFY(!rebuild.exec());
        QCOMPARE(ContentState::load(ws()).size(), 21);  // the rebuild's own record

        const QString ws2 = m_dir.path() + QStringLiteral("/ws2");
        QDir().mkpath(ws2);
        RestoreOptions ro;
        ro.key = rebuildOptions(ws()).key;
        ro.workspace = ws2;
        RestoreJob restore(store, ro);
        QVERIFY(!restore.exec());

        // Every restored file is known: a scan of the restored workspace reads none of them.
        ContentState state = ContentState::load(ws2);
        QCOMPARE(state.size(), 21);
        const Result<TreeSnapshot> scanned = scanMounts(ws2, rebuildOptions(ws2).mounts, false, nullptr, &state);
        QVERIFY(scanned.ok());
        QCOMPARE(scanned->filesHashed, 0);
        QCOMPARE(scanned->filesFromState, 21);
        RebuildJob again(store, rebuildOptions(ws2));
        QVERIFY(!again.exec());
        QCOMPARE(again.result().outcome, RebuildResult::Outcome::Unchanged);

        // A file edited after the restore (same size, mtime pinned back) is read and uploaded.
        const QString file = ws2 + QStringLiteral("/node_modules/p3/index.js");
        struct stat st;
        QCOMPARE(lstat(QFile::encodeName(file).constData(), &st), 0);
        writeFile(file, QByteArray("4").repeated(100));
        const struct timespec times[2] = {st.st_atim, st.st_mtim};
        QCOMPARE(utimensat(AT_FDCWD, QFile::encodeName(file).constData(), times, 0), 0);
        RebuildJob edited(store, rebuildOptions(ws2));
        QVERIFY(!edited.exec());
        QCOMPARE(edited.result().outcome, RebuildResult::Outcome::Uploaded);

        // A dry run leaves the workspace alone, and so does a rebuild that cannot save the state.
        QVERIFY(QFile::remove(ws2 + u'/' + ContentState::fileName()));
        RebuildOptions dry = rebuildOptions(ws2);
        dry.dryRun = true;
        QVERIFY(!RebuildJob(store, dry).exec());
        QVERIFY(!QFile::exists(ws2 + u'/' + ContentState::fileName()));
        QVERIFY(QDir().mkdir(ws2 + u'/' + ContentState::fileName()));  // unwritable: a directory in the way
        RebuildJob blocked(store, rebuildOptions(ws2));
        QVERIFY(!blocked.exec());
        QCOMPARE(blocked.result().outcome, RebuildResult::Outcome::Unchanged);
    }

    void missAndLegacyFallback()
    {
        LocalStore store(m_dir.path() + QStringLiteral("/store"), QStringLiteral("b"));
        QDir().mkpath(ws());
        RestoreOptions ro;
        ro.key = QStringLiteral("acme/webapp/archive.tar.zst");
        ro.fallbackKeys = {QStringLiteral("acme/webapp/archive.tgz")};
        ro.workspace = ws();
        RestoreJob miss(store, ro);
        QVERIFY(!miss.exec());
        QVERIFY(!miss.result().hit);
        QCOMPARE(QDir(ws()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());

        // A gzip archive under the legacy name is found by the fallback, format detected from bytes.
        const QString src = m_dir.path() + QStringLiteral("/src");
        makeTree(src);
        RebuildOptions o = rebuildOptions(src);
        o.key = QStringLiteral("acme/webapp/archive.tgz");
        o.archive.format = ArchiveFormat::TarGzip;
        QVERIFY(!RebuildJob(store, o).exec());
        RestoreJob hit(store, ro);
        QVERIFY(!hit.exec());
        QVERIFY(hit.result().hit);
        QCOMPARE(hit.result().matchedKey, QStringLiteral("acme/webapp/archive.tgz"));
        QCOMPARE(hit.result().stats.format, QStringLiteral("tar.gz"));
    }

    void dryRunAndNothingToCache()
    {
        LocalStore store(m_dir.path() + QStringLiteral("/store"), QStringLiteral("b"));
        makeTree(ws());
        RebuildOptions o = rebuildOptions(ws());
        o.dryRun = true;
        RebuildJob dry(store, o);
        QVERIFY(!dry.exec());
        QCOMPARE(dry.result().outcome, RebuildResult::Outcome::DryRun);
        QVERIFY(!store.head(o.key).ok());

        o.dryRun = false;
        o.mounts = {QStringLiteral("missing"), QStringLiteral("also-missing")};
        RebuildJob none(store, o);
        QVERIFY(!none.exec());
        QCOMPARE(none.result().outcome, RebuildResult::Outcome::NothingToCache);
        QCOMPARE(none.result().missingMounts, (QStringList{QStringLiteral("missing"), QStringLiteral("also-missing")}));
        QVERIFY(!store.head(o.key).ok());
    }

    void flushByAge()
    {
        LocalStore store(m_dir.path() + QStringLiteral("/store"), QStringLiteral("b"));
        for (const QString &k : {QStringLiteral("acme/webapp/a.tar.zst"), QStringLiteral("acme/webapp/old/b.tgz"),
                                 QStringLiteral("acme/webapp-other/c.tar.zst")}) {
            auto w = store.openWrite(k, {}, -1);
            (*w)->write("12345");
            QVERIFY(!(*w)->commit());
        }
        FlushOptions fo;
        fo.prefix = QStringLiteral("acme/webapp/");
        fo.maxAgeSeconds = 14 * 86400;
        fo.now = QDateTime::currentDateTimeUtc().addDays(13);  // not old enough yet
        FlushJob young(store, fo);
        QVERIFY(!young.exec());
        QCOMPARE(young.result().scanned, 2);
        QCOMPARE(young.result().deleted, 0);

        fo.now = QDateTime::currentDateTimeUtc().addDays(15);
        fo.dryRun = true;
        FlushJob preview(store, fo);
        QVERIFY(!preview.exec());
        QCOMPARE(preview.result().plan.deletedCount(), 2);
        QCOMPARE(preview.result().deleted, 0);
        QVERIFY(store.head(QStringLiteral("acme/webapp/a.tar.zst")).ok());

        fo.dryRun = false;
        FlushJob flush(store, fo);
        QVERIFY(!flush.exec());
        QCOMPARE(flush.result().deleted, 2);
        QCOMPARE(flush.result().bytesFreed, 10);
        QVERIFY(!store.head(QStringLiteral("acme/webapp/a.tar.zst")).ok());
        QVERIFY(store.head(QStringLiteral("acme/webapp-other/c.tar.zst")).ok());  // trailing slash scope
    }

    void cancelledRebuildStoresNothing()
    {
        LocalStore store(m_dir.path() + QStringLiteral("/store"), QStringLiteral("b"));
        makeTree(ws());
        RebuildJob job(store, rebuildOptions(ws()));
        job.cancel();
        const Error e = job.exec();
        QCOMPARE(e.kind(), ErrorKind::Cancelled);
        QVERIFY(!store.head(rebuildOptions(ws()).key).ok());
    }

    void cancellationCarriesADeadline()
    {
        Cancellation passed;
        QVERIFY(!passed.isCancelled());
        QCOMPARE(passed.reason(), Cancellation::Reason::None);
        passed.setDeadline(QDeadlineTimer(0));  // already over
        QVERIFY(passed.isCancelled());
        QCOMPARE(passed.reason(), Cancellation::Reason::Deadline);
        passed.cancel();  // the first reason stays
        QCOMPARE(passed.reason(), Cancellation::Reason::Deadline);

        Cancellation cancelled;
        cancelled.setDeadline(QDeadlineTimer(3600 * 1000));
        QVERIFY(!cancelled.isCancelled());
        cancelled.cancel();
        QVERIFY(cancelled.isCancelled());
        QCOMPARE(cancelled.reason(), Cancellation::Reason::Cancelled);
        QVERIFY(!cancelled.deadline().isForever());

        Cancellation none;
        QVERIFY(none.deadline().isForever());

        Cancellation waited;  // wait() returns at the deadline, with nobody calling cancel()
        waited.setDeadline(QDeadlineTimer(20));
        waited.wait();
        QCOMPARE(waited.reason(), Cancellation::Reason::Deadline);
    }

    void deadlineCancelsTheJobWithATimeout()
    {
        // The job returns only once its cancellation trips: here nobody calls cancel().
        WaitingJob job;
        job.setTimeout(50);
        const Error e = job.exec();  // returns only once the deadline tripped the cancellation
        QCOMPARE(e.kind(), ErrorKind::Transient);  // as the CLI always reported timeouts
        QCOMPARE(e.code(), QStringLiteral("Timeout"));
        QVERIFY2(e.message().contains(u"took longer than timeout: 50ms"), qPrintable(e.message()));
        QVERIFY2(e.message().contains(u"raise `timeout`"), qPrintable(e.message()));

        // A cancel before the deadline stays a cancel.
        WaitingJob cancelled;
        cancelled.setTimeout(3600 * 1000);
        cancelled.cancel();
        QCOMPARE(cancelled.exec().kind(), ErrorKind::Cancelled);

        // A job done before its deadline succeeds (and does not wait for the deadline).
        QuickJob quick;
        quick.setTimeout(3600 * 1000);
        QVERIFY(!quick.exec());
        QVERIFY(!quick.cancellation()->isCancelled());
    }

    void rebuildPastItsDeadlineStoresNothing()
    {
        LocalStore store(m_dir.path() + QStringLiteral("/store"), QStringLiteral("b"));
        HoldingStore holding(store);
        makeTree(ws());
        for (const JobPhase phase : {JobPhase::Scan, JobPhase::Upload}) {
            // scan: held at its start; upload: held at the first write into the store.
            RebuildJob job(phase == JobPhase::Scan ? static_cast<ObjectStore &>(store) : holding, rebuildOptions(ws()));
            job.setTimeout(100);
            if (phase == JobPhase::Scan)
                holdUntilDeadline(job, phase);
            const Error e = job.exec();
            QCOMPARE(e.kind(), ErrorKind::Transient);
            QCOMPARE(e.code(), QStringLiteral("Timeout"));
            QVERIFY2(e.message().contains(QStringLiteral("stopped in the %1 phase").arg(jobPhaseName(phase))), qPrintable(e.message()));
            QVERIFY(!store.head(rebuildOptions(ws()).key).ok());
            QCOMPARE(filesBelow(store.bucketPath()), QStringList());  // no temporary, no metadata
        }
    }

    void restorePastItsDeadlineLeavesTheWorkspace()
    {
        LocalStore store(m_dir.path() + QStringLiteral("/store"), QStringLiteral("b"));
        makeTree(ws());
        QVERIFY(!RebuildJob(store, rebuildOptions(ws())).exec());
        const QString ws2 = m_dir.path() + QStringLiteral("/ws2");
        writeFile(ws2 + QStringLiteral("/node_modules/old.js"), "old");
        const QMap<QString, QByteArray> before = contents(ws2);
        RestoreOptions ro;
        ro.key = rebuildOptions(ws()).key;
        ro.workspace = ws2;
        RestoreJob job(store, ro);
        job.setTimeout(100);
        holdUntilDeadline(job, JobPhase::Restore);
        const Error e = job.exec();
        QCOMPARE(e.kind(), ErrorKind::Transient);
        QCOMPARE(e.code(), QStringLiteral("Timeout"));
        QCOMPARE(contents(ws2), before);  // rolled back, no staging left
    }

    void localStoreStopsAtItsDeadline()
    {
        LocalStore base(m_dir.path() + QStringLiteral("/store"), QStringLiteral("b"));
        const QString key = QStringLiteral("acme/webapp/a.tar.zst");
        auto cancellation = std::make_shared<Cancellation>();
        cancellation->setDeadline(QDeadlineTimer(50));
        const ObjectStorePtr store = base.withContext({cancellation, nullptr});
        auto w = store->openWrite(key, {}, -1);
        QVERIFY(w.ok());
        QCOMPARE((*w)->write("12345"), 5);

        cancellation->wait();  // until the deadline has passed
        QCOMPARE(store->openWrite(key, {}, -1).error().code(), QStringLiteral("Timeout"));
        QCOMPARE(store->head(key).error().code(), QStringLiteral("Timeout"));
        QCOMPARE(store->list(QString(), [](const QList<ObjectInfo> &) { return true; }).code(), QStringLiteral("Timeout"));
        // The open writer is stopped too (every write checks), and its commit leaves nothing (its
        // temporary is unnamed until a commit links it: O_TMPFILE).
        QCOMPARE((*w)->write("67890"), -1);
        QCOMPARE((*w)->streamError().code(), QStringLiteral("Timeout"));
        QCOMPARE((*w)->commit().code(), QStringLiteral("Timeout"));
        // The store itself, and other views of it, are not stopped by one view's deadline.
        QCOMPARE(base.head(key).error().kind(), ErrorKind::NotFound);
        QCOMPARE(filesBelow(base.bucketPath()), QStringList());

        // A commit once the deadline passed is refused, whatever was written before it.
        auto late = std::make_shared<Cancellation>();
        late->setDeadline(QDeadlineTimer(50));
        const ObjectStorePtr lateStore = base.withContext({late, nullptr});
        auto written = lateStore->openWrite(key, {}, -1);
        QVERIFY(written.ok());
        QCOMPARE((*written)->write("12345"), 5);
        late->wait();
        QCOMPARE((*written)->commit().code(), QStringLiteral("Timeout"));
        QVERIFY(!base.head(key).ok());
        QCOMPARE(filesBelow(base.bucketPath()), QStringList());
    }

    // The warning channel: what code under a job reports through its context, from the worker
    // thread, reaches a receiver in the job's thread before finished(), and is kept in order.
    void warningsReachTheJobsThreadBeforeFinished()
    {
        class WarningJob : public Job
        {
        protected:
            Error run() override
            {
                const CallContext context = callContext();
                reportWarning(context.warnings, QStringLiteral("could not abort upload %1 of pct/%1 %2"));
                reportWarning(context.warnings, QStringLiteral("second"));
                return {};
            }
        };
        auto *job = new WarningJob;
        QStringList seen;
        bool finishedFirst = false;
        connect(job, &Job::warning, this, [&](const QString &w) {
            QCOMPARE(QThread::currentThread(), thread());
            seen << w;
        });
        connect(job, &Job::finished, this, [&] { finishedFirst = seen.size() < 2; });
        job->start();
        QTRY_VERIFY(job->isFinished());
        QVERIFY(!finishedFirst);
        QCOMPARE(seen, (QStringList{QStringLiteral("could not abort upload %1 of pct/%1 %2"), QStringLiteral("second")}));
        QCOMPARE(job->warnings(), seen);
        delete job;
    }

    void asyncStartReportsProgressAndFinishes()
    {
        LocalStore store(m_dir.path() + QStringLiteral("/store"), QStringLiteral("b"));
        makeTree(ws());
        auto *job = new RebuildJob(store, rebuildOptions(ws()), this);
        QSignalSpy finished(job, &Job::finished);
        QSignalSpy progress(job, &Job::progress);
        job->start();
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.size(), 1);
        QVERIFY(!job->error());
        QVERIFY(!progress.isEmpty());
        QCOMPARE(progress.last().first().value<JobProgress>().bytesDone, job->result().totalFileBytes);

        InspectJob inspect(store, rebuildOptions(ws()).key);
        QVERIFY(!inspect.exec());
        QCOMPARE(inspect.result().object.metadata.value(Metadata::files), QStringLiteral("21"));
        QStringList paths;
        for (const ArchiveEntryInfo &e : inspect.result().entries)
            paths << e.path;
        QVERIFY(paths.contains(QStringLiteral("node_modules/.bin/p1")));
        QVERIFY(!paths.contains(QStringLiteral("src/main.c")));
        delete job;
    }
};

QTEST_GUILESS_MAIN(TestJobs)
#include "tst_jobs.moc"
