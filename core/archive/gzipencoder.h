#pragma once
// GzipEncoder: one gzip member through zlib (CRC-32 and length at its end), deterministic: no
// name and no timestamp in the header. Internal to the archive layer.

#include "streamencoder.h"

#include <QByteArray>

#include <memory>

namespace s3cache {

class GzipEncoder : public StreamEncoder
{
public:
    // level 0..9 (-1: zlib's default, 6).
    explicit GzipEncoder(int level);
    ~GzipEncoder() override;
    Q_DISABLE_COPY_MOVE(GzipEncoder)

    bool compress(const char *data, qint64 size, const Output &out) override;
    bool finish(const Output &out) override;

private:
    bool drive(const char *data, qint64 size, int flush, const Output &out);

    struct Stream;
    std::unique_ptr<Stream> m_stream;
    QByteArray m_out;
};

} // namespace s3cache
