// S3Store against real servers (moto, s3rver): the streaming multipart writer and the parallel
// ranged reader that restore and rebuild stand on.
#include "cache/deletejob.h"
#include "cache/downloadjob.h"
#include "cache/flushjob.h"
#include "cache/headjob.h"
#include "cache/inspectjob.h"
#include "cache/restorejob.h"
#include "cache/s3store.h"

#include "testservers.h"
#include "util/log.h"

#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;
using namespace s3cache::test;

namespace {

constexpr qint64 kMiB = 1024 * 1024;

QByteArray pattern(qint64 size, quint32 seed)
{
    QByteArray data(size, Qt::Uninitialized);
    QRandomGenerator rng(seed);
    rng.fillRange(reinterpret_cast<quint32 *>(data.data()), size / 4);
    for (qint64 i = size / 4 * 4; i < size; ++i)
        data[i] = char(i);
    return data;
}

// The independent client (the aws CLI) sets buckets up: the store itself never creates buckets.
bool awsS3api(const TestServer &server, const QStringList &arguments, QString *error)
{
    QProcess aws;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("AWS_ACCESS_KEY_ID"), server.accessKey);
    env.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"), server.secretKey);
    env.insert(QStringLiteral("AWS_DEFAULT_REGION"), QStringLiteral("us-east-1"));
    aws.setProcessEnvironment(env);
    aws.start(QStringLiteral("aws"), QStringList{QStringLiteral("--endpoint-url"), server.endpoint, QStringLiteral("s3api")}
                                         + arguments);
    if (!aws.waitForFinished(60000) || aws.exitCode() != 0) {
        *error = QString::fromUtf8(aws.readAllStandardError());
        return false;
    }
    return true;
}

bool createBucket(const TestServer &server, const QString &bucket, QString *error)
{
    return awsS3api(server, {QStringLiteral("create-bucket"), QStringLiteral("--bucket"), bucket}, error);
}

} // namespace

class TestS3Store : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<S3Store> m_store;
    QString m_bucket;

    void openStore(TransferTuning tuning)
    {
        QFETCH(QString, serverName);
        QString error;
        const TestServer server = testServer(serverName, &error);
        QVERIFY2(server.isValid(), qPrintable(error));
        m_bucket = uniqueBucketName(QStringLiteral("store"));
        QVERIFY2(createBucket(server, m_bucket, &error), qPrintable(error));
        EndpointOptions options;
        options.server = server.endpoint;
        options.bucket = m_bucket;
        const Result<Endpoint> endpoint = resolveEndpoint(options);
        QVERIFY2(endpoint.ok(), qPrintable(endpoint.error().toString()));
        S3ClientConfig config;
        config.endpoint = *endpoint;
        config.credentials.accessKey = server.accessKey;
        config.credentials.secretKey = server.secretKey;
        m_store = std::make_unique<S3Store>(config, tuning);
    }

    static TransferTuning smallTuning()
    {
        TransferTuning t;
        t.partSize = 5 * kMiB;  // S3's minimum, so a few MiB make several parts
        t.uploadWindow = 3;
        t.chunkSize = kMiB;
        t.downloadWindow = 3;
        return t;
    }

    QByteArray readBack(const QString &key)
    {
        const auto info = m_store->head(key);
        if (!info.ok())
            return "HEAD " + info.error().toString().toUtf8();
        auto stream = m_store->openRead(*info);
        if (!stream.ok())
            return "OPEN " + stream.error().toString().toUtf8();
        QByteArray all;
        char buf[300000];  // odd size: reads cross chunk boundaries
        qint64 n;
        while ((n = (*stream)->read(buf, sizeof buf)) > 0)
            all.append(buf, n);
        if (n < 0)
            return "READ " + (*stream)->errorString().toUtf8();
        return all;
    }

    // Unfinished multipart uploads in the bucket. s3rver implements neither ListMultipartUploads
    // nor AbortMultipartUpload (both answer NotImplemented/MethodNotAllowed), so there the count
    // is not observable and the callers check only what the bucket serves.
    static bool serverTracksUploads() { return QString::fromLatin1(QTest::currentDataTag()) != u"s3rver"; }
    int pendingUploads()
    {
        const S3CallResult r = m_store->connection().listMultipartUploads();
        return r.error ? -1 : int(r.uploads.size());
    }

    void putObjects(const QStringList &keys)
    {
        for (const QString &key : keys) {
            auto writer = m_store->openWrite(key, {});
            QVERIFY(writer.ok());
            (*writer)->write(pattern(100, 7));
            const Error e = (*writer)->commit();
            QVERIFY2(!e, qPrintable(e.toString()));
        }
    }
    // A bucket policy that denies deleting the keys under `prefix`: DeleteObjects then answers 200
    // with those keys under <Error> and the others under <Deleted> (moto evaluates it per key).
    void denyDeletesUnder(const QString &prefix)
    {
        QFETCH(QString, serverName);
        QString error;
        const QString policy = QStringLiteral(R"({"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*",)"
                                              R"("Action":"s3:DeleteObject","Resource":"arn:aws:s3:::%1/%2*"}]})")
                                   .arg(m_bucket, prefix);
        QVERIFY2(awsS3api(testServer(serverName), {QStringLiteral("put-bucket-policy"), QStringLiteral("--bucket"), m_bucket,
                                                   QStringLiteral("--policy"), policy},
                          &error),
                 qPrintable(error));
    }
    QList<ObjectInfo> listAll()
    {
        QList<ObjectInfo> all;
        const Error e = m_store->list(QString(), [&](const QList<ObjectInfo> &page) {
            all += page;
            return true;
        });
        return e ? QList<ObjectInfo>() : all;
    }

private slots:
    void servers_data()
    {
        QTest::addColumn<QString>("serverName");
        QTest::newRow("moto") << QStringLiteral("moto");
        QTest::newRow("s3rver") << QStringLiteral("s3rver");
    }

    void roundTrip_data() { servers_data(); }
    void roundTrip()
    {
        openStore(smallTuning());
        if (QTest::currentTestFailed())
            return;
        // 0 B and a small object: one PutObject; 17 MiB + 3: four parts written in parallel.
        for (qint64 size : {qint64(0), qint64(1000), 17 * kMiB + 3}) {
            const QByteArray data = pattern(size, quint32(size));
            const QString key = QStringLiteral("obj/%1").arg(size);
            auto writer = m_store->openWrite(key, {{QStringLiteral("s3cache-fingerprint"), QStringLiteral("fp%1").arg(size)}});
            QVERIFY(writer.ok());
            // Written in uneven pieces, as the archiver does.
            for (qint64 off = 0; off < size; off += 777777)
                QCOMPARE((*writer)->write(data.constData() + off, std::min<qint64>(777777, size - off)), std::min<qint64>(777777, size - off));
            const Error e = (*writer)->commit();
            QVERIFY2(!e, qPrintable(e.toString()));
            QCOMPARE(readBack(key), data);
            const auto info = m_store->head(key);
            QCOMPARE(info->metadata.value(QStringLiteral("s3cache-fingerprint")), QStringLiteral("fp%1").arg(size));
        }
        if (serverTracksUploads())
            QCOMPARE(pendingUploads(), 0);
    }

    // A part's buffer is filled again once its upload is over: twelve parts of different bytes
    // through a window of three must come back byte for byte (a reused buffer that kept its old
    // bytes would mix parts), and some of the parts must have gone out in a reused buffer.
    void partBuffersAreReused_data() { servers_data(); }
    void partBuffersAreReused()
    {
        openStore(smallTuning());
        if (QTest::currentTestFailed())
            return;
        QStringList debug;
        const LogLevel previous = Log::level();
        Log::setLevel(LogLevel::Debug);
        Log::setSink([&](LogLevel level, const QString &line) {
            if (level == LogLevel::Debug)
                debug << line;
        });
        const auto restoreLog = qScopeGuard([previous] {
            Log::setSink({});
            Log::setLevel(previous);
        });
        const QByteArray data = pattern(12 * 5 * kMiB - 11, 12);
        auto writer = m_store->openWrite(QStringLiteral("reused"), {});
        QVERIFY(writer.ok());
        for (qint64 off = 0; off < data.size(); off += 1000003)
            QVERIFY((*writer)->write(data.constData() + off, std::min<qint64>(1000003, data.size() - off)) > 0);
        const Error e = (*writer)->commit();
        QVERIFY2(!e, qPrintable(e.toString()));
        QCOMPARE(readBack(QStringLiteral("reused")), data);
        const QStringList summary = debug.filter(QStringLiteral("upload of reused: 12 parts, "));
        QCOMPARE(summary.size(), 1);
        static const QRegularExpression reused(QStringLiteral("12 parts, (\\d+) of them in a buffer reused"));
        const QRegularExpressionMatch match = reused.match(summary.first());
        QVERIFY2(match.hasMatch() && match.captured(1).toInt() > 0, qPrintable(summary.first()));
    }

    void abandonedUploadIsAborted_data() { servers_data(); }
    void abandonedUploadIsAborted()
    {
        openStore(smallTuning());
        if (QTest::currentTestFailed())
            return;
        const QByteArray old = pattern(1234, 1);
        {
            auto writer = m_store->openWrite(QStringLiteral("k"), {});
            (*writer)->write(old);
            QVERIFY(!(*writer)->commit());
        }
        {
            auto writer = m_store->openWrite(QStringLiteral("k"), {});
            const QByteArray big = pattern(12 * kMiB, 2);  // two parts already sent
            QCOMPARE((*writer)->write(big), big.size());
            if (serverTracksUploads())
                QCOMPARE(pendingUploads(), 1);
            // dropped without commit, as when the archiver fails half-way
        }
        if (serverTracksUploads())
            QCOMPARE(pendingUploads(), 0);
        QCOMPARE(readBack(QStringLiteral("k")), old);
    }

    void replacedObjectIsNeverMixed_data() { servers_data(); }
    void replacedObjectIsNeverMixed()
    {
        TransferTuning t = smallTuning();
        t.downloadWindow = 1;  // so the replacement lands between two ranged reads
        openStore(t);
        if (QTest::currentTestFailed())
            return;
        const QByteArray v1 = pattern(4 * kMiB, 1), v2 = pattern(4 * kMiB, 2);
        for (const QByteArray *v : {&v1}) {
            auto w = m_store->openWrite(QStringLiteral("k"), {});
            (*w)->write(*v);
            QVERIFY(!(*w)->commit());
        }
        const auto info = m_store->head(QStringLiteral("k"));
        auto stream = m_store->openRead(*info);
        QByteArray got;
        while (got.size() < kMiB) {  // a stream hands out what has arrived: read may return less
            const QByteArray piece = (*stream)->read(kMiB - got.size());
            QVERIFY(!piece.isEmpty());
            got += piece;
        }
        QCOMPARE(got, v1.left(kMiB));
        {
            auto w = m_store->openWrite(QStringLiteral("k"), {});
            (*w)->write(v2);
            QVERIFY(!(*w)->commit());
        }
        QByteArray rest;
        char buf[65536];
        qint64 n;
        while ((n = (*stream)->read(buf, sizeof buf)) > 0)
            rest.append(buf, n);
        // Either the old bytes (already in flight) or an error, never bytes of v2.
        QVERIFY(!(got + rest).contains(v2.mid(2 * kMiB, 4096)));
        if (n < 0)
            QVERIFY((*stream)->streamError().isError());
        else
            QCOMPARE(got + rest, v1);
    }

    void moto_data()
    {
        QTest::addColumn<QString>("serverName");
        QTest::newRow("moto") << QStringLiteral("moto");
    }

    // What a DeleteObjects request deleted must not be forgotten when it refused another key.
    void refusedKeyKeepsWhatTheBatchDeleted_data() { moto_data(); }
    void refusedKeyKeepsWhatTheBatchDeleted()
    {
        openStore(smallTuning());
        if (QTest::currentTestFailed())
            return;
        const QStringList keys{QStringLiteral("a"), QStringLiteral("held/b"), QStringLiteral("c")};
        putObjects(keys);
        denyDeletesUnder(QStringLiteral("held/"));
        if (QTest::currentTestFailed())
            return;
        DeleteJob job(*m_store, listAll());
        const Error e = job.exec();
        QCOMPARE(e.code(), QStringLiteral("AccessDenied"));
        QVERIFY2(e.message().contains(QStringLiteral("1 of 3 objects not deleted")), qPrintable(e.message()));
        QVERIFY2(e.message().contains(QStringLiteral("s3://%1/held/b").arg(m_bucket)), qPrintable(e.message()));
        QVERIFY2(e.message().count(QStringLiteral("held/b")) == 1, qPrintable(e.message()));  // named once
        QCOMPARE(job.result().deleted, (QStringList{QStringLiteral("a"), QStringLiteral("c")}));
        QCOMPARE(job.result().failed, QStringList{QStringLiteral("held/b")});
        QCOMPARE(job.result().bytesFreed, 200);
        QCOMPARE(listAll().size(), 1);
    }

    // Flush goes the same way: what it freed before the refusal is counted.
    void flushCountsWhatItFreedBeforeARefusal_data() { moto_data(); }
    void flushCountsWhatItFreedBeforeARefusal()
    {
        openStore(smallTuning());
        if (QTest::currentTestFailed())
            return;
        putObjects({QStringLiteral("r/a"), QStringLiteral("r/held/b"), QStringLiteral("r/c")});
        denyDeletesUnder(QStringLiteral("r/held/"));
        if (QTest::currentTestFailed())
            return;
        FlushOptions options;
        options.prefix = QStringLiteral("r/");
        options.maxAgeSeconds = 0;
        options.now = QDateTime::currentDateTimeUtc().addSecs(3600);
        FlushJob job(*m_store, options);
        const Error e = job.exec();
        QCOMPARE(e.code(), QStringLiteral("AccessDenied"));
        QCOMPARE(job.result().deleted, 2);
        QCOMPARE(job.result().bytesFreed, 200);
    }

    void partSizesReachS3Limits()
    {
        QCOMPARE(S3Store::partSizeFor(1, 16 * kMiB), 16 * kMiB);
        QCOMPARE(S3Store::partSizeFor(1000, 16 * kMiB), 16 * kMiB);
        QCOMPARE(S3Store::partSizeFor(1001, 16 * kMiB), 32 * kMiB);
        QCOMPARE(S3Store::partSizeFor(1, kMiB), 5 * kMiB);  // never below S3's minimum
        qint64 total = 0;
        for (int n = 1; n <= 10000; ++n)
            total += S3Store::partSizeFor(n, TransferTuning().partSize);
        QVERIFY(total > 5 * 1024 * 1024 * kMiB);  // with the default start, 10,000 parts hold more than 5 TiB
    }

    void missingBucketIsNoSuchBucket()
    {
        QString error;
        const TestServer server = testServer(QStringLiteral("moto"), &error);
        QVERIFY2(server.isValid(), qPrintable(error));
        EndpointOptions options;
        options.server = server.endpoint;
        options.bucket = QStringLiteral("s3c-does-not-exist");
        S3ClientConfig config;
        config.endpoint = *resolveEndpoint(options);
        config.credentials.accessKey = server.accessKey;
        config.credentials.secretKey = server.secretKey;
        S3Store store(config);
        const auto info = store.head(QStringLiteral("k"));
        QVERIFY(!info.ok());
        QCOMPARE(info.error().kind(), ErrorKind::NotFound);
        QStringList listed;
        const Error e = store.list(QString(), [&](const QList<ObjectInfo> &) { return true; });
        QCOMPARE(e.code(), QStringLiteral("NoSuchBucket"));
    }

    // Every action that HEADs an object tells a missing bucket (named) from a missing key.
    void actionsTellAMissingBucketFromAMissingKey_data() { servers_data(); }
    void actionsTellAMissingBucketFromAMissingKey()
    {
        openStore(smallTuning());
        if (QTest::currentTestFailed())
            return;
        S3ClientConfig config = m_store->connection().config();
        config.endpoint.bucket = QStringLiteral("s3c-no-such-bucket");  // path-style: the host does not name it
        S3Store missing(config);
        const QString key = QStringLiteral("org/repo/k.tar.zst");
        QTemporaryDir dir;
        const auto check = [&](Job &job, ObjectStore &store, const QString &code) {
            const Error e = job.exec();
            QCOMPARE(e.code(), code);
            QCOMPARE(e.kind(), ErrorKind::NotFound);
            const QString named = code == u"NoSuchBucket" ? QStringLiteral("s3c-no-such-bucket") : store.uri(key);
            QVERIFY2(e.toString().contains(named), qPrintable(e.toString()));
        };
        for (ObjectStore *store : {static_cast<ObjectStore *>(&missing), static_cast<ObjectStore *>(m_store.get())}) {
            const QString code = store == &missing ? QStringLiteral("NoSuchBucket") : QStringLiteral("NoSuchKey");
            InspectJob inspect(*store, key);
            check(inspect, *store, code);
            DownloadJob download(*store, key, dir.filePath(QStringLiteral("out")));
            check(download, *store, code);
            HeadJob head(*store, key);
            check(head, *store, code);
        }
        // Restore: a missing key is a miss; a missing bucket an error that names it.
        RestoreOptions options;
        options.key = key;
        options.workspace = dir.path();
        RestoreJob miss(*m_store, options);
        QVERIFY(!miss.exec());
        QVERIFY(!miss.result().hit);
        RestoreJob broken(missing, options);
        QCOMPARE(broken.exec().code(), QStringLiteral("NoSuchBucket"));
    }
};

QTEST_GUILESS_MAIN(TestS3Store)
#include "tst_s3store.moc"
