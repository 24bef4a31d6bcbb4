#include "storefactory.h"

#include "localstore.h"
#include "s3store.h"

#include "util/log.h"

#include <QDir>

namespace s3cache {

Result<ObjectStorePtr> openStore(const Config &config, const QProcessEnvironment &env)
{
    if (config.fileStore)
        return ObjectStorePtr(std::make_unique<LocalStore>(config.fileStoreRoot, config.bucket));

    const Result<Endpoint> endpoint = resolveEndpoint(config.endpoint);
    if (!endpoint.ok())
        return endpoint.error();

    S3ClientConfig s3;
    s3.endpoint = *endpoint;
    s3.caBundlePath = config.caBundle;
    s3.credentials = config.credentials;
    if (s3.credentials.isEmpty()) {
        const Result<Credentials> chain = resolveCredentialChain(env, QDir::homePath());
        if (!chain.ok())
            return chain.error();
        s3.credentials = *chain;
        if (s3.credentials.isEmpty())
            Log::warn(QStringLiteral("no credentials found (parameters, AWS profile, instance metadata): "
                                     "sending unsigned requests"));
    }
    Log::registerSecret(s3.credentials.secretKey);
    Log::registerSecret(s3.credentials.sessionToken);
    if (!s3.credentials.isEmpty())
        Log::debug(QStringLiteral("credentials from %1").arg(s3.credentials.source));
    // No store deadline here: `timeout` is the job's (Job::setTimeout), carried by the
    // cancellation that every store call checks (S3 requests poll it), so that one deadline,
    // started once, stops every phase and names itself in the error.
    return ObjectStorePtr(std::make_unique<S3Store>(s3));
}

QStringList legacyFallbackKeys(const Config &config)
{
    if (config.filenameExplicit || !config.path.isEmpty())
        return {};
    const QString key = config.objectKey();
    const QString legacy = QStringLiteral("archive.tgz");
    const int slash = key.lastIndexOf(QLatin1Char('/'));
    const QString candidate = slash < 0 ? legacy : key.left(slash + 1) + legacy;
    return candidate == key ? QStringList() : QStringList{candidate};
}

QList<KeyLookup> nearKeyLookups(const Config &config)
{
    QList<KeyLookup> lookups;
    const auto add = [&lookups](const KeyLookup &lookup) {
        const bool seen = std::any_of(lookups.cbegin(), lookups.cend(), [&lookup](const KeyLookup &l) {
            return l.key == lookup.key && l.prefix == lookup.prefix;
        });
        if (!seen)
            lookups << lookup;
    };
    for (const QString &key : config.restoreKeys)
        add({key, true, QStringLiteral("restore key")});
    if (!config.defaultBranchKey.isEmpty())
        add({config.defaultBranchKey, false, QStringLiteral("default branch %1").arg(config.defaultBranch)});
    for (const QString &key : config.defaultBranchRestoreKeys)
        add({key, true, QStringLiteral("restore key of default branch %1").arg(config.defaultBranch)});
    return lookups;
}

} // namespace s3cache
