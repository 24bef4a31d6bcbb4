#pragma once
// Finding objects, for every action that HEADs one (restore, rebuild, inspect, download, the
// GUI's details). A HEAD answers a missing key and a missing bucket alike (404, no body), so a
// miss is followed by a one-page listing, which names a missing bucket (NoSuchBucket): that is a
// configuration error, never a cache miss nor "not found". A listing that fails otherwise leaves
// the miss a miss (HEAD and GET may be allowed where listing is not).

#include "objectstore.h"

namespace s3cache {

// Finds the first of `keys` that exists. None existing is a miss (an ObjectInfo with an empty
// key, no error); a missing bucket or any other failure of a HEAD is an error.
Result<ObjectInfo> findFirstObject(ObjectStore &store, const QStringList &keys);

// The newest object whose key starts with `prefix` (listing every page), with its metadata.
// None is an ObjectInfo with an empty key, no error.
Result<ObjectInfo> findNewestObject(ObjectStore &store, const QString &prefix);

// The object at `key`, which must exist: a missing one is ErrorKind::NotFound, code NoSuchKey,
// "no object at s3://bucket/key"; a missing bucket is NoSuchBucket naming the bucket.
Result<ObjectInfo> existingObject(ObjectStore &store, const QString &key);

} // namespace s3cache
