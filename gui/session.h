#pragma once
// Session: the GUI's one connection. It resolves a profile (ConnectJob, off the GUI thread),
// keeps the store the ConnectJob opened (one network thread, client and TLS session for the
// whole session) and creates the jobs the views run on it; each job runs on a view of that
// store with its own cancellation (ObjectStore::withContext). Jobs are returned unstarted so
// that the caller can connect to them first; start them with start(). Every job deletes itself
// after finished().

#include "cache/connectjob.h"
#include "cache/deletejob.h"
#include "cache/downloadjob.h"
#include "cache/flushjob.h"
#include "cache/headjob.h"
#include "cache/inspectjob.h"
#include "cache/listbucketsjob.h"
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
    // Makes the store the jobs run on from the connected one; tests wrap it to inject faults.
    using StoreWrapper = std::function<std::shared_ptr<ObjectStore>(std::shared_ptr<ObjectStore>)>;

    explicit Session(QObject *parent = nullptr);
    ~Session() override;

    // Starts connecting (cancelling a connection attempt in progress); connected() or
    // connectFailed() follows. Until then the session is not connected.
    void connectTo(const ConnectionProfile &profile, const QString &secretKey);
    bool isConnected() const { return m_store != nullptr; }
    const ConnectionProfile &profile() const { return m_profile; }
    QString describe() const;
    // Replaces the connected store by `wrap(store)` for the jobs created from now on.
    void wrapStore(const StoreWrapper &wrap);

    // A ConnectJob for the profile dialog's Test button, with the process environment. Unstarted.
    static ConnectJob *createConnectJob(const ConnectionProfile &profile, const QString &secretKey,
                                        QObject *parent = nullptr);
    // A ListBucketsJob for the profile dialog's bucket picker, likewise. Unstarted.
    static ListBucketsJob *createListBucketsJob(const ConnectionProfile &profile, const QString &secretKey,
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
    QString m_description;
    // Shared with the jobs on it, so a store replaced by a new connection lives on until they finish.
    std::shared_ptr<ObjectStore> m_store;
    QPointer<ConnectJob> m_connecting;
    QList<Job *> m_jobs;  // started and not finished yet
};

} // namespace s3cache
