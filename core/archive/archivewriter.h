#pragma once
// ArchiveWriter: streams a TreeSnapshot as an archive into any QIODevice (a file, a pipe, a
// multipart upload). Tar formats are pax (restricted: plain ustar headers unless a name, size or
// time needs more) through libarchive, compressed with zstd (multi-threaded, content checksum) or
// gzip (zlib, below libarchive); after the last entry comes the archive digest (archivedigest.h)
// that restores verify. Zip is written by ZipStreamWriter. Output is deterministic: identical trees
// give identical archives (S3 uploads with the default zstd level: the same tar stream, see
// ArchiveWriteOptions::adaptiveLevel). Owners are stored as 0/0; file data is read in 1 MiB blocks.

#include "archiveformat.h"
#include "treesnapshot.h"

#include "util/cancellation.h"
#include "util/error.h"
#include "util/warnings.h"

class QIODevice;

namespace s3cache {

struct ArchiveWriteOptions
{
    ArchiveFormat format = ArchiveFormat::TarZstd;
    int compressionLevel = -1;  // -1 = codec default (zstd 3, gzip 6)
    int threads = 0;            // zstd workers, 0 = number of cores
    // zstd with the default level into an output that reports its upload queue (outputpressure.h,
    // S3 uploads): the level follows the bottleneck, 1..7 (adaptivelevel.h). The tar stream is the
    // same; the compressed bytes then depend on timing. Files and pipes always get a fixed level.
    bool adaptiveLevel = true;
};

// Whether write() will end the archive with its digest (archivedigest.h): tar formats, when the
// snapshot holds a directory. Known before writing, so that the object's metadata can say so.
bool writesArchiveDigest(const TreeSnapshot &snapshot, ArchiveFormat format);

class ArchiveWriter
{
public:
    explicit ArchiveWriter(ArchiveWriteOptions options = {});

    // Writes the snapshot's entries into `sink` (open for writing; may be sequential and may block
    // in write()). A failing sink gives ErrorKind::Io carrying sink->errorString(); a cancelled
    // write gives ErrorKind::Cancelled. Files that changed since the scan are written with their
    // scanned size (padded with zeros or cut), with a warning to `warnings` (or the log).
    Error write(const TreeSnapshot &snapshot, QIODevice *sink, const Cancellation *cancel = nullptr,
                const ProgressCallback &progress = {}, WarningSink *warnings = nullptr);
    ArchiveStats stats() const { return m_stats; }

private:
    Error writeTar(const TreeSnapshot &snapshot, QIODevice *sink, const Cancellation *cancel,
                   const ProgressCallback &progress, WarningSink *warnings);

    ArchiveWriteOptions m_options;
    ArchiveStats m_stats;
};

} // namespace s3cache
