#pragma once
// Levelled, line-oriented logging for CI logs, with secret masking as a last line of defence:
// every registered secret value is replaced by "****" in every line before it is written,
// whatever the level, and every line is made printable (no line breaks or terminal escapes from
// a file name or a server's message). Callers still never format secrets on purpose.

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
// than 4 characters are ignored (masking "a" everywhere would destroy the log). mask() replaces
// each of them in its plain, URL-encoded, JSON- and XML-escaped forms, and any run of 8 or more of
// its first characters (an echo cut off), by "****"; and, whatever was registered, a URL's
// password and the values of Signature=, X-Amz-Signature= and X-Amz-Security-Token.
void registerSecret(const QString &secret);
QString mask(QString text);
// An access key id as s3cache shows it: its first four characters when it has 16 or more (AKIA
// or ASIA: long-lived or temporary), else nothing: "AKIA****", "****".
QString maskAccessKeyId(const QString &id);

// `text` on one line with nothing a terminal acts on: newline, carriage return and tab as \n,
// \r, \t, other control characters (ESC...) as \xHH. Every log line goes through it; printed
// names, keys and server messages should too.
QString printable(const QString &text);

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
