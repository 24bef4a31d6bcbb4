#include "zstdencoder.h"

#include <QThread>

#include <zstd.h>

namespace s3cache {

ZstdEncoder::ZstdEncoder(int level, int threads)
    : m_context(ZSTD_createCCtx()), m_out(int(ZSTD_CStreamOutSize()), Qt::Uninitialized)
{
    const int workers = threads > 0 ? threads : std::max(1, QThread::idealThreadCount());
    for (const auto &[parameter, value] : {std::pair{ZSTD_c_compressionLevel, level == -1 ? 3 : level},
                                           std::pair{ZSTD_c_checksumFlag, 1},
                                           std::pair{ZSTD_c_nbWorkers, workers},
                                           // 2 MiB jobs instead of the default 8+ MiB: a quarter of the
                                           // buffer memory (round buffer and pooled outputs) for +0.2 %
                                           // bytes at level 1, +0.7 % at level 3 (bench/README.md, Memory).
                                           std::pair{ZSTD_c_jobSize, 2 * 1024 * 1024}}) {
        const size_t rc = ZSTD_CCtx_setParameter(m_context, parameter, value);
        // A libzstd built without threads refuses workers: compress on this thread instead.
        const bool threadsOnly = parameter == ZSTD_c_nbWorkers || parameter == ZSTD_c_jobSize;
        if (ZSTD_isError(rc) && !threadsOnly && m_error.isEmpty())
            m_error = QStringLiteral("zstd: %1").arg(QString::fromLatin1(ZSTD_getErrorName(rc)));
    }
}

ZstdEncoder::~ZstdEncoder()
{
    ZSTD_freeCCtx(m_context);
}

void ZstdEncoder::setLevel(int level)
{
    ZSTD_CCtx_setParameter(m_context, ZSTD_c_compressionLevel, level);  // refused only when out of range
}

bool ZstdEncoder::compress(const char *data, qint64 size, const Output &out)
{
    return drive(data, size, false, out);
}

bool ZstdEncoder::finish(const Output &out)
{
    return drive(nullptr, 0, true, out);
}

bool ZstdEncoder::drive(const char *data, qint64 size, bool end, const Output &out)
{
    if (!m_error.isEmpty())
        return false;
    ZSTD_inBuffer in{data, size_t(size), 0};
    for (;;) {
        ZSTD_outBuffer output{m_out.data(), size_t(m_out.size()), 0};
        const size_t remaining = ZSTD_compressStream2(m_context, &output, &in, end ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(remaining)) {
            m_error = QStringLiteral("zstd compression failed: %1").arg(QString::fromLatin1(ZSTD_getErrorName(remaining)));
            return false;
        }
        if (output.pos > 0 && !out(static_cast<const char *>(output.dst), qint64(output.pos)))
            return false;
        if (end ? remaining == 0 : in.pos == in.size)
            return true;
    }
}

} // namespace s3cache
