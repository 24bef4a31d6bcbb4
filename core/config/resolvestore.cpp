#include "resolver.h"

#include <QDir>
#include <QUrl>

namespace s3cache {

Error Resolver::resolveCredentials()
{
    const auto accessKey = lookup(QStringLiteral("access_key"));
    const auto secretKey = lookup(QStringLiteral("secret_key"));
    auto sessionToken = lookup(QStringLiteral("session_token"));
    for (const Error *error : {&accessKey.error(), &secretKey.error(), &sessionToken.error()}) {
        if (*error)
            return *error;
    }
    const QString awsKeyVariable = parameter(QStringLiteral("access_key")).variables.constFirst();
    const QString awsTokenVariable = parameter(QStringLiteral("session_token")).variables.constFirst();
    if (sessionToken->has_value() && (*sessionToken)->source == awsTokenVariable
        && (!accessKey->has_value() || (*accessKey)->source != awsKeyVariable)) {
        m_config.sources.remove(QStringLiteral("session_token"));
        sessionToken = std::optional<ParameterValue>();
    }

    if (accessKey->has_value() && !secretKey->has_value())
        return invalidParameter(QStringLiteral("secret_key: not set, but access_key is (from %1); give both or neither")
                   .arg((*accessKey)->source));
    if (secretKey->has_value() && !accessKey->has_value())
        return invalidParameter(QStringLiteral("access_key: not set, but secret_key is (from %1); give both or neither")
                   .arg((*secretKey)->source));
    if (sessionToken->has_value() && !accessKey->has_value())
        return invalidParameter(QStringLiteral("session_token: set (from %1) without access_key and secret_key")
                   .arg((*sessionToken)->source));
    if (accessKey->has_value()) {
        m_config.credentials.accessKey = (*accessKey)->value;
        m_config.credentials.secretKey = (*secretKey)->value;
        if (sessionToken->has_value())
            m_config.credentials.sessionToken = (*sessionToken)->value;
        m_config.credentials.source = (*accessKey)->source;
        const QString &id = m_config.credentials.accessKey;
        show(QStringLiteral("access_key"), id.size() >= 16 ? id.left(4) + maskedValue : maskedValue);
    }
    return {};
}

Error Resolver::resolveStore()
{
    const auto root = lookup(QStringLiteral("root"));
    const auto bucket = lookup(QStringLiteral("bucket"));
    const auto server = lookup(QStringLiteral("server"));
    const auto region = lookup(QStringLiteral("region"), AwsVariables::Exclude);
    for (const auto *found : {&root, &bucket, &server, &region}) {
        if (!found->ok())
            return found->error();
    }
    if (root->has_value() && bucket->has_value() && (*root)->value != (*bucket)->value)
        return invalidParameter(QStringLiteral("bucket: root '%1' (from %2) and bucket '%3' (from %4) differ; set only one")
                   .arg((*root)->value, (*root)->source, (*bucket)->value, (*bucket)->source));
    const std::optional<ParameterValue> bucketValue = bucket->has_value() ? *bucket : *root;
    if (bucketValue)
        m_config.sources.insert(QStringLiteral("bucket"), *bucketValue);
    m_config.bucket = bucketValue ? bucketValue->value : QString();

    const Result<QVariant> pathStyle = value(QStringLiteral("path_style"));
    if (!pathStyle.ok())
        return pathStyle.error();
    if (pathStyle->isValid())
        m_config.endpoint.pathStyle = pathStyle->toBool();

    const QString serverText = server->has_value() ? (*server)->value : QString();
    const qsizetype schemeEnd = serverText.indexOf(u"://");
    const QString scheme = schemeEnd < 0 ? QString() : serverText.left(schemeEnd).toLower();

    if (scheme == u"file") {
        const QString dir = QUrl::fromPercentEncoding(serverText.mid(schemeEnd + 3).toUtf8());
        if (dir.isEmpty())
            return invalidParameter(QStringLiteral("server: '%1' (from %2) names no directory; use file:///path/to/dir")
                       .arg(serverText, (*server)->source));
        m_config.fileStore = true;
        m_config.fileStoreRoot = QDir::cleanPath(QDir::current().absoluteFilePath(dir));
        show(QStringLiteral("server"), QStringLiteral("file://") + m_config.fileStoreRoot);
        if (m_config.bucket.isEmpty()) {
            m_config.bucket = defaultFileStoreBucket();
            show(QStringLiteral("bucket"), m_config.bucket, QStringLiteral("default"));
            return {};
        }
        if (m_config.bucket.contains(u'/') || m_config.bucket.contains(u'\\') || m_config.bucket == u"."
            || m_config.bucket == u"..")
            return invalidParameter(QStringLiteral("bucket: '%1' (from %2) is not a valid bucket (directory) name")
                       .arg(m_config.bucket, bucketValue->source));
        show(QStringLiteral("bucket"), m_config.bucket, bucketValue->source);
        return {};
    }

    if (!scheme.isEmpty() && scheme != u"http" && scheme != u"https")
        return invalidParameter(QStringLiteral("server: unsupported scheme '%1' in '%2' (from %3); use https://host, "
                                               "http://host, a bare host or file:///dir")
                   .arg(scheme, serverText, (*server)->source));
    if (m_config.bucket.isEmpty())
        return invalidParameter(QStringLiteral("bucket: not set; give root or bucket (PARAMETER_ROOT=mybucket in a "
                                               "pipeline, --bucket mybucket by hand)"));

    show(QStringLiteral("bucket"), m_config.bucket, bucketValue->source);
    m_config.endpoint.server = serverText;
    m_config.endpoint.bucket = m_config.bucket;
    m_config.endpoint.region = region->has_value() ? (*region)->value : QString();
    for (const QString &variable : parameter(QStringLiteral("region")).variables) {
        m_config.endpoint.fallbackRegion = m_env.value(variable).trimmed();
        m_config.endpoint.fallbackRegionSource = variable;
        if (!m_config.endpoint.fallbackRegion.isEmpty())
            break;
    }

    const Result<Endpoint> endpoint = resolveEndpoint(m_config.endpoint);
    if (!endpoint.ok()) {
        QStringList from;
        for (const QString &name : {QStringLiteral("server"), QStringLiteral("bucket"), QStringLiteral("region"),
                                    QStringLiteral("path_style")}) {
            if (m_config.sources.contains(name))
                from << QStringLiteral("%1 from %2").arg(name, m_config.sources.value(name).source);
        }
        return invalidParameter(QStringLiteral("%1 (%2)").arg(endpoint.error().message(), from.join(QStringLiteral(", "))));
    }
    m_config.resolvedEndpoint = *endpoint;
    show(QStringLiteral("region"), endpoint->region, endpoint->regionSource);
    return {};
}

} // namespace s3cache
