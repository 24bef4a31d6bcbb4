#include "archivewriter.h"

#include "adaptivelevel.h"
#include "archivedigest.h"
#include "archiveio.h"
#include "fileblocks.h"
#include "gzipencoder.h"
#include "zipstreamwriter.h"
#include "zstdencoder.h"

#include "util/log.h"
#include "util/sha256.h"

#include <QIODevice>
#include <QScopeGuard>

#include <archive_entry.h>

#include <memory>
#include <optional>

namespace s3cache {

namespace {

constexpr qint64 SparseMinimum = 1024 * 1024;

void setTarHeader(struct archive_entry *entry, const TreeEntry &e)
{
    archive_entry_clear(entry);
    QByteArray name = e.path.toByteArray();
    if (e.type == TreeEntry::Directory)
        name.append('/');
    archive_entry_set_pathname(entry, name.constData());
    archive_entry_set_mtime(entry, e.mtime, e.mtimeNsec);
    archive_entry_set_uid(entry, 0);
    archive_entry_set_gid(entry, 0);
    switch (e.type) {
    case TreeEntry::Directory:
        archive_entry_set_mode(entry, AE_IFDIR | e.mode);
        break;
    case TreeEntry::Symlink:
        archive_entry_set_mode(entry, AE_IFLNK | e.mode);
        archive_entry_set_symlink(entry, e.linkTarget.toByteArray().constData());
        break;
    case TreeEntry::Hardlink:
        archive_entry_set_mode(entry, AE_IFREG | e.mode);
        archive_entry_set_hardlink(entry, e.linkTarget.toByteArray().constData());
        archive_entry_set_size(entry, 0);
        break;
    case TreeEntry::File:
        archive_entry_set_mode(entry, AE_IFREG | e.mode);
        archive_entry_set_size(entry, e.size);
        break;
    }
}

// libarchive's output while a TarHeaderEncoder captures a header; the zeros libarchive writes
// for the data the encoder never gives are dropped.
la_ssize_t captureHeader(struct archive *, void *client, const void *buffer, size_t length)
{
    auto *capture = static_cast<std::pair<QByteArray, bool> *>(client);
    if (capture->second)
        capture->first.append(static_cast<const char *>(buffer), qsizetype(length));
    return la_ssize_t(length);
}

void putNumber(Sha256 &hash, qint64 value)
{
    hash.addData(QByteArrayView(reinterpret_cast<const char *>(&value), sizeof value));
}

void putBytes(Sha256 &hash, QByteArrayView bytes)
{
    putNumber(hash, bytes.size());
    hash.addData(bytes);
}

Error cancelled()
{
    return Error(ErrorKind::Cancelled, QStringLiteral("Cancelled"), QStringLiteral("archiving was cancelled"));
}

} // namespace

bool writesArchiveDigest(const TreeSnapshot &snapshot, ArchiveFormat format)
{
    if (format == ArchiveFormat::Zip || format == ArchiveFormat::Dedup)
        return false;
    for (qsizetype i = 0; i < snapshot.size(); ++i) {
        if (snapshot.at(i).type == TreeEntry::Directory)
            return true;
    }
    return false;
}

struct TarHeaderEncoder::State
{
    ScopedLocale locale{"C.UTF-8"};
    std::pair<QByteArray, bool> capture;
    std::unique_ptr<struct archive, decltype(&archive_write_free)> archive{archive_write_new(), &archive_write_free};
    std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> entry{archive_entry_new(), &archive_entry_free};
};

TarHeaderEncoder::TarHeaderEncoder() : d(std::make_unique<State>())
{
    // The same settings as writeTar().
    archive_write_set_format_pax(d->archive.get());
    archive_write_set_bytes_per_block(d->archive.get(), 0);
    archive_write_open2(d->archive.get(), &d->capture, nullptr, captureHeader, nullptr, nullptr);
}

TarHeaderEncoder::~TarHeaderEncoder() = default;

QByteArray TarHeaderEncoder::header(const TreeEntry &entry)
{
    d->capture = {QByteArray(), true};
    setTarHeader(d->entry.get(), entry);
    const bool ok = archive_write_header(d->archive.get(), d->entry.get()) >= ARCHIVE_WARN;
    d->capture.second = false;
    archive_write_finish_entry(d->archive.get());
    return ok ? std::move(d->capture.first) : QByteArray();
}

TarHeaderHash tarHeaderHash(QByteArrayView header)
{
    const QByteArray digest = Sha256::raw(header);
    TarHeaderHash hash;
    std::copy_n(digest.constData(), hash.size(), hash.begin());
    return hash;
}

TarEntryIdentity tarEntryIdentity(const TarHeaderHash &header, QByteArrayView contentDigest)
{
    Sha256 hash;
    hash.addData(QByteArrayView(header.data(), qsizetype(header.size())));
    putBytes(hash, contentDigest);
    const QByteArray digest = hash.result();
    TarEntryIdentity identity;
    std::copy_n(digest.constData(), identity.size(), identity.begin());
    return identity;
}

std::optional<TarEntryIdentity> tarEntryIdentity(const TreeSnapshot &snapshot, qsizetype index, TarHeaderEncoder &encoder)
{
    const TreeEntry e = snapshot.at(index);
    const QByteArray content = e.type == TreeEntry::File ? snapshot.contentDigest(index) : QByteArray();
    if (e.type == TreeEntry::File
        && (content.isEmpty() || (e.size >= SparseMinimum && !sparseRegions(snapshot.sourcePath(e), e.size).isEmpty())))
        return std::nullopt;
    const QByteArray header = encoder.header(e);
    if (header.isEmpty())
        return std::nullopt;
    return tarEntryIdentity(tarHeaderHash(header), content);
}

ArchiveWriter::ArchiveWriter(ArchiveWriteOptions options) : m_options(options)
{
}

Error ArchiveWriter::write(const TreeSnapshot &snapshot, QIODevice *sink, const Cancellation *cancel,
                           const ProgressCallback &progress, WarningSink *warnings)
{
    m_stats = ArchiveStats{};
    m_stats.format = archiveFormatName(m_options.format);
    QString range;
    if (!compressionLevelValid(m_options.format, m_options.compressionLevel, &range))
        return Error(ErrorKind::InvalidInput, QStringLiteral("InvalidCompressionLevel"),
                     QStringLiteral("compression level %1 is not valid for %2 (valid: %3)")
                         .arg(m_options.compressionLevel).arg(m_stats.format, range));
    if (!sink || !sink->isWritable())
        return Error(ErrorKind::Internal, QStringLiteral("SinkNotWritable"), QStringLiteral("the archive output is not open for writing"));
    if (cancel && cancel->isCancelled())
        return cancelled();
    if (m_options.format == ArchiveFormat::Zip) {
        ZipStreamWriter zip(sink, m_options.compressionLevel);
        Error error = zip.write(snapshot, cancel, progress, warnings);
        m_stats.entries = zip.entriesWritten();
        m_stats.files = zip.filesWritten();
        m_stats.bytesIn = zip.fileBytesWritten();
        m_stats.bytesOut = zip.bytesWritten();
        return error;
    }
    return writeTar(snapshot, sink, cancel, progress, warnings);
}

Error ArchiveWriter::writeTar(const TreeSnapshot &snapshot, QIODevice *sink, const Cancellation *cancel,
                              const ProgressCallback &progress, WarningSink *warnings)
{
    // Names are bytes (fsname.h), given to libarchive as they are: in UTF-8, a valid UTF-8 name
    // goes into pax as it is, and one that is not makes libarchive store that entry's names with
    // hdrcharset=BINARY. ASCII names stay plain ustar headers. (Readers: archivereader.cpp.)
    const ScopedLocale locale("C.UTF-8");
    std::unique_ptr<StreamEncoder> encoder;
    ZstdEncoder *zstd = nullptr;
    std::optional<AdaptiveLevel> adaptive;
    if (m_options.format == ArchiveFormat::TarZstd) {
        auto owned = std::make_unique<ZstdEncoder>(m_options.compressionLevel, m_options.threads);
        zstd = owned.get();
        encoder = std::move(owned);
        // An explicit compression_level is a fixed level; the default adapts to an upload queue.
        if (m_options.compressionLevel == -1 && m_options.adaptiveLevel) {
            if (const auto *pressure = dynamic_cast<const OutputPressure *>(sink))
                adaptive.emplace(pressure);
        }
    } else if (m_options.format == ArchiveFormat::TarGzip)
        encoder = std::make_unique<GzipEncoder>(m_options.compressionLevel);
    if (encoder && !encoder->errorString().isEmpty())
        return Error(ErrorKind::Internal, QStringLiteral("CompressorFailed"), encoder->errorString());
    ArchiveSink out(sink, encoder.get());
    const std::unique_ptr<struct archive, decltype(&archive_write_free)> owner(archive_write_new(), &archive_write_free);
    struct archive *a = owner.get();
    // On any early return the archive must not be finished into the sink: the sink drops what
    // libarchive writes from then on. Closing still matters after a failed write, which leaves
    // libarchive in its fatal state, where archive_write_free() alone leaks the output filter.
    bool complete = false;
    const auto abandonUnlessComplete = qScopeGuard([&] {
        if (!complete) {
            out.abandon();
            archive_write_fail(a);  // close() then skips padding the entry: a cut TiB file would take seconds
            archive_write_close(a);
        }
    });

    const auto failure = [&](const QString &context) {
        if (out.failed())
            return Error(ErrorKind::Io, QStringLiteral("WriteFailed"),
                         QStringLiteral("writing the archive failed: %1").arg(out.errorString()));
        return Error(ErrorKind::Internal, QStringLiteral("ArchiveWriteFailed"),
                     QStringLiteral("%1: %2").arg(context, QString::fromUtf8(archive_error_string(a))));
    };

    // Full pax, not "restricted": an mtime with nanoseconds then gets a pax record (a whole-second one
    // still gets none, so entries cost no more), and restored build outputs keep exact timestamps.
    archive_write_set_format_pax(a);
    // Unblocked: libarchive hands each write straight to the sink instead of copying every byte
    // into 64 KiB blocks first (the encoder and the upload buffer their own way); no padding.
    archive_write_set_bytes_per_block(a, 0);
    if (out.open(a) != ARCHIVE_OK)
        return failure(QStringLiteral("starting the archive"));

    const std::unique_ptr<struct archive_entry, decltype(&archive_entry_free)> entryOwner(archive_entry_new(), &archive_entry_free);
    struct archive_entry *entry = entryOwner.get();
    // .dedup streams have no digest record (see writesArchiveDigest()).
    const bool recordDigest = m_options.format != ArchiveFormat::Dedup;
    std::optional<TreeEntry> firstDirectory;
    QByteArray buffer;
    QByteArray zeros;
    qint64 done = 0;
    ArchiveDigest digest;
    const auto finishEntry = [&] {
        return !m_observer || archive_write_finish_entry(a) == ARCHIVE_OK;
    };
    for (qsizetype i = 0; i < snapshot.size(); ++i) {
        if (cancel && cancel->isCancelled())
            return cancelled();
        const TreeEntry e = snapshot.at(i);
        if (!finishEntry())
            return failure(QStringLiteral("finishing the entry before %1").arg(e.pathString()));
        if (m_observer && m_observer->beginEntry(i)) {
            ++m_stats.entries;
            if (e.type == TreeEntry::File) {
                ++m_stats.files;
                m_stats.bytesIn += e.size;
                done += e.size;
                if (progress)
                    progress(done, snapshot.totalFileBytes);
            }
            continue;
        }
        setTarHeader(entry, e);
        if (e.type == TreeEntry::Directory && !firstDirectory && recordDigest)
            firstDirectory = e;
        // Sparse files keep their holes (GNU sparse 1.0 in pax): a 10 TB file of holes is archived
        // and restored in a moment, never expanded. Small files are not worth the extra open().
        const QList<FileRegion> regions = e.type == TreeEntry::File && e.size >= SparseMinimum
            ? sparseRegions(snapshot.sourcePath(e), e.size) : QList<FileRegion>();
        for (const FileRegion &r : regions)
            archive_entry_sparse_add_entry(entry, r.offset, r.length);
        if (archive_write_header(a, entry) < ARCHIVE_WARN)
            return failure(QStringLiteral("writing the header of %1").arg(e.pathString()));
        if (recordDigest)
            digest.addEntry(e.path, e.type, e.size, e.mode, e.mtime, e.linkTarget);
        ++m_stats.entries;
        if (e.type != TreeEntry::File)
            continue;
        const auto consume = [&](const char *data, qint64 size) -> Error {
            if (archive_write_data(a, data, size_t(size)) != size)
                return failure(QStringLiteral("writing %1").arg(e.pathString()));
            if (recordDigest)
                digest.addData(data, size);
            if (adaptive) {
                if (const std::optional<int> level = adaptive->consumed(size))
                    zstd->setLevel(*level);
            }
            done += size;
            m_stats.bytesIn += size;
            if (progress)
                progress(done, snapshot.totalFileBytes);
            return {};
        };
        // libarchive takes a sparse file's whole content and drops what falls in its holes: the
        // holes are passed as one zero block over and over, never read or hashed.
        const auto hole = [&](qint64 length) -> Error {
            if (zeros.isEmpty())
                zeros = QByteArray(ArchiveBlockSize, '\0');
            if (recordDigest)
                digest.addHole(length);
            for (qint64 left = length; left > 0;) {
                if (cancel && cancel->isCancelled())
                    return cancelled();
                const qint64 n = std::min<qint64>(left, zeros.size());
                if (archive_write_data(a, zeros.constData(), size_t(n)) != n)
                    return failure(QStringLiteral("writing %1").arg(e.pathString()));
                left -= n;
            }
            return {};
        };
        if (regions.isEmpty()) {
            if (Error error = readFileBlocks(snapshot.sourcePath(e), e.size, buffer, cancel, warnings, consume))
                return error;
        } else {
            qint64 at = 0;
            for (const FileRegion &r : regions) {
                if (Error error = hole(r.offset - at))
                    return error;
                if (Error error = readFileBlocks(snapshot.sourcePath(e), r.length, buffer, cancel, warnings, consume, r.offset))
                    return error;
                at = r.offset + r.length;
            }
            if (Error error = hole(e.size - at))
                return error;
        }
        ++m_stats.files;
    }
    if (m_observer) {
        if (!finishEntry())
            return failure(QStringLiteral("finishing the last entry"));
        m_observer->endEntries();
    }
    // The digest record follows the last entry (whose padding finish_entry writes), then the copy
    // of the first directory entry (archivedigest.h), then the end-of-archive blocks of close().
    if (firstDirectory) {
        if (archive_write_finish_entry(a) != ARCHIVE_OK)
            return failure(QStringLiteral("finishing the last entry"));
        const QByteArray trailer = ArchiveDigest::tarTrailer(digest.record());
        if (!out.writeRaw(trailer.constData(), trailer.size()))
            return failure(QStringLiteral("writing the archive digest"));
        setTarHeader(entry, *firstDirectory);
        if (archive_write_header(a, entry) < ARCHIVE_WARN)
            return failure(QStringLiteral("writing the archive digest"));
    }
    if (archive_write_close(a) != ARCHIVE_OK)
        return failure(QStringLiteral("finishing the archive"));
    complete = true;
    m_stats.bytesOut = out.bytesWritten();
    if (adaptive)
        Log::info(QStringLiteral("zstd level adapted to the upload %1 times; MiB of file data per level: %2")
                      .arg(adaptive->changes()).arg(adaptive->summary()));
    return {};
}

} // namespace s3cache
