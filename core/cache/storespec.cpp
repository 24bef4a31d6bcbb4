#include "storespec.h"

#include "localstore.h"
#include "s3store.h"

#include "config/awss3settings.h"
#include "config/credentialchain.h"
#include "util/log.h"

#include <QDir>

#include <algorithm>

namespace s3cache {

namespace {

// A credential source that fails fails the step like wrong credentials (exit 1), whatever the
// cause inside the source (a file, a process, an STS answer); a network failure stays one
// (it may heal).
Error credentialError(const Error &error, const QString &context)
{
    Error result = error.withContext(context);
    switch (error.kind()) {
    case ErrorKind::Transient:
    case ErrorKind::Cancelled:
    case ErrorKind::Auth:
    case ErrorKind::AccessDenied:
        return result;
    default:
        return Error(ErrorKind::Auth, result.code(), result.message()).setHint(result.hint()).setHttpStatus(result.httpStatus());
    }
}

} // namespace

Result<StoreSpec> StoreSpec::resolve(const StoreSettings &settings, const QProcessEnvironment &env,
                                     const QString &homeDir)
{
    StoreSpec spec;
    spec.m_bucket = settings.endpoint.bucket;
    if (!settings.localRoot.isEmpty()) {
        spec.m_localRoot = settings.localRoot;
        return spec;
    }
    EndpointOptions options = settings.endpoint;
    if (options.fallbackRegion.isEmpty()) {
        if (const std::optional<ParameterValue> region = awsRegionVariable(env)) {
            options.fallbackRegion = region->value;
            options.fallbackRegionSource = region->source;
        }
    }
    const Result<Endpoint> endpoint = resolveEndpoint(options);
    if (!endpoint.ok())
        return endpoint.error().withContext(settings.context);
    const Result<ProxySettings> proxy = ProxySettings::fromEnvironment(env);
    if (!proxy.ok())
        return proxy.error().withContext(settings.context);

    S3ClientConfig config;
    config.endpoint = *endpoint;
    config.caBundlePath = settings.caBundle;
    config.proxy = *proxy;
    config.objectOptions = settings.objectOptions;
    config.credentials = settings.credentials;
    spec.m_anonymous = settings.anonymous;
    if (config.credentials.isEmpty() && !settings.anonymous) {
        // The environment first, as every AWS SDK does; then profile files and instance metadata.
        const QString envKey = env.value(QStringLiteral("AWS_ACCESS_KEY_ID"));
        const QString envSecret = env.value(QStringLiteral("AWS_SECRET_ACCESS_KEY"));
        if (!envKey.isEmpty() && !envSecret.isEmpty()) {
            config.credentials = {envKey, envSecret, env.value(QStringLiteral("AWS_SESSION_TOKEN")),
                                  QStringLiteral("AWS_ACCESS_KEY_ID")};
        } else {
            // Web identity, profiles, container, instance metadata: a provider that refreshes
            // temporary credentials before they expire; its first credentials are fetched here.
            const Result<CredentialProviderPtr> chain = resolveCredentialProvider(env, homeDir, settings.caBundle);
            if (!chain.ok())
                return credentialError(chain.error(), settings.context);
            if (*chain) {
                const Result<Credentials> first = (*chain)->credentials();
                if (!first.ok())
                    return credentialError(first.error(), settings.context);
                config.credentials = *first;
                if ((*chain)->refreshable())
                    config.credentialProvider = *chain;
            }
        }
    }
    Log::registerSecret(config.credentials.secretKey);
    Log::registerSecret(config.credentials.sessionToken);
    // No store deadline here: `timeout` is the job's (Job::setTimeout), carried by the
    // cancellation that every store call checks, so that one deadline, started once, stops
    // every phase and names itself in the error.
    spec.m_s3 = config;
    return spec;
}

Result<StoreSpec> StoreSpec::resolve(const ConnectionProfile &profile, const QString &secretKey,
                                     const QProcessEnvironment &env, const QString &homeDir)
{
    if (Error e = profile.validate())
        return e;
    StoreSettings settings;
    settings.context = QStringLiteral("profile '%1'").arg(profile.name);
    settings.endpoint.bucket = profile.bucket.trimmed();
    if (profile.isLocal()) {
        settings.localRoot = profile.localRoot();
        return resolve(settings, env, homeDir);
    }
    settings.endpoint.server = profile.server.trimmed();
    settings.endpoint.region = profile.region.trimmed();
    settings.endpoint.pathStyle = profile.pathStyle;
    switch (profile.credentials) {
    case CredentialMode::AccessKey:
        if (secretKey.isEmpty())
            return Error(ErrorKind::InvalidInput, QStringLiteral("MissingSecret"),
                         QStringLiteral("profile '%1': the secret key for access key %2 is not set")
                             .arg(profile.name, profile.accessKey.trimmed()));
        settings.credentials = {profile.accessKey.trimmed(), secretKey, {}, QStringLiteral("typed in")};
        break;
    case CredentialMode::AwsChain: {
        // As the AWS CLI would connect: AWS_ENDPOINT_URL_S3, the profile's endpoint, region,
        // addressing_style and ca_bundle, where this profile leaves them unset.
        const Result<AwsS3Settings> aws = readAwsS3Settings(env, homeDir);
        if (!aws.ok())
            return aws.error().withContext(settings.context);
        aws->applyTo(&settings.endpoint, &settings.caBundle);
        break;
    }
    case CredentialMode::Anonymous:
        settings.anonymous = true;
        break;
    }
    return resolve(settings, env, homeDir);
}

ObjectStorePtr StoreSpec::open() const
{
    if (!m_s3)
        return std::make_unique<LocalStore>(m_localRoot, m_bucket);
    return std::make_unique<S3Store>(*m_s3);
}

Result<QList<BucketInfo>> StoreSpec::listBuckets(const CallContext &context) const
{
    QList<BucketInfo> buckets;
    if (!m_s3) {
        const QDir root(m_localRoot);
        if (!root.exists())
            return Error(ErrorKind::NotFound, QStringLiteral("NoSuchDirectory"),
                         QStringLiteral("the local store directory %1 does not exist").arg(m_localRoot));
        for (const QFileInfo &entry : root.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
            buckets.append({entry.fileName(), entry.birthTime().isValid() ? entry.birthTime().toUTC() : QDateTime()});
        return buckets;
    }
    const S3CallResult result = S3Connection(*m_s3).withContext(context).listBuckets();
    if (result.error)
        return result.error;
    buckets = result.buckets;
    std::sort(buckets.begin(), buckets.end(), [](const BucketInfo &a, const BucketInfo &b) { return a.name < b.name; });
    return buckets;
}

QString StoreSpec::credentialSource() const
{
    if (!m_s3 || m_s3->credentials.isEmpty())
        return QStringLiteral("none");
    return m_s3->credentials.source.isEmpty() ? QStringLiteral("unknown") : m_s3->credentials.source;
}

QString StoreSpec::notice() const
{
    if (!m_s3 || m_anonymous || !m_s3->credentials.isEmpty())
        return {};
    return QStringLiteral("no credentials found (parameters, AWS_* variables, ~/.aws files, instance metadata): "
                          "requests are sent unsigned");
}

QString StoreSpec::describe() const
{
    if (!m_s3)
        return LocalStore(m_localRoot, m_bucket).describe();
    return QStringLiteral("s3://%1 at %2").arg(m_s3->endpoint.bucket, m_s3->endpoint.describe());
}

} // namespace s3cache
