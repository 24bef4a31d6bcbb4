// The AWS credential chain: profile files, then IMDSv2 against a loopback look-alike
// (imds_server.py). Nothing here ever talks to a non-loopback address.

#include "config/credentialchain.h"
#include "config/imdsclient.h"
#include "util/log.h"
#include "testservers.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;

namespace {

const QString accessKey = QStringLiteral("ASIAIMDSEXAMPLE12345");
const QString secretKey = QStringLiteral("imdsSecret/K7MDENG+bPxRfiCYEXAMPLEKEY");
const QString sessionToken = QStringLiteral("imdsSessionToken//IQoJb3JpZ2luX2VjEXAMPLE==");

// Runs tests/unit/config/imds_server.py on a free loopback port for the lifetime of the object.
class ImdsServer
{
public:
    explicit ImdsServer(const QString &mode)
    {
        const QString python = test::testPython();
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(python, {QStringLiteral(S3CACHE_TEST_SOURCE_DIR "/unit/config/imds_server.py"),
                                 QStringLiteral("--mode"), mode, QStringLiteral("--access-key"), accessKey,
                                 QStringLiteral("--secret-key"), secretKey,
                                 QStringLiteral("--session-token"), sessionToken});
        if (!m_process.waitForStarted(10'000))
            return;
        while (!m_process.canReadLine() && m_process.waitForReadyRead(10'000)) {
        }
        const QByteArray line = m_process.readLine().trimmed();
        if (line.startsWith("PORT "))
            m_port = line.mid(5).toInt();
    }
    ~ImdsServer()
    {
        m_process.closeWriteChannel();
        if (!m_process.waitForFinished(5'000)) {
            m_process.kill();
            m_process.waitForFinished(5'000);
        }
    }
    bool isRunning() const { return m_port > 0; }
    QString endpoint() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_port); }

private:
    QProcess m_process;
    int m_port = 0;
};

// A loopback port with nothing listening on it.
int closedPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost))
        return 0;
    const int port = server.serverPort();
    server.close();
    return port;
}

} // namespace

class TestCredentials : public QObject
{
    Q_OBJECT

private slots:
    void init();

    void profiles_data();
    void profiles();
    void profileErrors_data();
    void profileErrors();
    void nothingFound();

    void imds_data();
    void imds();
    void imdsDisabled_data();
    void imdsDisabled();
    void profileBeforeImds();
    void imdsNotListening();
    void imdsNotAnswering();
    void imdsBadEndpoint();

private:
    // Writes files given as [relative path, content, ...] into the home directory.
    void writeFiles(const QStringList &files);
    QProcessEnvironment environment(const QStringList &variables) const;

    std::unique_ptr<QTemporaryDir> m_home;
};

void TestCredentials::init()
{
    m_home = std::make_unique<QTemporaryDir>();
    QVERIFY(m_home->isValid());
}

void TestCredentials::writeFiles(const QStringList &files)
{
    for (qsizetype i = 0; i + 1 < files.size(); i += 2) {
        const QString path = m_home->filePath(files[i]);
        QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(files[i + 1].toUtf8());
    }
}

// Variables "NAME=value"; "$HOME" in a value is the temporary home directory.
QProcessEnvironment TestCredentials::environment(const QStringList &variables) const
{
    QProcessEnvironment env;
    for (const QString &v : variables) {
        const qsizetype eq = v.indexOf(u'=');
        env.insert(v.left(eq), v.mid(eq + 1).replace(QStringLiteral("$HOME"), m_home->path()));
    }
    return env;
}

void TestCredentials::profiles_data()
{
    QTest::addColumn<QStringList>("files");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("access");
    QTest::addColumn<QString>("secret");
    QTest::addColumn<QString>("token");
    QTest::addColumn<QString>("source");

    const QString creds = QStringLiteral(".aws/credentials");
    const QString config = QStringLiteral(".aws/config");
    QTest::newRow("default-profile")
        << QStringList{creds, QStringLiteral("[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = defaultSecret\n")}
        << QStringList{} << "AKIADEFAULT" << "defaultSecret" << "" << "profile default";
    QTest::newRow("aws-profile-in-credentials")
        << QStringList{creds, QStringLiteral("[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = defaultSecret\n"
                                             "[ci]\naws_access_key_id = AKIACI\naws_secret_access_key = ciSecret\n"
                                             "aws_session_token = ciToken\n")}
        << QStringList{QStringLiteral("AWS_PROFILE=ci")} << "AKIACI" << "ciSecret" << "ciToken" << "profile ci";
    QTest::newRow("aws-default-profile")
        << QStringList{creds, QStringLiteral("[old]\naws_access_key_id = AKIAOLD\naws_secret_access_key = oldSecret\n")}
        << QStringList{QStringLiteral("AWS_DEFAULT_PROFILE=old")} << "AKIAOLD" << "oldSecret" << "" << "profile old";
    QTest::newRow("config-profile-section")
        << QStringList{config, QStringLiteral("[profile build]\nregion = eu-west-1\naws_access_key_id=AKIABUILD\n"
                                              "aws_secret_access_key=buildSecret\naws_session_token=buildToken\n")}
        << QStringList{QStringLiteral("AWS_PROFILE=build")} << "AKIABUILD" << "buildSecret" << "buildToken" << "profile build";
    QTest::newRow("config-default-section")
        << QStringList{config, QStringLiteral("[default]\naws_access_key_id = AKIACFG\naws_secret_access_key = cfgSecret\n")}
        << QStringList{} << "AKIACFG" << "cfgSecret" << "" << "profile default";
    QTest::newRow("config-bare-section-is-not-a-profile")
        << QStringList{config, QStringLiteral("[build]\naws_access_key_id = AKIANO\naws_secret_access_key = noSecret\n"),
                       creds, QStringLiteral("[build]\naws_access_key_id = AKIAYES\naws_secret_access_key = yesSecret\n")}
        << QStringList{QStringLiteral("AWS_PROFILE=build")} << "AKIAYES" << "yesSecret" << "" << "profile build";
    QTest::newRow("credentials-before-config")
        << QStringList{creds, QStringLiteral("[default]\naws_access_key_id = AKIACREDS\naws_secret_access_key = credsSecret\n"),
                       config, QStringLiteral("[default]\naws_access_key_id = AKIACFG\naws_secret_access_key = cfgSecret\n")}
        << QStringList{} << "AKIACREDS" << "credsSecret" << "" << ".aws/credentials";
    QTest::newRow("credentials-without-keys-then-config")
        << QStringList{creds, QStringLiteral("[default]\nregion = us-west-2\n"),
                       config, QStringLiteral("[profile default]\naws_access_key_id = AKIACFG\naws_secret_access_key = cfgSecret\n")}
        << QStringList{} << "AKIACFG" << "cfgSecret" << "" << ".aws/config";
    QTest::newRow("comments-and-whitespace")
        << QStringList{creds, QStringLiteral("# managed by CI\n\n; another comment\n  [ ci ]  \n"
                                             "  aws_access_key_id   =   AKIASPACES   # inline comment\n"
                                             "AWS_Secret_Access_Key=spacesSecret ; trailing\r\n"
                                             "s3 =\n    max_concurrent_requests = 20\n    addressing_style = path\n"
                                             "aws_session_token = spacesToken\n")}
        << QStringList{QStringLiteral("AWS_PROFILE=ci")} << "AKIASPACES" << "spacesSecret" << "spacesToken" << "profile ci";
    QTest::newRow("legacy-security-token")
        << QStringList{creds, QStringLiteral("[default]\naws_access_key_id = AKIALEGACY\naws_secret_access_key = legacySecret\n"
                                             "aws_security_token = legacyToken\n")}
        << QStringList{} << "AKIALEGACY" << "legacySecret" << "legacyToken" << "profile default";
    QTest::newRow("file-overrides")
        << QStringList{creds, QStringLiteral("[default]\naws_access_key_id = AKIAHOME\naws_secret_access_key = homeSecret\n"),
                       QStringLiteral("elsewhere/creds"),
                       QStringLiteral("[other]\naws_access_key_id = AKIAENVFILE\naws_secret_access_key = envFileSecret\n")}
        << QStringList{QStringLiteral("AWS_SHARED_CREDENTIALS_FILE=$HOME/elsewhere/creds"), QStringLiteral("AWS_PROFILE=other")}
        << "AKIAENVFILE" << "envFileSecret" << "" << "elsewhere/creds";
    QTest::newRow("config-file-override")
        << QStringList{QStringLiteral("elsewhere/cfg"),
                       QStringLiteral("[profile other]\naws_access_key_id = AKIAENVCFG\naws_secret_access_key = envCfgSecret\n")}
        << QStringList{QStringLiteral("AWS_CONFIG_FILE=$HOME/elsewhere/cfg"), QStringLiteral("AWS_PROFILE=other")}
        << "AKIAENVCFG" << "envCfgSecret" << "" << "elsewhere/cfg";
}

void TestCredentials::profiles()
{
    QFETCH(QStringList, files);
    QFETCH(QStringList, env);
    QFETCH(QString, access);
    QFETCH(QString, secret);
    QFETCH(QString, token);
    QFETCH(QString, source);

    writeFiles(files);
    // The metadata endpoint is a closed loopback port: a profile must win before it is asked.
    const Result<Credentials> c = resolveCredentialChain(
        environment(env << QStringLiteral("AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:%1").arg(closedPort())),
        m_home->path());
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->accessKey, access);
    QCOMPARE(c->secretKey, secret);
    QCOMPARE(c->sessionToken, token);
    QVERIFY2(c->source.contains(source), qPrintable(c->source));
    QCOMPARE(Log::mask(secret), QStringLiteral("****"));
}

void TestCredentials::profileErrors_data()
{
    QTest::addColumn<QStringList>("files");
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("message");

    const QString creds = QStringLiteral(".aws/credentials");
    const QString config = QStringLiteral(".aws/config");
    QTest::newRow("malformed-line")
        << QStringList{creds, QStringLiteral("[default]\naws_access_key_id = AKIAX\nSECRETdistinctValue1\n")}
        << QStringList{} << "credentials line 3: expected '[section]' or 'key = value'";
    QTest::newRow("setting-before-section")
        << QStringList{creds, QStringLiteral("aws_secret_access_key = SECRETdistinctValue1\n[default]\n")}
        << QStringList{} << "line 1: setting outside of any [section]";
    QTest::newRow("unclosed-section")
        << QStringList{config, QStringLiteral("[profile x\n")} << QStringList{} << "line 1: section header without ']'";
    QTest::newRow("half-pair")
        << QStringList{creds, QStringLiteral("[default]\naws_secret_access_key = SECRETdistinctValue1\n")}
        << QStringList{} << "credentials has aws_secret_access_key but no aws_access_key_id";
    QTest::newRow("profile-not-found")
        << QStringList{creds, QStringLiteral("[default]\naws_access_key_id = AKIAX\naws_secret_access_key = SECRETdistinctValue1\n")}
        << QStringList{QStringLiteral("AWS_PROFILE=missing")} << "AWS profile 'missing' (from AWS_PROFILE) is in neither";
    QTest::newRow("role-arn")
        << QStringList{config, QStringLiteral("[profile assume]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = default\n")}
        << QStringList{QStringLiteral("AWS_PROFILE=assume")} << "uses role_arn, which s3cache does not support";
}

void TestCredentials::profileErrors()
{
    QFETCH(QStringList, files);
    QFETCH(QStringList, env);
    QFETCH(QString, message);

    writeFiles(files);
    const Result<Credentials> c = resolveCredentialChain(
        environment(env << QStringLiteral("AWS_EC2_METADATA_DISABLED=true")), m_home->path());
    QVERIFY(!c.ok());
    QCOMPARE(c.error().kind(), ErrorKind::InvalidInput);
    QVERIFY2(c.error().message().contains(message), qPrintable(c.error().message()));
    QVERIFY(!c.error().message().contains(QStringLiteral("SECRETdistinct")));
}

void TestCredentials::nothingFound()
{
    const Result<Credentials> c = resolveCredentialChain(
        environment({QStringLiteral("AWS_EC2_METADATA_DISABLED=true")}), m_home->path());
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QVERIFY(c->isEmpty());
}

void TestCredentials::imds_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<bool>("expectCredentials");
    QTest::addColumn<bool>("expectError");

    QTest::newRow("role-credentials") << "ok" << true << false;
    QTest::newRow("chunked-response") << "chunked" << true << false;
    QTest::newRow("no-role-attached") << "norole" << false << false;
    QTest::newRow("malformed-json") << "malformed" << false << true;
}

void TestCredentials::imds()
{
    QFETCH(QString, mode);
    QFETCH(bool, expectCredentials);
    QFETCH(bool, expectError);

    ImdsServer server(mode);
    QVERIFY2(server.isRunning(), "imds_server.py did not start");
    const Result<Credentials> c = resolveCredentialChain(
        environment({QStringLiteral("AWS_EC2_METADATA_SERVICE_ENDPOINT=") + server.endpoint()}), m_home->path());
    if (expectError) {
        QVERIFY(!c.ok());
        QCOMPARE(c.error().kind(), ErrorKind::Server);
        QVERIFY2(c.error().message().contains(QStringLiteral("ci-runner-role")), qPrintable(c.error().message()));
        return;
    }
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    if (!expectCredentials) {
        QVERIFY(c->isEmpty());
        return;
    }
    QCOMPARE(c->accessKey, accessKey);
    QCOMPARE(c->secretKey, secretKey);
    QCOMPARE(c->sessionToken, sessionToken);
    QCOMPARE(c->source, QStringLiteral("IMDSv2 role ci-runner-role"));
    QCOMPARE(Log::mask(QStringLiteral("x ") + sessionToken), QStringLiteral("x ****"));
}

void TestCredentials::imdsDisabled_data()
{
    QTest::addColumn<QString>("value");
    QTest::newRow("true") << "true";
    QTest::newRow("TRUE") << "TRUE";
}

void TestCredentials::imdsDisabled()
{
    QFETCH(QString, value);
    ImdsServer server(QStringLiteral("ok"));
    QVERIFY2(server.isRunning(), "imds_server.py did not start");
    const Result<Credentials> c = resolveCredentialChain(
        environment({QStringLiteral("AWS_EC2_METADATA_SERVICE_ENDPOINT=") + server.endpoint(),
                     QStringLiteral("AWS_EC2_METADATA_DISABLED=") + value}),
        m_home->path());
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QVERIFY(c->isEmpty());
}

void TestCredentials::profileBeforeImds()
{
    ImdsServer server(QStringLiteral("ok"));
    QVERIFY2(server.isRunning(), "imds_server.py did not start");
    writeFiles({QStringLiteral(".aws/credentials"),
                QStringLiteral("[default]\naws_access_key_id = AKIAPROFILE\naws_secret_access_key = profileSecret\n")});
    const Result<Credentials> c = resolveCredentialChain(
        environment({QStringLiteral("AWS_EC2_METADATA_SERVICE_ENDPOINT=") + server.endpoint()}), m_home->path());
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->accessKey, QStringLiteral("AKIAPROFILE"));
}

void TestCredentials::imdsNotListening()
{
    const int port = closedPort();
    QVERIFY(port > 0);
    const Result<Credentials> c = resolveCredentialChain(
        environment({QStringLiteral("AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:%1").arg(port)}), m_home->path());
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QVERIFY(c->isEmpty());
}

void TestCredentials::imdsNotAnswering()
{
    // Accepts connections (the kernel's backlog) but never answers: the client gives up at its
    // deadline (shortened here; the chain uses 3 s) and reports that nothing was found.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost));
    ImdsOptions options;
    options.endpoint = QStringLiteral("http://127.0.0.1:%1").arg(silent.serverPort());
    options.totalTimeoutMs = 200;
    const Result<Credentials> c = fetchImdsCredentials(options);
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QVERIFY(c->isEmpty());
}

void TestCredentials::imdsBadEndpoint()
{
    const Result<Credentials> c = resolveCredentialChain(
        environment({QStringLiteral("AWS_EC2_METADATA_SERVICE_ENDPOINT=https://127.0.0.1:1")}), m_home->path());
    QVERIFY(!c.ok());
    QCOMPARE(c.error().kind(), ErrorKind::InvalidInput);
    QVERIFY2(c.error().message().contains(QStringLiteral("https://127.0.0.1:1")), qPrintable(c.error().message()));
}

QTEST_GUILESS_MAIN(TestCredentials)
#include "tst_credentials.moc"
