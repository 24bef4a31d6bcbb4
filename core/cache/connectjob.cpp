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
    reportProgress({QStringLiteral("connect")}, true);
    Result<StoreSpec> spec = StoreSpec::resolve(m_profile, m_secretKey, m_env, m_homeDir);
    if (!spec.ok())
        return spec.error();
    if (isCancelled())
        return cancelledError();
    if (spec->isLocal() && !QFileInfo(m_profile.localRoot()).isDir())
        return Error(ErrorKind::NotFound, QStringLiteral("NoSuchDirectory"),
                     QStringLiteral("the local store directory %1 does not exist").arg(m_profile.localRoot()));
    if (!spec->isLocal() && spec->credentialSource() == u"none" && m_profile.credentials == CredentialMode::AwsChain)
        m_result.notice = QStringLiteral("No credentials were found (AWS_* variables, ~/.aws files, instance metadata): "
                                         "requests are sent unsigned.");

    ObjectStorePtr store = spec->open();
    store->setCancellation(cancellation());
    const Error error = store->list(QString(), [this](const QList<ObjectInfo> &page) {
        m_result.firstPageObjects = int(page.size());
        return false;
    });
    if (error)
        return error;  // the store's errors name the bucket and the request already
    m_result.spec = std::move(*spec);
    return {};
}

} // namespace s3cache
