// The AWS credential chain: profile files (static keys, role_arn chains and their errors,
// credential_process with a real script), container credentials against a loopback look-alike
// (credential_server.py), IMDSv2 and its IMDSv1 fallback against another (imds_server.py), STS
// answers and endpoints, and the refreshing CredentialProvider, with an S3Connection that
// retries once on ExpiredToken. STS itself is exercised end to end against moto in
// tests/e2e/test_credentials.py. Nothing here ever talks to a non-loopback address.

#include "config/credentialchain.h"
#include "config/credentialsources.h"
#include "config/imdsclient.h"
#include "config/stsclient.h"
#include "s3/credentialprovider.h"
#include "s3/s3connection.h"
#include "util/log.h"
#include "testservers.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cerrno>

using namespace s3cache;

namespace {

const QString accessKey = QStringLiteral("ASIAIMDSEXAMPLE12345");
const QString secretKey = QStringLiteral("imdsSecret/K7MDENG+bPxRfiCYEXAMPLEKEY");
const QString sessionToken = QStringLiteral("imdsSessionToken//IQoJb3JpZ2luX2VjEXAMPLE==");

// Runs a Python stub of tests/unit/config on a free loopback port for the lifetime of the object.
class StubServer
{
public:
    StubServer(const char *script, const QStringList &arguments)
    {
        const QString python = test::testPython();
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(python, QStringList{QStringLiteral(S3CACHE_TEST_SOURCE_DIR "/unit/config/") + QLatin1String(script)}
                                    + arguments);
        if (!m_process.waitForStarted(10'000))
            return;
        while (!m_process.canReadLine() && m_process.waitForReadyRead(10'000)) {
        }
        const QByteArray line = m_process.readLine().trimmed();
        if (line.startsWith("PORT "))
            m_port = line.mid(5).toInt();
    }
    ~StubServer()
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

class ImdsServer : public StubServer
{
public:
    explicit ImdsServer(const QString &mode)
        : StubServer("imds_server.py", {QStringLiteral("--mode"), mode, QStringLiteral("--access-key"), accessKey,
                                         QStringLiteral("--secret-key"), secretKey,
                                         QStringLiteral("--session-token"), sessionToken})
    {
    }
};

const QString containerToken = QStringLiteral("Zq8AuthTokenOfTheTask-0123456789abcdef");
const QString containerSecret = QStringLiteral("Xc7SecretOfTheTask/wJalrXUtnFEMI+EXAMPLEKEY");
const QString containerSession = QStringLiteral("Wv6SessionOfTheTask//FwoGZXIvYXdzEXAMPLE==");

// credential_server.py as the container credentials endpoint, answering credentials valid
// for `expiresIn` seconds.
class ContainerServer : public StubServer
{
public:
    explicit ContainerServer(int expiresIn = 3600)
        : StubServer("credential_server.py", {QStringLiteral("--token"), containerToken,
                                               QStringLiteral("--access-key"), QStringLiteral("ASIACONTAINER0000001"),
                                               QStringLiteral("--secret-key"), containerSecret,
                                               QStringLiteral("--session-token"), containerSession,
                                               QStringLiteral("--expires-in"), QString::number(expiresIn)})
    {
    }
    QString url() const { return endpoint() + QStringLiteral("/creds"); }
};

// Every secret the tests use, for "no secret in the message" checks.
void verifyNoSecret(const QString &text)
{
    for (const QString &secret : {secretKey, sessionToken, containerToken, containerSecret, containerSession,
                                  QStringLiteral("SECRETdistinct"), QStringLiteral("processSecret"),
                                  QStringLiteral("processSession"), QStringLiteral("webIdentityJwt")}) {
        QVERIFY2(!text.contains(secret), qPrintable(QStringLiteral("secret %1 in: %2").arg(secret, text)));
    }
}

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
    void imdsV1Fallback_data();
    void imdsV1Fallback();

    void splitCommandLine_data();
    void splitCommandLine();
    void credentialProcess();
    void credentialProcessErrors_data();
    void credentialProcessErrors();
    void credentialProcessTimeout();

    void container();
    void containerTokenFileReadEachTime();
    void containerUris();
    void containerErrors_data();
    void containerErrors();
    void containerRefreshesSoonExpiring();

    void stsCredentialsParsing();
    void stsEndpoints_data();
    void stsEndpoints();
    void webIdentityErrors();

    void providerRefresh();
    void providerAdvisoryFailureKeepsCached();
    void providerInvalidate();
    void expiredTokenRetriedOnce();
    void expiredTokenRetriedOnlyOnce();

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
    const QString role = QStringLiteral("role_arn = arn:aws:iam::123456789012:role/x\n");
    const QStringList assume{QStringLiteral("AWS_PROFILE=assume")};
    QTest::newRow("role-arn-without-source")
        << QStringList{config, QStringLiteral("[profile assume]\n") + role} << assume
        << "profile 'assume' role_arn arn:aws:iam::123456789012:role/x needs source_profile, credential_source or "
           "web_identity_token_file";
    QTest::newRow("source-profile-loop")
        << QStringList{config, QStringLiteral("[profile assume]\n") + role + QStringLiteral("source_profile = b\n[profile b]\n")
                                   + role + QStringLiteral("source_profile = assume\n")}
        << assume << "source_profile loops: assume -> b -> assume";
    QTest::newRow("source-profile-self-without-keys")
        << QStringList{config, QStringLiteral("[profile assume]\n") + role + QStringLiteral("source_profile = assume\n")}
        << assume << "source_profile loops: assume -> assume";
    QTest::newRow("source-profile-missing")
        << QStringList{config, QStringLiteral("[profile assume]\n") + role + QStringLiteral("source_profile = nope\n")}
        << assume << "source_profile 'nope' is in neither";
    QTest::newRow("source-profile-without-credentials")
        << QStringList{config, QStringLiteral("[profile assume]\n") + role + QStringLiteral("source_profile = empty\n[profile empty]\nregion = eu-west-1\n")}
        << assume << "source_profile 'empty' has no credentials";
    QTest::newRow("source-profile-and-credential-source")
        << QStringList{config, QStringLiteral("[profile assume]\n") + role
                                   + QStringLiteral("source_profile = x\ncredential_source = Environment\n")}
        << assume << "give source_profile or credential_source, not both";
    QTest::newRow("credential-source-unknown")
        << QStringList{config, QStringLiteral("[profile assume]\n") + role + QStringLiteral("credential_source = Laptop\n")}
        << assume << "credential_source 'Laptop' is not Environment, Ec2InstanceMetadata or EcsContainer";
    QTest::newRow("credential-source-environment-unset")
        << QStringList{config, QStringLiteral("[profile assume]\n") + role + QStringLiteral("credential_source = Environment\n")}
        << assume << "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not both set";
    QTest::newRow("credential-source-imds-disabled")
        << QStringList{config, QStringLiteral("[profile assume]\n") + role + QStringLiteral("credential_source = Ec2InstanceMetadata\n")}
        << assume << "credential_source Ec2InstanceMetadata is not available here";
    QTest::newRow("credential-source-container-unset")
        << QStringList{config, QStringLiteral("[profile assume]\n") + role + QStringLiteral("credential_source = EcsContainer\n")}
        << assume << "credential_source EcsContainer is not available here";
    QTest::newRow("duration-seconds")
        << QStringList{config, QStringLiteral("[profile assume]\n") + role + QStringLiteral("credential_source = Environment\nduration_seconds = 12h\n")}
        << assume << "duration_seconds '12h' is not a number of seconds from 900 to 43200";
    QTest::newRow("mfa-serial")
        << QStringList{config, QStringLiteral("[profile assume]\n") + role + QStringLiteral("source_profile = x\nmfa_serial = arn:aws:iam::1:mfa/u\n")}
        << assume << "mfa_serial: s3cache cannot ask for an MFA code";
    QTest::newRow("sts-regional-endpoints")
        << QStringList{config, QStringLiteral("[profile assume]\n") + role + QStringLiteral("web_identity_token_file = /t\nsts_regional_endpoints = nearest\n")}
        << assume << "sts_regional_endpoints / AWS_STS_REGIONAL_ENDPOINTS is 'nearest'";
    QTest::newRow("sso-session")
        << QStringList{config, QStringLiteral("[profile assume]\nsso_session = corp\nsso_account_id = 1\n[sso-session corp]\nsso_start_url = https://x\n")}
        << assume << "uses AWS IAM Identity Center (SSO), which s3cache does not support: run `aws configure export-credentials";
    QTest::newRow("sso-legacy")
        << QStringList{config, QStringLiteral("[profile assume]\nsso_start_url = https://corp.awsapps.com/start\n")}
        << assume << "or give the profile a credential_process";
    QTest::newRow("web-identity-without-role")
        << QStringList{config, QStringLiteral("[profile assume]\nweb_identity_token_file = /var/run/token\n")}
        << assume << "has web_identity_token_file but no role_arn";
    QTest::newRow("credential-process-quote")
        << QStringList{config, QStringLiteral("[profile assume]\ncredential_process = /bin/echo 'SECRETdistinctValue1\n")}
        << assume << "profile 'assume' credential_process: unterminated ' quote";
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

void TestCredentials::imdsV1Fallback_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("reason");
    QTest::newRow("token-put-hangs") << "hang-put" << "IMDSv2 token request got no answer within 1000 ms";
    QTest::newRow("token-put-403") << "403-put" << "IMDSv2 token request answered HTTP 403";
}

void TestCredentials::imdsV1Fallback()
{
    QFETCH(QString, mode);
    QFETCH(QString, reason);
    ImdsServer server(mode);
    QVERIFY2(server.isRunning(), "imds_server.py did not start");
    const Result<Credentials> c = resolveCredentialChain(
        environment({QStringLiteral("AWS_EC2_METADATA_SERVICE_ENDPOINT=") + server.endpoint()}), m_home->path());
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->accessKey, accessKey);
    QCOMPARE(c->source, QStringLiteral("IMDSv1 role ci-runner-role (%1)").arg(reason));
    QCOMPARE(c->expiration, QDateTime(QDate(2099, 1, 1), QTime(0, 0), Qt::UTC));

    // AWS_EC2_METADATA_V1_DISABLED forbids the fallback: nothing found.
    const Result<Credentials> none = resolveCredentialChain(
        environment({QStringLiteral("AWS_EC2_METADATA_SERVICE_ENDPOINT=") + server.endpoint(),
                     QStringLiteral("AWS_EC2_METADATA_V1_DISABLED=true")}),
        m_home->path());
    QVERIFY2(none.ok(), qPrintable(none.error().message()));
    QVERIFY(none->isEmpty());
}

void TestCredentials::splitCommandLine_data()
{
    const auto words = [](std::initializer_list<const char *> list) {
        QStringList out;
        for (const char *w : list)
            out << QString::fromUtf8(w);
        return out;
    };
    QTest::addColumn<QString>("line");
    QTest::addColumn<QStringList>("words");
    QTest::newRow("plain") << "/usr/bin/tool  --profile ci" << words({"/usr/bin/tool", "--profile", "ci"});
    QTest::newRow("single-quotes") << "'/opt/my tool/bin' 'a \"b\" $c'" << words({"/opt/my tool/bin", "a \"b\" $c"});
    QTest::newRow("double-quotes") << R"("a \"q\" \\ \x" b)" << words({R"(a "q" \ \x)", "b"});
    QTest::newRow("backslash-outside") << R"(a\ b c\'d)" << words({"a b", "c'd"});
    QTest::newRow("adjacent") << R"(x"y z"'w')" << words({"xy zw"});
    QTest::newRow("empty-quoted-word") << "tool ''" << words({"tool", ""});
    QTest::newRow("no-shell-operators") << "echo a; rm -rf x | y" << words({"echo", "a;", "rm", "-rf", "x", "|", "y"});
}

void TestCredentials::splitCommandLine()
{
    QFETCH(QString, line);
    QFETCH(QStringList, words);
    const Result<QStringList> split = s3cache::splitCommandLine(line);
    QVERIFY2(split.ok(), qPrintable(split.error().message()));
    QCOMPARE(*split, words);
    QVERIFY(!s3cache::splitCommandLine(QStringLiteral("a \"b")).ok());
    QVERIFY(!s3cache::splitCommandLine(QStringLiteral("   ")).ok());
}

namespace {

// A credential_process script: prints `stdoutText`, `stderrText`, exits with `code`.
QString writeScript(const QString &dir, const QString &stdoutText, const QString &stderrText, int code)
{
    const QString path = dir + QStringLiteral("/my helper/cred process.py");
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(QStringLiteral("import sys\nsys.stdout.write(%1)\nsys.stderr.write(%2)\n"
                              "assert sys.argv[1:] == ['--role', 'a b'], sys.argv\nsys.exit(%3)\n")
                   .arg(QString::fromLatin1(QJsonDocument(QJsonArray{stdoutText}).toJson(QJsonDocument::Compact).mid(1).chopped(1)),
                        QString::fromLatin1(QJsonDocument(QJsonArray{stderrText}).toJson(QJsonDocument::Compact).mid(1).chopped(1)),
                        QString::number(code))
                   .toUtf8());
    return path;
}

QString processJson(int version = 1, const QString &expiration = QStringLiteral("2099-01-01T00:00:00.5Z"))
{
    return QStringLiteral(R"({"Version": %1, "AccessKeyId": "ASIAPROCESS000000001", "SecretAccessKey": "processSecret-0123456789", "SessionToken": "processSession-0123456789", "Expiration": "%2"})")
        .arg(QString::number(version), expiration);
}

} // namespace

void TestCredentials::credentialProcess()
{
    const QString script = writeScript(m_home->path(), processJson(), {}, 0);
    QVERIFY(!script.isEmpty());
    writeFiles({QStringLiteral(".aws/config"),
                QStringLiteral("[profile ci]\ncredential_process = \"%1\" '%2' --role 'a b'\n").arg(test::testPython(), script)});
    const Result<Credentials> c = resolveCredentialChain(
        environment({QStringLiteral("AWS_PROFILE=ci"), QStringLiteral("AWS_EC2_METADATA_DISABLED=true")}), m_home->path());
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->accessKey, QStringLiteral("ASIAPROCESS000000001"));
    QCOMPARE(c->secretKey, QStringLiteral("processSecret-0123456789"));
    QCOMPARE(c->sessionToken, QStringLiteral("processSession-0123456789"));
    QCOMPARE(c->source, QStringLiteral("profile 'ci' credential_process"));
    QCOMPARE(c->expiration, QDateTime(QDate(2099, 1, 1), QTime(0, 0, 0, 500), Qt::UTC));
    QCOMPARE(Log::mask(c->secretKey + u' ' + c->sessionToken), QStringLiteral("**** ****"));
}

void TestCredentials::credentialProcessErrors_data()
{
    QTest::addColumn<QString>("out");
    QTest::addColumn<QString>("err");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    QTest::newRow("exit-code-stderr-masked")
        << processJson() << "token expired for processSecret-0123456789\n" << 3
        << "profile 'ci' credential_process: %1 exited with code 3: token expired for ****";
    QTest::newRow("not-json") << "Password: " << "" << 0 << "profile 'ci' credential_process: the answer is not a JSON object";
    QTest::newRow("version-2") << processJson(2) << "" << 0 << "the JSON has no \"Version\": 1";
    QTest::newRow("no-secret") << R"({"Version": 1, "AccessKeyId": "ASIAX"})" << "" << 0
                               << "the JSON lacks AccessKeyId or SecretAccessKey";
    QTest::newRow("bad-expiration") << processJson(1, QStringLiteral("tomorrow")) << "" << 0
                                    << "Expiration 'tomorrow' is not an ISO 8601 time";
}

void TestCredentials::credentialProcessErrors()
{
    QFETCH(QString, out);
    QFETCH(QString, err);
    QFETCH(int, code);
    QFETCH(QString, message);
    const QString script = writeScript(m_home->path(), out, err, code);
    writeFiles({QStringLiteral(".aws/config"),
                QStringLiteral("[profile ci]\ncredential_process = %1 '%2' --role 'a b'\n").arg(test::testPython(), script)});
    const Result<Credentials> c = resolveCredentialChain(
        environment({QStringLiteral("AWS_PROFILE=ci"), QStringLiteral("AWS_EC2_METADATA_DISABLED=true")}), m_home->path());
    QVERIFY(!c.ok());
    const QString expected = message.contains(u"%1") ? message.arg(test::testPython()) : message;
    QVERIFY2(c.error().message().contains(expected), qPrintable(c.error().message()));
    verifyNoSecret(c.error().toString());

    // A program that does not exist.
    writeFiles({QStringLiteral(".aws/config"), QStringLiteral("[profile ci]\ncredential_process = /nonexistent/helper\n")});
    const Result<Credentials> missing = resolveCredentialChain(
        environment({QStringLiteral("AWS_PROFILE=ci"), QStringLiteral("AWS_EC2_METADATA_DISABLED=true")}), m_home->path());
    QVERIFY(!missing.ok());
    QVERIFY2(missing.error().message().contains(QStringLiteral("profile 'ci' credential_process: cannot run /nonexistent/helper")),
             qPrintable(missing.error().message()));
}

// A helper that hangs (a vault login waiting for a prompt nobody answers) is killed after the
// timeout (2 s: long enough for Python to start and write its pid under load); the error names
// the timeout and never shows what it printed before hanging.
void TestCredentials::credentialProcessTimeout()
{
    const QString script = m_home->filePath(QStringLiteral("hang.py"));
    const QString pidFile = m_home->filePath(QStringLiteral("hang.pid"));
    QFile file(script);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QStringLiteral("import os, sys\nopen(sys.argv[1], 'w').write(str(os.getpid()))\n"
                              "print('{\"Version\": 1, \"SecretAccessKey\": \"processSecret-0123456789\"', flush=True)\n"
                              "sys.stdin.readline()\n").toUtf8());  // a prompt nobody answers
    file.close();
    const QString command = QStringLiteral("\"%1\" '%2' '%3'").arg(test::testPython(), script, pidFile);
    const Result<Credentials> c = runCredentialProcess(command, QProcessEnvironment::systemEnvironment(),
                                                       QStringLiteral("profile 'ci' credential_process"), 2000);
    QVERIFY(!c.ok());
    QCOMPARE(c.error().kind(), ErrorKind::Auth);
    QCOMPARE(c.error().code(), QStringLiteral("CredentialProcessTimeout"));
    QVERIFY2(c.error().message().contains(QStringLiteral("profile 'ci' credential_process: %1 did not finish within 2 s")
                                              .arg(test::testPython())),
             qPrintable(c.error().message()));
    QVERIFY(!c.error().toString().contains(QStringLiteral("processSecret")));
    // The helper is gone, not left running in the background.
    QFile pid(pidFile);
    QVERIFY(pid.open(QIODevice::ReadOnly));
    const pid_t helper = pid_t(pid.readAll().toInt());
    QVERIFY(helper > 0);
    QCOMPARE(::kill(helper, 0), -1);
    QCOMPARE(errno, ESRCH);
}

void TestCredentials::container()
{
    ContainerServer server;
    QVERIFY2(server.isRunning(), "credential_server.py did not start");
    const Result<Credentials> c = resolveCredentialChain(
        environment({QStringLiteral("AWS_CONTAINER_CREDENTIALS_FULL_URI=") + server.url(),
                     QStringLiteral("AWS_CONTAINER_AUTHORIZATION_TOKEN=") + containerToken,
                     QStringLiteral("AWS_EC2_METADATA_DISABLED=true")}),
        m_home->path());
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->accessKey, QStringLiteral("ASIACONTAINER0000001"));
    QCOMPARE(c->secretKey, containerSecret);
    QCOMPARE(c->sessionToken, containerSession);
    QCOMPARE(c->source, QStringLiteral("container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)"));
    QVERIFY(c->expiration.isValid());
    QCOMPARE(Log::mask(containerToken + u' ' + containerSession), QStringLiteral("**** ****"));
}

void TestCredentials::containerTokenFileReadEachTime()
{
    ContainerServer server;
    QVERIFY2(server.isRunning(), "credential_server.py did not start");
    const QString tokenFile = m_home->filePath(QStringLiteral("token"));
    const auto writeToken = [&tokenFile](const QString &token) {
        QFile file(tokenFile);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(token.toUtf8() + '\n');
    };
    ContainerCredentialsSettings settings;
    settings.url = QUrl(server.url());
    settings.variable = QStringLiteral("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    settings.tokenFile = tokenFile;
    settings.token = QStringLiteral("ignored-when-the-file-is-set");
    writeToken(QStringLiteral("stale-token-0123456789"));
    const Result<Credentials> stale = fetchContainerCredentials(settings);
    QVERIFY(!stale.ok());
    QVERIFY2(stale.error().message().startsWith(QStringLiteral("container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI): ")),
             qPrintable(stale.error().message()));
    QCOMPARE(stale.error().httpStatus(), 401);
    QVERIFY2(!stale.error().toString().contains(QStringLiteral("stale-token-0123456789")), qPrintable(stale.error().toString()));
    writeToken(containerToken);  // rotated, as EKS does
    const Result<Credentials> fresh = fetchContainerCredentials(settings);
    QVERIFY2(fresh.ok(), qPrintable(fresh.error().message()));
    QCOMPARE(fresh->accessKey, QStringLiteral("ASIACONTAINER0000001"));
}

void TestCredentials::containerUris()
{
    // RELATIVE_URI goes to the ECS agent's address and wins over FULL_URI.
    const Result<std::optional<ContainerCredentialsSettings>> relative = containerCredentialsSettings(
        environment({QStringLiteral("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/0f3e?x=1"),
                     QStringLiteral("AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:1/creds")}),
        {});
    QVERIFY2(relative.ok(), qPrintable(relative.error().message()));
    QVERIFY(relative->has_value());
    QCOMPARE((*relative)->url.toString(), QStringLiteral("http://169.254.170.2/v2/credentials/0f3e?x=1"));
    QCOMPARE((*relative)->link(), QStringLiteral("container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)"));
    // http only to loopback and the ECS / EKS Pod Identity addresses; https anywhere.
    for (const char *url : {"http://127.0.0.2:8080/c", "http://[::1]/c", "http://localhost/c", "http://169.254.170.23/v1/credentials",
                            "http://[fd00:ec2::23]/v1/credentials", "https://creds.example.com/x"}) {
        const auto ok = containerCredentialsSettings(
            environment({QStringLiteral("AWS_CONTAINER_CREDENTIALS_FULL_URI=") + QLatin1String(url)}), {});
        QVERIFY2(ok.ok() && ok->has_value(), url);
    }
    for (const char *url : {"http://creds.example.com/x", "http://169.254.169.254/latest", "http://10.0.0.1/c"}) {
        const auto refused = containerCredentialsSettings(
            environment({QStringLiteral("AWS_CONTAINER_CREDENTIALS_FULL_URI=") + QLatin1String(url)}), {});
        QVERIFY2(!refused.ok(), url);
    }
    const auto none = containerCredentialsSettings(environment({}), {});
    QVERIFY(none.ok() && !none->has_value());
}

void TestCredentials::containerErrors_data()
{
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("message");
    QTest::newRow("http-to-other-host")
        << QStringList{QStringLiteral("AWS_CONTAINER_CREDENTIALS_FULL_URI=http://192.0.2.1/creds")}
        << "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI): http is allowed only to loopback";
    QTest::newRow("not-http")
        << QStringList{QStringLiteral("AWS_CONTAINER_CREDENTIALS_FULL_URI=file:///etc/passwd")}
        << "is not an http(s) URL";
    QTest::newRow("wrong-token")
        << QStringList{QStringLiteral("AWS_CONTAINER_CREDENTIALS_FULL_URI=$URL"),
                       QStringLiteral("AWS_CONTAINER_AUTHORIZATION_TOKEN=SECRETdistinctWrongToken")}
        << "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI): container credentials GET";
    QTest::newRow("token-file-missing")
        << QStringList{QStringLiteral("AWS_CONTAINER_CREDENTIALS_FULL_URI=$URL"),
                       QStringLiteral("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$HOME/no-such-token")}
        << "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
    QTest::newRow("not-listening")
        << QStringList{QStringLiteral("AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:$CLOSED/creds")}
        << "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI): container credentials GET";
}

void TestCredentials::containerErrors()
{
    QFETCH(QStringList, env);
    QFETCH(QString, message);
    ContainerServer server;
    QVERIFY2(server.isRunning(), "credential_server.py did not start");
    for (QString &v : env)
        v.replace(QStringLiteral("$URL"), server.url()).replace(QStringLiteral("$CLOSED"), QString::number(closedPort()));
    const Result<Credentials> c = resolveCredentialChain(environment(env << QStringLiteral("AWS_EC2_METADATA_DISABLED=true")),
                                                         m_home->path());
    QVERIFY(!c.ok());
    QVERIFY2(c.error().message().contains(message), qPrintable(c.error().message()));
    verifyNoSecret(c.error().toString());
}

void TestCredentials::containerRefreshesSoonExpiring()
{
    // Credentials valid for 5 minutes: below the mandatory refresh threshold, so every use
    // fetches again (the endpoint counts its answers).
    ContainerServer server(5 * 60);
    QVERIFY2(server.isRunning(), "credential_server.py did not start");
    const Result<CredentialProviderPtr> provider = resolveCredentialProvider(
        environment({QStringLiteral("AWS_CONTAINER_CREDENTIALS_FULL_URI=") + server.url(),
                     QStringLiteral("AWS_CONTAINER_AUTHORIZATION_TOKEN=") + containerToken,
                     QStringLiteral("AWS_EC2_METADATA_DISABLED=true")}),
        m_home->path());
    QVERIFY2(provider.ok(), qPrintable(provider.error().message()));
    QVERIFY(*provider);
    QCOMPARE((*provider)->fetchCount(), 1);
    const Result<Credentials> again = (*provider)->credentials();
    QVERIFY2(again.ok(), qPrintable(again.error().message()));
    QCOMPARE((*provider)->fetchCount(), 2);
    S3Request count = S3Request::serviceGet(QStringLiteral("count"), QStringLiteral("/count"), {}, {});
    count.credentials = Credentials();
    const Result<QByteArray> served = sendCredentialRequest(QUrl(server.endpoint()), QStringLiteral("us-east-1"), {}, count);
    QVERIFY2(served.ok(), qPrintable(served.error().message()));
    QCOMPARE(served->trimmed(), QByteArray("2"));
}

void TestCredentials::stsCredentialsParsing()
{
    const QByteArray answer = R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>repo:acme/webapp</SubjectFromWebIdentityToken>
    <AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/ci/s</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIASTS0000000000001</AccessKeyId>
      <SecretAccessKey>stsSecret/0123456789abcdef</SecretAccessKey>
      <SessionToken>stsSession//0123456789abcdef</SessionToken>
      <Expiration>2026-12-01T20:15:00.123Z</Expiration>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>)";
    const Result<Credentials> c = parseStsCredentials(answer, QStringLiteral("link"));
    QVERIFY2(c.ok(), qPrintable(c.error().message()));
    QCOMPARE(c->accessKey, QStringLiteral("ASIASTS0000000000001"));
    QCOMPARE(c->secretKey, QStringLiteral("stsSecret/0123456789abcdef"));
    QCOMPARE(c->sessionToken, QStringLiteral("stsSession//0123456789abcdef"));
    QCOMPARE(c->expiration, QDateTime(QDate(2026, 12, 1), QTime(20, 15, 0, 123), Qt::UTC));
    QCOMPARE(Log::mask(QStringLiteral("stsSession//0123456789abcdef")), QStringLiteral("****"));

    const Result<Credentials> none = parseStsCredentials("<AssumeRoleResponse/>", QStringLiteral("profile 'x' role_arn r"));
    QVERIFY(!none.ok());
    QCOMPARE(none.error().message(),
             QStringLiteral("profile 'x' role_arn r: the STS answer has no Credentials with AccessKeyId, SecretAccessKey and "
                            "SessionToken"));
    QVERIFY(!parseStsCredentials("<html>", QStringLiteral("l")).ok());
}

void TestCredentials::stsEndpoints_data()
{
    QTest::addColumn<QStringList>("env");
    QTest::addColumn<QString>("profileRegion");
    QTest::addColumn<QString>("endpoint");
    QTest::addColumn<QString>("region");
    QTest::newRow("default") << QStringList{} << "" << "https://sts.us-east-1.amazonaws.com" << "us-east-1";
    QTest::newRow("aws-region") << QStringList{QStringLiteral("AWS_REGION=eu-west-1"), QStringLiteral("AWS_DEFAULT_REGION=us-west-2")}
                                << "ap-south-1" << "https://sts.eu-west-1.amazonaws.com" << "eu-west-1";
    QTest::newRow("default-region") << QStringList{QStringLiteral("AWS_DEFAULT_REGION=us-west-2")} << ""
                                    << "https://sts.us-west-2.amazonaws.com" << "us-west-2";
    QTest::newRow("profile-region") << QStringList{} << "ap-south-1" << "https://sts.ap-south-1.amazonaws.com" << "ap-south-1";
    QTest::newRow("legacy-global") << QStringList{QStringLiteral("AWS_REGION=eu-west-1"), QStringLiteral("AWS_STS_REGIONAL_ENDPOINTS=legacy")}
                                   << "" << "https://sts.amazonaws.com" << "us-east-1";
    QTest::newRow("legacy-new-region") << QStringList{QStringLiteral("AWS_REGION=af-south-1"), QStringLiteral("AWS_STS_REGIONAL_ENDPOINTS=legacy")}
                                       << "" << "https://sts.af-south-1.amazonaws.com" << "af-south-1";
    QTest::newRow("china") << QStringList{QStringLiteral("AWS_REGION=cn-north-1")} << "" << "https://sts.cn-north-1.amazonaws.com.cn" << "cn-north-1";
    QTest::newRow("endpoint-url-sts") << QStringList{QStringLiteral("AWS_ENDPOINT_URL_STS=http://127.0.0.1:5000"),
                                                     QStringLiteral("AWS_ENDPOINT_URL=http://127.0.0.1:6000")}
                                      << "" << "http://127.0.0.1:5000" << "us-east-1";
    QTest::newRow("endpoint-url") << QStringList{QStringLiteral("AWS_ENDPOINT_URL=http://127.0.0.1:6000"), QStringLiteral("AWS_REGION=eu-west-3")}
                                  << "" << "http://127.0.0.1:6000" << "eu-west-3";
}

void TestCredentials::stsEndpoints()
{
    QFETCH(QStringList, env);
    QFETCH(QString, profileRegion);
    QFETCH(QString, endpoint);
    QFETCH(QString, region);
    std::optional<AwsProfile> profile;
    if (!profileRegion.isEmpty()) {
        profile = AwsProfile();
        profile->settings.values.insert(QStringLiteral("region"), profileRegion);
    }
    const Result<StsSettings> sts = resolveStsSettings(environment(env), profile, {});
    QVERIFY2(sts.ok(), qPrintable(sts.error().message()));
    QCOMPARE(sts->endpoint.toString(), endpoint);
    QCOMPARE(sts->region, region);
    QVERIFY(!resolveStsSettings(environment({QStringLiteral("AWS_ENDPOINT_URL_STS=ftp://x")}), {}, {}).ok());
}

void TestCredentials::webIdentityErrors()
{
    // No token file: the link is named, nothing is sent.
    const Result<Credentials> missing = resolveCredentialChain(
        environment({QStringLiteral("AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci"),
                     QStringLiteral("AWS_WEB_IDENTITY_TOKEN_FILE=$HOME/no-token"),
                     QStringLiteral("AWS_EC2_METADATA_DISABLED=true")}),
        m_home->path());
    QVERIFY(!missing.ok());
    QVERIFY2(missing.error().message().startsWith(QStringLiteral(
                 "web identity (AWS_ROLE_ARN arn:aws:iam::123456789012:role/ci, AWS_WEB_IDENTITY_TOKEN_FILE ")),
             qPrintable(missing.error().message()));
    QVERIFY2(missing.error().message().contains(QStringLiteral("cannot read the token file")), qPrintable(missing.error().message()));

    // STS does not answer: the link and the endpoint are named, the token is not.
    writeFiles({QStringLiteral("token"), QStringLiteral("webIdentityJwt.eyJzdWIiOiJyZXBvOmFjbWUifQ.sig\n")});
    const Result<Credentials> unreachable = resolveCredentialChain(
        environment({QStringLiteral("AWS_ROLE_ARN=arn:aws:iam::123456789012:role/ci"),
                     QStringLiteral("AWS_WEB_IDENTITY_TOKEN_FILE=$HOME/token"),
                     QStringLiteral("AWS_ENDPOINT_URL_STS=http://127.0.0.1:%1").arg(closedPort()),
                     QStringLiteral("AWS_EC2_METADATA_DISABLED=true")}),
        m_home->path());
    QVERIFY(!unreachable.ok());
    QVERIFY2(unreachable.error().message().contains(QStringLiteral("STS AssumeRoleWithWebIdentity http://127.0.0.1:")),
             qPrintable(unreachable.error().message()));
    QVERIFY2(unreachable.error().toString().contains(QStringLiteral("AWS_ENDPOINT_URL_STS")), qPrintable(unreachable.error().toString()));
    verifyNoSecret(unreachable.error().toString());
    QCOMPARE(Log::mask(QStringLiteral("webIdentityJwt.eyJzdWIiOiJyZXBvOmFjbWUifQ.sig")), QStringLiteral("****"));
}

namespace {

// A fetch function for CredentialProvider tests: hands out numbered credentials that expire
// `validFor` after the test clock's time, or fails when `fail` is set.
struct FakeSource
{
    QDateTime now = QDateTime(QDate(2026, 1, 1), QTime(12, 0), Qt::UTC);
    qint64 validFor = 3600;
    bool fail = false;
    int fetches = 0;

    CredentialProviderPtr provider()
    {
        return std::make_shared<CredentialProvider>(
            [this]() -> Result<Credentials> {
                ++fetches;
                if (fail)
                    return Error(ErrorKind::Transient, QStringLiteral("StsDown"), QStringLiteral("fake source: STS is down"));
                Credentials c{QStringLiteral("ASIAFAKE%1").arg(fetches), QStringLiteral("fakeSecret%1").arg(fetches),
                              QStringLiteral("fakeToken%1").arg(fetches), QStringLiteral("fake")};
                c.expiration = now.addSecs(validFor);
                return c;
            },
            [this] { return now; });
    }
};

} // namespace

void TestCredentials::providerRefresh()
{
    FakeSource source;
    source.validFor = 5 * 60;  // a 5-minute session: refreshed before every use
    CredentialProviderPtr provider = source.provider();
    QCOMPARE(provider->credentials()->accessKey, QStringLiteral("ASIAFAKE1"));
    QCOMPARE(provider->credentials()->accessKey, QStringLiteral("ASIAFAKE2"));

    source.validFor = 3600;  // an hour: cached until 15 minutes are left
    QCOMPARE(provider->credentials()->accessKey, QStringLiteral("ASIAFAKE3"));
    source.now = source.now.addSecs(44 * 60);
    QCOMPARE(provider->credentials()->accessKey, QStringLiteral("ASIAFAKE3"));
    source.now = source.now.addSecs(2 * 60);  // 14 minutes left
    QCOMPARE(provider->credentials()->accessKey, QStringLiteral("ASIAFAKE4"));
    QCOMPARE(source.fetches, 4);

    // Static keys never refresh.
    CredentialProviderPtr fixed = CredentialProvider::fixed({QStringLiteral("AKIASTATIC"), QStringLiteral("staticSecret"), {}, {}});
    QVERIFY(!fixed->refreshable());
    QCOMPARE(fixed->credentials()->accessKey, QStringLiteral("AKIASTATIC"));
    fixed->invalidate(*fixed->credentials());
    QCOMPARE(fixed->credentials()->accessKey, QStringLiteral("AKIASTATIC"));
}

void TestCredentials::providerAdvisoryFailureKeepsCached()
{
    FakeSource source;
    CredentialProviderPtr provider = source.provider();
    QCOMPARE(provider->credentials()->accessKey, QStringLiteral("ASIAFAKE1"));
    source.fail = true;
    source.now = source.now.addSecs(48 * 60);  // 12 minutes left: a refresh is tried, its failure tolerated
    const Result<Credentials> advisory = provider->credentials();
    QVERIFY2(advisory.ok(), qPrintable(advisory.error().message()));
    QCOMPARE(advisory->accessKey, QStringLiteral("ASIAFAKE1"));
    QCOMPARE(source.fetches, 2);
    source.now = source.now.addSecs(3 * 60);  // 9 minutes left: the refresh must succeed
    const Result<Credentials> mandatory = provider->credentials();
    QVERIFY(!mandatory.ok());
    QCOMPARE(mandatory.error().message(), QStringLiteral("fake source: STS is down"));
    source.fail = false;
    QCOMPARE(provider->credentials()->accessKey, QStringLiteral("ASIAFAKE4"));
}

void TestCredentials::providerInvalidate()
{
    FakeSource source;
    CredentialProviderPtr provider = source.provider();
    const Credentials first = *provider->credentials();
    provider->invalidate(Credentials{QStringLiteral("ASIAOTHER"), QStringLiteral("x"), {}, {}});  // not ours: ignored
    QCOMPARE(provider->credentials()->accessKey, first.accessKey);
    provider->invalidate(first);
    QCOMPARE(provider->credentials()->accessKey, QStringLiteral("ASIAFAKE2"));
    provider->invalidate(first);  // a second request refused with the old keys: already refreshed
    QCOMPARE(provider->credentials()->accessKey, QStringLiteral("ASIAFAKE2"));
    QCOMPARE(source.fetches, 2);
}

namespace {

S3ClientConfig expiredTokenConfig(const StubServer &server, CredentialProviderPtr provider)
{
    S3ClientConfig config;
    EndpointOptions options;
    options.server = server.endpoint();
    options.bucket = QStringLiteral("bucket");
    config.endpoint = *resolveEndpoint(options);
    config.credentials = *provider->credentials();
    config.credentialProvider = std::move(provider);
    config.retry.maxAttempts = 1;
    return config;
}

} // namespace

void TestCredentials::expiredTokenRetriedOnce()
{
    // The endpoint answers ExpiredToken to requests signed with the first key (ASIAFAKE1) and
    // 200 to others: the connection invalidates, fetches ASIAFAKE2 and sends the request again.
    StubServer server("credential_server.py", {QStringLiteral("--mode"), QStringLiteral("expired-token"),
                                               QStringLiteral("--expired-key"), QStringLiteral("ASIAFAKE1")});
    QVERIFY2(server.isRunning(), "credential_server.py did not start");
    FakeSource source;
    S3Connection connection(expiredTokenConfig(server, source.provider()));
    const S3CallResult got = connection.getObject(QStringLiteral("k"));
    QVERIFY2(!got.error, qPrintable(got.error.toString()));
    QCOMPARE(got.body, QByteArray("ok"));
    QCOMPARE(source.fetches, 2);
    const S3CallResult put = connection.putObject(QStringLiteral("k"), "data");  // signed with ASIAFAKE2 at once
    QVERIFY2(!put.error, qPrintable(put.error.toString()));
    QCOMPARE(source.fetches, 2);

    // A streamed GET (what restores use) goes the same way: its queue ends with the refused
    // answer, isFinished() sends it again with the new key, and the bytes come into the same queue.
    FakeSource streamSource;
    S3Connection streamConnection(expiredTokenConfig(server, streamSource.provider()));
    auto stream = std::make_shared<BodyQueue>(1024);
    const PendingS3CallPtr pending = streamConnection.startGetObject(QStringLiteral("k"), std::nullopt, {}, stream);
    QByteArray streamed;
    char buffer[64];
    for (qint64 n; (n = stream->read(buffer, sizeof buffer)) > 0 || !pending->isFinished();)
        streamed.append(buffer, std::max<qint64>(n, 0));
    QVERIFY2(!pending->wait().error, qPrintable(pending->wait().error.toString()));
    QCOMPARE(streamed, QByteArray("ok"));
    QCOMPARE(streamSource.fetches, 2);

    // A HEAD answer has no body to say ExpiredToken: the ranged GET probe says it, refreshes, and
    // the HEAD is asked again with the new key.
    FakeSource headSource;
    S3Connection headConnection(expiredTokenConfig(server, headSource.provider()));
    const S3CallResult head = headConnection.headObject(QStringLiteral("k"));
    QVERIFY2(!head.error, qPrintable(head.error.toString()));
    QCOMPARE(head.info.size, 2);
    QCOMPARE(headSource.fetches, 2);
}

void TestCredentials::expiredTokenRetriedOnlyOnce()
{
    // Every key is refused: one retry, then the server's error.
    StubServer server("credential_server.py", {QStringLiteral("--mode"), QStringLiteral("expired-token"),
                                               QStringLiteral("--expired-key"), QStringLiteral("ASIAFAKE1")});
    QVERIFY2(server.isRunning(), "credential_server.py did not start");
    auto provider = std::make_shared<CredentialProvider>([]() -> Result<Credentials> {
        Credentials c{QStringLiteral("ASIAFAKE1"), QStringLiteral("fakeSecret1"), QStringLiteral("fakeToken1"), QStringLiteral("fake")};
        c.expiration = QDateTime::currentDateTimeUtc().addSecs(3600);
        return c;
    });
    S3Connection connection(expiredTokenConfig(server, provider));
    const int before = provider->fetchCount();
    const S3CallResult got = connection.getObject(QStringLiteral("k"));
    QCOMPARE(got.error.code(), QStringLiteral("ExpiredToken"));
    QCOMPARE(provider->fetchCount(), before + 1);
    const S3CallResult head = connection.headObject(QStringLiteral("k"));
    QVERIFY(head.error);
}

QTEST_GUILESS_MAIN(TestCredentials)
#include "tst_credentials.moc"
