#pragma once
// StreamEncoder: a compressor that the archive sink feeds with the tar stream (internal to the
// archive layer). Compressing below libarchive, not with its filters, lets zstd carry a content
// checksum and lets the archive digest (archivedigest.h) follow the last entry in any codec.

#include <QString>

#include <functional>

namespace s3cache {

class StreamEncoder
{
public:
    using Output = std::function<bool(const char *data, qint64 size)>;
    virtual ~StreamEncoder() = default;

    // Feeds `data`; compressed bytes go to `out` in blocks. False when the codec or `out` fails.
    virtual bool compress(const char *data, qint64 size, const Output &out) = 0;
    // Ends the stream (writes its checksum) and flushes everything to `out`.
    virtual bool finish(const Output &out) = 0;
    // The codec's message after a failure (empty when `out` failed).
    const QString &errorString() const { return m_error; }

protected:
    QString m_error;
};

} // namespace s3cache
