#include "pagedlistjob.h"

namespace s3cache {

PagedListJob::PagedListJob(ObjectStore &store, QString prefix, QObject *parent)
    : Job(parent), m_store(store), m_prefix(std::move(prefix))
{
    qRegisterMetaType<QList<s3cache::ObjectInfo>>();
}

Error PagedListJob::run()
{
    const ObjectStorePtr store = m_store.withContext(callContext());
    return store->list(m_prefix, [this](const QList<ObjectInfo> &objects) {
        if (isCancelled())
            return false;
        m_count += objects.size();
        emit page(objects);
        reportProgress({JobPhase::List, 0, -1, m_count.load()});
        return true;
    });
}

} // namespace s3cache
