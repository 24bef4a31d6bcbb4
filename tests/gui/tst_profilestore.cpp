// ProfileStore: profiles survive in QSettings without their secret; with no keychain service
// (as here, and on headless machines) the secret is kept in memory for the session, the user is
// told so, and it is never written to any file.
#include "guitest.h"
#include "profilestore.h"

#include <QDirIterator>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>

using namespace s3cache;

namespace {

const QString kSecret = QStringLiteral("wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY");

ConnectionProfile minioProfile()
{
    ConnectionProfile p;
    p.name = QStringLiteral("minio");
    p.server = QStringLiteral("http://127.0.0.1:9000");
    p.bucket = QStringLiteral("ci-cache");
    p.region = QStringLiteral("eu-central-1");
    p.pathStyle = true;
    p.credentials = CredentialMode::AccessKey;
    p.accessKey = QStringLiteral("AKIAMINIO");
    return p;
}

bool anyFileContains(const QString &root, const QByteArray &needle)
{
    QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QFile f(it.next());
        if (f.open(QIODevice::ReadOnly) && f.readAll().contains(needle))
            return true;
    }
    return false;
}

} // namespace

class TestProfileStore : public QObject
{
    Q_OBJECT
private slots:
    void savesFieldsButNeverTheSecret()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gui.ini")), QSettings::IniFormat);
        ProfileStore store(&settings, QStringLiteral("s3cache-gui-test"));
        QSignalSpy notice(&store, &ProfileStore::notice);
        store.save(minioProfile(), kSecret);
        QCOMPARE(store.names(), QStringList{QStringLiteral("minio")});
        QCOMPARE(store.profile(QStringLiteral("minio")), minioProfile());

        // No keychain service here: the user is told the secret lives for this session only.
        QVERIFY(notice.wait(10000));
        const QString text = notice.first().first().toString();
        QVERIFY2(text.contains(QStringLiteral("this session only")), qPrintable(text));
        QVERIFY(!text.contains(kSecret));

        // ...and it does: readable now, in no file.
        QSignalSpy read(&store, &ProfileStore::secretRead);
        store.readSecret(QStringLiteral("minio"));
        QVERIFY(read.wait(5000));
        QCOMPARE(read.first().at(0).toString(), QStringLiteral("minio"));
        QCOMPARE(read.first().at(1).toString(), kSecret);
        settings.sync();
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("gui.ini"))));
        QVERIFY(!anyFileContains(dir.path(), kSecret.toUtf8()));
        QVERIFY(anyFileContains(dir.path(), "AKIAMINIO"));  // the access key id is not a secret

        // A new session (a new store over the same settings) has the profile but not the secret.
        ProfileStore next(&settings, QStringLiteral("s3cache-gui-test"));
        QCOMPARE(next.profile(QStringLiteral("minio")), minioProfile());
        QSignalSpy nextRead(&next, &ProfileStore::secretRead);
        next.readSecret(QStringLiteral("minio"));
        QVERIFY(nextRead.wait(10000));
        QCOMPARE(nextRead.first().at(1).toString(), QString());
    }

    void savingWithoutSecretKeepsTheStoredOne()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gui.ini")), QSettings::IniFormat);
        ProfileStore store(&settings, QStringLiteral("s3cache-gui-test"));
        store.save(minioProfile(), kSecret);
        ConnectionProfile changed = minioProfile();
        changed.bucket = QStringLiteral("other-bucket");
        store.save(changed, QString());
        QSignalSpy read(&store, &ProfileStore::secretRead);
        store.readSecret(QStringLiteral("minio"));
        QVERIFY(read.wait(5000));
        QCOMPARE(read.first().at(1).toString(), kSecret);
        QCOMPARE(store.profile(QStringLiteral("minio")).bucket, QStringLiteral("other-bucket"));

        // Switching to the AWS chain drops the secret.
        changed.credentials = CredentialMode::AwsChain;
        store.save(changed, QString());
        read.clear();
        store.readSecret(QStringLiteral("minio"));
        QVERIFY(read.wait(10000));
        QCOMPARE(read.first().at(1).toString(), QString());
    }

    void removeAndLastProfile()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("gui.ini")), QSettings::IniFormat);
        ProfileStore store(&settings, QStringLiteral("s3cache-gui-test"));
        ConnectionProfile local;
        local.name = QStringLiteral("local");
        local.server = QStringLiteral("file:///srv/cache");
        local.bucket = QStringLiteral("ci");
        store.save(local, QString());
        store.save(minioProfile(), kSecret);
        QCOMPARE(store.names(), (QStringList{QStringLiteral("local"), QStringLiteral("minio")}));
        store.setLastProfile(QStringLiteral("minio"));
        QSignalSpy changed(&store, &ProfileStore::profilesChanged);
        store.remove(QStringLiteral("minio"));
        QCOMPARE(changed.size(), 1);
        QCOMPARE(store.names(), QStringList{QStringLiteral("local")});
        QVERIFY(!store.contains(QStringLiteral("minio")));
        QVERIFY(store.profile(QStringLiteral("minio")).name.isEmpty());
        QCOMPARE(store.lastProfile(), QStringLiteral("minio"));  // the window copes with a stale name
        QSignalSpy read(&store, &ProfileStore::secretRead);
        store.readSecret(QStringLiteral("minio"));
        QVERIFY(read.wait(10000));
        QCOMPARE(read.first().at(1).toString(), QString());
    }
};

S3CACHE_GUI_TEST_MAIN(TestProfileStore)
#include "tst_profilestore.moc"
