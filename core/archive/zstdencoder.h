#pragma once
// ZstdEncoder: one zstd frame, multi-threaded, with a content checksum (libarchive 3.6.2's zstd
// write filter has a "threads" option but never sets the checksum flag, so the tar stream is
// compressed here instead). Internal to the archive layer.

#include <QByteArray>
#include <QString>

#include <functional>

struct ZSTD_CCtx_s;

namespace s3cache {

class ZstdEncoder
{
public:
    using Output = std::function<bool(const char *data, qint64 size)>;

    // level 1..19 (-1: 3, zstd's default); threads: workers, 0 = one per core.
    ZstdEncoder(int level, int threads);
    ~ZstdEncoder();
    Q_DISABLE_COPY_MOVE(ZstdEncoder)

    // Feeds `data`; compressed bytes go to `out` in blocks. False when zstd or `out` fails.
    bool compress(const char *data, qint64 size, const Output &out);
    // Ends the frame (writes the checksum) and flushes everything to `out`.
    bool finish(const Output &out);
    // zstd's message after a failure (empty when `out` failed).
    const QString &errorString() const { return m_error; }

private:
    bool drive(const char *data, qint64 size, bool end, const Output &out);

    ZSTD_CCtx_s *m_context;
    QByteArray m_out;
    QString m_error;
};

} // namespace s3cache
