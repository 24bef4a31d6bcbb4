// The dedup format on the embedded local store: the chunker's cuts survive edits elsewhere, the
// binary documents refuse what they cannot trust (hostile or damaged manifests, index segments,
// condemned lists), a rebuild after a small change uploads a small part, two rebuilds sharing
// chunks both end complete, a restore refuses a chunk that fails its hash / lies outside its
// pack / is cut / is missing and leaves the workspace as it was, a pack found damaged is not
// reused by the next rebuild, and the two-phase collection deletes only what no cache uses,
// after the grace period.
#include "archive/archivedigest.h"
#include "cache/chunker.h"
#include "cache/chunkindex.h"
#include "cache/dedupformat.h"
#include "cache/dedupgc.h"
#include "cache/dedupreader.h"
#include "cache/dedupwriter.h"
#include "cache/flushjob.h"
#include "cache/listjob.h"
#include "cache/localstore.h"
#include "cache/rebuildjob.h"
#include "cache/restorejob.h"
#include "cache/streammap.h"

#include "util/sha256.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <thread>

using namespace s3cache;

namespace {

QByteArray randomBytes(qsizetype size, quint32 seed)
{
    QRandomGenerator rng(seed);
    QByteArray out(size, Qt::Uninitialized);
    rng.fillRange(reinterpret_cast<quint32 *>(out.data()), size / 4);
    return out;
}

QList<QByteArray> chunksOf(const QByteArray &data, const Chunker &chunker)
{
    QList<QByteArray> chunks;
    for (qsizetype at = 0; at < data.size();) {
        const qsizetype n = chunker.cut(QByteArrayView(data).sliced(at, std::min(data.size() - at, chunker.limits().maxSize)));
        chunks << data.mid(at, n);
        at += n;
    }
    return chunks;
}

void writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(data);
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// path -> contents of every file under `root`
QMap<QString, QByteArray> treeOf(const QString &root)
{
    QMap<QString, QByteArray> tree;
    QDirIterator it(root, QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        tree.insert(QDir(root).relativeFilePath(path), readFile(path));
    }
    return tree;
}

const QString kKey = QStringLiteral("org/repo/cache.dedup");

} // namespace

class TestDedup : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<LocalStore> m_store;
    QString m_workspace;
    QString m_area = Dedup::chunkArea(QString());
    int m_noMapKeys = 0;
    int m_level = -1;  // compression_level of rebuild(): the adaptive default

    QString storePath(const QString &key) const { return m_dir.filePath(QStringLiteral("store/b/") + key); }

    RebuildResult rebuild(const QString &key = kKey, Error *errorOut = nullptr, const QString &workspace = QString())
    {
        RebuildOptions o;
        o.key = key;
        o.workspace = workspace.isEmpty() ? m_workspace : workspace;
        o.mounts = {QStringLiteral("deps")};
        o.archive.format = ArchiveFormat::Dedup;
        o.archive.compressionLevel = m_level;
        o.chunkArea = m_area;
        o.chunkGraceSeconds = 3600;
        RebuildJob job(*m_store, o);
        const Error error = job.exec();
        if (errorOut)
            *errorOut = error;
        else
            [&] { QVERIFY2(!error, qPrintable(error.toString())); }();
        return job.result();
    }

    Error restore(const QString &into, RestoreResult *result = nullptr)
    {
        QDir().mkpath(into);
        RestoreOptions o;
        o.key = kKey;
        o.workspace = into;
        o.recordUse = false;
        RestoreJob job(*m_store, o);
        const Error error = job.exec();
        if (result)
            *result = job.result();
        if (error)
            qInfo("restore: %s", qPrintable(error.toString()));
        return error;
    }

    QList<QString> areaFiles(const QString &folder) const
    {
        return QDir(m_dir.filePath(QStringLiteral("store/b/") + m_area + folder)).entryList(QDir::Files);
    }

    Manifest manifest()
    {
        const Result<ObjectInfo> info = m_store->head(kKey);
        if (!info.ok())
            return {};
        const Result<Manifest> m = readManifest(*m_store, *info);
        return m.ok() ? *m : Manifest();
    }

    void writeManifest(const Manifest &m)
    {
        writeFile(storePath(kKey), encodeManifest(m));
    }

    // A dependency bump in `workspace`: one package's files rewritten, a file added, one removed.
    void bump(const QString &workspace, quint32 seed)
    {
        for (int f = 0; f < 10; ++f)
            writeFile(QStringLiteral("%1/deps/pkg17/file%2.bin").arg(workspace).arg(f), randomBytes(31'000, seed + f));
        writeFile(QStringLiteral("%1/deps/pkg30/added%2.bin").arg(workspace).arg(seed), randomBytes(5'000, seed));
        QVERIFY(QFile::remove(QStringLiteral("%1/deps/pkg5/file3.bin").arg(workspace))
                || QFile::remove(QStringLiteral("%1/deps/pkg6/file3.bin").arg(workspace)));
    }

    static QList<QByteArray> hashes(const Manifest &m)
    {
        QList<QByteArray> out;
        for (const ChunkRef &c : m.table.chunks)
            out << c.hash;
        return out;
    }

    QList<QByteArray> chunksAt(const QString &key)
    {
        const Result<ObjectInfo> info = m_store->head(key);
        const Result<Manifest> m = info.ok() ? readManifest(*m_store, *info) : Result<Manifest>(info.error());
        return m.ok() ? hashes(*m) : QList<QByteArray>();
    }

    // The chunks a rebuild of `workspace` without any stream map makes, under another key.
    QList<QByteArray> chunksWithoutMap(const QString &workspace)
    {
        const QString mapFile = workspace + u'/' + StreamMap::fileName({QStringLiteral("deps")});
        const QByteArray map = readFile(mapFile);
        QFile::remove(mapFile);
        const QString other = QStringLiteral("org/repo/nomap%1.dedup").arg(++m_noMapKeys);
        const RebuildResult r = rebuild(other, nullptr, workspace);
        if (!map.isEmpty())
            writeFile(mapFile, map);
        [&] { QCOMPARE(r.dedup ? r.dedup->entriesLeftOut : -1, 0); }();
        return chunksAt(other);
    }

    static qsizetype identities(const StreamMap &map)
    {
        return std::count_if(map.entries.cbegin(), map.entries.cend(), [](const StreamMap::Entry &e) { return bool(e.identity); });
    }

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        QDir(m_dir.path()).removeRecursively();
        QDir().mkpath(m_dir.filePath(QStringLiteral("store/b")));
        m_store = std::make_unique<LocalStore>(m_dir.filePath(QStringLiteral("store")), QStringLiteral("b"));
        m_workspace = m_dir.filePath(QStringLiteral("ws"));
        m_level = -1;
        // 40 "packages" of 10 files, ~12 MiB: several chunks, one pack or two.
        for (int p = 0; p < 40; ++p) {
            for (int f = 0; f < 10; ++f)
                writeFile(QStringLiteral("%1/deps/pkg%2/file%3.bin").arg(m_workspace).arg(p).arg(f),
                          randomBytes(30'000 + 1'000 * f, quint32(p * 100 + f)));
        }
    }

    void chunkerCutsAreLocal()
    {
        const Chunker chunker({.minSize = 4096, .averageSize = 16384, .maxSize = 65536});
        const QByteArray data = randomBytes(4 * 1024 * 1024, 1);
        const QList<QByteArray> before = chunksOf(data, chunker);
        qsizetype total = 0;
        for (const QByteArray &c : before) {
            QVERIFY(c.size() <= 65536);
            total += c.size();
        }
        QCOMPARE(total, data.size());
        // Average near the target (normalized chunking), well away from min and max.
        const double average = double(total) / double(before.size());
        QVERIFY2(average > 10000 && average < 30000, qPrintable(QString::number(average)));

        // 100 bytes inserted in the middle: all but a few chunks are the same.
        QByteArray edited = data;
        edited.insert(data.size() / 2, randomBytes(100, 2));
        const QList<QByteArray> after = chunksOf(edited, chunker);
        const QSet<QByteArray> old(before.cbegin(), before.cend());
        qsizetype changed = 0;
        for (const QByteArray &c : after)
            changed += old.contains(c) ? 0 : 1;
        QVERIFY2(changed >= 1 && changed <= 3, qPrintable(QString::number(changed)));
    }

    void documentsRoundTripAndRefuseDamage()
    {
        Manifest m;
        m.area = m_area;
        m.table.packs = {QByteArray(32, 'a'), QByteArray(32, 'b')};
        m.table.chunks = {{QByteArray(32, '1'), {0, 0, 100, 400}}, {QByteArray(32, '2'), {1, 100, 50, 60}}};
        m.rawSize = 460;
        const QByteArray bytes = encodeManifest(m);
        const Result<Manifest> back = decodeManifest(bytes, QStringLiteral("m"));
        QVERIFY(back.ok());
        QCOMPARE(back->rawSize, 460);
        QCOMPARE(back->table.chunks.at(1).where.offset, 100);
        QCOMPARE(back->table.packs, m.table.packs);

        const auto refused = [](const Result<Manifest> &r, const char *what) {
            QVERIFY2(!r.ok(), what);
            QCOMPARE(r.error().code(), QStringLiteral("InvalidDedupObject"));
        };
        refused(decodeManifest(bytes.left(bytes.size() - 1), QStringLiteral("m")), "cut");
        refused(decodeManifest(bytes + 'x', QStringLiteral("m")), "trailing byte");
        refused(decodeManifest(QByteArray("PK\x03\x04") + bytes, QStringLiteral("m")), "no header");
        Manifest bad = m;
        bad.table.chunks[1].where.pack = 2;
        refused(decodeManifest(encodeManifest(bad), QStringLiteral("m")), "pack index outside the table");
        bad = m;
        bad.table.chunks[0].where.rawSize = 64 * 1024 * 1024;
        bad.rawSize = bad.table.chunks[0].where.rawSize + 60;
        refused(decodeManifest(encodeManifest(bad), QStringLiteral("m")), "raw size beyond the chunker's limit");
        bad = m;
        bad.table.chunks[0].where.offset = Dedup::maxPackSize;
        refused(decodeManifest(encodeManifest(bad), QStringLiteral("m")), "offset outside any pack");
        bad = m;
        bad.rawSize = 1;
        refused(decodeManifest(encodeManifest(bad), QStringLiteral("m")), "sizes that do not add up");
        bad = m;
        bad.area = QStringLiteral("../../etc/.chunks/");
        refused(decodeManifest(encodeManifest(bad), QStringLiteral("m")), "an area with ..");
        bad.area = QStringLiteral("elsewhere/");
        refused(decodeManifest(encodeManifest(bad), QStringLiteral("m")), "not an area");

        QVERIFY(decodeIndex(encodeIndex(m.table), QStringLiteral("i")).ok());
        QVERIFY(!decodeIndex(bytes, QStringLiteral("i")).ok());  // a manifest is no index
        CondemnedPacks c{{QByteArray(32, 'a'), QDateTime(QDate(2026, 1, 2), QTime(3, 4), Qt::UTC)}};
        QCOMPARE(*decodeCondemned(encodeCondemned(c), QStringLiteral("c")), c);
        QVERIFY(!decodeCondemned(encodeCondemned(c).chopped(3), QStringLiteral("c")).ok());
    }

    void chunkHashIsChecked()
    {
        const QByteArray raw = randomBytes(5000, 3);
        const ChunkRef ref{Sha256::raw(raw), {0, 0, 0, 5000}};
        QByteArray stored = compressChunk(raw, 3);
        ChunkRef sized = ref;
        sized.where.storedSize = qint32(stored.size());
        QCOMPARE(*openChunk(stored, sized, QStringLiteral("c")), raw);
        ChunkRef other = sized;
        other.hash = Sha256::raw("something else");
        QCOMPARE(openChunk(stored, other, QStringLiteral("c")).error().code(), QStringLiteral("CorruptChunk"));
        ChunkRef inflated = sized;
        inflated.where.rawSize = 4000;  // the frame says 5000: never decoded into a 4000 buffer
        QVERIFY(!openChunk(stored, inflated, QStringLiteral("c")).ok());
        stored[stored.size() / 2] = char(stored[stored.size() / 2] ^ 0x55);
        QVERIFY(!openChunk(stored, sized, QStringLiteral("c")).ok());
    }

    void rebuildRestoreAndIncrementalUpload()
    {
        const RebuildResult full = rebuild();
        QCOMPARE(full.outcome, RebuildResult::Outcome::Uploaded);
        QVERIFY(full.dedup);
        QCOMPARE(full.dedup->newChunks, full.dedup->chunks);
        QVERIFY(full.bytesUploaded > 11 * 1024 * 1024);  // random bytes: the packs hold them all
        QCOMPARE(areaFiles(QStringLiteral("index")).size(), 1);

        const QString into = m_dir.filePath(QStringLiteral("restored"));
        RestoreResult restored;
        QVERIFY(!restore(into, &restored));
        QCOMPARE(treeOf(into + QStringLiteral("/deps")), treeOf(m_workspace + QStringLiteral("/deps")));
        QCOMPARE(restored.stats.format, QStringLiteral("dedup"));
        QCOMPARE(restored.bytesDownloaded, QFileInfo(storePath(kKey)).size() + manifest().storedSize());

        // One package bumped: a small part goes up; the other chunks are the same ones.
        for (int f = 0; f < 10; ++f)
            writeFile(QStringLiteral("%1/deps/pkg17/file%2.bin").arg(m_workspace).arg(f), randomBytes(31'000, quint32(9000 + f)));
        const RebuildResult bump = rebuild();
        QCOMPARE(bump.outcome, RebuildResult::Outcome::Uploaded);
        // The chunks around the package and the last one (the archive digest follows the last
        // entry) are new: a few of the ~24.
        QVERIFY2(bump.dedup->newChunks <= 6, qPrintable(QString::number(bump.dedup->newChunks)));
        QVERIFY2(bump.bytesUploaded * 4 < full.bytesUploaded, qPrintable(QString::number(bump.bytesUploaded)));
        QVERIFY(bump.dedup->packsReused >= 1);
        QVERIFY(bump.dedup->newChunks < bump.dedup->chunks);
        QDir(into).removeRecursively();
        QVERIFY(!restore(into));
        QCOMPARE(treeOf(into + QStringLiteral("/deps")), treeOf(m_workspace + QStringLiteral("/deps")));

        // Listings show the cache, never the chunk area.
        ListJob list(*m_store, QString());
        QVERIFY(!list.exec());
        QCOMPARE(list.objects().size(), 1);
        QCOMPARE(list.objects().first().key, kKey);
    }

    // The stream map of the last rebuild: after a bump, the unchanged entries are left out of the
    // stream (never read) and their chunks taken from the map, and the manifest is exactly the
    // one a rebuild that reads everything makes. A pack that is gone makes those entries read.
    void unchangedEntriesAreNotRead()
    {
        const QStringList mounts{QStringLiteral("deps")};
        const QString mapFile = m_workspace + u'/' + StreamMap::fileName(mounts);
        const RebuildResult full = rebuild();
        QCOMPARE(full.dedup->entriesLeftOut, 0);
        QVERIFY(QFileInfo::exists(mapFile));
        const StreamMap saved = StreamMap::load(m_workspace, mounts, m_area);
        QCOMPARE(saved.entries.size(), 400 + 41);  // the files and their folders
        QCOMPARE(saved.chunks.size(), manifest().table.chunks.size());

        bump(m_workspace, 7000);
        const RebuildResult after = rebuild();
        QCOMPARE(after.outcome, RebuildResult::Outcome::Uploaded);
        QVERIFY2(after.dedup->entriesLeftOut > 250, qPrintable(QString::number(after.dedup->entriesLeftOut)));
        QVERIFY(after.dedup->chunksFromMap > 0);
        QVERIFY2(after.dedup->bytesFromMap * 2 > full.totalFileBytes, qPrintable(QString::number(after.dedup->bytesFromMap)));
        // Around each of the three changes (a change may re-cut the chunk after it too), and the last.
        QVERIFY(after.dedup->newChunks <= 10);
        QCOMPARE(hashes(manifest()), chunksWithoutMap(m_workspace));
        const QString into = m_dir.filePath(QStringLiteral("restored"));
        QVERIFY(!restore(into));
        QCOMPARE(treeOf(into + QStringLiteral("/deps")), treeOf(m_workspace + QStringLiteral("/deps")));

        // A pack of the map's chunks is gone: its chunks are read and stored again.
        const QStringList packs = areaFiles(QStringLiteral("packs"));
        QVERIFY(packs.size() >= 2);
        QVERIFY(QFile::remove(m_dir.filePath(QStringLiteral("store/b/") + m_area + QStringLiteral("packs/") + packs.first())));
        bump(m_workspace, 8000);
        const RebuildResult again = rebuild();
        QVERIFY(again.dedup->entriesLeftOut > 0);
        QVERIFY(!manifest().table.packs.contains(QByteArray::fromHex(packs.first().toLatin1())));
        QCOMPARE(hashes(manifest()), chunksWithoutMap(m_workspace));
        QDir(into).removeRecursively();
        QVERIFY(!restore(into));
        QCOMPARE(treeOf(into + QStringLiteral("/deps")), treeOf(m_workspace + QStringLiteral("/deps")));
    }

    // CI: a restore into a fresh workspace leaves the map, so the rebuild after the build's bump
    // reads little. A stream that is not byte for byte what s3cache writes (a pax global header
    // slipped in, padding that is not zeros) gets no identities where it differs: its bytes are
    // never carried into a rebuild, whose chunks are those of a rebuild that read everything.
    void restoreLeavesAMapAndForeignBytesAreNotCarriedOver()
    {
        const RebuildResult full = rebuild();
        const QString ci = m_dir.filePath(QStringLiteral("ci"));
        QVERIFY(!restore(ci));
        const StreamMap restored = StreamMap::load(ci, {QStringLiteral("deps")}, m_area);
        QCOMPARE(restored.entries.size(), 441);
        QCOMPARE(identities(restored), 441);
        // The same map as the rebuild's: what the restore read is exactly what the rebuild wrote.
        QCOMPARE(restored, StreamMap::load(m_workspace, {QStringLiteral("deps")}, m_area));
        QCOMPARE(restored.chunks.size(), manifest().table.chunks.size());
        bump(ci, 7000);
        const RebuildResult after = rebuild(kKey, nullptr, ci);
        QVERIFY2(after.dedup->entriesLeftOut > 250, qPrintable(QString::number(after.dedup->entriesLeftOut)));
        QVERIFY(after.dedup->bytesFromMap * 2 > full.totalFileBytes);
        QCOMPARE(hashes(manifest()), chunksWithoutMap(ci));

        // The stream of that cache, tampered with, stored again under the key with its metadata.
        const Result<ObjectInfo> info = m_store->head(kKey);
        QVERIFY(info.ok());
        Result<CacheArchive> source = openArchive(*m_store, *info);
        QVERIFY(source.ok());
        QByteArray stream = source->stream->readAll();
        const StreamMap layout = StreamMap::load(ci, {QStringLiteral("deps")}, m_area);
        QCOMPARE(layout.entries.last().offset + layout.entries.last().length + 1024, stream.size());
        qsizetype file = 200;  // a file: its last byte is padding
        while (layout.entries.at(file).length < 4096)
            ++file;
        const StreamMap::Entry padded = layout.entries.at(file);
        stream[padded.offset + padded.length - 1] = 'x';
        const StreamMap::Entry global = layout.entries.at(100);
        stream.insert(global.offset, ArchiveDigest::tarTrailer({1, 2, QByteArray(32, '0')}));
        {
            const Result<KnownChunks> known = readChunkIndex(*m_store, m_area, nullptr);
            QVERIFY(known.ok());
            DedupWriter sink(*m_store, m_area, *known, -1);
            QCOMPARE(sink.write(stream), stream.size());
            QVERIFY(!sink.finish());
            if (!sink.newChunks().chunks.isEmpty())
                QVERIFY(writeIndexSegment(*m_store, m_area, sink.newChunks()).ok());
            QVERIFY(!writeWholeObject(*m_store, kKey, encodeManifest(sink.manifest()), info->metadata));
        }
        const QString other = m_dir.filePath(QStringLiteral("other"));
        QVERIFY(!restore(other));
        QCOMPARE(treeOf(other + QStringLiteral("/deps")), treeOf(ci + QStringLiteral("/deps")));
        const StreamMap foreign = StreamMap::load(other, {QStringLiteral("deps")}, m_area);
        QCOMPARE(foreign.entries.size(), 441);
        // The global header is read as part of the next entry's header: its identity is now one
        // that no header s3cache writes has. The padding makes the other entry not plain.
        QVERIFY(foreign.entries.at(100).identity && foreign.entries.at(100).identity != layout.entries.at(100).identity);
        QCOMPARE(foreign.entries.at(101).identity, layout.entries.at(101).identity);
        QVERIFY(!foreign.entries.at(file).identity);
        QCOMPARE(identities(foreign), 440);
        const RebuildResult again = rebuild(QStringLiteral("org/repo/again.dedup"), nullptr, other);
        QVERIFY(again.dedup->entriesLeftOut > 250);
        QCOMPARE(chunksAt(QStringLiteral("org/repo/again.dedup")), chunksWithoutMap(other));
    }

    // A map is only a hint: damaged, cut or for another area, it is not used.
    void streamMapRoundTripsAndRefusesDamage()
    {
        StreamMap map;
        map.area = m_area;
        map.entries = {{TarEntryIdentity{'a'}, 0, 1536}, {std::nullopt, 1536, 512}};
        map.chunks = {{QByteArray(32, 'x'), 0, 2048}, {QByteArray(32, 'y'), 2048, 1024}};
        const QByteArray bytes = map.encode();
        QString why;
        QCOMPARE(StreamMap::decode(bytes, &why), map);
        QByteArray flipped = bytes;
        flipped[30] = char(flipped[30] ^ 1);
        QVERIFY(!StreamMap::decode(flipped, &why));
        QVERIFY(why.contains(QStringLiteral("checksum")));
        QVERIFY(!StreamMap::decode(bytes.chopped(1), &why));
        StreamMap short_ = map;
        short_.chunks.removeLast();
        short_.chunks.first().size = 1024;  // the chunks end before the entries
        QVERIFY(!StreamMap::decode(short_.encode(), &why));
        QVERIFY(why.contains(QStringLiteral("before its entries")));

        const QStringList mounts{QStringLiteral("deps")};
        QDir().mkpath(m_workspace);
        QVERIFY(map.save(m_workspace, mounts));
        QCOMPARE(StreamMap::load(m_workspace, mounts, m_area), map);
        QVERIFY(StreamMap::load(m_workspace, mounts, QStringLiteral("elsewhere/.chunks/")).isEmpty());
        QVERIFY(StreamMap::load(m_workspace, {QStringLiteral("other")}, m_area).isEmpty());
    }

    void concurrentRebuildsSharingChunksBothComplete()
    {
        // Two keys, same tree, at the same time: neither sees the other's chunks; both must restore.
        Error a, b;
        RebuildOptions o;
        o.workspace = m_workspace;
        o.mounts = {QStringLiteral("deps")};
        o.archive.format = ArchiveFormat::Dedup;
        o.chunkArea = m_area;
        o.chunkGraceSeconds = 3600;
        std::thread first([&] {
            RebuildOptions mine = o;
            mine.key = QStringLiteral("org/repo/a.dedup");
            RebuildJob job(*m_store, mine);
            a = job.exec();
        });
        std::thread second([&] {
            RebuildOptions mine = o;
            mine.key = QStringLiteral("org/repo/b.dedup");
            RebuildJob job(*m_store, mine);
            b = job.exec();
        });
        first.join();
        second.join();
        QVERIFY2(!a && !b, qPrintable(a.toString() + b.toString()));
        for (const QString &key : {QStringLiteral("org/repo/a.dedup"), QStringLiteral("org/repo/b.dedup")}) {
            RestoreOptions r;
            r.key = key;
            r.workspace = m_dir.filePath(key.section(u'/', -1));
            QDir().mkpath(r.workspace);
            r.recordUse = false;
            RestoreJob job(*m_store, r);
            QVERIFY(!job.exec());
            QCOMPARE(treeOf(r.workspace + QStringLiteral("/deps")), treeOf(m_workspace + QStringLiteral("/deps")));
        }
        // A third rebuild of the same tree under another key uploads no chunk.
        const RebuildResult third = rebuild(QStringLiteral("org/repo/c.dedup"));
        QCOMPARE(third.dedup->newChunks, 0);
        QCOMPARE(third.dedup->packsUploaded, 0);
    }

    void hostileManifestsFailCleanly_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<QString>("code");
        QTest::newRow("chunk fails its hash") << "hash" << "CorruptChunk";
        QTest::newRow("range outside the pack") << "outside" << "InvalidRange";
        QTest::newRow("truncated pack") << "truncate" << "InvalidRange";
        QTest::newRow("missing pack") << "missing" << "NoSuchKey";
        QTest::newRow("chunk of another size") << "size" << "CorruptChunk";
    }
    void hostileManifestsFailCleanly()
    {
        QFETCH(QString, damage);
        QFETCH(QString, code);
        rebuild();
        Manifest m = manifest();
        QVERIFY(m.table.chunks.size() >= 3);
        const QString pack = storePath(Dedup::packKey(m_area, m.table.packs.first()));
        if (damage == u"hash")
            m.table.chunks[m.table.chunks.size() / 2].hash = Sha256::raw("another repository's bytes");
        else if (damage == u"outside")
            m.table.chunks.last().where.offset = QFileInfo(pack).size() + 10;
        else if (damage == u"truncate")
            QVERIFY(QFile::resize(pack, QFileInfo(pack).size() / 2));
        else if (damage == u"missing")
            QVERIFY(QFile::remove(pack));
        else if (damage == u"size")
            m.table.chunks[1].where.storedSize -= 1;
        writeManifest(m);

        // The workspace holds a file the cache also has: it must be there, unchanged, after.
        const QString into = m_dir.filePath(QStringLiteral("target"));
        writeFile(into + QStringLiteral("/deps/pkg0/file0.bin"), "mine");
        writeFile(into + QStringLiteral("/other.txt"), "untouched");
        const QMap<QString, QByteArray> before = treeOf(into);
        const Error error = restore(into);
        QVERIFY(error);
        QVERIFY2(error.code() == code, qPrintable(error.toString()));
        QCOMPARE(treeOf(into), before);
    }

    // The restore that finds a bad chunk marks its pack damaged: the next rebuild, even of the same
    // unchanged workspace and key, stores those chunks again, and the cache restores. At a fixed
    // level they make the same pack again, byte for byte: the rebuild writes it over the damaged
    // one (a pack is named by its hash) and deletes the marker.
    void damagedPackIsMarkedAndItsChunksStoredAgain_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<QString>("code");
        QTest::newRow("byte flipped in a chunk") << "flip" << "CorruptChunk";
        QTest::newRow("pack cut short") << "cut" << "InvalidRange";
    }
    void damagedPackIsMarkedAndItsChunksStoredAgain()
    {
        QFETCH(QString, damage);
        QFETCH(QString, code);
        m_level = 3;
        rebuild();
        const Manifest before = manifest();
        const ChunkRef &victim = before.table.chunks.at(before.table.chunks.size() / 2);
        const QByteArray pack = before.table.packs.at(victim.where.pack);
        const QString packFile = storePath(Dedup::packKey(m_area, pack));
        if (damage == u"flip") {
            QByteArray bytes = readFile(packFile);
            const qint64 at = victim.where.offset + victim.where.storedSize / 2;
            bytes[at] = char(bytes.at(at) ^ 0x20);
            writeFile(packFile, bytes);
        } else {
            QVERIFY(QFile::resize(packFile, victim.where.offset + victim.where.storedSize / 2));
        }

        const QString failed = m_dir.filePath(QStringLiteral("failed"));
        const Error error = restore(failed);
        QCOMPARE(error.code(), code);
        QVERIFY2(error.hint().contains(u"marked damaged"), qPrintable(error.toString()));
        QVERIFY(QFile::exists(storePath(Dedup::damagedKey(m_area, pack))));
        QVERIFY(treeOf(failed).isEmpty());
        const KnownChunks known = *readChunkIndex(*m_store, m_area, nullptr);
        QVERIFY(known.damaged.contains(pack));
        for (const auto &where : std::as_const(known.chunks))
            QVERIFY(where.first != pack);

        // The workspace and the key are the same: without the marker this rebuild says "unchanged".
        const RebuildResult again = rebuild();
        QCOMPARE(int(again.outcome), int(RebuildResult::Outcome::Uploaded));
        QCOMPARE(again.dedup->packsUploaded, 1);
        QCOMPARE(Sha256::raw(readFile(packFile)), pack);
        QVERIFY(areaFiles(QStringLiteral("damaged")).isEmpty());
        const QString restored = m_dir.filePath(QStringLiteral("restored"));
        QVERIFY(!restore(restored));
        QCOMPARE(treeOf(restored + QStringLiteral("/deps")), treeOf(m_workspace + QStringLiteral("/deps")));
        QCOMPARE(int(rebuild().outcome), int(RebuildResult::Outcome::Unchanged));
    }

    // A damaged pack is collected like any unused pack, its marker with it (never before it); a
    // marker whose pack is gone is deleted by the next flush.
    void damagedMarkersLeaveWithTheirPacks()
    {
        rebuild();
        const QByteArray pack = manifest().table.packs.first();
        const QByteArray gone = Sha256::raw("a pack deleted by hand");
        QVERIFY(!markDamaged(*m_store, m_area, pack, QStringLiteral("test")));
        QVERIFY(!markDamaged(*m_store, m_area, gone, QStringLiteral("test")));
        QVERIFY(!m_store->remove({kKey}).error);
        const QDateTime now = QDateTime::currentDateTimeUtc();
        const auto collect = [&](qint64 hoursLater) {
            ChunkGcResult r;
            const Error e = collectChunks(*m_store, {.area = m_area, .manifests = QString(), .graceSeconds = 3600,
                                                     .dryRun = false, .now = now.addSecs(hoursLater * 3600)}, r, nullptr, nullptr);
            [&] { QVERIFY2(!e, qPrintable(e.toString())); }();
            return r;
        };
        QCOMPARE(collect(2).damaged, 1);
        QCOMPARE(areaFiles(QStringLiteral("damaged")), QList<QString>{QString::fromLatin1(pack.toHex())});
        QCOMPARE(collect(4).damaged, 0);
        QVERIFY(!QFile::exists(storePath(Dedup::packKey(m_area, pack))));
        QVERIFY(areaFiles(QStringLiteral("damaged")).isEmpty());
    }

    // Someone with write access to the prefix writes an index segment first that places every
    // chunk of this tree in a pack of garbage (the hashes are public: anyone who can read a
    // manifest has them). The first rebuild trusts it and uploads nothing; its restore fails
    // cleanly and marks the pack; the next rebuild uploads the chunks and the cache works.
    void hostileIndexCostsOneFailedRestore()
    {
        rebuild();
        const Manifest real = manifest();
        QVERIFY(QDir(m_dir.filePath(QStringLiteral("store/b"))).removeRecursively());
        QDir().mkpath(m_dir.filePath(QStringLiteral("store/b")));
        qint64 end = 0;
        for (const ChunkRef &c : real.table.chunks)
            end = std::max(end, c.where.offset + c.where.storedSize);
        const QByteArray garbage = randomBytes(end, 4242);
        const QByteArray garbagePack = Sha256::raw(garbage);
        writeFile(storePath(Dedup::packKey(m_area, garbagePack)), garbage);
        ChunkTable hostile;
        hostile.packs << garbagePack;
        for (ChunkRef c : real.table.chunks) {
            c.where.pack = 0;
            hostile.chunks << c;
        }
        QVERIFY(writeIndexSegment(*m_store, m_area, hostile).ok());

        const RebuildResult trusting = rebuild();
        QCOMPARE(trusting.dedup->newChunks, 0);  // the attack works this far
        QCOMPARE(restore(m_dir.filePath(QStringLiteral("first"))).code(), QStringLiteral("CorruptChunk"));
        QVERIFY(treeOf(m_dir.filePath(QStringLiteral("first"))).isEmpty());
        const RebuildResult healed = rebuild();
        QCOMPARE(healed.dedup->newChunks, qint64(real.table.chunks.size()));
        const QString restored = m_dir.filePath(QStringLiteral("second"));
        QVERIFY(!restore(restored));
        QCOMPARE(treeOf(restored + QStringLiteral("/deps")), treeOf(m_workspace + QStringLiteral("/deps")));
    }

    void collectionIsTwoPhaseWithGrace()
    {
        rebuild(QStringLiteral("org/repo/keep.dedup"));
        for (int p = 0; p < 40; ++p)  // a different tree: its own packs
            writeFile(QStringLiteral("%1/deps/pkg%2/file0.bin").arg(m_workspace).arg(p), randomBytes(200'000, quint32(p + 7777)));
        rebuild(QStringLiteral("org/repo/gone.dedup"));
        const QStringList allPacks = areaFiles(QStringLiteral("packs"));
        QVERIFY(allPacks.size() >= 2);

        // The "gone" cache is deleted (a flush by age, an operator).
        QVERIFY(!m_store->remove({QStringLiteral("org/repo/gone.dedup")}).error);
        const QDateTime now = QDateTime::currentDateTimeUtc();
        const auto collect = [&](const QDateTime &at, bool dryRun = false) {
            ChunkGcResult r;
            const Error e = collectChunks(*m_store, {.area = m_area, .manifests = QString(), .graceSeconds = 3600,
                                                     .dryRun = dryRun, .now = at}, r, nullptr, nullptr);
            [&] { QVERIFY2(!e, qPrintable(e.toString())); }();
            return r;
        };
        // Right away: the unused packs are young, nothing happens.
        ChunkGcResult r = collect(now);
        QVERIFY(r.ran);
        QCOMPARE(r.manifests, 1);
        QCOMPARE(r.newlyCondemned, 0);
        QCOMPARE(r.swept, 0);
        // Two hours later: condemned, not deleted.
        r = collect(now.addSecs(2 * 3600));
        QVERIFY(r.newlyCondemned >= 1);
        QCOMPARE(r.swept, 0);
        QCOMPARE(areaFiles(QStringLiteral("packs")), allPacks);
        const int condemned = r.condemned;
        // A rebuild now does not reuse a condemned pack's chunks.
        KnownChunks known = *readChunkIndex(*m_store, m_area, nullptr);
        QCOMPARE(known.condemned.size(), condemned);
        for (const auto &where : std::as_const(known.chunks))
            QVERIFY(!known.condemned.contains(where.first));
        // Within the grace: still there. A dry run past it says what would go and deletes nothing.
        QCOMPARE(collect(now.addSecs(2 * 3600 + 1800)).swept, 0);
        QCOMPARE(collect(now.addSecs(4 * 3600), true).swept, condemned);
        QCOMPARE(areaFiles(QStringLiteral("packs")), allPacks);
        // Past it: deleted, and the index no longer names them; the kept cache still restores.
        r = collect(now.addSecs(4 * 3600));
        QCOMPARE(r.swept, condemned);
        QCOMPARE(areaFiles(QStringLiteral("packs")).size(), allPacks.size() - condemned);
        QCOMPARE(areaFiles(QStringLiteral("index")).size(), 1);
        known = *readChunkIndex(*m_store, m_area, nullptr);
        QVERIFY(known.condemned.isEmpty());
        for (const auto &where : std::as_const(known.chunks))
            QVERIFY(QFile::exists(storePath(Dedup::packKey(m_area, where.first))));
        RestoreOptions o;
        o.key = QStringLiteral("org/repo/keep.dedup");
        o.workspace = m_dir.filePath(QStringLiteral("kept"));
        QDir().mkpath(o.workspace);
        o.recordUse = false;
        RestoreJob job(*m_store, o);
        QVERIFY(!job.exec());
    }

    void condemnedPackUsedAgainIsSpared()
    {
        rebuild();
        QVERIFY(!m_store->remove({kKey}).error);
        const QDateTime now = QDateTime::currentDateTimeUtc();
        ChunkGcResult r;
        QVERIFY(!collectChunks(*m_store, {.area = m_area, .manifests = QString(), .graceSeconds = 3600, .dryRun = false, .now = now.addSecs(7200)}, r, nullptr, nullptr));
        QVERIFY(r.condemned >= 1);
        // A rebuild that read the index before the condemnation wrote its manifest since: simulate
        // it by putting the old manifest back. The next collection must keep its packs.
        rebuild();  // does not reuse condemned chunks: uploads them again into new packs
        const Manifest m = manifest();
        QVERIFY(!m.table.packs.isEmpty());
        r = {};
        QVERIFY(!collectChunks(*m_store, {.area = m_area, .manifests = QString(), .graceSeconds = 3600, .dryRun = false, .now = now.addSecs(4 * 3600)}, r, nullptr, nullptr));
        for (const QByteArray &pack : m.table.packs)
            QVERIFY(QFile::exists(storePath(Dedup::packKey(m_area, pack))));
        QVERIFY(!restore(m_dir.filePath(QStringLiteral("again"))));
    }

    void flushCollectsAndBudgetsCountChunks()
    {
        rebuild();
        FlushOptions f;
        f.prefix = QStringLiteral("org/repo/");
        f.maxAgeSeconds = 365 * 86400;
        f.maxBytes = 1024;  // smaller than the chunks: the cache goes, though its manifest is tiny
        f.chunkArea = m_area;
        FlushJob job(*m_store, f);
        QVERIFY(!job.exec());
        QCOMPARE(job.result().deleted, 1);
        QVERIFY(job.result().chunks.ran);
        QCOMPARE(job.result().chunks.manifests, 0);
        QVERIFY(!QFile::exists(storePath(kKey)));
    }
};

QTEST_GUILESS_MAIN(TestDedup)
#include "tst_dedup.moc"
