#include "objectlookup.h"

#include "lastused.h"

#include "util/log.h"

namespace s3cache {

namespace {

// What a HEAD says when the key (or its bucket) is missing; the listing tells which.
bool isMiss(const Error &error)
{
    return error.kind() == ErrorKind::NotFound && error.code() != u"NoSuchBucket";
}

// After a miss: NoSuchBucket, worded to name the bucket, when a one-page listing says so. The
// listing serves only that: when it fails otherwise (some servers and policies allow HEAD and
// GET but no listing), the miss stays a miss.
Error missingBucket(ObjectStore &store, const QString &key)
{
    const Error error = store.list(key, [](const QList<ObjectInfo> &) { return false; });
    if (error.code() != u"NoSuchBucket")
        return {};
    Error named(error.kind(), error.code(), QStringLiteral("the bucket does not exist: %1").arg(store.describe()));
    named.setHttpStatus(error.httpStatus()).setRequestId(error.requestId());
    return named;
}

} // namespace

Result<ObjectInfo> findFirstObject(ObjectStore &store, const QStringList &keys)
{
    for (const QString &key : keys) {
        Result<ObjectInfo> info = store.head(key);
        if (info.ok())
            return info;
        if (!isMiss(info.error()))
            return info.error();
        Log::debug(QStringLiteral("no cache object at %1").arg(store.uri(key)));
    }
    if (!keys.isEmpty()) {
        if (Error e = missingBucket(store, keys.first()))
            return e;
    }
    return ObjectInfo{};
}

Result<ObjectInfo> findNewestObject(ObjectStore &store, const QString &prefix)
{
    ObjectInfo newest;
    const Error error = store.list(prefix, [&newest](const QList<ObjectInfo> &page) {
        for (const ObjectInfo &o : page) {
            if (!isCacheKey(o.key))
                continue;  // a folder placeholder or a last-used marker, not a cache
            if (newest.key.isEmpty() || o.lastModified > newest.lastModified
                || (o.lastModified == newest.lastModified && o.key > newest.key))
                newest = o;
        }
        return true;
    });
    if (error)
        return error;
    if (newest.key.isEmpty()) {
        Log::debug(QStringLiteral("no cache object under %1").arg(store.uri(prefix)));
        return ObjectInfo{};
    }
    // Listings carry no metadata; a HEAD gives the version openRead() insists on. Missing now: it
    // was deleted since the listing (the listing proved the bucket).
    Result<ObjectInfo> info = store.head(newest.key);
    if (!info.ok() && isMiss(info.error()))
        return ObjectInfo{};
    return info;
}

Result<ObjectInfo> existingObject(ObjectStore &store, const QString &key)
{
    Result<ObjectInfo> found = findFirstObject(store, {key});
    if (found.ok() && found->key.isEmpty())
        return Error(ErrorKind::NotFound, QStringLiteral("NoSuchKey"), QStringLiteral("no object at %1").arg(store.uri(key)));
    return found;
}

} // namespace s3cache
