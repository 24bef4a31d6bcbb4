#include "humanformat.h"

namespace s3cache {

QString formatBytes(qint64 bytes)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = double(bytes);
    int unit = 0;
    while (value >= 1024.0 && unit < 4) {
        value /= 1024.0;
        ++unit;
    }
    return unit == 0 ? QStringLiteral("%1 B").arg(bytes)
                     : QStringLiteral("%1 %2").arg(QString::number(value, 'f', 1), QLatin1String(units[unit]));
}

QString formatDuration(qint64 ms)
{
    if (ms < 10'000)
        return QStringLiteral("%1 s").arg(double(ms) / 1000.0, 0, 'f', 1);
    const qint64 s = ms / 1000;
    if (s < 3600)
        return QStringLiteral("%1m%2s").arg(QString::number(s / 60), QString::number(s % 60).rightJustified(2, u'0'));
    if (s < 86400 * 2)
        return QStringLiteral("%1h%2m").arg(QString::number(s / 3600), QString::number((s % 3600) / 60).rightJustified(2, u'0'));
    return QStringLiteral("%1 days").arg(s / 86400);
}

} // namespace s3cache
