// S3ObjectWriter tells the archive writer how full its upload window is (OutputPressure), and a
// .tar.zst written through it with the default level (which then adapts) reads back as the same
// tar stream as a fixed-level archive of the same tree. Against real servers (moto, s3rver).
#include "archive/archivewriter.h"
#include "archive/outputpressure.h"
#include "archive/treesnapshot.h"
#include "cache/s3store.h"

#include "testservers.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;
using namespace s3cache::test;

namespace {

constexpr qint64 kMiB = 1024 * 1024;

bool createBucket(const TestServer &server, const QString &bucket, QString *error)
{
    QProcess aws;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("AWS_ACCESS_KEY_ID"), server.accessKey);
    env.insert(QStringLiteral("AWS_SECRET_ACCESS_KEY"), server.secretKey);
    env.insert(QStringLiteral("AWS_DEFAULT_REGION"), QStringLiteral("us-east-1"));
    aws.setProcessEnvironment(env);
    aws.start(QStringLiteral("aws"), {QStringLiteral("--endpoint-url"), server.endpoint, QStringLiteral("s3api"),
                                      QStringLiteral("create-bucket"), QStringLiteral("--bucket"), bucket});
    if (!aws.waitForFinished(60000) || aws.exitCode() != 0) {
        *error = QString::fromUtf8(aws.readAllStandardError());
        return false;
    }
    return true;
}

QByteArray zstdDecompress(const QByteArray &data, const QString &scratch)
{
    QFile file(scratch);
    if (!file.open(QIODevice::WriteOnly) || file.write(data) != data.size())
        return "cannot write " + scratch.toUtf8();
    file.close();
    QProcess zstd;
    zstd.start(QStringLiteral("zstd"), {QStringLiteral("-dcq"), scratch});
    if (!zstd.waitForFinished(120000) || zstd.exitCode() != 0)
        return "zstd failed: " + zstd.readAllStandardError();
    return zstd.readAllStandardOutput();
}

} // namespace

class TestS3WriterPressure : public QObject
{
    Q_OBJECT
private:
    std::unique_ptr<S3Store> m_store;
    QTemporaryDir m_dir;

    void openStore()
    {
        QFETCH(QString, serverName);
        QString error;
        const TestServer server = testServer(serverName, &error);
        QVERIFY2(server.isValid(), qPrintable(error));
        const QString bucket = uniqueBucketName(QStringLiteral("pressure"));
        QVERIFY2(createBucket(server, bucket, &error), qPrintable(error));
        EndpointOptions options;
        options.server = server.endpoint;
        options.bucket = bucket;
        const Result<Endpoint> endpoint = resolveEndpoint(options);
        QVERIFY2(endpoint.ok(), qPrintable(endpoint.error().toString()));
        S3ClientConfig config;
        config.endpoint = *endpoint;
        config.credentials.accessKey = server.accessKey;
        config.credentials.secretKey = server.secretKey;
        TransferTuning tuning;
        tuning.partSize = 5 * kMiB;  // S3's minimum: a few MiB make several parts
        tuning.uploadWindow = 2;
        m_store = std::make_unique<S3Store>(config, tuning);
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
        char buf[1 << 16];
        qint64 n;
        while ((n = (*stream)->read(buf, sizeof buf)) > 0)
            all.append(buf, n);
        return n < 0 ? "READ " + (*stream)->errorString().toUtf8() : all;
    }

private slots:
    void servers_data()
    {
        QTest::addColumn<QString>("serverName");
        QTest::newRow("moto") << QStringLiteral("moto");
        QTest::newRow("s3rver") << QStringLiteral("s3rver");
    }

    void writerReportsItsWindow_data() { servers_data(); }
    void writerReportsItsWindow()
    {
        openStore();
        if (QTest::currentTestFailed())
            return;
        auto writer = m_store->openWrite(QStringLiteral("w/obj"), {});
        QVERIFY(writer.ok());
        const auto *pressure = dynamic_cast<const OutputPressure *>(writer->get());
        QVERIFY(pressure);
        OutputPressureSample sample = pressure->outputPressure();
        QCOMPARE(sample.capacity, 2);
        QCOMPARE(sample.inFlight, 0);
        QCOMPARE(sample.blockedNs, qint64(0));
        // Five parts through a window of two: the third part has to wait for room.
        QByteArray data(25 * kMiB + 7, Qt::Uninitialized);
        for (qint64 i = 0; i < data.size(); ++i)
            data[i] = char((i * 2654435761u) >> 13);
        for (qint64 off = 0; off < data.size(); off += kMiB)
            QCOMPARE((*writer)->write(data.constData() + off, std::min(kMiB, data.size() - off)),
                     std::min(kMiB, data.size() - off));
        sample = pressure->outputPressure();
        QVERIFY(sample.inFlight >= 0 && sample.inFlight <= 2);
        QVERIFY(sample.blockedNs > 0);
        const Error e = (*writer)->commit();
        QVERIFY2(!e, qPrintable(e.toString()));
        QCOMPARE(readBack(QStringLiteral("w/obj")), data);
    }

    void adaptedArchiveHoldsTheSameTar_data() { servers_data(); }
    void adaptedArchiveHoldsTheSameTar()
    {
        openStore();
        if (QTest::currentTestFailed())
            return;
        const QString ws = m_dir.filePath(QStringLiteral("ws-%1").arg(QString::fromLatin1(QTest::currentDataTag())));
        QVERIFY(QDir().mkpath(ws + QStringLiteral("/m")));
        QFile text(ws + QStringLiteral("/m/big.txt"));
        QVERIFY(text.open(QIODevice::WriteOnly));
        quint32 x = 5;
        for (qint64 written = 0; written < 24 * kMiB;) {
            x = x * 1103515245u + 12345u;
            const QByteArray line = "row " + QByteArray::number(x % 7919) + " of generated text for the level to work on\n";
            written += text.write(line);
        }
        text.close();
        const Result<TreeSnapshot> snapshot = scanMounts(ws, {QStringLiteral("m")}, false);
        QVERIFY(snapshot.ok());

        QBuffer fixed;  // not an OutputPressure: the fixed default level
        fixed.open(QIODevice::WriteOnly);
        QVERIFY(!ArchiveWriter().write(*snapshot, &fixed));

        auto writer = m_store->openWrite(QStringLiteral("a/archive.tar.zst"), {}, snapshot->totalFileBytes);
        QVERIFY(writer.ok());
        const Error written = ArchiveWriter().write(*snapshot, writer->get());
        QVERIFY2(!written, qPrintable(written.toString()));
        const Error committed = (*writer)->commit();
        QVERIFY2(!committed, qPrintable(committed.toString()));

        const QByteArray uploaded = readBack(QStringLiteral("a/archive.tar.zst"));
        const QString scratch = m_dir.filePath(QStringLiteral("x.zst"));
        const QByteArray tar = zstdDecompress(fixed.data(), scratch);
        QVERIFY(tar.size() > 24 * kMiB);
        QCOMPARE(zstdDecompress(uploaded, scratch), tar);
    }
};

QTEST_GUILESS_MAIN(TestS3WriterPressure)
#include "tst_s3writerpressure.moc"
