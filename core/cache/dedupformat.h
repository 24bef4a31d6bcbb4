#pragma once
// The dedup format (`.dedup`): a cache stored as content-defined chunks shared by every cache
// under the same prefix. What is in the store, under the chunk area `PREFIX/.chunks/`:
//
//   PREFIX/.chunks/packs/<sha256>   a pack: zstd frames, one per chunk, back to back (<8 MiB);
//                                   named by the SHA-256 of its bytes, never rewritten
//   PREFIX/.chunks/index/<sha256>   an index segment: which chunk is where (a pack table and
//                                   chunk entries), written by each rebuild that added packs;
//                                   rebuilds read every segment to know what the store has
//                                   (a few requests: segments are merged when there are many)
//   PREFIX/.chunks/condemned        packs that no cache used when a flush last looked, with the
//                                   time it first saw them so (dedupgc.h): never reused, deleted
//                                   by a flush after the grace period
//   PREFIX/.chunks/damaged/<sha256> a pack in which a reader found a chunk that fails its check
//                                   (a short text saying which): rebuilds never reuse its chunks
//                                   and store them again; a flush deletes the marker once the
//                                   pack is gone
//   KEY (e.g. .../cache.dedup)      the manifest: the chunks of this cache's tar stream in order,
//                                   each with its pack, offset, stored and raw length and the
//                                   SHA-256 of its raw bytes. A restore needs nothing else.
//
// All three binary documents start with a magic line and a version and are validated whole
// before use: counts must fit the bytes, lengths the chunker's limits, pack indices the table,
// raw lengths the manifest's total. A chunk's hash is checked after decompression and before its
// bytes reach the extractor, so a pack or manifest written by someone else can make a restore
// fail, never restore other bytes.

#include "chunker.h"

#include "util/error.h"
#include "util/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QList>

namespace s3cache {

namespace Dedup {

inline const QString formatName = QStringLiteral("dedup");
inline const QString areaFolder = QStringLiteral(".chunks/");

// The chunk area of caches under `prefix` (Config::prefix: "" or "a/b"): "a/b/.chunks/".
QString chunkArea(const QString &prefix);
// Whether `key` lies in a chunk area (packs, index segments, the condemned list): not a cache.
bool isAreaKey(const QString &key);
inline QString packKey(const QString &area, const QByteArray &hash) { return area + QStringLiteral("packs/") + QString::fromLatin1(hash.toHex()); }
inline QString indexFolder(const QString &area) { return area + QStringLiteral("index/"); }
inline QString packFolder(const QString &area) { return area + QStringLiteral("packs/"); }
inline QString condemnedKey(const QString &area) { return area + QStringLiteral("condemned"); }
inline QString damagedFolder(const QString &area) { return area + QStringLiteral("damaged/"); }
inline QString damagedKey(const QString &area, const QByteArray &hash) { return damagedFolder(area) + QString::fromLatin1(hash.toHex()); }
// The 32 raw bytes of a pack's hash from its key, or empty when the name is not one.
QByteArray hashFromKey(const QString &key);

constexpr qsizetype hashSize = 32;
const ChunkerLimits &chunkLimits();
qsizetype maxStoredSize();                         // the largest valid compressed chunk
constexpr qint64 maxPackSize = 256 * 1024 * 1024;  // no valid entry points beyond
// A rebuild closes a pack before a chunk would take it past this: packs go up as single PUTs
// (S3Store's part size is 8 MiB), three at a time (DedupWriter), in ~60 MiB of memory.
constexpr qint64 packLimit = 8 * 1024 * 1024 - 64 * 1024;

} // namespace Dedup

struct ChunkLocation
{
    qint32 pack = -1;  // index into the table's packs
    qint64 offset = 0;
    qint32 storedSize = 0;
    qint32 rawSize = 0;
};

struct ChunkRef
{
    QByteArray hash;  // SHA-256 of the raw bytes, 32 bytes
    ChunkLocation where;
};

// Chunks and the packs they are in: the body of manifests and index segments.
struct ChunkTable
{
    QList<QByteArray> packs;  // pack hashes (32 bytes each)
    QList<ChunkRef> chunks;

    // Adds a pack (once) and returns its index.
    qint32 addPack(const QByteArray &hash);
};

struct Manifest
{
    QString area;      // the chunk area its packs are in ("PREFIX/.chunks/")
    ChunkTable table;  // chunks in stream order (a chunk may repeat)
    qint64 rawSize = 0;

    qint64 storedSize() const;  // what a restore downloads
};

QByteArray encodeManifest(const Manifest &manifest);
Result<Manifest> decodeManifest(const QByteArray &bytes, const QString &what);

QByteArray encodeIndex(const ChunkTable &table);
Result<ChunkTable> decodeIndex(const QByteArray &bytes, const QString &what);

// Pack hash -> when a flush first found it unused.
using CondemnedPacks = QHash<QByteArray, QDateTime>;
QByteArray encodeCondemned(const CondemnedPacks &packs);
Result<CondemnedPacks> decodeCondemned(const QByteArray &bytes, const QString &what);

// One chunk: zstd at `level` (-1: 3). Never fails for valid input.
QByteArray compressChunk(QByteArrayView raw, int level);
// The raw bytes of a stored chunk, checked against the manifest's sizes and hash; `what` names it
// in errors ("chunk 12 of s3://b/k (pack …, offset …)").
Result<QByteArray> openChunk(QByteArrayView stored, const ChunkRef &ref, const QString &what);

} // namespace s3cache
