// The AWS shared files reader: merging of the two files, nested groups, [services] sections.

#include "config/awsconfigfile.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;

class TestAwsConfigFile : public QObject
{
    Q_OBJECT

private slots:
    void mergesCredentialsBeforeConfig();
    void nestedGroupsAndServices();
    void selectedProfile();

private:
    Result<AwsConfigFiles> load(const QString &credentials, const QString &config,
                                const QStringList &variables = {});
    QTemporaryDir m_home;
};

Result<AwsConfigFiles> TestAwsConfigFile::load(const QString &credentials, const QString &config,
                                               const QStringList &variables)
{
    QDir(m_home.path()).mkpath(QStringLiteral(".aws"));
    for (const auto &[name, text] : {std::pair{QStringLiteral("credentials"), credentials},
                                     std::pair{QStringLiteral("config"), config}}) {
        QFile file(m_home.filePath(QStringLiteral(".aws/") + name));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return Error(ErrorKind::Io, QStringLiteral("Test"), file.errorString());
        file.write(text.toUtf8());
    }
    QProcessEnvironment env;
    for (const QString &v : variables)
        env.insert(v.section(u'=', 0, 0), v.section(u'=', 1));
    return AwsConfigFiles::load(env, m_home.path());
}

void TestAwsConfigFile::mergesCredentialsBeforeConfig()
{
    const Result<AwsConfigFiles> files = load(
        QStringLiteral("[ci]\naws_access_key_id = AKIAFROMCREDS\n"),
        QStringLiteral("[profile ci]\naws_access_key_id = AKIAFROMCONFIG\nregion = eu-west-1\n"
                       "[ci]\nregion = ignored-not-a-profile-header\n"));
    QVERIFY2(files.ok(), qPrintable(files.error().message()));
    const std::optional<AwsProfile> ci = files->profile(QStringLiteral("ci"));
    QVERIFY(ci);
    QCOMPARE(ci->value("aws_access_key_id"), QStringLiteral("AKIAFROMCREDS"));
    QCOMPARE(ci->value("region"), QStringLiteral("eu-west-1"));
    QVERIFY(ci->path.contains(QStringLiteral("credentials and ")));
    QVERIFY(!files->profile(QStringLiteral("other")));
}

void TestAwsConfigFile::nestedGroupsAndServices()
{
    const Result<AwsConfigFiles> files = load(
        {}, QStringLiteral("[default]\ns3 =\n  addressing_style = path  # comment\n  Max_Concurrent_Requests = 4\n"
                           "region = us-west-2\nservices = local\n"
                           "[services local]\ns3 =\n  endpoint_url = http://127.0.0.1:9000\n"));
    QVERIFY2(files.ok(), qPrintable(files.error().message()));
    const std::optional<AwsProfile> profile = files->profile();
    QVERIFY(profile);
    QCOMPARE(profile->nestedValue("s3", "addressing_style"), QStringLiteral("path"));
    QCOMPARE(profile->nestedValue("s3", "max_concurrent_requests"), QStringLiteral("4"));
    QCOMPARE(profile->value("region"), QStringLiteral("us-west-2"));  // after the group, top level again
    const std::optional<AwsIniSection> services = files->services(profile->value("services"));
    QVERIFY(services);
    QCOMPARE(services->nested.value(QStringLiteral("s3")).value(QStringLiteral("endpoint_url")),
             QStringLiteral("http://127.0.0.1:9000"));
}

void TestAwsConfigFile::selectedProfile()
{
    Result<AwsConfigFiles> files = load({}, {}, {QStringLiteral("AWS_DEFAULT_PROFILE=build")});
    QVERIFY(files.ok());
    QCOMPARE(files->profileName(), QStringLiteral("build"));
    QVERIFY(files->profileRequested());
    files = load({}, {}, {QStringLiteral("AWS_PROFILE=first"), QStringLiteral("AWS_DEFAULT_PROFILE=second")});
    QCOMPARE(files->profileName(), QStringLiteral("first"));
    files = load({}, {});
    QCOMPARE(files->profileName(), QStringLiteral("default"));
    QVERIFY(!files->profileRequested());
}

QTEST_GUILESS_MAIN(TestAwsConfigFile)
#include "tst_awsconfigfile.moc"
