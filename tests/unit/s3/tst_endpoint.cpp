// Endpoint resolution of docs/behaviour.md §4, including the plugin page's own samples.

#include "s3/endpoint.h"

#include <QTest>

using namespace s3cache;
using namespace Qt::StringLiterals;

using OptionalBool = std::optional<bool>;
Q_DECLARE_METATYPE(OptionalBool)

class TestEndpoint : public QObject
{
    Q_OBJECT

private slots:
    void resolve_data();
    void resolve();
    void errors_data();
    void errors();
    void badRegion_data();
    void badRegion();
    void objectUrlEncodesKeys_data();
    void objectUrlEncodesKeys();
    void describe();
    void accelerate_data();
    void accelerate();
    void serviceEndpoint_data();
    void serviceEndpoint();
};

void TestEndpoint::resolve_data()
{
    QTest::addColumn<QString>("server");
    QTest::addColumn<QString>("bucket");
    QTest::addColumn<QString>("region");
    QTest::addColumn<QString>("fallbackRegion");
    QTest::addColumn<OptionalBool>("pathStyle");
    // expectations
    QTest::addColumn<QString>("bucketUrl");
    QTest::addColumn<bool>("isPathStyle");
    QTest::addColumn<QString>("expectedRegion");
    QTest::addColumn<QString>("regionSource");
    QTest::addColumn<QString>("objectUrl");  // of key "a/b.tgz"

    const OptionalBool autoStyle;
    QTest::newRow("plugin-page-bucket-in-host")
        << u"mybucket.s3-us-west-2.amazonaws.com"_s << u"mybucket"_s << QString() << QString() << autoStyle
        << u"https://mybucket.s3-us-west-2.amazonaws.com/"_s << false << u"us-west-2"_s << u"host"_s
        << u"https://mybucket.s3-us-west-2.amazonaws.com/a/b.tgz"_s;
    QTest::newRow("bucket-in-host-ignores-path-style")
        << u"https://mybucket.s3.eu-west-1.amazonaws.com"_s << u"mybucket"_s << QString() << QString() << OptionalBool(true)
        << u"https://mybucket.s3.eu-west-1.amazonaws.com/"_s << false << u"eu-west-1"_s << u"host"_s
        << u"https://mybucket.s3.eu-west-1.amazonaws.com/a/b.tgz"_s;
    QTest::newRow("aws-regional-virtual-host")
        << u"s3.us-west-2.amazonaws.com"_s << u"cache"_s << QString() << QString() << autoStyle
        << u"https://cache.s3.us-west-2.amazonaws.com/"_s << false << u"us-west-2"_s << u"host"_s
        << u"https://cache.s3.us-west-2.amazonaws.com/a/b.tgz"_s;
    QTest::newRow("aws-legacy-dash-region")
        << u"https://s3-eu-central-1.amazonaws.com"_s << u"cache"_s << QString() << QString() << autoStyle
        << u"https://cache.s3-eu-central-1.amazonaws.com/"_s << false << u"eu-central-1"_s << u"host"_s
        << u"https://cache.s3-eu-central-1.amazonaws.com/a/b.tgz"_s;
    QTest::newRow("aws-dualstack")
        << u"s3.dualstack.ap-southeast-2.amazonaws.com"_s << u"cache"_s << QString() << QString() << autoStyle
        << u"https://cache.s3.dualstack.ap-southeast-2.amazonaws.com/"_s << false << u"ap-southeast-2"_s << u"host"_s
        << u"https://cache.s3.dualstack.ap-southeast-2.amazonaws.com/a/b.tgz"_s;
    QTest::newRow("aws-global-host-default-region")
        << u"s3.amazonaws.com"_s << u"cache"_s << QString() << QString() << autoStyle
        << u"https://cache.s3.amazonaws.com/"_s << false << u"us-east-1"_s << u"default"_s
        << u"https://cache.s3.amazonaws.com/a/b.tgz"_s;
    QTest::newRow("aws-dotted-bucket-path-style")
        << u"s3.us-west-2.amazonaws.com"_s << u"my.dotted.bucket"_s << QString() << QString() << autoStyle
        << u"https://s3.us-west-2.amazonaws.com/my.dotted.bucket/"_s << true << u"us-west-2"_s << u"host"_s
        << u"https://s3.us-west-2.amazonaws.com/my.dotted.bucket/a/b.tgz"_s;
    QTest::newRow("aws-explicit-path-style")
        << u"s3.us-west-2.amazonaws.com"_s << u"cache"_s << QString() << QString() << OptionalBool(true)
        << u"https://s3.us-west-2.amazonaws.com/cache/"_s << true << u"us-west-2"_s << u"host"_s
        << u"https://s3.us-west-2.amazonaws.com/cache/a/b.tgz"_s;
    QTest::newRow("empty-server-aws-regional")
        << QString() << u"cache"_s << u"eu-north-1"_s << QString() << autoStyle
        << u"https://cache.s3.eu-north-1.amazonaws.com/"_s << false << u"eu-north-1"_s << u"parameter"_s
        << u"https://cache.s3.eu-north-1.amazonaws.com/a/b.tgz"_s;
    QTest::newRow("empty-server-fallback-region")
        << QString() << u"cache"_s << QString() << u"ca-central-1"_s << autoStyle
        << u"https://cache.s3.ca-central-1.amazonaws.com/"_s << false << u"ca-central-1"_s << u"AWS_REGION"_s
        << u"https://cache.s3.ca-central-1.amazonaws.com/a/b.tgz"_s;
    QTest::newRow("empty-server-default-region")
        << QString() << u"cache"_s << QString() << QString() << autoStyle
        << u"https://cache.s3.us-east-1.amazonaws.com/"_s << false << u"us-east-1"_s << u"default"_s
        << u"https://cache.s3.us-east-1.amazonaws.com/a/b.tgz"_s;
    QTest::newRow("empty-server-dotted-bucket")
        << QString() << u"a.b"_s << QString() << QString() << autoStyle
        << u"https://s3.us-east-1.amazonaws.com/a.b/"_s << true << u"us-east-1"_s << u"default"_s
        << u"https://s3.us-east-1.amazonaws.com/a.b/a/b.tgz"_s;
    QTest::newRow("region-parameter-beats-host")
        << u"s3.us-west-2.amazonaws.com"_s << u"cache"_s << u"eu-west-3"_s << u"ca-central-1"_s << autoStyle
        << u"https://cache.s3.us-west-2.amazonaws.com/"_s << false << u"eu-west-3"_s << u"parameter"_s
        << u"https://cache.s3.us-west-2.amazonaws.com/a/b.tgz"_s;
    QTest::newRow("host-region-beats-aws-region")
        << u"s3.us-west-2.amazonaws.com"_s << u"cache"_s << QString() << u"ca-central-1"_s << autoStyle
        << u"https://cache.s3.us-west-2.amazonaws.com/"_s << false << u"us-west-2"_s << u"host"_s
        << u"https://cache.s3.us-west-2.amazonaws.com/a/b.tgz"_s;
    QTest::newRow("minio-path-style")
        << u"https://minio.example.com:9000"_s << u"cache"_s << QString() << QString() << autoStyle
        << u"https://minio.example.com:9000/cache/"_s << true << u"us-east-1"_s << u"default"_s
        << u"https://minio.example.com:9000/cache/a/b.tgz"_s;
    QTest::newRow("minio-explicit-virtual-host")
        << u"https://minio.example.com"_s << u"cache"_s << QString() << u"eu-west-1"_s << OptionalBool(false)
        << u"https://cache.minio.example.com/"_s << false << u"eu-west-1"_s << u"AWS_REGION"_s
        << u"https://cache.minio.example.com/a/b.tgz"_s;
    QTest::newRow("ip-http-path-style")
        << u"http://127.0.0.1:9000"_s << u"cache"_s << QString() << QString() << autoStyle
        << u"http://127.0.0.1:9000/cache/"_s << true << u"us-east-1"_s << u"default"_s
        << u"http://127.0.0.1:9000/cache/a/b.tgz"_s;
    QTest::newRow("localhost-path-style")
        << u"http://localhost:4568/"_s << u"cache"_s << QString() << QString() << autoStyle
        << u"http://localhost:4568/cache/"_s << true << u"us-east-1"_s << u"default"_s
        << u"http://localhost:4568/cache/a/b.tgz"_s;
    QTest::newRow("default-port-dropped")
        << u"https://minio.example.com:443"_s << u"cache"_s << QString() << QString() << autoStyle
        << u"https://minio.example.com/cache/"_s << true << u"us-east-1"_s << u"default"_s
        << u"https://minio.example.com/cache/a/b.tgz"_s;
    QTest::newRow("upper-case-host")
        << u"HTTPS://S3.US-WEST-2.AMAZONAWS.COM"_s << u"cache"_s << QString() << QString() << autoStyle
        << u"https://cache.s3.us-west-2.amazonaws.com/"_s << false << u"us-west-2"_s << u"host"_s
        << u"https://cache.s3.us-west-2.amazonaws.com/a/b.tgz"_s;
    QTest::newRow("non-aws-host-region-not-guessed")
        << u"s3.us-west-1.wasabisys.com"_s << u"cache"_s << QString() << QString() << autoStyle
        << u"https://s3.us-west-1.wasabisys.com/cache/"_s << true << u"us-east-1"_s << u"default"_s
        << u"https://s3.us-west-1.wasabisys.com/cache/a/b.tgz"_s;
}

void TestEndpoint::resolve()
{
    QFETCH(QString, server);
    QFETCH(QString, bucket);
    QFETCH(QString, region);
    QFETCH(QString, fallbackRegion);
    QFETCH(OptionalBool, pathStyle);
    QFETCH(QString, bucketUrl);
    QFETCH(bool, isPathStyle);
    QFETCH(QString, expectedRegion);
    QFETCH(QString, regionSource);
    QFETCH(QString, objectUrl);

    const Result<Endpoint> endpoint = resolveEndpoint({server, bucket, region, fallbackRegion, pathStyle});
    QVERIFY2(endpoint.ok(), qPrintable(endpoint.error().message()));
    QCOMPARE(endpoint->bucketUrl().toString(), bucketUrl);
    QCOMPARE(endpoint->pathStyle, isPathStyle);
    QCOMPARE(endpoint->region, expectedRegion);
    QCOMPARE(endpoint->regionSource, regionSource);
    QCOMPARE(endpoint->bucket, bucket);
    QCOMPARE(endpoint->objectUrl(u"a/b.tgz"_s).toString(), objectUrl);
    // The request path never holds the bucket twice.
    QCOMPARE(endpoint->requestPath(u"k"_s), isPathStyle ? u"/"_s + bucket + u"/k"_s : u"/k"_s);
}

void TestEndpoint::errors_data()
{
    QTest::addColumn<QString>("server");
    QTest::addColumn<QString>("bucket");
    QTest::addColumn<OptionalBool>("pathStyle");
    QTest::addColumn<QString>("messagePart");

    QTest::newRow("ftp-scheme") << u"ftp://files.example.com"_s << u"cache"_s << OptionalBool()
                                << u"unsupported scheme \"ftp\""_s;
    QTest::newRow("no-bucket") << u"https://minio.example.com"_s << QString() << OptionalBool() << u"no bucket"_s;
    QTest::newRow("bucket-with-slash") << u"https://minio.example.com"_s << u"a/b"_s << OptionalBool()
                                       << u"not allowed in a bucket name"_s;
    QTest::newRow("server-with-path") << u"https://minio.example.com/some/path"_s << u"cache"_s << OptionalBool()
                                      << u"must not contain a path"_s;
    QTest::newRow("garbage") << u"http://"_s << u"cache"_s << OptionalBool() << u"not a valid host"_s;
    // Found by fuzz_endpoint (tests/fuzz/regressions/fuzz_endpoint): control characters in the
    // bucket or the region made a host name that cannot be sent.
    QTest::newRow("bucket-with-control-char") << QString() << u"bucke\u0005t"_s << OptionalBool(false)
                                              << u"not allowed in a bucket name"_s;
    QTest::newRow("bucket-not-a-host-label") << u"https://s3.us-east-1.amazonaws.com"_s << u"a..b"_s
                                             << OptionalBool(false) << u"cannot be part of a host name"_s;
    QTest::newRow("bucket-with-colon") << u"https://minio.example.com"_s << u"a:b"_s << OptionalBool()
                                       << u"not allowed in a bucket name"_s;
    for (const QString &name : {u"ab"_s, u"."_s, u".."_s, u"-bucket"_s, u"bucket-"_s, QString(256, u'a')})
        QTest::newRow(qPrintable(u"bucket-shape-"_s + name.left(8))) << u"https://minio.example.com"_s << name << OptionalBool()
                                                                  << u"is not a bucket name: 3 to 63 characters"_s;
    QTest::newRow("virtual-host-on-ip") << u"http://10.0.0.1:9000"_s << u"cache"_s << OptionalBool(false)
                                        << u"IP address"_s;
}

void TestEndpoint::errors()
{
    QFETCH(QString, server);
    QFETCH(QString, bucket);
    QFETCH(OptionalBool, pathStyle);
    QFETCH(QString, messagePart);

    const Result<Endpoint> endpoint = resolveEndpoint({server, bucket, {}, {}, pathStyle});
    QVERIFY(!endpoint.ok());
    QCOMPARE(endpoint.error().kind(), ErrorKind::InvalidInput);
    QVERIFY2(endpoint.error().message().contains(messagePart), qPrintable(endpoint.error().message()));
}

void TestEndpoint::badRegion_data()
{
    QTest::addColumn<QString>("region");
    QTest::addColumn<QString>("fallbackRegion");
    QTest::newRow("nul-and-control") << u"us-west\u0005\u0000-2"_s << QString();
    QTest::newRow("slash") << u"us-west-2/s3"_s << QString();
    QTest::newRow("space-inside") << u"us west 2"_s << QString();
    QTest::newRow("from-aws-region") << QString() << u"eu-west-1\n"_s + QChar(0x7f);
    QTest::newRow("label-starts-with-dash") << u"apio.-1"_s << QString();  // fuzz_endpoint regression
}

void TestEndpoint::badRegion()
{
    QFETCH(QString, region);
    QFETCH(QString, fallbackRegion);
    for (const QString &server : {QString(), u"http://127.0.0.1:9000"_s}) {
        if (!server.isEmpty() && region == u"apio.-1")
            continue;  // only a problem where the region makes the host name
        const Result<Endpoint> endpoint = resolveEndpoint({server, u"cache"_s, region, fallbackRegion, {}});
        QVERIFY(!endpoint.ok());
        QCOMPARE(endpoint.error().kind(), ErrorKind::InvalidInput);
        QVERIFY2(endpoint.error().message().contains(u"is not a region name"_s), qPrintable(endpoint.error().message()));
    }
    // Custom region names of other stores stay accepted.
    QVERIFY(resolveEndpoint({u"http://127.0.0.1:9000"_s, u"cache"_s, u"my_region.A1"_s, {}, {}}).ok());
}

void TestEndpoint::objectUrlEncodesKeys_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QByteArray>("encodedPath");

    QTest::newRow("space") << u"my cache/file.tgz"_s << QByteArray("/bkt/my%20cache/file.tgz");
    QTest::newRow("plus-equals") << u"a+b=c"_s << QByteArray("/bkt/a%2Bb%3Dc");
    QTest::newRow("percent") << u"100%/x"_s << QByteArray("/bkt/100%25/x");
    QTest::newRow("unicode") << u"é/日本"_s << QByteArray("/bkt/%C3%A9/%E6%97%A5%E6%9C%AC");
    QTest::newRow("tilde-kept") << u"~user"_s << QByteArray("/bkt/~user");
    QTest::newRow("question-hash") << u"q?x#y"_s << QByteArray("/bkt/q%3Fx%23y");
    QTest::newRow("double-slash-kept") << u"a//b"_s << QByteArray("/bkt/a//b");
    QTest::newRow("sub-delims") << u"!$&'()*,;:@"_s << QByteArray("/bkt/%21%24%26%27%28%29%2A%2C%3B%3A%40");
}

void TestEndpoint::objectUrlEncodesKeys()
{
    QFETCH(QString, key);
    QFETCH(QByteArray, encodedPath);
    const Result<Endpoint> endpoint = resolveEndpoint({u"http://127.0.0.1:9000"_s, u"bkt"_s, {}, {}, {}});
    QVERIFY(endpoint.ok());
    // What Qt puts on the wire (the encoded URL) must be the SigV4 canonical URI.
    const QUrl url = endpoint->objectUrl(key);
    QCOMPARE(url.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority), encodedPath);
    QCOMPARE(url.path(), u"/bkt/"_s + key);
}

void TestEndpoint::describe()
{
    const Result<Endpoint> aws = resolveEndpoint({u"mybucket.s3-us-west-2.amazonaws.com"_s, u"mybucket"_s, {}, {}, {}});
    QVERIFY(aws.ok());
    QCOMPARE(aws->describe(), u"https://mybucket.s3-us-west-2.amazonaws.com (virtual-host, region us-west-2 from host)"_s);
    const Result<Endpoint> local = resolveEndpoint({u"http://127.0.0.1:9000"_s, u"cache"_s, {}, {}, {}});
    QVERIFY(local.ok());
    QCOMPARE(local->describe(), u"http://127.0.0.1:9000/cache (path-style, region us-east-1 from default)"_s);
    QCOMPARE(local->hostHeader(), QByteArray("127.0.0.1:9000"));
}

void TestEndpoint::accelerate_data()
{
    QTest::addColumn<QString>("server");
    QTest::addColumn<QString>("bucket");
    QTest::addColumn<QString>("accelerateHost");
    QTest::addColumn<OptionalBool>("pathStyle");
    QTest::addColumn<QString>("result");  // the bucket URL, or a part of the error message

    const OptionalBool autoStyle;
    QTest::newRow("no-server") << QString() << u"ci-cache"_s << u"s3-accelerate.amazonaws.com"_s << autoStyle
                               << u"https://ci-cache.s3-accelerate.amazonaws.com/"_s;
    QTest::newRow("dualstack") << QString() << u"ci-cache"_s << u"s3-accelerate.dualstack.amazonaws.com"_s << autoStyle
                               << u"https://ci-cache.s3-accelerate.dualstack.amazonaws.com/"_s;
    QTest::newRow("aws-server") << u"s3.eu-west-1.amazonaws.com"_s << u"ci-cache"_s << u"s3-accelerate.amazonaws.com"_s
                                << autoStyle << u"https://ci-cache.s3-accelerate.amazonaws.com/"_s;
    QTest::newRow("plugin-bucket-in-host") << u"ci-cache.s3-us-west-2.amazonaws.com"_s << u"ci-cache"_s
                                           << u"S3-Accelerate.amazonaws.com"_s << autoStyle
                                           << u"https://ci-cache.s3-accelerate.amazonaws.com/"_s;
    QTest::newRow("virtual-host-asked") << QString() << u"ci-cache"_s << u"s3-accelerate.amazonaws.com"_s
                                        << OptionalBool(false) << u"https://ci-cache.s3-accelerate.amazonaws.com/"_s;
    QTest::newRow("dotted-bucket") << QString() << u"ci.cache"_s << u"s3-accelerate.amazonaws.com"_s << autoStyle
                                   << u"the bucket name \"ci.cache\" has dots"_s;
    QTest::newRow("minio-server") << u"http://127.0.0.1:9000"_s << u"ci-cache"_s << u"s3-accelerate.amazonaws.com"_s
                                  << autoStyle << u"the server 127.0.0.1 is not AWS S3"_s;
    QTest::newRow("path-style") << QString() << u"ci-cache"_s << u"s3-accelerate.amazonaws.com"_s << OptionalBool(true)
                                << u"needs virtual-host addressing"_s;
    QTest::newRow("not-an-accelerate-host") << QString() << u"ci-cache"_s << u"s3.amazonaws.com"_s << autoStyle
                                            << u"is not an S3 Transfer Acceleration host"_s;
    QTest::newRow("foreign-host") << QString() << u"ci-cache"_s << u"s3-accelerate.example.com"_s << autoStyle
                                  << u"is not an S3 Transfer Acceleration host"_s;
}

void TestEndpoint::accelerate()
{
    QFETCH(QString, server);
    QFETCH(QString, bucket);
    QFETCH(QString, accelerateHost);
    QFETCH(OptionalBool, pathStyle);
    QFETCH(QString, result);
    EndpointOptions options{server, bucket, {}, u"eu-central-1"_s, pathStyle};
    options.accelerateHost = accelerateHost;
    const Result<Endpoint> endpoint = resolveEndpoint(options);
    if (!result.startsWith(u"https://"_s)) {
        QVERIFY(!endpoint.ok());
        QCOMPARE(endpoint.error().kind(), ErrorKind::InvalidInput);
        QVERIFY2(endpoint.error().message().contains(result), qPrintable(endpoint.error().message()));
        return;
    }
    QVERIFY2(endpoint.ok(), qPrintable(endpoint.error().message()));
    QCOMPARE(endpoint->bucketUrl().toString(), result);
    QVERIFY(endpoint->accelerated);
    QVERIFY(!endpoint->pathStyle);
    QCOMPARE(endpoint->objectUrl(u"a b/c.tar.zst"_s).toString(QUrl::FullyEncoded), result + u"a%20b/c.tar.zst"_s);
    // The region still signs: the one the server names, else the fallback.
    QCOMPARE(endpoint->region, server.contains(u"west"_s) ? (server.contains(u"eu-west-1"_s) ? u"eu-west-1"_s : u"us-west-2"_s)
                                                          : u"eu-central-1"_s);
    QVERIFY2(endpoint->describe().contains(u"virtual-host, transfer acceleration"_s), qPrintable(endpoint->describe()));
}

void TestEndpoint::serviceEndpoint_data()
{
    QTest::addColumn<QString>("server");
    QTest::addColumn<QString>("bucket");
    QTest::addColumn<QString>("accelerateHost");
    QTest::addColumn<QString>("url");  // where ListBuckets goes

    QTest::newRow("aws-virtual-host") << QString() << u"ci-cache"_s << QString() << u"https://s3.eu-west-1.amazonaws.com/"_s;
    QTest::newRow("aws-dotted-path-style") << QString() << u"ci.cache"_s << QString() << u"https://s3.eu-west-1.amazonaws.com/"_s;
    QTest::newRow("bucket-in-host") << u"ci-cache.s3.eu-west-1.amazonaws.com"_s << u"ci-cache"_s << QString()
                                    << u"https://s3.eu-west-1.amazonaws.com/"_s;
    QTest::newRow("accelerated") << QString() << u"ci-cache"_s << u"s3-accelerate.amazonaws.com"_s
                                 << u"https://s3.eu-west-1.amazonaws.com/"_s;
    QTest::newRow("minio") << u"http://127.0.0.1:9000"_s << u"ci-cache"_s << QString() << u"http://127.0.0.1:9000/"_s;
}

void TestEndpoint::serviceEndpoint()
{
    QFETCH(QString, server);
    QFETCH(QString, bucket);
    QFETCH(QString, accelerateHost);
    QFETCH(QString, url);
    EndpointOptions options{server, bucket, u"eu-west-1"_s, {}, {}};
    options.accelerateHost = accelerateHost;
    const Result<Endpoint> endpoint = resolveEndpoint(options);
    QVERIFY2(endpoint.ok(), qPrintable(endpoint.error().toString()));
    const Endpoint service = endpoint->serviceEndpoint();
    QCOMPARE(service.objectUrl(QString()).toString(), url);
    QCOMPARE(service.requestPath(QString()), u"/"_s);
    QCOMPARE(service.region, u"eu-west-1"_s);
}

QTEST_GUILESS_MAIN(TestEndpoint)
#include "tst_endpoint.moc"
