#include "fsname.h"

namespace s3cache {

namespace {

constexpr char16_t EscapeBase = 0xDC00;  // + the byte (0x80..0xFF)

bool isEscape(char16_t c)
{
    return c >= EscapeBase + 0x80 && c <= EscapeBase + 0xFF;
}

// The length of the well-formed UTF-8 sequence at bytes[i] (Unicode's table 3-7: no overlong
// forms, no surrogates, nothing above U+10FFFF), or 0.
qsizetype sequenceLength(QByteArrayView bytes, qsizetype i)
{
    const auto at = [&](qsizetype k) { return i + k < bytes.size() ? uchar(bytes[i + k]) : 0; };
    const auto continuation = [](uchar c, uchar low = 0x80, uchar high = 0xBF) { return c >= low && c <= high; };
    const uchar b = at(0);
    if (b < 0x80)
        return 1;
    if (b >= 0xC2 && b <= 0xDF)
        return continuation(at(1)) ? 2 : 0;
    if (b >= 0xE0 && b <= 0xEF) {
        const uchar low = b == 0xE0 ? 0xA0 : 0x80;
        const uchar high = b == 0xED ? 0x9F : 0xBF;
        return continuation(at(1), low, high) && continuation(at(2)) ? 3 : 0;
    }
    if (b >= 0xF0 && b <= 0xF4) {
        const uchar low = b == 0xF0 ? 0x90 : 0x80;
        const uchar high = b == 0xF4 ? 0x8F : 0xBF;
        return continuation(at(1), low, high) && continuation(at(2)) && continuation(at(3)) ? 4 : 0;
    }
    return 0;
}

} // namespace

QString fsNameFromBytes(QByteArrayView bytes)
{
    QString name;
    name.reserve(bytes.size());
    qsizetype run = 0;  // start of the current run of valid UTF-8
    qsizetype i = 0;
    while (i < bytes.size()) {
        const qsizetype length = sequenceLength(bytes, i);
        if (length > 0) {
            i += length;
            continue;
        }
        name += QString::fromUtf8(bytes.sliced(run, i - run));
        name += QChar(char16_t(EscapeBase + uchar(bytes[i])));
        run = ++i;
    }
    if (run == 0)
        return QString::fromUtf8(bytes);
    name += QString::fromUtf8(bytes.sliced(run));
    return name;
}

QByteArray fsNameToBytes(QStringView name)
{
    QByteArray bytes;
    bytes.reserve(name.size());
    qsizetype run = 0;
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char16_t c = name[i].unicode();
        if (QChar::isHighSurrogate(c) && i + 1 < name.size() && QChar::isLowSurrogate(name[i + 1].unicode())) {
            ++i;  // a pair: one character outside the BMP, never an escape
            continue;
        }
        if (!isEscape(c))
            continue;
        bytes += name.sliced(run, i - run).toUtf8();
        bytes += char(c - EscapeBase);
        run = i + 1;
    }
    if (run == 0)
        return name.toUtf8();
    bytes += name.sliced(run).toUtf8();
    return bytes;
}

QString fsNameForDisplay(QStringView name)
{
    QString shown;
    shown.reserve(name.size());
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char16_t c = name[i].unicode();
        if (QChar::isHighSurrogate(c) && i + 1 < name.size() && QChar::isLowSurrogate(name[i + 1].unicode())) {
            shown += name.sliced(i++, 2);
        } else if (isEscape(c)) {
            shown += QStringLiteral("\\x%1").arg(int(c - EscapeBase), 2, 16, QLatin1Char('0'));
        } else {
            shown += QChar(c);
        }
    }
    return shown;
}

} // namespace s3cache
