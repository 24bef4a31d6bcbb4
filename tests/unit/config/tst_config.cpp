// Configuration resolution (docs/behaviour.md §2-§4, §8): sources and their precedence, the plugin page's
// samples, value parsers, the command line, bad input and secret masking.

#include "config/config.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTemporaryFile>
#include <QTest>

using namespace s3cache;

namespace {

const QString secretKey = QStringLiteral("SeCrEtDistinct/xyzzy+0123456789");
const QString sessionToken = QStringLiteral("ToKeNDistinct//plugh==");
const QString accessKey = QStringLiteral("AKIADISTINCTACCESS01");

// The plugin page's restore sample, as Vela passes it (parameters + secrets + repo metadata).
const QStringList pluginRestore{
    QStringLiteral("PARAMETER_ACTION=restore"), QStringLiteral("PARAMETER_ROOT=mybucket"),
    QStringLiteral("PARAMETER_SERVER=mybucket.s3-us-west-2.amazonaws.com"),
    QStringLiteral("CACHE_S3_ACCESS_KEY=") + accessKey, QStringLiteral("CACHE_S3_SECRET_KEY=") + secretKey,
    QStringLiteral("VELA_REPO_ORG=octo"), QStringLiteral("VELA_REPO_NAME=app")};

QStringList with(QStringList base, const QStringList &overrides)
{
    for (const QString &o : overrides) {
        const QString name = o.left(o.indexOf(u'=') + 1);
        base.erase(std::remove_if(base.begin(), base.end(), [&](const QString &v) { return v.startsWith(name); }),
                   base.end());
        base << o;
    }
    return base;
}

} // namespace

class TestConfig : public QObject
{
    Q_OBJECT

private slots:
    void init();

    void precedence_data();
    void precedence();
    void velaRootFromEnvironment();
    void regionAndCredentialSources();

    void pluginSamples_data();
    void pluginSamples();
    void keys_data();
    void keys();
    void dedupKeyOutsidePrefixRefused();
    void fileStore_data();
    void fileStore();
    void mounts_data();
    void mounts();
    void defaultsAndValues();
    void objectWriteOptions();

    void durations_data();
    void durations();
    void sizes_data();
    void sizes();
    void bools_data();
    void bools();
    void lists_data();
    void lists();
    void actions();

    void commandLine_data();
    void commandLine();
    void commandLineErrors_data();
    void commandLineErrors();

    void badInput_data();
    void badInput();
    void describeMasksSecrets_data();
    void describeMasksSecrets();
    void acceleratedEndpoint_data();
    void acceleratedEndpoint();
    void proxyInDescribe();

private:
    // "NAME=value" items; "$VELA" and "$WS" are the temporary Vela root and workspace.
    QProcessEnvironment environment(const QStringList &variables) const;
    // [path relative to the Vela root, content, ...]
    void writeVelaFiles(const QStringList &files);
    Result<Config> resolve(const QStringList &args, const QStringList &env);

    std::unique_ptr<QTemporaryDir> m_vela;
    std::unique_ptr<QTemporaryDir> m_workspace;
};

void TestConfig::init()
{
    m_vela = std::make_unique<QTemporaryDir>();
    m_workspace = std::make_unique<QTemporaryDir>();
    QVERIFY(m_vela->isValid() && m_workspace->isValid());
}

QProcessEnvironment TestConfig::environment(const QStringList &variables) const
{
    QProcessEnvironment env;
    for (const QString &v : variables) {
        const qsizetype eq = v.indexOf(u'=');
        env.insert(v.left(eq), v.mid(eq + 1).replace(QStringLiteral("$VELA"), m_vela->path())
                                   .replace(QStringLiteral("$WS"), m_workspace->path()));
    }
    return env;
}

void TestConfig::writeVelaFiles(const QStringList &files)
{
    for (qsizetype i = 0; i + 1 < files.size(); i += 2) {
        const QString path = m_vela->filePath(files[i]);
        QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(files[i + 1].toUtf8());
    }
}

Result<Config> TestConfig::resolve(const QStringList &args, const QStringList &env)
{
    QStringList replaced;
    for (const QString &a : args)
        replaced << QString(a).replace(QStringLiteral("$WS"), m_workspace->path());
    const Result<CommandLine> cmd = parseCommandLine(replaced);
    if (!cmd.ok())
        return cmd.error();
    return resolveConfig(*cmd, environment(env), m_vela->path());
}

// ---------------------------------------------------------------------------------------------

void TestConfig::precedence_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QStringList>("flags");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QStringList>("files");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("source");

    // Every source of access_key, each row dropping the highest one of the row before.
    const QStringList files{QStringLiteral("parameters/s3-cache/access_key"), QStringLiteral("  from-parameter-file\n"),
                            QStringLiteral("secrets/s3-cache/access_key"), QStringLiteral("from-secret-file\n")};
    QStringList env{QStringLiteral("PARAMETER_ACCESS_KEY=from-parameter"), QStringLiteral("S3_CACHE_ACCESS_KEY=from-s3-cache"),
                    QStringLiteral("CACHE_S3_ACCESS_KEY=from-cache-s3"), QStringLiteral("AWS_ACCESS_KEY_ID=from-aws")};
    const QString a = QStringLiteral("access_key");
    QTest::newRow("flag") << a << QStringList{QStringLiteral("access_key=from-flag")} << env << files << "from-flag" << "--access-key";
    QTest::newRow("PARAMETER_") << a << QStringList{} << env << files << "from-parameter" << "PARAMETER_ACCESS_KEY";
    env.removeFirst();
    QTest::newRow("S3_CACHE_") << a << QStringList{} << env << files << "from-s3-cache" << "S3_CACHE_ACCESS_KEY";
    env.removeFirst();
    QTest::newRow("CACHE_S3_") << a << QStringList{} << env << files << "from-cache-s3" << "CACHE_S3_ACCESS_KEY";
    env.removeFirst();
    QTest::newRow("AWS_") << a << QStringList{} << env << files << "from-aws" << "AWS_ACCESS_KEY_ID";
    env.removeFirst();
    QTest::newRow("vela-parameter-file") << a << QStringList{} << env << files << "from-parameter-file"
                                         << "$VELA/parameters/s3-cache/access_key";
    QTest::newRow("vela-secret-file") << a << QStringList{} << env << files.mid(2) << "from-secret-file"
                                      << "$VELA/secrets/s3-cache/access_key";
    QTest::newRow("nothing") << a << QStringList{} << env << QStringList{} << "" << "";

    QTest::newRow("empty-counts-as-unset")
        << a << QStringList{QStringLiteral("access_key=")}
        << QStringList{QStringLiteral("PARAMETER_ACCESS_KEY="), QStringLiteral("S3_CACHE_ACCESS_KEY=  "),
                       QStringLiteral("CACHE_S3_ACCESS_KEY=kept")}
        << QStringList{QStringLiteral("parameters/s3-cache/access_key"), QStringLiteral("\n")} << "kept" << "CACHE_S3_ACCESS_KEY";
    QTest::newRow("empty-file-counts-as-unset")
        << a << QStringList{} << QStringList{}
        << QStringList{QStringLiteral("parameters/s3-cache/access_key"), QStringLiteral(" \n"),
                       QStringLiteral("secrets/s3-cache/access_key"), QStringLiteral("secret-file")}
        << "secret-file" << "$VELA/secrets/s3-cache/access_key";
    QTest::newRow("secret-session-token-aws")
        << QStringLiteral("session_token") << QStringList{}
        << QStringList{QStringLiteral("AWS_SESSION_TOKEN=aws-token")} << QStringList{} << "aws-token" << "AWS_SESSION_TOKEN";
    QTest::newRow("secret-key-vela-secret-file")
        << QStringLiteral("secret_key") << QStringList{} << QStringList{QStringLiteral("AWS_SECRET_ACCESS_KEY=aws")}
        << QStringList{QStringLiteral("secrets/s3-cache/secret_key"), QStringLiteral("file")} << "aws" << "AWS_SECRET_ACCESS_KEY";
    QTest::newRow("region-aws-region-before-default-region")
        << QStringLiteral("region") << QStringList{}
        << QStringList{QStringLiteral("AWS_DEFAULT_REGION=eu-west-1"), QStringLiteral("AWS_REGION=eu-central-1")}
        << QStringList{} << "eu-central-1" << "AWS_REGION";
    QTest::newRow("region-aws-default-region")
        << QStringLiteral("region") << QStringList{} << QStringList{QStringLiteral("AWS_DEFAULT_REGION=eu-west-1")}
        << QStringList{QStringLiteral("parameters/s3-cache/region"), QStringLiteral("ap-south-1")} << "eu-west-1"
        << "AWS_DEFAULT_REGION";
    QTest::newRow("prefix-has-no-aws-variable")
        << QStringLiteral("prefix") << QStringList{} << QStringList{QStringLiteral("AWS_PREFIX=no")}
        << QStringList{QStringLiteral("parameters/s3-cache/prefix"), QStringLiteral("from-file")} << "from-file"
        << "$VELA/parameters/s3-cache/prefix";
    QTest::newRow("snake-case-flag-name")
        << QStringLiteral("log_level") << QStringList{QStringLiteral("log_level=debug")}
        << QStringList{QStringLiteral("PARAMETER_LOG_LEVEL=info")} << QStringList{} << "debug" << "--log-level";
}

void TestConfig::precedence()
{
    QFETCH(QString, name);
    QFETCH(QStringList, flags);
    QFETCH(QStringList, env);
    QFETCH(QStringList, files);
    QFETCH(QString, value);
    QFETCH(QString, source);

    writeVelaFiles(files);
    QMap<QString, QString> flagMap;
    for (const QString &f : flags)
        flagMap.insert(f.section(u'=', 0, 0), f.section(u'=', 1));
    const ParameterSource parameters(flagMap, environment(env), m_vela->path());
    const std::optional<ParameterValue> found = parameters.get(name);
    if (value.isEmpty()) {
        QVERIFY(!found.has_value());
        return;
    }
    QVERIFY(found.has_value());
    QCOMPARE(found->value, value);
    QCOMPARE(found->source, QString(source).replace(QStringLiteral("$VELA"), m_vela->path()));
}

void TestConfig::velaRootFromEnvironment()
{
    writeVelaFiles({QStringLiteral("parameters/s3-cache/root"), QStringLiteral("bucket-from-file")});
    const QProcessEnvironment env = environment({QStringLiteral("S3CACHE_VELA_ROOT=$VELA")});
    QCOMPARE(ParameterSource({}, env).velaRoot(), m_vela->path());
    QCOMPARE(ParameterSource({}, env).get(QStringLiteral("root"))->value, QStringLiteral("bucket-from-file"));
    QCOMPARE(ParameterSource({}, QProcessEnvironment()).velaRoot(), QStringLiteral("/vela"));

    // resolveConfig uses the same default when no root is passed.
    const Result<CommandLine> cmd = parseCommandLine({QStringLiteral("list")});
    QVERIFY(cmd.ok());
    const Result<Config> config = resolveConfig(*cmd, env);
    QVERIFY2(config.ok(), qPrintable(config.error().message()));
    QCOMPARE(config->bucket, QStringLiteral("bucket-from-file"));
    QCOMPARE(config->sources.value(QStringLiteral("bucket")).source, m_vela->filePath(QStringLiteral("parameters/s3-cache/root")));
}

void TestConfig::regionAndCredentialSources()
{
    // AWS_REGION is a fallback below the region in the host name...
    Result<Config> c = resolve({}, with(pluginRestore, {QStringLiteral("AWS_REGION=eu-central-1")}));
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QVERIFY(c->endpoint.region.isEmpty());
    QCOMPARE(c->endpoint.fallbackRegion, QStringLiteral("eu-central-1"));
    QCOMPARE(c->resolvedEndpoint.region, QStringLiteral("us-west-2"));
    QCOMPARE(c->resolvedEndpoint.regionSource, QStringLiteral("host"));
    // ...and used for hosts that name no region; an explicit region (even from a file) wins.
    c = resolve({}, with(pluginRestore, {QStringLiteral("PARAMETER_SERVER=http://127.0.0.1:9000"),
                                         QStringLiteral("AWS_DEFAULT_REGION=eu-central-1")}));
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->resolvedEndpoint.region, QStringLiteral("eu-central-1"));
    writeVelaFiles({QStringLiteral("parameters/s3-cache/region"), QStringLiteral("ap-south-1")});
    c = resolve({}, with(pluginRestore, {QStringLiteral("AWS_REGION=eu-central-1")}));
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->resolvedEndpoint.region, QStringLiteral("ap-south-1"));
    QCOMPARE(c->resolvedEndpoint.regionSource, QStringLiteral("parameter"));

    // A runner's ambient AWS_SESSION_TOKEN never joins a key pair from the Vela secrets...
    c = resolve({}, with(pluginRestore, {QStringLiteral("AWS_SESSION_TOKEN=") + sessionToken}));
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->credentials.accessKey, accessKey);
    QCOMPARE(c->credentials.secretKey, secretKey);
    QVERIFY(c->credentials.sessionToken.isEmpty());
    QCOMPARE(c->credentials.source, QStringLiteral("CACHE_S3_ACCESS_KEY"));
    // ...but is used with the AWS_* pair it belongs to.
    QStringList aws = with(pluginRestore, {QStringLiteral("CACHE_S3_ACCESS_KEY="), QStringLiteral("CACHE_S3_SECRET_KEY="),
                                           QStringLiteral("AWS_ACCESS_KEY_ID=AKIAAMBIENT"),
                                           QStringLiteral("AWS_SECRET_ACCESS_KEY=ambientSecret"),
                                           QStringLiteral("AWS_SESSION_TOKEN=") + sessionToken});
    c = resolve({}, aws);
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->credentials.accessKey, QStringLiteral("AKIAAMBIENT"));
    QCOMPARE(c->credentials.sessionToken, sessionToken);
    // No key at all: empty credentials, the chain runs later.
    c = resolve({}, with(pluginRestore, {QStringLiteral("CACHE_S3_ACCESS_KEY="), QStringLiteral("CACHE_S3_SECRET_KEY=")}));
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QVERIFY(c->credentials.isEmpty());
}

// ---------------------------------------------------------------------------------------------

void TestConfig::pluginSamples_data()
{
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QStringList>("files");
    QTest::addColumn<int>("action");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("region");
    QTest::addColumn<QStringList>("mounts");
    QTest::addColumn<QString>("repoPrefix");
    QTest::addColumn<QString>("format");

    const QString url = QStringLiteral("https://mybucket.s3-us-west-2.amazonaws.com/octo/app/archive.tar.zst");
    const QString region = QStringLiteral("us-west-2");
    const QString prefix = QStringLiteral("octo/app/");
    const QString zst = QStringLiteral("tar.zst");
    QTest::newRow("restore") << pluginRestore << QStringList{} << int(Action::Restore) << "octo/app/archive.tar.zst"
                             << url << region << QStringList{} << prefix << zst;
    QTest::newRow("rebuild-mount-gradle")
        << with(pluginRestore, {QStringLiteral("PARAMETER_ACTION=rebuild"), QStringLiteral("PARAMETER_MOUNT=.gradle")})
        << QStringList{} << int(Action::Rebuild) << "octo/app/archive.tar.zst" << url << region
        << QStringList{QStringLiteral(".gradle")} << prefix << zst;
    QTest::newRow("rebuild-mount-json")
        << with(pluginRestore, {QStringLiteral("PARAMETER_ACTION=rebuild"),
                                QStringLiteral("PARAMETER_MOUNT=[\".gradle\",\"node_modules\"]")})
        << QStringList{} << int(Action::Rebuild) << "octo/app/archive.tar.zst" << url << region
        << QStringList{QStringLiteral(".gradle"), QStringLiteral("node_modules")} << prefix << zst;
    QTest::newRow("rebuild-mount-comma")
        << with(pluginRestore, {QStringLiteral("PARAMETER_ACTION=rebuild"), QStringLiteral("PARAMETER_MOUNT=.gradle,node_modules")})
        << QStringList{} << int(Action::Rebuild) << "octo/app/archive.tar.zst" << url << region
        << QStringList{QStringLiteral(".gradle"), QStringLiteral("node_modules")} << prefix << zst;
    QTest::newRow("upload-is-rebuild")
        << with(pluginRestore, {QStringLiteral("PARAMETER_ACTION=UPLOAD"), QStringLiteral("PARAMETER_MOUNT=.gradle")})
        << QStringList{} << int(Action::Rebuild) << "octo/app/archive.tar.zst" << url << region
        << QStringList{QStringLiteral(".gradle")} << prefix << zst;
    QTest::newRow("flush") << with(pluginRestore, {QStringLiteral("PARAMETER_ACTION=flush")}) << QStringList{}
                           << int(Action::Flush) << "octo/app/archive.tar.zst" << url << region << QStringList{} << prefix << zst;
    QTest::newRow("prefix-and-old-filename")
        << with(pluginRestore, {QStringLiteral("PARAMETER_PREFIX=ci-cache"), QStringLiteral("PARAMETER_FILENAME=archive.tgz")})
        << QStringList{} << int(Action::Restore) << "ci-cache/octo/app/archive.tgz"
        << "https://mybucket.s3-us-west-2.amazonaws.com/ci-cache/octo/app/archive.tgz" << region << QStringList{}
        << "ci-cache/octo/app/" << "tar.gz";
    QTest::newRow("secrets-as-vela-files")
        << with(pluginRestore, {QStringLiteral("CACHE_S3_ACCESS_KEY="), QStringLiteral("CACHE_S3_SECRET_KEY=")})
        << QStringList{QStringLiteral("secrets/s3-cache/access_key"), accessKey + u'\n',
                       QStringLiteral("secrets/s3-cache/secret_key"), secretKey + u'\n'}
        << int(Action::Restore) << "octo/app/archive.tar.zst" << url << region << QStringList{} << prefix << zst;
    QTest::newRow("repository-org-name")
        << with(pluginRestore, {QStringLiteral("VELA_REPO_ORG="), QStringLiteral("VELA_REPO_NAME="),
                                QStringLiteral("REPOSITORY_ORG=octo"), QStringLiteral("REPOSITORY_NAME=app")})
        << QStringList{} << int(Action::Restore) << "octo/app/archive.tar.zst" << url << region << QStringList{} << prefix << zst;
    QTest::newRow("repo-full-name")
        << with(pluginRestore, {QStringLiteral("VELA_REPO_ORG="), QStringLiteral("VELA_REPO_NAME="),
                                QStringLiteral("VELA_REPO_FULL_NAME=octo/app")})
        << QStringList{} << int(Action::Restore) << "octo/app/archive.tar.zst" << url << region << QStringList{} << prefix << zst;
    QTest::newRow("aws-regional-endpoint")
        << with(pluginRestore, {QStringLiteral("PARAMETER_SERVER="), QStringLiteral("PARAMETER_REGION=eu-west-1")})
        << QStringList{} << int(Action::Restore) << "octo/app/archive.tar.zst"
        << "https://mybucket.s3.eu-west-1.amazonaws.com/octo/app/archive.tar.zst" << "eu-west-1" << QStringList{} << prefix << zst;
    QTest::newRow("minio-path-style")
        << with(pluginRestore, {QStringLiteral("PARAMETER_SERVER=http://127.0.0.1:9000")}) << QStringList{}
        << int(Action::Restore) << "octo/app/archive.tar.zst" << "http://127.0.0.1:9000/mybucket/octo/app/archive.tar.zst"
        << "us-east-1" << QStringList{} << prefix << zst;
}

void TestConfig::pluginSamples()
{
    QFETCH(QStringList, env);
    QFETCH(QStringList, files);
    QFETCH(int, action);
    QFETCH(QString, key);
    QFETCH(QString, url);
    QFETCH(QString, region);
    QFETCH(QStringList, mounts);
    QFETCH(QString, repoPrefix);
    QFETCH(QString, format);

    writeVelaFiles(files);
    const Result<Config> c = resolve({}, env);
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(int(c->action), action);
    QCOMPARE(c->bucket, QStringLiteral("mybucket"));
    QCOMPARE(c->objectKey(), key);
    QCOMPARE(c->resolvedEndpoint.objectUrl(key).toString(), url);
    QCOMPARE(c->resolvedEndpoint.region, region);
    QCOMPARE(c->mounts, mounts);
    QCOMPARE(c->repoPrefix(), repoPrefix);
    QCOMPARE(archiveFormatName(c->format), format);
    QCOMPARE(c->credentials.accessKey, accessKey);
    QCOMPARE(c->credentials.secretKey, secretKey);
    QVERIFY(!c->fileStore);
}

void TestConfig::keys_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("repoPrefix");
    QTest::addColumn<QString>("format");
    QTest::addColumn<bool>("filenameExplicit");

    const QStringList base{QStringLiteral("PARAMETER_BUCKET=bkt"), QStringLiteral("PARAMETER_SERVER=http://localhost:9000")};
    QTest::newRow("org-repo") << QStringList{QStringLiteral("restore"), QStringLiteral("--org"), QStringLiteral("o"),
                                             QStringLiteral("--repo"), QStringLiteral("r")}
                              << base << "o/r/archive.tar.zst" << "o/r/" << "tar.zst" << false;
    QTest::newRow("slashes-collapsed")
        << QStringList{QStringLiteral("restore"), QStringLiteral("--prefix=/a//b/"), QStringLiteral("--org=o"),
                       QStringLiteral("--repo=r"), QStringLiteral("--filename=c.zip")}
        << base << "a/b/o/r/c.zip" << "a/b/o/r/" << "zip" << true;
    QTest::newRow("dedup")
        << QStringList{QStringLiteral("rebuild"), QStringLiteral("--prefix=ci"), QStringLiteral("--org=o"),
                       QStringLiteral("--repo=r"), QStringLiteral("--filename=deps.dedup"), QStringLiteral("--mount=x")}
        << base << "ci/o/r/deps.dedup" << "ci/o/r/" << "dedup" << true;
    QTest::newRow("dedup-path-under-prefix")
        << QStringList{QStringLiteral("rebuild"), QStringLiteral("--prefix=ci"), QStringLiteral("--path=ci/x/y.dedup"),
                       QStringLiteral("--mount=x")}
        << base << "ci/x/y.dedup" << "ci/" << "dedup" << false;
    QTest::newRow("flags-beat-vela")
        << QStringList{QStringLiteral("inspect"), QStringLiteral("--org=mine"), QStringLiteral("--repo=fork")}
        << base + QStringList{QStringLiteral("VELA_REPO_ORG=octo"), QStringLiteral("VELA_REPO_NAME=app")}
        << "mine/fork/archive.tar.zst" << "mine/fork/" << "tar.zst" << false;
    QTest::newRow("vela-beats-repository")
        << QStringList{QStringLiteral("restore")}
        << base + QStringList{QStringLiteral("VELA_REPO_ORG=octo"), QStringLiteral("VELA_REPO_NAME=app"),
                              QStringLiteral("REPOSITORY_ORG=x"), QStringLiteral("REPOSITORY_NAME=y"),
                              QStringLiteral("VELA_REPO_FULL_NAME=z/w")}
        << "octo/app/archive.tar.zst" << "octo/app/" << "tar.zst" << false;
    QTest::newRow("explicit-key")
        << QStringList{QStringLiteral("restore"), QStringLiteral("--key"), QStringLiteral("/team/cache.tgz")}
        << base << "team/cache.tgz" << "" << "tar.gz" << false;
    QTest::newRow("path-beats-filename")
        << QStringList{QStringLiteral("rebuild"), QStringLiteral("--path=k/x.tar"), QStringLiteral("--filename=f.zip"),
                       QStringLiteral("--mount=a"), QStringLiteral("--workspace=$WS")}
        << base << "k/x.tar" << "" << "tar" << true;
    QTest::newRow("path-without-extension-keeps-filename-format")
        << QStringList{QStringLiteral("restore"), QStringLiteral("--path=k/latest")} << base << "k/latest" << "" << "tar.zst" << false;
    QTest::newRow("list-path-prefix")
        << QStringList{QStringLiteral("list"), QStringLiteral("--path=team/")} << base << "team/" << "" << "tar.zst" << false;
    QTest::newRow("flush-prefix-only")
        << QStringList{QStringLiteral("flush"), QStringLiteral("--prefix=cache")} << base << "cache/archive.tar.zst"
        << "cache/" << "tar.zst" << false;
    QTest::newRow("flush-repo-scope-has-trailing-slash")
        << QStringList{QStringLiteral("flush"), QStringLiteral("--org=org"), QStringLiteral("--repo=repo")} << base
        << "org/repo/archive.tar.zst" << "org/repo/" << "tar.zst" << false;
    QTest::newRow("list-whole-bucket") << QStringList{QStringLiteral("list")} << base << "archive.tar.zst" << "" << "tar.zst" << false;
    QTest::newRow("tzst-upper-case")
        << QStringList{QStringLiteral("restore"), QStringLiteral("--org=o"), QStringLiteral("--repo=r"),
                       QStringLiteral("--filename=Cache.TZST")} << base << "o/r/Cache.TZST" << "o/r/" << "tar.zst" << true;
}

void TestConfig::keys()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, env);
    QFETCH(QString, key);
    QFETCH(QString, repoPrefix);
    QFETCH(QString, format);
    QFETCH(bool, filenameExplicit);

    const Result<Config> c = resolve(args, env);
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->objectKey(), key);
    QCOMPARE(c->repoPrefix(), repoPrefix);
    QCOMPARE(archiveFormatName(c->format), format);
    QCOMPARE(c->filenameExplicit, filenameExplicit);
}

void TestConfig::dedupKeyOutsidePrefixRefused()
{
    // Its chunks would be shared under ci/.chunks/, whose flushes never see a manifest elsewhere.
    const Result<Config> c = resolve({QStringLiteral("rebuild"), QStringLiteral("--prefix=ci"),
                                      QStringLiteral("--path=other/y.dedup"), QStringLiteral("--mount=x")},
                                     {QStringLiteral("PARAMETER_BUCKET=bkt"), QStringLiteral("PARAMETER_SERVER=http://localhost:9000")});
    QVERIFY(!c.ok());
    QCOMPARE(c.error().kind(), ErrorKind::InvalidInput);
    QVERIFY2(c.error().message().startsWith(QStringLiteral("path: 'other/y.dedup' (from --path) is a dedup cache outside prefix 'ci'")),
             qPrintable(c.error().message()));
}

void TestConfig::fileStore_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("root");
    QTest::addColumn<QString>("bucket");

    QTest::newRow("absolute-default-bucket") << QStringList{QStringLiteral("--server=file://$WS/store")} << "$WS/store" << "cache";
    QTest::newRow("with-bucket") << QStringList{QStringLiteral("--server=file://$WS/store"), QStringLiteral("--root=ci")}
                                 << "$WS/store" << "ci";
    QTest::newRow("percent-encoded") << QStringList{QStringLiteral("--server=file://$WS/my%20store")} << "$WS/my store" << "cache";
    QTest::newRow("relative") << QStringList{QStringLiteral("--server=file://rel/dir")} << QDir::currentPath() + QStringLiteral("/rel/dir")
                              << "cache";
}

void TestConfig::fileStore()
{
    QFETCH(QStringList, args);
    QFETCH(QString, root);
    QFETCH(QString, bucket);

    const Result<Config> c = resolve(QStringList{QStringLiteral("list")} + args, {});
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QVERIFY(c->fileStore);
    QCOMPARE(c->fileStoreRoot, root.replace(QStringLiteral("$WS"), m_workspace->path()));
    QCOMPARE(c->bucket, bucket);
    QVERIFY(c->describe().contains(QDir(c->fileStoreRoot).filePath(bucket)));
}

void TestConfig::mounts_data()
{
    QTest::addColumn<QString>("mount");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("plain") << "node_modules" << QStringList{QStringLiteral("node_modules")};
    QTest::newRow("cleaned") << "./a/../b/c/" << QStringList{QStringLiteral("b/c")};
    QTest::newRow("absolute-inside") << "$WS/deps/.m2" << QStringList{QStringLiteral("deps/.m2")};
    QTest::newRow("duplicates") << "a,./a,b" << QStringList{QStringLiteral("a"), QStringLiteral("b")};
    QTest::newRow("whole-workspace") << "." << QStringList{QStringLiteral(".")};
    QTest::newRow("dotdot-name-inside") << "..cache" << QStringList{QStringLiteral("..cache")};
    QTest::newRow("globs-and-excludes") << "**/node_modules,!**/node_modules/.cache,./packages/*/dist/"
        << QStringList{QStringLiteral("**/node_modules"), QStringLiteral("!**/node_modules/.cache"), QStringLiteral("packages/*/dist/")};
    QTest::newRow("absolute-glob-inside") << "$WS/packages/*/dist" << QStringList{QStringLiteral("packages/*/dist")};
    QTest::newRow("literal-exclude-cleaned") << "a,!./a/b/" << QStringList{QStringLiteral("a"), QStringLiteral("!a/b")};
    // With excludes the order counts: of two equal patterns the last one stays.
    QTest::newRow("duplicates-with-excludes") << "a,!a/b,a" << QStringList{QStringLiteral("!a/b"), QStringLiteral("a")};
}

void TestConfig::mounts()
{
    QFETCH(QString, mount);
    QFETCH(QStringList, expected);

    const Result<Config> c = resolve({QStringLiteral("rebuild"), QStringLiteral("--workspace=$WS"), QStringLiteral("--mount"),
                                      mount, QStringLiteral("--key=k.tar.zst"), QStringLiteral("--server=file:///tmp/s")},
                                     {});
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->workspace, m_workspace->path());
    QCOMPARE(c->mounts, expected);
}

void TestConfig::objectWriteOptions()
{
    Result<Config> c = resolve({}, pluginRestore);
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QVERIFY(c->objectOptions.isEmpty());
    QVERIFY(!c->objectOptions.bucketKeyEnabled.has_value());

    c = resolve({QStringLiteral("--sse=AWS:KMS"), QStringLiteral("--sse-kms-key-id=alias/ci cache"),
                 QStringLiteral("--sse-bucket-key=false"), QStringLiteral("--storage-class=standard_ia")},
                with(pluginRestore, {QStringLiteral("PARAMETER_TAGS=[\"team=web\", \"note=a b&c\", \"empty=\"]")}));
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->objectOptions.serverSideEncryption, QStringLiteral("aws:kms"));
    QCOMPARE(c->objectOptions.kmsKeyId, QStringLiteral("alias/ci cache"));
    QCOMPARE(c->objectOptions.bucketKeyEnabled, std::optional<bool>(false));
    QCOMPARE(c->objectOptions.storageClass, QStringLiteral("STANDARD_IA"));
    const QList<QPair<QString, QString>> tags{{QStringLiteral("team"), QStringLiteral("web")},
                                              {QStringLiteral("note"), QStringLiteral("a b&c")},
                                              {QStringLiteral("empty"), QString()}};
    QCOMPARE(c->objectOptions.tags, tags);
    QVERIFY2(c->describe().contains(QStringLiteral("STANDARD_IA")), qPrintable(c->describe()));
}

void TestConfig::defaultsAndValues()
{
    Result<Config> c = resolve({}, pluginRestore);
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->logLevel, LogLevel::Info);
    QCOMPARE(c->filename, QStringLiteral("archive.tar.zst"));
    QVERIFY(!c->filenameExplicit);
    QCOMPARE(c->timeoutMs, 10 * 60 * 1000);
    QCOMPARE(c->ageSeconds, 14 * 24 * 3600);
    QCOMPARE(c->compressionLevel, -1);
    QCOMPARE(c->workspace, QDir::cleanPath(QDir::currentPath()));
    QVERIFY(!c->dryRun && !c->failOnMiss && !c->strict && !c->preservePath);
    QVERIFY(!c->endpoint.pathStyle.has_value());
    QVERIFY(c->caBundle.isEmpty() && c->velaOutputs.isEmpty());

    QTemporaryFile ca;
    QVERIFY(ca.open());
    c = resolve({QStringLiteral("--ca-bundle"), ca.fileName(), QStringLiteral("--fail-on-miss"), QStringLiteral("--strict"),
                 QStringLiteral("--workspace=$WS")},
                with(pluginRestore, {QStringLiteral("PARAMETER_LOG_LEVEL=panic"), QStringLiteral("PARAMETER_TIMEOUT=90"),
                                     QStringLiteral("S3_CACHE_AGE=2w"), QStringLiteral("PARAMETER_COMPRESSION_LEVEL=19"),
                                     QStringLiteral("PARAMETER_DRY_RUN=Yes"), QStringLiteral("PARAMETER_PRESERVE_PATH=1"),
                                     QStringLiteral("PARAMETER_PATH_STYLE=true"), QStringLiteral("VELA_OUTPUTS=/tmp/outputs.env")}));
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->logLevel, LogLevel::Fatal);
    QCOMPARE(c->timeoutMs, 90'000);
    QCOMPARE(c->ageSeconds, 14 * 24 * 3600);
    QCOMPARE(c->sources.value(QStringLiteral("age")).source, QStringLiteral("S3_CACHE_AGE"));
    QCOMPARE(c->compressionLevel, 19);
    QVERIFY(c->dryRun && c->failOnMiss && c->strict && c->preservePath);
    QCOMPARE(c->endpoint.pathStyle, std::optional<bool>(true));
    QCOMPARE(c->caBundle, QFileInfo(ca.fileName()).absoluteFilePath());
    QCOMPARE(c->velaOutputs, QStringLiteral("/tmp/outputs.env"));
    QCOMPARE(c->workspace, m_workspace->path());

    // `age: 0s` is an explicit "everything"; a bare 0 is refused (badInput).
    c = resolve({QStringLiteral("flush")}, with(pluginRestore, {QStringLiteral("PARAMETER_AGE=0s")}));
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->ageSeconds, 0);

    // The region's source names the variable it came from.
    const QStringList minio = with(pluginRestore, {QStringLiteral("PARAMETER_SERVER=https://minio.example.com")});
    for (const QString &variable : {QStringLiteral("AWS_REGION"), QStringLiteral("AWS_DEFAULT_REGION")}) {
        c = resolve({}, with(minio, {variable + QStringLiteral("=eu-north-1")}));
        QVERIFY2(c.ok(), qPrintable(c.error().message()));
        QCOMPARE(c->resolvedEndpoint.region, QStringLiteral("eu-north-1"));
        QCOMPARE(c->resolvedEndpoint.regionSource, variable);
    }

    // Per-format compression ranges: gzip -1..9.
    c = resolve({}, with(pluginRestore, {QStringLiteral("PARAMETER_FILENAME=a.tgz"), QStringLiteral("PARAMETER_COMPRESSION_LEVEL=-1")}));
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->compressionLevel, -1);
    c = resolve({}, with(pluginRestore, {QStringLiteral("PARAMETER_FILENAME=a.zip"), QStringLiteral("PARAMETER_COMPRESSION_LEVEL=9")}));
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->compressionLevel, 9);
}

// ---------------------------------------------------------------------------------------------

void TestConfig::durations_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("bareUnitMs");
    QTest::addColumn<qint64>("expected");  // -1: error

    const qint64 day = 24 * 3600 * 1000;
    const qint64 second = 1000;
    QTest::newRow("bare-days") << "14" << day << 14 * day;
    QTest::newRow("bare-seconds") << "14" << second << 14 * second;
    QTest::newRow("bare-fraction") << "1.5" << day << day * 3 / 2;
    QTest::newRow("14d") << "14d" << second << 14 * day;
    QTest::newRow("336h") << "336h" << day << 14 * day;
    QTest::newRow("2w") << "2w" << second << 14 * day;
    QTest::newRow("1h30m") << "1h30m" << day << qint64(90 * 60 * 1000);
    QTest::newRow("90s") << "90s" << day << 90 * second;
    QTest::newRow("1.5h") << "1.5h" << second << qint64(90 * 60 * 1000);
    QTest::newRow("500ms") << "500ms" << second << qint64(500);
    QTest::newRow("1d12h") << "1d12h" << second << day + day / 2;
    QTest::newRow("upper-case") << "10M" << second << qint64(600'000);
    QTest::newRow("sub-ms") << "1500us" << second << qint64(1);
    QTest::newRow("zero") << "0" << second << qint64(0);
    QTest::newRow("spaces") << " 14d " << second << 14 * day;
    QTest::newRow("fourteen") << "fourteen" << day << qint64(-1);
    QTest::newRow("negative") << "-5" << second << qint64(-1);
    QTest::newRow("negative-unit") << "-5m" << second << qint64(-1);
    QTest::newRow("empty") << "" << day << qint64(-1);
    QTest::newRow("unit-only") << "h" << day << qint64(-1);
    QTest::newRow("unknown-unit") << "5y" << day << qint64(-1);
    QTest::newRow("space-inside") << "1h 30m" << day << qint64(-1);
    QTest::newRow("exponent") << "1e3" << day << qint64(-1);
    QTest::newRow("too-large") << "99999999999w" << day << qint64(-1);
}

void TestConfig::durations()
{
    QFETCH(QString, text);
    QFETCH(qint64, bareUnitMs);
    QFETCH(qint64, expected);

    const Result<qint64> ms = parseDurationMs(text, bareUnitMs);
    if (expected < 0) {
        QVERIFY(!ms.ok());
        QCOMPARE(ms.error().kind(), ErrorKind::InvalidInput);
        QVERIFY2(ms.error().message().startsWith(QStringLiteral("cannot parse '%1'").arg(text)), qPrintable(ms.error().message()));
        return;
    }
    QVERIFY2(ms.ok(), qPrintable(ms.error().message()));
    QCOMPARE(*ms, expected);
}

void TestConfig::bools_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("expected");  // -1: error

    QTest::newRow("true") << "true" << 1;
    QTest::newRow("TRUE") << "TRUE" << 1;
    QTest::newRow("1") << "1" << 1;
    QTest::newRow("yes") << " Yes " << 1;
    QTest::newRow("false") << "false" << 0;
    QTest::newRow("False") << "False" << 0;
    QTest::newRow("0") << "0" << 0;
    QTest::newRow("no") << "NO" << 0;
    QTest::newRow("maybe") << "maybe" << -1;
    QTest::newRow("empty") << "" << -1;
    QTest::newRow("2") << "2" << -1;
    QTest::newRow("on") << "on" << -1;
}

void TestConfig::bools()
{
    QFETCH(QString, text);
    QFETCH(int, expected);
    const Result<bool> b = parseBool(text);
    if (expected < 0) {
        QVERIFY(!b.ok());
        QVERIFY(b.error().message().contains(QStringLiteral("expected true, false, 1, 0, yes or no")));
        return;
    }
    QVERIFY(b.ok());
    QCOMPARE(*b, expected == 1);
}

void TestConfig::sizes_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qint64>("expected");  // -1: error

    QTest::newRow("bare bytes") << "1048576" << qint64(1048576);
    QTest::newRow("B") << "512B" << qint64(512);
    QTest::newRow("zero") << "0" << qint64(0);
    QTest::newRow("GiB") << "20GiB" << qint64(20) * 1024 * 1024 * 1024;
    QTest::newRow("G is binary") << "3g" << qint64(3) * 1024 * 1024 * 1024;
    QTest::newRow("MB is decimal, space, case") << " 500 mB " << qint64(500'000'000);
    QTest::newRow("TiB") << "2TiB" << (qint64(2) << 40);
    QTest::newRow("largest") << "4194304TiB" << (qint64(1) << 62);
    QTest::newRow("too large") << "4194305TiB" << qint64(-1);
    QTest::newRow("fraction") << "2.5GiB" << qint64(-1);
    QTest::newRow("negative") << "-1" << qint64(-1);
    QTest::newRow("unknown unit") << "5PB" << qint64(-1);
    QTest::newRow("unit alone") << "GiB" << qint64(-1);
    QTest::newRow("empty") << "" << qint64(-1);
}

void TestConfig::sizes()
{
    QFETCH(QString, text);
    QFETCH(qint64, expected);
    const Result<qint64> bytes = parseSize(text);
    if (expected < 0) {
        QVERIFY(!bytes.ok());
        QCOMPARE(bytes.error().kind(), ErrorKind::InvalidInput);
        QVERIFY2(bytes.error().message().startsWith(QStringLiteral("cannot parse '%1'").arg(text)), qPrintable(bytes.error().message()));
        return;
    }
    QVERIFY2(bytes.ok(), qPrintable(bytes.error().message()));
    QCOMPARE(*bytes, expected);
}

void TestConfig::lists_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<bool>("error");

    QTest::newRow("comma") << ".gradle,node_modules" << QStringList{QStringLiteral(".gradle"), QStringLiteral("node_modules")} << false;
    QTest::newRow("json") << "[\".gradle\", \"node_modules\"]" << QStringList{QStringLiteral(".gradle"), QStringLiteral("node_modules")} << false;
    QTest::newRow("json-item-with-comma") << " [\"a,b\"] " << QStringList{QStringLiteral("a,b")} << false;
    QTest::newRow("trimmed-and-empty-dropped") << " a , ,b ," << QStringList{QStringLiteral("a"), QStringLiteral("b")} << false;
    QTest::newRow("newlines") << "a\nb\n" << QStringList{QStringLiteral("a"), QStringLiteral("b")} << false;
    QTest::newRow("single") << "vendor" << QStringList{QStringLiteral("vendor")} << false;
    QTest::newRow("empty") << "" << QStringList{} << false;
    QTest::newRow("json-empty-items") << "[\"\", \" x \"]" << QStringList{QStringLiteral("x")} << false;
    QTest::newRow("json-not-strings") << "[\"a\", 1]" << QStringList{} << true;
    QTest::newRow("json-broken") << "[\"a\"" << QStringList{} << true;
}

void TestConfig::lists()
{
    QFETCH(QString, text);
    QFETCH(QStringList, expected);
    QFETCH(bool, error);
    const Result<QStringList> list = parseList(text);
    QCOMPARE(!list.ok(), error);
    if (!error)
        QCOMPARE(*list, expected);
}

void TestConfig::actions()
{
    const QList<std::pair<QString, Action>> known{
        {QStringLiteral("restore"), Action::Restore}, {QStringLiteral("Rebuild"), Action::Rebuild},
        {QStringLiteral("UPLOAD"), Action::Rebuild},  {QStringLiteral("flush"), Action::Flush},
        {QStringLiteral("list"), Action::List},       {QStringLiteral("inspect"), Action::Inspect},
        {QStringLiteral("config"), Action::Config}};
    for (const auto &[text, action] : known) {
        QCOMPARE(parseAction(text), std::optional<Action>(action));
        QCOMPARE(parseAction(actionName(action)), std::optional<Action>(action));
    }
    QVERIFY(!parseAction(QStringLiteral("delete")).has_value());
    QVERIFY(!parseAction(QString()).has_value());
}

// ---------------------------------------------------------------------------------------------

void TestConfig::commandLine_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("action");
    QTest::addColumn<QStringList>("flags");  // "name=value", all of them
    QTest::addColumn<bool>("help");
    QTest::addColumn<bool>("version");

    QTest::newRow("positional") << QStringList{QStringLiteral("restore"), QStringLiteral("--bucket"), QStringLiteral("b")}
                                << "restore" << QStringList{QStringLiteral("bucket=b")} << false << false;
    QTest::newRow("action-flag-and-bare-bool")
        << QStringList{QStringLiteral("--action=flush"), QStringLiteral("--dry-run")} << "flush"
        << QStringList{QStringLiteral("dry_run=true")} << false << false;
    QTest::newRow("same-action-twice")
        << QStringList{QStringLiteral("flush"), QStringLiteral("--action"), QStringLiteral("FLUSH")} << "FLUSH"
        << QStringList{} << false << false;
    QTest::newRow("bool-with-value-and-snake-case")
        << QStringList{QStringLiteral("rebuild"), QStringLiteral("--dry_run"), QStringLiteral("false"),
                       QStringLiteral("--preserve-path=yes"), QStringLiteral("--strict")}
        << "rebuild" << QStringList{QStringLiteral("dry_run=false"), QStringLiteral("preserve_path=yes"), QStringLiteral("strict=true")}
        << false << false;
    QTest::newRow("bool-before-action")
        << QStringList{QStringLiteral("--fail-on-miss"), QStringLiteral("restore")} << "restore"
        << QStringList{QStringLiteral("fail_on_miss=true")} << false << false;
    QTest::newRow("repeated-mounts")
        << QStringList{QStringLiteral("rebuild"), QStringLiteral("--mount"), QStringLiteral("a"), QStringLiteral("--mount=b,c")}
        << "rebuild" << QStringList{QStringLiteral("mount=[\"a\",\"b\",\"c\"]")} << false << false;
    QTest::newRow("key-alias")
        << QStringList{QStringLiteral("list"), QStringLiteral("--key"), QStringLiteral("x/y")} << "list"
        << QStringList{QStringLiteral("path=x/y")} << false << false;
    QTest::newRow("value-with-equals")
        << QStringList{QStringLiteral("--prefix=a=b"), QStringLiteral("--root"), QStringLiteral("r")} << ""
        << QStringList{QStringLiteral("prefix=a=b"), QStringLiteral("root=r")} << false << false;
    QTest::newRow("manual-flags")
        << QStringList{QStringLiteral("--workspace"), QStringLiteral("/w"), QStringLiteral("--org=o"), QStringLiteral("--repo=r"),
                       QStringLiteral("--ca-bundle=/ca.pem")}
        << "" << QStringList{QStringLiteral("workspace=/w"), QStringLiteral("org=o"), QStringLiteral("repo=r"),
                             QStringLiteral("ca_bundle=/ca.pem")} << false << false;
    QTest::newRow("help") << QStringList{QStringLiteral("--help")} << "" << QStringList{} << true << false;
    QTest::newRow("h") << QStringList{QStringLiteral("-h")} << "" << QStringList{} << true << false;
    QTest::newRow("version") << QStringList{QStringLiteral("--version")} << "" << QStringList{} << false << true;
    QTest::newRow("nothing") << QStringList{} << "" << QStringList{} << false << false;
}

void TestConfig::commandLine()
{
    QFETCH(QStringList, args);
    QFETCH(QString, action);
    QFETCH(QStringList, flags);
    QFETCH(bool, help);
    QFETCH(bool, version);

    const Result<CommandLine> cmd = parseCommandLine(args);
    QVERIFY2(cmd.ok(), qPrintable(cmd.error().message()));
    QCOMPARE(cmd->action, action);
    QStringList actual;
    for (auto it = cmd->flags.constBegin(); it != cmd->flags.constEnd(); ++it)
        actual << it.key() + u'=' + it.value();
    flags.sort();
    QCOMPARE(actual, flags);
    QCOMPARE(cmd->help, help);
    QCOMPARE(cmd->version, version);
}

void TestConfig::commandLineErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");

    QTest::newRow("unknown-flag") << QStringList{QStringLiteral("restore"), QStringLiteral("--bogus=1")} << "unknown flag '--bogus'";
    QTest::newRow("unknown-short") << QStringList{QStringLiteral("-x")} << "unknown option '-x'";
    QTest::newRow("two-positionals") << QStringList{QStringLiteral("restore"), QStringLiteral("flush")}
                                     << "unexpected argument 'flush'";
    QTest::newRow("missing-value") << QStringList{QStringLiteral("restore"), QStringLiteral("--bucket")}
                                   << "flag '--bucket' needs a value";
    QTest::newRow("flag-as-value") << QStringList{QStringLiteral("--prefix"), QStringLiteral("--org=o")}
                                   << "flag '--prefix' needs a value";
    QTest::newRow("conflicting-actions") << QStringList{QStringLiteral("restore"), QStringLiteral("--action=flush")}
                                         << "two actions given: 'restore' and --action 'flush'";
    QTest::newRow("bad-mount-json") << QStringList{QStringLiteral("--mount=[\"a\"")} << "--mount: cannot parse";
}

void TestConfig::commandLineErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const Result<CommandLine> cmd = parseCommandLine(args);
    QVERIFY(!cmd.ok());
    QCOMPARE(cmd.error().kind(), ErrorKind::InvalidInput);
    QVERIFY2(cmd.error().message().contains(message), qPrintable(cmd.error().message()));
}

// ---------------------------------------------------------------------------------------------

void TestConfig::badInput_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("env");  // applied over the plugin's restore sample with secrets
    QTest::addColumn<QStringList>("fragments");

    const auto row = [](const char *name, const QStringList &args, const QStringList &env, const QStringList &fragments) {
        QTest::newRow(name) << args << env << fragments;
    };
    const auto s = [](const char *text) { return QString::fromUtf8(text); };
    row("no-action", {}, {s("PARAMETER_ACTION=")}, {s("action: not set")});
    row("unknown-action", {}, {s("PARAMETER_ACTION=explode")},
        {s("action: unknown action 'explode' (from PARAMETER_ACTION)")});
    row("no-bucket", {}, {s("PARAMETER_ROOT=")}, {s("bucket: not set")});
    row("root-and-bucket-differ", {}, {s("PARAMETER_BUCKET=other")},
        {s("bucket: root 'mybucket' (from PARAMETER_ROOT) and bucket 'other' (from PARAMETER_BUCKET) differ")});
    row("age-fourteen", {}, {s("PARAMETER_AGE=fourteen")},
        {s("age: cannot parse 'fourteen': expected a duration like 14"), s("(from PARAMETER_AGE)")});
    row("negative-timeout", {s("--timeout=-5")}, {}, {s("timeout: cannot parse '-5'"), s("(from --timeout)")});
    row("zero-age", {s("flush")}, {s("PARAMETER_AGE=0")},
        {s("age: '0' (from PARAMETER_AGE) would delete every cache in scope; write 0s if that is what you want")});
    row("zero-timeout", {}, {s("PARAMETER_TIMEOUT=0s")}, {s("timeout: must be longer than 0 (from PARAMETER_TIMEOUT)")});
    row("key-with-dotdot", {s("--key=a/../b.tar.zst")}, {}, {s("path: 'a/../b.tar.zst' (from --path)"), s("'..'")});
    row("prefix-with-dot", {}, {s("PARAMETER_PREFIX=cache/./x")}, {s("prefix: 'cache/./x' (from PARAMETER_PREFIX)")});
    row("repo-dotdot", {s("--repo=..")}, {}, {s("repo: '..' (from --repo)")});
    row("mount-outside-workspace", {s("rebuild"), s("--mount=a,../outside")}, {},
        {s("mount: '../outside' (from --mount) is outside the workspace")});
    row("mount-absolute-outside", {}, {s("PARAMETER_ACTION=rebuild"), s("PARAMETER_MOUNT=/etc")},
        {s("mount: '/etc' (from PARAMETER_MOUNT) is outside the workspace")});
    row("mount-bad-json", {}, {s("PARAMETER_MOUNT=[\"a\""), s("PARAMETER_ACTION=rebuild")},
        {s("mount: cannot parse"), s("(from PARAMETER_MOUNT)")});
    row("rebuild-without-mount", {}, {s("PARAMETER_ACTION=rebuild")}, {s("mount: not set")});
    row("mount-glob-dotdot", {s("rebuild"), s("--mount=**/../x")}, {},
        {s("mount: '**/../x' (from --mount) leaves the workspace (..)")});
    row("mount-glob-absolute-outside", {}, {s("PARAMETER_ACTION=rebuild"), s("PARAMETER_MOUNT=/etc/*")},
        {s("mount: '/etc/*' (from PARAMETER_MOUNT) is outside the workspace")});
    row("mount-only-excludes", {s("rebuild"), s("--mount=!a")}, {}, {s("mount: only excludes")});
    row("mount-lone-bang", {s("rebuild"), s("--mount=a,!")}, {}, {s("mount: '!' (from --mount) names nothing")});
    row("server-ftp", {}, {s("PARAMETER_SERVER=ftp://x")}, {s("server: unsupported scheme 'ftp' in 'ftp://x' (from PARAMETER_SERVER)")});
    row("server-file-without-dir", {}, {s("PARAMETER_SERVER=file://")}, {s("server: 'file://' (from PARAMETER_SERVER) names no directory")});
    row("server-ip-virtual-host", {}, {s("PARAMETER_SERVER=http://10.0.0.1:9000"), s("PARAMETER_PATH_STYLE=false")},
        {s("server 10.0.0.1 is an IP address"), s("server from PARAMETER_SERVER"), s("path_style from PARAMETER_PATH_STYLE")});
    row("zstd-level-too-high", {}, {s("PARAMETER_COMPRESSION_LEVEL=25")},
        {s("compression_level: 25 (from PARAMETER_COMPRESSION_LEVEL) is out of range for tar.zst: 1..19")});
    row("zstd-level-zero", {}, {s("PARAMETER_COMPRESSION_LEVEL=0")}, {s("compression_level: 0"), s("1..19")});
    row("gzip-level-too-high", {}, {s("PARAMETER_COMPRESSION_LEVEL=10"), s("PARAMETER_FILENAME=archive.tgz")},
        {s("compression_level: 10"), s("tar.gz: -1..9")});
    row("level-not-a-number", {}, {s("PARAMETER_COMPRESSION_LEVEL=best")},
        {s("compression_level: cannot parse 'best': expected an integer (from PARAMETER_COMPRESSION_LEVEL)")});
    row("level-for-tar", {}, {s("PARAMETER_COMPRESSION_LEVEL=3"), s("PARAMETER_FILENAME=a.tar")},
        {s("compression_level: 3"), s("tar archives are not compressed")});
    row("max-restore-size-fraction", {}, {s("PARAMETER_MAX_RESTORE_SIZE=1.5GB")},
        {s("max_restore_size: cannot parse '1.5GB': expected bytes"), s("(from PARAMETER_MAX_RESTORE_SIZE)")});
    row("unknown-extension", {}, {s("PARAMETER_FILENAME=cache.rar")}, {s("filename: 'cache.rar' (from PARAMETER_FILENAME) has an unknown extension")});
    row("bad-bool", {}, {s("PARAMETER_DRY_RUN=maybe")}, {s("dry_run: cannot parse 'maybe'"), s("(from PARAMETER_DRY_RUN)")});
    row("bad-path-style", {s("--path-style=sometimes")}, {}, {s("path_style: cannot parse 'sometimes'")});
    row("bad-log-level", {}, {s("PARAMETER_LOG_LEVEL=loud")}, {s("log_level: unknown level 'loud' (from PARAMETER_LOG_LEVEL)")});
    row("restore-without-org-repo", {}, {s("VELA_REPO_ORG="), s("VELA_REPO_NAME=")},
        {s("key: cannot build the cache key"), s("--key/--path"), s("--org and --repo"), s("Vela")});
    row("inspect-with-org-only", {s("inspect")}, {s("VELA_REPO_NAME=")}, {s("key: cannot build the cache key")});
    row("restore-path-is-a-prefix", {s("--key=team/")}, {}, {s("path: 'team/' (from --path) ends with '/'")});
    row("flush-without-scope", {s("flush")}, {s("VELA_REPO_ORG="), s("VELA_REPO_NAME=")}, {s("flush: no scope")});
    row("flush-org-only", {s("flush"), s("--prefix=p")}, {s("VELA_REPO_NAME=")}, {s("flush: org and repo must be given together")});
    row("workspace-missing", {s("--workspace=/nonexistent/ws")}, {}, {s("workspace: '/nonexistent/ws' (from --workspace) is not a directory")});
    row("ca-bundle-missing", {s("--ca-bundle=/nonexistent/ca.pem")}, {}, {s("ca_bundle: '/nonexistent/ca.pem' (from --ca-bundle)")});
    row("access-key-without-secret", {}, {s("CACHE_S3_SECRET_KEY=")}, {s("secret_key: not set, but access_key is (from CACHE_S3_ACCESS_KEY)")});
    row("secret-without-access-key", {}, {s("CACHE_S3_ACCESS_KEY=")}, {s("access_key: not set, but secret_key is (from CACHE_S3_SECRET_KEY)")});
    row("token-without-pair", {}, {s("CACHE_S3_ACCESS_KEY="), s("CACHE_S3_SECRET_KEY="), s("PARAMETER_SESSION_TOKEN=") + sessionToken},
        {s("session_token: set (from PARAMETER_SESSION_TOKEN) without access_key and secret_key")});
    row("sse-c", {}, {s("PARAMETER_SSE=SSE-C")}, {s("sse: 'SSE-C' (from PARAMETER_SSE): SSE-C"), s("not supported")});
    row("sse-unknown", {}, {s("PARAMETER_SSE=rot13")}, {s("sse: 'rot13' (from PARAMETER_SSE) is not one of AES256, aws:kms")});
    row("kms-key-without-kms", {}, {s("PARAMETER_SSE=AES256"), s("PARAMETER_SSE_KMS_KEY_ID=alias/ci")},
        {s("sse_kms_key_id: set (from PARAMETER_SSE_KMS_KEY_ID) but sse is not aws:kms")});
    row("bucket-key-without-kms", {s("--sse-bucket-key")}, {}, {s("sse_bucket_key: set (from --sse-bucket-key) but sse is not aws:kms")});
    row("glacier", {}, {s("PARAMETER_STORAGE_CLASS=glacier")}, {s("storage_class: GLACIER (from PARAMETER_STORAGE_CLASS) keeps objects offline")});
    row("deep-archive", {s("--storage-class=DEEP_ARCHIVE")}, {}, {s("storage_class: DEEP_ARCHIVE (from --storage-class)")});
    row("storage-class-junk", {}, {s("PARAMETER_STORAGE_CLASS=cold storage")}, {s("storage_class: 'cold storage' (from PARAMETER_STORAGE_CLASS) is not")});
    row("tag-without-value", {}, {s("PARAMETER_TAGS=team")}, {s("tags: 'team' (from PARAMETER_TAGS) is not key=value")});
    row("tag-empty-key", {s("--tags==x")}, {}, {s("tags: '=x' (from --tags) is not key=value")});
    row("tag-aws-prefix", {}, {s("PARAMETER_TAGS=aws:owner=me")}, {s("uses the prefix aws:")});
    row("tag-repeated", {}, {s("PARAMETER_TAGS=a=1,a=2")}, {s("tags: 'a=2' (from PARAMETER_TAGS) repeats the key a")});
    row("tag-key-too-long", {}, {s("PARAMETER_TAGS=") + QString(129, u'k') + s("=v")}, {s("is too long: S3 allows keys of 128")});
    row("eleven-tags", {}, {s("PARAMETER_TAGS=a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11")},
        {s("tags: 11 tags (from PARAMETER_TAGS); S3 allows at most 10")});
}

void TestConfig::badInput()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, env);
    QFETCH(QStringList, fragments);

    const QStringList withToken = with(pluginRestore, {QStringLiteral("PARAMETER_SESSION_TOKEN=") + sessionToken});
    const Result<Config> c = resolve(args, with(withToken, env));
    QVERIFY(!c.ok());
    QCOMPARE(c.error().kind(), ErrorKind::InvalidInput);
    for (const QString &f : fragments)
        QVERIFY2(c.error().message().contains(f), qPrintable(c.error().message()));
    QVERIFY2(!c.error().message().contains(secretKey), qPrintable(c.error().message()));
    QVERIFY2(!c.error().message().contains(sessionToken), qPrintable(c.error().message()));
}

void TestConfig::describeMasksSecrets_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QStringList>("files");

    QTest::newRow("flags") << QStringList{QStringLiteral("--access-key"), accessKey, QStringLiteral("--secret-key"), secretKey,
                                          QStringLiteral("--session-token"), sessionToken}
                           << QStringList{QStringLiteral("CACHE_S3_ACCESS_KEY="), QStringLiteral("CACHE_S3_SECRET_KEY=")}
                           << QStringList{};
    QTest::newRow("environment") << QStringList{} << QStringList{QStringLiteral("PARAMETER_SESSION_TOKEN=") + sessionToken}
                                 << QStringList{};
    QTest::newRow("vela-secret-files")
        << QStringList{} << QStringList{QStringLiteral("CACHE_S3_ACCESS_KEY="), QStringLiteral("CACHE_S3_SECRET_KEY=")}
        << QStringList{QStringLiteral("secrets/s3-cache/access_key"), accessKey, QStringLiteral("secrets/s3-cache/secret_key"),
                       secretKey, QStringLiteral("secrets/s3-cache/session_token"), sessionToken};
}

void TestConfig::describeMasksSecrets()
{
    QFETCH(QStringList, args);
    QFETCH(QStringList, env);
    QFETCH(QStringList, files);

    writeVelaFiles(files);
    const Result<Config> c = resolve(QStringList{QStringLiteral("config")} + args, with(pluginRestore, env));
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->action, Action::Config);
    QCOMPARE(c->credentials.secretKey, secretKey);
    QCOMPARE(c->credentials.sessionToken, sessionToken);

    const QString text = c->describe();
    QVERIFY2(!text.contains(secretKey), qPrintable(text));
    QVERIFY2(!text.contains(sessionToken), qPrintable(text));
    QVERIFY2(!text.contains(accessKey), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("AKIA****")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("https://mybucket.s3-us-west-2.amazonaws.com (virtual-host, region us-west-2 from host)")));
    QVERIFY(text.contains(QStringLiteral("octo/app/archive.tar.zst")));
    QVERIFY(text.contains(QStringLiteral("tar.zst")));
    QVERIFY(text.contains(QStringLiteral("(PARAMETER_ROOT)")));
    QVERIFY(text.contains(QStringLiteral("(PARAMETER_SERVER)")));
    QVERIFY(text.contains(QStringLiteral("(VELA_REPO_ORG)")));
    QVERIFY(text.contains(QStringLiteral("(command line)")));
    QVERIFY(text.contains(QStringLiteral("us-west-2 (host)")));
    QVERIFY(text.contains(QStringLiteral("10m (default)")));
    QVERIFY(text.contains(QStringLiteral("14d (default)")));
    for (const QString &name : {QStringLiteral("secret_key"), QStringLiteral("session_token")})
        QCOMPARE(c->sources.value(name).value, QStringLiteral("****"));
    // Registered with the log as soon as they were read.
    QCOMPARE(Log::mask(secretKey + u' ' + sessionToken), QStringLiteral("**** ****"));
}

void TestConfig::acceleratedEndpoint_data()
{
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("result");  // the bucket URL, or a part of the error message

    const QStringList base{QStringLiteral("PARAMETER_ACTION=restore"), QStringLiteral("PARAMETER_ROOT=ci-cache"),
                           QStringLiteral("VELA_REPO_ORG=o"), QStringLiteral("VELA_REPO_NAME=r")};
    QTest::newRow("true") << with(base, {QStringLiteral("PARAMETER_ACCELERATED_ENDPOINT=true")})
                          << QStringLiteral("https://ci-cache.s3-accelerate.amazonaws.com/");
    QTest::newRow("host") << with(base, {QStringLiteral("PARAMETER_ACCELERATED_ENDPOINT=s3-accelerate.dualstack.amazonaws.com")})
                          << QStringLiteral("https://ci-cache.s3-accelerate.dualstack.amazonaws.com/");
    QTest::newRow("https-host") << with(base, {QStringLiteral("PARAMETER_ACCELERATED_ENDPOINT=https://s3-accelerate.amazonaws.com/")})
                                << QStringLiteral("https://ci-cache.s3-accelerate.amazonaws.com/");
    QTest::newRow("false") << with(base, {QStringLiteral("PARAMETER_ACCELERATED_ENDPOINT=false"), QStringLiteral("AWS_REGION=eu-west-1")})
                           << QStringLiteral("https://ci-cache.s3.eu-west-1.amazonaws.com/");
    QTest::newRow("plugin-server") << with(base, {QStringLiteral("PARAMETER_ACCELERATED_ENDPOINT=true"),
                                                  QStringLiteral("PARAMETER_SERVER=ci-cache.s3-us-west-2.amazonaws.com")})
                                   << QStringLiteral("https://ci-cache.s3-accelerate.amazonaws.com/");
    QTest::newRow("dotted-bucket") << with(base, {QStringLiteral("PARAMETER_ACCELERATED_ENDPOINT=true"), QStringLiteral("PARAMETER_ROOT=ci.cache")})
                                   << QStringLiteral("has dots");
    QTest::newRow("minio") << with(base, {QStringLiteral("PARAMETER_ACCELERATED_ENDPOINT=true"),
                                          QStringLiteral("PARAMETER_SERVER=http://127.0.0.1:9000")})
                           << QStringLiteral("is not AWS S3");
    QTest::newRow("minio-from-AWS_ENDPOINT_URL_S3") << with(base, {QStringLiteral("PARAMETER_ACCELERATED_ENDPOINT=true"),
                                                                   QStringLiteral("AWS_ENDPOINT_URL_S3=http://127.0.0.1:9000")})
                                                    << QStringLiteral("server from AWS_ENDPOINT_URL_S3");
}

void TestConfig::acceleratedEndpoint()
{
    QFETCH(QStringList, env);
    QFETCH(QString, result);
    env << QStringLiteral("HOME=") + m_vela->path();  // no ~/.aws of this machine
    const Result<Config> c = resolve({}, env);
    if (!result.startsWith(u"https://")) {
        QVERIFY(!c.ok());
        QCOMPARE(c.error().kind(), ErrorKind::InvalidInput);
        QVERIFY2(c.error().message().contains(result), qPrintable(c.error().message()));
        QVERIFY2(c.error().message().contains(QStringLiteral("accelerated_endpoint")), qPrintable(c.error().message()));
        return;
    }
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->resolvedEndpoint.bucketUrl().toString(), result);
    QCOMPARE(c->resolvedEndpoint.accelerated, result.contains(QStringLiteral("accelerate")));
}

void TestConfig::proxyInDescribe()
{
    const QStringList base = with(pluginRestore, {QStringLiteral("HOME=$VELA")});
    Result<Config> c = resolve({}, with(base, {QStringLiteral("HTTPS_PROXY=http://proxyman:Pr0xyS3cret@10.1.2.3:3128")}));
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QString text = c->describe();
    QVERIFY2(text.contains(QStringLiteral("proxy:       http://****@10.1.2.3:3128 (from HTTPS_PROXY)")), qPrintable(text));
    QVERIFY(!text.contains(QStringLiteral("Pr0xyS3cret")) && !text.contains(QStringLiteral("proxyman")));
    c = resolve({}, with(base, {QStringLiteral("HTTPS_PROXY=http://10.1.2.3:3128"), QStringLiteral("no_proxy=.amazonaws.com")}));
    QVERIFY(c->describe().contains(QStringLiteral("proxy:       none (no_proxy names mybucket.s3-us-west-2.amazonaws.com)")));
    c = resolve({}, with(base, {QStringLiteral("HTTP_PROXY=http://10.1.2.3:3128")}));  // an https endpoint
    QVERIFY(c->describe().contains(QStringLiteral("proxy:       none\n")));
    c = resolve({}, with(base, {QStringLiteral("HTTPS_PROXY=ftp://10.1.2.3")}));
    QVERIFY(!c.ok());
    QVERIFY2(c.error().message().contains(QStringLiteral("HTTPS_PROXY")), qPrintable(c.error().message()));
}

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
