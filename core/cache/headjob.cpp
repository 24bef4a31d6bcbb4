#include "headjob.h"

#include "objectlookup.h"

namespace s3cache {

HeadJob::HeadJob(ObjectStore &store, QString key, QObject *parent)
    : Job(parent), m_store(store), m_key(std::move(key))
{
}

Error HeadJob::run()
{
    const ObjectStorePtr store = m_store.withContext(callContext());
    Result<ObjectInfo> info = existingObject(*store, m_key);
    if (!info.ok())
        return info.error();
    m_result = std::move(*info);
    return {};
}

} // namespace s3cache
