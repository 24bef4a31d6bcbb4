#pragma once
// ArchiveDigest: what s3cache records at the end of every tar it writes, so that a restore can
// prove it got exactly that archive (internal to the archive layer).
//
// The digest covers what an archive means, entry by entry (name, type, size, mode, mtime in
// seconds, link target, and the file data with its holes), not the bytes that carry it: the
// writer computes it from what it puts into each entry, the reader from what libarchive hands
// back. A flipped byte in a plain tar's file data, a zstd frame without a content checksum, a
// tar cut at an entry boundary: all change it.
//
// The record is a pax global header ('g', POSIX.1-2001) after the last entry with one standard
// `comment` keyword, which every tar ignores:
//     comment=s3cache-archive-digest v1 entries=<n> bytes=<file bytes> xxh3=<32 hex digits>
// Python's tarfile cannot read a pax header that no entry follows, so the record is followed by
// a copy of the archive's first directory entry (same name, mode and time: extracting it again
// changes nothing in any tool), and the digest covers every entry before that copy. An archive
// without any directory entry (only file mounts) gets no record.
// It detects damage, not forgery: a hostile cache can carry a matching record for anything, which
// is why SafeExtractor checks every path instead.

#include "treesnapshot.h"

#include "util/contentdigest.h"

#include <QByteArray>

#include <optional>

namespace s3cache {

class ArchiveDigest
{
public:
    struct Record
    {
        qint64 entries = 0;
        qint64 bytes = 0;
        QByteArray digest;  // 32 hex digits
        bool operator==(const Record &) const = default;
    };

    // One entry (its data, if any, follows through addData()/addHole()). The record of the
    // entries before it is kept (beforeLastEntry()).
    void addEntry(QByteArrayView path, TreeEntry::Type type, qint64 size, quint32 mode, qint64 mtime,
                  QByteArrayView linkTarget);
    void addData(const char *data, qint64 size);
    // A hole of `length` zero bytes in a sparse file (adjacent holes may come in pieces).
    void addHole(qint64 length);
    // The record of every entry added so far.
    Record record();
    // The record as it was before the last addEntry(): what a reader compares, since the last
    // entry of an archive with a record is the copy that follows it.
    const Record &beforeLastEntry() const { return m_beforeLast; }

    // The 512-byte-aligned pax global header block(s) holding `record`.
    static QByteArray tarTrailer(const Record &record);
    // The record in the tail of a decoded tar stream (the last bytes, ending where the stream
    // ends; `tail` must start on a 512-byte boundary of the stream): nullopt unless the tar ends
    // with the record, a directory header and the end-of-archive blocks (written by another
    // tool, or damaged).
    static std::optional<Record> findTarTrailer(QByteArrayView tail);

private:
    void flushHole();

    ContentDigest m_digest;
    qint64 m_entries = 0;
    qint64 m_bytes = 0;
    qint64 m_hole = 0;  // zero bytes not yet recorded (merged so that piece boundaries never count)
    Record m_beforeLast;
};

// Whether the tail of a decoded tar stream ends with tar's end-of-archive marker (two zero
// blocks, then only zeros): a tar cut at an entry boundary does not.
bool tarEndsWithEndOfArchive(QByteArrayView tail, qint64 streamLength);

} // namespace s3cache
