#include "archivereader.h"

#include "archivedigest.h"
#include "archiveio.h"
#include "fsname.h"

#include <archive_entry.h>
#include <sys/stat.h>

#include <optional>
#include <utility>

namespace s3cache {

struct ArchiveReader::Private
{
    Private(QIODevice *device, const Cancellation *c, bool require) : source(device, c), requireDigest(require) {}
    std::optional<ScopedLocale> locale;  // chosen by format in next() (see the note on names); outlives the archive
    ArchiveSource source;
    std::unique_ptr<struct archive, decltype(&archive_read_free)> archive{archive_read_new(), &archive_read_free};
    bool opened = false;
    bool openFailed = false;
    bool requireDigest;
    bool digestVerified = false;
    bool zip = false;
    std::optional<QList<ZipCentralEntry>> zipDirectory = QList<ZipCentralEntry>();
    QString lastPath;
    ArchiveDigest digest;
    bool dataPending = false;  // the current entry's data has not been read yet
    qint64 dataEnd = 0;        // how far the current entry's data has been read
    qint64 dataSize = 0;
    TreeEntry::Type lastType = TreeEntry::File;
    bool recordLayout = false;
    std::optional<ArchiveReader::LayoutEntry> layoutCurrent;   // the entry next() returned last
    std::optional<ArchiveReader::LayoutEntry> layoutFinished;  // the one before it, until taken
    qint64 layoutDataAt = -1;  // the current entry's data offset, -1 when it is not plain
    qint64 layoutSize = 0;
};

namespace {

qint64 roundUpToBlock(qint64 size)
{
    return (size + 511) / 512 * 512;
}

// Names are bytes (fsname.h), and libarchive converts the names an archive declares UTF-8 (pax
// headers without hdrcharset=BINARY, zip names with the UTF-8 flag) to the locale's charset,
// normalising them to NFC: "Café" in NFD would come back in NFC. The locale is chosen by format,
// before the first header (libarchive takes the charset at its first conversion):
//  - tar: "C". A non-ASCII pax name cannot be converted to ASCII, and libarchive then gives the
//    name's bytes as the archive has them: every tar name round-trips byte for byte.
//  - zip: C.UTF-8. A flagged name that failed to convert would be lost, so it is converted (NFC),
//    and s3cache flags only names in NFC (zipstreamwriter.cpp); unflagged names are raw bytes.
bool isZip(const QByteArray &head)
{
    return head.startsWith("PK\x03\x04") || head.startsWith("PK\x05\x06");
}

quint64 le(QByteArrayView bytes, qsizetype at, int size)
{
    quint64 value = 0;
    for (int i = size - 1; i >= 0; --i)
        value = (value << 8) | uchar(bytes[at + i]);
    return value;
}

// The central directory of a zip whose last `tail.size()` bytes (of `length`) are `tail`, from
// the end record at `end`; nullopt when it does not lie within the tail. Zip64 sizes and offsets
// come from the zip64 end record that the locator before the end record points to.
std::optional<QList<ZipCentralEntry>> parseCentralDirectory(QByteArrayView tail, qint64 length, qsizetype end)
{
    const qint64 tailStart = length - tail.size();
    quint64 size = le(tail, end + 12, 4);
    quint64 offset = le(tail, end + 16, 4);
    const qsizetype locator = end - 20;
    if ((size == 0xffffffff || offset == 0xffffffff) && locator >= 0 && tail.sliced(locator).startsWith("PK\x06\x07")) {
        const qint64 record = qint64(le(tail, locator + 8, 8)) - tailStart;
        if (record < 0 || record + 56 > tail.size() || !tail.sliced(record).startsWith("PK\x06\x06"))
            return std::nullopt;
        size = le(tail, record + 40, 8);
        offset = le(tail, record + 48, 8);
    }
    qint64 at = qint64(offset) - tailStart;
    if (at < 0 || at > end || !tail.sliced(at).startsWith("PK\x01\x02"))
        at = end - qint64(size);  // data before the zip (a self-extractor) shifts the offsets
    if (at < 0 || qint64(size) > end)
        return std::nullopt;
    QList<ZipCentralEntry> entries;
    while (at + 46 <= end && tail.sliced(at).startsWith("PK\x01\x02")) {
        const qsizetype nameLength = qsizetype(le(tail, at + 28, 2));
        const qsizetype next = at + 46 + nameLength + qsizetype(le(tail, at + 30, 2)) + qsizetype(le(tail, at + 32, 2));
        if (next > end)
            break;
        const bool unix = le(tail, at + 5, 1) == 3;  // "version made by": its high byte is the system
        entries.append({tail.sliced(at + 46, nameLength).toByteArray(), unix ? quint32(le(tail, at + 38, 4) >> 16) : 0});
        at = next;
    }
    return entries;
}

QByteArray trimmedName(const char *name)
{
    QByteArray bytes(name);
    while (bytes.size() > 1 && bytes.endsWith('/'))
        bytes.chop(1);
    return bytes;
}

} // namespace

ArchiveReader::ArchiveReader(QIODevice *source, const Cancellation *cancel, bool requireDigest)
    : d(std::make_unique<Private>(source, cancel, requireDigest))
{
    struct archive *a = d->archive.get();
    // No libarchive filters: ArchiveSource decodes zstd and gzip itself, verifying them.
    archive_read_support_format_tar(a);
    archive_read_support_format_zip_streamable(a);
}

ArchiveReader::~ArchiveReader() = default;

Error ArchiveReader::failure(const QString &context) const
{
    if (d->source.cancelled())
        return Error(ErrorKind::Cancelled, QStringLiteral("Cancelled"), QStringLiteral("reading the archive was cancelled"));
    if (d->source.failed())
        return Error(ErrorKind::Io, QStringLiteral("ReadFailed"), QStringLiteral("reading the archive failed: %1").arg(d->source.errorString()));
    // The read-ahead thread's zstd decoder, or libarchive's own parsers and decoders.
    const QByteArray message = d->source.corrupt() ? d->source.errorString().toUtf8() : QByteArray(archive_error_string(d->archive.get()));
    return Error(ErrorKind::Corrupt, QStringLiteral("CorruptArchive"),
                 QStringLiteral("%1: %2").arg(context, message.isEmpty() ? QStringLiteral("unknown error") : QString::fromUtf8(message)));
}

Result<bool> ArchiveReader::next(Entry *entry)
{
    struct archive *a = d->archive.get();
    if (!d->opened) {
        d->opened = true;
        d->zip = isZip(d->source.peek(4));
        d->locale.emplace(d->zip ? "C.UTF-8" : "C");
        if (d->zip)
            d->source.setTailSize(ZipCentralDirectoryLimit + ArchiveSource::TailSize);
        if (d->source.open(a) != ARCHIVE_OK) {
            d->openFailed = true;
            return failure(QStringLiteral("not a readable archive"));
        }
    }
    if (d->openFailed)
        return failure(QStringLiteral("not a readable archive"));
    if (d->dataPending) {
        if (Error error = skipData())
            return error;
    }
    struct archive_entry *e = nullptr;
    const int rc = archive_read_next_header(a, &e);
    if (rc == ARCHIVE_EOF) {
        if (d->recordLayout && d->layoutCurrent)
            finishLayoutEntry(d->layoutDataAt >= 0 ? d->layoutDataAt + roundUpToBlock(d->layoutSize) : d->layoutCurrent->offset);
        if (Error error = verifyEnd())
            return error;
        return false;
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {  // ARCHIVE_RETRY is a damaged header too
        return failure(d->lastPath.isEmpty() ? QStringLiteral("corrupt archive")
                                             : QStringLiteral("corrupt archive after entry \"%1\"").arg(d->lastPath));
    }
    ArchiveEntryInfo &info = entry->info;
    const char *pathname = archive_entry_pathname(e);
    if (pathname == nullptr) {  // a name the archive declares UTF-8 but that is not
        return Error(ErrorKind::Corrupt, QStringLiteral("CorruptArchive"),
                     QStringLiteral("corrupt archive: the name of the entry after \"%1\" cannot be read: %2")
                         .arg(d->lastPath, QString::fromUtf8(archive_error_string(a))));
    }
    const QByteArray storedPath = trimmedName(pathname);
    info.path = fsNameFromBytes(storedPath);
    d->lastPath = fsNameForDisplay(info.path);  // for messages
    info.size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    info.mtime = archive_entry_mtime(e);
    entry->mtimeNsec = qint32(archive_entry_mtime_nsec(e));
    info.mode = archive_entry_perm(e) & 07777;
    info.linkTarget.clear();
    entry->special = false;
    const char *hardlink = archive_entry_hardlink(e);
    if (hardlink) {
        info.type = TreeEntry::Hardlink;
        info.linkTarget = fsNameFromBytes(hardlink);
        info.size = 0;
    } else {
        switch (archive_entry_filetype(e)) {
        case AE_IFREG:
            info.type = TreeEntry::File;
            break;
        case AE_IFDIR:
            info.type = TreeEntry::Directory;
            info.size = 0;
            break;
        case AE_IFLNK:
            info.type = TreeEntry::Symlink;
            info.linkTarget = fsNameFromBytes(archive_entry_symlink(e));
            info.size = 0;
            break;
        default:
            entry->special = true;
            break;
        }
    }
    d->digest.addEntry(storedPath, info.type, info.size, info.mode, info.mtime,
                       hardlink ? QByteArrayView(hardlink) : QByteArrayView(archive_entry_symlink(e)));
    if (d->recordLayout && !d->zip) {
        const qint64 at = archive_read_header_position(a);
        if (d->layoutCurrent)
            finishLayoutEntry(at);
        const qint64 dataAt = archive_filter_bytes(a, 0);
        const bool plain = !entry->special && archive_entry_sparse_count(e) == 0 && at >= 0 && dataAt > at;
        const std::optional<QByteArray> header = plain ? d->source.decoded(at, qsizetype(dataAt - at)) : std::nullopt;
        d->layoutCurrent = LayoutEntry{at, 0, header ? std::optional(tarHeaderHash(*header)) : std::nullopt};
        d->layoutDataAt = header ? dataAt : -1;
        d->layoutSize = info.type == TreeEntry::File ? info.size : 0;
    }
    d->lastType = entry->special ? TreeEntry::File : info.type;
    d->dataPending = info.type == TreeEntry::File && !entry->special;
    d->dataEnd = 0;
    d->dataSize = info.size;
    return true;
}

void ArchiveReader::setRecordLayout(bool record)
{
    d->recordLayout = record;
    d->source.keepRecentBlocks(record ? 3 : 0);
}

std::optional<ArchiveReader::LayoutEntry> ArchiveReader::takeFinishedLayoutEntry()
{
    return std::exchange(d->layoutFinished, std::nullopt);
}

void ArchiveReader::finishLayoutEntry(qint64 end)
{
    LayoutEntry last = *std::exchange(d->layoutCurrent, std::nullopt);
    // Plain: its data ends where the padding starts, and the padding (zeros) where `end` is.
    const qint64 dataEnd = d->layoutDataAt + d->layoutSize;
    const qint64 paddedEnd = d->layoutDataAt + roundUpToBlock(d->layoutSize);
    if (d->layoutDataAt < 0 || end != paddedEnd) {
        last.header.reset();
    } else {
        const std::optional<QByteArray> padding = d->source.decoded(dataEnd, qsizetype(paddedEnd - dataEnd));
        if (!padding || padding->count('\0') != padding->size())
            last.header.reset();
    }
    last.length = end - last.offset;
    if (last.length < 0) {
        last.length = 0;
        last.header.reset();
    }
    d->layoutFinished = last;
}

Error ArchiveReader::readData(const DataConsumer &consume)
{
    struct archive *a = d->archive.get();
    d->dataPending = false;
    for (;;) {
        const void *block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        const int rc = archive_read_data_block(a, &block, &size, &offset);
        if (rc == ARCHIVE_EOF) {
            if (d->dataSize > d->dataEnd)
                d->digest.addHole(d->dataSize - d->dataEnd);
            return {};
        }
        if (rc != ARCHIVE_OK)
            return failure(QStringLiteral("corrupt archive at entry \"%1\"").arg(d->lastPath));
        if (offset > d->dataEnd)
            d->digest.addHole(offset - d->dataEnd);
        d->digest.addData(static_cast<const char *>(block), qint64(size));
        d->dataEnd = std::max<qint64>(d->dataEnd, offset + qint64(size));
        if (Error e = consume(static_cast<const char *>(block), size, offset))
            return e;
    }
}

Error ArchiveReader::skipData()
{
    // Read through, not skipped: the archive digest covers every byte.
    return readData([](const char *, size_t, qint64) { return Error(); });
}

Error ArchiveReader::verifyEnd()
{
    const auto corrupt = [](const QString &why) { return Error(ErrorKind::Corrupt, QStringLiteral("CorruptArchive"), why); };
    if (!d->source.drain())
        return failure(QStringLiteral("damaged archive after its last entry"));
    const QByteArray tail = d->source.tail();
    const qint64 length = d->source.decodedBytes();
    if ((archive_format(d->archive.get()) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP) {
        const qsizetype end = tail.lastIndexOf(QByteArrayView("PK\x05\x06", 4));
        if (end < 0 || tail.size() - end < 22)
            return corrupt(QStringLiteral("the zip archive is cut short: its end record is missing"));
        d->zipDirectory = parseCentralDirectory(tail, length, end);
        return {};
    }
    const qint64 start = length - tail.size();
    const QByteArrayView aligned = QByteArrayView(tail).sliced(qsizetype((512 - start % 512) % 512));
    if (!tarEndsWithEndOfArchive(aligned, length))
        return corrupt(QStringLiteral("the archive is cut short: it ends without tar's end-of-archive marker"));
    const std::optional<ArchiveDigest::Record> recorded = ArchiveDigest::findTarTrailer(aligned);
    if (!recorded) {
        if (d->requireDigest)
            return corrupt(QStringLiteral("the archive is cut short or damaged: the digest recorded at its end when it "
                                          "was written is missing"));
        return {};
    }
    const ArchiveDigest::Record &computed = d->digest.beforeLastEntry();
    if (d->lastType != TreeEntry::Directory || computed != *recorded)
        return corrupt(QStringLiteral("the archive does not match the digest recorded when it was written (%1 entries, "
                                      "%2 file bytes; read: %3 entries, %4 file bytes): it was damaged in storage or "
                                      "transfer")
                           .arg(recorded->entries).arg(recorded->bytes).arg(computed.entries).arg(computed.bytes));
    d->digestVerified = true;
    return {};
}

std::optional<QList<ZipCentralEntry>> ArchiveReader::zipCentralDirectory() const
{
    return d->zipDirectory;
}

bool ArchiveReader::digestVerified() const
{
    return d->digestVerified;
}

QString ArchiveReader::formatName() const
{
    struct archive *a = d->archive.get();
    if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP)
        return QStringLiteral("zip");
    switch (d->source.codec()) {
    case ArchiveSource::Codec::Zstd: return QStringLiteral("tar.zst");
    case ArchiveSource::Codec::Gzip: return QStringLiteral("tar.gz");
    case ArchiveSource::Codec::None: break;
    }
    return QStringLiteral("tar");
}

qint64 ArchiveReader::bytesRead() const
{
    return d->source.bytesRead();
}

Error listArchive(QIODevice *source, const std::function<bool(const ArchiveEntryInfo &)> &callback,
                  const Cancellation *cancel, ArchiveStats *stats, bool requireDigest)
{
    ArchiveReader reader(source, cancel, requireDigest);
    ArchiveStats local;
    ArchiveReader::Entry entry;
    Error error;
    // Each entry is reported once the next one is read: the last one may turn out to be the copy
    // that follows the archive digest (archivedigest.h), which is not part of the tree.
    std::optional<ArchiveEntryInfo> held;
    const auto report = [&] {
        ++local.entries;
        if (held->type == TreeEntry::File) {
            ++local.files;
            local.bytesIn += held->size;
        }
        return callback(*std::exchange(held, std::nullopt));
    };
    for (;;) {
        if (cancel && cancel->isCancelled()) {
            error = Error(ErrorKind::Cancelled, QStringLiteral("Cancelled"), QStringLiteral("reading the archive was cancelled"));
            break;
        }
        const Result<bool> more = reader.next(&entry);
        if (!more.ok()) {
            error = more.error();
            break;
        }
        if (!*more) {
            if (held && !reader.digestVerified())
                report();
            break;
        }
        local.format = reader.formatName();
        if (entry.special)
            continue;
        if (held && !report())
            break;
        held = entry.info;
    }
    local.bytesOut = reader.bytesRead();
    if (stats)
        *stats = local;
    return error;
}

} // namespace s3cache
