#pragma once
// Collecting the chunks no dedup cache uses any more (dedupformat.h), run by every flush after it
// deleted caches: mark and sweep in two phases, so that no rebuild in flight ever loses a chunk.
//
//   mark   read every manifest under the prefix (one listing, one GET each): the packs they use
//          are live
//   phase 1  a pack that is not live and older than the grace period is condemned: written to
//          the condemned list with this time. Rebuilds never reuse a condemned pack's chunks.
//   phase 2  a pack found condemned by an earlier flush at least the grace period ago, and still
//          not live, is deleted; its entries leave the index (the segments are merged into one).
//          A condemned pack that is live again (a rebuild read the index just before it was
//          condemned) is taken off the list.
//
// Why that is safe: a rebuild reads the index at T0 and so relies only on packs not condemned
// at T0; they can be deleted at T0 + grace at the earliest, and a rebuild that is not done by
// T0 + grace/2 checks the condemned list again before it writes its manifest (rebuildjob.cpp).
// Young packs (a rebuild uploads its packs before its manifest) are never condemned.
// A manifest that cannot be read is reported and uses nothing: its cache cannot restore anyway.
// A damaged marker (a reader found a bad chunk in the pack) is deleted with its pack, or when its
// pack is gone already; a damaged pack is collected like any other, once no cache uses it.

#include "dedupformat.h"
#include "objectstore.h"

namespace s3cache {

struct ChunkGcOptions
{
    QString area;              // "PREFIX/.chunks/"
    QString manifests;         // where the manifests using it are: "PREFIX/" ("" = the bucket)
    qint64 graceSeconds = 6 * 3600;
    bool dryRun = false;
    QDateTime now;             // invalid: the current time
};

struct ChunkGcResult
{
    bool ran = false;          // the area exists
    int manifests = 0;         // dedup caches read
    int unreadable = 0;        // ... that could not be decoded
    int packs = 0;             // packs found
    qint64 packBytes = 0;
    int live = 0;
    int condemned = 0;         // packs on the condemned list after this run (newly or still)
    qint64 condemnedBytes = 0;
    int newlyCondemned = 0;
    int swept = 0;             // packs deleted (or to delete, in a dry run)
    qint64 sweptBytes = 0;
    int damaged = 0;           // packs that stay with a damaged marker (rebuilds do not reuse them)
};

Error collectChunks(ObjectStore &store, const ChunkGcOptions &options, ChunkGcResult &result,
                    const Cancellation *cancellation, WarningSink *warnings);

} // namespace s3cache
