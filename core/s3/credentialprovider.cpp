#include "credentialprovider.h"

#include "util/log.h"

namespace s3cache {

CredentialProvider::CredentialProvider(Fetch fetch, Clock clock)
    : m_fetch(std::move(fetch)), m_clock(std::move(clock))
{
    if (!m_clock)
        m_clock = [] { return QDateTime::currentDateTimeUtc(); };
}

std::shared_ptr<CredentialProvider> CredentialProvider::fixed(const Credentials &credentials)
{
    auto provider = std::make_shared<CredentialProvider>(Fetch());
    Log::registerSecret(credentials.secretKey);
    Log::registerSecret(credentials.sessionToken);
    provider->m_cached = credentials;
    return provider;
}

Result<Credentials> CredentialProvider::credentials()
{
    QMutexLocker lock(&m_mutex);
    if (!m_fetch)
        return m_cached.value_or(Credentials());
    qint64 left = 0;
    if (m_cached && !m_invalid) {
        if (!m_cached->expiration.isValid())
            return *m_cached;
        left = m_clock().secsTo(m_cached->expiration);
        if (left > advisoryRefresh.count())
            return *m_cached;
    }
    ++m_fetches;
    Result<Credentials> fresh = m_fetch();
    if (fresh.ok()) {
        if (fresh->expiration.isValid() && m_clock().secsTo(fresh->expiration) <= mandatoryRefresh.count())
            Log::debug(QStringLiteral("credentials from %1 expire at %2, in less than %3 min")
                           .arg(fresh->source, fresh->expiration.toString(Qt::ISODate),
                                QString::number(mandatoryRefresh.count() / 60)));
        m_cached = *fresh;
        m_invalid = false;
        return fresh;
    }
    if (m_cached && !m_invalid && left > mandatoryRefresh.count()) {
        Log::warn(QStringLiteral("refreshing the credentials from %1 failed, using the current ones for %2 more "
                                 "minutes: %3")
                      .arg(m_cached->source, QString::number(left / 60), fresh.error().message()));
        return *m_cached;
    }
    return fresh;
}

void CredentialProvider::invalidate(const Credentials &used)
{
    QMutexLocker lock(&m_mutex);
    if (m_fetch && m_cached && m_cached->sameKeys(used))
        m_invalid = true;
}

int CredentialProvider::fetchCount() const
{
    QMutexLocker lock(&m_mutex);
    return m_fetches;
}

bool isExpiredCredentialsCode(const QString &code)
{
    return code == u"ExpiredToken" || code == u"TokenRefreshRequired" || code == u"ExpiredTokenException";
}

} // namespace s3cache
