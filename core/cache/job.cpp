#include "job.h"

#include <QMetaObject>
#include <QPointer>
#include <QThread>

#include <exception>

namespace s3cache {

Job::Job(QObject *parent) : QObject(parent), m_cancel(std::make_shared<Cancellation>())
{
    qRegisterMetaType<s3cache::JobProgress>();
}

Job::~Job()
{
    // A started job must stay alive until finished(); this only protects against misuse.
    if (m_worker && m_worker->isRunning()) {
        cancel();
        m_worker->wait();
    }
}

void Job::cancel() { m_cancel->cancel(); }

Error Job::cancelledError()
{
    return Error(ErrorKind::Cancelled, QStringLiteral("Cancelled"), QStringLiteral("cancelled"));
}

Error Job::runGuarded()
{
    m_elapsed.start();
    try {
        Error e = run();
        if (!e && isCancelled())
            e = cancelledError();
        return e;
    } catch (const std::bad_alloc &) {
        return Error(ErrorKind::Internal, QStringLiteral("OutOfMemory"), QStringLiteral("out of memory"));
    } catch (const std::exception &ex) {
        return Error(ErrorKind::Internal, QStringLiteral("Exception"), QString::fromLocal8Bit(ex.what()));
    }
}

Error Job::exec()
{
    if (m_started.exchange(true))
        return Error(ErrorKind::Internal, QStringLiteral("JobStarted"), QStringLiteral("a job runs once"));
    m_error = runGuarded();
    m_finished.store(true);
    emit finished();
    return m_error;
}

void Job::start()
{
    if (m_started.exchange(true))
        return;
    QThread *worker = QThread::create([this] {
        Error e = runGuarded();
        // Hand the result to the job's own thread, which then announces it.
        QMetaObject::invokeMethod(this, [this, e] {
            m_error = e;
            m_finished.store(true);
            emit finished();
        }, Qt::QueuedConnection);
    });
    worker->setObjectName(QStringLiteral("s3cache-job"));
    connect(worker, &QThread::finished, worker, &QObject::deleteLater);
    m_worker = worker;
    worker->start();
}

void Job::reportProgress(JobProgress p, bool force)
{
    const qint64 now = elapsedMs();
    if (!force && m_lastProgressMs >= 0 && now - m_lastProgressMs < 200)
        return;
    m_lastProgressMs = now;
    p.elapsedMs = now;
    emit progress(p);
}

} // namespace s3cache
