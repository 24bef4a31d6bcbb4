#include "format.h"

#include <QCoreApplication>
#include <QRegularExpression>

namespace s3cache::Format {

QString bytes(qint64 value)
{
    if (value < 0)
        return QStringLiteral("?");
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = double(value);
    int unit = 0;
    while (v >= 1024.0 && unit < 5) {
        v /= 1024.0;
        ++unit;
    }
    if (unit == 0)
        return QStringLiteral("%1 B").arg(value);
    return QStringLiteral("%1 %2").arg(v, 0, 'f', v < 10 ? 2 : 1).arg(QLatin1String(units[unit]));
}

QString rate(double bytesPerSecond)
{
    return bytes(qint64(bytesPerSecond)) + QStringLiteral("/s");
}

QString age(qint64 seconds)
{
    if (seconds < 0)
        return QStringLiteral("?");
    if (seconds < 60)
        return QStringLiteral("< 1 min");
    const qint64 minutes = seconds / 60;
    if (minutes < 60)
        return QStringLiteral("%1 min").arg(minutes);
    const qint64 hours = minutes / 60;
    if (hours < 24)
        return minutes % 60 ? QStringLiteral("%1 h %2 min").arg(hours).arg(minutes % 60) : QStringLiteral("%1 h").arg(hours);
    if (hours < 7 * 24 && hours % 24)
        return QStringLiteral("%1 d %2 h").arg(hours / 24).arg(hours % 24);
    return QStringLiteral("%1 d").arg(hours / 24);
}

QString ago(qint64 seconds)
{
    if (seconds < 0)
        return QStringLiteral("?");
    if (seconds < 60)
        return QCoreApplication::translate("Format", "just now");
    return QCoreApplication::translate("Format", "%1 ago").arg(age(seconds));
}

QString duration(qint64 seconds)
{
    if (seconds < 0)
        return QStringLiteral("?");
    if (seconds < 60)
        return QStringLiteral("%1 s").arg(seconds);
    if (seconds < 3600)
        return QStringLiteral("%1 min %2 s").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 h %2 min").arg(seconds / 3600).arg(seconds / 60 % 60, 2, 10, QLatin1Char('0'));
}

QString dateTime(const QDateTime &utc)
{
    if (!utc.isValid())
        return QStringLiteral("?");
    return utc.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

QString count(qint64 n)
{
    QString digits = QString::number(n < 0 ? -n : n);
    for (qsizetype i = digits.size() - 3; i > 0; i -= 3)
        digits.insert(i, QLatin1Char(','));
    return n < 0 ? QLatin1Char('-') + digits : digits;
}

QString errorHtml(const Error &error)
{
    QString head = error.code().isEmpty() ? Error::kindName(error.kind()) : error.code();
    QString html = QStringLiteral("<b>%1</b>").arg(head.toHtmlEscaped());
    if (error.httpStatus() > 0)
        html += QStringLiteral(" (HTTP %1)").arg(error.httpStatus());
    html += QStringLiteral(": ") + errorMessage(error).toHtmlEscaped();
    if (!error.hint().isEmpty())
        html += QStringLiteral("<br><i>%1</i>").arg(error.hint().toHtmlEscaped());
    if (!error.requestId().isEmpty())
        html += QStringLiteral("<br><small>request id %1</small>").arg(error.requestId().toHtmlEscaped());
    return html;
}

QString errorMessage(const Error &error)
{
    QString message = error.message();
    // OpenSSL's "error:0A00010B:SSL routines::wrong version number" (through QSslSocket's
    // "SSL handshake failed: ..."): keep the reason only.
    static const QRegularExpression openssl(QStringLiteral("(?:SSL handshake failed: ?)?(?:error:[0-9A-Fa-f]+:[^:]*:[^:]*:)+"));
    const QRegularExpressionMatch match = openssl.match(message);
    if (match.hasMatch()) {
        const QString reason = message.mid(match.capturedEnd()).trimmed();
        message = message.left(match.capturedStart())
                  + (reason.isEmpty() ? QCoreApplication::translate("Format", "the TLS handshake failed")
                                      : QCoreApplication::translate("Format", "the TLS handshake failed (%1)").arg(reason));
    } else if (error.code() == QLatin1String("TlsError")) {
        message.replace(QStringLiteral("SSL handshake failed"), QCoreApplication::translate("Format", "the TLS handshake failed"));
    }
    return message;
}

QString errorText(const Error &error)
{
    if (!error)
        return QString();
    QStringList details;
    if (!error.code().isEmpty())
        details << error.code();
    if (error.httpStatus() > 0)
        details << QStringLiteral("HTTP %1").arg(error.httpStatus());
    const QString message = errorMessage(error);
    return details.isEmpty() ? message : QStringLiteral("%1 (%2)").arg(message, details.join(QStringLiteral(", ")));
}

} // namespace s3cache::Format
