#include "archivereader.h"

#include "archiveio.h"

#include <archive_entry.h>
#include <sys/stat.h>

namespace s3cache {

struct ArchiveReader::Private
{
    Private(QIODevice *device, const Cancellation *c) : source(device, c) {}
    ScopedUtf8Locale locale;  // before the archive: libarchive picks its charset when created
    ArchiveSource source;
    std::unique_ptr<struct archive, decltype(&archive_read_free)> archive{archive_read_new(), &archive_read_free};
    bool opened = false;
    bool openFailed = false;
    QString lastPath;
};

namespace {

QString utf8OrRaw(const char *utf8, const char *raw)
{
    return QString::fromUtf8(utf8 ? utf8 : raw);
}

} // namespace

ArchiveReader::ArchiveReader(QIODevice *source, const Cancellation *cancel) : d(std::make_unique<Private>(source, cancel))
{
    struct archive *a = d->archive.get();
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
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
        if (d->source.open(a) != ARCHIVE_OK) {
            d->openFailed = true;
            return failure(QStringLiteral("not a readable archive"));
        }
    }
    if (d->openFailed)
        return failure(QStringLiteral("not a readable archive"));
    struct archive_entry *e = nullptr;
    const int rc = archive_read_next_header(a, &e);
    if (rc == ARCHIVE_EOF)
        return false;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {  // ARCHIVE_RETRY is a damaged header too
        return failure(d->lastPath.isEmpty() ? QStringLiteral("corrupt archive")
                                             : QStringLiteral("corrupt archive after entry \"%1\"").arg(d->lastPath));
    }
    ArchiveEntryInfo &info = entry->info;
    info.path = utf8OrRaw(archive_entry_pathname_utf8(e), archive_entry_pathname(e));
    while (info.path.size() > 1 && info.path.endsWith(u'/'))
        info.path.chop(1);
    d->lastPath = info.path;
    info.size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    info.mtime = archive_entry_mtime(e);
    entry->mtimeNsec = qint32(archive_entry_mtime_nsec(e));
    info.mode = archive_entry_perm(e) & 07777;
    info.linkTarget.clear();
    entry->special = false;
    const char *hardlink = archive_entry_hardlink(e);
    if (hardlink) {
        info.type = TreeEntry::Hardlink;
        info.linkTarget = utf8OrRaw(archive_entry_hardlink_utf8(e), hardlink);
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
            info.linkTarget = utf8OrRaw(archive_entry_symlink_utf8(e), archive_entry_symlink(e));
            info.size = 0;
            break;
        default:
            entry->special = true;
            break;
        }
    }
    return true;
}

Error ArchiveReader::readData(const DataConsumer &consume)
{
    struct archive *a = d->archive.get();
    for (;;) {
        const void *block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        const int rc = archive_read_data_block(a, &block, &size, &offset);
        if (rc == ARCHIVE_EOF)
            return {};
        if (rc != ARCHIVE_OK)
            return failure(QStringLiteral("corrupt archive at entry \"%1\"").arg(d->lastPath));
        if (Error e = consume(static_cast<const char *>(block), size, offset))
            return e;
    }
}

Error ArchiveReader::skipData()
{
    if (archive_read_data_skip(d->archive.get()) != ARCHIVE_OK)
        return failure(QStringLiteral("corrupt archive at entry \"%1\"").arg(d->lastPath));
    return {};
}

QString ArchiveReader::formatName() const
{
    struct archive *a = d->archive.get();
    if ((archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP)
        return QStringLiteral("zip");
    if (d->source.decodesZstd())
        return QStringLiteral("tar.zst");
    switch (archive_filter_code(a, 0)) {
    case ARCHIVE_FILTER_ZSTD: return QStringLiteral("tar.zst");
    case ARCHIVE_FILTER_GZIP: return QStringLiteral("tar.gz");
    default: return QStringLiteral("tar");
    }
}

qint64 ArchiveReader::bytesRead() const
{
    return d->source.bytesRead();
}

Error listArchive(QIODevice *source, const std::function<bool(const ArchiveEntryInfo &)> &callback,
                  const Cancellation *cancel, ArchiveStats *stats)
{
    ArchiveReader reader(source, cancel);
    ArchiveStats local;
    ArchiveReader::Entry entry;
    Error error;
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
        if (!*more)
            break;
        local.format = reader.formatName();
        if (entry.special)
            continue;
        ++local.entries;
        if (entry.info.type == TreeEntry::File) {
            ++local.files;
            local.bytesIn += entry.info.size;
        }
        if (!callback(entry.info))
            break;
    }
    local.bytesOut = reader.bytesRead();
    if (stats)
        *stats = local;
    return error;
}

} // namespace s3cache
