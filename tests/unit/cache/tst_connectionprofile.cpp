// Connection profiles (what the GUI saves), their resolution into a StoreSpec, and ConnectJob's
// proof that the store answers, on the embedded local store. Against real servers: see
// tests/gui/tst_mainwindow_s3.cpp.
#include "cache/connectjob.h"
#include "cache/listbucketsjob.h"
#include "cache/localstore.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;

Q_DECLARE_METATYPE(s3cache::ConnectionProfile)

namespace {

ConnectionProfile profile(const QString &server, const QString &bucket = QStringLiteral("bucket"))
{
    ConnectionProfile p;
    p.name = QStringLiteral("ci");
    p.server = server;
    p.bucket = bucket;
    return p;
}

QProcessEnvironment emptyEnv()
{
    QProcessEnvironment env;
    env.insert(QStringLiteral("AWS_EC2_METADATA_DISABLED"), QStringLiteral("true"));
    return env;
}

} // namespace

class TestConnectionProfile : public QObject
{
    Q_OBJECT
private slots:
    void validate_data()
    {
        QTest::addColumn<ConnectionProfile>("profile");
        QTest::addColumn<QString>("error");  // a part of the message; empty: valid
        QTest::newRow("aws") << profile(QString()) << QString();
        QTest::newRow("bare-host") << profile(QStringLiteral("minio.example.com:9000")) << QString();
        QTest::newRow("http") << profile(QStringLiteral("http://127.0.0.1:9000")) << QString();
        QTest::newRow("local") << profile(QStringLiteral("file:///srv/cache")) << QString();
        QTest::newRow("no-bucket") << profile(QStringLiteral("https://s3.amazonaws.com"), QString()) << QStringLiteral("bucket is empty");
        QTest::newRow("bucket-with-slash") << profile(QString(), QStringLiteral("a/b")) << QStringLiteral("not a bucket name");
        QTest::newRow("ftp") << profile(QStringLiteral("ftp://host")) << QStringLiteral("https://, http:// or file://");
        QTest::newRow("relative-local") << profile(QStringLiteral("file://relative")) << QStringLiteral("file:///absolute/path");
        ConnectionProfile unnamed = profile(QString());
        unnamed.name = QStringLiteral("  ");
        QTest::newRow("no-name") << unnamed << QStringLiteral("no name");
        ConnectionProfile slashName = profile(QString());
        slashName.name = QStringLiteral("a/b");
        QTest::newRow("slash-in-name") << slashName << QStringLiteral("cannot contain");
        ConnectionProfile keyless = profile(QString());
        keyless.credentials = CredentialMode::AccessKey;
        QTest::newRow("access-key-missing") << keyless << QStringLiteral("access key is empty");
    }

    void validate()
    {
        QFETCH(ConnectionProfile, profile);
        QFETCH(QString, error);
        const Error e = profile.validate();
        if (error.isEmpty()) {
            QVERIFY2(!e, qPrintable(e.toString()));
        } else {
            QCOMPARE(e.kind(), ErrorKind::InvalidInput);
            QVERIFY2(e.message().contains(error), qPrintable(e.message()));
        }
    }

    void mapRoundTripKeepsEveryFieldButTheName()
    {
        ConnectionProfile p = profile(QStringLiteral("https://minio:9000"));
        p.region = QStringLiteral("eu-west-1");
        p.pathStyle = false;
        p.credentials = CredentialMode::AccessKey;
        p.accessKey = QStringLiteral("AKIAEXAMPLE");
        ConnectionProfile back = ConnectionProfile::fromMap(p.toMap());
        QVERIFY(back.name.isEmpty());
        back.name = p.name;
        QCOMPARE(back, p);
        p.pathStyle.reset();
        p.credentials = CredentialMode::Anonymous;
        back = ConnectionProfile::fromMap(p.toMap());
        back.name = p.name;
        QCOMPARE(back, p);
        // No secret can travel through a profile: there is no field for it.
        for (const QVariant &v : p.toMap())
            QVERIFY(!v.toString().contains(QStringLiteral("secret"), Qt::CaseInsensitive));
    }

    void localProfile()
    {
        const ConnectionProfile p = profile(QStringLiteral("file:///srv/ci%20cache/"));
        QVERIFY(p.isLocal());
        QCOMPARE(p.localRoot(), QStringLiteral("/srv/ci cache"));
        QCOMPARE(profile(QStringLiteral("file:///srv/ci/")).describe(), QStringLiteral("file:///srv/ci/bucket"));
        QVERIFY(!profile(QStringLiteral("https://h")).isLocal());
        QCOMPARE(profile(QStringLiteral("https://h")).describe(), QStringLiteral("s3://bucket at https://h"));
    }

    void resolveCredentials_data()
    {
        QTest::addColumn<int>("mode");
        QTest::addColumn<QString>("secret");
        QTest::addColumn<bool>("envKeys");
        QTest::addColumn<QString>("source");  // or the error code
        QTest::newRow("typed") << int(CredentialMode::AccessKey) << QStringLiteral("s3cr3tvalue") << false << QStringLiteral("typed in");
        QTest::newRow("typed-without-secret") << int(CredentialMode::AccessKey) << QString() << false << QStringLiteral("MissingSecret");
        QTest::newRow("chain-from-environment") << int(CredentialMode::AwsChain) << QString() << true << QStringLiteral("AWS_ACCESS_KEY_ID");
        QTest::newRow("chain-finds-nothing") << int(CredentialMode::AwsChain) << QString() << false << QStringLiteral("none");
        QTest::newRow("anonymous-ignores-environment") << int(CredentialMode::Anonymous) << QString() << true << QStringLiteral("none");
    }

    void resolveCredentials()
    {
        QFETCH(int, mode);
        QFETCH(QString, secret);
        QFETCH(bool, envKeys);
        QFETCH(QString, source);
        QTemporaryDir home;  // no ~/.aws here
        ConnectionProfile p = profile(QStringLiteral("http://127.0.0.1:1"));
        p.credentials = CredentialMode(mode);
        p.accessKey = QStringLiteral("AKIATYPED");
        QProcessEnvironment env = emptyEnv();
        if (envKeys) {
            env.insert(QStringLiteral("AWS_ACCESS_KEY_ID"), QStringLiteral("AKIAENV"));
            env.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"), QStringLiteral("envsecretvalue"));
        }
        const Result<StoreSpec> spec = StoreSpec::resolve(p, secret, env, home.path());
        if (source == u"MissingSecret") {
            QVERIFY(!spec.ok());
            QCOMPARE(spec.error().code(), source);
            return;
        }
        QVERIFY2(spec.ok(), qPrintable(spec.error().toString()));
        QCOMPARE(spec->credentialSource(), source);
        QVERIFY(!spec->isLocal());
        QVERIFY2(spec->describe().contains(QStringLiteral("path-style")), qPrintable(spec->describe()));
    }

    // A profile in "AWS chain" mode connects as the AWS CLI would (config/awss3settings.h, the
    // rule the CLI's Config applies too): what the profile leaves empty comes from
    // AWS_ENDPOINT_URL_S3, the AWS profile's [services] section, region and addressing_style.
    void awsConventionsForChainProfiles()
    {
        QTemporaryDir home;
        QVERIFY(QDir(home.path()).mkpath(QStringLiteral(".aws")));
        QFile config(home.filePath(QStringLiteral(".aws/config")));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write("[default]\nregion = eu-west-3\nservices = lab\naws_access_key_id = AKIAPROFILEKEY\n"
                     "aws_secret_access_key = profilesecretvalue\ns3 =\n  addressing_style = virtual\n"
                     "[services lab]\ns3 =\n  endpoint_url = http://minio.lab:9000\n");
        config.close();
        ConnectionProfile p = profile(QString());
        p.credentials = CredentialMode::AwsChain;
        Result<StoreSpec> spec = StoreSpec::resolve(p, QString(), emptyEnv(), home.path());
        QVERIFY2(spec.ok(), qPrintable(spec.error().toString()));
        QCOMPARE(spec->describe(),
                 QStringLiteral("s3://bucket at http://bucket.minio.lab:9000 (virtual-host, region eu-west-3 from profile default in ")
                     + home.filePath(QStringLiteral(".aws/config")) + u')');
        // AWS_ENDPOINT_URL_S3 ranks above the profile; the profile's own server and path style above both.
        QProcessEnvironment env = emptyEnv();
        env.insert(QStringLiteral("AWS_ENDPOINT_URL_S3"), QStringLiteral("http://127.0.0.1:5000"));
        p.pathStyle = true;
        spec = StoreSpec::resolve(p, QString(), env, home.path());
        QVERIFY2(spec.ok(), qPrintable(spec.error().toString()));
        QVERIFY2(spec->describe().startsWith(QStringLiteral("s3://bucket at http://127.0.0.1:5000/bucket (path-style")),
                 qPrintable(spec->describe()));
        p.server = QStringLiteral("http://given:1");
        spec = StoreSpec::resolve(p, QString(), env, home.path());
        QVERIFY2(spec->describe().startsWith(QStringLiteral("s3://bucket at http://given:1/bucket (path-style")),
                 qPrintable(spec->describe()));
        // Typed-in keys: the profile is all there is (no AWS conventions).
        p.server = QStringLiteral("http://typed:2");
        p.credentials = CredentialMode::AccessKey;
        p.accessKey = QStringLiteral("AKIATYPED");
        p.pathStyle.reset();
        spec = StoreSpec::resolve(p, QStringLiteral("typedsecretvalue"), env, home.path());
        QVERIFY2(spec->describe().contains(QStringLiteral("region us-east-1 from default")), qPrintable(spec->describe()));
        // A bad proxy stops the profile with the variable named, the password not.
        env.insert(QStringLiteral("HTTP_PROXY"), QStringLiteral("ftp://proxyuser:proxypassword@p"));
        spec = StoreSpec::resolve(p, QStringLiteral("typedsecretvalue"), env, home.path());
        QVERIFY(!spec.ok());
        QVERIFY2(spec.error().message().contains(QStringLiteral("HTTP_PROXY")), qPrintable(spec.error().message()));
        QVERIFY(!spec.error().message().contains(QStringLiteral("proxypassword")));
    }

    void connectToLocalStore()
    {
        QTemporaryDir dir;
        {
            LocalStore seed(dir.path(), QStringLiteral("bucket"));
            auto w = seed.openWrite(QStringLiteral("o/r/archive.tar"), {}, -1);
            (*w)->write("x");
            QVERIFY(!(*w)->commit());
        }
        ConnectJob job(profile(QUrl::fromLocalFile(dir.path()).toString()), QString(), emptyEnv(), dir.path());
        QVERIFY2(!job.exec(), qPrintable(job.error().toString()));
        QVERIFY(job.result().spec);
        QVERIFY(job.result().spec->isLocal());
        QCOMPARE(job.result().firstPageObjects, 1);
        ObjectStorePtr store = job.result().spec->open();
        QVERIFY(store->head(QStringLiteral("o/r/archive.tar")).ok());
        // Each open() is an independent store.
        QVERIFY(job.result().spec->open().get() != store.get());
    }

    void connectToMissingLocalDirectory()
    {
        QTemporaryDir dir;
        const QString missing = dir.path() + QStringLiteral("/nothing-here");
        ConnectJob job(profile(QUrl::fromLocalFile(missing).toString()), QString(), emptyEnv(), dir.path());
        const Error e = job.exec();
        QCOMPARE(e.code(), QStringLiteral("NoSuchDirectory"));
        QVERIFY(e.message().contains(missing));
        QVERIFY(!job.result().spec);
        QVERIFY(!QFileInfo::exists(missing));  // a failed test-connection creates nothing
    }

    // The bucket picker on a local store: its buckets are the root's folders, sorted; the
    // profile needs no bucket (nor name) yet.
    void listBucketsOfLocalStore()
    {
        QTemporaryDir dir;
        for (const QString &name : {QStringLiteral("zeta"), QStringLiteral("alpha"), QStringLiteral("mid")})
            QVERIFY(QDir(dir.path()).mkdir(name));
        QFile loose(dir.filePath(QStringLiteral("not-a-bucket.txt")));
        QVERIFY(loose.open(QIODevice::WriteOnly));
        ConnectionProfile p = profile(QUrl::fromLocalFile(dir.path()).toString());
        p.name.clear();
        p.bucket.clear();
        ListBucketsJob job(p, QString(), emptyEnv(), dir.path());
        QVERIFY2(!job.exec(), qPrintable(job.error().toString()));
        QStringList names;
        for (const BucketInfo &b : job.buckets())
            names << b.name;
        QCOMPARE(names, (QStringList{QStringLiteral("alpha"), QStringLiteral("mid"), QStringLiteral("zeta")}));

        ListBucketsJob missing(profile(QUrl::fromLocalFile(dir.filePath(QStringLiteral("gone"))).toString()), QString(),
                               emptyEnv(), dir.path());
        QCOMPARE(missing.exec().code(), QStringLiteral("NoSuchDirectory"));
        QVERIFY(missing.buckets().isEmpty());
    }

    void cancelledConnectSendsNothing()
    {
        ConnectionProfile p = profile(QStringLiteral("http://127.0.0.1:9"));
        p.credentials = CredentialMode::Anonymous;
        ConnectJob job(p, QString(), emptyEnv(), QDir::tempPath());
        job.cancel();
        QCOMPARE(job.exec().kind(), ErrorKind::Cancelled);
    }
};

QTEST_GUILESS_MAIN(TestConnectionProfile)
#include "tst_connectionprofile.moc"
