#include "connectjob.h"

#include <QFileInfo>

namespace s3cache {

ConnectJob::ConnectJob(ConnectionProfile profile, QString secretKey, QProcessEnvironment env, QString homeDir,
                       QObject *parent)
    : Job(parent), m_profile(std::move(profile)), m_secretKey(std::move(secretKey)), m_env(std::move(env)),
      m_homeDir(std::move(homeDir))
{
}

Error ConnectJob::run()
{
    reportProgress({JobPhase::Connect}, true);
    Result<StoreSpec> spec = StoreSpec::resolve(m_profile, m_secretKey, m_env, m_homeDir);
    if (!spec.ok())
        return spec.error();
    if (isCancelled())
        return cancelledError();
    if (spec->isLocal() && !QFileInfo(m_profile.localRoot()).isDir())
        return Error(ErrorKind::NotFound, QStringLiteral("NoSuchDirectory"),
                     QStringLiteral("the local store directory %1 does not exist").arg(m_profile.localRoot()));
    m_result.notice = spec->notice();

    std::shared_ptr<ObjectStore> store = spec->open();
    const Error error = store->withContext(callContext())->list(QString(), [this](const QList<ObjectInfo> &page) {
        m_result.firstPageObjects = int(page.size());
        return false;
    });
    if (error)
        return error;  // the store's errors name the bucket and the request already
    m_result.spec = std::move(*spec);
    m_result.store = std::move(store);
    return {};
}

} // namespace s3cache
