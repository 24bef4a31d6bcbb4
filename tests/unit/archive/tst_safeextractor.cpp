// SafeExtractor against hostile archives (built by make_malicious.py with Python's tarfile and
// zipfile): every attack is refused with a clear error naming the entry, the workspace stays
// exactly as it was (including a file the archive had already staged a replacement for), and
// nothing appears outside it. Also: restores merge into existing trees without touching the
// user's files, the cache wins over what is in the way, and cancelling rolls everything back.
#include "archive/archivewriter.h"
#include "archive/safeextractor.h"
#include "archive/treesnapshot.h"

#include "archivetestutil.h"
#include "testservers.h"

#include "util/contentdigest.h"
#include "util/log.h"

#include <QScopeGuard>
#include <QTemporaryDir>

#include <cstring>
#include <dirent.h>
#include <sys/mount.h>

using namespace s3cache;
using namespace archivetest;

namespace {

constexpr qint64 MiB = 1024 * 1024;

QByteArray archiveOf(const QString &workspace, const QStringList &mounts)
{
    const Result<TreeSnapshot> snapshot = scanMounts(workspace, mounts, false);
    MemorySink sink;
    if (!snapshot.ok() || ArchiveWriter({ArchiveFormat::TarGzip, -1, 0}).write(*snapshot, &sink))
        return QByteArray();
    return sink.data();
}

} // namespace

class TestSafeExtractor : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_archives;
    QString m_outside;
    int m_counter = 0;

    QString freshDir()
    {
        const QString path = m_dir.path() + QStringLiteral("/cases/c%1/ws").arg(++m_counter);
        QDir().mkpath(path);
        return path;
    }

    // The workspace every attack meets: a file the archive also carries, a directory, and a
    // symbolic link that leads outside.
    QString hostileTarget()
    {
        const QString ws = freshDir();
        [&] {
            QVERIFY(writeFile(ws + QStringLiteral("/victim.txt"), "original\n"));
            QVERIFY(setMtime(ws + QStringLiteral("/victim.txt"), 1000000000));
            QVERIFY(writeFile(ws + QStringLiteral("/keep/me.txt"), "mine\n"));
            QCOMPARE(symlink(fs(m_outside).constData(), fs(ws + QStringLiteral("/link")).constData()), 0);
        }();
        return ws;
    }

    Error extractFile(const QString &file, const QString &ws) const
    {
        QFile archive(m_archives + u'/' + file);
        if (!archive.open(QIODevice::ReadOnly))
            return Error(ErrorKind::Io, QStringLiteral("TestSetup"), archive.fileName() + QStringLiteral(" is missing"));
        SequentialSource source(archive.readAll());
        return SafeExtractor().extract(&source, ws);
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_archives = m_dir.path() + QStringLiteral("/archives");
        m_outside = m_dir.path() + QStringLiteral("/outside");
        QVERIFY(QDir().mkpath(m_archives));
        QVERIFY(QDir().mkpath(m_outside));
        const QString python = test::testPython();
        QVERIFY(!python.isEmpty());
        QByteArray err;
        const int rc = run(python, {QStringLiteral(S3CACHE_TEST_SOURCE_DIR "/unit/archive/make_malicious.py"), m_archives, m_outside},
                           nullptr, &err);
        QVERIFY2(rc == 0, err.constData());
    }

    void refusesHostileArchives_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<qint64>("maxTotalBytes");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("message");  // OUTSIDE stands for the outside directory; "..." ends a prefix

        const int unsafe = int(ErrorKind::Unsafe);
        const int corrupt = int(ErrorKind::Corrupt);
        const QString entry = QStringLiteral("UnsafeEntry");
        QTest::newRow("absolute path") << "absolute.tar" << 0LL << unsafe << entry
                                       << "archive entry \"OUTSIDE/abs.txt\" is unsafe: absolute path";
        QTest::newRow("dot dot") << "dotdot.tar" << 0LL << unsafe << entry
                                 << "archive entry \"../x\" is unsafe: path contains \"..\"";
        QTest::newRow("write through an archive symlink") << "symlink_write_through.tar" << 0LL << unsafe << entry
                                                          << "archive entry \"evil/file\" is unsafe: \"evil\" is a symbolic link in this archive";
        QTest::newRow("hard link to a symlink") << "symlink_then_hardlink.tar" << 0LL << unsafe << entry
                                                << "archive entry \"h\" is unsafe: hard link to \"evil\", which is not a file extracted earlier from this archive";
        QTest::newRow("hard link to /etc/passwd") << "hardlink_passwd.tar" << 0LL << unsafe << entry
                                                  << "archive entry \"h\" is unsafe: hard link to \"/etc/passwd\", which is not a file extracted earlier from this archive";
        QTest::newRow("hard link out with dot dot") << "hardlink_dotdot.tar" << 0LL << unsafe << entry
                                                    << "archive entry \"h\" is unsafe: hard link to \"../../etc/passwd\", which is not a file extracted earlier from this archive";
        QTest::newRow("write through a workspace symlink") << "workspace_symlink.tar" << 0LL << unsafe << entry
                                                           << "archive entry \"link/file\" is unsafe: \"link\" is a symbolic link in the workspace";
        QTest::newRow("10000 levels deep") << "deep.tar" << 0LL << unsafe << entry
                                           << "archive entry \"a/a/a/a/a/...";
        QTest::newRow("zip slip") << "zipslip.zip" << 0LL << unsafe << entry
                                  << "archive entry \"../../x\" is unsafe: path contains \"..\"";
        QTest::newRow("decompression bomb") << "bomb.tar.gz" << MiB << unsafe << "ArchiveTooLarge"
                                            << "archive is too large: entry \"zeros\" brings it to 67109905 bytes (file sizes, holes included, and 512 bytes an entry), over the limit of 1048576 bytes";
        QTest::newRow("symlink replaces a directory") << "symlink_replaces_dir.tar" << 0LL << corrupt << "CorruptArchive"
                                                      << "archive entry \"d\" replaces a directory that the archive created earlier";
        QTest::newRow("symlink chain out with dot dot") << "symlink_dotdot_chain.tar" << 0LL << unsafe << entry
                                                        << "archive entry \"b/x\" is unsafe: \"b\" is a symbolic link in this archive";
        QTest::newRow("hard link to a directory") << "hardlink_to_dir.tar" << 0LL << unsafe << entry
                                                  << "archive entry \"h\" is unsafe: hard link to \"dir\", which is not a file extracted earlier from this archive";
        QTest::newRow("hard link to itself") << "hardlink_to_self.tar" << 0LL << unsafe << entry
                                             << "archive entry \"h\" is unsafe: hard link to \"h\", which is not a file extracted earlier from this archive";
        QTest::newRow("hard link through a symlink") << "hardlink_via_symlink.tar" << 0LL << unsafe << entry
                                                     << "archive entry \"h\" is unsafe: hard link to \"s/target\", which is not a file extracted earlier from this archive";
        QTest::newRow("64 GiB declared, limit") << "huge_size.tar" << MiB << unsafe << "ArchiveTooLarge"
                                                << "archive is too large: entry \"huge\" brings it to 68719477777 bytes (file sizes, holes included, and 512 bytes an entry), over the limit of 1048576 bytes";
        QTest::newRow("64 GiB declared, no limit") << "huge_size.tar" << 0LL << corrupt << "CorruptArchive"
                                                   << "corrupt archive at entry \"huge\": Truncated tar archive";
        QTest::newRow("zip absolute path") << "zip_absolute.zip" << 0LL << unsafe << entry
                                           << "archive entry \"OUTSIDE/abs.txt\" is unsafe: absolute path";
        QTest::newRow("zip name flagged UTF-8 that is not") << "zip_invalid_utf8_name.zip" << 0LL << corrupt << "CorruptArchive"
                                                             << "corrupt archive: the name of the entry after \"ok.txt\" cannot be read: ...";
        QTest::newRow("zip symlink write through") << "zip_symlink_write_through.zip" << 0LL << corrupt << "CorruptArchive"
                                                   << "archive entry \"evil/file\" needs \"evil\" to be a directory, but the archive made it a file";
        QTest::newRow("zip decompression bomb") << "bomb.zip" << MiB << unsafe << "ArchiveTooLarge"
                                                << "archive is too large: entry \"zeros\" brings it to 67109905 bytes (file sizes, holes included, and 512 bytes an entry), over the limit of 1048576 bytes";
        QTest::newRow("truncated gzip") << "truncated.tgz" << 0LL << corrupt << "CorruptArchive"
                                        << "corrupt archive at entry \"ok.txt\": truncated gzip input";
        QTest::newRow("corrupt zstd") << "corrupt.tar.zst" << 0LL << corrupt << "CorruptArchive"
                                      << "corrupt archive at entry \"ok.txt\": Zstd decompression failed: ...";
        QTest::newRow("truncated zstd") << "truncated.tar.zst" << 0LL << corrupt << "CorruptArchive"
                                        << "corrupt archive at entry \"ok.txt\": truncated zstd input";
        QTest::newRow("bad tar checksum") << "badchecksum.tar" << 0LL << corrupt << "CorruptArchive"
                                          << "corrupt archive after entry \"victim.txt\": Damaged tar archive";
        QTest::newRow("not an archive") << "garbage.bin" << 0LL << corrupt << "CorruptArchive"
                                        << "not a readable archive: Unrecognized archive format";
    }

    // Names are bytes: those of Python's pax tar (UTF-8 in NFC and NFD, and names with
    // hdrcharset=BINARY) come back as they were, four files for four names.
    void namesOfOtherArchiversKeepTheirBytes()
    {
        QTemporaryDir ws;
        const Error error = extractFile(QStringLiteral("foreign_names.tar"), ws.path());
        QVERIFY2(!error, qPrintable(error.toString()));
        const QByteArray root = fs(ws.path()) + '/';
        const QList<QPair<QByteArray, QByteArray>> expected = {
            {"Caf\xc3\xa9", "nfc"}, {"Cafe\xcc\x81", "nfd"}, {"bad\xff", "ff"}, {"bad\xfe", "fe"}};
        for (const auto &[name, content] : expected) {
            const int fd = open((root + name).constData(), O_RDONLY | O_CLOEXEC);
            QVERIFY2(fd >= 0, name.toHex().constData());
            char data[16];
            const ssize_t n = read(fd, data, sizeof data);
            close(fd);
            QCOMPARE(QByteArray(data, qsizetype(std::max<ssize_t>(n, 0))), content);
        }
        int entries = 0;  // QDir cannot tell bad\xff from bad\xfe: count the bytes' way
        DIR *dir = opendir(root.constData());
        QVERIFY(dir != nullptr);
        while (const struct dirent *d = readdir(dir))
            entries += d->d_name[0] != '.';
        closedir(dir);
        QCOMPARE(entries, 5);  // and victim.txt
    }

    // A zip without "xl" fields (Python, Info-ZIP) tells types and modes only in its central
    // directory: symbolic links are links, scripts executable, setuid stripped all the same.
    void zipTypesAndModesComeFromTheCentralDirectory()
    {
        QTemporaryDir ws;
        const Error error = extractFile(QStringLiteral("foreign_modes.zip"), ws.path());
        QVERIFY2(!error, qPrintable(error.toString()));
        const QMap<QString, QString> tree = describeTree(ws.path(), false);
        QCOMPARE(tree.value(QStringLiteral("bin")), QStringLiteral("dir mode=0750"));
        QCOMPARE(tree.value(QStringLiteral("bin/link")), QStringLiteral("link -> tool"));
        QVERIFY2(tree.value(QStringLiteral("bin/tool")).contains(QStringLiteral(" mode=0755 ")), qPrintable(tree.value(QStringLiteral("bin/tool"))));
        QVERIFY2(tree.value(QStringLiteral("bin/helper")).contains(QStringLiteral(" mode=0755 ")), qPrintable(tree.value(QStringLiteral("bin/helper"))));
        QVERIFY2(tree.value(QStringLiteral("plain.txt")).contains(QStringLiteral(" mode=0600 ")), qPrintable(tree.value(QStringLiteral("plain.txt"))));
    }

    // zip readers hand names flagged UTF-8 over in NFC, so a zip holding "Café" in NFC and in NFD
    // restores one file: never silently.
    void collapsedNamesAreReported()
    {
        QStringList warnings;
        Log::setSink([&](LogLevel level, const QString &line) {
            if (level == LogLevel::Warn)
                warnings << line;
        });
        const auto restoreSink = qScopeGuard([] { Log::setSink({}); });
        QTemporaryDir ws;
        const Error error = extractFile(QStringLiteral("foreign_nfc_nfd.zip"), ws.path());
        QVERIFY2(!error, qPrintable(error.toString()));
        QCOMPARE(warnings.size(), 1);
        QVERIFY2(warnings.first().contains(QStringLiteral("archive entry \"Caf\u00e9\" appears more than once: the last one is restored")),
                 qPrintable(warnings.first()));
        QCOMPARE(readFile(ws.path() + QStringLiteral("/Caf\u00e9")), QByteArray("nfd"));
    }

    void refusesHostileArchives()
    {
        QFETCH(QString, file);
        QFETCH(qint64, maxTotalBytes);
        QFETCH(int, kind);
        QFETCH(QString, code);
        QFETCH(QString, message);
        const QString ws = hostileTarget();
        const QMap<QString, QString> before = describeTree(ws);

        QFile archive(m_archives + u'/' + file);
        QVERIFY(archive.open(QIODevice::ReadOnly));
        SequentialSource source(archive.readAll());
        ExtractOptions options;
        options.maxTotalBytes = maxTotalBytes;
        const Error error = SafeExtractor(options).extract(&source, ws);

        QVERIFY2(int(error.kind()) == kind, qPrintable(error.toString()));
        QCOMPARE(error.code(), code);
        message.replace(QStringLiteral("OUTSIDE"), m_outside);
        if (message.endsWith(QStringLiteral("..."))) {
            message.chop(3);
            QVERIFY2(error.message().startsWith(message), qPrintable(error.message()));
        } else {
            QCOMPARE(error.message(), message);
        }
        if (file == u"deep.tar")
            QVERIFY(error.message().endsWith(QStringLiteral("is unsafe: path is 10001 levels deep (limit 256)")));

        const QString differences = treeDifferences(describeTree(ws), before);
        QVERIFY2(differences.isEmpty(), qPrintable(differences));
        QCOMPARE(QDir(m_outside).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
        QVERIFY(!QFileInfo::exists(ws + QStringLiteral("/../x")));
        QVERIFY(!QFileInfo::exists(ws + QStringLiteral("/../../x")));
    }

    void limits()
    {
        const QString src = freshDir();
        QVERIFY(writeFile(src + QStringLiteral("/m/a/b/c/file"), "x"));
        const QByteArray archive = archiveOf(src, {QStringLiteral("m")});
        QVERIFY(!archive.isEmpty());

        ExtractOptions few;
        few.maxEntries = 3;
        SequentialSource s1(archive);
        const Error tooMany = SafeExtractor(few).extract(&s1, freshDir());
        QCOMPARE(tooMany.kind(), ErrorKind::Unsafe);
        QCOMPARE(tooMany.code(), QStringLiteral("TooManyEntries"));
        QCOMPARE(tooMany.message(), QStringLiteral("archive has more than 3 entries"));

        ExtractOptions shallow;
        shallow.maxPathDepth = 3;
        SequentialSource s2(archive);
        QCOMPARE(SafeExtractor(shallow).extract(&s2, freshDir()).message(),
                 QStringLiteral("archive entry \"m/a/b/c\" is unsafe: path is 4 levels deep (limit 3)"));

        ExtractOptions shortNames;
        shortNames.maxPathLength = 6;
        SequentialSource s3(archive);
        QCOMPARE(SafeExtractor(shortNames).extract(&s3, freshDir()).message(),
                 QStringLiteral("archive entry \"m/a/b/c\" is unsafe: path is 7 bytes long (limit 6)"));

        SequentialSource s4(archive);
        QCOMPARE(SafeExtractor().extract(&s4, m_dir.path() + QStringLiteral("/no-such-workspace")).kind(), ErrorKind::InvalidInput);
    }

    // The size budget counts what lands on disk: empty files and holes are not free.
    void bombsOfEmptyFilesAndHolesAreRefused()
    {
        QByteArray err;
        const QString empties = m_dir.path() + QStringLiteral("/empties.tar");
        QCOMPARE(run(test::testPython(), {QStringLiteral("-c"),
                                          QStringLiteral("import sys, tarfile\n"
                                                         "with tarfile.open(sys.argv[1], 'w') as t:\n"
                                                         "    for i in range(300): t.addfile(tarfile.TarInfo(f'e/{i}'))\n"),
                                          empties}, nullptr, &err), 0);
        ExtractOptions options;
        options.maxTotalBytes = 100'000;
        SequentialSource source(readFile(empties));
        QString ws = freshDir();
        Error error = SafeExtractor(options).extract(&source, ws);
        QCOMPARE(error.code(), QStringLiteral("ArchiveTooLarge"));
        QCOMPARE(QDir(ws).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());

        // A 10 KB GNU sparse tar declaring 10 TB.
        const QString src = freshDir();
        QCOMPARE(run(QStringLiteral("truncate"), {QStringLiteral("-s"), QStringLiteral("10T"), src + QStringLiteral("/huge")}), 0);
        const QString sparse = m_dir.path() + QStringLiteral("/sparse.tar");
        QCOMPARE(run(QStringLiteral("tar"), {QStringLiteral("--sparse"), QStringLiteral("-cf"), sparse, QStringLiteral("-C"), src,
                                             QStringLiteral("huge")}, nullptr, &err), 0);
        QVERIFY(QFileInfo(sparse).size() < 100'000);
        options.maxTotalBytes = qint64(1) << 40;
        SequentialSource bomb(readFile(sparse));
        ws = freshDir();
        error = SafeExtractor(options).extract(&bomb, ws);
        QCOMPARE(error.code(), QStringLiteral("ArchiveTooLarge"));
        QCOMPARE(QDir(ws).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
    }

    void restoreMergesAndCacheWins()
    {
        const QString src = freshDir();
        QVERIFY(writeFile(src + QStringLiteral("/app/node_modules/pkg/index.js"), "module.exports = 1;\n"));
        QVERIFY(writeFile(src + QStringLiteral("/app/node_modules/was-a-symlink.js"), "real file\n"));
        QVERIFY(writeFile(src + QStringLiteral("/app/node_modules/was-a-file/inner.js"), "inner\n"));
        QVERIFY(QDir().mkpath(src + QStringLiteral("/app/node_modules/was-a-dir")));
        QVERIFY(QFile::remove(src + QStringLiteral("/app/node_modules/was-a-dir")) || QDir().rmdir(src + QStringLiteral("/app/node_modules/was-a-dir")));
        QVERIFY(writeFile(src + QStringLiteral("/app/node_modules/was-a-dir"), "now a file\n"));
        const QByteArray archive = archiveOf(src, {QStringLiteral("app/node_modules")});
        QVERIFY(!archive.isEmpty());

        const QString ws = freshDir();
        QVERIFY(writeFile(ws + QStringLiteral("/app/src/main.c"), "int main;"));
        QVERIFY(writeFile(ws + QStringLiteral("/app/node_modules/pkg/index.js"), "old version\n"));
        QVERIFY(writeFile(ws + QStringLiteral("/app/node_modules/stale/left.js"), "not in the cache\n"));
        QVERIFY(writeFile(ws + QStringLiteral("/app/node_modules/was-a-file"), "a file in the way\n"));
        QVERIFY(writeFile(ws + QStringLiteral("/app/node_modules/was-a-dir/x"), "a directory in the way\n"));
        QCOMPARE(symlink(fs(m_outside + QStringLiteral("/target.js")).constData(),
                         fs(ws + QStringLiteral("/app/node_modules/was-a-symlink.js")).constData()), 0);

        SequentialSource source(archive);
        const Error error = SafeExtractor().extract(&source, ws);
        QVERIFY2(!error, qPrintable(error.toString()));
        QCOMPARE(readFile(ws + QStringLiteral("/app/src/main.c")), QByteArray("int main;"));
        QCOMPARE(readFile(ws + QStringLiteral("/app/node_modules/pkg/index.js")), QByteArray("module.exports = 1;\n"));
        QCOMPARE(readFile(ws + QStringLiteral("/app/node_modules/stale/left.js")), QByteArray("not in the cache\n"));
        QCOMPARE(readFile(ws + QStringLiteral("/app/node_modules/was-a-file/inner.js")), QByteArray("inner\n"));
        QCOMPARE(readFile(ws + QStringLiteral("/app/node_modules/was-a-dir")), QByteArray("now a file\n"));
        QVERIFY(!QFileInfo(ws + QStringLiteral("/app/node_modules/was-a-symlink.js")).isSymLink());
        QCOMPARE(readFile(ws + QStringLiteral("/app/node_modules/was-a-symlink.js")), QByteArray("real file\n"));
        QVERIFY(!QFileInfo::exists(m_outside + QStringLiteral("/target.js")));
        QCOMPARE(QDir(ws).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList{QStringLiteral("app")});
    }

    // What a later rebuild trusts instead of reading the files again: the digest of exactly what
    // was written, for the name that holds it at the end (an entry replacing a file drops it).
    void reportsTheDigestsOfWhatItWrote()
    {
        const QString tar = m_dir.path() + QStringLiteral("/digests.tar");
        const QString script = QStringLiteral(
            "import io, sys, tarfile\n"
            "def add(t, name, data=b'', kind=tarfile.REGTYPE, link=''):\n"
            "    i = tarfile.TarInfo(name); i.type = kind; i.size = len(data); i.linkname = link\n"
            "    t.addfile(i, io.BytesIO(data) if kind == tarfile.REGTYPE else None)\n"
            "with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t:\n"
            "    add(t, 'm/a', b'first a')\n"
            "    add(t, 'm/a', b'second a')\n"
            "    add(t, 'm/b', b'b content')\n"
            "    add(t, 'm/c', b'c content')\n"
            "    add(t, 'm/c', kind=tarfile.LNKTYPE, link='m/b')\n"
            "    add(t, 'm/d', b'd content')\n"
            "    add(t, 'm/d', kind=tarfile.SYMTYPE, link='b')\n");
        QByteArray err;
        QVERIFY2(run(test::testPython(), {QStringLiteral("-c"), script, tar}, nullptr, &err) == 0, err.constData());
        QFile file(tar);
        QVERIFY(file.open(QIODevice::ReadOnly));
        SequentialSource source(file.readAll());
        SafeExtractor extractor;
        const Error error = extractor.extract(&source, freshDir());
        QVERIFY2(!error, qPrintable(error.toString()));
        const auto digestOf = [](QByteArrayView data) { return std::optional<Digest>(ContentDigest::digest(data)); };
        ContentState restored = extractor.takeRestoredFiles();
        restored.finish();  // the last entry of a name wins: m/c and m/d end as links, not files
        QCOMPARE(restored.size(), 2);
        QCOMPARE(restored.find("m/a", FileStamp{}), digestOf("second a"));  // not stamped yet
        QCOMPARE(restored.find("m/b", FileStamp{}), digestOf("b content"));

        SequentialSource broken(QByteArray("not an archive"));
        QVERIFY(extractor.extract(&broken, freshDir()));
        QVERIFY(extractor.takeRestoredFiles().isEmpty());
    }

    void neverGrantsPrivileges()
    {
        const QString src = freshDir();
        const QString m = src + QStringLiteral("/node_modules");
        QVERIFY(writeFile(m + QStringLiteral("/.bin/setuid-helper"), "#!/bin/sh\n", 04755));
        QVERIFY(writeFile(m + QStringLiteral("/.bin/setgid-helper"), "#!/bin/sh\n", 02755));
        QVERIFY(writeFile(m + QStringLiteral("/sticky-file"), "x", 01644));
        QVERIFY(writeFile(m + QStringLiteral("/plain"), "x", 0640));
        QVERIFY(QDir().mkpath(m + QStringLiteral("/setgid-dir")) && QDir().mkpath(m + QStringLiteral("/shared-tmp")));
        QCOMPARE(chmod(fs(m + QStringLiteral("/setgid-dir")).constData(), 02775), 0);
        QCOMPARE(chmod(fs(m + QStringLiteral("/shared-tmp")).constData(), 01777), 0);
        const QByteArray archive = archiveOf(src, {QStringLiteral("node_modules")});
        QVERIFY(!archive.isEmpty());

        const QString ws = freshDir();
        SequentialSource source(archive);
        SafeExtractor extractor;
        const Error error = extractor.extract(&source, ws);
        QVERIFY2(!error, qPrintable(error.toString()));
        const auto mode = [&](const char *rel) {
            struct stat st {};
            lstat(fs(ws + QStringLiteral("/node_modules/") + QLatin1String(rel)).constData(), &st);
            return st.st_mode & 07777;
        };
        QCOMPARE(mode(".bin/setuid-helper"), 0755u);
        QCOMPARE(mode(".bin/setgid-helper"), 0755u);
        QCOMPARE(mode("sticky-file"), 0644u);
        QCOMPARE(mode("plain"), 0640u);
        QCOMPARE(mode("setgid-dir"), 0775u);
        QCOMPARE(mode("shared-tmp"), 01777u);  // a sticky directory keeps it
        QCOMPARE(extractor.stats().modesStripped, 4);
    }

    void neverReplacesADirectoryHoldingAMount_data()
    {
        QTest::addColumn<bool>("symlink");
        QTest::newRow("a file where the workspace has the directory") << false;
        QTest::newRow("a symlink where the workspace has the directory") << true;
    }

    void neverReplacesADirectoryHoldingAMount()
    {
        QFETCH(bool, symlink);
        const QString src = freshDir();
        if (symlink)
            QCOMPARE(::symlink("elsewhere", fs(src + QStringLiteral("/app")).constData()), 0);
        else
            QVERIFY(writeFile(src + QStringLiteral("/app"), "the cache's app is a file\n"));
        const QByteArray archive = archiveOf(src, {QStringLiteral("app")});
        QVERIFY(!archive.isEmpty());

        const QString ws = freshDir();
        const QString volume = ws + QStringLiteral("/app/vol");
        QVERIFY(QDir().mkpath(volume));
        if (mount("tmpfs", fs(volume).constData(), "tmpfs", 0, "size=1m") != 0)
            QSKIP(qPrintable(QStringLiteral("cannot mount a tmpfs here (%1): needs root").arg(QString::fromLocal8Bit(strerror(errno)))));
        const auto unmount = qScopeGuard([&] { umount2(fs(volume).constData(), MNT_DETACH); });
        QVERIFY(writeFile(volume + QStringLiteral("/data.db"), "on the mounted file system\n"));
        QVERIFY(writeFile(ws + QStringLiteral("/app/own.txt"), "the user's\n"));
        const QMap<QString, QString> before = describeTree(ws);

        SequentialSource source(archive);
        const Error error = SafeExtractor().extract(&source, ws);
        QCOMPARE(error.code(), QStringLiteral("MountPointInTheWay"));
        QVERIFY2(error.message().contains(volume), qPrintable(error.message()));
        QCOMPARE(readFile(volume + QStringLiteral("/data.db")), QByteArray("on the mounted file system\n"));
        const QString differences = treeDifferences(describeTree(ws), before);
        QVERIFY2(differences.isEmpty(), qPrintable(differences));
    }

    void cancelRollsBack_data()
    {
        QTest::addColumn<bool>("duringMove");
        QTest::newRow("while extracting") << false;
        QTest::newRow("while moving into place") << true;
    }

    void cancelRollsBack()
    {
        QFETCH(bool, duringMove);
        const QString src = freshDir();
        for (const char *name : {"a", "b", "c", "d", "e"})
            QVERIFY(writeFile(src + QStringLiteral("/m/%1/data.bin").arg(QLatin1String(name)), QByteArray(3 * MiB, name[0])));
        QVERIFY(writeFile(src + QStringLiteral("/m/f.txt"), "new"));
        const QByteArray archive = archiveOf(src, {QStringLiteral("m")});
        QVERIFY(!archive.isEmpty());

        const QString ws = freshDir();
        QVERIFY(writeFile(ws + QStringLiteral("/m/a/data.bin"), "old a"));
        QVERIFY(writeFile(ws + QStringLiteral("/m/c"), "c was a file"));
        QVERIFY(writeFile(ws + QStringLiteral("/m/f.txt"), "old f"));
        QVERIFY(writeFile(ws + QStringLiteral("/other.txt"), "untouched"));
        for (const QString &p : {QStringLiteral("/m/a/data.bin"), QStringLiteral("/m/a"), QStringLiteral("/m/c"), QStringLiteral("/m")})
            QVERIFY(setMtime(ws + p, 1000000000));
        const QMap<QString, QString> before = describeTree(ws);

        Cancellation cancel;
        const qint64 total = 15 * MiB + 3;
        int finishedCalls = 0;
        SequentialSource source(archive);
        const Error error = SafeExtractor().extract(&source, ws, &cancel, [&](qint64 done, qint64) {
            if (!duringMove && done > 4 * MiB)
                cancel.cancel();
            if (duringMove && done == total && ++finishedCalls == 4)  // the last block, then 3 moves
                cancel.cancel();
        });
        QCOMPARE(error.kind(), ErrorKind::Cancelled);
        QCOMPARE(error.message(), QStringLiteral("restoring the archive was cancelled"));
        if (duringMove)
            QCOMPARE(finishedCalls, 4);
        const QString differences = treeDifferences(describeTree(ws), before);
        QVERIFY2(differences.isEmpty(), qPrintable(differences));
    }
};

QTEST_GUILESS_MAIN(TestSafeExtractor)
#include "tst_safeextractor.moc"
