#include "archiveio.h"

#include "zstdencoder.h"

#include <QIODevice>
#include <QStringList>

#include <cerrno>

namespace s3cache {

QString stagingPrefix()
{
    return QStringLiteral(".s3cache-staging-");
}

std::optional<QString> normalizeRelativePath(const QString &path)
{
    QStringList parts;
    for (const QString &part : path.split(u'/', Qt::SkipEmptyParts)) {
        if (part == u".")
            continue;
        if (part == u"..") {
            if (parts.isEmpty())
                return std::nullopt;
            parts.removeLast();
            continue;
        }
        parts << part;
    }
    return parts.join(u'/');
}

ScopedUtf8Locale::ScopedUtf8Locale()
{
    m_utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", locale_t(0));
    if (m_utf8 != locale_t(0))
        m_previous = uselocale(m_utf8);
}

ScopedUtf8Locale::~ScopedUtf8Locale()
{
    if (m_utf8 != locale_t(0)) {
        uselocale(m_previous);
        freelocale(m_utf8);
    }
}

ArchiveSink::ArchiveSink(QIODevice *device, ZstdEncoder *encoder) : m_device(device), m_encoder(encoder)
{
}

int ArchiveSink::open(struct archive *archive)
{
    return archive_write_open2(archive, this, nullptr, &ArchiveSink::write, &ArchiveSink::close, nullptr);
}

bool ArchiveSink::writeToDevice(const char *data, qint64 size)
{
    while (size > 0) {
        const qint64 n = m_device->write(data, size);
        if (n <= 0) {
            m_error = m_device->errorString().isEmpty() ? QStringLiteral("the output accepted no data")
                                                        : m_device->errorString();
            return false;
        }
        data += n;
        size -= n;
        m_bytesWritten += n;
    }
    return true;
}

la_ssize_t ArchiveSink::write(struct archive *archive, void *client, const void *buffer, size_t length)
{
    auto *sink = static_cast<ArchiveSink *>(client);
    if (sink->m_abandoned)
        return la_ssize_t(length);
    const char *data = static_cast<const char *>(buffer);
    const bool ok = sink->m_encoder
        ? sink->m_encoder->compress(data, qint64(length), [sink](const char *out, qint64 size) { return sink->writeToDevice(out, size); })
        : sink->writeToDevice(data, qint64(length));
    if (!ok) {
        if (!sink->failed())
            sink->m_error = sink->m_encoder->errorString();
        archive_set_error(archive, EIO, "%s", sink->m_error.toUtf8().constData());
        return -1;
    }
    return la_ssize_t(length);
}

int ArchiveSink::close(struct archive *archive, void *client)
{
    auto *sink = static_cast<ArchiveSink *>(client);
    if (!sink->m_encoder || sink->failed() || sink->m_abandoned)
        return ARCHIVE_OK;
    if (!sink->m_encoder->finish([sink](const char *out, qint64 size) { return sink->writeToDevice(out, size); })) {
        if (!sink->failed())
            sink->m_error = sink->m_encoder->errorString();
        archive_set_error(archive, EIO, "%s", sink->m_error.toUtf8().constData());
        return ARCHIVE_FATAL;
    }
    return ARCHIVE_OK;
}

ArchiveSource::ArchiveSource(QIODevice *device, const Cancellation *cancel)
    : m_device(device), m_cancel(cancel), m_buffer(int(ArchiveBlockSize), Qt::Uninitialized)
{
}

int ArchiveSource::open(struct archive *archive)
{
    archive_read_set_read_callback(archive, &ArchiveSource::read);
    archive_read_set_callback_data(archive, this);
    return archive_read_open1(archive);
}

la_ssize_t ArchiveSource::read(struct archive *archive, void *client, const void **buffer)
{
    auto *source = static_cast<ArchiveSource *>(client);
    if (source->m_cancel && source->m_cancel->isCancelled()) {
        source->m_cancelled = true;
        archive_set_error(archive, ECANCELED, "cancelled");
        return -1;
    }
    const qint64 n = source->m_device->read(source->m_buffer.data(), source->m_buffer.size());
    if (n < 0) {
        source->m_error = source->m_device->errorString().isEmpty() ? QStringLiteral("read error")
                                                                    : source->m_device->errorString();
        archive_set_error(archive, EIO, "%s", source->m_error.toUtf8().constData());
        return -1;
    }
    source->m_bytesRead += n;
    *buffer = source->m_buffer.constData();
    return la_ssize_t(n);
}

} // namespace s3cache
