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

#include <array>
#include <memory>
#include <optional>

class QIODevice;

namespace s3cache {

struct ArchiveWriteOptions
{
    ArchiveFormat format = ArchiveFormat::TarZstd;
    int compressionLevel = -1;  // -1 = codec default (zstd 3, gzip 6)
    int threads = 0;            // zstd workers, 0 = number of cores
    // zstd with the default level into an output that reports its upload queue (outputpressure.h,
    // S3 uploads): the level follows the bottleneck, 1..6 (adaptivelevel.h). The tar stream is the
    // same; the compressed bytes then depend on timing. Files and pipes always get a fixed level.
    bool adaptiveLevel = true;
};

// Whether write() will end the archive with its digest (archivedigest.h): tar formats but .dedup
// (its manifest has the SHA-256 of every chunk, and its rebuilds may leave entries out, see
// TarEntryObserver), when the snapshot holds a directory. Known before writing, so that the
// object's metadata can say so.
bool writesArchiveDigest(const TreeSnapshot &snapshot, ArchiveFormat format);

// The header bytes writeTar() makes of an entry (pax extensions included), without its data.
class TarHeaderEncoder
{
public:
    TarHeaderEncoder();
    ~TarHeaderEncoder();
    Q_DISABLE_COPY_MOVE(TarHeaderEncoder)
    // Empty when libarchive refuses the entry.
    QByteArray header(const TreeEntry &entry);

private:
    struct State;
    std::unique_ptr<State> d;
};

// What a tar entry's bytes are: (the hash of) its header's bytes and, for a file, the ContentDigest (hex) of its
// data (then the padding, zeros). Two entries with the same identity are the same bytes; the
// content digest is XXH3-128 (contentdigest.h), which a rebuild already trusts to call a tree
// unchanged. A restore makes it from the header bytes it read (SafeExtractor), a rebuild from
// the header this writer would write.
using TarEntryIdentity = std::array<char, 16>;
using TarHeaderHash = std::array<char, 32>;  // SHA-256 of a header's bytes
TarHeaderHash tarHeaderHash(QByteArrayView header);
TarEntryIdentity tarEntryIdentity(const TarHeaderHash &header, QByteArrayView contentDigest);
// Where an entry lies in a tar stream, and its identity when known.
struct TarLayoutEntry
{
    std::optional<TarEntryIdentity> identity;
    qint64 offset = 0;
    qint64 length = 0;
    bool operator==(const TarLayoutEntry &) const = default;
};

// The identity of entry `index` as writeTar() would write it; nullopt when its bytes cannot be
// known without reading it (a file without a content digest: it changed while it was hashed, or
// vanished) or are not header, data and padding (a file with holes).
std::optional<TarEntryIdentity> tarEntryIdentity(const TreeSnapshot &snapshot, qsizetype index, TarHeaderEncoder &encoder);

// Told where each entry begins in a tar stream, and asked whether to leave it out: a sink that
// already knows an entry's bytes (dedupwriter.h) then accounts for them itself, and the file is
// never read. Entries are finished (padded) before the next one begins, so each begins exactly
// where the previous one's bytes end.
class TarEntryObserver
{
public:
    virtual ~TarEntryObserver() = default;
    // Entry `index` of the snapshot begins here; true: leave it out of the stream.
    virtual bool beginEntry(qsizetype index) = 0;
    // After the last entry: the end-of-archive blocks follow.
    virtual void endEntries() = 0;
};

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
    // Tar formats only; the observer must outlive write().
    void setEntryObserver(TarEntryObserver *observer) { m_observer = observer; }

private:
    Error writeTar(const TreeSnapshot &snapshot, QIODevice *sink, const Cancellation *cancel,
                   const ProgressCallback &progress, WarningSink *warnings);

    ArchiveWriteOptions m_options;
    ArchiveStats m_stats;
    TarEntryObserver *m_observer = nullptr;
};

} // namespace s3cache
