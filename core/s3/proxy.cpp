#include "proxy.h"

#include "util/log.h"

#include <QHostAddress>
#include <QUrl>

namespace s3cache {

namespace {

using namespace Qt::StringLiterals;

Error invalidProxy(const QString &message)
{
    return Error(ErrorKind::InvalidInput, u"InvalidProxy"_s, message);
}

// The text of a proxy URL with whatever stands before an '@' masked, for error messages.
QString maskedText(const QString &text)
{
    const qsizetype at = text.lastIndexOf(u'@');
    if (at < 0)
        return text;
    const qsizetype schemeEnd = text.indexOf(u"://");
    const qsizetype userStart = schemeEnd >= 0 && schemeEnd < at ? schemeEnd + 3 : 0;
    return text.left(userStart) + u"****"_s + text.mid(at);
}

// "[::1]:9000" -> ("::1", 9000); "host:80" -> ("host", 80); "::1" -> ("::1", -1); "host" -> ("host", -1).
std::pair<QString, int> splitHostPort(const QString &entry)
{
    if (entry.startsWith(u'[')) {
        const qsizetype close = entry.indexOf(u']');
        if (close < 0)
            return {entry.mid(1), -1};
        const QString host = entry.mid(1, close - 1);
        bool ok = false;
        const int port = entry.mid(close + 1).startsWith(u':') ? entry.mid(close + 2).toInt(&ok) : -1;
        return {host, ok ? port : -1};
    }
    const qsizetype colon = entry.lastIndexOf(u':');
    if (colon < 0 || entry.indexOf(u':') != colon)  // none, or an IPv6 address without brackets
        return {entry, -1};
    bool ok = false;
    const int port = entry.mid(colon + 1).toInt(&ok);
    return {entry.left(colon), ok ? port : -1};
}

QString normalisedHost(QString host)
{
    host = host.trimmed().toLower();
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    while (host.endsWith(u'.'))
        host.chop(1);
    return host;
}

bool entryMatches(const QString &rawEntry, const QString &host, const QHostAddress &address, int port)
{
    QString entry = rawEntry.trimmed().toLower();
    if (entry.isEmpty())
        return false;
    if (entry == u"*")
        return true;
    // A CIDR block: address/prefix (no port).
    if (const qsizetype slash = entry.indexOf(u'/'); slash > 0) {
        if (address.isNull())
            return false;
        QString network = entry.left(slash);
        if (network.startsWith(u'[') && network.endsWith(u']'))
            network = network.mid(1, network.size() - 2);
        const auto subnet = QHostAddress::parseSubnet(network + entry.mid(slash));
        return !subnet.first.isNull() && address.isInSubnet(subnet);
    }
    auto [entryHost, entryPort] = splitHostPort(entry);
    if (entryPort != -1 && entryPort != port)
        return false;
    entryHost = normalisedHost(entryHost);
    const QHostAddress entryAddress(entryHost);
    if (!entryAddress.isNull())
        return !address.isNull() && entryAddress.isEqual(address, QHostAddress::TolerantConversion);
    if (entryHost.startsWith(u"*."))  // "*.example.com", as some tools write it
        entryHost = entryHost.mid(1);
    if (entryHost.startsWith(u'.'))
        entryHost = entryHost.mid(1);
    if (entryHost.isEmpty())
        return false;
    return host == entryHost || host.endsWith(u'.' + entryHost);
}

// The lower-case variable when set, else the upper-case one: (value, name).
std::pair<QString, QString> variable(const QProcessEnvironment &env, const QString &upper)
{
    const QString lower = upper.toLower();
    const QString lowerValue = env.value(lower).trimmed();
    if (!lowerValue.isEmpty())
        return {lowerValue, lower};
    return {env.value(upper).trimmed(), upper};
}

} // namespace

QString ProxyServer::masked() const
{
    const QString scheme = type == QNetworkProxy::Socks5Proxy ? u"socks5"_s : u"http"_s;
    const QString hostText = host.contains(u':') ? u'[' + host + u']' : host;
    const QString credentials = user.isEmpty() && password.isEmpty() ? QString() : u"****@"_s;
    return scheme + u"://"_s + credentials + hostText + u':' + QString::number(port);
}

QNetworkProxy ProxyServer::toQNetworkProxy() const
{
    QNetworkProxy proxy(type, host, quint16(port), user, password);
    return proxy;
}

Result<ProxyServer> parseProxyUrl(const QString &text, const QString &source)
{
    const QString trimmed = text.trimmed();
    const bool hasScheme = trimmed.contains(u"://");
    const QUrl url(hasScheme ? trimmed : u"http://"_s + trimmed, QUrl::StrictMode);
    const auto fail = [&](const QString &why) {
        return invalidProxy(u"%1: '%2' %3"_s.arg(source, maskedText(trimmed), why));
    };
    if (!url.isValid() || url.host().isEmpty())
        return fail(u"is not a proxy URL: write http://host:port or http://user:password@host:port"_s);
    ProxyServer proxy;
    const QString scheme = url.scheme().toLower();
    if (scheme == u"http") {
        proxy.type = QNetworkProxy::HttpProxy;
    } else if (scheme == u"socks5" || scheme == u"socks5h") {
        proxy.type = QNetworkProxy::Socks5Proxy;
    } else if (scheme == u"https") {
        return fail(u"is an https:// proxy (TLS to the proxy itself), which s3cache does not support; write "
                    "http://host:port (https endpoints are still tunnelled with CONNECT)"_s);
    } else {
        return fail(u"has the unsupported scheme '%1'; use http:// or socks5://"_s.arg(scheme));
    }
    if (!url.path().isEmpty() && url.path() != u"/")
        return fail(u"must not have a path"_s);
    proxy.host = url.host();
    proxy.port = url.port(proxy.type == QNetworkProxy::Socks5Proxy ? 1080 : 80);
    proxy.user = url.userName(QUrl::FullyDecoded);
    proxy.password = url.password(QUrl::FullyDecoded);
    proxy.source = source;
    Log::registerSecret(proxy.user);
    Log::registerSecret(proxy.password);
    return proxy;
}

bool noProxyMatches(const QStringList &entries, const QString &host, int port)
{
    const QString name = normalisedHost(host);
    const QHostAddress address(name);
    for (const QString &entry : entries) {
        if (entryMatches(entry, name, address, port))
            return true;
    }
    return false;
}

bool isCredentialEndpointHost(const QString &host)
{
    const QHostAddress address(normalisedHost(host));
    if (address.isNull())
        return false;
    for (const char *known : {"169.254.169.254", "169.254.170.2", "169.254.170.23", "fd00:ec2::254", "fd00:ec2::23"}) {
        if (address.isEqual(QHostAddress(QLatin1String(known)), QHostAddress::TolerantConversion))
            return true;
    }
    return false;
}

Result<ProxySettings> ProxySettings::fromEnvironment(const QProcessEnvironment &env)
{
    ProxySettings settings;
    for (auto [upper, field] : {std::pair{u"HTTPS_PROXY"_s, &settings.https}, std::pair{u"HTTP_PROXY"_s, &settings.http}}) {
        const auto [value, name] = variable(env, upper);
        if (value.isEmpty())
            continue;
        Result<ProxyServer> proxy = parseProxyUrl(value, name);
        if (!proxy.ok())
            return proxy.error();
        *field = *proxy;
    }
    const auto [noProxy, noProxyName] = variable(env, u"NO_PROXY"_s);
    for (const QString &entry : noProxy.split(u',', Qt::SkipEmptyParts)) {
        if (!entry.trimmed().isEmpty())
            settings.noProxy << entry.trimmed();
    }
    settings.noProxySource = noProxyName;
    if (const auto [all, allName] = variable(env, u"ALL_PROXY"_s); !all.isEmpty())
        settings.ignoredAllProxy = allName;
    return settings;
}

std::optional<ProxyServer> ProxySettings::proxyFor(const QString &scheme, const QString &host, int port) const
{
    const bool tls = scheme.compare(u"https"_s, Qt::CaseInsensitive) == 0;
    const std::optional<ProxyServer> &proxy = tls ? https : http;
    if (!proxy || isCredentialEndpointHost(host))
        return std::nullopt;
    if (noProxyMatches(noProxy, host, port == -1 ? (tls ? 443 : 80) : port))
        return std::nullopt;
    return proxy;
}

QString ProxySettings::describeFor(const QString &scheme, const QString &host, int port) const
{
    if (const std::optional<ProxyServer> proxy = proxyFor(scheme, host, port))
        return u"%1 (from %2)"_s.arg(proxy->masked(), proxy->source);
    const bool tls = scheme.compare(u"https"_s, Qt::CaseInsensitive) == 0;
    if (!(tls ? https : http)) {
        if (!ignoredAllProxy.isEmpty())
            return u"none (%1 is not read, as by the AWS CLI: set %2)"_s.arg(ignoredAllProxy, tls ? u"HTTPS_PROXY"_s : u"HTTP_PROXY"_s);
        return u"none"_s;
    }
    if (isCredentialEndpointHost(host))
        return u"none (a credential endpoint is never proxied)"_s;
    return u"none (%1 names %2)"_s.arg(noProxySource, host);
}

QList<QNetworkProxy> EnvironmentProxyFactory::queryProxy(const QNetworkProxyQuery &query)
{
    const QUrl url = query.url();
    const QString scheme = url.isValid() && !url.scheme().isEmpty() ? url.scheme() : query.protocolTag();
    const QString host = url.isValid() && !url.host().isEmpty() ? url.host() : query.peerHostName();
    const int port = url.isValid() && !url.host().isEmpty() ? url.port(-1) : query.peerPort();
    if (const std::optional<ProxyServer> proxy = m_settings.proxyFor(scheme, host, port))
        return {proxy->toQNetworkProxy()};
    return {QNetworkProxy(QNetworkProxy::NoProxy)};
}

} // namespace s3cache
