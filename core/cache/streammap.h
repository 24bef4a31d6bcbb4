#pragma once
// StreamMap: the layout of the last `.dedup` tar stream a rebuild of these mounts wrote from this
// workspace: each entry's identity (archivewriter.h's tarEntryIdentity()) and place in the
// stream, and the chunks the stream was cut into. The next rebuild of the same mounts leaves out
// of its stream the entries that did not change and reuses their chunks without reading the
// files (DedupWriter), so a rebuild after a small change reads little more than the change.
//
// It lives in the workspace, like the ContentState whose digests the identities are made of, as
// fileName(mounts) under archiveio.h's reservedPrefix(): the scanner never archives it, the
// extractor never restores one, so a cache cannot plant one. It is only a hint: a chunk is
// reused only while the chunk area's index has it in a pack that still exists; a missing,
// corrupt (checksummed), foreign-version or other area's map is not used (a debug log line),
// and a failed save only costs the next rebuild its reading.
//
// Format (little endian): "S3CACHE-DEDUP-MAP 1\n", u32 area length, the area's UTF-8 bytes,
// u32 entry count, each entry: u8 1 and its 16 identity bytes (or u8 0: no identity), u64
// length in the stream (they follow each other from offset 0); u32 chunk count, each chunk: its
// 32 hash bytes, u32 raw length (back to back from 0); then the XXH3-128 of all before.

#include "dedupformat.h"

#include "archive/archivewriter.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace s3cache {

struct StreamMap
{
    using Entry = TarLayoutEntry;
    struct Chunk
    {
        QByteArray hash;  // 32 bytes, SHA-256 of the raw bytes
        qint64 offset = 0;
        qint64 size = 0;
        bool operator==(const Chunk &) const = default;
    };

    QString area;           // the chunk area the chunks are in
    QList<Entry> entries;   // in stream order
    QList<Chunk> chunks;    // in stream order, covering at least every entry

    // The map of a stream whose chunks `manifest` lists, with those entries.
    static StreamMap of(const Manifest &manifest, QList<Entry> entries);

    bool isEmpty() const { return entries.isEmpty(); }
    bool operator==(const StreamMap &) const = default;

    // ".s3cache-dedup-<16 hex digits of the hash of the mounts joined by ','>": one map for each
    // set of mounts (a restore knows them joined, from the cache's metadata).
    static QString fileName(const QStringList &mounts);
    // The map saved for `mounts` in `workspace` for chunk area `area`; empty (with a debug log
    // line saying why) when there is none or it cannot be used.
    static StreamMap load(const QString &workspace, const QStringList &mounts, const QString &area);
    // Writes it atomically; false (and a debug log line) when that fails.
    bool save(const QString &workspace, const QStringList &mounts) const;

    QByteArray encode() const;
    static std::optional<StreamMap> decode(const QByteArray &bytes, QString *why);
};

} // namespace s3cache
