#include "pagedlistjob.h"

#include "lastused.h"

namespace s3cache {

PagedListJob::PagedListJob(ObjectStore &store, QString prefix, QObject *parent)
    : Job(parent), m_store(store), m_prefix(std::move(prefix))
{
    qRegisterMetaType<QList<s3cache::ObjectInfo>>();
}

Error PagedListJob::run()
{
    const ObjectStorePtr store = m_store.withContext(callContext());
    CacheListing caches;
    return store->list(m_prefix, [&](const QList<ObjectInfo> &objects) {
        if (isCancelled())
            return false;
        const QList<ObjectInfo> added = caches.add(objects);
        m_count += added.size();
        // A cache whose marker came in a later page is handed on again: receivers update it in place.
        emit page(added + caches.takeUpdated());
        reportProgress({JobPhase::List, 0, -1, m_count.load()});
        return true;
    });
}

} // namespace s3cache
