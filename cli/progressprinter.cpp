#include "progressprinter.h"

#include "util/log.h"

#include <algorithm>
#include <cstdio>

namespace s3cache {

ProgressPrinter::ProgressPrinter(bool terminal, qint64 lineIntervalMs)
    : m_terminal(terminal), m_lineIntervalMs(lineIntervalMs)
{
}

ProgressPrinter::~ProgressPrinter() { finish(); }

void ProgressPrinter::update(const JobProgress &p)
{
    if (p.bytesDone <= 0 && p.itemsDone <= 0)
        return;
    QString text = jobPhaseName(p.phase) + QStringLiteral(":");
    if (p.bytesTotal > 0)
        text += QStringLiteral(" %1%").arg(std::clamp<qint64>(p.bytesDone * 100 / p.bytesTotal, 0, 100));
    if (p.bytesDone > 0) {
        text += u' ' + formatBytes(p.bytesDone);
        if (p.bytesTotal > 0)
            text += QStringLiteral(" of ") + formatBytes(p.bytesTotal);
        if (p.elapsedMs > 0)
            text += QStringLiteral(" at %1/s").arg(formatBytes(p.bytesDone * 1000 / p.elapsedMs));
    }
    if (p.itemsDone > 0)
        text += QStringLiteral("%1 %2%3 items")
                    .arg(p.bytesDone > 0 ? QStringLiteral(",") : QString(), QString::number(p.itemsDone),
                         p.itemsTotal > 0 ? QStringLiteral("/%1").arg(p.itemsTotal) : QString());
    if (m_terminal) {
        const QByteArray line = "\r\033[K" + text.toUtf8();
        std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
        std::fflush(stderr);
        m_barShown = true;
        return;
    }
    if (m_lastLineMs >= 0 && p.elapsedMs - m_lastLineMs < m_lineIntervalMs)
        return;
    m_lastLineMs = p.elapsedMs;
    Log::info(text);
}

void ProgressPrinter::finish()
{
    if (m_barShown) {
        std::fputs("\r\033[K", stderr);
        std::fflush(stderr);
        m_barShown = false;
    }
}

} // namespace s3cache
