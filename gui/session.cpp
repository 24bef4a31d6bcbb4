#include "session.h"

#include <QDir>

namespace s3cache {

Session::Session(QObject *parent) : QObject(parent) {}

Session::~Session()
{
    // Jobs still running hold references to their stores: they must finish first. The main
    // window waits for idle() before it closes; this is the last line of defence.
    for (Job *job : std::as_const(m_jobs))
        job->cancel();
}

QString Session::describe() const
{
    return m_store ? m_description : QString();
}

void Session::wrapStore(const StoreWrapper &wrap)
{
    if (m_store)
        m_store = wrap(m_store);
}

ConnectJob *Session::createConnectJob(const ConnectionProfile &profile, const QString &secretKey, QObject *parent)
{
    auto *job = new ConnectJob(profile, secretKey, QProcessEnvironment::systemEnvironment(), QDir::homePath(), parent);
    connect(job, &Job::finished, job, &QObject::deleteLater);
    return job;
}

ListBucketsJob *Session::createListBucketsJob(const ConnectionProfile &profile, const QString &secretKey,
                                              QObject *parent)
{
    auto *job = new ListBucketsJob(profile, secretKey, QProcessEnvironment::systemEnvironment(), QDir::homePath(), parent);
    connect(job, &Job::finished, job, &QObject::deleteLater);
    return job;
}

void Session::connectTo(const ConnectionProfile &profile, const QString &secretKey)
{
    if (m_connecting) {
        disconnect(m_connecting, nullptr, this, nullptr);
        m_connecting->cancel();
        forget(m_connecting);
    }
    m_store.reset();
    m_profile = profile;
    ConnectJob *job = createConnectJob(profile, secretKey, this);
    m_connecting = job;
    connect(job, &Job::finished, this, [this, job] {
        m_connecting = nullptr;
        forget(job);
        if (job->error()) {
            emit connectFailed(job->error());
            return;
        }
        m_store = job->result().store;
        m_description = job->result().spec->describe();
        emit connected(m_description, job->result().notice);
    });
    emit connecting(profile.describe());
    start(job);
}

template<typename J, typename... Args>
J *Session::create(Args &&...args)
{
    if (!m_store)
        return nullptr;
    // The job holds on to the store: the lambda holding it is destroyed with the job's
    // connections, after the job's own destructor.
    std::shared_ptr<ObjectStore> store = m_store;
    auto *job = new J(*store, std::forward<Args>(args)..., this);
    connect(job, &Job::finished, job, [this, job, store] {
        forget(job);
        job->deleteLater();
    });
    return job;
}

void Session::forget(Job *job)
{
    if (m_jobs.removeOne(job) && m_jobs.isEmpty())
        emit idle();
}

PagedListJob *Session::createList(const QString &prefix) { return create<PagedListJob>(prefix); }
HeadJob *Session::createHead(const QString &key) { return create<HeadJob>(key); }
InspectJob *Session::createInspect(const QString &key) { return create<InspectJob>(key, 100'000); }

RestoreJob *Session::createRestore(const QString &key, const QString &folder)
{
    RestoreOptions options;
    options.key = key;
    options.workspace = folder;
    return create<RestoreJob>(std::move(options));
}

DownloadJob *Session::createDownload(const QString &key, const QString &file) { return create<DownloadJob>(key, file); }
DeleteJob *Session::createDelete(const QList<ObjectInfo> &objects) { return create<DeleteJob>(objects); }
FlushJob *Session::createFlush(const FlushOptions &options) { return create<FlushJob>(options); }

void Session::start(Job *job)
{
    m_jobs.append(job);
    job->start();
}

void Session::cancelAll()
{
    if (m_jobs.isEmpty()) {
        emit idle();
        return;
    }
    for (Job *job : std::as_const(m_jobs))
        job->cancel();
}

} // namespace s3cache
