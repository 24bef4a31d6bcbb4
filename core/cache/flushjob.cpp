#include "flushjob.h"

#include "deletejob.h"
#include "lastused.h"
#include "rebuildjob.h"

#include <QSet>

namespace s3cache {

struct FlushJob::Listing
{
    QList<ObjectInfo> caches;
    QList<ObjectInfo> orphanMarkers;
    int scanned = 0;
};

FlushJob::FlushJob(ObjectStore &store, FlushOptions options, QObject *parent)
    : Job(parent), m_store(store), m_options(std::move(options))
{
}

Error FlushJob::listCaches(ObjectStore &store, Listing &listing)
{
    CacheListing caches;
    Error error = store.list(m_options.prefix, [&](const QList<ObjectInfo> &page) {
        listing.scanned += int(page.size());
        caches.add(page);
        reportProgress({JobPhase::List, 0, -1, listing.scanned});
        return !isCancelled();
    });
    listing.caches = caches.caches();
    listing.orphanMarkers = caches.orphanMarkers();
    if (error)
        return error;
    if (m_options.maxBytes > 0) {
        for (ObjectInfo &o : listing.caches) {
            if (archiveFormatForFilename(o.key) != ArchiveFormat::Dedup || isCancelled())
                continue;
            const Result<ObjectInfo> head = store.head(o.key);
            if (!head.ok() && head.error().kind() != ErrorKind::NotFound)
                return head.error();
            if (head.ok())
                o.size = std::max(o.size, head->metadata.value(Metadata::storedBytes).toLongLong());
        }
    }
    return isCancelled() ? cancelledError() : Error();
}

Error FlushJob::run()
{
    const ObjectStorePtr store = m_store.withContext(callContext());
    FlushPolicy &policy = m_result.policy;
    policy.now = m_options.now.isValid() ? m_options.now : QDateTime::currentDateTimeUtc();
    policy.maxAgeSeconds = m_options.maxAgeSeconds;
    policy.ageFrom = m_options.ageFrom;
    policy.maxBytes = m_options.maxBytes;

    Listing first;
    if (Error e = listCaches(*store, first))
        return e;
    m_result.scanned = first.scanned;
    m_result.plan = planFlush(first.caches, policy);
    m_result.orphanMarkers = first.orphanMarkers;
    if (!m_options.dryRun && (m_result.plan.deletedCount() > 0 || !m_result.orphanMarkers.isEmpty())) {
        if (Error e = deletePlanned(*store))
            return e;
    }
    if (!m_options.chunkArea.isEmpty()) {
        const ChunkGcOptions gc{.area = m_options.chunkArea,
                                .manifests = m_options.chunkArea.chopped(Dedup::areaFolder.size()),
                                .graceSeconds = m_options.chunkGraceSeconds,
                                .dryRun = m_options.dryRun,
                                .now = policy.now};
        reportProgress({JobPhase::List, 0, -1, m_result.scanned});
        m_result.chunksError = collectChunks(*store, gc, m_result.chunks, cancellation().get(), callContext().warnings.get());
    }
    findStaleUploads(*store, std::min(policy.now.addSecs(-policy.maxAgeSeconds),
                                      policy.now.addSecs(-m_options.liveUploadSeconds)));
    return isCancelled() ? cancelledError() : Error();
}

Error FlushJob::deletePlanned(ObjectStore &store)
{
    // The state each planned deletion was decided on; a second listing must show the same.
    const auto state = [](const ObjectInfo &o) {
        return std::tuple(o.etag, o.lastModified, o.lastUsed, o.size);
    };
    QHash<QString, decltype(state(ObjectInfo()))> planned;
    for (const ObjectInfo &o : m_result.plan.deleted())
        planned.insert(o.key, state(o));
    QSet<QString> orphans;
    for (const ObjectInfo &o : std::as_const(m_result.orphanMarkers))
        orphans.insert(o.key);

    Listing second;
    if (Error e = listCaches(store, second))
        return e;
    m_result.plan = planFlush(second.caches, m_result.policy);
    QList<ObjectInfo> doomed;
    qint64 changedBytes = 0;
    for (FlushDecision &d : m_result.plan.decisions) {
        if (!d.deleted())
            continue;
        const auto it = planned.constFind(d.cache.key);
        if (it != planned.cend() && *it == state(d.cache)) {
            doomed << d.cache;
            continue;
        }
        d.reason = FlushDecision::Reason::Changed;
        changedBytes += std::max<qint64>(0, d.cache.size);
    }
    m_result.plan.deletedBytes -= changedBytes;
    m_result.plan.keptBytes += changedBytes;
    m_result.orphanMarkers.clear();
    for (const ObjectInfo &o : std::as_const(second.orphanMarkers)) {
        if (orphans.contains(o.key))
            m_result.orphanMarkers << o;
    }
    QSet<QString> cacheKeys;
    for (const ObjectInfo &o : std::as_const(doomed))
        cacheKeys.insert(o.key);
    doomed += m_result.orphanMarkers;
    DeleteResult removed;
    Error error = deleteObjects(store, doomed, cancellation().get(), removed,
                                      [this](const DeleteResult &done, qsizetype keys, qint64) {
                                          reportProgress({JobPhase::Delete, done.bytesFreed, -1, done.deleted.size(), keys}, true);
                                      });
    for (const QString &key : std::as_const(removed.deleted)) {
        if (cacheKeys.contains(key))
            m_result.deletedKeys.insert(key);
    }
    m_result.deleted = int(m_result.deletedKeys.size());
    m_result.bytesFreed = removed.bytesFreed;
    return error;
}

void FlushJob::findStaleUploads(ObjectStore &store, const QDateTime &cutoff)
{
    const Result<QList<MultipartUploadInfo>> uploads = store.unfinishedUploads(m_options.prefix);
    if (!uploads.ok()) {
        m_result.uploadsError = uploads.error();
        return;
    }
    for (const MultipartUploadInfo &u : *uploads) {
        if (u.initiated.isValid() && u.initiated < cutoff)
            m_result.staleUploads << u;
    }
    for (const MultipartUploadInfo &u : std::as_const(m_result.staleUploads)) {
        if (m_options.dryRun || isCancelled())
            return;
        if (Error e = store.abortUpload(u)) {
            m_result.uploadsError = e;
            return;
        }
        ++m_result.abortedUploads;
    }
}

} // namespace s3cache
