#include "listjob.h"

#include "lastused.h"

namespace s3cache {

ListJob::ListJob(ObjectStore &store, QString prefix, QObject *parent)
    : Job(parent), m_store(store), m_prefix(std::move(prefix))
{
}

Error ListJob::run()
{
    const ObjectStorePtr store = m_store.withContext(callContext());
    CacheListing caches;
    qint64 listed = 0;
    Error error = store->list(m_prefix, [&](const QList<ObjectInfo> &page) {
        caches.add(page);
        listed += page.size();
        reportProgress({JobPhase::List, 0, -1, listed});
        return !isCancelled();
    });
    m_objects = caches.caches();
    return error;
}

} // namespace s3cache
