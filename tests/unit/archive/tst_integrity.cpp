// A restore gets exactly what was saved, or fails and leaves the workspace as it was: damaged and
// truncated archives of every format are refused, including the cases that the formats alone do
// not catch (a byte flipped in a plain tar's data, a zstd frame without checksum, a tar cut at an
// entry boundary), which the archive digest that ArchiveWriter records at the end does.
#include "archive/archivereader.h"
#include "archive/archivewriter.h"
#include "archive/safeextractor.h"
#include "archive/treesnapshot.h"

#include "archivetestutil.h"
#include "testservers.h"

#include <QTemporaryDir>

using namespace s3cache;
using namespace archivetest;

namespace {

const QByteArray Marker = QByteArrayLiteral("PAYLOAD-MARKER-");

QByteArray flipped(QByteArray data, qsizetype at)
{
    data[at] = char(data[at] ^ 0x20);
    return data;
}

qsizetype roundUp512(qsizetype n)
{
    return (n + 511) / 512 * 512;
}

} // namespace

class TestIntegrity : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_source;
    int m_counter = 0;
    QByteArray m_payload;  // the content of m/b/payload.bin

    QByteArray archive(ArchiveFormat format)
    {
        const Result<TreeSnapshot> snapshot = scanMounts(m_source, {QStringLiteral("m")}, false);
        MemorySink sink;
        if (!snapshot.ok() || ArchiveWriter({format, -1, 1}).write(*snapshot, &sink))
            return QByteArray();
        return sink.data();
    }

    QString file(const QByteArray &data)
    {
        const QString path = m_dir.path() + QStringLiteral("/f%1").arg(++m_counter);
        return writeFile(path, data) ? path : QString();
    }

    // Runs a program on `input` written to a file; its stdout.
    QByteArray filter(const QString &program, const QStringList &args, const QByteArray &input)
    {
        QByteArray out, err;
        const QString in = file(input);
        if (run(program, args + QStringList{QStringLiteral("-c"), in}, &out, &err) != 0)
            qWarning("%s failed: %s", qPrintable(program), err.constData());
        return out;
    }

    Error restore(const QByteArray &data, bool requireDigest, QString *workspace = nullptr)
    {
        const QString ws = m_dir.path() + QStringLiteral("/ws%1").arg(++m_counter);
        QDir().mkpath(ws);
        if (workspace)
            *workspace = ws;
        SequentialSource source(data);
        ExtractOptions options;
        options.requireDigest = requireDigest;
        return SafeExtractor(options).extract(&source, ws);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_source = m_dir.path() + QStringLiteral("/src");
        m_payload = Marker;
        for (int i = 0; m_payload.size() < 300'000; ++i)
            m_payload += QByteArray::number(i * 7919) + ' ';
        QVERIFY(writeFile(m_source + QStringLiteral("/m/a.txt"), "first file\n"));
        QVERIFY(writeFile(m_source + QStringLiteral("/m/b/payload.bin"), m_payload));
        QVERIFY(writeFile(m_source + QStringLiteral("/m/c.txt"), "last file\n"));
    }

    void intactArchivesRestoreVerified_data()
    {
        QTest::addColumn<ArchiveFormat>("format");
        QTest::newRow("tar.zst") << ArchiveFormat::TarZstd;
        QTest::newRow("tar.gz") << ArchiveFormat::TarGzip;
        QTest::newRow("tar") << ArchiveFormat::Tar;
    }
    void intactArchivesRestoreVerified()
    {
        QFETCH(ArchiveFormat, format);
        const QByteArray data = archive(format);
        QVERIFY(!data.isEmpty());
        QString ws;
        SequentialSource source(data);
        ExtractOptions options;
        options.requireDigest = true;
        SafeExtractor extractor(options);
        QDir().mkpath(ws = m_dir.path() + QStringLiteral("/intact%1").arg(++m_counter));
        const Error error = extractor.extract(&source, ws);
        QVERIFY2(!error, qPrintable(error.toString()));
        QVERIFY(extractor.stats().digestVerified);
        QCOMPARE(extractor.stats().entries, 5);  // m, m/a.txt, m/b, m/b/payload.bin, m/c.txt: not the copy
        QCOMPARE(readFile(ws + QStringLiteral("/m/b/payload.bin")), m_payload);

        QList<ArchiveEntryInfo> listed;
        SequentialSource again(data);
        QVERIFY(!listArchive(&again, [&](const ArchiveEntryInfo &e) { listed << e; return true; }, nullptr, nullptr, true));
        QCOMPARE(listed.size(), 5);
        QCOMPARE(listed.last().path, QStringLiteral("m/c.txt"));
    }

    void damageIsRefused_data()
    {
        QTest::addColumn<QByteArray>("data");
        QTest::addColumn<bool>("requireDigest");
        QTest::addColumn<QString>("message");

        const QByteArray tar = archive(ArchiveFormat::Tar);
        const qsizetype payload = tar.indexOf(Marker);
        QVERIFY(payload > 0);
        QTest::newRow("tar: a byte flipped in a file's data")
            << flipped(tar, payload + 1000) << false << QStringLiteral("does not match the digest recorded");
        // Cut right after the payload entry (its data padded to 512): an entry boundary.
        const QByteArray cut = tar.left(roundUp512(payload + m_payload.size()));
        QTest::newRow("tar: cut at an entry boundary") << cut << false << QStringLiteral("cut short");
        QTest::newRow("tar: cut at an entry boundary, end marker added")
            << cut + QByteArray(1024, '\0') << true << QStringLiteral("digest recorded at its end when it was written is missing");
        QTest::newRow("tar: cut inside the end marker") << tar.chopped(512) << false << QStringLiteral("cut short");

        const QByteArray zstdNoCheck = filter(QStringLiteral("zstd"), {QStringLiteral("-q"), QStringLiteral("--no-check")}, flipped(tar, payload + 5));
        QVERIFY(!zstdNoCheck.isEmpty());
        QTest::newRow("zstd without checksum: a byte flipped before compression")
            << zstdNoCheck << false << QStringLiteral("does not match the digest recorded");

        const QByteArray zst = archive(ArchiveFormat::TarZstd);
        QTest::newRow("tar.zst: last bytes missing") << zst.chopped(6) << false << QStringLiteral("zstd");
        QTest::newRow("tar.zst: a byte flipped in the middle") << flipped(zst, zst.size() / 2) << false << QString();

        const QByteArray tgz = archive(ArchiveFormat::TarGzip);
        QTest::newRow("tar.gz: CRC-32 damaged") << flipped(tgz, tgz.size() - 6) << false << QStringLiteral("gzip data is damaged");
        QTest::newRow("tar.gz: length missing") << tgz.chopped(4) << false << QStringLiteral("truncated gzip input");
        QTest::newRow("tar.gz: junk after the stream") << tgz + "junk" << false << QStringLiteral("after the end");

        // Written by other tools (no digest): what their formats offer is still verified.
        const QByteArray gnuTgz = filter(QStringLiteral("gzip"), {QStringLiteral("-n")}, tar);
        QTest::newRow("foreign tar.gz: CRC-32 damaged") << flipped(gnuTgz, gnuTgz.size() - 7) << false << QStringLiteral("gzip");
        QByteArray python;
        QByteArray err;
        const QString pyTar = m_dir.path() + QStringLiteral("/python.tar");
        QCOMPARE(run(test::testPython(), {QStringLiteral("-c"),
                                          QStringLiteral("import sys, tarfile\n"
                                                         "with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:\n"
                                                         "    t.add(sys.argv[2], arcname='m')\n"),
                                          pyTar, m_source + QStringLiteral("/m")}, nullptr, &err), 0);
        python = readFile(pyTar);
        const qsizetype pyPayload = python.indexOf(Marker);
        QTest::newRow("foreign tar: cut at an entry boundary")
            << python.left(roundUp512(pyPayload + m_payload.size())) << false << QStringLiteral("cut short");
        QTest::newRow("foreign tar: no digest, but one was recorded") << python << true << QStringLiteral("digest recorded at its end");

        const QByteArray zip = archive(ArchiveFormat::Zip);
        const qsizetype central = zip.lastIndexOf(QByteArrayView("PK\x01\x02", 4));
        QVERIFY(central > 0);
        QTest::newRow("zip: end record missing") << zip.left(central) << false << QStringLiteral("cut short");
    }
    void damageIsRefused()
    {
        QFETCH(QByteArray, data);
        QFETCH(bool, requireDigest);
        QFETCH(QString, message);
        QString ws;
        const Error error = restore(data, requireDigest, &ws);
        QVERIFY2(error, "a damaged archive was restored");
        QCOMPARE(error.kind(), ErrorKind::Corrupt);
        QVERIFY2(error.message().contains(message), qPrintable(error.message()));
        QCOMPARE(QDir(ws).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());

        SequentialSource source(data);
        const Error listed = listArchive(&source, [](const ArchiveEntryInfo &) { return true; }, nullptr, nullptr, requireDigest);
        QCOMPARE(listed.kind(), ErrorKind::Corrupt);
    }

    // Holes stay holes: a 1 TiB sparse file is archived and restored in a moment, verified.
    void sparseFilesStaySparse_data()
    {
        intactArchivesRestoreVerified_data();
    }
    void sparseFilesStaySparse()
    {
        QFETCH(ArchiveFormat, format);
        const QString src = m_dir.path() + QStringLiteral("/sparse-src%1").arg(++m_counter);
        QVERIFY(writeFile(src + QStringLiteral("/s/huge"), QByteArray()));
        QFile huge(src + QStringLiteral("/s/huge"));
        QVERIFY(huge.open(QIODevice::ReadWrite));
        QVERIFY(huge.seek(5'000'000'000));
        QCOMPARE(huge.write("data in the middle"), 18);
        QVERIFY(huge.resize(qint64(1) << 40));
        huge.close();
        const Result<TreeSnapshot> snapshot = scanMounts(src, {QStringLiteral("s")}, false);
        MemorySink sink;
        QVERIFY(!ArchiveWriter({format, -1, 1}).write(*snapshot, &sink));
        QVERIFY2(sink.data().size() < 64 * 1024, QByteArray::number(sink.data().size()).constData());

        QString ws;
        SequentialSource source(sink.data());
        ExtractOptions options;
        options.requireDigest = true;
        SafeExtractor extractor(options);
        QDir().mkpath(ws = m_dir.path() + QStringLiteral("/sparse-ws%1").arg(++m_counter));
        const Error error = extractor.extract(&source, ws);
        QVERIFY2(!error, qPrintable(error.toString()));
        QVERIFY(extractor.stats().digestVerified);
        struct stat st;
        QCOMPARE(stat(fs(ws + QStringLiteral("/s/huge")).constData(), &st), 0);
        QCOMPARE(qint64(st.st_size), qint64(1) << 40);
        QVERIFY(qint64(st.st_blocks) * 512 < 1024 * 1024);
        QFile restored(ws + QStringLiteral("/s/huge"));
        QVERIFY(restored.open(QIODevice::ReadOnly));
        QVERIFY(restored.seek(5'000'000'000 - 2));
        QCOMPARE(restored.read(22), QByteArray(2, '\0') + "data in the middle" + QByteArray(2, '\0'));
    }

    void foreignArchivesWithoutDigestStillRestore()
    {
        QByteArray err;
        const QString pyTar = m_dir.path() + QStringLiteral("/python2.tar");
        QCOMPARE(run(test::testPython(), {QStringLiteral("-c"),
                                          QStringLiteral("import sys, tarfile\n"
                                                         "with tarfile.open(sys.argv[1], 'w', format=tarfile.GNU_FORMAT) as t:\n"
                                                         "    t.add(sys.argv[2], arcname='m')\n"),
                                          pyTar, m_source + QStringLiteral("/m")}, nullptr, &err), 0);
        QString ws;
        const Error error = restore(readFile(pyTar), false, &ws);
        QVERIFY2(!error, qPrintable(error.toString()));
        QCOMPARE(readFile(ws + QStringLiteral("/m/b/payload.bin")), m_payload);
    }
};

QTEST_GUILESS_MAIN(TestIntegrity)
#include "tst_integrity.moc"
