// The content part of the tree fingerprint and the workspace's ContentState: a same-size edit
// with a pinned mtime changes the fingerprint; a recorded file is not read again (the snapshot
// counts what it hashed, and a record with a planted digest shows up in the fingerprint); a record
// for another inode, device or ctime is not trusted; a corrupt, truncated, foreign or unwritable
// state is ignored; the file format stays compact.
#include "archive/contentstate.h"
#include "archive/treesnapshot.h"

#include "util/contentdigest.h"

#include "archivetestutil.h"

#include <QTemporaryDir>

#include <fcntl.h>
#include <sys/stat.h>

using namespace s3cache;
using namespace archivetest;

namespace {

struct stat lstatOf(const QString &path)
{
    struct stat st {};
    if (lstat(fs(path).constData(), &st) != 0)
        qFatal("lstat %s failed", qPrintable(path));
    return st;
}

// Waits until the file-system clock has passed the ctime of `path`, so that a scan starting now
// may record it (ContentState::settled); a few ms at most.
void settle(const QString &path)
{
    const qint64 ctime = FileStamp::of(lstatOf(path)).ctimeNs;
    QTRY_VERIFY_WITH_TIMEOUT(ContentState::clockFloor() > ctime, 5000);
}

bool pinMtime(const QString &path, qint64 seconds, long nsec = 0)
{
    const struct timespec times[2] = {{time_t(seconds), nsec}, {time_t(seconds), nsec}};
    return utimensat(AT_FDCWD, fs(path).constData(), times, AT_SYMLINK_NOFOLLOW) == 0;
}

Digest planted(char c)
{
    Digest d;
    d.fill(c);
    return d;
}

} // namespace

class TestContentState : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    int m_counter = 0;

    QString freshDir()
    {
        const QString path = m_dir.path() + QStringLiteral("/d%1").arg(++m_counter);
        QDir().mkpath(path);
        return path;
    }

    // m/a (4 bytes), m/b/c (1 MiB + 1: more than one read block), m/h (a hard link to m/a),
    // m/l (a symbolic link), m/e (empty); mtimes pinned.
    static void makeTree(const QString &ws)
    {
        QVERIFY(writeFile(ws + QStringLiteral("/m/a"), "aaaa"));
        QVERIFY(writeFile(ws + QStringLiteral("/m/b/c"), QByteArray(1024 * 1024 + 1, 'c')));
        QVERIFY(writeFile(ws + QStringLiteral("/m/e"), QByteArray()));
        QCOMPARE(link(fs(ws + QStringLiteral("/m/a")).constData(), fs(ws + QStringLiteral("/m/h")).constData()), 0);
        QCOMPARE(symlink("a", fs(ws + QStringLiteral("/m/l")).constData()), 0);
        for (const char *p : {"/m/a", "/m/b/c", "/m/e"})
            QVERIFY(pinMtime(ws + QLatin1String(p), 499162500));  // npm's 1985-10-26
        settle(ws + QStringLiteral("/m/e"));
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // The fingerprint is stored with every cache: its bytes must not change between versions, or
    // every cache looks changed (and is uploaded again) after an upgrade. The expected value is
    // computed independently (Python's hashlib over the documented v2 lines).
    void fingerprintFormatIsStable()
    {
        TreeSnapshot s;
        Digest first;
        for (int i = 0; i < 16; ++i)
            first[size_t(i)] = char(i);
        Digest second;
        second.fill(char(0xff));
        s.append("m", TreeEntry::Directory, 0, 1700000000, 0, 0755);
        s.append("m/a file", TreeEntry::File, 1234567, 1700000001, 5, 0644);
        s.setDigest(1, first);
        s.append("m/link", TreeEntry::Symlink, 0, -5, 0, 0777, "a file");
        s.append("m/\xc3\xa9", TreeEntry::File, 0, 1700000002, 0, 0600);
        s.setDigest(3, second);
        QCOMPARE(s.fingerprint(), QByteArray("e4dd51a74da408e7e3d58147de78801d6f9ae1ccf1bd3d777b36200a59bce3b9"));
    }

    void digestsAreTheContentDigest()
    {
        const QString ws = freshDir();
        makeTree(ws);
        const Result<TreeSnapshot> s = scanMounts(ws, {QStringLiteral("m")}, false);
        QVERIFY(s.ok());
        QCOMPARE(s->fileCount, 3);
        QCOMPARE(s->filesHashed, 3);
        QCOMPARE(s->bytesHashed, 4 + 1024 * 1024 + 1);
        for (qsizetype i = 0; i < s->size(); ++i) {
            const TreeEntry e = s->at(i);
            if (e.type == TreeEntry::File)
                QCOMPARE(s->contentDigest(i), ContentDigest::hex(readFile(ws + u'/' + e.pathString())));
            else
                QVERIFY2(s->contentDigest(i).isEmpty(), e.path.data());  // links and directories have none
        }
    }

    void pinnedMtimeEditChangesFingerprintThroughTheState()
    {
        const QString ws = freshDir();
        makeTree(ws);
        ContentState state;
        const Result<TreeSnapshot> first = scanMounts(ws, {QStringLiteral("m")}, false, nullptr, &state);
        QVERIFY(first.ok());
        QCOMPARE(state.size(), 3);  // m/a, m/b/c, m/e: the hard link has no content of its own

        const QString file = ws + QStringLiteral("/m/b/c");
        QByteArray edited(1024 * 1024 + 1, 'c');
        edited[1024 * 1024] = 'X';  // in the second block
        QVERIFY(writeFile(file, edited));
        QVERIFY(pinMtime(file, 499162500));
        const Result<TreeSnapshot> second = scanMounts(ws, {QStringLiteral("m")}, false, nullptr, &state);
        QVERIFY(second.ok());
        QCOMPARE(second->filesHashed, 1);  // the ctime moved: only that file is read
        QCOMPARE(second->filesFromState, 2);
        QVERIFY(second->fingerprint() != first->fingerprint());
        QCOMPARE(second->fingerprint(), scanMounts(ws, {QStringLiteral("m")}, false)->fingerprint());
    }

    // On a file system that keeps whole seconds, a file stat'ed at 12.7 s and rewritten (same
    // size) at 12.9 s shows the same stamp both times (ctime 12 s): it may be recorded only once
    // its second and the next (FAT: 2 s) are over. A nanosecond ctime needs one tick only.
    void wholeSecondCtimesSettleTwoSecondsLater()
    {
        constexpr qint64 s = 1'000'000'000;
        const FileStamp nanos{.ctimeNs = 12 * s + 345};
        QVERIFY(!ContentState::settled(nanos, nanos.ctimeNs));
        QVERIFY(ContentState::settled(nanos, nanos.ctimeNs + 1));
        const FileStamp whole{.ctimeNs = 12 * s};
        QVERIFY(!ContentState::settled(whole, 12 * s + 700'000'000));  // the rewrite at 12.9 s would keep it
        QVERIFY(!ContentState::settled(whole, 14 * s - 1));
        QVERIFY(ContentState::settled(whole, 14 * s));
    }

    void recordedTreeIsNotRead()
    {
        const QString ws = freshDir();
        makeTree(ws);
        ContentState state;
        const Result<TreeSnapshot> first = scanMounts(ws, {QStringLiteral("m")}, false, nullptr, &state);
        QVERIFY(first.ok());
        QCOMPARE(first->filesHashed, 3);
        QVERIFY(first->stateChanged);
        QVERIFY(state.save(ws));

        ContentState loaded = ContentState::load(ws);
        QVERIFY(loaded == state);
        const Result<TreeSnapshot> again = scanMounts(ws, {QStringLiteral("m")}, false, nullptr, &loaded);
        QVERIFY(again.ok());
        QCOMPARE(again->filesHashed, 0);
        QCOMPARE(again->bytesHashed, 0);
        QCOMPARE(again->filesFromState, 3);
        QVERIFY(!again->stateChanged);
        QCOMPARE(again->fingerprint(), first->fingerprint());
        QVERIFY(loaded == state);

        // A file deleted since: every other one is known, and the state still loses its record.
        QVERIFY(QFile::remove(ws + QStringLiteral("/m/e")));
        const Result<TreeSnapshot> fewer = scanMounts(ws, {QStringLiteral("m")}, false, nullptr, &loaded);
        QCOMPARE(fewer->filesHashed, 0);
        QCOMPARE(fewer->filesFromState, 2);
        QVERIFY(fewer->stateChanged);
        QCOMPARE(loaded.size(), 2);

        // The state file itself is never part of the tree, even with the whole workspace mounted.
        const Result<TreeSnapshot> all = scanMounts(ws, {QStringLiteral(".")}, false);
        QVERIFY(all.ok());
        for (qsizetype i = 0; i < all->size(); ++i)
            QVERIFY(!all->at(i).path.startsWith(".s3cache-"));
    }

    void plantedDigestProvesTheRecordIsTrusted_otherStampsAreNot()
    {
        const QString ws = freshDir();
        QVERIFY(writeFile(ws + QStringLiteral("/m/f"), "BBBB"));
        settle(ws + QStringLiteral("/m/f"));
        const QByteArray honest = scanMounts(ws, {QStringLiteral("m")}, false)->fingerprint();
        const FileStamp stamp = FileStamp::of(lstatOf(ws + QStringLiteral("/m/f")));

        // The exact stamp: the planted digest is used as it is, the file is not read.
        ContentState exact;
        exact.insert("m/f", stamp, planted('x'));
        exact.finish();
        const Result<TreeSnapshot> trusted = scanMounts(ws, {QStringLiteral("m")}, false, nullptr, &exact);
        QCOMPARE(trusted->filesHashed, 0);
        QVERIFY(trusted->fingerprint() != honest);

        // Any other inode, device, size, mtime or ctime: read again, and the record replaced.
        const auto variants = {
            FileStamp{stamp.device, stamp.inode + 1, stamp.size, stamp.mtimeNs, stamp.ctimeNs},
            FileStamp{stamp.device + 1, stamp.inode, stamp.size, stamp.mtimeNs, stamp.ctimeNs},
            FileStamp{stamp.device, stamp.inode, stamp.size + 1, stamp.mtimeNs, stamp.ctimeNs},
            FileStamp{stamp.device, stamp.inode, stamp.size, stamp.mtimeNs + 1, stamp.ctimeNs},
            FileStamp{stamp.device, stamp.inode, stamp.size, stamp.mtimeNs, stamp.ctimeNs - 1},
        };
        for (const FileStamp &other : variants) {
            ContentState foreign;
            foreign.insert("m/f", other, planted('x'));
            foreign.finish();
            const Result<TreeSnapshot> s = scanMounts(ws, {QStringLiteral("m")}, false, nullptr, &foreign);
            QCOMPARE(s->filesHashed, 1);
            QCOMPARE(s->fingerprint(), honest);
            QVERIFY(s->stateChanged);
            QCOMPARE(foreign.find("m/f", stamp), std::optional<Digest>(ContentDigest::digest("BBBB")));
        }

        // A record of another path (here: the same file under another name) is not used either.
        ContentState elsewhere;
        elsewhere.insert("m/g", stamp, planted('x'));
        elsewhere.finish();
        QCOMPARE(scanMounts(ws, {QStringLiteral("m")}, false, nullptr, &elsewhere)->fingerprint(), honest);
    }

    void replacedFileIsReadAgain()
    {
        // Same content length, same pinned mtime, a new inode (what an editor's save-as-rename does).
        const QString ws = freshDir();
        const QString file = ws + QStringLiteral("/m/f");
        QVERIFY(writeFile(file, "AAAA"));
        QVERIFY(pinMtime(file, 1000000000));
        settle(file);
        ContentState state;
        const QByteArray before = scanMounts(ws, {QStringLiteral("m")}, false, nullptr, &state)->fingerprint();
        QVERIFY(writeFile(ws + QStringLiteral("/m/f.new"), "BBBB"));
        QVERIFY(pinMtime(ws + QStringLiteral("/m/f.new"), 1000000000));
        QCOMPARE(rename(fs(ws + QStringLiteral("/m/f.new")).constData(), fs(file).constData()), 0);
        const Result<TreeSnapshot> after = scanMounts(ws, {QStringLiteral("m")}, false, nullptr, &state);
        QCOMPARE(after->filesHashed, 1);
        QVERIFY(after->fingerprint() != before);
    }

    void fileMountIsKeyedByWhereItIsRead()
    {
        const QString ws = freshDir();
        QVERIFY(writeFile(ws + QStringLiteral("/a/b/f"), "ffff"));
        settle(ws + QStringLiteral("/a/b/f"));
        ContentState state;
        const Result<TreeSnapshot> s = scanMounts(ws, {QStringLiteral("a/b/f")}, false, nullptr, &state);
        QVERIFY(s.ok());
        QCOMPARE(s->at(0).path, "f");  // stored by its base name
        const FileStamp stamp = FileStamp::of(lstatOf(ws + QStringLiteral("/a/b/f")));
        QVERIFY(state.find("a/b/f", stamp).has_value());
        QVERIFY(!state.find("f", stamp).has_value());
        QCOMPARE(scanMounts(ws, {QStringLiteral("a/b/f")}, false, nullptr, &state)->filesHashed, 0);
    }

    void recordsOfOtherMountsAreKeptWhileTheyExist()
    {
        const QString ws = freshDir();
        QVERIFY(writeFile(ws + QStringLiteral("/x/1"), "1"));
        QVERIFY(writeFile(ws + QStringLiteral("/y/2"), "2"));
        QVERIFY(writeFile(ws + QStringLiteral("/y/3"), "3"));
        settle(ws + QStringLiteral("/y/3"));
        ContentState state;
        QVERIFY(scanMounts(ws, {QStringLiteral("x"), QStringLiteral("y")}, false, nullptr, &state).ok());
        QCOMPARE(state.size(), 3);
        QCOMPARE(unlink(fs(ws + QStringLiteral("/y/3")).constData()), 0);
        QVERIFY(scanMounts(ws, {QStringLiteral("x")}, false, nullptr, &state).ok());
        QCOMPARE(state.size(), 2);  // x/1 and y/2, not the deleted y/3
        QCOMPARE(scanMounts(ws, {QStringLiteral("y")}, false, nullptr, &state)->filesHashed, 0);
    }

    void corruptStateIsIgnored_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::newRow("flipped byte") << QStringLiteral("flip");
        QTest::newRow("truncated") << QStringLiteral("truncate");
        QTest::newRow("empty") << QStringLiteral("empty");
        QTest::newRow("garbage") << QStringLiteral("garbage");
        QTest::newRow("other version") << QStringLiteral("version");
        QTest::newRow("a directory") << QStringLiteral("directory");
    }

    void corruptStateIsIgnored()
    {
        QFETCH(QString, damage);
        const QString ws = freshDir();
        makeTree(ws);
        ContentState state;
        const QByteArray honest = scanMounts(ws, {QStringLiteral("m")}, false, nullptr, &state)->fingerprint();
        // Planted digests: if a damaged file were believed, the fingerprint would show it.
        ContentState planting;
        for (const char *p : {"m/a", "m/b/c", "m/e"})
            planting.insert(p, FileStamp::of(lstatOf(ws + u'/' + QLatin1String(p))), planted('p'));
        planting.finish();
        QVERIFY(planting.save(ws));
        QVERIFY(ContentState::load(ws) == planting);

        const QString path = ws + u'/' + ContentState::fileName();
        QByteArray bytes = readFile(path);
        if (damage == u"flip")
            bytes[bytes.size() / 2] = char(bytes.at(bytes.size() / 2) ^ 0x20);
        else if (damage == u"truncate")
            bytes.chop(5);
        else if (damage == u"empty")
            bytes.clear();
        else if (damage == u"garbage")
            bytes = QByteArray(4096, '\xa5');
        else if (damage == u"version")
            bytes[14] = 2;  // the version right after "s3cache-state\n" (the checksum would also catch it)
        if (damage == u"directory") {
            QVERIFY(QFile::remove(path));
            QVERIFY(QDir().mkdir(path));
        } else {
            QVERIFY(writeFile(path, bytes));
        }
        ContentState loaded = ContentState::load(ws);
        QVERIFY(loaded.isEmpty());
        const Result<TreeSnapshot> s = scanMounts(ws, {QStringLiteral("m")}, false, nullptr, &loaded);
        QVERIFY(s.ok());
        QCOMPARE(s->filesHashed, 3);
        QCOMPARE(s->fingerprint(), honest);
        // Saving over a directory fails quietly (a read-only workspace behaves the same way).
        QCOMPARE(loaded.save(ws), damage != u"directory");
    }

    void formatIsCompact()
    {
        // 300,000 files with node_modules-like paths must stay a few tens of MB.
        ContentState state;
        for (int i = 0; i < 300000; ++i) {
            const QByteArray path = "node_modules/@scope/package-" + QByteArray::number(i / 40) + "/lib/internal/module-"
                + QByteArray::number(i % 40) + ".js";
            state.insert(path, {2049, quint64(1000000 + i), 1000 + i % 5000, 499162500LL * 1000000000, 1764590000123456789LL + i},
                         planted(char(i)));
        }
        state.finish();
        const QByteArray encoded = state.encode();
        QVERIFY2(encoded.size() < 24 * 1024 * 1024, qPrintable(QString::number(encoded.size())));
        QString why;
        const std::optional<ContentState> decoded = ContentState::decode(encoded, &why);
        QVERIFY2(decoded.has_value(), qPrintable(why));
        QVERIFY(*decoded == state);
        qInfo("300,000 records: %lld bytes (%.1f a file)", qint64(encoded.size()), double(encoded.size()) / 300000);
    }

    void extractorLogKeepsTheLastWordForEachPath()
    {
        // The restore's log (safeextractor.h): inserts without a stamp, removes, in archive order.
        const FileStamp stampA{1, 10, 4, 5, 6}, stampC{1, 12, 4, 5, 6}, old{1, 99, 4, 5, 6};
        ContentState log;
        log.insert("m/a", FileStamp{}, planted('1'));
        log.insert("m/b", FileStamp{}, planted('b'));
        log.insert("m/a", FileStamp{}, planted('2'));  // a later entry of the same name
        log.remove("m/b");                              // then replaced by a link
        log.insert("m/c", FileStamp{}, planted('c'));
        log.insert("m/d", FileStamp{}, planted('d'));
        log.remove("m/e");                              // never a file: nothing to forget
        log.finish();
        QCOMPARE(log.size(), 3);
        QCOMPARE(log.find("m/a", FileStamp{}), std::optional<Digest>(planted('2')));
        QCOMPARE(log.find("m/b", FileStamp{}), std::nullopt);

        QStringList asked;
        log.stampPending([&](QByteArrayView path) -> std::optional<FileStamp> {
            asked << QString::fromLatin1(path);
            if (path == "m/a")
                return stampA;
            if (path == "m/c")
                return FileStamp{};  // unsettled: asked again next time
            return std::nullopt;     // m/d: gone
        });
        QCOMPARE(asked, QStringList({QStringLiteral("m/a"), QStringLiteral("m/c"), QStringLiteral("m/d")}));
        asked.clear();
        log.stampPending([&](QByteArrayView path) -> std::optional<FileStamp> {
            asked << QString::fromLatin1(path);
            return stampC;
        });
        QCOMPARE(asked, QStringList({QStringLiteral("m/c")}));

        // Older records are adopted only for paths the log does not name, even as removed.
        ContentState older;
        for (const char *path : {"m/a", "m/d", "m/z"})
            older.insert(path, old, planted('o'));
        older.finish();
        log.adoptFrom(older, [](QByteArrayView) { return true; });
        log.finish();
        QCOMPARE(log.size(), 3);
        QCOMPARE(log.find("m/a", stampA), std::optional<Digest>(planted('2')));
        QCOMPARE(log.find("m/c", stampC), std::optional<Digest>(planted('c')));
        QCOMPARE(log.find("m/d", old), std::nullopt);
        QCOMPARE(log.find("m/z", old), std::optional<Digest>(planted('o')));
        const std::optional<ContentState> decoded = ContentState::decode(log.encode(), nullptr);
        QVERIFY(decoded && *decoded == log);
    }

    void cancelledBeforeHashing()
    {
        const QString ws = freshDir();
        makeTree(ws);
        Cancellation cancel;
        cancel.cancel();
        const Result<TreeSnapshot> s = scanMounts(ws, {QStringLiteral("m")}, false, &cancel);
        QVERIFY(!s.ok());
        QCOMPARE(s.error().kind(), ErrorKind::Cancelled);
    }

    void cancelledWhileHashing()
    {
        // 4 GiB allocated without being written (fallocate: instant, and not sparse, so every
        // byte is read): a second or more to hash. The cancellation's deadline trips 50 ms in, and
        // must end the scan, which hashing checks between 1 MiB blocks; without that check it ends
        // with a snapshot.
        const QString ws = freshDir();
        const QString big = ws + QStringLiteral("/m/big");
        QVERIFY(writeFile(big, QByteArray()));
        {
            const int fd = open(fs(big).constData(), O_WRONLY | O_CLOEXEC);
            QVERIFY(fd >= 0);
            const int rc = fallocate(fd, 0, 0, off_t(4) << 30);
            close(fd);
            QVERIFY2(rc == 0, "fallocate of 4 GiB failed (needs 4 GiB free where the test's temporary folder is)");
        }
        Cancellation cancel;
        cancel.setDeadline(QDeadlineTimer(50));
        const Result<TreeSnapshot> s = scanMounts(ws, {QStringLiteral("m")}, false, &cancel);
        QVERIFY(QFile::remove(big));
        QVERIFY(!s.ok());
        QCOMPARE(s.error().kind(), ErrorKind::Cancelled);
    }

    void sparseFilesAreDigestedByTheirData()
    {
        // 1 TiB of holes with 4 KiB of data in the middle: the holes are never read (this would
        // take many minutes otherwise), and an edit of the data changes the fingerprint.
        const QString ws = freshDir();
        const QString file = ws + QStringLiteral("/m/sparse");
        QVERIFY(writeFile(file, QByteArray()));
        const auto put = [&](char c) {
            const int fd = open(fs(file).constData(), O_WRONLY | O_CLOEXEC);
            const QByteArray data(4096, c);
            const bool ok = fd >= 0 && pwrite(fd, data.constData(), data.size(), off_t(1) << 39) == data.size()
                && ftruncate(fd, off_t(1) << 40) == 0;
            close(fd);
            return ok && pinMtime(file, 1000000000);
        };
        QVERIFY(put('a'));
        const Result<TreeSnapshot> first = scanMounts(ws, {QStringLiteral("m")}, false);
        QVERIFY(first.ok());
        QCOMPARE(first->filesHashed, 1);
        QCOMPARE(first->at(1).size, qint64(1) << 40);
        QVERIFY(put('b'));
        const Result<TreeSnapshot> second = scanMounts(ws, {QStringLiteral("m")}, false);
        QVERIFY(second.ok());
        QVERIFY(second->fingerprint() != first->fingerprint());
        QVERIFY(put('a'));
        QCOMPARE(scanMounts(ws, {QStringLiteral("m")}, false)->fingerprint(), first->fingerprint());
    }
};

QTEST_GUILESS_MAIN(TestContentState)
#include "tst_contentstate.moc"
