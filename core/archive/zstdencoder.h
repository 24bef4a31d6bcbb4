#pragma once
// ZstdEncoder: one zstd frame, multi-threaded, with a content checksum (libarchive 3.6.2's zstd
// write filter has a "threads" option but never sets the checksum flag, so the tar stream is
// compressed here instead). Internal to the archive layer.

#include "streamencoder.h"

#include <QByteArray>

struct ZSTD_CCtx_s;

namespace s3cache {

class ZstdEncoder : public StreamEncoder
{
public:
    // level 1..19 (-1: 3, zstd's default); threads: workers, 0 = one per core.
    ZstdEncoder(int level, int threads);
    ~ZstdEncoder() override;
    Q_DISABLE_COPY_MOVE(ZstdEncoder)

    bool compress(const char *data, qint64 size, const Output &out) override;
    // A new level for the jobs that start from now on (multi-threaded zstd keeps the frame's
    // window and applies it at its next job; single-threaded, the frame keeps its level).
    void setLevel(int level);
    bool finish(const Output &out) override;

private:
    bool drive(const char *data, qint64 size, bool end, const Output &out);

    ZSTD_CCtx_s *m_context;
    QByteArray m_out;
};

} // namespace s3cache
