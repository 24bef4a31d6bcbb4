// ArchiveWriter -> SafeExtractor round trips for every format through a bounded in-process pipe
// (sequential, blocking: like an upload feeding a download), with a tree that has everything a
// build cache meets: unicode and spaces, empty directories and files, a 200 MiB file, relative,
// absolute and dangling symlinks, hard links, modes and old mtimes. Also: scanning mounts,
// fingerprints, codec options, determinism, failing sinks, cancellation and listing.
#include "archive/archivereader.h"
#include "archive/archivewriter.h"
#include "archive/safeextractor.h"
#include "archive/treesnapshot.h"

#include "archivetestutil.h"

#include <QTemporaryDir>

#include <functional>
#include <thread>

using namespace s3cache;
using namespace archivetest;

Q_DECLARE_METATYPE(ArchiveFormat)

namespace {

constexpr qint64 MiB = 1024 * 1024;
constexpr qint64 BigFileSize = 200 * MiB;
const QString Mount = QStringLiteral("app/node_modules");

// Writes `size` bytes of a pseudo-random 4 KiB pattern (compresses well, fast to make).
bool writeBigFile(const QString &path, qint64 size)
{
    QByteArray chunk(4096, Qt::Uninitialized);
    quint32 x = 12345;
    for (char &c : chunk) {
        x = x * 1103515245u + 12345u;
        c = char(x >> 16);
    }
    const QByteArray block = chunk.repeated(int(MiB / chunk.size()));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    for (qint64 done = 0; done < size; done += block.size()) {
        if (f.write(block.constData(), std::min<qint64>(block.size(), size - done)) < 0)
            return false;
    }
    return true;
}

struct PipeRun
{
    Error writeError;
    Error extractError;
    ArchiveStats written;
    ArchiveStats extracted;
    qint64 maxWrite = 0;
    qint64 peakRssGrowth = 0;
    QByteArray archiveDigest;
};

// The writer on a thread, the extractor here, a 256 KiB pipe between them.
PipeRun pipeRoundTrip(const TreeSnapshot &snapshot, ArchiveWriteOptions options, const QString &destination,
                      const Cancellation *cancel = nullptr, const ProgressCallback &progress = {})
{
    PipeRun result;
    Pipe pipe(256 * 1024);
    PipeWriter sink(pipe);
    PipeReader source(pipe);
    ArchiveWriter writer(options);
    const qint64 rssBefore = peakRss();
    std::thread producer([&] {
        result.writeError = writer.write(snapshot, &sink);
        pipe.closeWrite();
    });
    SafeExtractor extractor;
    result.extractError = extractor.extract(&source, destination, cancel, progress);
    pipe.closeRead();
    producer.join();
    result.peakRssGrowth = peakRss() - rssBefore;
    result.written = writer.stats();
    result.extracted = extractor.stats();
    result.maxWrite = pipe.maxWrite();
    result.archiveDigest = pipe.digest();
    return result;
}

QByteArray writeToMemory(const TreeSnapshot &snapshot, ArchiveWriteOptions options, Error *error)
{
    MemorySink sink;
    ArchiveWriter writer(options);
    *error = writer.write(snapshot, &sink);
    return sink.data();
}

} // namespace

class TestArchiveRoundTrip : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_source;          // workspace with the full tree
    QString m_sourceNoLinks;   // the same without hard links (zip has none)
    int m_counter = 0;
    QMap<QString, QMap<QString, QString>> m_descriptions;  // of the source trees (hashing 200 MiB once)

    QString freshDir()
    {
        const QString path = m_dir.path() + QStringLiteral("/d%1").arg(++m_counter);
        QDir().mkpath(path);
        return path;
    }

    const QMap<QString, QString> &sourceDescription(const QString &source)
    {
        if (!m_descriptions.contains(source))
            m_descriptions.insert(source, describeTree(source + u'/' + Mount));
        return m_descriptions[source];
    }

    static void makeTree(const QString &ws, bool withHardlinks, const QString &bigFileSource)
    {
        const QString nm = ws + u'/' + Mount;
        QVERIFY(writeFile(nm + QStringLiteral("/typescript/bin/tsc"), "#!/usr/bin/env node\nrequire('../lib/tsc.js')\n", 0755));
        QVERIFY(writeFile(nm + QStringLiteral("/typescript/lib/tsc.js"), QByteArray("console.log('tsc');\n").repeated(5000)));
        QVERIFY(QDir().mkpath(nm + QStringLiteral("/.bin")));
        QCOMPARE(symlink("../typescript/bin/tsc", fs(nm + QStringLiteral("/.bin/tsc")).constData()), 0);
        QCOMPARE(symlink("/usr/bin/env", fs(nm + QStringLiteral("/.bin/absolute")).constData()), 0);
        QCOMPARE(symlink("../does/not/exist", fs(nm + QStringLiteral("/.bin/dangling")).constData()), 0);
        QVERIFY(writeFile(nm + QStringLiteral("/ünïcödé 日本/файл с пробелами.txt"), "unicode and spaces\n"));
        QVERIFY(writeFile(nm + QStringLiteral("/zero-bytes"), QByteArray()));
        QVERIFY(writeFile(nm + QStringLiteral("/secret.key"), "key material\n", 0600));
        QVERIFY(QDir().mkpath(nm + QStringLiteral("/empty/nested-empty")));
        QCOMPARE(chmod(fs(nm + QStringLiteral("/empty")).constData(), 0700), 0);
        // Longer than ustar's 100/155-byte fields: needs the pax header.
        QVERIFY(writeFile(nm + u'/' + QString(120, u'n') + u'/' + QString(140, u'f') + QStringLiteral(".txt"), "long\n"));
        QCOMPARE(link(fs(bigFileSource).constData(), fs(nm + QStringLiteral("/big.bin")).constData()), 0);
        if (withHardlinks)
            QCOMPARE(link(fs(nm + QStringLiteral("/typescript/bin/tsc")).constData(),
                          fs(nm + QStringLiteral("/typescript/bin/tsc-hardlink")).constData()), 0);
        // Old mtimes (2001), children before parents so that directories keep theirs.
        qint64 mtime = 1000000000;
        QStringList paths;
        std::function<void(const QString &)> collect = [&](const QString &dir) {
            for (const QFileInfo &fi : QDir(dir).entryInfoList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name)) {
                if (fi.isDir() && !fi.isSymLink())
                    collect(fi.filePath());
                paths << fi.filePath();
            }
        };
        collect(nm);
        paths << nm;
        for (const QString &p : std::as_const(paths)) {
            if (!p.endsWith(QStringLiteral("big.bin")))  // shared with the other tree
                QVERIFY(setMtime(p, mtime++));
        }
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        const QString big = m_dir.path() + QStringLiteral("/big.bin");
        QVERIFY(writeBigFile(big, BigFileSize));
        QVERIFY(setMtime(big, 999999999));
        m_source = freshDir();
        makeTree(m_source, true, big);
        m_sourceNoLinks = freshDir();
        makeTree(m_sourceNoLinks, false, big);
    }

    void roundTrip_data()
    {
        QTest::addColumn<ArchiveFormat>("format");
        QTest::newRow("tar.zst") << ArchiveFormat::TarZstd;
        QTest::newRow("tar.gz") << ArchiveFormat::TarGzip;
        QTest::newRow("tar") << ArchiveFormat::Tar;
        QTest::newRow("zip") << ArchiveFormat::Zip;
    }

    void roundTrip()
    {
        QFETCH(ArchiveFormat, format);
        const QString source = format == ArchiveFormat::Zip ? m_sourceNoLinks : m_source;
        const Result<TreeSnapshot> snapshot = scanMounts(source, {Mount}, false);
        QVERIFY2(snapshot.ok(), qPrintable(snapshot.error().toString()));
        QVERIFY(snapshot->totalFileBytes > BigFileSize);

        const QString destination = freshDir();
        QVERIFY(writeFile(destination + QStringLiteral("/app/src/main.c"), "int main;"));
        ArchiveWriteOptions options;
        options.format = format;
        options.threads = 2;
        qint64 lastProgress = 0;
        const PipeRun run = pipeRoundTrip(*snapshot, options, destination, nullptr, [&](qint64 done, qint64) { lastProgress = done; });
        QVERIFY2(!run.writeError, qPrintable(run.writeError.toString()));
        QVERIFY2(!run.extractError, qPrintable(run.extractError.toString()));

        // Everything kept, the user's own files next to the mount untouched.
        const QString differences = treeDifferences(describeTree(destination + u'/' + Mount), sourceDescription(source));
        QVERIFY2(differences.isEmpty(), qPrintable(differences));
        QCOMPARE(readFile(destination + QStringLiteral("/app/src/main.c")), QByteArray("int main;"));
        QCOMPARE(QDir(destination).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList{QStringLiteral("app")});
        const Result<TreeSnapshot> restored = scanMounts(destination, {Mount}, false);
        QVERIFY(restored.ok());
        QCOMPARE(restored->fingerprint(), snapshot->fingerprint());

        // Stats, progress, and memory that does not grow with the 200 MiB file.
        QCOMPARE(run.written.format, archiveFormatName(format));
        QCOMPARE(run.extracted.format, archiveFormatName(format));
        QCOMPARE(run.extracted.files, qint64(snapshot->fileCount));
        QCOMPARE(run.extracted.bytesIn, snapshot->totalFileBytes);
        QCOMPARE(run.written.bytesIn, snapshot->totalFileBytes);
        QCOMPARE(run.extracted.bytesOut, run.written.bytesOut);
        QCOMPARE(lastProgress, snapshot->totalFileBytes);
        QVERIFY2(run.maxWrite <= 8 * MiB, qPrintable(QString::number(run.maxWrite)));
        QVERIFY2(run.peakRssGrowth < 120 * MiB, qPrintable(QStringLiteral("peak RSS grew by %1 MiB").arg(run.peakRssGrowth / MiB)));

        // Identical trees give identical archives, whatever the number of zstd workers.
        options.threads = 1;
        MemorySink again(false);
        QVERIFY(!ArchiveWriter(options).write(*restored, &again));
        QCOMPARE(again.digest(), run.archiveDigest);
    }

    void zipStoresHardLinksAsCopies()
    {
        const QString ws = freshDir();
        QVERIFY(writeFile(ws + QStringLiteral("/m/a"), "shared"));
        QCOMPARE(link(fs(ws + QStringLiteral("/m/a")).constData(), fs(ws + QStringLiteral("/m/b")).constData()), 0);
        const Result<TreeSnapshot> snapshot = scanMounts(ws, {QStringLiteral("m")}, false);
        QVERIFY(snapshot.ok());
        QCOMPARE(snapshot->at(snapshot->size() - 1).type, TreeEntry::Hardlink);
        Error error;
        const QByteArray zip = writeToMemory(*snapshot, {ArchiveFormat::Zip, -1, 0}, &error);
        QVERIFY(!error);
        const QString destination = freshDir();
        SequentialSource source(zip);
        QVERIFY(!SafeExtractor().extract(&source, destination));
        QCOMPARE(readFile(destination + QStringLiteral("/m/b")), QByteArray("shared"));
        struct stat a, b;
        QCOMPARE(lstat(fs(destination + QStringLiteral("/m/a")).constData(), &a), 0);
        QCOMPARE(lstat(fs(destination + QStringLiteral("/m/b")).constData(), &b), 0);
        QVERIFY(a.st_ino != b.st_ino);
    }

    void scanMountsRules_data()
    {
        QTest::addColumn<QStringList>("mounts");
        QTest::addColumn<bool>("preservePath");
        QTest::addColumn<QStringList>("paths");     // stored paths, in order
        QTest::addColumn<QStringList>("missing");
        QTest::addColumn<QString>("error");         // expected message, empty for success

        QTest::newRow("directory keeps its path")
            << QStringList{QStringLiteral("a/b/dir")} << false
            << QStringList{QStringLiteral("a/b/dir"), QStringLiteral("a/b/dir/f")} << QStringList() << QString();
        QTest::newRow("file by base name")
            << QStringList{QStringLiteral("a/b/file.txt")} << false << QStringList{QStringLiteral("file.txt")} << QStringList() << QString();
        QTest::newRow("file with preserve_path")
            << QStringList{QStringLiteral("a/b/file.txt")} << true << QStringList{QStringLiteral("a/b/file.txt")} << QStringList() << QString();
        QTest::newRow("nested and duplicate once")
            << QStringList{QStringLiteral("a/b/dir/f"), QStringLiteral("a/b"), QStringLiteral("./a/b/"), QStringLiteral("a/b/dir")} << false
            << QStringList{QStringLiteral("a/b"), QStringLiteral("a/b/dir"), QStringLiteral("a/b/dir/f"), QStringLiteral("a/b/file.txt")}
            << QStringList() << QString();
        QTest::newRow("missing mounts are reported")
            << QStringList{QStringLiteral("nope"), QStringLiteral("a/b/file.txt/x"), QStringLiteral("a/b/file.txt")} << false
            << QStringList{QStringLiteral("file.txt")} << QStringList{QStringLiteral("nope"), QStringLiteral("a/b/file.txt/x")} << QString();
        QTest::newRow("symlink mount is stored, not followed")
            << QStringList{QStringLiteral("link")} << false << QStringList{QStringLiteral("link")} << QStringList() << QString();
        QTest::newRow("dot dot inside is fine")
            << QStringList{QStringLiteral("x/../a/b/dir")} << false
            << QStringList{QStringLiteral("a/b/dir"), QStringLiteral("a/b/dir/f")} << QStringList() << QString();
        QTest::newRow("absolute")
            << QStringList{QStringLiteral("/etc")} << false << QStringList() << QStringList()
            << QStringLiteral("mount /etc is an absolute path; mounts are relative to the workspace");
        QTest::newRow("leaves the workspace")
            << QStringList{QStringLiteral("a/../../x")} << false << QStringList() << QStringList()
            << QStringLiteral("mount a/../../x leaves the workspace (..)");
        QTest::newRow("through a symlink")
            << QStringList{QStringLiteral("link/dir")} << false << QStringList() << QStringList()
            << QStringLiteral("mount link/dir passes through the symbolic link link");
        QTest::newRow("two files with one base name")
            << QStringList{QStringLiteral("a/b/file.txt"), QStringLiteral("c/file.txt")} << false << QStringList() << QStringList()
            << QStringLiteral("two mounts would both be stored as file.txt (c/file.txt)");
    }

    void scanMountsRules()
    {
        QFETCH(QStringList, mounts);
        QFETCH(bool, preservePath);
        QFETCH(QStringList, paths);
        QFETCH(QStringList, missing);
        QFETCH(QString, error);
        const QString ws = freshDir();
        QVERIFY(writeFile(ws + QStringLiteral("/a/b/dir/f"), "f"));
        QVERIFY(writeFile(ws + QStringLiteral("/a/b/file.txt"), "t"));
        QVERIFY(writeFile(ws + QStringLiteral("/c/file.txt"), "c"));
        QVERIFY(writeFile(m_dir.path() + QStringLiteral("/outside/dir/secret"), "s"));
        QCOMPARE(symlink(fs(m_dir.path() + QStringLiteral("/outside")).constData(), fs(ws + QStringLiteral("/link")).constData()), 0);

        const Result<TreeSnapshot> snapshot = scanMounts(ws, mounts, preservePath);
        if (!error.isEmpty()) {
            QVERIFY(!snapshot.ok());
            QCOMPARE(snapshot.error().kind(), ErrorKind::InvalidInput);
            QCOMPARE(snapshot.error().message(), error);
            return;
        }
        QVERIFY2(snapshot.ok(), qPrintable(snapshot.error().toString()));
        QStringList stored;
        for (qsizetype i = 0; i < snapshot->size(); ++i)
            stored << snapshot->at(i).pathString();
        QCOMPARE(stored, paths);
        QCOMPARE(snapshot->missingMounts, missing);
    }

    // The scan reads directories on two threads (the walker from the start, a helper from the
    // end); the entries must still come in depth-first order by name, as a plain recursive
    // listing gives them, on a tree wide and deep enough for both to work.
    void scanOrderIsDepthFirstByName()
    {
        const QString ws = freshDir();
        for (int a = 0; a < 40; ++a) {
            for (int b = 0; b < (a % 5) + 1; ++b) {
                const QString dir = ws + QStringLiteral("/m/pkg%1/sub%2").arg(a, 2, 10, QLatin1Char('0')).arg(b);
                QVERIFY(writeFile(dir + QStringLiteral("/f.txt"), "x"));
                QVERIFY(writeFile(dir + QStringLiteral("/deep/er/g.txt"), "y"));
                QVERIFY(QDir().mkpath(dir + QStringLiteral("/empty")));
            }
        }
        QStringList expected;
        const std::function<void(const QString &)> list = [&](const QString &rel) {
            expected << rel;
            const QFileInfo info(ws + u'/' + rel);
            if (!info.isDir() || info.isSymLink())
                return;
            QStringList names = QDir(info.filePath()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System);
            std::sort(names.begin(), names.end(), [](const QString &x, const QString &y) { return x.toUtf8() < y.toUtf8(); });
            for (const QString &name : names)
                list(rel + u'/' + name);
        };
        list(QStringLiteral("m"));
        QCOMPARE(expected.size(), 1 + 40 + 120 * 6);

        for (int run = 0; run < 5; ++run) {
            const Result<TreeSnapshot> snapshot = scanMounts(ws, {QStringLiteral("m")}, false);
            QVERIFY(snapshot.ok());
            QStringList stored;
            for (qsizetype i = 0; i < snapshot->size(); ++i)
                stored << snapshot->at(i).pathString();
            QCOMPARE(stored, expected);
        }
    }

    void scanRecordsEntries()
    {
        const QString ws = freshDir();
        QVERIFY(writeFile(ws + QStringLiteral("/m/file"), "12345", 0640));
        QCOMPARE(link(fs(ws + QStringLiteral("/m/file")).constData(), fs(ws + QStringLiteral("/m/link2")).constData()), 0);
        QCOMPARE(symlink("file", fs(ws + QStringLiteral("/m/sym")).constData()), 0);
        QCOMPARE(mkfifo(fs(ws + QStringLiteral("/m/fifo")).constData(), 0600), 0);
        QVERIFY(QDir().mkpath(ws + QStringLiteral("/m/.s3cache-staging-abc")));  // only reserved at the top
        const Result<TreeSnapshot> snapshot = scanMounts(ws, {QStringLiteral("m")}, false);
        QVERIFY(snapshot.ok());
        QCOMPARE(snapshot->skipped, QStringList{QStringLiteral("m/fifo")});
        QCOMPARE(snapshot->fileCount, 1);
        QCOMPARE(snapshot->totalFileBytes, 5);
        QCOMPARE(snapshot->size(), 5);
        const TreeEntry file = snapshot->at(2);
        QCOMPARE(file.path, "m/file");
        QCOMPARE(file.type, TreeEntry::File);
        QCOMPARE(file.mode, 0640u);
        QCOMPARE(snapshot->sourcePath(file), fs(ws + QStringLiteral("/m/file")));
        const TreeEntry hard = snapshot->at(3);
        QCOMPARE(hard.type, TreeEntry::Hardlink);
        QCOMPARE(hard.linkTarget, "m/file");
        QCOMPARE(snapshot->at(4).type, TreeEntry::Symlink);
        QCOMPARE(snapshot->at(4).linkTarget, "file");
        QCOMPARE(snapshot->at(4).size, 4);

        // The whole workspace as a mount leaves out the extractor's staging directories.
        QVERIFY(QDir().mkpath(ws + QStringLiteral("/.s3cache-staging-xyz")));
        const Result<TreeSnapshot> all = scanMounts(ws, {QStringLiteral(".")}, false);
        QVERIFY(all.ok());
        QCOMPARE(all->at(0).path, "m");
    }

    void fingerprintFollowsContentsAndMetadata()
    {
        const QString ws = freshDir();
        const QString file = ws + QStringLiteral("/m/f");
        QVERIFY(writeFile(file, "aaaa"));
        QVERIFY(setMtime(file, 1000000000));
        const auto fingerprint = [&] { return scanMounts(ws, {QStringLiteral("m")}, false)->fingerprint(); };
        const QByteArray base = fingerprint();
        QCOMPARE(base.size(), 64);
        QCOMPARE(fingerprint(), base);
        // Same size, mtime pinned back (utimensat), as npm's fixed 1985 mtimes do: still a change.
        QVERIFY(writeFile(file, "bbbb"));
        QVERIFY(setMtime(file, 1000000000));
        const QByteArray edited = fingerprint();
        QVERIFY(edited != base);
        QVERIFY(writeFile(file, "aaaa"));  // the old content again: the old fingerprint again
        QVERIFY(setMtime(file, 1000000000));
        QCOMPARE(fingerprint(), base);
        QVERIFY(setMtime(file, 1000000001));
        const QByteArray touched = fingerprint();
        QVERIFY(touched != base);
        QCOMPARE(chmod(fs(file).constData(), 0600), 0);
        const QByteArray chmodded = fingerprint();
        QVERIFY(chmodded != touched);
        QCOMPARE(symlink("f", fs(ws + QStringLiteral("/m/l")).constData()), 0);
        QVERIFY(fingerprint() != chmodded);
    }

    void fingerprintSeesEditsInLargeFilesAndHardLinks()
    {
        // An edit past the first MiB, and an edit seen through a second hard link, each with the
        // size and the mtime unchanged.
        const QString ws = freshDir();
        const QString big = ws + QStringLiteral("/m/big");
        QVERIFY(writeFile(big, QByteArray(3 * MiB, 'x')));
        QVERIFY(setMtime(big, 1000000000));
        QCOMPARE(link(fs(big).constData(), fs(ws + QStringLiteral("/m/zz-link")).constData()), 0);
        const auto fingerprint = [&] { return scanMounts(ws, {QStringLiteral("m")}, false)->fingerprint(); };
        const QByteArray base = fingerprint();
        {
            QFile f(ws + QStringLiteral("/m/zz-link"));
            QVERIFY(f.open(QIODevice::ReadWrite));
            QVERIFY(f.seek(2 * MiB + 7));
            QCOMPARE(f.write("y", 1), 1);
        }
        QVERIFY(setMtime(big, 1000000000));
        QVERIFY(fingerprint() != base);
    }

    void formatNames_data()
    {
        QTest::addColumn<QString>("filename");
        QTest::addColumn<int>("format");  // -1: none
        QTest::newRow("tar.zst") << QStringLiteral("archive.tar.zst") << int(ArchiveFormat::TarZstd);
        QTest::newRow("tzst upper") << QStringLiteral("CACHE.TZST") << int(ArchiveFormat::TarZstd);
        QTest::newRow("tgz") << QStringLiteral("archive.tgz") << int(ArchiveFormat::TarGzip);
        QTest::newRow("tar.gz") << QStringLiteral("a/b/x.Tar.Gz") << int(ArchiveFormat::TarGzip);
        QTest::newRow("tar") << QStringLiteral("x.tar") << int(ArchiveFormat::Tar);
        QTest::newRow("zip") << QStringLiteral("x.ZIP") << int(ArchiveFormat::Zip);
        QTest::newRow("unknown") << QStringLiteral("x.7z") << -1;
        QTest::newRow("bare zst") << QStringLiteral("x.zst") << -1;
    }

    void formatNames()
    {
        QFETCH(QString, filename);
        QFETCH(int, format);
        const std::optional<ArchiveFormat> detected = archiveFormatForFilename(filename);
        QCOMPARE(detected.has_value(), format != -1);
        if (detected) {
            QCOMPARE(int(*detected), format);
            QCOMPARE(archiveFormatForFilename(QStringLiteral("x.") + archiveFormatName(*detected)), detected);
        }
    }

    void compressionLevels()
    {
        QString range;
        QVERIFY(compressionLevelValid(ArchiveFormat::TarZstd, 19, &range));
        QCOMPARE(range, QStringLiteral("1..19"));
        QVERIFY(!compressionLevelValid(ArchiveFormat::TarZstd, 0));
        QVERIFY(!compressionLevelValid(ArchiveFormat::TarZstd, 20));
        QVERIFY(compressionLevelValid(ArchiveFormat::TarZstd, -1));
        QVERIFY(compressionLevelValid(ArchiveFormat::TarGzip, 9, &range));
        QCOMPARE(range, QStringLiteral("-1..9"));
        QVERIFY(!compressionLevelValid(ArchiveFormat::TarGzip, 10));
        QVERIFY(compressionLevelValid(ArchiveFormat::Zip, 0));
        QVERIFY(compressionLevelValid(ArchiveFormat::Tar, -1));
        QVERIFY(!compressionLevelValid(ArchiveFormat::Tar, 3, &range));
        QCOMPARE(range, QStringLiteral("none: tar archives are not compressed"));

        // Levels are honoured: more effort, smaller archive; a bad level is refused.
        const QString ws = freshDir();
        QByteArray text;  // words from a small vocabulary in pseudo-random order, like source code
        quint32 x = 1;
        for (int i = 0; i < 200000; ++i) {
            x = x * 1103515245u + 12345u;
            text += 'w' + QByteArray::number((x >> 16) % 300 * 7 % 977) + ((x >> 8) % 11 == 0 ? '\n' : ' ');
        }
        QVERIFY(writeFile(ws + QStringLiteral("/m/log.txt"), text));
        const Result<TreeSnapshot> snapshot = scanMounts(ws, {QStringLiteral("m")}, false);
        QVERIFY(snapshot.ok());
        for (const ArchiveFormat format : {ArchiveFormat::TarZstd, ArchiveFormat::TarGzip, ArchiveFormat::Zip}) {
            Error error;
            const int high = format == ArchiveFormat::TarZstd ? 19 : 9;
            const qint64 fast = writeToMemory(*snapshot, {format, 1, 1}, &error).size();
            QVERIFY(!error);
            const qint64 strong = writeToMemory(*snapshot, {format, high, 1}, &error).size();
            QVERIFY(!error);
            QVERIFY2(strong < fast, qPrintable(QStringLiteral("%1: %2 vs %3").arg(archiveFormatName(format)).arg(strong).arg(fast)));
        }
        Error error;
        writeToMemory(*snapshot, {ArchiveFormat::TarZstd, 25, 1}, &error);
        QCOMPARE(error.kind(), ErrorKind::InvalidInput);
        QCOMPARE(error.message(), QStringLiteral("compression level 25 is not valid for tar.zst (valid: 1..19)"));
    }

    void zstdFrameHasContentChecksum()
    {
        const QString ws = freshDir();
        QByteArray noise(3 * MiB, Qt::Uninitialized);  // incompressible: many zstd blocks
        quint32 x = 7;
        for (char &c : noise) {
            x = x * 1103515245u + 12345u;
            c = char(x >> 16);
        }
        QVERIFY(writeFile(ws + QStringLiteral("/m/noise"), noise));
        QVERIFY(writeFile(ws + QStringLiteral("/m/small"), "data"));
        Error error;
        const QByteArray archive = writeToMemory(*scanMounts(ws, {QStringLiteral("m")}, false), {}, &error);
        QVERIFY(!error);
        QVERIFY(archive.startsWith(QByteArray::fromHex("28b52ffd")));
        QVERIFY(archive.at(4) & 0x04);  // Frame_Header_Descriptor: Content_Checksum_flag
        SequentialSource intact(archive);
        QVERIFY(!SafeExtractor().extract(&intact, freshDir()));

        // A damaged checksum (the last 4 bytes) is caught, after the last entry was read.
        QByteArray damaged = archive;
        damaged[damaged.size() - 1] = char(damaged.at(damaged.size() - 1) ^ 0x01);
        SequentialSource source(damaged);
        const QString destination = freshDir();
        const Error e = SafeExtractor().extract(&source, destination);
        QCOMPARE(e.kind(), ErrorKind::Corrupt);
        QVERIFY2(e.message().contains(QStringLiteral("checksum")), qPrintable(e.message()));
        QCOMPARE(QDir(destination).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
    }

    void failingSinkIsAnIoError()
    {
        const Result<TreeSnapshot> snapshot = scanMounts(m_sourceNoLinks, {Mount}, false);
        QVERIFY(snapshot.ok());
        for (const ArchiveFormat format : {ArchiveFormat::TarZstd, ArchiveFormat::TarGzip, ArchiveFormat::Tar, ArchiveFormat::Zip}) {
            MemorySink sink(false, 1000);
            const Error error = ArchiveWriter({format, -1, 0}).write(*snapshot, &sink);
            QVERIFY2(error.kind() == ErrorKind::Io, qPrintable(archiveFormatName(format)));
            QCOMPARE(error.message(), QStringLiteral("writing the archive failed: upload failed: connection reset"));
        }
    }

    void cancelledWrite()
    {
        const Result<TreeSnapshot> snapshot = scanMounts(m_sourceNoLinks, {Mount}, false);
        QVERIFY(snapshot.ok());
        for (const ArchiveFormat format : {ArchiveFormat::TarZstd, ArchiveFormat::Zip}) {
            Cancellation cancel;
            MemorySink sink(false);
            const Error error = ArchiveWriter({format, -1, 0}).write(*snapshot, &sink, &cancel, [&](qint64 done, qint64) {
                if (done > 10 * MiB)
                    cancel.cancel();
            });
            QCOMPARE(error.kind(), ErrorKind::Cancelled);
            QVERIFY(sink.total() < 100 * MiB);
        }
    }

    void fileChangedSinceScan()
    {
        const QString ws = freshDir();
        QVERIFY(writeFile(ws + QStringLiteral("/m/shrinks"), "0123456789"));
        QVERIFY(writeFile(ws + QStringLiteral("/m/grows"), "abc"));
        QVERIFY(writeFile(ws + QStringLiteral("/m/vanishes"), "xyz"));
        const Result<TreeSnapshot> snapshot = scanMounts(ws, {QStringLiteral("m")}, false);
        QVERIFY(snapshot.ok());
        QVERIFY(writeFile(ws + QStringLiteral("/m/shrinks"), "01234"));
        QVERIFY(writeFile(ws + QStringLiteral("/m/grows"), "abcdef"));
        QVERIFY(QFile::remove(ws + QStringLiteral("/m/vanishes")));
        Error error;
        SequentialSource source(writeToMemory(*snapshot, {ArchiveFormat::Tar, -1, 0}, &error));
        QVERIFY(!error);
        const QString destination = freshDir();
        QVERIFY(!SafeExtractor().extract(&source, destination));
        QCOMPARE(readFile(destination + QStringLiteral("/m/shrinks")), QByteArray("01234\0\0\0\0\0", 10));
        QCOMPARE(readFile(destination + QStringLiteral("/m/grows")), QByteArray("abc"));
        QCOMPARE(readFile(destination + QStringLiteral("/m/vanishes")), QByteArray(3, '\0'));
    }

    void listing_data()
    {
        QTest::addColumn<ArchiveFormat>("format");
        QTest::newRow("tar.zst") << ArchiveFormat::TarZstd;
        QTest::newRow("tar.gz") << ArchiveFormat::TarGzip;
        QTest::newRow("tar") << ArchiveFormat::Tar;
        QTest::newRow("zip") << ArchiveFormat::Zip;
    }

    void listing()
    {
        QFETCH(ArchiveFormat, format);
        const QString ws = freshDir();
        QVERIFY(writeFile(ws + QStringLiteral("/m/d/file"), "12345", 0751));
        QCOMPARE(symlink("d/file", fs(ws + QStringLiteral("/m/link")).constData()), 0);
        QVERIFY(setMtime(ws + QStringLiteral("/m/d/file"), 1000000000));
        const Result<TreeSnapshot> snapshot = scanMounts(ws, {QStringLiteral("m")}, false);
        Error error;
        const QByteArray archive = writeToMemory(*snapshot, {format, -1, 0}, &error);
        QVERIFY(!error);

        QList<ArchiveEntryInfo> entries;
        ArchiveStats stats;
        SequentialSource source(archive);
        QVERIFY(!listArchive(&source, [&](const ArchiveEntryInfo &e) { entries << e; return true; }, nullptr, &stats));
        QCOMPARE(entries.size(), 4);
        QCOMPARE(entries.at(0).path, QStringLiteral("m"));
        QCOMPARE(entries.at(0).type, TreeEntry::Directory);
        QCOMPARE(entries.at(2).path, QStringLiteral("m/d/file"));
        QCOMPARE(entries.at(2).type, TreeEntry::File);
        QCOMPARE(entries.at(2).mode, 0751u);
        QCOMPARE(entries.at(2).mtime, 1000000000);
        QCOMPARE(entries.at(3).type, TreeEntry::Symlink);
        QCOMPARE(entries.at(3).linkTarget, QStringLiteral("d/file"));
        QCOMPARE(stats.format, archiveFormatName(format));
        QCOMPARE(stats.entries, 4);
        QCOMPARE(stats.files, 1);
        QCOMPARE(stats.bytesOut, archive.size());
        if (format != ArchiveFormat::Zip)  // zip sizes follow the data (data descriptors)
            QCOMPARE(entries.at(2).size, 5);

        // The callback stops the listing.
        int seen = 0;
        SequentialSource again(archive);
        QVERIFY(!listArchive(&again, [&](const ArchiveEntryInfo &) { return ++seen < 2; }));
        QCOMPARE(seen, 2);
    }
};

QTEST_GUILESS_MAIN(TestArchiveRoundTrip)
#include "tst_archiveroundtrip.moc"
