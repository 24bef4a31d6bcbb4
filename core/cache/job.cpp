#include "job.h"

#include "util/log.h"

#include <QMetaObject>
#include <QPointer>
#include <QThread>

#include <exception>
#include <utility>

namespace s3cache {

namespace {

// As the parameter is written: 1s, 10m, 90m, 1500ms.
QString durationText(qint64 ms)
{
    for (const auto &[unit, length] : {std::pair{u'd', 24 * 3600 * 1000}, std::pair{u'h', 3600 * 1000},
                                       std::pair{u'm', 60 * 1000}, std::pair{u's', 1000}}) {
        if (ms > 0 && ms % length == 0)
            return QString::number(ms / length) + QChar(unit);
    }
    return QStringLiteral("%1ms").arg(ms);
}

} // namespace

QString jobPhaseName(JobPhase phase)
{
    switch (phase) {
    case JobPhase::None: break;
    case JobPhase::Connect: return QStringLiteral("connect");
    case JobPhase::Scan: return QStringLiteral("scan");
    case JobPhase::Upload: return QStringLiteral("upload");
    case JobPhase::Download: return QStringLiteral("download");
    case JobPhase::Restore: return QStringLiteral("restore");
    case JobPhase::Inspect: return QStringLiteral("inspect");
    case JobPhase::List: return QStringLiteral("list");
    case JobPhase::Delete: return QStringLiteral("delete");
    }
    return {};
}

// The job's warning sink. Store views and streams hold it, and a network call may report a
// retry after the job is gone: then the warning has no one to go to and is logged.
class JobWarningSink : public WarningSink
{
public:
    explicit JobWarningSink(Job *job) : m_job(job) {}
    void warn(const QString &message) override
    {
        const QMutexLocker lock(&m_mutex);
        if (m_job)
            m_job->warn(message);
        else
            Log::warn(message);
    }
    void detach()
    {
        const QMutexLocker lock(&m_mutex);
        m_job = nullptr;
    }

private:
    QMutex m_mutex;
    Job *m_job;
};

Job::Job(QObject *parent)
    : QObject(parent), m_cancel(std::make_shared<Cancellation>()), m_warningSink(std::make_shared<JobWarningSink>(this))
{
    qRegisterMetaType<s3cache::JobProgress>();
}

CallContext Job::callContext() const
{
    return {m_cancel, m_warningSink};
}

QStringList Job::warnings() const
{
    const QMutexLocker lock(&m_warningsMutex);
    return m_warnings;
}

void Job::warn(const QString &message)
{
    {
        const QMutexLocker lock(&m_warningsMutex);
        m_warnings << message;
    }
    emit warning(message);
}

Job::~Job()
{
    m_warningSink->detach();
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

Error Job::timeoutError() const
{
    QString phase;
    {
        const QMutexLocker lock(&m_phaseMutex);
        phase = jobPhaseName(m_phase);
    }
    const QString where = phase.isEmpty() ? QString() : QStringLiteral(" (stopped in the %1 phase)").arg(phase);
    return Error(ErrorKind::Transient, QStringLiteral("Timeout"),
                 QStringLiteral("the operation took longer than timeout: %1%2; raise `timeout` or cache less")
                     .arg(durationText(m_timeoutMs), where));
}

Error Job::finalError(Error e) const
{
    switch (m_cancel->reason()) {
    case Cancellation::Reason::None:
        return e;
    case Cancellation::Reason::Cancelled:
        return e ? e : cancelledError();
    case Cancellation::Reason::Deadline:
        // The deadline stopped a step (it reports "cancelled"), or a network call ran into it
        // (the S3 layer's "deadline exceeded"): say which limit it was. A failure of the run's
        // own, one that came first, is kept.
        if (!e || e.kind() == ErrorKind::Cancelled || e.code() == u"Timeout")
            return timeoutError();
        return e;
    }
    return e;
}

Error Job::runGuarded()
{
    m_elapsed.start();
    if (m_timeoutMs > 0)
        m_cancel->setDeadline(QDeadlineTimer(m_timeoutMs));
    try {
        return finalError(run());
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
    {
        const QMutexLocker lock(&m_phaseMutex);
        if (m_phase != p.phase)
            m_phase = p.phase;
    }
    const qint64 now = elapsedMs();
    if (!force && m_lastProgressMs >= 0 && now - m_lastProgressMs < 200)
        return;
    m_lastProgressMs = now;
    p.elapsedMs = now;
    emit progress(p);
}

} // namespace s3cache
