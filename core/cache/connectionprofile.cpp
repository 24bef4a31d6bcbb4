#include "connectionprofile.h"

#include <QDir>
#include <QUrl>

namespace s3cache {

namespace {

Error invalid(const QString &message)
{
    return Error(ErrorKind::InvalidInput, QStringLiteral("InvalidProfile"), message);
}

QString modeName(CredentialMode mode)
{
    switch (mode) {
    case CredentialMode::AccessKey: return QStringLiteral("access-key");
    case CredentialMode::Anonymous: return QStringLiteral("anonymous");
    case CredentialMode::AwsChain: break;
    }
    return QStringLiteral("aws-chain");
}

} // namespace

bool ConnectionProfile::isLocal() const
{
    return server.trimmed().startsWith(QLatin1String("file://"), Qt::CaseInsensitive);
}

QString ConnectionProfile::localRoot() const
{
    if (!isLocal())
        return {};
    const QUrl url(server.trimmed());
    if (!url.host().isEmpty() && url.host() != u"localhost")
        return {};  // file://host/... names another machine (or a relative path typed wrongly)
    return QDir::cleanPath(url.toLocalFile());
}

Error ConnectionProfile::validate() const
{
    if (name.trimmed().isEmpty())
        return invalid(QStringLiteral("the profile has no name"));
    if (name.contains(QLatin1Char('/')) || name.contains(QLatin1Char('\\')))
        return invalid(QStringLiteral("profile '%1': a name cannot contain '/' or '\\'").arg(name));
    if (bucket.trimmed().isEmpty())
        return invalid(QStringLiteral("profile '%1': the bucket is empty").arg(name));
    if (bucket.contains(QLatin1Char('/')) || bucket == u"." || bucket == u"..")
        return invalid(QStringLiteral("profile '%1': '%2' is not a bucket name").arg(name, bucket));
    if (isLocal()) {
        const QString root = localRoot();
        if (root.isEmpty() || !QDir::isAbsolutePath(root) || root == u".")
            return invalid(QStringLiteral("profile '%1': '%2' does not name a local directory (file:///absolute/path)")
                               .arg(name, server));
    } else {
        const QString scheme = QUrl(server.trimmed()).scheme().toLower();
        if (server.contains(QLatin1String("://")) && scheme != u"http" && scheme != u"https")
            return invalid(QStringLiteral("profile '%1': server '%2' must use https://, http:// or file://").arg(name, server));
    }
    if (credentials == CredentialMode::AccessKey && accessKey.trimmed().isEmpty())
        return invalid(QStringLiteral("profile '%1': the access key is empty").arg(name));
    return {};
}

QString ConnectionProfile::describe() const
{
    if (isLocal())
        return QUrl::fromLocalFile(localRoot() + QLatin1Char('/') + bucket).toString();
    const QString where = server.trimmed().isEmpty() ? QStringLiteral("AWS") : server.trimmed();
    return QStringLiteral("s3://%1 at %2").arg(bucket, where);
}

QVariantMap ConnectionProfile::toMap() const
{
    QVariantMap map{
        {QStringLiteral("server"), server},
        {QStringLiteral("bucket"), bucket},
        {QStringLiteral("region"), region},
        {QStringLiteral("pathStyle"), pathStyle ? (*pathStyle ? QStringLiteral("path") : QStringLiteral("virtual-host"))
                                                : QStringLiteral("auto")},
        {QStringLiteral("credentials"), modeName(credentials)},
        {QStringLiteral("accessKey"), accessKey},
    };
    return map;
}

ConnectionProfile ConnectionProfile::fromMap(const QVariantMap &map)
{
    ConnectionProfile p;
    p.server = map.value(QStringLiteral("server")).toString();
    p.bucket = map.value(QStringLiteral("bucket")).toString();
    p.region = map.value(QStringLiteral("region")).toString();
    const QString style = map.value(QStringLiteral("pathStyle")).toString();
    if (style == u"path")
        p.pathStyle = true;
    else if (style == u"virtual-host")
        p.pathStyle = false;
    const QString mode = map.value(QStringLiteral("credentials")).toString();
    for (CredentialMode m : {CredentialMode::AwsChain, CredentialMode::AccessKey, CredentialMode::Anonymous}) {
        if (mode == modeName(m))
            p.credentials = m;
    }
    p.accessKey = map.value(QStringLiteral("accessKey")).toString();
    return p;
}

} // namespace s3cache
