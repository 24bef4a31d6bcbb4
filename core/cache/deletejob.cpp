#include "deletejob.h"

namespace s3cache {

Error deleteObjects(ObjectStore &store, const QList<ObjectInfo> &objects, const Cancellation *cancellation,
                    DeleteResult &result, const DeleteProgress &onBatch)
{
    QStringList keys;
    QHash<QString, qint64> sizes;
    qint64 totalBytes = 0;
    for (const ObjectInfo &o : objects) {
        if (sizes.contains(o.key))
            continue;
        keys << o.key;
        sizes.insert(o.key, std::max<qint64>(0, o.size));
        totalBytes += std::max<qint64>(0, o.size);
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
            result.deleted << key;
            result.bytesFreed += sizes.value(key);
        }
        for (const auto &[key, error] : removed.failed) {
            result.failed << key;
            if (!firstRefusal)
                firstRefusal = error;
        }
        stop = removed.error;
        if (onBatch)
            onBatch(result, keys.size(), totalBytes);
    }
    const Error error = stop ? stop : firstRefusal;
    if (!error || error.kind() == ErrorKind::Cancelled)
        return error;
    const qsizetype left = keys.size() - result.deleted.size();
    return error.withContext(QStringLiteral("%1 of %2 objects not deleted").arg(QString::number(left),
                                                                                 QString::number(keys.size())));
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
