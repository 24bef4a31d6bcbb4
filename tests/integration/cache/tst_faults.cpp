// Faults the CLI cannot be tuned for in a short test: a connection that stalls without closing
// must end by the inactivity timeout (restarted by every byte), not by the whole-operation
// deadline; and a job cancelled mid-upload (what SIGTERM does) must still abort its multipart
// upload. The jobs talk to real servers (moto, s3rver) through tests/fault/faultproxy.py.
// No sleeps and no timing assertions: every wait is on an event (a proxy line, a job signal)
// and the timeout is recognised by its error, not by a stopwatch.
#include "cache/rebuildjob.h"
#include "cache/restorejob.h"
#include "cache/s3store.h"

#include "faultproxy.h"
#include "testservers.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;
using namespace s3cache::test;

namespace {

constexpr qint64 kMiB = 1024 * 1024;
const QString kKey = QStringLiteral("acme/webapp/archive.tar.zst");
const QString kStallPart2Once = QStringLiteral(R"json({"action": "stall", "method": "PUT", "query": "(^|&)partNumber=2(&|$)"})json");
const QString kStallPart2Always =
    QStringLiteral(R"json({"action": "stall", "method": "PUT", "query": "(^|&)partNumber=2(&|$)", "times": -1})json");

bool writeRandomFile(const QString &path, qint64 size)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    QByteArray data(size, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(data.data()), size / 4);
    return file.write(data) == size;
}

// Paths and contents of every file below `root`.
QMap<QString, QByteArray> tree(const QString &root)
{
    QMap<QString, QByteArray> out;
    QDir dir(root);
    const QStringList entries = dir.entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
    for (const QString &name : entries) {
        const QString path = root + u'/' + name;
        if (QFileInfo(path).isDir()) {
            out.insert(name + u'/', QByteArray());
            const QMap<QString, QByteArray> sub = tree(path);
            for (auto it = sub.begin(); it != sub.end(); ++it)
                out.insert(name + u'/' + it.key(), it.value());
        } else {
            QFile f(path);
            out.insert(name, f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("unreadable"));
        }
    }
    return out;
}

} // namespace

class TestFaults : public QObject
{
    Q_OBJECT
private:
    TestServer m_server;
    QString m_bucket;
    QTemporaryDir m_dir;

    S3ClientConfig clientConfig(const QString &server) const
    {
        EndpointOptions options;
        options.server = server;
        options.bucket = m_bucket;
        const Result<Endpoint> endpoint = resolveEndpoint(options);
        S3ClientConfig config;
        config.endpoint = endpoint.ok() ? *endpoint : Endpoint();
        config.credentials.accessKey = m_server.accessKey;
        config.credentials.secretKey = m_server.secretKey;
        return config;
    }

    // A direct store, a bucket, and `size` MiB of random files under ws/node_modules.
    void prepare(const QString &ws, int mib)
    {
        QFETCH(QString, serverName);
        QString error;
        m_server = testServer(serverName, &error);
        QVERIFY2(m_server.isValid(), qPrintable(error));
        m_bucket = uniqueBucketName(QStringLiteral("faults"));
        S3Store direct(clientConfig(m_server.endpoint));
        const S3CallResult created = direct.connection().createBucket();
        QVERIFY2(!created.error, qPrintable(created.error.toString()));
        for (int i = 0; i < mib; ++i)
            QVERIFY(writeRandomFile(ws + QStringLiteral("/node_modules/blob%1.bin").arg(i), kMiB));
    }

    Error rebuild(ObjectStore &store, const QString &ws)
    {
        RebuildOptions options;
        options.key = kKey;
        options.workspace = ws;
        options.mounts = {QStringLiteral("node_modules")};
        RebuildJob job(store, options);
        return job.exec();
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void servers_data()
    {
        QTest::addColumn<QString>("serverName");
        QTest::newRow("moto") << QStringLiteral("moto");
        QTest::newRow("s3rver") << QStringLiteral("s3rver");
    }

    // A download that stalls mid-body ends with the inactivity timeout on every attempt; the
    // 10-minute deadline plays no part. The workspace is as it was.
    void stalledRestoreTimesOutByInactivity_data() { servers_data(); }
    void stalledRestoreTimesOutByInactivity()
    {
        const QString src = m_dir.path() + QStringLiteral("/stall-src-") + QString::fromLatin1(QTest::currentDataTag());
        prepare(src, 6);
        if (QTest::currentTestFailed())
            return;
        S3Store direct(clientConfig(m_server.endpoint));
        const Error uploaded = rebuild(direct, src);
        QVERIFY2(!uploaded, qPrintable(uploaded.toString()));

        test::FaultProxy proxy;
        QString error;
        QVERIFY2(proxy.start(m_server.endpoint,
                             {QStringLiteral(R"({"action": "stall_response", "method": "GET", "path": "archive", "fraction": 0.25, "times": -1})")},
                             &error),
                 qPrintable(error));
        S3ClientConfig config = clientConfig(proxy.endpoint());
        config.inactivityTimeoutMs = 1000;
        config.retry.maxAttempts = 2;
        config.retry.baseDelayMs = 10;
        config.deadline = QDeadlineTimer(10 * 60 * 1000);
        S3Store store(config);

        const QString ws = m_dir.path() + QStringLiteral("/stall-ws-") + QString::fromLatin1(QTest::currentDataTag());
        QVERIFY(writeRandomFile(ws + QStringLiteral("/node_modules/blob0.bin"), 1000));
        QVERIFY(writeRandomFile(ws + QStringLiteral("/src/main.c"), 100));
        const QMap<QString, QByteArray> before = tree(ws);

        RestoreOptions options;
        options.key = kKey;
        options.workspace = ws;
        RestoreJob job(store, options);
        const Error e = job.exec();
        QCOMPARE(e.kind(), ErrorKind::Transient);
        QCOMPARE(e.code(), QStringLiteral("Timeout"));
        QVERIFY2(e.message().contains(QStringLiteral("no data sent or received for 1 s")), qPrintable(e.toString()));
        QVERIFY2(!e.message().contains(QStringLiteral("deadline")), qPrintable(e.toString()));
        QVERIFY2(e.message().contains(QStringLiteral("after 2 attempts")), qPrintable(e.toString()));
        QVERIFY(tree(ws) == before);
        QVERIFY(proxy.waitInjected(QStringLiteral("stall_response"), 2));  // both attempts stalled
    }

    // An upload whose part stalls ends by the inactivity timeout too; the previous object stays.
    void stalledUploadTimesOutByInactivity_data() { servers_data(); }
    void stalledUploadTimesOutByInactivity()
    {
        const QString ws = m_dir.path() + QStringLiteral("/upstall-") + QString::fromLatin1(QTest::currentDataTag());
        prepare(ws, 20);
        if (QTest::currentTestFailed())
            return;
        S3Store direct(clientConfig(m_server.endpoint));
        const S3CallResult old = direct.connection().putObject(kKey, "previous object");
        QVERIFY2(!old.error, qPrintable(old.error.toString()));

        test::FaultProxy proxy;
        QString error;
        QVERIFY2(proxy.start(m_server.endpoint, {kStallPart2Always},
                             &error),
                 qPrintable(error));
        S3ClientConfig config = clientConfig(proxy.endpoint());
        config.inactivityTimeoutMs = 1000;
        config.retry.maxAttempts = 2;
        config.retry.baseDelayMs = 10;
        S3Store store(config);
        const Error e = rebuild(store, ws);
        QCOMPARE(e.code(), QStringLiteral("Timeout"));
        QVERIFY2(e.message().contains(QStringLiteral("no data sent or received")), qPrintable(e.toString()));
        QCOMPARE(direct.connection().getObject(kKey).body, QByteArray("previous object"));
        if (QString::fromLatin1(QTest::currentDataTag()) == u"moto")
            QCOMPARE(direct.connection().listMultipartUploads().uploads.size(), 0);
    }

    // Cancelling a rebuild mid-upload (the CLI does so on SIGTERM) aborts the multipart upload
    // although the cancellation is already set: the abort is cleanup, not work.
    void cancelMidUploadAbortsTheUpload_data()
    {
        QTest::addColumn<QString>("serverName");
        QTest::newRow("moto") << QStringLiteral("moto");  // s3rver lists no multipart uploads
    }
    void cancelMidUploadAbortsTheUpload()
    {
        const QString ws = m_dir.path() + QStringLiteral("/cancel");
        prepare(ws, 20);
        if (QTest::currentTestFailed())
            return;
        S3Store direct(clientConfig(m_server.endpoint));
        const S3CallResult old = direct.connection().putObject(kKey, "previous object");
        QVERIFY2(!old.error, qPrintable(old.error.toString()));

        test::FaultProxy proxy;
        QString error;
        QVERIFY2(proxy.start(m_server.endpoint, {kStallPart2Once},
                             &error),
                 qPrintable(error));
        S3Store store(clientConfig(proxy.endpoint()));  // default timeouts: only the cancel ends it
        RebuildOptions options;
        options.key = kKey;
        options.workspace = ws;
        options.mounts = {QStringLiteral("node_modules")};
        RebuildJob job(store, options);
        QSignalSpy finished(&job, &Job::finished);
        job.start();
        QVERIFY(proxy.waitInjected(QStringLiteral("stall"), 1));
        QCOMPARE(direct.connection().listMultipartUploads().uploads.size(), 1);
        job.cancel();
        QVERIFY(finished.wait(120000));
        QCOMPARE(job.error().kind(), ErrorKind::Cancelled);
        QCOMPARE(direct.connection().listMultipartUploads().uploads.size(), 0);
        QCOMPARE(direct.connection().getObject(kKey).body, QByteArray("previous object"));
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
