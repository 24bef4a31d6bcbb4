#pragma once
// Shared bits of the libFuzzer targets: quiet logging, input helpers.
#include "util/log.h"

#include <QByteArray>
#include <QList>

#include <cstddef>
#include <cstdint>

namespace s3cache::fuzz {

inline void quietLogs()
{
    static const bool done = [] {
        Log::setSink([](LogLevel, const QString &) {});
        return true;
    }();
    (void)done;
}

inline QByteArray bytes(const uint8_t *data, size_t size)
{
    return QByteArray(reinterpret_cast<const char *>(data), qsizetype(size));
}

// Splits the input at '\n' into at most `n` fields (missing fields are empty).
inline QList<QString> fields(const uint8_t *data, size_t size, int n)
{
    QList<QString> out = QString::fromUtf8(bytes(data, size)).split(QLatin1Char('\n'));
    while (out.size() < n)
        out.append(QString());
    return out;
}

} // namespace s3cache::fuzz
