#pragma once
// Proxies from the environment, as curl and the AWS CLI read them (docs/behaviour.md §4):
//  - https:// endpoints go through https_proxy, else HTTPS_PROXY; http:// endpoints through
//    http_proxy, else HTTP_PROXY (the lower-case variable wins when both are set, as in curl);
//  - a proxy URL is http://[user:password@]host[:port] (port 80 when not given; a bare
//    host[:port] means http://) or socks5://…/socks5h://… (port 1080); https:// proxies (TLS to
//    the proxy itself) are refused with a clear message. Requests to an http:// endpoint are
//    sent to the proxy with absolute URIs, https:// ones through a CONNECT tunnel;
//  - no_proxy, else NO_PROXY, is a comma-separated list of entries that bypass the proxy: `*`
//    (everything), a host or domain (`example.com` and `.example.com` both match example.com and
//    every name below it), an IPv4/IPv6 address or CIDR block (`10.0.0.0/8`, `::1/128`), each
//    optionally with `:port` (`[::1]:9000` for IPv6) to bypass only that port. Case-insensitive;
//  - loopback is proxied like any other host unless NO_PROXY names it (curl and the AWS CLI do
//    the same; Qt's system proxy lookup would not);
//  - the instance metadata and container credential endpoints (169.254.169.254, 169.254.170.2,
//    169.254.170.23, fd00:ec2::254, fd00:ec2::23) are never proxied.
// The user and password of a proxy URL are registered with Log::registerSecret and never shown:
// a proxy is described as http://****@host:port.

#include "util/result.h"

#include <QNetworkProxy>
#include <QNetworkProxyFactory>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

#include <optional>

namespace s3cache {

struct ProxyServer
{
    QNetworkProxy::ProxyType type = QNetworkProxy::HttpProxy;
    QString host;
    int port = 0;
    QString user;
    QString password;
    QString source;  // the variable it came from: "HTTPS_PROXY", "https_proxy", ...

    // "http://****@proxy.corp:3128" (the credentials masked), "http://proxy.corp:3128".
    QString masked() const;
    QNetworkProxy toQNetworkProxy() const;
};

// Parses one proxy URL; `source` names the variable in errors. The error never holds the user or
// the password.
Result<ProxyServer> parseProxyUrl(const QString &text, const QString &source);

// Whether a NO_PROXY list bypasses the proxy for host:port (port -1: unknown, matches entries
// without a port only).
bool noProxyMatches(const QStringList &entries, const QString &host, int port);

// 169.254.169.254, fd00:ec2::254 (IMDS), 169.254.170.2, 169.254.170.23, fd00:ec2::23 (ECS / EKS
// Pod Identity container credentials).
bool isCredentialEndpointHost(const QString &host);

class ProxySettings
{
public:
    // Reads the variables above; a proxy URL that does not parse is an ErrorKind::InvalidInput
    // error naming the variable. Registers every proxy's user and password as secrets.
    static Result<ProxySettings> fromEnvironment(const QProcessEnvironment &env);

    // The proxy a request to scheme://host:port goes through, or std::nullopt for a direct
    // connection (port -1: the scheme's default).
    std::optional<ProxyServer> proxyFor(const QString &scheme, const QString &host, int port) const;
    // For `s3cache config` and messages: "http://****@127.0.0.1:3128 (from HTTPS_PROXY)",
    // "none (NO_PROXY names 127.0.0.1)", "none (ALL_PROXY is not read …)", "none".
    QString describeFor(const QString &scheme, const QString &host, int port) const;

    std::optional<ProxyServer> http;
    std::optional<ProxyServer> https;
    QStringList noProxy;
    QString noProxySource;  // "NO_PROXY" or "no_proxy"
    // "ALL_PROXY" or "all_proxy" when set: curl's catch-all, which s3cache (like the AWS CLI)
    // does not read; named by describeFor() so that a user who set only it sees why.
    QString ignoredAllProxy;
};

// The QNetworkProxyFactory a QNetworkAccessManager of s3cache uses: ProxySettings::proxyFor()
// for every request, never the system configuration (libproxy).
class EnvironmentProxyFactory : public QNetworkProxyFactory
{
public:
    explicit EnvironmentProxyFactory(ProxySettings settings) : m_settings(std::move(settings)) {}
    QList<QNetworkProxy> queryProxy(const QNetworkProxyQuery &query) override;

private:
    ProxySettings m_settings;
};

} // namespace s3cache
