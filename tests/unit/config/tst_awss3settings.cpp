// The AWS conventions for the S3 endpoint (config/awss3settings.h, docs/behaviour.md §4): every
// endpoint source in its rank, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS and the profile's
// ignore_configured_endpoint_urls, addressing_style, the profile's region and ca_bundle, and the
// same rules seen through the CLI's resolveConfig() (with `s3cache config`'s sources).

#include "config/awss3settings.h"
#include "config/config.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;
using namespace Qt::StringLiterals;

using OptionalBool = std::optional<bool>;

class TestAwsS3Settings : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void endpointPrecedence_data();
    void endpointPrecedence();
    void addressingStyle_data();
    void addressingStyle();
    void region();
    void caBundle();
    void errors_data();
    void errors();
    void applyToKeepsGivenValues();
    void throughTheCli();
    void cliServerParameterWins();

private:
    // "$HOME" in a value is the temporary home directory.
    QProcessEnvironment environment(const QStringList &variables) const;
    void writeConfig(const QString &text);
    std::unique_ptr<QTemporaryDir> m_home;
};

void TestAwsS3Settings::init()
{
    m_home = std::make_unique<QTemporaryDir>();
    QVERIFY(m_home->isValid());
    QVERIFY(QDir(m_home->path()).mkpath(u".aws"_s));
}

QProcessEnvironment TestAwsS3Settings::environment(const QStringList &variables) const
{
    QProcessEnvironment env;
    env.insert(u"HOME"_s, m_home->path());
    for (const QString &v : variables) {
        const qsizetype eq = v.indexOf(u'=');
        env.insert(v.left(eq), v.mid(eq + 1).replace(u"$HOME"_s, m_home->path()));
    }
    return env;
}

void TestAwsS3Settings::writeConfig(const QString &text)
{
    QFile file(m_home->filePath(u".aws/config"_s));
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(text.toUtf8());
}

namespace {

// One parameter row of `s3cache config` (Config::describe): "  name<padding> value (source".
QString row(const QString &name, const QString &valueAndSource)
{
    return u"  "_s + name.leftJustified(18) + u' ' + valueAndSource;
}

// A config file with every endpoint source set, each to a different URL.
const QString everySource = u"[profile ci]\n"
                            "endpoint_url = http://profile-endpoint:1\n"
                            "services = ci-services\n"
                            "[services ci-services]\n"
                            "s3 =\n"
                            "  endpoint_url = http://services-endpoint:2\n"
                            "sts =\n"
                            "  endpoint_url = http://sts-only:9\n"_s;

} // namespace

void TestAwsS3Settings::endpointPrecedence_data()
{
    QTest::addColumn<QString>("config");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("url");       // empty: none
    QTest::addColumn<QString>("source");    // a part of the source
    QTest::addColumn<QString>("ignoredBy");

    const QStringList profile{u"AWS_PROFILE=ci"_s};
    const QStringList all = profile + QStringList{u"AWS_ENDPOINT_URL_S3=http://s3-variable:3"_s,
                                                  u"AWS_ENDPOINT_URL=http://global-variable:4"_s};
    QTest::newRow("AWS_ENDPOINT_URL_S3-first") << everySource << all << u"http://s3-variable:3"_s
                                               << u"AWS_ENDPOINT_URL_S3"_s << QString();
    QTest::newRow("then-AWS_ENDPOINT_URL") << everySource << (profile + QStringList{u"AWS_ENDPOINT_URL=http://global-variable:4"_s})
                                           << u"http://global-variable:4"_s << u"AWS_ENDPOINT_URL"_s << QString();
    QTest::newRow("then-services-section") << everySource << profile << u"http://services-endpoint:2"_s
                                           << u"[services ci-services] of profile ci in "_s << QString();
    QTest::newRow("then-profile-endpoint_url")
        << u"[profile ci]\nendpoint_url = http://profile-endpoint:1\n"_s << profile << u"http://profile-endpoint:1"_s
        << u"profile ci in "_s << QString();
    QTest::newRow("services-without-s3-falls-to-profile")
        << u"[profile ci]\nendpoint_url = http://profile-endpoint:1\nservices = x\n[services x]\nsts =\n  endpoint_url = http://sts:1\n"_s
        << profile << u"http://profile-endpoint:1"_s << u"profile ci in "_s << QString();
    QTest::newRow("missing-services-section-falls-to-profile")
        << u"[profile ci]\nendpoint_url = http://profile-endpoint:1\nservices = nowhere\n"_s << profile
        << u"http://profile-endpoint:1"_s << u"profile ci in "_s << QString();
    QTest::newRow("default-profile") << u"[default]\nendpoint_url = http://default-profile:5\n"_s << QStringList{}
                                     << u"http://default-profile:5"_s << u"profile default in "_s << QString();
    QTest::newRow("other-profile-not-read") << everySource << QStringList{} << QString() << QString() << QString();
    QTest::newRow("nothing") << QString() << QStringList{} << QString() << QString() << QString();
    QTest::newRow("ignored-by-variable") << everySource << (all + QStringList{u"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true"_s})
                                         << QString() << QString() << u"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"_s;
    QTest::newRow("ignored-by-profile")
        << QString(everySource).replace(u"services = ci-services\n"_s,
                                        u"services = ci-services\nignore_configured_endpoint_urls = yes\n"_s)
        << profile << QString() << QString() << u"ignore_configured_endpoint_urls of profile ci"_s;
    QTest::newRow("ignore-flag-in-profile")
        << u"[profile ci]\nendpoint_url = http://profile-endpoint:1\nignore_configured_endpoint_urls = true\n"_s
        << (profile + QStringList{u"AWS_ENDPOINT_URL_S3=http://s3-variable:3"_s}) << QString() << QString()
        << u"ignore_configured_endpoint_urls of profile ci"_s;
    QTest::newRow("variable-false-beats-profile-true")
        << u"[profile ci]\nendpoint_url = http://profile-endpoint:1\nignore_configured_endpoint_urls = true\n"_s
        << (profile + QStringList{u"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false"_s}) << u"http://profile-endpoint:1"_s
        << u"profile ci in "_s << QString();
    QTest::newRow("ignore-false") << everySource << (all + QStringList{u"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=false"_s})
                                  << u"http://s3-variable:3"_s << u"AWS_ENDPOINT_URL_S3"_s << QString();
    QTest::newRow("empty-variable-is-unset") << everySource << (profile + QStringList{u"AWS_ENDPOINT_URL_S3="_s})
                                             << u"http://services-endpoint:2"_s << u"[services ci-services]"_s << QString();
}

void TestAwsS3Settings::endpointPrecedence()
{
    QFETCH(QString, config);
    QFETCH(QStringList, env);
    QFETCH(QString, url);
    QFETCH(QString, source);
    QFETCH(QString, ignoredBy);
    writeConfig(config);
    const Result<AwsS3Settings> settings = readAwsS3Settings(environment(env), m_home->path());
    QVERIFY2(settings.ok(), qPrintable(settings.error().toString()));
    QCOMPARE(settings->endpointUrl.has_value(), !url.isEmpty());
    if (!url.isEmpty()) {
        QCOMPARE(settings->endpointUrl->value, url);
        QVERIFY2(settings->endpointUrl->source.startsWith(source), qPrintable(settings->endpointUrl->source));
        if (source.contains(u" in "_s))
            QVERIFY2(settings->endpointUrl->source.endsWith(u".aws/config"_s), qPrintable(settings->endpointUrl->source));
    }
    QVERIFY2(settings->endpointsIgnoredBy.startsWith(ignoredBy), qPrintable(settings->endpointsIgnoredBy));
    QCOMPARE(settings->endpointsIgnoredBy.isEmpty(), ignoredBy.isEmpty());
}

void TestAwsS3Settings::addressingStyle_data()
{
    QTest::addColumn<QString>("config");
    QTest::addColumn<OptionalBool>("pathStyle");

    QTest::newRow("path") << u"[default]\ns3 =\n  addressing_style = path\n"_s << OptionalBool(true);
    QTest::newRow("virtual") << u"[default]\ns3 =\n  addressing_style = virtual\n"_s << OptionalBool(false);
    QTest::newRow("auto") << u"[default]\ns3 =\n  addressing_style = auto\n"_s << OptionalBool();
    QTest::newRow("upper-case") << u"[default]\ns3 =\n  addressing_style = Path\n"_s << OptionalBool(true);
    QTest::newRow("unset") << u"[default]\nregion = eu-west-1\n"_s << OptionalBool();
    QTest::newRow("top-level-is-not-s3") << u"[default]\naddressing_style = path\n"_s << OptionalBool();
}

void TestAwsS3Settings::addressingStyle()
{
    QFETCH(QString, config);
    QFETCH(OptionalBool, pathStyle);
    writeConfig(config);
    const Result<AwsS3Settings> settings = readAwsS3Settings(environment({}), m_home->path());
    QVERIFY2(settings.ok(), qPrintable(settings.error().toString()));
    QCOMPARE(settings->pathStyle, pathStyle);
    if (pathStyle)
        QVERIFY(settings->pathStyleSource.startsWith(u"addressing_style of profile default in "_s));
}

void TestAwsS3Settings::region()
{
    writeConfig(u"[profile ci]\nregion = eu-north-1\n"_s);
    Result<AwsS3Settings> s = readAwsS3Settings(environment({u"AWS_PROFILE=ci"_s}), m_home->path());
    QVERIFY(s.ok());
    QCOMPARE(s->region->value, u"eu-north-1"_s);
    QVERIFY(s->region->source.startsWith(u"profile ci in "_s));
    s = readAwsS3Settings(environment({u"AWS_PROFILE=ci"_s, u"AWS_DEFAULT_REGION=ap-south-1"_s}), m_home->path());
    QCOMPARE(s->region->value, u"ap-south-1"_s);
    QCOMPARE(s->region->source, u"AWS_DEFAULT_REGION"_s);
    s = readAwsS3Settings(environment({u"AWS_PROFILE=ci"_s, u"AWS_DEFAULT_REGION=ap-south-1"_s, u"AWS_REGION=sa-east-1"_s}),
                          m_home->path());
    QCOMPARE(s->region->value, u"sa-east-1"_s);
    QCOMPARE(s->region->source, u"AWS_REGION"_s);
    s = readAwsS3Settings(environment({}), m_home->path());
    QVERIFY(!s->region.has_value());
    // The endpoint layer then ranks them below the parameter and the host (endpoint.h).
    EndpointOptions options{u"https://s3.us-west-2.amazonaws.com"_s, u"bkt"_s, {}, {}, {}};
    s = readAwsS3Settings(environment({u"AWS_PROFILE=ci"_s}), m_home->path());
    s->applyTo(&options, nullptr);
    QCOMPARE(resolveEndpoint(options)->region, u"us-west-2"_s);
    options.server = u"http://127.0.0.1:9000"_s;
    const Result<Endpoint> local = resolveEndpoint(options);
    QCOMPARE(local->region, u"eu-north-1"_s);
    QVERIFY(local->regionSource.startsWith(u"profile ci in "_s));
}

void TestAwsS3Settings::caBundle()
{
    const QString pem = m_home->filePath(u"ca.pem"_s);
    const QString other = m_home->filePath(u"other.pem"_s);
    for (const QString &path : {pem, other}) {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("-----BEGIN CERTIFICATE-----\n");
    }
    writeConfig(u"[default]\nca_bundle = "_s + other + u"\n"_s);
    Result<AwsS3Settings> s = readAwsS3Settings(environment({}), m_home->path());
    QVERIFY(s.ok());
    QCOMPARE(s->caBundle->value, other);
    QVERIFY(s->caBundle->source.startsWith(u"ca_bundle of profile default in "_s));
    s = readAwsS3Settings(environment({u"AWS_CA_BUNDLE="_s + pem}), m_home->path());
    QCOMPARE(s->caBundle->value, pem);
    QCOMPARE(s->caBundle->source, u"AWS_CA_BUNDLE"_s);
    QString given = u"/given.pem"_s;
    EndpointOptions options;
    s->applyTo(&options, &given);
    QCOMPARE(given, u"/given.pem"_s);
    QString none;
    s->applyTo(&options, &none);
    QCOMPARE(none, pem);
}

void TestAwsS3Settings::errors_data()
{
    QTest::addColumn<QString>("config");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("message");

    QTest::newRow("bad-addressing-style") << u"[default]\ns3 =\n  addressing_style = sideways\n"_s << QStringList{}
                                          << u"addressing_style of profile default in "_s;
    QTest::newRow("bad-ignore-variable") << QString() << QStringList{u"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=maybe"_s}
                                         << u"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: "_s;
    QTest::newRow("missing-ca-bundle") << QString() << QStringList{u"AWS_CA_BUNDLE=$HOME/nope.pem"_s}
                                       << u"(from AWS_CA_BUNDLE) is not a readable file"_s;
    QTest::newRow("missing-profile-ca-bundle") << u"[default]\nca_bundle = /nonexistent/ca.pem\n"_s << QStringList{}
                                               << u"(from ca_bundle of profile default in "_s;
    QTest::newRow("malformed-file") << u"[default]\nthis is not a setting\n"_s << QStringList{} << u"line 2"_s;
}

void TestAwsS3Settings::errors()
{
    QFETCH(QString, config);
    QFETCH(QStringList, env);
    QFETCH(QString, message);
    writeConfig(config);
    const Result<AwsS3Settings> s = readAwsS3Settings(environment(env), m_home->path());
    QVERIFY(!s.ok());
    QVERIFY2(s.error().message().contains(message), qPrintable(s.error().message()));
}

void TestAwsS3Settings::applyToKeepsGivenValues()
{
    writeConfig(u"[default]\nendpoint_url = http://profile:1\nregion = eu-west-3\ns3 =\n  addressing_style = virtual\n"_s);
    const Result<AwsS3Settings> s = readAwsS3Settings(environment({}), m_home->path());
    QVERIFY(s.ok());
    EndpointOptions given{u"http://given:2"_s, u"bkt"_s, {}, u"us-west-1"_s, OptionalBool(true)};
    s->applyTo(&given, nullptr);
    QCOMPARE(given.server, u"http://given:2"_s);
    QCOMPARE(given.fallbackRegion, u"us-west-1"_s);
    QCOMPARE(given.pathStyle, OptionalBool(true));
    EndpointOptions empty;
    s->applyTo(&empty, nullptr);
    QCOMPARE(empty.server, u"http://profile:1"_s);
    QCOMPARE(empty.fallbackRegion, u"eu-west-3"_s);
    QCOMPARE(empty.pathStyle, OptionalBool(false));
}

void TestAwsS3Settings::throughTheCli()
{
    writeConfig(u"[profile ci]\nregion = eu-west-3\nservices = ci\nca_bundle = $PEM\ns3 =\n  addressing_style = virtual\n"
                "[services ci]\ns3 =\n  endpoint_url = http://minio.internal:9000\n"_s.replace(
                    u"$PEM"_s, m_home->filePath(u".aws/config"_s)));
    const QStringList base{u"AWS_PROFILE=ci"_s, u"PARAMETER_ROOT=cache"_s, u"VELA_REPO_ORG=o"_s, u"VELA_REPO_NAME=r"_s};
    const auto resolve = [&](const QStringList &args, const QStringList &extra) {
        const Result<CommandLine> cmd = parseCommandLine(QStringList{u"config"_s} + args);
        return resolveConfig(*cmd, environment(base + extra), m_home->path());
    };
    Result<Config> c = resolve({}, {});
    QVERIFY2(c.ok(), qPrintable(c.error().toString()));
    QCOMPARE(c->resolvedEndpoint.host, u"cache.minio.internal"_s);  // virtual-host from addressing_style
    QCOMPARE(c->resolvedEndpoint.port, 9000);
    QCOMPARE(c->resolvedEndpoint.region, u"eu-west-3"_s);
    QCOMPARE(c->caBundle, m_home->filePath(u".aws/config"_s));
    const QString text = c->describe();
    QVERIFY2(text.contains(row(u"server"_s, u"http://minio.internal:9000 ([services ci] of profile ci in "_s)), qPrintable(text));
    QVERIFY2(text.contains(row(u"path_style"_s, u"false (addressing_style of profile ci in "_s)), qPrintable(text));
    QVERIFY2(text.contains(u"region:      eu-west-3 (from profile ci in "_s), qPrintable(text));
    QVERIFY2(text.contains(row(u"ca_bundle"_s, m_home->filePath(u".aws/config"_s) + u" (ca_bundle of profile ci in "_s)),
             qPrintable(text));

    // AWS_ENDPOINT_URL_S3 over the profile; path_style over addressing_style; AWS_REGION over the profile.
    c = resolve({u"--path-style"_s}, {u"AWS_ENDPOINT_URL_S3=http://127.0.0.1:5000"_s, u"AWS_REGION=us-west-1"_s});
    QVERIFY2(c.ok(), qPrintable(c.error().toString()));
    QCOMPARE(c->resolvedEndpoint.bucketUrl().toString(), u"http://127.0.0.1:5000/cache/"_s);
    QCOMPARE(c->resolvedEndpoint.region, u"us-west-1"_s);
    QVERIFY(c->describe().contains(row(u"server"_s, u"http://127.0.0.1:5000 (AWS_ENDPOINT_URL_S3)"_s)));

    // Ignoring configured endpoints: AWS's own endpoint, said so by `config`.
    c = resolve({}, {u"AWS_ENDPOINT_URL_S3=http://127.0.0.1:5000"_s, u"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true"_s});
    QVERIFY2(c.ok(), qPrintable(c.error().toString()));
    QCOMPARE(c->resolvedEndpoint.host, u"cache.s3.eu-west-3.amazonaws.com"_s);
    QVERIFY(c->describe().contains(u"configured endpoint URLs ignored (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)"_s));

    // A file:// URL is for the server parameter only.
    c = resolve({}, {u"AWS_ENDPOINT_URL=file:///tmp/store"_s});
    QVERIFY(!c.ok());
    QVERIFY2(c.error().message().contains(u"(from AWS_ENDPOINT_URL)"_s), qPrintable(c.error().message()));
}

void TestAwsS3Settings::cliServerParameterWins()
{
    writeConfig(u"[default]\nendpoint_url = http://profile:1\n"_s);
    const Result<CommandLine> cmd = parseCommandLine({u"config"_s});
    const Result<Config> c = resolveConfig(
        *cmd,
        environment({u"PARAMETER_SERVER=http://given:2"_s, u"AWS_ENDPOINT_URL_S3=http://variable:3"_s,
                     u"PARAMETER_ROOT=cache"_s}),
        m_home->path());
    QVERIFY2(c.ok(), qPrintable(c.error().toString()));
    QCOMPARE(c->resolvedEndpoint.host, u"given"_s);
    QVERIFY(c->describe().contains(row(u"server"_s, u"http://given:2 (PARAMETER_SERVER)"_s)));
}

QTEST_GUILESS_MAIN(TestAwsS3Settings)
#include "tst_awss3settings.moc"
