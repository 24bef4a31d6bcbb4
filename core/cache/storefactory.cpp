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

CredentialsReport describeCredentials(const Config &config, const QProcessEnvironment &env)
{
    CredentialsReport report;
    if (config.fileStore || !config.credentials.isEmpty())
        return report;
    const Result<StoreSpec> spec = StoreSpec::resolve(storeSettings(config), env, QDir::homePath());
    if (!spec.ok()) {
        report.error = spec.error().toString();
        report.text = QStringLiteral("none: the AWS credential chain failed: %1").arg(report.error);
        return report;
    }
    const Credentials &found = spec->credentials();
    if (found.isEmpty()) {
        report.text = QStringLiteral("none found (parameters, AWS_* variables, ~/.aws files, container, instance "
                                     "metadata): requests are sent unsigned");
        return report;
    }
    report.source = spec->credentialSource();
    report.accessKeyId = Log::maskAccessKeyId(found.accessKey);
    report.sessionToken = !found.sessionToken.isEmpty();
    report.expiration = found.expiration;
    report.text = QStringLiteral("access key %1 from %2").arg(report.accessKeyId, report.source);
    if (report.sessionToken)
        report.text += QStringLiteral(", with session token");
    if (found.expiration.isValid())
        report.text += QStringLiteral(", expires %1").arg(found.expiration.toString(Qt::ISODate));
    return report;
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
