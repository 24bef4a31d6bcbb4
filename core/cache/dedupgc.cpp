#include "dedupgc.h"

#include "chunkindex.h"
#include "deletejob.h"
#include "dedupreader.h"
#include "lastused.h"

#include "archive/archiveformat.h"

#include <QSet>

namespace s3cache {

namespace {

using namespace Qt::StringLiterals;

Error cancelled()
{
    return Error(ErrorKind::Cancelled, u"Cancelled"_s, u"collecting unused chunks was cancelled"_s);
}

} // namespace

Error collectChunks(ObjectStore &store, const ChunkGcOptions &options, ChunkGcResult &result,
                    const Cancellation *cancellation, WarningSink *warnings)
{
    const QDateTime now = options.now.isValid() ? options.now : QDateTime::currentDateTimeUtc();
    const QDateTime graceAgo = now.addSecs(-options.graceSeconds);
    // The index before the packs: a pack the index names and the listing lacks is gone for good
    // (packs are never rewritten), not one uploaded in between.
    Result<KnownChunks> index = readChunkIndex(store, options.area, warnings, false);
    if (!index.ok())
        return index.error();
    QHash<QByteArray, ObjectInfo> packs;
    if (Error e = store.list(Dedup::packFolder(options.area), [&](const QList<ObjectInfo> &page) {
            for (const ObjectInfo &o : page) {
                if (const QByteArray hash = Dedup::hashFromKey(o.key); !hash.isEmpty())
                    packs.insert(hash, o);
            }
            return true;
        }))
        return e;
    if (packs.isEmpty() && index->segments.isEmpty() && index->condemned.isEmpty() && index->damaged.isEmpty())
        return {};
    result.ran = true;
    result.packs = int(packs.size());
    for (const ObjectInfo &p : std::as_const(packs))
        result.packBytes += p.size;

    // Mark. Any failure to list or read stops here: nothing is condemned or deleted on a partial view.
    QList<ObjectInfo> manifests;
    if (Error e = store.list(options.manifests, [&](const QList<ObjectInfo> &page) {
            for (const ObjectInfo &o : page) {
                if (isCacheKey(o.key) && archiveFormatForFilename(o.key) == ArchiveFormat::Dedup)
                    manifests << o;
            }
            return !(cancellation && cancellation->isCancelled());
        }))
        return e;
    QSet<QByteArray> live;
    for (const ObjectInfo &m : std::as_const(manifests)) {
        if (cancellation && cancellation->isCancelled())
            return cancelled();
        const Result<Manifest> manifest = readManifest(store, m);
        if (!manifest.ok()) {
            if (manifest.error().kind() == ErrorKind::NotFound)
                continue;  // deleted since the listing
            if (manifest.error().kind() != ErrorKind::Corrupt)
                return manifest.error();
            ++result.unreadable;
            reportWarning(warnings, manifest.error().message());
            continue;
        }
        ++result.manifests;
        if (manifest->area != options.area)
            continue;
        for (const QByteArray &pack : manifest->table.packs)
            live.insert(pack);
    }

    // Decide.
    CondemnedPacks condemned;
    QList<ObjectInfo> sweep;
    QSet<QByteArray> swept;
    for (auto it = packs.cbegin(); it != packs.cend(); ++it) {
        if (live.contains(it.key())) {
            ++result.live;
            continue;
        }
        const auto since = index->condemned.constFind(it.key());
        if (since != index->condemned.cend()) {
            if (*since <= graceAgo) {
                sweep << *it;
                swept.insert(it.key());
                result.sweptBytes += it->size;
                continue;
            }
            condemned.insert(it.key(), *since);
        } else if (it->lastModified.isValid() && it->lastModified <= graceAgo) {
            condemned.insert(it.key(), now);
            ++result.newlyCondemned;
        } else {
            continue;  // young: perhaps a rebuild's that has not written its manifest yet
        }
        result.condemnedBytes += it->size;
    }
    result.swept = int(sweep.size());
    result.condemned = int(condemned.size());
    QList<ObjectInfo> staleMarkers;
    for (const QByteArray &pack : std::as_const(index->damaged)) {
        if (packs.contains(pack) && !swept.contains(pack)) {
            ++result.damaged;
            continue;
        }
        ObjectInfo marker;
        marker.key = Dedup::damagedKey(options.area, pack);
        staleMarkers << marker;
    }
    if (options.dryRun)
        return {};

    // Sweep, then record what stays condemned, then drop the swept packs from the index.
    if (!sweep.isEmpty()) {
        DeleteResult removed;
        if (Error e = deleteObjects(store, sweep, cancellation, removed))
            return e;
    }
    if (!staleMarkers.isEmpty()) {  // after their packs: a marker never goes before the pack it warns of
        DeleteResult removed;
        if (Error e = deleteObjects(store, staleMarkers, cancellation, removed))
            return e;
    }
    if (condemned != index->condemned) {
        if (Error e = writeWholeObject(store, Dedup::condemnedKey(options.area), encodeCondemned(condemned)))
            return e;
    }
    if (!swept.isEmpty() || index->segments.size() > kMergeSegmentsAbove) {
        // Packs gone without a sweep (deleted by hand) leave the index too.
        QSet<QByteArray> dropped = swept;
        for (auto it = index->chunks.cbegin(); it != index->chunks.cend(); ++it) {
            if (!packs.contains(it->first))
                dropped.insert(it->first);
        }
        const Result<QString> merged = mergeSegments(store, options.area, *index, {}, dropped);
        if (!merged.ok())
            return merged.error();
    }
    return {};
}

} // namespace s3cache
