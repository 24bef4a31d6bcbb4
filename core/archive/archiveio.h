#pragma once
// The one place where libarchive meets Qt (internal to the archive layer): callbacks that let
// libarchive write into and read from any QIODevice (sequential, blocking, possibly failing), a
// thread-local UTF-8 locale for libarchive's name conversions, and the path rules shared by the
// scanner and the extractor.

#include "util/cancellation.h"

#include <QByteArray>
#include <QString>

#include <archive.h>
#include <locale.h>

#include <optional>

class QIODevice;

namespace s3cache {

class ZstdEncoder;

// Size of the blocks read from files and from archive sources.
constexpr qint64 ArchiveBlockSize = 1024 * 1024;

// Top-level names that the extractor uses for its staging directories (never archived).
QString stagingPrefix();

// "a/./b//c/../d" -> "a/b/d"; nullopt when ".." climbs above the start. "" and "." -> "".
std::optional<QString> normalizeRelativePath(const QString &path);

// libarchive converts names between UTF-8 (pax, zip) and the C library's locale; in the "C"
// locale of most CI containers non-ASCII names fail. This switches the calling thread (only) to
// C.UTF-8 for the lifetime of the object.
class ScopedUtf8Locale
{
public:
    ScopedUtf8Locale();
    ~ScopedUtf8Locale();
    Q_DISABLE_COPY_MOVE(ScopedUtf8Locale)

private:
    locale_t m_utf8 = locale_t(0);
    locale_t m_previous = locale_t(0);
};

// Where libarchive's output goes: into the device, through the zstd encoder when there is one.
class ArchiveSink
{
public:
    ArchiveSink(QIODevice *device, ZstdEncoder *encoder);
    // archive_write_open2() with this sink's callbacks; returns libarchive's status.
    int open(struct archive *archive);
    // Writes all of `data` to the device itself, looping over partial writes.
    bool writeToDevice(const char *data, qint64 size);
    // Drops everything libarchive writes from now on (an abandoned archive is never finished).
    void abandon() { m_abandoned = true; }
    bool failed() const { return !m_error.isEmpty(); }
    const QString &errorString() const { return m_error; }
    qint64 bytesWritten() const { return m_bytesWritten; }

private:
    static la_ssize_t write(struct archive *archive, void *client, const void *buffer, size_t length);
    static int close(struct archive *archive, void *client);

    QIODevice *m_device;
    ZstdEncoder *m_encoder;
    QString m_error;
    qint64 m_bytesWritten = 0;
    bool m_abandoned = false;
};

// Where libarchive's input comes from: blocking reads of ArchiveBlockSize from the device, where
// read() returning 0 is the end of the stream. Cancellation is checked before each block.
class ArchiveSource
{
public:
    ArchiveSource(QIODevice *device, const Cancellation *cancel);
    int open(struct archive *archive);
    bool failed() const { return !m_error.isEmpty(); }
    bool cancelled() const { return m_cancelled; }
    const QString &errorString() const { return m_error; }
    qint64 bytesRead() const { return m_bytesRead; }

private:
    static la_ssize_t read(struct archive *archive, void *client, const void **buffer);

    QIODevice *m_device;
    const Cancellation *m_cancel;
    QByteArray m_buffer;
    QString m_error;
    bool m_cancelled = false;
    qint64 m_bytesRead = 0;
};

} // namespace s3cache
