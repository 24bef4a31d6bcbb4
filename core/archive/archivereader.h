#pragma once
// Reading archives from a stream: the codec (zstd, gzip, none) and the format (tar in all its
// dialects, zip) are detected from the bytes. ArchiveReader is the libarchive read setup shared
// by listArchive() and SafeExtractor; errors are typed: a damaged archive is ErrorKind::Corrupt
// with libarchive's message, a failing source ErrorKind::Io with the device's error string.
//
// Nothing is taken on trust at the end: the stream is read to its real end (libarchive stops
// after the tar's end marker, before gzip's CRC or a zstd checksum), a tar must end with its
// end-of-archive marker and a zip with its end record (a cut at an entry boundary is refused),
// and an archive that carries s3cache's digest (archivedigest.h) must match it entry by entry.

#include "archiveformat.h"
#include "archivewriter.h"
#include "treesnapshot.h"

#include "util/cancellation.h"
#include "util/error.h"
#include "util/result.h"

#include <functional>
#include <memory>
#include <optional>

class QIODevice;

namespace s3cache {

struct ArchiveEntryInfo
{
    QString path;  // as stored, without a trailing '/'; bytes that are not UTF-8 escaped (fsname.h:
                   // fsNameForDisplay() to show it)
    TreeEntry::Type type = TreeEntry::File;
    qint64 size = 0;
    qint64 mtime = 0;
    quint32 mode = 0;  // permission bits (07777)
    QString linkTarget;
};

// Lists the entries of an archive stream without writing anything to disk; the callback returns
// false to stop early. Devices, fifos and sockets in the archive are not reported.
Error listArchive(QIODevice *source, const std::function<bool(const ArchiveEntryInfo &)> &callback,
                  const Cancellation *cancel = nullptr, ArchiveStats *stats = nullptr, bool requireDigest = false);

// One entry of a zip's central directory: its name's bytes and, when a Unix system wrote it,
// its type and mode (st_mode bits; 0 otherwise).
struct ZipCentralEntry
{
    QByteArray name;
    quint32 mode = 0;
};

class ArchiveReader
{
public:
    // The most of a zip's central directory zipCentralDirectory() reads (~200,000 entries).
    static constexpr qsizetype ZipCentralDirectoryLimit = 16 * 1024 * 1024;

    struct Entry
    {
        ArchiveEntryInfo info;
        qint32 mtimeNsec = 0;
        bool special = false;  // device, fifo or socket: never extracted
    };
    // Called with consecutive data blocks; `offset` is where the block starts in the file (sparse
    // tar entries have holes).
    using DataConsumer = std::function<Error(const char *data, size_t size, qint64 offset)>;

    // requireDigest: the archive was written by s3cache with its digest (the object's metadata
    // says so), so an archive without one was cut short or damaged.
    ArchiveReader(QIODevice *source, const Cancellation *cancel, bool requireDigest = false);
    ~ArchiveReader();
    Q_DISABLE_COPY_MOVE(ArchiveReader)

    // The next entry's header into *entry (the data of the entry before, if not read, is read
    // through); false at the verified end of the archive.
    Result<bool> next(Entry *entry);
    Error readData(const DataConsumer &consume);
    Error skipData();
    // Where the entries of a tar lie in its decoded stream, recorded by next() after
    // setRecordLayout() (before the first next()): entry k (the k-th that next() returned) spans
    // [offset, offset + length), up to where the next one begins (the last: up to its padding's
    // end). `header` is the hash of its header bytes when the entry is plain (its header, then its
    // data, then zeros up to the next header; a sparse file never is). What a restore needs to
    // record the stream's layout (streammap.h). An entry is finished when the next header (or the
    // end) has been read: takeFinishedLayoutEntry() after next() gives the one before the entry it
    // returned (nothing after the first), and after next() returned false the last one.
    struct LayoutEntry
    {
        qint64 offset = 0;
        qint64 length = 0;
        std::optional<TarHeaderHash> header;
    };
    void setRecordLayout(bool record);
    std::optional<LayoutEntry> takeFinishedLayoutEntry();

    // "tar.zst", "tar.gz", "tar", "zip" once the first header has been read.
    QString formatName() const;
    qint64 bytesRead() const;
    // After next() returned false: whether s3cache's digest was found and matched.
    bool digestVerified() const;
    // After next() returned false, for a zip: its central directory, which alone gives the type
    // and mode of entries whose local header has no "xl" field (Info-ZIP, Python: a symbolic link
    // streams as a file holding its target). nullopt when the directory is larger than
    // ZipCentralDirectoryLimit; empty for tar.
    std::optional<QList<ZipCentralEntry>> zipCentralDirectory() const;

private:
    Error failure(const QString &context) const;
    Error verifyEnd();
    // The last recorded entry ends at `end` (where the next begins, or the end of its padding).
    void finishLayoutEntry(qint64 end);

    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace s3cache
