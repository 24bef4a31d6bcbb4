#pragma once
// FlushJob: delete the caches under a prefix that the flush policy gives up (flushplan.h: by age
// from the write or from the last use, then by a size budget, least recently used first), with
// their last-used markers, and the markers whose cache is gone.
//
// Lists every page first (ListObjectsV2 pagination) and plans from that listing. A real run then
// lists again just before it deletes and deletes only what both listings give up in the same
// state: a cache rebuilt or restored (its use recorded) while the flush ran is kept
// (Reason::Changed), so a flush never deletes a cache a build has just written or started to
// restore. Deletes in batches of at most 1000.
//
// A dedup cache (dedupformat.h) counts for the budget with the bytes of every chunk it uses,
// shared or not (its manifest's s3cache-stored, one HEAD each). After the deletions the chunk
// area is collected (dedupgc.h): packs no cache uses go, after the grace period.
//
// Then aborts the multipart uploads under the prefix that a killed rebuild left behind: those
// started before the age cutoff and longer ago than `liveUploadSeconds` (a rebuild's deadline:
// no running s3cache can own them). Interrupted half-way, it can simply be run again.

#include "dedupgc.h"
#include "flushplan.h"
#include "job.h"
#include "objectstore.h"

#include "config/parameters.h"

#include <QSet>

namespace s3cache {

struct FlushOptions
{
    QString prefix;           // with a trailing '/' so that org/repo-other is never touched
    qint64 maxAgeSeconds = defaultFlushAgeSeconds();
    AgeFrom ageFrom = AgeFrom::Written;
    qint64 maxBytes = -1;     // the budget; -1: none
    bool dryRun = false;
    QDateTime now;            // the reference time; invalid -> current UTC time
    qint64 liveUploadSeconds = 600;  // uploads younger than this may belong to a running rebuild
    // Dedup caches: the chunk area to collect (dedupgc.h; empty: none) and its grace period.
    QString chunkArea;
    qint64 chunkGraceSeconds = 6 * 3600;
};

struct FlushResult
{
    int scanned = 0;             // objects listed (markers included)
    FlushPolicy policy;          // as applied (with the reference time)
    FlushPlan plan;              // every cache with its decision (deleted unless dry run)
    QList<ObjectInfo> orphanMarkers;  // last-used markers whose cache is gone (deleted unless dry run)
    int deleted = 0;             // caches deleted
    QSet<QString> deletedKeys;   // ... their keys (what the server confirmed, also when the flush failed)
    qint64 bytesFreed = 0;
    QList<MultipartUploadInfo> staleUploads;  // unfinished uploads to abort (aborted unless dry run)
    int abortedUploads = 0;
    Error uploadsError;  // listing or aborting them failed (a warning: the objects were flushed)
    ChunkGcResult chunks;  // the chunk area's collection
    Error chunksError;     // it failed (a warning: the caches were flushed; the next flush goes on)
};

class FlushJob : public Job
{
    Q_OBJECT
public:
    FlushJob(ObjectStore &store, FlushOptions options, QObject *parent = nullptr);
    const FlushResult &result() const { return m_result; }
    const FlushOptions &options() const { return m_options; }

protected:
    Error run() override;

private:
    struct Listing;
    Error listCaches(ObjectStore &store, Listing &listing);
    Error deletePlanned(ObjectStore &store);
    void findStaleUploads(ObjectStore &store, const QDateTime &cutoff);

    ObjectStore &m_store;
    FlushOptions m_options;
    FlushResult m_result;
};

} // namespace s3cache
