#include "deletejob.h"

#include "lastused.h"

#include <QSet>

namespace s3cache {

Error deleteObjects(ObjectStore &store, const QList<ObjectInfo> &objects, const Cancellation *cancellation,
                    DeleteResult &result, const DeleteProgress &onBatch)
{
    // Each object's last-used marker goes right after it, so nearly always in the same batch.
    // Only markers a listing saw are deleted: deleting a key that does not exist would leave a
    // delete marker in a versioned bucket. A marker left behind is harmless (flush removes
    // markers without a cache), so its failures are not reported.
    QStringList keys;
    QSet<QString> markers;
    QHash<QString, qint64> sizes;
    qsizetype objectCount = 0;
    qint64 totalBytes = 0;
    for (const ObjectInfo &o : objects) {
        if (sizes.contains(o.key))
            continue;
        keys << o.key;
        ++objectCount;
        sizes.insert(o.key, std::max<qint64>(0, o.size));
        totalBytes += std::max<qint64>(0, o.size);
        if (o.lastUsed.isValid()) {
            keys << LastUsed::markerKey(o.key);
            markers.insert(keys.last());
        }
    }
    Error firstRefusal;
    Error stop;
    for (qsizetype i = 0; i < keys.size() && !stop; i += ObjectStore::maxRemoveBatch) {
        if (cancellation && cancellation->isCancelled()) {
            stop = Job::cancelledError();
            break;
        }
        const RemoveResult removed = store.remove(keys.mid(i, ObjectStore::maxRemoveBatch));
        for (const QString &key : removed.deleted) {
            if (markers.contains(key))
                continue;
            result.deleted << key;
            result.bytesFreed += sizes.value(key);
        }
        for (const auto &[key, error] : removed.failed) {
            if (markers.contains(key))
                continue;
            result.failed << key;
            if (!firstRefusal)
                firstRefusal = error;
        }
        stop = removed.error;
        if (onBatch)
            onBatch(result, objectCount, totalBytes);
    }
    Error error = stop ? stop : firstRefusal;
    if (!error || error.kind() == ErrorKind::Cancelled)
        return error;
    const qsizetype left = objectCount - result.deleted.size();
    return error.withContext(QStringLiteral("%1 of %2 objects not deleted").arg(QString::number(left),
                                                                                 QString::number(objectCount)));
}

DeleteJob::DeleteJob(ObjectStore &store, QList<ObjectInfo> objects, QObject *parent)
    : Job(parent), m_store(store), m_objects(std::move(objects))
{
}

Error DeleteJob::run()
{
    const ObjectStorePtr store = m_store.withContext(callContext());
    return deleteObjects(*store, m_objects, cancellation().get(), m_result,
                         [this](const DeleteResult &done, qsizetype keys, qint64 bytes) {
                             reportProgress({JobPhase::Delete, done.bytesFreed, bytes, done.deleted.size(), keys},
                                            true);
                         });
}

} // namespace s3cache
