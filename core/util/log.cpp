#include "log.h"

#include <QDateTime>
#include <QMutex>
#include <QMutexLocker>
#include <QRegularExpression>
#include <QStringList>
#include <QUrl>

#include <algorithm>
#include <atomic>
#include <cstdio>

namespace s3cache::Log {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::Info)};
QMutex g_mutex;
QStringList g_secrets;  // guarded by g_mutex
Sink g_sink;            // guarded by g_mutex

void defaultSink(LogLevel, const QString &line)
{
    const QByteArray bytes = line.toUtf8() + '\n';
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
    std::fflush(stderr);
}
} // namespace

bool parseLevel(const QString &text, LogLevel *level)
{
    const QString t = text.trimmed().toLower();
    if (t == u"trace") *level = LogLevel::Trace;
    else if (t == u"debug") *level = LogLevel::Debug;
    else if (t == u"info") *level = LogLevel::Info;
    else if (t == u"warn" || t == u"warning") *level = LogLevel::Warn;
    else if (t == u"error") *level = LogLevel::Error;
    else if (t == u"fatal" || t == u"panic") *level = LogLevel::Fatal;
    else return false;
    return true;
}

QString levelName(LogLevel level)
{
    switch (level) {
    case LogLevel::Trace: return QStringLiteral("trace");
    case LogLevel::Debug: return QStringLiteral("debug");
    case LogLevel::Info: return QStringLiteral("info");
    case LogLevel::Warn: return QStringLiteral("warn");
    case LogLevel::Error: return QStringLiteral("error");
    case LogLevel::Fatal: return QStringLiteral("fatal");
    }
    return QStringLiteral("info");
}

void setLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
LogLevel level() { return static_cast<LogLevel>(g_level.load()); }
bool enabled(LogLevel l) { return static_cast<int>(l) >= g_level.load(); }

void registerSecret(const QString &secret)
{
    if (secret.size() < 4)
        return;
    // The forms a server or a proxy echoes it in: plain, URL-encoded, JSON- and XML-escaped.
    QString json = secret;
    json.replace(u'\\', QStringLiteral("\\\\")).replace(u'/', QStringLiteral("\\/")).replace(u'"', QStringLiteral("\\\""));
    QString xml = secret;
    xml.replace(u'&', QStringLiteral("&amp;")).replace(u'<', QStringLiteral("&lt;")).replace(u'>', QStringLiteral("&gt;"))
        .replace(u'"', QStringLiteral("&quot;")).replace(u'\'', QStringLiteral("&apos;"));
    const QString url = QString::fromLatin1(QUrl::toPercentEncoding(secret));
    QMutexLocker lock(&g_mutex);
    for (const QString &form : {secret, url, json, xml}) {
        if (!g_secrets.contains(form))
            g_secrets << form;
    }
}

namespace {

// A secret cut off by a server that echoes only the start of a request still gives away that
// start: any run of at least this many of its first characters is masked.
constexpr qsizetype kMinSecretPrefix = 8;

// How many characters of `secret` stand at `at` (0 unless at least its first 8, or all of a
// shorter one).
qsizetype matchAt(const QString &text, qsizetype at, const QString &secret)
{
    const qsizetype needed = std::min(secret.size(), kMinSecretPrefix);
    qsizetype n = 0;
    while (n < secret.size() && at + n < text.size() && text.at(at + n) == secret.at(n))
        ++n;
    return n >= needed ? n : 0;
}

// Replaces, from left to right, the longest match of any registered form (g_mutex held).
void maskSecrets(QString &text)
{
    if (g_secrets.isEmpty())
        return;
    QString out;
    qsizetype copied = 0;
    for (qsizetype at = 0; at < text.size();) {
        qsizetype longest = 0;
        for (const QString &s : std::as_const(g_secrets))
            if (text.at(at) == s.front())
                longest = std::max(longest, matchAt(text, at, s));
        if (longest == 0) {
            ++at;
            continue;
        }
        out.append(QStringView(text).mid(copied, at - copied));
        out += QStringLiteral("****");
        at += longest;
        copied = at;
    }
    if (copied > 0)
        text = out.append(QStringView(text).mid(copied));
}

} // namespace

QString maskAccessKeyId(const QString &id)
{
    return id.size() >= 16 ? id.left(4) + QStringLiteral("****") : QStringLiteral("****");
}

QString mask(QString text)
{
    // What is secret by its place, whoever's it is: a URL's password, request signatures and
    // session tokens in a query string, a header or an Authorization value.
    static const QRegularExpression userinfo(QStringLiteral("([a-zA-Z][a-zA-Z0-9+.-]*://[^/\\s:@]*):[^/\\s@]*@"));
    static const QRegularExpression signed_(QStringLiteral(
        "(?i)((?:x-amz-)?signature=|x-amz-security-token[=:]\\s*)[^\\s&\"'<>,;]+"));
    text.replace(userinfo, QStringLiteral("\\1:****@"));
    text.replace(signed_, QStringLiteral("\\1****"));
    QMutexLocker lock(&g_mutex);
    maskSecrets(text);
    return text;
}

QString printable(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (u == u'\n')
            out += QStringLiteral("\\n");
        else if (u == u'\r')
            out += QStringLiteral("\\r");
        else if (u == u'\t')
            out += QStringLiteral("\\t");
        else if (u < 0x20 || u == 0x7f || (u >= 0x80 && u < 0xa0) || u == 0x2028 || u == 0x2029)
            out += QStringLiteral("\\x%1").arg(int(u), 2, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out;
}

void setSink(Sink sink)
{
    QMutexLocker lock(&g_mutex);
    g_sink = std::move(sink);
}

void write(LogLevel l, const QString &message)
{
    if (!enabled(l))
        return;
    const QString line = QStringLiteral("%1 %2 %3")
                             .arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs),
                                  levelName(l).toUpper().leftJustified(5), printable(mask(message)));
    QMutexLocker lock(&g_mutex);
    if (g_sink)
        g_sink(l, line);
    else
        defaultSink(l, line);
}

} // namespace s3cache::Log
