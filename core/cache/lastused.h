#pragma once
// When a cache was last used. A restore that finds a cache records the use with one small
// request: an empty object next to the cache, "KEY.s3cache-used", written again at every hit.
// Its LastModified (the server's clock, not the runner's) is the cache's last use. Concurrent
// builds need no coordination (the last writer wins, and any of them is a use), a `file://` store
// does the same with a file, and the archive is never rewritten nor copied.
//
// Listings carry the markers for free, so `list`, the GUI and flush learn every cache's last use
// from the listing they make anyway: CacheListing drops the markers from what it hands on and
// puts their time into the cache's ObjectInfo::lastUsed. Markers are internal everywhere: restore
// keys never match one, deleting a cache through deleteObjects() deletes its marker, and flush
// deletes markers whose cache is gone (a restore that raced the deletion of its cache).

#include "objectstore.h"

#include <QHash>

namespace s3cache {

namespace LastUsed {
inline const QString markerSuffix = QStringLiteral(".s3cache-used");
inline QString markerKey(const QString &cacheKey) { return cacheKey + markerSuffix; }
inline bool isMarker(const QString &key) { return key.endsWith(markerSuffix); }
inline QString cacheKeyOf(const QString &marker) { return marker.chopped(markerSuffix.size()); }
} // namespace LastUsed

// Whether a listed key is a cache (or any user object), not one of s3cache's own (a last-used
// marker, an object of a dedup chunk area) nor a folder placeholder ("dir/").
bool isCacheKey(const QString &key);

// The later of the last recorded use and the last write: a cache is used when it is written too.
QDateTime lastUseOf(const ObjectInfo &cache);

// Joins a listing's markers with their caches, page by page. Every other object is handed on as
// it is (a folder placeholder "dir/" too: list shows it and flush deletes it as before) (a marker sorts after its cache, but
// a page may end between them; on stores that do not sort, a marker may even come first).
class CacheListing
{
public:
    // Adds a page; returns the caches of this page with lastUsed set from the markers seen so
    // far (a marker that arrives after its cache was handed on goes to updated()).
    QList<ObjectInfo> add(const QList<ObjectInfo> &page);
    // Caches handed on earlier whose marker arrived since the last call (lastUsed now set).
    QList<ObjectInfo> takeUpdated();
    // Every cache so far, in listing order, with lastUsed.
    QList<ObjectInfo> caches() const;
    // Markers whose cache is not in the listing (at the end of it).
    QList<ObjectInfo> orphanMarkers() const;
    // Objects of dedup chunk areas (dedupformat.h): left out of the caches, counted here.
    qint64 areaObjects() const { return m_areaObjects; }
    qint64 areaBytes() const { return m_areaBytes; }

private:
    QList<ObjectInfo> m_caches;
    QHash<QString, qsizetype> m_index;     // cache key -> index in m_caches
    QHash<QString, ObjectInfo> m_markers;  // cache key -> its marker
    QList<ObjectInfo> m_updated;
    qint64 m_areaObjects = 0;
    qint64 m_areaBytes = 0;
};

// Sets cache.lastUsed from its marker (one HEAD), for views of a single cache (inspect, the GUI's
// details). No marker, or a failed HEAD, leaves it invalid: the last use is only informative.
void lookUpLastUse(ObjectStore &store, ObjectInfo &cache);

// Records a use of `cacheKey` now (an empty marker object). The error is for a warning only: a
// restore never fails because its use could not be recorded.
Error recordUse(ObjectStore &store, const QString &cacheKey);

} // namespace s3cache
