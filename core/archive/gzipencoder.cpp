#include "gzipencoder.h"

#include <zlib.h>

namespace s3cache {

struct GzipEncoder::Stream
{
    z_stream z{};
    bool open = false;
    ~Stream()
    {
        if (open)
            deflateEnd(&z);
    }
};

GzipEncoder::GzipEncoder(int level) : m_stream(std::make_unique<Stream>()), m_out(256 * 1024, Qt::Uninitialized)
{
    // windowBits 16 + 15: a gzip wrapper; zlib writes mtime 0 and no name unless told otherwise.
    const int rc = deflateInit2(&m_stream->z, level == -1 ? Z_DEFAULT_COMPRESSION : level, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                Z_DEFAULT_STRATEGY);
    m_stream->open = rc == Z_OK;
    if (!m_stream->open)
        m_error = QStringLiteral("zlib cannot start a gzip stream (level %1)").arg(level);
}

GzipEncoder::~GzipEncoder() = default;

bool GzipEncoder::compress(const char *data, qint64 size, const Output &out)
{
    return drive(data, size, Z_NO_FLUSH, out);
}

bool GzipEncoder::finish(const Output &out)
{
    return drive(nullptr, 0, Z_FINISH, out);
}

bool GzipEncoder::drive(const char *data, qint64 size, int flush, const Output &out)
{
    if (!m_error.isEmpty())
        return false;
    z_stream &z = m_stream->z;
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data));
    z.avail_in = uInt(size);
    for (;;) {
        z.next_out = reinterpret_cast<Bytef *>(m_out.data());
        z.avail_out = uInt(m_out.size());
        const int rc = deflate(&z, flush);
        if (rc == Z_STREAM_ERROR) {
            m_error = QStringLiteral("gzip compression failed");
            return false;
        }
        const qint64 produced = m_out.size() - qint64(z.avail_out);
        if (produced > 0 && !out(m_out.constData(), produced))
            return false;
        if (flush == Z_FINISH ? rc == Z_STREAM_END : (z.avail_in == 0 && z.avail_out != 0))
            return true;
    }
}

} // namespace s3cache
