#pragma once
// Session: the GUI's one connection. It resolves a profile (ConnectJob, off the GUI thread),
// keeps the resulting StoreSpec and creates the jobs the views run, each on a store of its own
// that lives exactly as long as the job. Jobs are returned unstarted so that the caller can
// connect to them first; start them with start(). Every job deletes itself after finished().

#include "cache/connectjob.h"
#include "cache/deletejob.h"
#include "cache/downloadjob.h"
#include "cache/flushjob.h"
#include "cache/headjob.h"
#include "cache/inspectjob.h"
#include "cache/pagedlistjob.h"
#include "cache/restorejob.h"

#include <QObject>
#include <QPointer>

#include <functional>

namespace s3cache {

class Session : public QObject
{
    Q_OBJECT
public:
    // How a job's store is opened from the spec; tests wrap it to slow a store down.
    using StoreOpener = std::function<ObjectStorePtr(const StoreSpec &)>;

    explicit Session(QObject *parent = nullptr);
    ~Session() override;

    // Starts connecting (cancelling a connection attempt in progress); connected() or
    // connectFailed() follows. Until then the session is not connected.
    void connectTo(const ConnectionProfile &profile, const QString &secretKey);
    bool isConnected() const { return m_spec.has_value(); }
    const ConnectionProfile &profile() const { return m_profile; }
    QString describe() const;
    void setStoreOpener(StoreOpener opener) { m_opener = std::move(opener); }

    // A ConnectJob for the profile dialog's Test button, with the process environment. Unstarted.
    static ConnectJob *createConnectJob(const ConnectionProfile &profile, const QString &secretKey,
                                        QObject *parent = nullptr);

    // Jobs on the connected store; nullptr when not connected.
    PagedListJob *createList(const QString &prefix = {});
    HeadJob *createHead(const QString &key);
    InspectJob *createInspect(const QString &key);
    RestoreJob *createRestore(const QString &key, const QString &folder);
    DownloadJob *createDownload(const QString &key, const QString &file);
    DeleteJob *createDelete(const QList<ObjectInfo> &objects);
    FlushJob *createFlush(const FlushOptions &options);

    // Starts a job created above; the session counts it as running until finished().
    void start(Job *job);

    int runningJobs() const { return int(m_jobs.size()); }
    // Cancels every job; idle() follows once the last one finished (at once if none runs).
    void cancelAll();

signals:
    void connecting(const QString &description);
    void connected(const QString &description, const QString &notice);
    void connectFailed(const s3cache::Error &error);
    void idle();

private:
    template<typename J, typename... Args>
    J *create(Args &&...args);
    void forget(Job *job);

    ConnectionProfile m_profile;
    std::optional<StoreSpec> m_spec;
    QPointer<ConnectJob> m_connecting;
    StoreOpener m_opener;
    QList<Job *> m_jobs;  // started and not finished yet
};

} // namespace s3cache
