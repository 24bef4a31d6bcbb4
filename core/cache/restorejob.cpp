#include "restorejob.h"

#include "util/log.h"

namespace s3cache {

RestoreJob::RestoreJob(ObjectStore &store, RestoreOptions options, QObject *parent)
    : Job(parent), m_store(store), m_options(std::move(options))
{
}

Result<ObjectInfo> findFirstObject(ObjectStore &store, const QStringList &keys)
{
    for (const QString &key : keys) {
        Result<ObjectInfo> info = store.head(key);
        if (info.ok())
            return info;
        if (info.error().kind() != ErrorKind::NotFound || info.error().code() == u"NoSuchBucket")
            return info.error();
        Log::debug(QStringLiteral("no cache object at %1").arg(store.uri(key)));
    }
    // HEAD cannot tell a missing key from a missing bucket (404 without a body); a one-page
    // listing can, and a missing bucket is a configuration error, not a cache miss.
    if (!keys.isEmpty()) {
        const Error listError = store.list(keys.first(), [](const QList<ObjectInfo> &) { return false; });
        if (listError)
            return listError;
    }
    return ObjectInfo{};
}

Error RestoreJob::run()
{
    m_store.setCancellation(cancellation());
    QStringList keys{m_options.key};
    keys += m_options.fallbackKeys;
    const Result<ObjectInfo> found = findFirstObject(m_store, keys);
    if (!found.ok())
        return found.error();
    if (found->key.isEmpty())
        return {};  // cache miss
    m_result.hit = true;
    m_result.matchedKey = found->key;
    m_result.object = *found;

    Result<std::unique_ptr<ObjectStream>> stream = m_store.openRead(*found);
    if (!stream.ok())
        return stream.error();
    SafeExtractor extractor(m_options.extract);
    const qint64 total = found->size;
    const Error error = extractor.extract(stream->get(), m_options.workspace, cancellation().get(),
                                          [this, total, &stream](qint64, qint64) {
                                              reportProgress({QStringLiteral("restore"), (*stream)->transferred(), total});
                                          });
    m_result.stats = extractor.stats();
    if (error) {
        // A failed download surfaces in the extractor as a read error: report the real cause.
        if ((*stream)->streamError())
            return (*stream)->streamError();
        return error;
    }
    reportProgress({QStringLiteral("restore"), total, total, m_result.stats.files, m_result.stats.files}, true);
    return {};
}

} // namespace s3cache
