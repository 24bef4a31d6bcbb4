// Archives we write are read by other tools (GNU tar with --zstd/-z, the zstd CLI, Python's
// tarfile and zipfile), and archives other tools wrote are restored by us: GNU tar (also with
// "./" names), Python tarfile in pax and GNU formats, and the Go plugin's archive.tgz layout.
#include "archive/archivereader.h"
#include "archive/archivewriter.h"
#include "archive/safeextractor.h"
#include "archive/treesnapshot.h"

#include "archivetestutil.h"
#include "testservers.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace s3cache;
using namespace archivetest;

Q_DECLARE_METATYPE(ArchiveFormat)

namespace {

QString interopScript()
{
    return QStringLiteral(S3CACHE_TEST_SOURCE_DIR "/unit/archive/interop.py");
}

QString python()
{
    return test::testPython();
}

} // namespace

class TestArchiveInterop : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_source;  // workspace holding the tree "m"
    int m_counter = 0;

    QString freshDir()
    {
        const QString path = m_dir.path() + QStringLiteral("/d%1").arg(++m_counter);
        QDir().mkpath(path);
        return path;
    }

    QString writeArchive(ArchiveFormat format, const QString &name)
    {
        const Result<TreeSnapshot> snapshot = scanMounts(m_source, {QStringLiteral("m")}, false);
        MemorySink sink;
        const Error error = ArchiveWriter({format, -1, 0}).write(*snapshot, &sink);
        const QString path = freshDir() + u'/' + name;
        QFile file(path);
        if (error || !file.open(QIODevice::WriteOnly) || file.write(sink.data()) != sink.data().size())
            return QString();
        return path;
    }

    static Error restore(const QString &archive, const QString &workspace, ArchiveStats *stats = nullptr)
    {
        QFile file(archive);
        if (!file.open(QIODevice::ReadOnly))
            return Error(ErrorKind::Io, QStringLiteral("test"), archive);
        SequentialSource source(file.readAll());
        SafeExtractor extractor;
        const Error error = extractor.extract(&source, workspace);
        if (stats)
            *stats = extractor.stats();
        return error;
    }

    void expectSameTree(const QString &actual, const QString &expected)
    {
        const QString differences = treeDifferences(describeTree(actual), describeTree(expected));
        QVERIFY2(differences.isEmpty(), qPrintable(differences));
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(!python().isEmpty());
        m_source = freshDir();
        const QString m = m_source + QStringLiteral("/m");
        QVERIFY(writeFile(m + QStringLiteral("/bin/tool"), "#!/bin/sh\necho hi\n", 0755));
        QVERIFY(writeFile(m + QStringLiteral("/secret"), "s3cr3t\n", 0600));
        QVERIFY(writeFile(m + QStringLiteral("/ünï cödé/文件 name.txt"), "unicode\n"));
        QVERIFY(writeFile(m + QStringLiteral("/zero"), QByteArray()));
        QVERIFY(writeFile(m + u'/' + QString(150, u'n') + QStringLiteral(".txt"), "long name\n"));
        QVERIFY(QDir().mkpath(m + QStringLiteral("/empty")));
        QVERIFY(QDir().mkpath(m + QStringLiteral("/.bin")));
        QCOMPARE(symlink("../bin/tool", fs(m + QStringLiteral("/.bin/tool")).constData()), 0);
        QCOMPARE(symlink("/usr/bin/env", fs(m + QStringLiteral("/abs")).constData()), 0);
        QCOMPARE(symlink("nowhere/at/all", fs(m + QStringLiteral("/dangling")).constData()), 0);
        QCOMPARE(link(fs(m + QStringLiteral("/bin/tool")).constData(), fs(m + QStringLiteral("/hard")).constData()), 0);
        qint64 mtime = 1000000000;
        for (const QString &p : {QStringLiteral("/bin/tool"), QStringLiteral("/bin"), QStringLiteral("/secret"), QStringLiteral("/ünï cödé/文件 name.txt"),
                                 QStringLiteral("/ünï cödé"), QStringLiteral("/zero"), QStringLiteral("/empty"), QStringLiteral("/.bin"), QString()})
            QVERIFY(setMtime(m + p, mtime += 1000));
    }

    void gnuTarReadsOurArchives_data()
    {
        QTest::addColumn<ArchiveFormat>("format");
        QTest::addColumn<QString>("codec");
        QTest::newRow("tar.zst") << ArchiveFormat::TarZstd << QStringLiteral("--zstd");
        QTest::newRow("tar.gz") << ArchiveFormat::TarGzip << QStringLiteral("-z");
        QTest::newRow("tar") << ArchiveFormat::Tar << QString();
    }

    void gnuTarReadsOurArchives()
    {
        QFETCH(ArchiveFormat, format);
        QFETCH(QString, codec);
        const QString archive = writeArchive(format, QStringLiteral("archive.") + archiveFormatName(format));
        QVERIFY(!archive.isEmpty());
        QStringList codecArgs;
        if (!codec.isEmpty())
            codecArgs << codec;

        QByteArray out, err;
        QCOMPARE(run(QStringLiteral("tar"), codecArgs + QStringList{QStringLiteral("--quoting-style=literal"), QStringLiteral("-tf"), archive}, &out, &err), 0);
        QStringList listed = QString::fromUtf8(out).split(u'\n', Qt::SkipEmptyParts);
        for (QString &name : listed) {
            if (name.endsWith(u'/'))
                name.chop(1);
        }
        QStringList expected;
        const Result<TreeSnapshot> snapshot = scanMounts(m_source, {QStringLiteral("m")}, false);
        for (qsizetype i = 0; i < snapshot->size(); ++i)
            expected << snapshot->at(i).pathString();
        expected << QStringLiteral("m");  // the copy of the first directory after the digest record
        QCOMPARE(listed, expected);

        const QString destination = freshDir();
        QCOMPARE(run(QStringLiteral("tar"), codecArgs + QStringList{QStringLiteral("-xf"), archive, QStringLiteral("-C"), destination,
                                                                     QStringLiteral("--no-same-owner")}, &out, &err), 0);
        expectSameTree(destination + QStringLiteral("/m"), m_source + QStringLiteral("/m"));
    }

    void zstdCliVerifiesOurChecksum()
    {
        const QString archive = writeArchive(ArchiveFormat::TarZstd, QStringLiteral("archive.tar.zst"));
        QByteArray out, err;
        QCOMPARE(run(QStringLiteral("zstd"), {QStringLiteral("-lv"), archive}, &out, &err), 0);
        QVERIFY2(out.contains("Check: XXH64"), out.constData());
        QCOMPARE(run(QStringLiteral("zstd"), {QStringLiteral("-t"), QStringLiteral("-q"), archive}, &out, &err), 0);
    }

    void pythonReadsOurArchives_data()
    {
        QTest::addColumn<ArchiveFormat>("format");
        QTest::newRow("tar.zst") << ArchiveFormat::TarZstd;
        QTest::newRow("tar.gz") << ArchiveFormat::TarGzip;
        QTest::newRow("tar") << ArchiveFormat::Tar;
        QTest::newRow("zip") << ArchiveFormat::Zip;
    }

    void pythonReadsOurArchives()
    {
        QFETCH(ArchiveFormat, format);
        QString archive = writeArchive(format, QStringLiteral("archive.") + archiveFormatName(format));
        QVERIFY(!archive.isEmpty());
        QByteArray out, err;
        if (format == ArchiveFormat::TarZstd) {  // Python has no zstd: the CLI decompresses
            QCOMPARE(run(QStringLiteral("zstd"), {QStringLiteral("-d"), QStringLiteral("-q"), archive}, &out, &err), 0);
            archive.chop(4);
        }
        QCOMPARE(run(python(), {interopScript(), QStringLiteral("list"), archive}, &out, &err), 0);
        QList<QByteArray> lines = out.split('\n');
        const Result<TreeSnapshot> snapshot = scanMounts(m_source, {QStringLiteral("m")}, false);
        if (format != ArchiveFormat::Zip) {  // tar: the digest record, then a copy of the first directory
            QCOMPARE(lines.at(lines.size() - 2), lines.at(0));
            lines.remove(lines.size() - 2);
        }
        QCOMPARE(lines.size() - 1, snapshot->size());
        for (qsizetype i = 0; i < snapshot->size(); ++i) {
            const TreeEntry e = snapshot->at(i);
            const QJsonObject o = QJsonDocument::fromJson(lines.at(i)).object();
            QCOMPARE(o.value(u"name").toString(), e.pathString());
            QCOMPARE(o.value(u"mode").toInt(), int(e.mode));
            static const char *const types[] = {"file", "dir", "symlink", "hardlink"};
            const bool zipCopy = format == ArchiveFormat::Zip && e.type == TreeEntry::Hardlink;
            QCOMPARE(o.value(u"type").toString(), QLatin1String(zipCopy ? "file" : types[e.type]));
            if (e.type == TreeEntry::Symlink || (e.type == TreeEntry::Hardlink && !zipCopy))
                QCOMPARE(o.value(u"link").toString(), QString::fromUtf8(e.linkTarget));
            if (e.type == TreeEntry::File)
                QCOMPARE(o.value(u"size").toInteger(), e.size);
            if (format != ArchiveFormat::Zip)
                QCOMPARE(o.value(u"mtime").toInteger(), e.mtime);
        }
    }

    void weRestoreGnuTarArchives_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("format");
        QTest::newRow("gzip") << QStringList{QStringLiteral("-czf")} << QStringLiteral("tar.gz");
        QTest::newRow("zstd") << QStringList{QStringLiteral("--zstd"), QStringLiteral("-cf")} << QStringLiteral("tar.zst");
        QTest::newRow("plain") << QStringList{QStringLiteral("-cf")} << QStringLiteral("tar");
        QTest::newRow("gnu format, posix format") << QStringList{QStringLiteral("--format=posix"), QStringLiteral("-czf")} << QStringLiteral("tar.gz");
        QTest::newRow("dot names") << QStringList{QStringLiteral("-czf")} << QStringLiteral("tar.gz");
    }

    void weRestoreGnuTarArchives()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, format);
        const QString archive = freshDir() + QStringLiteral("/made-by-gnu-tar");
        const QString member = QString::fromLatin1(QTest::currentDataTag()) == u"dot names" ? QStringLiteral(".") : QStringLiteral("m");
        QByteArray out, err;
        QCOMPARE(run(QStringLiteral("tar"), QStringList{QStringLiteral("-C"), m_source} + args + QStringList{archive, member}, &out, &err), 0);
        const QString destination = freshDir();
        ArchiveStats stats;
        const Error error = restore(archive, destination, &stats);
        QVERIFY2(!error, qPrintable(error.toString()));
        QCOMPARE(stats.format, format);
        expectSameTree(destination, m_source);
    }

    void weRestorePythonTarfileArchives_data()
    {
        QTest::addColumn<QString>("format");
        QTest::addColumn<QString>("mode");
        QTest::newRow("pax gzip") << QStringLiteral("pax") << QStringLiteral("w:gz");
        QTest::newRow("gnu gzip") << QStringLiteral("gnu") << QStringLiteral("w:gz");
        QTest::newRow("pax plain") << QStringLiteral("pax") << QStringLiteral("w");
    }

    void weRestorePythonTarfileArchives()
    {
        QFETCH(QString, format);
        QFETCH(QString, mode);
        const QString archive = freshDir() + QStringLiteral("/made-by-python");
        QByteArray out, err;
        QCOMPARE(run(python(), {interopScript(), QStringLiteral("make"), archive, format, mode, m_source, QStringLiteral("m")}, &out, &err), 0);
        const QString destination = freshDir();
        const Error error = restore(archive, destination);
        QVERIFY2(!error, qPrintable(error.toString()));
        expectSameTree(destination, m_source);
    }

    void weRestoreGoPluginArchives()
    {
        // The Go plugin stored each mount under its base name: mount a/b/dir -> dir/...
        const QString src = freshDir();
        QVERIFY(writeFile(src + QStringLiteral("/a/b/dir/file.txt"), "file\n"));
        QVERIFY(writeFile(src + QStringLiteral("/a/b/dir/sub/x.bin"), QByteArray(100000, 'x'), 0755));
        QVERIFY(writeFile(src + QStringLiteral("/node_modules/pkg/index.js"), "module.exports = 1;\n"));
        QVERIFY(QDir().mkpath(src + QStringLiteral("/node_modules/.bin")));
        QCOMPARE(symlink("../pkg/index.js", fs(src + QStringLiteral("/node_modules/.bin/pkg")).constData()), 0);
        const QString archive = freshDir() + QStringLiteral("/archive.tgz");
        QByteArray out, err;
        QCOMPARE(run(python(), {interopScript(), QStringLiteral("go-layout"), archive, src, QStringLiteral("a/b/dir"), QStringLiteral("node_modules")},
                     &out, &err), 0);

        QFile file(archive);
        QVERIFY(file.open(QIODevice::ReadOnly));
        SequentialSource listing(file.readAll());
        QStringList paths;
        ArchiveStats stats;
        QVERIFY(!listArchive(&listing, [&](const ArchiveEntryInfo &e) { paths << e.path; return true; }, nullptr, &stats));
        QCOMPARE(stats.format, QStringLiteral("tar.gz"));
        QVERIFY(paths.contains(QStringLiteral("dir/sub/x.bin")));

        const QString ws = freshDir();
        QVERIFY(writeFile(ws + QStringLiteral("/src/main.go"), "package main\n"));
        const Error error = restore(archive, ws);
        QVERIFY2(!error, qPrintable(error.toString()));
        expectSameTree(ws + QStringLiteral("/dir"), src + QStringLiteral("/a/b/dir"));
        expectSameTree(ws + QStringLiteral("/node_modules"), src + QStringLiteral("/node_modules"));
        QCOMPARE(readFile(ws + QStringLiteral("/src/main.go")), QByteArray("package main\n"));
    }
};

QTEST_GUILESS_MAIN(TestArchiveInterop)
#include "tst_archiveinterop.moc"
