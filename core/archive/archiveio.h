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

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

class QIODevice;

namespace s3cache {

class StreamEncoder;

// Size of the blocks read from files and from archive sources.
constexpr qint64 ArchiveBlockSize = 1024 * 1024;

// What s3cache keeps in a workspace (staging directories, the content state) has a top-level name
// that starts with reservedPrefix(): the scanner never archives such a name, the extractor never
// restores one. stagingPrefix() is the extractor's staging directories' part of it.
QString reservedPrefix();
QString stagingPrefix();

// A small file s3cache keeps in a workspace (the content state, a dedup stream map), read whole:
// a regular file (not followed if it is a link) of at most `maxBytes`; nullopt and `why` when it
// is missing or cannot be used.
std::optional<QByteArray> readWorkspaceFile(const QByteArray &path, qint64 maxBytes, QString *why);
// Writes such a file atomically: a temporary file next to it (mode 0644), renamed into place; no
// fsync (the files carry checksums, so a torn one is ignored). Empty, or what failed and why.
QString writeWorkspaceFile(const QByteArray &path, const QByteArray &bytes);

// libarchive converts names between an archive's charset and the C library's locale, chosen per
// archive when it is created. This switches the calling thread (only) to the LC_CTYPE of `name`
// ("C", "C.UTF-8") for the lifetime of the object, whatever the process's locale is.
class ScopedLocale
{
public:
    explicit ScopedLocale(const char *name);
    ~ScopedLocale();
    Q_DISABLE_COPY_MOVE(ScopedLocale)

private:
    locale_t m_locale = nullptr;
    locale_t m_previous = nullptr;
};

// Where libarchive's output goes: into the device, through the encoder when there is one.
class ArchiveSink
{
public:
    ArchiveSink(QIODevice *device, StreamEncoder *encoder);
    // archive_write_open2() with this sink's callbacks; returns libarchive's status.
    int open(struct archive *archive);
    // Writes all of `data` to the device itself, looping over partial writes.
    bool writeToDevice(const char *data, qint64 size);
    // Encodes and writes `data`: libarchive's output, and bytes of the writer's own between it.
    bool writeRaw(const char *data, qint64 size);
    // Drops everything libarchive writes from now on (an abandoned archive is never finished).
    void abandon() { m_abandoned = true; }
    bool failed() const { return !m_error.isEmpty(); }
    const QString &errorString() const { return m_error; }
    qint64 bytesWritten() const { return m_bytesWritten; }

private:
    static la_ssize_t write(struct archive *archive, void *client, const void *buffer, size_t length);
    static int close(struct archive *archive, void *client);

    QIODevice *m_device;
    StreamEncoder *m_encoder;
    QString m_error;
    qint64 m_bytesWritten = 0;
    bool m_abandoned = false;
};

// Where libarchive's input comes from. A read-ahead thread reads the device (which may block on
// the network; read() returning 0 ends the stream) and decompresses zstd (libzstd, content
// checksum verified when the frame has one) and gzip (zlib: CRC-32 and length of every member
// verified), while libarchive parses and the extractor writes files on the calling thread. It
// stays at most ReadAheadBlocks blocks ahead. Cancellation is checked before each block.
// libarchive stops reading at the end of what it parses: drain() reads the stream to its real
// end, so that damage and truncation after that point are found too, and keeps its last bytes
// (tail()) for the format's own end checks.
class ArchiveSource
{
public:
    static constexpr int ReadAheadBlocks = 8;
    static constexpr qsizetype TailSize = 72 * 1024;  // default: a zip's end record with the longest comment
    enum class Codec { None, Zstd, Gzip };

    ArchiveSource(QIODevice *device, const Cancellation *cancel);
    ~ArchiveSource();  // stops the thread (after its current device read) and waits for it
    Q_DISABLE_COPY_MOVE(ArchiveSource)

    // The first bytes of the decoded stream (fewer at its end or after a failure), without
    // consuming them; waits for the first block. Before open() only.
    QByteArray peek(qsizetype size);
    int open(struct archive *archive);
    bool failed() const;     // the device failed (errorString() says why)
    bool corrupt() const;    // the zstd data is damaged or truncated (errorString() says how)
    bool cancelled() const;
    QString errorString() const;
    Codec codec() const { return m_codec.load(); }
    qint64 bytesRead() const { return m_bytesRead.load(); }  // compressed bytes taken from the device
    // Reads (and drops) what libarchive did not, to the end of the stream; false when the stream
    // failed, was damaged or cancelled (then the status above says which).
    bool drain();
    // How many of the last bytes tail() keeps (TailSize unless set); set it before the stream's
    // end has been read, e.g. right after peek().
    void setTailSize(qsizetype size);
    // After drain(): the last bytes of the decoded stream (at most the tail size), and its length.
    QByteArray tail() const;
    qint64 decodedBytes() const;
    // Keeps the last `blocks` blocks libarchive was done with (set before open()), so that
    // decoded() can give bytes it has just parsed.
    void keepRecentBlocks(int blocks) { m_keepBlocks = blocks; }
    // Bytes [offset, offset + length) of the decoded stream, when libarchive was given them and
    // they are still kept; on libarchive's thread only.
    std::optional<QByteArray> decoded(qint64 offset, qsizetype length) const;

private:
    enum class Failure { None, Read, Corrupt, Cancelled };
    static la_ssize_t read(struct archive *archive, void *client, const void **buffer);
    void start();  // the read-ahead thread, once
    void produce();
    // The next block to fill (a recycled one when there is one).
    QByteArray takeFree();
    // Hands a block to the reader; waits while ReadAheadBlocks are queued. False when stopping.
    bool push(QByteArray block);
    // Reads up to `maxSize` bytes from the device; -1 after a failure or cancellation (recorded).
    qint64 readDevice(char *data, qint64 maxSize);
    // The next block of the device into `input` (empty at its end); false after a failure.
    bool refill(QByteArray &input);
    void finish(Failure failure, const QString &error);
    void decodeZstd(QByteArray block);
    void decodeGzip(QByteArray block);

    QIODevice *m_device;
    const Cancellation *m_cancel;
    std::thread m_thread;
    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<QByteArray> m_ready;  // filled blocks, in order
    std::vector<QByteArray> m_free;  // blocks the reader is done with
    QByteArray m_current;            // the block libarchive is reading
    qint64 m_currentAt = 0;          // its offset in the decoded stream
    int m_keepBlocks = 0;
    std::deque<std::pair<qint64, QByteArray>> m_recent;  // offset, block: libarchive's thread only
    bool m_finished = false;         // the thread has pushed its last block
    bool m_stopping = false;
    Failure m_failure = Failure::None;
    QString m_error;
    std::atomic<Codec> m_codec{Codec::None};
    QByteArray m_tail;           // guarded by m_mutex
    qsizetype m_tailSize = TailSize;  // guarded by m_mutex
    qint64 m_decodedBytes = 0;   // guarded by m_mutex
    std::atomic<qint64> m_bytesRead{0};
};

} // namespace s3cache
