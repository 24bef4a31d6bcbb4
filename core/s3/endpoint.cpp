#include "endpoint.h"

#include "sigv4signer.h"

#include <QHostAddress>
#include <QRegularExpression>

namespace s3cache {

namespace {

const QString defaultRegion = QStringLiteral("us-east-1");

Error invalid(const QString &message)
{
    return Error(ErrorKind::InvalidInput, QStringLiteral("InvalidEndpoint"), message);
}

bool isAwsHost(const QString &host)
{
    return host == u"amazonaws.com" || host.endsWith(u".amazonaws.com") || host.endsWith(u".amazonaws.com.cn");
}

bool looksLikeRegion(const QString &label)
{
    static const QRegularExpression pattern(QStringLiteral("^[a-z]{2}(-[a-z]+)+-\\d+$"));
    return pattern.match(label).hasMatch();
}

// s3-us-west-2.amazonaws.com, s3.us-west-2.amazonaws.com, s3.dualstack.us-west-2.amazonaws.com,
// each possibly behind "<bucket>."; s3-external-1 is us-east-1.
QString regionFromAwsHost(const QString &host)
{
    const QStringList labels = host.split(u'.');
    for (qsizetype i = 0; i < labels.size(); ++i) {
        const QString &label = labels[i];
        if (label == u"s3-external-1")
            return defaultRegion;
        if (label.startsWith(u"s3-") && looksLikeRegion(label.mid(3)))
            return label.mid(3);
        if (label == u"s3" || label == u"s3-fips") {
            qsizetype next = i + 1;
            if (next < labels.size() && labels[next] == u"dualstack")
                ++next;
            if (next < labels.size() && looksLikeRegion(labels[next]))
                return labels[next];
            return {};
        }
    }
    return {};
}

} // namespace

QString Endpoint::requestPath(const QString &key) const
{
    if (pathStyle)
        return key.isEmpty() ? u'/' + bucket : u'/' + bucket + u'/' + key;
    return u'/' + key;
}

QByteArray Endpoint::hostHeader() const
{
    QByteArray header = host.contains(u':') ? '[' + host.toUtf8() + ']' : QUrl::toAce(host);
    if (port != -1)
        header += ':' + QByteArray::number(port);
    return header;
}

Endpoint Endpoint::serviceEndpoint() const
{
    Endpoint service = *this;
    if (accelerated) {
        service.host = QStringLiteral("s3.%1.amazonaws.com").arg(region);
        service.port = -1;
        service.accelerated = false;
    } else if (!pathStyle && host.startsWith(bucket.toLower() + u'.')) {
        service.host = host.mid(bucket.size() + 1);
    }
    service.bucket.clear();
    service.pathStyle = true;
    return service;
}

QUrl Endpoint::bucketUrl() const
{
    QUrl url;
    url.setScheme(scheme);
    url.setHost(host);
    url.setPort(port);
    url.setPath(pathStyle ? u'/' + bucket + u'/' : QStringLiteral("/"));
    return url;
}

QUrl Endpoint::objectUrl(const QString &key) const
{
    const QByteArray authority = scheme.toLatin1() + "://" + hostHeader();
    return QUrl::fromEncoded(authority + SigV4Signer::canonicalUri(requestPath(key)), QUrl::StrictMode);
}

QString Endpoint::describe() const
{
    QString url = bucketUrl().toString();
    if (url.endsWith(u'/'))
        url.chop(1);
    const QString addressing = pathStyle ? QStringLiteral("path-style")
                               : accelerated ? QStringLiteral("virtual-host, transfer acceleration")
                                             : QStringLiteral("virtual-host");
    return QStringLiteral("%1 (%2, region %3 from %4)").arg(url, addressing, region, regionSource);
}

Result<Endpoint> resolveEndpoint(const EndpointOptions &options)
{
    const QString bucket = options.bucket.trimmed();
    if (bucket.isEmpty())
        return invalid(QStringLiteral("no bucket given (set root or bucket)"));
    // S3 bucket names are [a-z0-9.-]; legacy ones and other stores add upper case and '_'.
    // Anything else (a '/', '?', space, control character, ...) would end up in a host name or
    // a path where it cannot be (found by fuzzing: a control character made the host empty).
    static const QRegularExpression badBucket(QStringLiteral("[^A-Za-z0-9._-]"));
    if (bucket.contains(badBucket))
        return invalid(QStringLiteral("bucket name \"%1\" contains characters that are not allowed in "
                                      "a bucket name").arg(bucket));
    // Lengths and ends as every S3 store requires them (legacy AWS names reach 255 characters).
    const auto alnum = [](QChar c) { return c.isLetterOrNumber(); };
    if (bucket.size() < 3 || bucket.size() > 255 || !alnum(bucket.front()) || !alnum(bucket.back()))
        return invalid(QStringLiteral("bucket name \"%1\" is not a bucket name: 3 to 63 characters (255 for legacy "
                                      "buckets) that begin and end with a letter or digit").arg(bucket));

    Endpoint endpoint;
    endpoint.bucket = bucket;

    const QString server = options.server.trimmed();
    QString host;
    if (!server.isEmpty()) {
        const bool hasScheme = server.contains(u"://");
        const QUrl url(hasScheme ? server : QStringLiteral("https://") + server, QUrl::StrictMode);
        if (!url.isValid() || url.host().isEmpty())
            return invalid(QStringLiteral("server \"%1\" is not a valid host or URL%2")
                               .arg(server, url.isValid() ? QString() : QStringLiteral(": ") + url.errorString()));
        const QString scheme = url.scheme().toLower();
        if (scheme != u"https" && scheme != u"http")
            return invalid(QStringLiteral("server \"%1\": unsupported scheme \"%2\" (use https:// or http://)")
                               .arg(server, scheme));
        if (!url.path().isEmpty() && url.path() != u"/")
            return invalid(QStringLiteral("server \"%1\" must not contain a path (\"%2\"); give the "
                                          "bucket with root or bucket").arg(server, url.path()));
        if (url.hasQuery() || url.hasFragment() || !url.userInfo().isEmpty())
            return invalid(QStringLiteral("server \"%1\" must be a host or a scheme://host[:port] URL")
                               .arg(server));
        endpoint.scheme = scheme;
        host = url.host().toLower();
        const int defaultPort = scheme == u"https" ? 443 : 80;
        endpoint.port = url.port() == defaultPort ? -1 : url.port();
    } else {
        endpoint.scheme = QStringLiteral("https");
    }

    const bool bucketInHost = !host.isEmpty() && host.startsWith(bucket.toLower() + u'.');

    // Region: explicit, else from an AWS host, else AWS_REGION/AWS_DEFAULT_REGION, else us-east-1.
    const QString hostRegion = isAwsHost(host) ? regionFromAwsHost(host) : QString();
    if (!options.region.trimmed().isEmpty()) {
        endpoint.region = options.region.trimmed();
        endpoint.regionSource = QStringLiteral("parameter");
    } else if (!hostRegion.isEmpty()) {
        endpoint.region = hostRegion;
        endpoint.regionSource = QStringLiteral("host");
    } else if (!options.fallbackRegion.trimmed().isEmpty()) {
        endpoint.region = options.fallbackRegion.trimmed();
        endpoint.regionSource = options.fallbackRegionSource;
    } else {
        endpoint.region = defaultRegion;
        endpoint.regionSource = QStringLiteral("default");
    }

    // The region goes into the SigV4 credential scope ("/"-separated) and, without a server,
    // into the host name: only region-like names (us-west-2, and custom ones of other stores).
    static const QRegularExpression regionName(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"));
    if (!regionName.match(endpoint.region).hasMatch())
        return invalid(QStringLiteral("region \"%1\" (from %2) is not a region name: letters, digits, "
                                      "'-', '_' and '.' only")
                           .arg(endpoint.region, endpoint.regionSource == u"parameter" ? QStringLiteral("region")
                                                                                        : endpoint.regionSource));

    if (host.isEmpty()) {
        host = QStringLiteral("s3.%1.amazonaws.com").arg(endpoint.region);
        if (QUrl::toAce(host).isEmpty())  // e.g. "apio.-1": a label may not start with '-'
            return invalid(QStringLiteral("region \"%1\" (from %2) is not a region name: it does not make a "
                                          "valid host name").arg(endpoint.region, endpoint.regionSource));
    }

    if (const QString accelerate = options.accelerateHost.trimmed().toLower(); !accelerate.isEmpty()) {
        // minio-go's rules: an AWS feature, virtual-host only (the bucket is part of the name).
        if (!isAwsHost(accelerate) || !accelerate.startsWith(u"s3-accelerate."))
            return invalid(QStringLiteral("accelerated_endpoint \"%1\" is not an S3 Transfer Acceleration host "
                                          "(s3-accelerate.amazonaws.com or s3-accelerate.dualstack.amazonaws.com)")
                               .arg(accelerate));
        if (!server.isEmpty() && !isAwsHost(host))
            return invalid(QStringLiteral("accelerated_endpoint: the server %1 is not AWS S3; Transfer Acceleration "
                                          "is an AWS feature (unset accelerated_endpoint or server)").arg(host));
        if (bucket.contains(u'.'))
            return invalid(QStringLiteral("accelerated_endpoint: the bucket name \"%1\" has dots, which Transfer "
                                          "Acceleration does not allow (AWS refuses such buckets)").arg(bucket));
        if (options.pathStyle == true)
            return invalid(QStringLiteral("accelerated_endpoint needs virtual-host addressing; unset path_style"));
        if (QUrl::toAce(bucket + u'.' + accelerate).isEmpty())
            return invalid(QStringLiteral("bucket name \"%1\" cannot be part of a host name, which Transfer "
                                          "Acceleration needs").arg(bucket));
        endpoint.scheme = QStringLiteral("https");
        endpoint.host = bucket + u'.' + accelerate;
        endpoint.port = -1;
        endpoint.pathStyle = false;
        endpoint.accelerated = true;
        return endpoint;
    }

    if (bucketInHost) {
        endpoint.host = host;
        endpoint.pathStyle = false;
        return endpoint;
    }

    bool pathStyle;
    if (options.pathStyle.has_value())
        pathStyle = *options.pathStyle;
    else if (isAwsHost(host))
        pathStyle = bucket.contains(u'.');  // a dotted bucket breaks the *.s3 TLS wildcard
    else
        pathStyle = true;  // MinIO, Ceph, IP addresses, localhost

    if (!pathStyle && !QHostAddress(host).isNull())
        return invalid(QStringLiteral("server %1 is an IP address: virtual-host addressing (path_style: "
                                      "false) needs a host name").arg(host));

    endpoint.pathStyle = pathStyle;
    endpoint.host = pathStyle ? host : bucket + u'.' + host;
    if (!pathStyle && QUrl::toAce(endpoint.host).isEmpty())
        return invalid(QStringLiteral("bucket name \"%1\" cannot be part of a host name (virtual-host "
                                      "addressing); set path_style: true").arg(bucket));
    return endpoint;
}

} // namespace s3cache
