#include "deletejob.h"

namespace s3cache {

DeleteJob::DeleteJob(ObjectStore &store, QList<ObjectInfo> objects, QObject *parent)
    : Job(parent), m_store(store), m_objects(std::move(objects))
{
}

Error DeleteJob::run()
{
    m_store.setCancellation(cancellation());
    QStringList keys;
    QHash<QString, qint64> sizes;
    qint64 totalBytes = 0;
    for (const ObjectInfo &o : std::as_const(m_objects)) {
        if (sizes.contains(o.key))
            continue;
        keys << o.key;
        sizes.insert(o.key, std::max<qint64>(0, o.size));
        totalBytes += std::max<qint64>(0, o.size);
    }
    constexpr qsizetype batch = 1000;  // the DeleteObjects limit
    for (qsizetype i = 0; i < keys.size(); i += batch) {
        if (isCancelled())
            return cancelledError();
        const Result<QStringList> deleted = m_store.remove(keys.mid(i, batch));
        if (!deleted.ok())
            return deleted.error();
        for (const QString &key : *deleted) {
            m_result.deleted << key;
            m_result.bytesFreed += sizes.value(key);
        }
        reportProgress({QStringLiteral("delete"), m_result.bytesFreed, totalBytes, m_result.deleted.size(), keys.size()}, true);
    }
    return {};
}

} // namespace s3cache
