#include "flushjob.h"

#include "deletejob.h"

#include "util/log.h"

namespace s3cache {

FlushJob::FlushJob(ObjectStore &store, FlushOptions options, QObject *parent)
    : Job(parent), m_store(store), m_options(std::move(options))
{
}

Error FlushJob::run()
{
    const ObjectStorePtr store = m_store.withContext(callContext());
    const QDateTime now = m_options.now.isValid() ? m_options.now : QDateTime::currentDateTimeUtc();
    const QDateTime cutoff = now.addSecs(-m_options.maxAgeSeconds);
    Error error = store->list(m_options.prefix, [&](const QList<ObjectInfo> &page) {
        for (const ObjectInfo &o : page) {
            ++m_result.scanned;
            if (o.lastModified < cutoff)
                m_result.expired << o;
        }
        reportProgress({JobPhase::List, 0, -1, m_result.scanned});
        return !isCancelled();
    });
    if (error)
        return error;
    if (isCancelled())
        return cancelledError();
    if (!m_options.dryRun && !m_result.expired.isEmpty()) {
        if (Error e = deleteExpired(*store))
            return e;
    }
    findStaleUploads(*store, std::min(cutoff, now.addSecs(-m_options.liveUploadSeconds)));
    return isCancelled() ? cancelledError() : Error();
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

Error FlushJob::deleteExpired(ObjectStore &store)
{
    DeleteResult removed;
    return deleteObjects(store, m_result.expired, cancellation().get(), removed,
                         [this](const DeleteResult &done, qsizetype keys, qint64) {
                             m_result.deleted = int(done.deleted.size());
                             m_result.bytesFreed = done.bytesFreed;
                             reportProgress({JobPhase::Delete, done.bytesFreed, -1, done.deleted.size(), keys}, true);
                         });
}

} // namespace s3cache
