#pragma once
// Job: one long operation (restore, rebuild, flush, list, inspect) with progress, cancel and one
// result, after KDE's KJob. The work itself is a blocking run() so that the same code serves:
//  - the CLI: exec() runs it in the calling thread and returns the error;
//  - the GUI: start() runs it on a worker thread; progress() and finished() reach receivers in
//    their own thread through queued connections, and cancel() is safe from any thread.
// A job finishes exactly once.

#include "util/cancellation.h"
#include "util/error.h"

#include <QElapsedTimer>
#include <QMutex>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QThread>

#include <atomic>

namespace s3cache {

struct JobProgress
{
    QString phase;           // "download", "extract", "upload", "scan", "delete", "list"
    qint64 bytesDone = 0;
    qint64 bytesTotal = -1;  // -1 when unknown
    qint64 itemsDone = 0;    // files or objects
    qint64 itemsTotal = -1;
    qint64 elapsedMs = 0;
};

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
    qint64 elapsedMs() const { return m_elapsed.isValid() ? m_elapsed.elapsed() : 0; }

signals:
    void progress(const s3cache::JobProgress &progress);
    void finished();

protected:
    virtual Error run() = 0;
    bool isCancelled() const { return m_cancel->isCancelled(); }
    // Emits progress at most every 200 ms (and always when `force`), from any thread.
    void reportProgress(JobProgress progress, bool force = false);
    static Error cancelledError();
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
    QString m_phase;  // of the last progress report, for the timeout message
    QPointer<QThread> m_worker;
};

} // namespace s3cache

Q_DECLARE_METATYPE(s3cache::JobProgress)
