#include "storespec.h"

#include "localstore.h"
#include "s3store.h"

#include "config/credentialchain.h"
#include "util/log.h"

namespace s3cache {

Result<StoreSpec> StoreSpec::resolve(const ConnectionProfile &profile, const QString &secretKey,
                                     const QProcessEnvironment &env, const QString &homeDir)
{
    if (Error e = profile.validate())
        return e;
    StoreSpec spec;
    spec.m_profile = profile;
    if (profile.isLocal())
        return spec;

    EndpointOptions options;
    options.server = profile.server.trimmed();
    options.bucket = profile.bucket.trimmed();
    options.region = profile.region.trimmed();
    for (const QString &variable : {QStringLiteral("AWS_REGION"), QStringLiteral("AWS_DEFAULT_REGION")}) {
        options.fallbackRegion = env.value(variable).trimmed();
        options.fallbackRegionSource = variable;
        if (!options.fallbackRegion.isEmpty())
            break;
    }
    options.pathStyle = profile.pathStyle;
    const Result<Endpoint> endpoint = resolveEndpoint(options);
    if (!endpoint.ok())
        return endpoint.error().withContext(QStringLiteral("profile '%1'").arg(profile.name));

    S3ClientConfig config;
    config.endpoint = *endpoint;
    switch (profile.credentials) {
    case CredentialMode::AccessKey:
        if (secretKey.isEmpty())
            return Error(ErrorKind::InvalidInput, QStringLiteral("MissingSecret"),
                         QStringLiteral("profile '%1': the secret key for access key %2 is not set")
                             .arg(profile.name, profile.accessKey.trimmed()));
        config.credentials = {profile.accessKey.trimmed(), secretKey, {}, QStringLiteral("typed in")};
        break;
    case CredentialMode::AwsChain: {
        // The environment first, as every AWS SDK does; then profile files and instance metadata.
        const QString envKey = env.value(QStringLiteral("AWS_ACCESS_KEY_ID"));
        const QString envSecret = env.value(QStringLiteral("AWS_SECRET_ACCESS_KEY"));
        if (!envKey.isEmpty() && !envSecret.isEmpty()) {
            config.credentials = {envKey, envSecret, env.value(QStringLiteral("AWS_SESSION_TOKEN")),
                                  QStringLiteral("AWS_ACCESS_KEY_ID")};
            break;
        }
        const Result<Credentials> chain = resolveCredentialChain(env, homeDir);
        if (!chain.ok())
            return chain.error();
        config.credentials = *chain;
        break;
    }
    case CredentialMode::Anonymous:
        break;
    }
    Log::registerSecret(config.credentials.secretKey);
    Log::registerSecret(config.credentials.sessionToken);
    spec.m_s3 = config;
    return spec;
}

ObjectStorePtr StoreSpec::open() const
{
    if (!m_s3)
        return std::make_unique<LocalStore>(m_profile.localRoot(), m_profile.bucket);
    return std::make_unique<S3Store>(*m_s3);
}

QString StoreSpec::credentialSource() const
{
    if (!m_s3 || m_s3->credentials.isEmpty())
        return QStringLiteral("none");
    return m_s3->credentials.source.isEmpty() ? QStringLiteral("unknown") : m_s3->credentials.source;
}

QString StoreSpec::describe() const
{
    if (!m_s3)
        return LocalStore(m_profile.localRoot(), m_profile.bucket).describe();
    return QStringLiteral("s3://%1 at %2").arg(m_s3->endpoint.bucket, m_s3->endpoint.describe());
}

} // namespace s3cache
