#pragma once
// Reading a cache as the archive stream it holds, whatever its format: the object itself, or,
// for a dedup manifest (dedupformat.h), its chunks fetched with ranged GETs (adjacent chunks of a
// pack in one request, several requests in flight), each decompressed and checked against its
// SHA-256 before a byte of it is handed on. Restore, inspect and download read through this.

#include "dedupformat.h"
#include "objectstore.h"

#include "archive/archiveformat.h"

namespace s3cache {

struct CacheArchive
{
    // The archive's bytes (for a dedup cache: its tar stream). Its transferred() counts the bytes
    // fetched from the store so far (a dedup cache's manifest included), against downloadSize.
    std::unique_ptr<ObjectStream> stream;
    qint64 downloadSize = 0;
    std::optional<Manifest> manifest;      // set for a dedup cache
    // A dedup cache reads as tar: its stats say "dedup".
    void nameFormat(ArchiveStats &stats) const;
};

// Whether `info` (with its metadata, from head()) is a dedup manifest.
bool isDedupManifest(const ObjectInfo &info);

// Reads and validates a dedup manifest (at most 64 MiB).
Result<Manifest> readManifest(ObjectStore &store, const ObjectInfo &info);

Result<CacheArchive> openArchive(ObjectStore &store, const ObjectInfo &info);

} // namespace s3cache
