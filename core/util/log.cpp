#include "log.h"

#include <QDateTime>
#include <QMutex>
#include <QMutexLocker>
#include <QStringList>

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
    QMutexLocker lock(&g_mutex);
    if (!g_secrets.contains(secret))
        g_secrets << secret;
}

QString mask(QString text)
{
    QMutexLocker lock(&g_mutex);
    for (const QString &s : std::as_const(g_secrets))
        text.replace(s, QStringLiteral("****"));
    return text;
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
                                  levelName(l).toUpper().leftJustified(5), mask(message));
    QMutexLocker lock(&g_mutex);
    if (g_sink)
        g_sink(l, line);
    else
        defaultSink(l, line);
}

} // namespace s3cache::Log
