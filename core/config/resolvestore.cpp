#include "awss3settings.h"
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
        show(QStringLiteral("access_key"), Log::maskAccessKeyId(id));
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

    // The AWS conventions (awss3settings.h) fill in what the parameters leave unset; a file://
    // store has no use for them.
    const bool fileServer = server->has_value() && (*server)->value.startsWith(QStringLiteral("file://"), Qt::CaseInsensitive);
    if (!fileServer) {
        const QString home = m_env.value(QStringLiteral("HOME")).trimmed();
        const Result<AwsS3Settings> read = readAwsS3Settings(m_env, home.isEmpty() ? QDir::homePath() : home);
        if (!read.ok())
            return read.error();
        m_aws = *read;
    }
    const AwsS3Settings *aws = &m_aws;
    std::optional<ParameterValue> serverValue = *server;
    if (!serverValue && aws->endpointUrl)
        serverValue = aws->endpointUrl;
    const QString serverText = serverValue ? serverValue->value : QString();
    const qsizetype schemeEnd = serverText.indexOf(u"://");
    const QString scheme = schemeEnd < 0 ? QString() : serverText.left(schemeEnd).toLower();

    if (scheme == u"file" && !server->has_value())
        return invalidParameter(QStringLiteral("server: '%1' (from %2) is a file:// URL; only the server parameter "
                                               "may name a local store").arg(serverText, serverValue->source));
    if (scheme == u"file") {
        const QString dir = QUrl::fromPercentEncoding(serverText.mid(schemeEnd + 3).toUtf8());
        if (dir.isEmpty())
            return invalidParameter(QStringLiteral("server: '%1' (from %2) names no directory; use file:///path/to/dir")
                       .arg(serverText, serverValue->source));
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
                   .arg(scheme, serverText, serverValue->source));
    if (m_config.bucket.isEmpty())
        return invalidParameter(QStringLiteral("bucket: not set; give root or bucket (PARAMETER_ROOT=mybucket in a "
                                               "pipeline, --bucket mybucket by hand)"));

    show(QStringLiteral("bucket"), m_config.bucket, bucketValue->source);
    m_config.endpoint.server = serverText;
    if (serverValue && !server->has_value()) {
        m_config.sources.insert(QStringLiteral("server"), *serverValue);
        show(QStringLiteral("server"), serverText, serverValue->source);
    }
    m_config.endpoint.bucket = m_config.bucket;
    m_config.endpoint.region = region->has_value() ? (*region)->value : QString();
    m_config.endpoint.fallbackRegion.clear();
    if (!m_config.endpoint.pathStyle.has_value() && aws->pathStyle.has_value()) {
        show(QStringLiteral("path_style"), *aws->pathStyle ? QStringLiteral("true") : QStringLiteral("false"),
             aws->pathStyleSource);
        m_config.sources.insert(QStringLiteral("path_style"), m_config.resolved.value(QStringLiteral("path_style")));
    }
    aws->applyTo(&m_config.endpoint, nullptr);

    // accelerated_endpoint: a host, or true for AWS's; false (or unset) for none.
    const auto accelerate = lookup(QStringLiteral("accelerated_endpoint"));
    if (!accelerate.ok())
        return accelerate.error();
    if (accelerate->has_value()) {
        QString host = (*accelerate)->value;
        const Result<bool> flag = parseBool(host);
        if (flag.ok())
            host = *flag ? QStringLiteral("s3-accelerate.amazonaws.com") : QString();
        else if (host.startsWith(QStringLiteral("https://"), Qt::CaseInsensitive))
            host = host.mid(8);
        while (host.endsWith(u'/'))
            host.chop(1);
        m_config.endpoint.accelerateHost = host;
        show(QStringLiteral("accelerated_endpoint"), host.isEmpty() ? QStringLiteral("false") : host);
    }

    const Result<Endpoint> endpoint = resolveEndpoint(m_config.endpoint);
    if (!endpoint.ok()) {
        QStringList from;
        for (const QString &name : {QStringLiteral("server"), QStringLiteral("bucket"), QStringLiteral("region"),
                                    QStringLiteral("path_style"), QStringLiteral("accelerated_endpoint")}) {
            if (m_config.sources.contains(name))
                from << QStringLiteral("%1 from %2").arg(name, m_config.sources.value(name).source);
        }
        return invalidParameter(QStringLiteral("%1 (%2)").arg(endpoint.error().message(), from.join(QStringLiteral(", "))));
    }
    m_config.resolvedEndpoint = *endpoint;
    show(QStringLiteral("region"), endpoint->region, endpoint->regionSource);
    m_config.endpointsIgnoredBy = aws->endpointsIgnoredBy;

    // The proxy is read where the store is opened (StoreSpec); here for `config` and so that a
    // bad proxy URL stops the run before any request (exit 2).
    const Result<ProxySettings> proxy = ProxySettings::fromEnvironment(m_env);
    if (!proxy.ok())
        return proxy.error();
    m_config.proxy = *proxy;
    return {};
}

} // namespace s3cache
