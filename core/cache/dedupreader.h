#pragma once
// Reading a cache as the archive stream it holds, whatever its format: the object itself, or,
// for a dedup manifest (dedupformat.h), its chunks fetched with ranged GETs (adjacent chunks of a
// pack in one request, several requests in flight), each decompressed and checked against its
// SHA-256 before a byte of it is handed on. Restore, inspect and download read through this.

#include "dedupformat.h"
#include "objectstore.h"

namespace s3cache {

struct ArchiveSource
{
    std::unique_ptr<ObjectStream> stream;  // the archive's bytes (for a dedup cache: its tar stream)
    qint64 downloadSize = 0;               // bytes the stream fetches from the store in all
    std::optional<Manifest> manifest;      // set for a dedup cache
    // Bytes fetched so far (manifest included): for progress against downloadSize.
    qint64 downloaded() const;
};

// Whether `info` (with its metadata, from head()) is a dedup manifest.
bool isDedupManifest(const ObjectInfo &info);

// Reads and validates a dedup manifest (at most 64 MiB).
Result<Manifest> readManifest(ObjectStore &store, const ObjectInfo &info);

Result<ArchiveSource> openArchive(ObjectStore &store, const ObjectInfo &info);

} // namespace s3cache
