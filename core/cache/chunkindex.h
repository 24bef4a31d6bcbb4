#pragma once
// What a chunk area holds, as a rebuild needs to know it: every chunk of every index segment
// (dedupformat.h), less those in packs a flush has condemned or a reader found damaged. Read with
// one listing of the index folder, one GET per segment, one for the condemned list and one
// listing of the damaged markers: a rebuild never lists the packs.
// When the segments get many (every rebuild that adds chunks writes one), the rebuild that finds
// them merges them into one (mergeSegments) so that the next rebuilds read few.

#include "dedupformat.h"
#include "objectstore.h"

#include <QSet>

namespace s3cache {

struct KnownChunks
{
    QHash<QByteArray, std::pair<QByteArray, ChunkLocation>> chunks;  // chunk hash -> pack hash, where
    CondemnedPacks condemned;
    QSet<QByteArray> damaged;  // packs with a damaged marker
    QStringList segments;  // the index segments read
    QDateTime readAt;      // when (this machine's clock): condemnations after it are not known
};

constexpr int kMergeSegmentsAbove = 16;

// Reads the area's index; with `usableOnly`, without the chunks of condemned and damaged packs
// (what a rebuild may reuse: a chunk that is also in a usable pack keeps that place). A segment
// that does not decode is skipped with a warning (its chunks are uploaded again); a failed
// request is an error.
Result<KnownChunks> readChunkIndex(ObjectStore &store, const QString &area, WarningSink *warnings, bool usableOnly = true);

// Writes `bytes` as the object `key` (one PUT on S3: the dedup format's small objects and packs).
Error writeWholeObject(ObjectStore &store, const QString &key, const QByteArray &bytes,
                       const QMap<QString, QString> &metadata = {});

// Reads the condemned list (missing: empty).
Result<CondemnedPacks> readCondemned(ObjectStore &store, const QString &area);

// The packs with a damaged marker, from one listing (markers whose name is no hash are ignored).
Result<QSet<QByteArray>> readDamaged(ObjectStore &store, const QString &area);

// Writes the damaged marker of `pack`, saying `why` (dedupformat.h).
Error markDamaged(ObjectStore &store, const QString &area, const QByteArray &pack, const QString &why);

// Writes `table` as a new index segment (named by its hash) and returns its key.
Result<QString> writeIndexSegment(ObjectStore &store, const QString &area, const ChunkTable &table);

// One segment with the chunks of `known` and `added`, without those in `droppedPacks`; then the
// segments of `known` are deleted (and `alsoDelete`). Returns the new segment's key.
Result<QString> mergeSegments(ObjectStore &store, const QString &area, const KnownChunks &known, const ChunkTable &added,
                              const QSet<QByteArray> &droppedPacks, const QStringList &alsoDelete = {});

} // namespace s3cache
