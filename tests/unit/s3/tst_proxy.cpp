// Proxies from the environment (s3/proxy.h, docs/behaviour.md §4): NO_PROXY matching as curl does
// it, proxy URLs and their masking, which variable wins, the credential endpoints that are never
// proxied, and the factory every QNetworkAccessManager of s3cache gets.

#include "s3/proxy.h"

#include "util/log.h"

#include <QNetworkProxyQuery>
#include <QTest>
#include <QUrl>

using namespace s3cache;
using namespace Qt::StringLiterals;

class TestProxy : public QObject
{
    Q_OBJECT

private slots:
    void noProxy_data();
    void noProxy();
    void parseUrl_data();
    void parseUrl();
    void badUrls_data();
    void badUrls();
    void lowercaseWins();
    void schemePicksTheVariable();
    void credentialEndpointsAreNeverProxied();
    void describe();
    void factory();
    void credentialsAreMaskedInLogs();
};

static QProcessEnvironment env(const QStringList &variables)
{
    QProcessEnvironment e;
    for (const QString &v : variables)
        e.insert(v.left(v.indexOf(u'=')), v.mid(v.indexOf(u'=') + 1));
    return e;
}

void TestProxy::noProxy_data()
{
    QTest::addColumn<QString>("noProxy");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<bool>("bypassed");

    QTest::newRow("empty") << u""_s << u"example.com"_s << 443 << false;
    QTest::newRow("star") << u"*"_s << u"anything.example"_s << 443 << true;
    QTest::newRow("star-among-others") << u"a.com, *"_s << u"b.org"_s << 80 << true;
    QTest::newRow("exact-host") << u"minio.internal"_s << u"minio.internal"_s << 9000 << true;
    QTest::newRow("other-host") << u"minio.internal"_s << u"minio.external"_s << 9000 << false;
    QTest::newRow("domain-matches-subdomain") << u"example.com"_s << u"s3.example.com"_s << 443 << true;
    QTest::newRow("domain-not-a-suffix-of-label") << u"example.com"_s << u"badexample.com"_s << 443 << false;
    QTest::newRow("dot-domain-matches-subdomain") << u".example.com"_s << u"a.b.example.com"_s << 443 << true;
    QTest::newRow("dot-domain-matches-itself") << u".example.com"_s << u"example.com"_s << 443 << true;
    QTest::newRow("star-dot-domain") << u"*.example.com"_s << u"s3.example.com"_s << 443 << true;
    QTest::newRow("case-insensitive") << u"MinIO.Internal"_s << u"minio.INTERNAL"_s << 443 << true;
    QTest::newRow("trailing-dot") << u"example.com."_s << u"s3.example.com"_s << 443 << true;
    QTest::newRow("spaces-around") << u" a.com ,  minio.local "_s << u"minio.local"_s << 443 << true;
    QTest::newRow("ipv4-exact") << u"127.0.0.1"_s << u"127.0.0.1"_s << 5000 << true;
    QTest::newRow("ipv4-other") << u"127.0.0.1"_s << u"127.0.0.2"_s << 5000 << false;
    QTest::newRow("ipv4-cidr-in") << u"10.0.0.0/8"_s << u"10.20.30.40"_s << 443 << true;
    QTest::newRow("ipv4-cidr-out") << u"10.0.0.0/8"_s << u"11.0.0.1"_s << 443 << false;
    QTest::newRow("ipv4-cidr-loopback") << u"127.0.0.0/8"_s << u"127.9.9.9"_s << 80 << true;
    QTest::newRow("ipv4-cidr-not-a-name") << u"10.0.0.0/8"_s << u"10.example.com"_s << 443 << false;
    QTest::newRow("ipv6-exact") << u"::1"_s << u"::1"_s << 443 << true;
    QTest::newRow("ipv6-bracketed-host") << u"::1"_s << u"[::1]"_s << 443 << true;
    QTest::newRow("ipv6-long-form") << u"0:0:0:0:0:0:0:1"_s << u"::1"_s << 443 << true;
    QTest::newRow("ipv6-cidr-in") << u"fd00::/8"_s << u"fd12:3456::1"_s << 443 << true;
    QTest::newRow("ipv6-cidr-out") << u"fd00::/8"_s << u"fe80::1"_s << 443 << false;
    QTest::newRow("ipv6-cidr-v4-host") << u"::1/128"_s << u"127.0.0.1"_s << 443 << false;
    QTest::newRow("host-port-match") << u"minio.local:9000"_s << u"minio.local"_s << 9000 << true;
    QTest::newRow("host-port-other-port") << u"minio.local:9000"_s << u"minio.local"_s << 9001 << false;
    QTest::newRow("ipv4-port-match") << u"127.0.0.1:5000"_s << u"127.0.0.1"_s << 5000 << true;
    QTest::newRow("ipv4-port-other") << u"127.0.0.1:5000"_s << u"127.0.0.1"_s << 5001 << false;
    QTest::newRow("ipv6-port-match") << u"[::1]:9000"_s << u"::1"_s << 9000 << true;
    QTest::newRow("ipv6-port-other") << u"[::1]:9000"_s << u"::1"_s << 9001 << false;
    QTest::newRow("localhost-is-not-loopback-ip") << u"localhost"_s << u"127.0.0.1"_s << 80 << false;
}

void TestProxy::noProxy()
{
    QFETCH(QString, noProxy);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(bool, bypassed);
    QCOMPARE(noProxyMatches(noProxy.split(u','), host, port), bypassed);
    // The same through the settings: HTTPS_PROXY set, the request to https://host:port.
    const Result<ProxySettings> settings =
        ProxySettings::fromEnvironment(env({u"HTTPS_PROXY=http://proxy.test:3128"_s, u"NO_PROXY="_s + noProxy}));
    QVERIFY2(settings.ok(), qPrintable(settings.error().toString()));
    QCOMPARE(!settings->proxyFor(u"https"_s, host, port).has_value(), bypassed);
}

void TestProxy::parseUrl_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<int>("type");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::addColumn<QString>("masked");

    QTest::newRow("http-with-port") << u"http://proxy.corp:3128"_s << int(QNetworkProxy::HttpProxy) << u"proxy.corp"_s
                                    << 3128 << QString() << QString() << u"http://proxy.corp:3128"_s;
    QTest::newRow("http-default-port") << u"http://proxy.corp"_s << int(QNetworkProxy::HttpProxy) << u"proxy.corp"_s
                                       << 80 << QString() << QString() << u"http://proxy.corp:80"_s;
    QTest::newRow("bare-host-port") << u"127.0.0.1:8888"_s << int(QNetworkProxy::HttpProxy) << u"127.0.0.1"_s << 8888
                                    << QString() << QString() << u"http://127.0.0.1:8888"_s;
    QTest::newRow("trailing-slash") << u"http://proxy.corp:3128/"_s << int(QNetworkProxy::HttpProxy) << u"proxy.corp"_s
                                    << 3128 << QString() << QString() << u"http://proxy.corp:3128"_s;
    QTest::newRow("credentials") << u"http://alice:s3cr%40t@proxy.corp:3128"_s << int(QNetworkProxy::HttpProxy)
                                 << u"proxy.corp"_s << 3128 << u"alice"_s << u"s3cr@t"_s
                                 << u"http://****@proxy.corp:3128"_s;
    QTest::newRow("user-only") << u"http://alice@proxy.corp:3128"_s << int(QNetworkProxy::HttpProxy) << u"proxy.corp"_s
                               << 3128 << u"alice"_s << QString() << u"http://****@proxy.corp:3128"_s;
    QTest::newRow("ipv6") << u"http://[::1]:3128"_s << int(QNetworkProxy::HttpProxy) << u"::1"_s << 3128 << QString()
                          << QString() << u"http://[::1]:3128"_s;
    QTest::newRow("socks5") << u"socks5://127.0.0.1"_s << int(QNetworkProxy::Socks5Proxy) << u"127.0.0.1"_s << 1080
                            << QString() << QString() << u"socks5://127.0.0.1:1080"_s;
    QTest::newRow("socks5h") << u"socks5h://u:p4ss@gw:1081"_s << int(QNetworkProxy::Socks5Proxy) << u"gw"_s << 1081
                             << u"u"_s << u"p4ss"_s << u"socks5://****@gw:1081"_s;
    QTest::newRow("upper-case-scheme") << u"HTTP://Proxy.Corp:3128"_s << int(QNetworkProxy::HttpProxy)
                                       << u"proxy.corp"_s << 3128 << QString() << QString()
                                       << u"http://proxy.corp:3128"_s;
}

void TestProxy::parseUrl()
{
    QFETCH(QString, url);
    QFETCH(int, type);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, user);
    QFETCH(QString, password);
    QFETCH(QString, masked);
    const Result<ProxyServer> proxy = parseProxyUrl(url, u"HTTPS_PROXY"_s);
    QVERIFY2(proxy.ok(), qPrintable(proxy.error().toString()));
    QCOMPARE(int(proxy->type), type);
    QCOMPARE(proxy->host, host);
    QCOMPARE(proxy->port, port);
    QCOMPARE(proxy->user, user);
    QCOMPARE(proxy->password, password);
    QCOMPARE(proxy->masked(), masked);
    QCOMPARE(proxy->source, u"HTTPS_PROXY"_s);
    const QNetworkProxy qt = proxy->toQNetworkProxy();
    QCOMPARE(int(qt.type()), type);
    QCOMPARE(qt.hostName(), host);
    QCOMPARE(int(qt.port()), port);
    QCOMPARE(qt.user(), user);
    QCOMPARE(qt.password(), password);
}

void TestProxy::badUrls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("message");  // a part of the message

    QTest::newRow("https-proxy") << u"https://topsecretuser:topsecretpass@proxy.corp:3128"_s << u"https:// proxy"_s;
    QTest::newRow("ftp") << u"ftp://topsecretuser:topsecretpass@proxy.corp"_s << u"unsupported scheme 'ftp'"_s;
    QTest::newRow("path") << u"http://topsecretuser:topsecretpass@proxy.corp:3128/x"_s << u"must not have a path"_s;
    QTest::newRow("no-host") << u"http://topsecretuser:topsecretpass@:3128"_s << u"is not a proxy URL"_s;
    QTest::newRow("bad-port") << u"http://topsecretuser:topsecretpass@proxy:99999"_s << u"is not a proxy URL"_s;
}

void TestProxy::badUrls()
{
    QFETCH(QString, url);
    QFETCH(QString, message);
    const Result<ProxyServer> proxy = parseProxyUrl(url, u"https_proxy"_s);
    QVERIFY(!proxy.ok());
    QCOMPARE(proxy.error().kind(), ErrorKind::InvalidInput);
    const QString text = proxy.error().toString();
    QVERIFY2(text.contains(message), qPrintable(text));
    QVERIFY2(text.contains(u"https_proxy"_s), qPrintable(text));
    QVERIFY2(!text.contains(u"topsecret"_s), qPrintable(text));
    // Through the environment: the same error, so a bad proxy stops the run before any request.
    const Result<ProxySettings> settings = ProxySettings::fromEnvironment(env({u"https_proxy="_s + url}));
    QVERIFY(!settings.ok());
    QVERIFY(!settings.error().toString().contains(u"topsecret"_s));
}

void TestProxy::lowercaseWins()
{
    Result<ProxySettings> s = ProxySettings::fromEnvironment(
        env({u"HTTPS_PROXY=http://upper:1"_s, u"https_proxy=http://lower:2"_s, u"HTTP_PROXY=http://upperplain:3"_s,
             u"http_proxy=http://lowerplain:4"_s, u"NO_PROXY=upper.example"_s, u"no_proxy=lower.example"_s}));
    QVERIFY(s.ok());
    QCOMPARE(s->https->host, u"lower"_s);
    QCOMPARE(s->https->source, u"https_proxy"_s);
    QCOMPARE(s->http->host, u"lowerplain"_s);
    QCOMPARE(s->noProxy, QStringList{u"lower.example"_s});
    QCOMPARE(s->noProxySource, u"no_proxy"_s);
    QVERIFY(s->proxyFor(u"https"_s, u"upper.example"_s, -1).has_value());
    QVERIFY(!s->proxyFor(u"https"_s, u"lower.example"_s, -1).has_value());

    // Only the upper-case ones (or an empty lower-case one): those are used.
    s = ProxySettings::fromEnvironment(env({u"HTTPS_PROXY=http://upper:1"_s, u"https_proxy="_s, u"NO_PROXY=a.b"_s}));
    QVERIFY(s.ok());
    QCOMPARE(s->https->host, u"upper"_s);
    QCOMPARE(s->https->source, u"HTTPS_PROXY"_s);
    QCOMPARE(s->noProxySource, u"NO_PROXY"_s);
    QVERIFY(!s->http.has_value());
}

void TestProxy::schemePicksTheVariable()
{
    const Result<ProxySettings> s =
        ProxySettings::fromEnvironment(env({u"HTTPS_PROXY=http://tls-proxy:1"_s, u"HTTP_PROXY=http://plain-proxy:2"_s}));
    QVERIFY(s.ok());
    QCOMPARE(s->proxyFor(u"https"_s, u"s3.amazonaws.com"_s, -1)->host, u"tls-proxy"_s);
    QCOMPARE(s->proxyFor(u"http"_s, u"127.0.0.1"_s, 9000)->host, u"plain-proxy"_s);
    // Loopback is proxied like any host (curl, the AWS CLI), unless NO_PROXY names it.
    QVERIFY(s->proxyFor(u"http"_s, u"localhost"_s, 9000).has_value());
    QVERIFY(s->proxyFor(u"https"_s, u"::1"_s, 9000).has_value());

    const Result<ProxySettings> httpsOnly = ProxySettings::fromEnvironment(env({u"HTTPS_PROXY=http://tls-proxy:1"_s}));
    QVERIFY(!httpsOnly->proxyFor(u"http"_s, u"127.0.0.1"_s, 9000).has_value());
    const Result<ProxySettings> none = ProxySettings::fromEnvironment(env({}));
    QVERIFY(!none->proxyFor(u"https"_s, u"s3.amazonaws.com"_s, -1).has_value());
    // The default port of the scheme is what host:port entries compare with.
    const Result<ProxySettings> port = ProxySettings::fromEnvironment(
        env({u"HTTPS_PROXY=http://p:1"_s, u"NO_PROXY=s3.example.com:443"_s}));
    QVERIFY(!port->proxyFor(u"https"_s, u"s3.example.com"_s, -1).has_value());
    QVERIFY(port->proxyFor(u"https"_s, u"s3.example.com"_s, 8443).has_value());
}

void TestProxy::credentialEndpointsAreNeverProxied()
{
    const Result<ProxySettings> s =
        ProxySettings::fromEnvironment(env({u"HTTPS_PROXY=http://p:1"_s, u"HTTP_PROXY=http://p:1"_s}));
    QVERIFY(s.ok());
    for (const QString &host : {u"169.254.169.254"_s, u"169.254.170.2"_s, u"169.254.170.23"_s, u"fd00:ec2::254"_s,
                               u"[fd00:ec2::254]"_s, u"fd00:ec2::23"_s}) {
        QVERIFY2(isCredentialEndpointHost(host), qPrintable(host));
        QVERIFY2(!s->proxyFor(u"http"_s, host, 80).has_value(), qPrintable(host));
    }
    QVERIFY(!isCredentialEndpointHost(u"169.254.169.253"_s));
    QVERIFY(!isCredentialEndpointHost(u"metadata.example"_s));
    QVERIFY(s->proxyFor(u"http"_s, u"169.254.169.253"_s, 80).has_value());
}

void TestProxy::describe()
{
    const Result<ProxySettings> s = ProxySettings::fromEnvironment(
        env({u"HTTPS_PROXY=http://bob:hunter2secret@proxy.corp:3128"_s, u"no_proxy=.internal"_s}));
    QVERIFY(s.ok());
    QCOMPARE(s->describeFor(u"https"_s, u"s3.amazonaws.com"_s, -1), u"http://****@proxy.corp:3128 (from HTTPS_PROXY)"_s);
    QCOMPARE(s->describeFor(u"https"_s, u"minio.internal"_s, -1), u"none (no_proxy names minio.internal)"_s);
    QCOMPARE(s->describeFor(u"http"_s, u"minio.internal"_s, -1), u"none"_s);
    QCOMPARE(s->describeFor(u"https"_s, u"169.254.170.2"_s, -1), u"none (a credential endpoint is never proxied)"_s);

    // curl's catch-all is not read (as by the AWS CLI): no proxy, and the description says why,
    // without the value (it may hold a password).
    const Result<ProxySettings> all = ProxySettings::fromEnvironment(env({u"ALL_PROXY=http://eve:s3cretpw@proxy.corp:3128"_s}));
    QVERIFY(all.ok());
    QVERIFY(!all->proxyFor(u"https"_s, u"s3.amazonaws.com"_s, -1).has_value());
    QCOMPARE(all->describeFor(u"https"_s, u"s3.amazonaws.com"_s, -1),
             u"none (ALL_PROXY is not read, as by the AWS CLI: set HTTPS_PROXY)"_s);
    const Result<ProxySettings> lower = ProxySettings::fromEnvironment(
        env({u"all_proxy=socks5://proxy.corp:1080"_s, u"HTTPS_PROXY=http://proxy.corp:3128"_s}));
    QVERIFY(lower.ok());
    QCOMPARE(lower->describeFor(u"http"_s, u"minio.internal"_s, -1), u"none (all_proxy is not read, as by the AWS CLI: set HTTP_PROXY)"_s);
    QCOMPARE(lower->describeFor(u"https"_s, u"minio.internal"_s, -1), u"http://proxy.corp:3128 (from HTTPS_PROXY)"_s);
}

void TestProxy::factory()
{
    const Result<ProxySettings> s = ProxySettings::fromEnvironment(
        env({u"HTTP_PROXY=http://carol:pa55word@127.0.0.1:3128"_s, u"NO_PROXY=10.0.0.0/8"_s}));
    QVERIFY(s.ok());
    EnvironmentProxyFactory factory(*s);
    const QList<QNetworkProxy> proxied = factory.queryProxy(QNetworkProxyQuery(QUrl(u"http://127.0.0.1:5000/bucket/key"_s)));
    QCOMPARE(proxied.size(), 1);
    QCOMPARE(proxied.front().type(), QNetworkProxy::HttpProxy);
    QCOMPARE(proxied.front().hostName(), u"127.0.0.1"_s);
    QCOMPARE(proxied.front().port(), quint16(3128));
    QCOMPARE(proxied.front().user(), u"carol"_s);
    QCOMPARE(proxied.front().password(), u"pa55word"_s);
    const QList<QNetworkProxy> direct = factory.queryProxy(QNetworkProxyQuery(QUrl(u"http://10.1.2.3:9000/b"_s)));
    QCOMPARE(direct.size(), 1);
    QCOMPARE(direct.front().type(), QNetworkProxy::NoProxy);
    const QList<QNetworkProxy> tls = factory.queryProxy(QNetworkProxyQuery(QUrl(u"https://s3.amazonaws.com/b"_s)));
    QCOMPARE(tls.front().type(), QNetworkProxy::NoProxy);  // no HTTPS_PROXY
}

void TestProxy::credentialsAreMaskedInLogs()
{
    const Result<ProxySettings> s =
        ProxySettings::fromEnvironment(env({u"HTTPS_PROXY=http://proxyuser77:Pr0xyPassw0rd@proxy.corp:3128"_s}));
    QVERIFY(s.ok());
    const QString line = Log::mask(u"user proxyuser77 password Pr0xyPassw0rd"_s);
    QVERIFY2(!line.contains(u"proxyuser77"_s) && !line.contains(u"Pr0xyPassw0rd"_s), qPrintable(line));
}

QTEST_GUILESS_MAIN(TestProxy)
#include "tst_proxy.moc"
