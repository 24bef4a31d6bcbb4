#include "lastused.h"

#include "dedupformat.h"

#include <algorithm>
#include <utility>

namespace s3cache {

bool isCacheKey(const QString &key)
{
    return !key.isEmpty() && !key.endsWith(u'/') && !LastUsed::isMarker(key) && !Dedup::isAreaKey(key);
}

QDateTime lastUseOf(const ObjectInfo &cache)
{
    if (!cache.lastUsed.isValid())
        return cache.lastModified;
    return std::max(cache.lastUsed, cache.lastModified);
}

QList<ObjectInfo> CacheListing::add(const QList<ObjectInfo> &page)
{
    // Markers first, so that a cache and its marker in one page arrive joined.
    for (const ObjectInfo &o : page) {
        if (!LastUsed::isMarker(o.key))
            continue;
        const QString cache = LastUsed::cacheKeyOf(o.key);
        m_markers.insert(cache, o);
        if (const auto it = m_index.constFind(cache); it != m_index.cend()) {
            m_caches[*it].lastUsed = o.lastModified;
            m_updated << m_caches[*it];
        }
    }
    QList<ObjectInfo> added;
    for (const ObjectInfo &o : page) {
        if (LastUsed::isMarker(o.key))
            continue;
        if (Dedup::isAreaKey(o.key)) {
            ++m_areaObjects;
            m_areaBytes += o.size;
            continue;
        }
        ObjectInfo cache = o;
        if (const auto marker = m_markers.constFind(o.key); marker != m_markers.cend())
            cache.lastUsed = marker->lastModified;
        m_index.insert(cache.key, m_caches.size());
        m_caches << cache;
        added << cache;
    }
    return added;
}

QList<ObjectInfo> CacheListing::takeUpdated()
{
    return std::exchange(m_updated, {});
}

QList<ObjectInfo> CacheListing::caches() const
{
    return m_caches;
}

QList<ObjectInfo> CacheListing::orphanMarkers() const
{
    QList<ObjectInfo> orphans;
    for (auto it = m_markers.cbegin(); it != m_markers.cend(); ++it) {
        if (!m_index.contains(it.key()))
            orphans << it.value();
    }
    std::sort(orphans.begin(), orphans.end(), [](const ObjectInfo &a, const ObjectInfo &b) { return a.key < b.key; });
    return orphans;
}

void lookUpLastUse(ObjectStore &store, ObjectInfo &cache)
{
    const Result<ObjectInfo> marker = store.head(LastUsed::markerKey(cache.key));
    if (marker.ok())
        cache.lastUsed = marker->lastModified;
}

Error recordUse(ObjectStore &store, const QString &cacheKey)
{
    Result<std::unique_ptr<ObjectWriter>> writer = store.openWrite(LastUsed::markerKey(cacheKey), {}, 0);
    if (!writer.ok())
        return writer.error();
    return (*writer)->commit();
}

} // namespace s3cache
