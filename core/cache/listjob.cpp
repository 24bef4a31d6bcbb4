#include "listjob.h"

namespace s3cache {

ListJob::ListJob(ObjectStore &store, QString prefix, QObject *parent)
    : Job(parent), m_store(store), m_prefix(std::move(prefix))
{
}

Error ListJob::run()
{
    const ObjectStorePtr store = m_store.withContext(callContext());
    return store->list(m_prefix, [this](const QList<ObjectInfo> &page) {
        m_objects += page;
        reportProgress({JobPhase::List, 0, -1, m_objects.size()});
        return !isCancelled();
    });
}

} // namespace s3cache
