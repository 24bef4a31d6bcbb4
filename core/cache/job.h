#pragma once
// Job: one long operation (restore, rebuild, flush, list, inspect) with progress, warnings,
// cancel and one result, after KDE's KJob. The work itself is a blocking run() so that the same
// code serves:
//  - the CLI: exec() runs it in the calling thread and returns the error;
//  - the GUI: start() runs it on a worker thread; progress() and finished() reach receivers in
//    their own thread through queued connections, and cancel() is safe from any thread.
// A job finishes exactly once. Warnings (something the user should know although the job goes
// on) reach every front end through warning(): the code under the job reports them to the
// job's sink (callContext().warnings), from any thread.

#include "util/cancellation.h"
#include "util/error.h"
#include "util/warnings.h"

#include <QElapsedTimer>
#include <QMutex>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QThread>

#include <atomic>

namespace s3cache {

enum class JobPhase { None, Connect, Scan, Upload, Download, Restore, Inspect, List, Delete };
// "upload": how the CLI's progress lines and the timeout message name a phase.
QString jobPhaseName(JobPhase phase);

struct JobProgress
{
    JobPhase phase = JobPhase::None;
    qint64 bytesDone = 0;
    qint64 bytesTotal = -1;  // -1 when unknown
    qint64 itemsDone = 0;    // files or objects
    qint64 itemsTotal = -1;
    qint64 elapsedMs = 0;
};

class JobWarningSink;

class Job : public QObject
{
    Q_OBJECT
public:
    explicit Job(QObject *parent = nullptr);
    ~Job() override;

    // Runs the job on a worker thread; finished() is emitted in this object's thread. The job
    // must stay alive until then (connect finished() to deleteLater()).
    void start();
    // Runs the job in the calling thread (the CLI's top level); returns error().
    Error exec();
    // Thread-safe. The job stops at its next check and finishes with ErrorKind::Cancelled,
    // leaving the workspace and the bucket as they were.
    void cancel();
    // The whole-operation deadline (the `timeout` parameter), counted from when the job starts
    // to run; <= 0: none. Call before start()/exec(). The job's cancellation carries it, so it
    // stops the job like cancel() does, in whatever phase it is and whatever the store (scan,
    // archiving, upload, download, extraction), and the job then finishes with timeoutError():
    // ErrorKind::Transient, code "Timeout", as the S3 layer's own deadline errors always were.
    void setTimeout(qint64 ms) { m_timeoutMs = ms; }
    qint64 timeout() const { return m_timeoutMs; }

    bool isFinished() const { return m_finished.load(); }
    const Error &error() const { return m_error; }
    CancellationPtr cancellation() const { return m_cancel; }
    // What the job's store calls run under: its cancellation and its warning sink.
    CallContext callContext() const;
    // Reports a warning, from any thread (what callContext().warnings->warn() does).
    void warn(const QString &message);
    // The warnings reported so far, in order. Thread-safe.
    QStringList warnings() const;
    qint64 elapsedMs() const { return m_elapsed.isValid() ? m_elapsed.elapsed() : 0; }
    // ErrorKind::Cancelled, "cancelled".
    static Error cancelledError();

signals:
    void progress(const s3cache::JobProgress &progress);
    // Emitted in the thread that reported the warning (a worker or the network thread):
    // receivers in other threads get it queued, before finished() when it came before.
    void warning(const QString &message);
    void finished();

protected:
    virtual Error run() = 0;
    bool isCancelled() const { return m_cancel->isCancelled(); }
    // Emits progress at most every 200 ms (and always when `force`), from any thread.
    void reportProgress(JobProgress progress, bool force = false);

    // "the operation took longer than timeout: 1s (stopped in the upload phase); raise `timeout` ..."
    Error timeoutError() const;

private:
    Error runGuarded();
    // The error a run that ended with `e` reports, once the cancellation may have tripped.
    Error finalError(Error e) const;

    CancellationPtr m_cancel;
    Error m_error;
    std::atomic<bool> m_started{false};
    std::atomic<bool> m_finished{false};
    QElapsedTimer m_elapsed;
    qint64 m_lastProgressMs = -1;
    qint64 m_timeoutMs = 0;
    mutable QMutex m_phaseMutex;
    JobPhase m_phase = JobPhase::None;  // of the last progress report, for the timeout message
    mutable QMutex m_warningsMutex;
    QStringList m_warnings;
    std::shared_ptr<JobWarningSink> m_warningSink;  // forwards to warn() while the job lives
    QPointer<QThread> m_worker;
};

} // namespace s3cache

Q_DECLARE_METATYPE(s3cache::JobProgress)
