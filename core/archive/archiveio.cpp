#include "archiveio.h"

#include "streamencoder.h"

#include <QIODevice>
#include <QScopeGuard>
#include <QStringList>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

namespace s3cache {

QString reservedPrefix()
{
    return QStringLiteral(".s3cache-");
}

QString stagingPrefix()
{
    return reservedPrefix() + QStringLiteral("staging-");
}

std::optional<QByteArray> readWorkspaceFile(const QByteArray &path, qint64 maxBytes, QString *why)
{
    const int fd = ::open(path.constData(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        *why = QString::fromLocal8Bit(strerror(errno));
        return std::nullopt;
    }
    QByteArray bytes;
    struct stat st;
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= maxBytes;
    if (ok) {
        bytes.resize(qsizetype(st.st_size));
        qsizetype done = 0;
        while (ok && done < bytes.size()) {
            const ssize_t n = ::read(fd, bytes.data() + done, size_t(bytes.size() - done));
            if (n < 0 && errno == EINTR)
                continue;
            ok = n > 0;
            done += std::max<ssize_t>(n, 0);
        }
    }
    ::close(fd);
    if (!ok) {
        *why = QStringLiteral("cannot be read");
        return std::nullopt;
    }
    return bytes;
}

QString writeWorkspaceFile(const QByteArray &path, const QByteArray &bytes)
{
    QByteArray temp = path + ".XXXXXX";
    const auto failed = [](const char *what, int errnum) {
        return QStringLiteral("%1: %2").arg(QString::fromLatin1(what), QString::fromLocal8Bit(strerror(errnum)));
    };
    const int fd = mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0)
        return failed("create", errno);
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.constData() + done, size_t(bytes.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int errnum = n < 0 ? errno : ENOSPC;
            ::close(fd);
            unlink(temp.constData());
            return failed("write", errnum);
        }
        done += n;
    }
    const int modeErrno = fchmod(fd, 0644) == 0 ? 0 : errno;
    const int closeErrno = ::close(fd) == 0 ? 0 : errno;
    if (modeErrno != 0 || closeErrno != 0) {
        unlink(temp.constData());
        return failed("write", modeErrno != 0 ? modeErrno : closeErrno);
    }
    if (rename(temp.constData(), path.constData()) != 0) {
        const int errnum = errno;
        unlink(temp.constData());
        return failed("rename", errnum);
    }
    return {};
}

ScopedLocale::ScopedLocale(const char *name)
{
    m_locale = newlocale(LC_CTYPE_MASK, name, nullptr);
    if (m_locale != nullptr)
        m_previous = uselocale(m_locale);
}

ScopedLocale::~ScopedLocale()
{
    if (m_locale != nullptr) {
        uselocale(m_previous);
        freelocale(m_locale);
    }
}

ArchiveSink::ArchiveSink(QIODevice *device, StreamEncoder *encoder) : m_device(device), m_encoder(encoder)
{
}

bool ArchiveSink::writeRaw(const char *data, qint64 size)
{
    const bool ok = m_encoder
        ? m_encoder->compress(data, size, [this](const char *out, qint64 n) { return writeToDevice(out, n); })
        : writeToDevice(data, size);
    if (!ok && !failed())
        m_error = m_encoder->errorString();
    return ok;
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
    if (!sink->writeRaw(static_cast<const char *>(buffer), qint64(length))) {
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

ArchiveSource::ArchiveSource(QIODevice *device, const Cancellation *cancel) : m_device(device), m_cancel(cancel)
{
}

ArchiveSource::~ArchiveSource()
{
    {
        const std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_changed.notify_all();
    if (m_thread.joinable())
        m_thread.join();
}

void ArchiveSource::start()
{
    if (!m_thread.joinable())
        m_thread = std::thread([this] { produce(); });
}

int ArchiveSource::open(struct archive *archive)
{
    start();
    archive_read_set_read_callback(archive, &ArchiveSource::read);
    archive_read_set_callback_data(archive, this);
    return archive_read_open1(archive);
}

bool ArchiveSource::failed() const
{
    const std::lock_guard lock(m_mutex);
    return m_failure == Failure::Read;
}

bool ArchiveSource::corrupt() const
{
    const std::lock_guard lock(m_mutex);
    return m_failure == Failure::Corrupt;
}

bool ArchiveSource::cancelled() const
{
    const std::lock_guard lock(m_mutex);
    return m_failure == Failure::Cancelled;
}

QString ArchiveSource::errorString() const
{
    const std::lock_guard lock(m_mutex);
    return m_error;
}

QByteArray ArchiveSource::peek(qsizetype size)
{
    start();
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [this] { return !m_ready.empty() || m_finished || m_failure != Failure::None; });
    return m_ready.empty() ? QByteArray() : m_ready.front().first(std::min(size, m_ready.front().size()));
}

la_ssize_t ArchiveSource::read(struct archive *archive, void *client, const void **buffer)
{
    auto *source = static_cast<ArchiveSource *>(client);
    std::unique_lock lock(source->m_mutex);
    if (!source->m_current.isNull()) {  // libarchive is done with it
        const qint64 size = source->m_current.size();
        if (source->m_keepBlocks > 0) {
            source->m_recent.emplace_back(source->m_currentAt, std::move(source->m_current));
            if (qsizetype(source->m_recent.size()) > source->m_keepBlocks) {
                source->m_free.push_back(std::move(source->m_recent.front().second));
                source->m_recent.pop_front();
            }
        } else {
            source->m_free.push_back(std::move(source->m_current));
        }
        source->m_currentAt += size;
    }
    source->m_current = QByteArray();
    if (source->m_cancel && source->m_cancel->isCancelled() && source->m_failure == Failure::None) {
        source->m_failure = Failure::Cancelled;
        source->m_error = QStringLiteral("cancelled");
    }
    source->m_changed.notify_all();
    source->m_changed.wait(lock, [source] { return !source->m_ready.empty() || source->m_finished || source->m_failure != Failure::None; });
    if (!source->m_ready.empty() && source->m_failure != Failure::Cancelled) {
        source->m_current = std::move(source->m_ready.front());
        source->m_ready.pop_front();
        source->m_changed.notify_all();
        *buffer = source->m_current.constData();
        return la_ssize_t(source->m_current.size());
    }
    if (source->m_failure == Failure::None)
        return 0;  // the end of the stream
    archive_set_error(archive, source->m_failure == Failure::Cancelled ? ECANCELED : EIO, "%s", source->m_error.toUtf8().constData());
    return -1;
}

std::optional<QByteArray> ArchiveSource::decoded(qint64 offset, qsizetype length) const
{
    QByteArray out;
    out.reserve(length);
    const auto take = [&](qint64 at, const QByteArray &block) {
        const qint64 want = offset + out.size();
        if (out.size() < length && want >= at && want < at + block.size())
            out.append(block.constData() + (want - at), qsizetype(std::min<qint64>(length - out.size(), at + block.size() - want)));
    };
    for (const auto &[at, block] : m_recent)
        take(at, block);
    take(m_currentAt, m_current);
    if (out.size() != length)
        return std::nullopt;
    return out;
}

QByteArray ArchiveSource::takeFree()
{
    QByteArray block;
    {
        const std::lock_guard lock(m_mutex);
        if (!m_free.empty()) {
            block = std::move(m_free.back());
            m_free.pop_back();
        }
    }
    if (block.capacity() < ArchiveBlockSize)
        block.reserve(ArchiveBlockSize);
    block.resize(ArchiveBlockSize);
    return block;
}

bool ArchiveSource::push(QByteArray block)
{
    std::unique_lock lock(m_mutex);
    m_changed.wait(lock, [this] { return m_ready.size() < ReadAheadBlocks || m_stopping || m_failure != Failure::None; });
    if (m_stopping || m_failure != Failure::None)
        return false;
    m_decodedBytes += block.size();
    if (block.size() >= m_tailSize) {
        m_tail = block.right(m_tailSize);
    } else {
        m_tail.append(block);
        if (m_tail.size() > 2 * m_tailSize)
            m_tail = m_tail.right(m_tailSize);
    }
    m_ready.push_back(std::move(block));
    m_changed.notify_all();
    return true;
}

void ArchiveSource::finish(Failure failure, const QString &error)
{
    {
        const std::lock_guard lock(m_mutex);
        m_finished = true;
        if (m_failure == Failure::None) {
            m_failure = failure;
            m_error = error;
        }
    }
    m_changed.notify_all();
}

qint64 ArchiveSource::readDevice(char *data, qint64 maxSize)
{
    if (m_cancel && m_cancel->isCancelled()) {
        finish(Failure::Cancelled, QStringLiteral("cancelled"));
        return -1;
    }
    const qint64 n = m_device->read(data, maxSize);
    if (n < 0) {
        finish(Failure::Read, m_device->errorString().isEmpty() ? QStringLiteral("read error") : m_device->errorString());
        return -1;
    }
    m_bytesRead += n;
    return n;
}

void ArchiveSource::produce()
{
    // The first bytes tell the codec; a sequential device may hand them out in pieces.
    QByteArray first = takeFree();
    qint64 filled = 0;
    while (filled < 4) {
        const qint64 n = readDevice(first.data() + filled, first.size() - filled);
        if (n < 0)
            return;
        if (n == 0)
            break;
        filled += n;
    }
    first.resize(filled);
    if (first.startsWith(QByteArrayView("\x28\xb5\x2f\xfd", 4))) {
        m_codec = Codec::Zstd;
        decodeZstd(std::move(first));
        return;
    }
    if (first.startsWith(QByteArrayView("\x1f\x8b", 2))) {
        m_codec = Codec::Gzip;
        decodeGzip(std::move(first));
        return;
    }
    for (QByteArray block = std::move(first); !block.isEmpty();) {
        if (!push(std::move(block)))
            return;
        block = takeFree();
        const qint64 n = readDevice(block.data(), block.size());
        if (n < 0)
            return;
        block.resize(n);
    }
    finish(Failure::None, QString());
}

bool ArchiveSource::refill(QByteArray &input)
{
    input.resize(ArchiveBlockSize);
    const qint64 n = readDevice(input.data(), input.size());
    if (n < 0)
        return false;
    input.resize(n);
    return true;
}

void ArchiveSource::decodeZstd(QByteArray input)
{
    const std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> context(ZSTD_createDCtx(), &ZSTD_freeDCtx);
    size_t pending = 0;  // ZSTD_decompressStream's last hint: 0 once a frame is complete
    QByteArray out = takeFree();
    ZSTD_outBuffer output{out.data(), size_t(out.size()), 0};
    // Hands what was decoded so far to the reader (so an error comes after the good data).
    const auto flush = [&] {
        out.resize(qsizetype(output.pos));
        const bool pushed = out.isEmpty() || push(std::move(out));
        out = takeFree();
        output = {out.data(), size_t(out.size()), 0};
        return pushed;
    };
    while (!input.isEmpty()) {
        ZSTD_inBuffer in{input.constData(), size_t(input.size()), 0};
        for (;;) {
            pending = ZSTD_decompressStream(context.get(), &output, &in);
            if (ZSTD_isError(pending)) {
                if (flush())
                    finish(Failure::Corrupt, QStringLiteral("Zstd decompression failed: %1").arg(QString::fromLatin1(ZSTD_getErrorName(pending))));
                return;
            }
            if (output.pos == output.size) {
                if (!flush())
                    return;
            } else if (in.pos == in.size) {
                break;  // needs more input
            }
        }
        if (!refill(input))
            return;
    }
    if (!flush())
        return;
    if (pending != 0)
        finish(Failure::Corrupt, QStringLiteral("truncated zstd input"));
    else
        finish(Failure::None, QString());
}

void ArchiveSource::decodeGzip(QByteArray input)
{
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {  // gzip wrapper only: header, CRC-32, length
        finish(Failure::Corrupt, QStringLiteral("zlib cannot start"));
        return;
    }
    const auto end = qScopeGuard([&z] { inflateEnd(&z); });
    QByteArray out = takeFree();
    const auto reset = [&] {
        z.next_out = reinterpret_cast<Bytef *>(out.data());
        z.avail_out = uInt(out.size());
    };
    reset();
    const auto flush = [&] {
        out.resize(out.size() - qsizetype(z.avail_out));
        const bool pushed = out.isEmpty() || push(std::move(out));
        out = takeFree();
        reset();
        return pushed;
    };
    const auto corrupt = [&](const QString &why) {
        if (flush())
            finish(Failure::Corrupt, why);
    };
    bool inMember = true;  // false between members (gzip streams may be concatenated)
    bool padding = false;  // zero bytes after the last member, as some writers pad
    while (!input.isEmpty()) {
        z.next_in = reinterpret_cast<Bytef *>(input.data());
        z.avail_in = uInt(input.size());
        for (;;) {
            if (z.avail_out == 0 && !flush())
                return;
            if (z.avail_in == 0)
                break;
            if (!inMember) {
                const auto *next = reinterpret_cast<const char *>(z.next_in);
                if (!padding && *next == '\x1f') {
                    inflateReset(&z);
                    inMember = true;
                    continue;
                }
                if (std::any_of(next, next + z.avail_in, [](char c) { return c != 0; })) {
                    corrupt(QStringLiteral("gzip data is damaged: unexpected bytes after the end of the compressed stream"));
                    return;
                }
                padding = true;
                z.avail_in = 0;
                continue;
            }
            const int rc = inflate(&z, Z_NO_FLUSH);
            if (rc == Z_STREAM_END) {
                inMember = false;
            } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                corrupt(QStringLiteral("gzip data is damaged: %1").arg(QString::fromLatin1(z.msg ? z.msg : "zlib error")));
                return;
            }
        }
        if (!refill(input))
            return;
    }
    if (!flush())
        return;
    if (inMember)
        finish(Failure::Corrupt, QStringLiteral("truncated gzip input"));
    else
        finish(Failure::None, QString());
}

bool ArchiveSource::drain()
{
    std::unique_lock lock(m_mutex);
    if (!m_current.isNull())
        m_free.push_back(std::move(m_current));
    m_current = QByteArray();
    for (;;) {
        if (m_cancel && m_cancel->isCancelled() && m_failure == Failure::None) {
            m_failure = Failure::Cancelled;
            m_error = QStringLiteral("cancelled");
        }
        while (!m_ready.empty()) {
            m_free.push_back(std::move(m_ready.front()));
            m_ready.pop_front();
        }
        m_changed.notify_all();
        if (m_failure != Failure::None)
            return false;
        if (m_finished)
            return true;
        m_changed.wait(lock, [this] { return !m_ready.empty() || m_finished || m_failure != Failure::None; });
    }
}

QByteArray ArchiveSource::tail() const
{
    const std::lock_guard lock(m_mutex);
    return m_tail.right(m_tailSize);
}

void ArchiveSource::setTailSize(qsizetype size)
{
    const std::lock_guard lock(m_mutex);
    m_tailSize = size;
}

qint64 ArchiveSource::decodedBytes() const
{
    const std::lock_guard lock(m_mutex);
    return m_decodedBytes;
}

} // namespace s3cache
