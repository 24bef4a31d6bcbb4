#include "headjob.h"

namespace s3cache {

HeadJob::HeadJob(ObjectStore &store, QString key, QObject *parent)
    : Job(parent), m_store(store), m_key(std::move(key))
{
}

Error HeadJob::run()
{
    m_store.setCancellation(cancellation());
    Result<ObjectInfo> info = m_store.head(m_key);
    if (!info.ok())
        return info.error();
    m_result = std::move(*info);
    return {};
}

} // namespace s3cache
