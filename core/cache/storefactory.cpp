#include "storefactory.h"

#include "storespec.h"

#include "util/log.h"

#include <QDir>

namespace s3cache {

namespace {

StoreSettings storeSettings(const Config &config)
{
    StoreSettings settings;
    settings.endpoint = config.endpoint;
    if (config.fileStore) {
        settings.localRoot = config.fileStoreRoot;
        settings.endpoint.bucket = config.bucket;
    }
    settings.credentials = config.credentials;
    settings.caBundle = config.caBundle;
    settings.objectOptions = config.objectOptions;
    return settings;
}

} // namespace

Result<ObjectStorePtr> openStore(const Config &config, const QProcessEnvironment &env)
{
    if (config.fileStore && !config.objectOptions.isEmpty())
        Log::warn(QStringLiteral("sse, storage_class and tags apply to S3 servers only: the file:// store ignores them"));
    const Result<StoreSpec> spec = StoreSpec::resolve(storeSettings(config), env, QDir::homePath());
    if (!spec.ok())
        return spec.error();
    if (!spec->notice().isEmpty())
        Log::warn(spec->notice());
    if (!spec->isLocal() && spec->credentialSource() != u"none")
        Log::debug(QStringLiteral("credentials from %1").arg(spec->credentialSource()));
    return spec->open();
}

QString describeCredentials(const Config &config, const QProcessEnvironment &env)
{
    if (config.fileStore || !config.credentials.isEmpty())
        return {};
    const Result<StoreSpec> spec = StoreSpec::resolve(storeSettings(config), env, QDir::homePath());
    if (!spec.ok())
        return QStringLiteral("none: the AWS credential chain failed: %1").arg(spec.error().toString());
    const Credentials &found = spec->credentials();
    if (found.isEmpty())
        return QStringLiteral("none found (parameters, AWS_* variables, ~/.aws files, container, instance metadata): "
                              "requests are sent unsigned");
    QString row = QStringLiteral("access key %1 from %2").arg(Log::maskAccessKeyId(found.accessKey), spec->credentialSource());
    if (!found.sessionToken.isEmpty())
        row += QStringLiteral(", with session token");
    if (found.expiration.isValid())
        row += QStringLiteral(", expires %1").arg(found.expiration.toString(Qt::ISODate));
    return row;
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
