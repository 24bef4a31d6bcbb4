#pragma once
// Levelled, line-oriented logging for CI logs, with secret masking as a last line of defence:
// every registered secret value is replaced by "****" in every line before it is written,
// whatever the level. Callers still never format secrets on purpose.

#include <QString>

#include <functional>

namespace s3cache {

enum class LogLevel { Trace = 0, Debug, Info, Warn, Error, Fatal };

namespace Log {

// Parses trace, debug, info, warn/warning, error, fatal, panic (panic == fatal); false if unknown.
bool parseLevel(const QString &text, LogLevel *level);
QString levelName(LogLevel level);

void setLevel(LogLevel level);
LogLevel level();
bool enabled(LogLevel level);

// Values that must never be printed (secret key, session token, signatures). Values shorter
// than 4 characters are ignored (masking "a" everywhere would destroy the log).
void registerSecret(const QString &secret);
QString mask(QString text);

// Where lines go; default is stderr. The sink receives already-masked text.
using Sink = std::function<void(LogLevel, const QString &line)>;
void setSink(Sink sink);

void write(LogLevel level, const QString &message);

inline void trace(const QString &m) { if (enabled(LogLevel::Trace)) write(LogLevel::Trace, m); }
inline void debug(const QString &m) { if (enabled(LogLevel::Debug)) write(LogLevel::Debug, m); }
inline void info(const QString &m) { write(LogLevel::Info, m); }
inline void warn(const QString &m) { write(LogLevel::Warn, m); }
inline void error(const QString &m) { write(LogLevel::Error, m); }

} // namespace Log
} // namespace s3cache
