#include "inspectjob.h"

#include "dedupreader.h"
#include "lastused.h"
#include "objectlookup.h"

#include "rebuildjob.h"

namespace s3cache {

InspectJob::InspectJob(ObjectStore &store, QString key, int maxEntries, QObject *parent)
    : Job(parent), m_store(store), m_key(std::move(key)), m_maxEntries(maxEntries)
{
}

Error InspectJob::run()
{
    const ObjectStorePtr store = m_store.withContext(callContext());
    const Result<ObjectInfo> info = existingObject(*store, m_key);
    if (!info.ok())
        return info.error();
    m_result.object = *info;
    lookUpLastUse(*store, m_result.object);
    Result<CacheArchive> source = openArchive(*store, *info);
    if (!source.ok())
        return source.error();
    ObjectStream *stream = source->stream.get();
    const qint64 total = source->downloadSize;
    const Error error = listArchive(
        stream,
        [&](const ArchiveEntryInfo &entry) {
            if (m_result.entries.size() >= m_maxEntries) {
                m_result.truncated = true;
                return false;
            }
            m_result.entries << entry;
            reportProgress({JobPhase::Inspect, stream->transferred(), total, m_result.entries.size()});
            return true;
        },
        cancellation().get(), &m_result.stats, info->metadata.value(Metadata::digest) == Metadata::digestV1);
    source->nameFormat(m_result.stats);
    if (error)
        return stream->streamError() ? stream->streamError() : error;
    return {};
}

} // namespace s3cache
