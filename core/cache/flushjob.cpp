#include "flushjob.h"

#include "util/log.h"

namespace s3cache {

FlushJob::FlushJob(ObjectStore &store, FlushOptions options, QObject *parent)
    : Job(parent), m_store(store), m_options(std::move(options))
{
}

Error FlushJob::run()
{
    m_store.setCancellation(cancellation());
    const QDateTime now = m_options.now.isValid() ? m_options.now : QDateTime::currentDateTimeUtc();
    const QDateTime cutoff = now.addSecs(-m_options.maxAgeSeconds);
    Error error = m_store.list(m_options.prefix, [&](const QList<ObjectInfo> &page) {
        for (const ObjectInfo &o : page) {
            ++m_result.scanned;
            if (o.lastModified < cutoff)
                m_result.expired << o;
        }
        reportProgress({QStringLiteral("list"), 0, -1, m_result.scanned});
        return !isCancelled();
    });
    if (error)
        return error;
    if (isCancelled())
        return cancelledError();
    if (!m_options.dryRun && !m_result.expired.isEmpty()) {
        if (Error e = deleteExpired())
            return e;
    }
    findStaleUploads(std::min(cutoff, now.addSecs(-m_options.liveUploadSeconds)));
    return isCancelled() ? cancelledError() : Error();
}

void FlushJob::findStaleUploads(const QDateTime &cutoff)
{
    const Result<QList<MultipartUploadInfo>> uploads = m_store.unfinishedUploads(m_options.prefix);
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
        if (Error e = m_store.abortUpload(u)) {
            m_result.uploadsError = e;
            return;
        }
        ++m_result.abortedUploads;
    }
}

Error FlushJob::deleteExpired()
{
    QStringList keys;
    QHash<QString, qint64> sizes;
    for (const ObjectInfo &o : std::as_const(m_result.expired)) {
        keys << o.key;
        sizes.insert(o.key, o.size);
    }
    // Batches of 1000 (the S3 limit), with progress between them.
    for (qsizetype i = 0; i < keys.size(); i += 1000) {
        if (isCancelled())
            return cancelledError();
        const Result<QStringList> deleted = m_store.remove(keys.mid(i, 1000));
        if (!deleted.ok())
            return deleted.error();
        for (const QString &key : *deleted) {
            ++m_result.deleted;
            m_result.bytesFreed += std::max<qint64>(0, sizes.value(key));
        }
        reportProgress({QStringLiteral("delete"), m_result.bytesFreed, -1, m_result.deleted, keys.size()}, true);
    }
    return {};
}

ListJob::ListJob(ObjectStore &store, QString prefix, QObject *parent)
    : Job(parent), m_store(store), m_prefix(std::move(prefix))
{
}

Error ListJob::run()
{
    m_store.setCancellation(cancellation());
    return m_store.list(m_prefix, [this](const QList<ObjectInfo> &page) {
        m_objects += page;
        reportProgress({QStringLiteral("list"), 0, -1, m_objects.size()});
        return !isCancelled();
    });
}

} // namespace s3cache
